"""Container runtime versions: docker, dockerd, containerd, runc, crun, podman.

Version strings are kept exactly as printed ("1.1.5+ds1", "1.0.0-rc95", "20.10.24+dfsg1",
"1.6.20~ds1"): distributions encode backports in them, and a normalised form loses that.

Sample output::

    $ docker --version               # Debian 12 docker.io
    Docker version 20.10.24+dfsg1, build 297e128
    $ docker --version               # Oracle Linux 9 with podman-docker (stderr first)
    Emulate Docker CLI using podman. Create /etc/containers/nodocker to quiet msg.
    podman version 4.6.1
    $ containerd --version
    containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3
    $ runc --version
    runc version 1.1.5+ds1
    commit: 1.1.5+ds1-1+deb12u1
    spec: 1.0.2-dev
    go: go1.19.8
    libseccomp: 2.5.4

>>> parse_docker_version("Docker version 20.10.24+dfsg1, build 297e128\\n")
{'version': '20.10.24+dfsg1', 'build': '297e128', 'podman_shim': False}
>>> parse_docker_version("podman version 4.3.1\\n", "Emulate Docker CLI using podman. Create /etc/containers/nodocker to quiet msg.\\n")
{'version': '4.3.1', 'build': None, 'podman_shim': True}
>>> parse_runc_version("runc version 1.1.5+ds1\\ncommit: 1.1.5+ds1-1+deb12u1\\nspec: 1.0.2-dev\\n")["commit"]
'1.1.5+ds1-1+deb12u1'
"""

import re

_DOCKER = re.compile(r"^Docker version\s+([^\s,]+)(?:,\s*build\s+(\S+))?", re.M)
_PODMAN = re.compile(r"^podman version\s+(\S+)", re.M | re.I)
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,7}\b", re.I)


def parse_docker_version(stdout, stderr=""):
    """`docker --version` or `dockerd --version` -> {version, build, podman_shim}."""
    result = {"version": None, "build": None, "podman_shim": False}
    stdout = stdout if isinstance(stdout, str) else ""
    stderr = stderr if isinstance(stderr, str) else ""
    podman = _PODMAN.search(stdout)
    if podman or "emulate docker cli using podman" in (stdout + stderr).lower():
        result["podman_shim"] = True
        if podman:
            result["version"] = podman.group(1)
            return result
    match = _DOCKER.search(stdout)
    if match:
        result["version"] = match.group(1)
        result["build"] = match.group(2)
    return result


def parse_containerd_version(stdout):
    """`containerd --version` -> {version, revision}.

    "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3" (Debian),
    "containerd containerd.io 1.6.28 ae07eda36dd25f8a1b98dfbf587313b99c0190bb" (docker-ce),
    "containerd github.com/containerd/containerd v1.7.1 1677a17..." (upstream).
    """
    result = {"version": None, "revision": None}
    if not isinstance(stdout, str):
        return result
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "containerd":
            result["version"] = words[2]
            result["revision"] = words[3] if len(words) >= 4 else None
            break
    return result


def parse_runc_version(stdout):
    """`runc --version` -> {version, commit, spec, go, libseccomp} (missing lines are None)."""
    result = {"version": None, "commit": None, "spec": None, "go": None, "libseccomp": None}
    if not isinstance(stdout, str):
        return result
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("runc version "):
            rest = line[len("runc version "):].strip()
            if rest.startswith("spec:"):
                # A `go get` build prints no version at all: "runc version spec: 1.0.0".
                result["spec"] = rest[len("spec:"):].strip() or None
            else:
                result["version"] = rest or None
        else:
            key, sep, value = line.partition(":")
            key = key.strip().lower()
            if sep and key in result and key != "version":
                result[key] = value.strip() or None
    return result


def parse_crun_version(stdout):
    """`crun --version` ("crun version 1.8.1\\ncommit: ...") -> version or None."""
    match = re.search(r"^crun version\s+(\S+)", stdout or "", re.M) if isinstance(stdout, str) else None
    return match.group(1) if match else None


def parse_podman_version(stdout):
    """`podman --version` ("podman version 4.3.1") -> version or None."""
    match = _PODMAN.search(stdout) if isinstance(stdout, str) else None
    return match.group(1) if match else None


def changelog_cves(text):
    """CVE ids a package changelog names, upper-cased, in order of first mention.

    Works on Debian's changelog.Debian text and on `rpm -q --changelog` output alike,
    openEuler's blocks included: "- CVE:CVE-2023-28840,CVE-2023-28841" names two, "- CVE:NA"
    none. An entry's date says nothing here (openEuler's runc 1.0.0.rc3-301 is dated 2021
    and fixes a 2022 CVE): only the ids count.

    Sample output (openEuler 22.03 LTS docker-runc, runc.spec %changelog; the full text is
    tests/data/outputs/openeuler-packages/docker-runc-1.0.0.rc3-310.changelog)::

        * Thu Jun 03 2021 xiadanni<xiadanni1@huawei.com> - 1.0.0.rc3-301
        - Type:CVE
        - CVE:CVE-2022-29162
        - SUG:NA
        - DESC:do not set inheritable capabilities

        * Wed Jan 26 2022 songyanting <songyanting@huawei.com> - 1.0.0.rc3-300
        - Type:bugfix
        - CVE:NA
        - SUG:NA
        - DESC:sync bugfix, include
               1. add check in spec
               2. add mount destination validation(fix CVE-2021-30465)

    >>> changelog_cves("  * CVE-2024-21626: several container breakouts\\n  * cve-2019-5736 fix\\n")
    ['CVE-2024-21626', 'CVE-2019-5736']
    >>> changelog_cves("- Type:CVE\\n- CVE:CVE-2022-29162\\n- SUG:NA\\n\\n- Type:bugfix\\n- CVE:NA\\n"
    ...                "- DESC:2. add mount destination validation(fix CVE-2021-30465)\\n")
    ['CVE-2022-29162', 'CVE-2021-30465']
    >>> changelog_cves("- CVE:CVE-2023-28840,CVE-2023-28841,CVE-2023-28842\\n")
    ['CVE-2023-28840', 'CVE-2023-28841', 'CVE-2023-28842']
    """
    seen = []
    if not isinstance(text, str):
        return seen
    for match in _CVE.finditer(text):
        cve = match.group(0).upper()
        if cve not in seen:
            seen.append(cve)
    return seen


def engine_components(version_body):
    """/version body -> {component name lower-cased: {version, commit}}.

    Components (API >= 1.35) say which daemon, containerd, runc and docker-init the
    engine really uses, whatever else is on PATH.
    """
    components = {}
    if not isinstance(version_body, dict):
        return components
    for comp in version_body.get("Components") or []:
        if not isinstance(comp, dict) or not isinstance(comp.get("Name"), str):
            continue
        details = comp.get("Details") if isinstance(comp.get("Details"), dict) else {}
        version = comp.get("Version")
        components[comp["Name"].lower()] = {
            "version": version if isinstance(version, str) and version else None,
            "commit": details.get("GitCommit") if isinstance(details.get("GitCommit"), str) else None,
        }
    if "engine" not in components and isinstance(version_body.get("Version"), str):
        components["engine"] = {"version": version_body["Version"],
                                "commit": version_body.get("GitCommit")}
    return components


_RPM_NOT_OWNED = re.compile(r"^file (\S+) is not owned by any package", re.M)
_RPM_NO_FILE = re.compile(r"^error: file (\S+): (.+)$", re.M)
_RPM_NOT_INSTALLED = re.compile(r"^package (\S+) is not installed", re.M)


def parse_rpm_package(stdout, stderr=""):
    """`rpm -qf PATH` or `rpm -q NAME` -> {name, version ("VERSION-RELEASE"), arch} or {why}.

    rpm prints the owning package as name-version-release.arch; a name may hold dashes, a
    version and a release none, so the last two dashes split it. Not owned, no such file
    and not installed are answers too ({"why": ...}).

    Sample output (openEuler 20.03 LTS: docker-runc 1.0.0.rc3-103.oe1 owns /usr/bin/runc;
    docker-ce 24.0.5 on CentOS 7: containerd.io owns it)::

        $ rpm -qf /usr/bin/runc
        docker-runc-1.0.0.rc3-103.oe1.aarch64
        $ rpm -qf /usr/bin/runc
        containerd.io-1.6.22-3.1.el7.x86_64
        $ rpm -q docker-runc
        package docker-runc is not installed

    >>> parse_rpm_package("docker-runc-1.0.0.rc3-103.oe1.aarch64\\n")
    {'name': 'docker-runc', 'version': '1.0.0.rc3-103.oe1', 'arch': 'aarch64'}
    >>> parse_rpm_package("containerd.io-1.6.22-3.1.el7.x86_64\\n")["name"]
    'containerd.io'
    >>> parse_rpm_package("package docker-runc is not installed\\n")
    {'why': 'package docker-runc is not installed'}
    >>> parse_rpm_package("", "error: file /usr/bin/podman: No such file or directory\\n")
    {'why': 'no file /usr/bin/podman'}
    """
    stdout = stdout if isinstance(stdout, str) else ""
    stderr = stderr if isinstance(stderr, str) else ""
    for pattern, why in ((_RPM_NOT_OWNED, "%s is not owned by any package"),
                         (_RPM_NOT_INSTALLED, "package %s is not installed")):
        match = pattern.search(stdout) or pattern.search(stderr)
        if match:
            return {"why": why % match.group(1)}
    match = _RPM_NO_FILE.search(stderr) or _RPM_NO_FILE.search(stdout)
    if match:
        return {"why": "no file %s" % match.group(1)}
    line = next((ln.strip() for ln in stdout.splitlines() if ln.strip()), "")
    base, dot, arch = line.rpartition(".")
    if not dot or "-" in arch or not arch:
        base, arch = line, None
    parts = base.rsplit("-", 2)
    if len(parts) != 3 or not all(parts) or " " in line:
        return {"why": "unexpected rpm output %r" % line[:60]}
    return {"name": parts[0], "version": parts[1] + "-" + parts[2], "arch": arch}


_DEB_HEAD = re.compile(r"^([a-z0-9][a-z0-9+.-]+) \(([^()\s]+)\) ([^;]*);", re.M)


def debian_changelog_head(text):
    """The newest entry of a changelog.Debian: {package, version, distribution} or None.

    Sample output (this machine, zcat /usr/share/doc/docker.io/changelog.Debian.gz)::

        docker.io (20.10.24+dfsg1-1+deb12u1) bookworm; urgency=high

          * Team upload
          * Fix CVE-2024-41110: Authz zero length regression

    >>> debian_changelog_head("docker.io (20.10.24+dfsg1-1+deb12u1) bookworm; urgency=high\\n\\n  * Team upload\\n")
    {'package': 'docker.io', 'version': '20.10.24+dfsg1-1+deb12u1', 'distribution': 'bookworm'}
    """
    match = _DEB_HEAD.search(text) if isinstance(text, str) else None
    if not match:
        return None
    return {"package": match.group(1), "version": match.group(2), "distribution": match.group(3).strip()}


# The names the CRI plugin goes by in disabled_plugins: "cri" (the short id docker-ce's
# containerd.io uses) and its gRPC service's full id (dockerd's own containerd, 2.x configs).
CRI_PLUGIN_IDS = ("cri", "io.containerd.grpc.v1.cri")
_TOML_STRING = re.compile(r'"([^"]*)"|\'([^\']*)\'')


def containerd_disabled_plugins(text):
    """The top-level `disabled_plugins` array of /etc/containerd/config.toml, or None when the
    file does not set it (the plugins then all load: containerd enables CRI by default).

    A TOML subset: the key before the first [table], a one- or multi-line array of quoted
    strings, # comments. At most 256 lines are read before the first table.

    Sample output (docker/containerd-packaging common/containerd.toml, what docker-ce's
    containerd.io installs)::

        disabled_plugins = ["cri"]

        #root = "/var/lib/containerd"

    >>> containerd_disabled_plugins('#   Copyright 2018-2022 Docker Inc.\\n\\ndisabled_plugins = ["cri"]\\n#root = "/var/lib/containerd"\\n')
    ['cri']
    >>> containerd_disabled_plugins('version = 2\\n\\n[plugins]\\n  [plugins."io.containerd.grpc.v1.cri"]\\n') is None
    True
    >>> containerd_disabled_plugins('disabled_plugins = [\\n  "io.containerd.grpc.v1.cri", # no CRI\\n  \\'aufs\\',\\n]\\n')
    ['io.containerd.grpc.v1.cri', 'aufs']
    """
    if not isinstance(text, str):
        return None
    collected, inside = None, False
    for count, raw in enumerate(text.splitlines()):
        if count >= 256:
            break
        line = _toml_strip_comment(raw).strip()
        if not inside:
            if line.startswith("["):
                return None
            key, sep, value = line.partition("=")
            if not sep or key.strip().strip('"') != "disabled_plugins":
                continue
            collected, inside, line = "", True, value.strip()
        collected += " " + line
        if "]" in line:
            return [double or single for double, single in _TOML_STRING.findall(collected)]
    return None


def _toml_strip_comment(line):
    """A line without its # comment (a # inside a quoted string stays)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
    return line

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

    Works on Debian's changelog.Debian text and on `rpm -q --changelog` output alike.

    >>> changelog_cves("  * CVE-2024-21626: several container breakouts\\n  * cve-2019-5736 fix\\n")
    ['CVE-2024-21626', 'CVE-2019-5736']
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

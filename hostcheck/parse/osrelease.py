"""Operating system identity from /etc/os-release and the vendor release files.

The release files are read by the `distro` library (never re-implemented here): the
captured texts are written under a private temporary root and read with
``distro.LinuxDistribution(root_dir=...)``, which never looks at the live host. On top
of that comes vendor knowledge distro does not have: Kylin V10 service packs, UOS
server vs desktop, the package family of the domestic distributions.

Sample output::

    $ cat /etc/os-release            # Kylin V10 SP3 (Lance), aarch64 and x86_64 alike
    NAME="Kylin Linux Advanced Server"
    VERSION="V10 (Lance)"
    ID="kylin"
    VERSION_ID="V10"
    PRETTY_NAME="Kylin Linux Advanced Server V10 (Lance)"
    ANSI_COLOR="0;31"
    $ cat /etc/kylin-release
    Kylin Linux Advanced Server release V10 (Lance)

>>> info = identify({"/etc/os-release": 'NAME="Kylin Linux Advanced Server"\\nVERSION="V10 (Lance)"\\n'
...                  'ID="kylin"\\nVERSION_ID="V10"\\nPRETTY_NAME="Kylin Linux Advanced Server V10 (Lance)"\\n'})
>>> info["id"], info["version"], info["family"], info["package_manager"], info["service_pack"]
('kylin', 'V10', 'rhel', 'dnf', 'SP3')
"""

import os

# Files the capture records (SPEC "Required probes"), in the order they are materialised.
from hostcheck.capture.probes import RELEASE_FILES  # noqa: E402

# What of each release file distro may read. distro parses os-release with shlex, which
# grows each token one character at a time (quadratic in the token's length): one 1 MiB
# line took 26-60 s, and a quoted value may span lines, so a line limit alone is not
# enough. Real release files are under 2 KiB with lines under 200 characters; beyond
# these limits only the first RELEASE_FILE_LIMIT characters are read, and longer lines
# are dropped (a 16 KiB quoted value costs distro ~0.2 s on a loaded 2-core VM).
RELEASE_FILE_LIMIT = 16 * 1024
RELEASE_LINE_LIMIT = 1024

# Kylin Linux Advanced Server V10 names each service pack in VERSION / kylin-release:
# "V10 (Tercel)" is SP1 (the vendor image kylin-server-minimal:v10sp1 says Tercel),
# "V10 (Sword)" SP2, "V10 (Lance)" SP3, "V10 (Halberd)" the SP3 2403 update.
KYLIN_SERVICE_PACKS = {"tercel": "SP1", "sword": "SP2", "lance": "SP3", "halberd": "SP3-2403"}

# IDs whose packages are RPMs managed by yum/dnf.
RHEL_FAMILY = frozenset((
    "rhel", "centos", "rocky", "almalinux", "fedora", "ol", "oracle", "kylin", "openeuler",
    "anolis", "euleros", "hce", "tencentos", "tlinux", "alinux", "amzn", "circle", "eurolinux",
    "uniontech", "bclinux", "ctyunos", "nfs", "opencloudos", "kylinsec", "virtuozzo", "cloudlinux",
))
DEBIAN_FAMILY = frozenset(("debian", "ubuntu", "deepin", "uos", "linuxmint", "raspbian", "kali",
                           "pop", "elementary", "astra", "neokylin-desktop", "devuan"))
SUSE_FAMILY = frozenset(("sles", "sled", "opensuse", "opensuse-leap", "opensuse-tumbleweed", "suse"))
# RHEL-likes that still use yum (no dnf) before major version 8.
YUM_BEFORE_8 = frozenset(("rhel", "centos", "ol", "oracle", "scientific", "cloudlinux", "amzn",
                          "tencentos", "tlinux", "alinux", "bclinux", "eurolinux", "virtuozzo"))
# UOS server codenames: kongzi = "A" (openAnolis based), fuyu = "E" (openEuler based),
# kongli = "C" (CentOS based); all RPM. Desktop UOS is Debian based (ansible issue 86957).
UOS_SERVER_CODENAMES = frozenset(("kongzi", "fuyu", "kongli"))


def identify(files):
    """Identify the distribution from captured release files.

    `files` maps absolute paths (as in the capture) to their text; absent files are
    simply not in the mapping. Returns a dict with id, name, version, like, codename,
    family, package_manager, service_pack (values may be None), and `sources` (the
    paths that were present).
    """
    import distro  # lazy: ~10 ms of import the capture-free paths should not pay

    present = {}
    for path in RELEASE_FILES:
        text = files.get(path)
        if isinstance(text, str):
            present[path] = bounded(text)
    try:
        info = _read_with_distro(distro, present)
    except ValueError:
        # distro's shlex raises on an unbalanced quote (a truncated or hand-edited file):
        # drop such lines and read what is left.
        info = _read_with_distro(distro, {p: _balanced_lines(t) for p, t in present.items()})
    info["sources"] = sorted(present)
    _apply_vendor_knowledge(info, present)
    return info


def bounded(text):
    """The part of a release file handed to distro: the first RELEASE_FILE_LIMIT characters
    (whole lines), without lines over RELEASE_LINE_LIMIT. A real file is returned as is.

    >>> bounded('NAME="x"\\n' + "A=" + "y" * 5000 + "\\nID=z\\n")
    'NAME="x"\\nID=z\\n'
    """
    lines = text[:RELEASE_FILE_LIMIT + 1].split("\n")
    if len(text) > RELEASE_FILE_LIMIT:
        lines[-1] = ""      # cut at the last whole line
    if len(text) <= RELEASE_FILE_LIMIT and all(len(line) <= RELEASE_LINE_LIMIT for line in lines):
        return text
    return "\n".join(line for line in lines if len(line) <= RELEASE_LINE_LIMIT)


def _balanced_lines(text):
    kept = []
    for line in text.splitlines():
        bare = line.replace("\\\\", "").replace('\\"', "").replace("\\'", "")
        if bare.count('"') % 2 == 0 and bare.count("'") % 2 == 0:
            kept.append(line)
    return "\n".join(kept) + "\n"


def _private_root():
    """A new directory that only this user may enter, in $TMPDIR or /tmp: what
    tempfile.mkdtemp makes, without importing tempfile (~5 ms: shutil, random, bz2, lzma)
    on every run; tempfile's own search for a writable place when neither will do."""
    base = os.path.abspath(os.environ.get("TMPDIR") or "/tmp")
    for _ in range(10):
        root = os.path.join(base, "hostcheck-os-%s" % os.urandom(8).hex())
        try:
            os.mkdir(root, 0o700)
            return root
        except FileExistsError:
            continue
        except OSError:
            break
    import tempfile
    return tempfile.mkdtemp(prefix="hostcheck-os-")


def _remove_tree(root):
    """Remove `root` and what this module wrote under it (plain files and directories)."""
    for directory, subdirs, files in os.walk(root, topdown=False):
        for name in files:
            os.unlink(os.path.join(directory, name))
        for name in subdirs:
            os.rmdir(os.path.join(directory, name))
    os.rmdir(root)


def _read_with_distro(distro, present):
    root = _private_root()
    try:
        return _read_in(distro, present, root)
    finally:
        _remove_tree(root)


def _read_in(distro, present, root):
    for path, text in present.items():
        target = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8", errors="replace") as handle:
            handle.write(text)
    dist = distro.LinuxDistribution(root_dir=root, include_lsb=False, include_uname=False,
                                    include_oslevel=False)
    os_release = dist.os_release_info()
    distro_release = dist.distro_release_info()
    raw_id = (os_release.get("id") or "").lower()
    info = {
        "id": raw_id or dist.id() or None,
        "name": dist.name(pretty=True) or None,
        "version": dist.version(best=True) or None,
        "like": dist.like().split() if dist.like() else [],
        "codename": dist.codename() or None,
        "platform_id": os_release.get("platform_id"),
        "release_file_name": distro_release.get("name"),
    }
    return info


def _apply_vendor_knowledge(info, present):
    os_id = info.get("id") or ""
    codename = (info.get("codename") or "").strip()
    info["service_pack"] = None
    if not os_id and "/etc/debian_version" in present:
        # Debian without os-release (very old, or a stripped image): debian_version says it.
        info["id"] = os_id = "debian"
        info["version"] = info.get("version") or present["/etc/debian_version"].strip() or None
    if os_id == "kylin":
        info["service_pack"] = KYLIN_SERVICE_PACKS.get(codename.lower())
    elif os_id == "openeuler" and codename.upper().startswith("LTS-SP"):
        # openEuler-release "openEuler release 22.03 (LTS-SP3)": the codename is the SP.
        info["service_pack"] = codename.upper()[len("LTS-"):]
    info["family"] = os_family(os_id, info.get("like") or [], info.get("platform_id"), codename, present)
    info["package_manager"] = package_manager(info["family"], os_id, info.get("version"))


def os_family(os_id, like, platform_id=None, codename="", present=()):
    """Package family: rhel | debian | suse | other.

    >>> os_family("uos", [], "platform:uel20", "fuyu")
    'rhel'
    >>> os_family("uos", [], None, "eagle")
    'debian'
    >>> os_family("kylin", ["debian"])
    'debian'
    """
    like = [w.lower() for w in like]
    if os_id == "uos":
        # UOS Server sets PLATFORM_ID="platform:uel20"/"uelc20"; the desktop never does.
        if (platform_id or "").startswith("platform:uel") or codename.lower() in UOS_SERVER_CODENAMES \
                or "/etc/redhat-release" in present:
            return "rhel"
        return "debian"
    if os_id == "kylin" and ("debian" in like or "ubuntu" in like):
        return "debian"  # Kylin desktop (V10 desktop, 4.0.2) is Ubuntu based
    if os_id in RHEL_FAMILY:
        return "rhel"
    if os_id in DEBIAN_FAMILY:
        return "debian"
    if os_id in SUSE_FAMILY or os_id.startswith("opensuse"):
        return "suse"
    for word in like:
        if word in ("rhel", "fedora", "centos"):
            return "rhel"
        if word in ("debian", "ubuntu"):
            return "debian"
        if word in ("suse", "opensuse"):
            return "suse"
    if "/etc/redhat-release" in present or "/etc/centos-release" in present:
        return "rhel"
    if "/etc/debian_version" in present:
        return "debian"
    return "other"


def package_manager(family, os_id, version):
    """dnf | yum | apt | zypper | unknown.

    >>> package_manager("rhel", "centos", "7.9.2009"), package_manager("rhel", "openeuler", "22.03")
    ('yum', 'dnf')
    """
    if family == "debian":
        return "apt"
    if family == "suse":
        return "zypper"
    if family == "rhel":
        major = _major(version)
        if os_id in YUM_BEFORE_8 and (major is None or major < 8):
            # Amazon Linux 2 is "2" and yum; 2023 is dnf.
            if os_id == "amzn" and major is not None and major >= 2022:
                return "dnf"
            return "yum"
        return "dnf"
    return "unknown"


def _major(version):
    digits = ""
    for char in version or "":
        if char.isdigit():
            digits += char
        elif digits:
            break
    return int(digits) if digits else None

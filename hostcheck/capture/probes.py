"""THE probe inventory: every file, directory, command and engine path the capture reads.

Data only (and one tiny pure helper), standard library, Python 3.6: the capture runs these
probes, and the parsers and combiners import the same names to read their answers, so
the two can never drift (tests/test_probes.py checks every combiner input against it).
"""

CHANGELOG_LIMIT = 64 * 1024          # a package changelog: its newest entries are enough
FILE_LIMIT = 8 * 1024 * 1024

# --- identity -------------------------------------------------------------------------
# os-release(5): /etc/os-release, else /usr/lib/os-release; then the vendors' own files.
RELEASE_FILES = (
    "/etc/os-release", "/usr/lib/os-release",
    "/etc/kylin-release", "/etc/openEuler-release", "/etc/redhat-release", "/etc/centos-release",
    "/etc/lsb-release", "/etc/debian_version", "/etc/uos-release",
)

# --- binfmt_misc ----------------------------------------------------------------------
BINFMT_DIR = "/proc/sys/fs/binfmt_misc"
# Where a registration is re-made at boot: systemd-binfmt reads *.conf in the binfmt.d
# directories (binfmt.d(5)); binfmt-support keeps one file per entry in /var/lib/binfmts.
BINFMT_BOOT_DIRS = ("/etc/binfmt.d", "/run/binfmt.d", "/usr/lib/binfmt.d", "/var/lib/binfmts")


def binfmt_mount_state(mounts_text, mountpoint=BINFMT_DIR):
    """(mounted, automount_only) for `mountpoint` from /proc/mounts text; (None, None) unreadable.

    systemd's proc-sys-fs-binfmt_misc.automount shows an autofs entry at the mountpoint;
    the real filesystem appears beside it once something touches the directory, which
    the capture must never do (SPEC).

    >>> binfmt_mount_state("systemd-1 /proc/sys/fs/binfmt_misc autofs rw 0 0\\n")
    (False, True)
    >>> binfmt_mount_state("binfmt_misc /proc/sys/fs/binfmt_misc binfmt_misc rw 0 0\\n")
    (True, False)
    """
    if not isinstance(mounts_text, str):
        return None, None
    fstypes = set()
    for line in mounts_text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[1] == mountpoint:
            fstypes.add(words[2])
    mounted = "binfmt_misc" in fstypes
    return mounted, (not mounted and "autofs" in fstypes)


# --- Docker's configuration -----------------------------------------------------------
DAEMON_JSON = "/etc/docker/daemon.json"
# Unit files in systemd's order of precedence (the first present wins), then drop-ins.
DOCKER_UNIT_FILES = ("/etc/systemd/system/docker.service", "/usr/lib/systemd/system/docker.service",
                     "/lib/systemd/system/docker.service")
DOCKER_DROPIN_DIR = "/etc/systemd/system/docker.service.d"      # its *.conf files are read too
DOCKER_ENV_FILES = ("/etc/sysconfig/docker", "/etc/default/docker")

# --- kernel and sysctl ----------------------------------------------------------------
KERNEL_CONFIG = "/proc/config.gz"    # else /boot/config-<uname -r>
BOOT_CONFIG = "/boot/config-%s"
IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"
BRIDGE_NF_CALL_IPTABLES = "/proc/sys/net/bridge/bridge-nf-call-iptables"
CGROUP_CONTROLLERS = "/sys/fs/cgroup/cgroup.controllers"
SELINUX_ENFORCE = "/sys/fs/selinux/enforce"
APPARMOR_ENABLED = "/sys/module/apparmor/parameters/enabled"
# containerd's own configuration: is its CRI plugin disabled (docker-ce's containerd.io ships
# `disabled_plugins = ["cri"]`)? Several containerd CVEs are reachable only through CRI.
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
RESOLV_CONF = "/etc/resolv.conf"
RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf"
# firewalld 2.3 StrictForwardPorts; kubeadm's KubeletConfiguration (failCgroupV1, kubelet >= 1.35).
FIREWALLD_CONF = "/etc/firewalld/firewalld.conf"
KUBELET_CONFIG = "/var/lib/kubelet/config.yaml"

FILES = RELEASE_FILES + (
    "/proc/version", "/proc/cpuinfo", "/proc/filesystems", "/proc/modules", "/proc/cmdline",
    IP_FORWARD, "/proc/sys/net/ipv6/conf/all/forwarding",
    BRIDGE_NF_CALL_IPTABLES, "/proc/sys/net/bridge/bridge-nf-call-ip6tables",
    "/proc/sys/user/max_user_namespaces",
    "/proc/net/route",
    RESOLV_CONF, RESOLVED_UPSTREAM,
    DAEMON_JSON,
) + DOCKER_ENV_FILES + DOCKER_UNIT_FILES + (
    CGROUP_CONTROLLERS, SELINUX_ENFORCE, APPARMOR_ENABLED, CONTAINERD_CONFIG,
    FIREWALLD_CONF, KUBELET_CONFIG,
)
# Directories listed (names only).
DIRS = BINFMT_BOOT_DIRS

# --- package changelogs (distributions backport fixes without changing the version) ----
RUNC_DEB_CHANGELOGS = ("/usr/share/doc/runc/changelog.Debian.gz",)
CONTAINERD_DEB_CHANGELOGS = ("/usr/share/doc/containerd/changelog.Debian.gz",)
# The engine's and podman's own packages (Debian/Ubuntu docker.io, podman).
DOCKER_IO_DEB_CHANGELOGS = ("/usr/share/doc/docker.io/changelog.Debian.gz",)
PODMAN_DEB_CHANGELOGS = ("/usr/share/doc/podman/changelog.Debian.gz",)
DEB_CHANGELOGS = RUNC_DEB_CHANGELOGS + CONTAINERD_DEB_CHANGELOGS \
    + DOCKER_IO_DEB_CHANGELOGS + PODMAN_DEB_CHANGELOGS              # stored gunzipped, first 64 KiB
RPM_RUNC_CHANGELOG = ("rpm", "-q", "--changelog", "runc")
RPM_CONTAINERD_CHANGELOG = ("rpm", "-q", "--changelog", "containerd.io", "containerd")
# Package names differ per distribution (openEuler/Kylin: runc is the package docker-runc,
# containerd and dockerd ship inside docker-engine): ask rpm which package owns each binary,
# and that package's changelog.
RUNC_BINARY, CONTAINERD_BINARY, DOCKERD_BINARY, PODMAN_BINARY = \
    "/usr/bin/runc", "/usr/bin/containerd", "/usr/bin/dockerd", "/usr/bin/podman"
OWNED_BINARIES = (RUNC_BINARY, CONTAINERD_BINARY, DOCKERD_BINARY, PODMAN_BINARY)
RPM_OWNER_COMMANDS = tuple(("rpm", "-qf", path) for path in OWNED_BINARIES) + (("rpm", "-q", "docker-runc"),)
RPM_CHANGELOG_COMMANDS = (RPM_RUNC_CHANGELOG, RPM_CONTAINERD_CHANGELOG) \
    + tuple(("rpm", "-qf", "--changelog", path) for path in OWNED_BINARIES)
# rpm is asked only where the host keeps an rpm database: on a Debian host with the rpm tool
# installed, rpm's default database lives in root's home and even a query creates it
# (~/.rpmdb/rpmdb.sqlite-shm), which would break "hostcheck never changes the host".
# Fedora 36+/openSUSE: /usr/lib/sysimage/rpm; RHEL/CentOS/openEuler/Kylin: /var/lib/rpm
# (Berkeley DB "Packages", sqlite "rpmdb.sqlite", ndb "Packages.db").
RPM_DATABASE_DIRS = ("/usr/lib/sysimage/rpm", "/var/lib/rpm")
RPM_DATABASE_FILES = ("rpmdb.sqlite", "Packages", "Packages.db")

# --- stat ------------------------------------------------------------------------------
DOCKER_SOCKET = "/var/run/docker.sock"
DOCKER_CLIENT_PATHS = ("/usr/local/bin/docker", "/usr/bin/docker", "/snap/bin/docker")   # root's PATH order
DOCKERD_PATHS = ("/usr/local/bin/dockerd", "/usr/bin/dockerd")
APPARMOR_PARSERS = ("/sbin/apparmor_parser", "/usr/sbin/apparmor_parser")
LOONGARCH_LOADERS = ("/lib64/ld.so.1", "/lib64/ld-linux-loongarch-lp64d.so.1")   # old world, new world
# containerd's state directories: CVE-2024-25621's fix chmods them to 0700 at start (0711
# before); the CRI ones exist only where the CRI plugin has run.
CONTAINERD_STATE_DIRS = ("/var/lib/containerd", "/run/containerd/io.containerd.grpc.v1.cri",
                         "/run/containerd/io.containerd.sandbox.controller.v1.shim")
STAT_PATHS = (DOCKER_SOCKET, "/run/containerd/containerd.sock") \
    + DOCKER_CLIENT_PATHS + DOCKERD_PATHS \
    + APPARMOR_PARSERS \
    + LOONGARCH_LOADERS + CONTAINERD_STATE_DIRS
# (Several installs of one engine shadow each other; AppArmor enabled without its parser
# makes every container fail to start before Docker 23.0.1.)

# --- commands ----------------------------------------------------------------------------
# The engine's /version names the daemon, containerd and runc it really uses: these run
# only when the engine did not answer.
ENGINE_VERSION_COMMANDS = (("dockerd", "--version"), ("containerd", "--version"), ("runc", "--version"))
# Run only when a firewalld process exists (firewall-cmd is a Python program: ~86 ms).
FIREWALL_COMMANDS = (("firewall-cmd", "--state"), ("firewall-cmd", "--get-active-zones"),
                     # every zone's services, ports and protocols: what swarm's ports meet
                     ("firewall-cmd", "--list-all-zones"))
ROOT_ONLY = frozenset(("iptables-save", "ip6tables-save", "iptables-legacy-save", "iptables-nft-save"))
# Slowest first (Go binaries take tens of ms to start): they bound the capture's wall time.
COMMANDS = (
    ("podman", "--version"), ("docker", "--version"), ("crun", "--version"),
    # Kylin V10's own Docker packages ship docker-runc, which conflicts with containerd.io.
    ("docker-runc", "--version"),
    ("iptables", "--version"), ("iptables-save",), ("ip6tables-save",),
    ("iptables-legacy-save",), ("iptables-nft-save",),
    ("ip", "-j", "addr"), ("ip", "-j", "route"), ("ip", "-j", "-6", "route"),
    ("getconf", "PAGESIZE"),
    # A Kubernetes node beside Docker: kubelet >= 1.35 refuses cgroup v1 by default.
    ("kubelet", "--version"),
)

# --- the engine ---------------------------------------------------------------------------
ENGINE_LISTS = ("/version", "/info", "/containers/json?all=1", "/networks", "/images/json")
LOG_TAIL = 50
SOCKET_TABLES = ("tcp", "tcp6", "udp", "udp6")    # per network namespace, for the net trees
DAEMON_NAMES = frozenset(("dockerd", "containerd", "podman"))    # their command lines are kept


def command_key(argv):
    """The capture's key for a command: its argv joined by single spaces (SPEC)."""
    return " ".join(argv)


def inventory():
    """{"file": {...}, "dir": {...}, "stat": {...}, "command": {...}, "engine": {...}}: the
    literal keys a capture may hold (patterns such as /proc/<pid>/net/tcp are not listed)."""
    files = set(FILES) | set(DEB_CHANGELOGS) | {"/proc/mounts", KERNEL_CONFIG, BINFMT_DIR + "/status"}
    commands = set(command_key(argv) for argv in COMMANDS + ENGINE_VERSION_COMMANDS + FIREWALL_COMMANDS
                   + RPM_CHANGELOG_COMMANDS + RPM_OWNER_COMMANDS)
    return {"file": files, "dir": set(DIRS) | {BINFMT_DIR, DOCKER_DROPIN_DIR}, "stat": set(STAT_PATHS),
            "command": commands, "engine": set(ENGINE_LISTS)}

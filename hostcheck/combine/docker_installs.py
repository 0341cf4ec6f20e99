"""Where the docker client and dockerd are installed (several copies shadow each other, see
hostcheck.parse.installs), and which packages ship dockerd, containerd and runc.

The package is the distribution's word on a binary: docker.io (Debian, Ubuntu), docker-engine
with docker-runc (openEuler, Kylin), moby-engine (Fedora), docker (Amazon Linux, RHEL 7) are
distribution builds patched by their distribution; docker-ce and containerd.io are Docker's
upstream builds. Debian's package is the one whose changelog.Debian is there (its newest
entry gives the version); on rpm systems, the package that owns the binary (`rpm -qf`).
"""

from hostcheck.capture import probes
from hostcheck.parse import installs, runtimes

# (fact of the package name, fact of its version, Debian changelogs, binary rpm is asked about)
PACKAGE_FACTS = (
    ("docker.package.name", "docker.package.version", probes.DOCKER_IO_DEB_CHANGELOGS, probes.DOCKERD_BINARY),
    ("runtimes.runc.package", "runtimes.runc.package_version", probes.RUNC_DEB_CHANGELOGS, probes.RUNC_BINARY),
    ("runtimes.containerd.package", "runtimes.containerd.package_version", probes.CONTAINERD_DEB_CHANGELOGS,
     probes.CONTAINERD_BINARY),
)
FACTS = ("docker.client.paths", "docker.client.copies", "docker.dockerd.paths", "docker.dockerd.copies") \
    + tuple(name for facts in PACKAGE_FACTS for name in facts[:2])
INPUTS = tuple("stat:" + path for path in installs.CLIENT_PATHS + installs.DAEMON_PATHS) \
    + ("docker.dockerd.unit_binary", "docker.dockerd.running_binary") \
    + tuple("file:" + path for _, _, deb_paths, _ in PACKAGE_FACTS for path in deb_paths) \
    + tuple("command:" + probes.command_key(("rpm", "-qf", path)) for _, _, _, path in PACKAGE_FACTS)
PARSERS = (installs.present, runtimes.debian_changelog_head, runtimes.parse_rpm_package)


def _unknown_stat(stats, paths):
    missing = [p for p in paths if p not in stats]
    if missing:
        return "stat %s: not captured" % ", ".join(missing)
    return None


def build(view, facts):
    for name_fact, version_fact, deb_paths, binary in PACKAGE_FACTS:
        _package(view, facts, name_fact, version_fact, deb_paths, binary)
    _copies(view, facts)


def _package(view, facts, name_fact, version_fact, deb_paths, binary):
    reasons = []
    for path in deb_paths:
        text, reason = view.file(path)
        head = runtimes.debian_changelog_head(text) if text else None
        if head:
            facts.set(name_fact, head["package"])
            facts.set(version_fact, head["version"])
            return
        if view.has_file(path):
            reasons.append(reason or "%s: no changelog entry" % path)
    key = probes.command_key(("rpm", "-qf", binary))
    run = view.command(key)
    if run.ran:
        owner = runtimes.parse_rpm_package(run.stdout, run.stderr)
        if "name" in owner:
            facts.set(name_fact, owner["name"])
            facts.set(version_fact, owner["version"])
            return
        reasons.append("%s: %s" % (key, owner["why"]))
    elif view.has_command(key):
        reasons.append(run.failure())
    reason = "; ".join(r for r in reasons if r) or "no package of %s captured (changelog.Debian, %s)" % (
        binary.rsplit("/", 1)[-1], key)
    facts.missing(name_fact, reason)
    facts.missing(version_fact, reason)


def _copies(view, facts):
    stats = {}
    for path in installs.CLIENT_PATHS + installs.DAEMON_PATHS:
        entry = view.stat(path)
        if entry is not None:
            stats[path] = entry
    reason = _unknown_stat(stats, installs.CLIENT_PATHS)
    if reason:
        facts.missing("docker.client.paths", reason)
        facts.missing("docker.client.copies", reason)
    else:
        clients = installs.present(stats, installs.CLIENT_PATHS)
        facts.set("docker.client.paths", clients)
        facts.set("docker.client.copies", len(clients))
    reason = _unknown_stat(stats, installs.DAEMON_PATHS)
    if reason:
        facts.missing("docker.dockerd.paths", reason)
        facts.missing("docker.dockerd.copies", reason)
        return
    daemons = installs.present(stats, installs.DAEMON_PATHS)
    for extra in (facts.get("docker.dockerd.unit_binary"), facts.get("docker.dockerd.running_binary")):
        if extra and extra not in daemons:
            daemons.append(extra)
    facts.set("docker.dockerd.paths", daemons)
    facts.set("docker.dockerd.copies", len(daemons))

"""Where the docker client and dockerd are installed: several copies shadow each other
(see hostcheck.parse.installs)."""

from hostcheck.parse import installs

FACTS = ("docker.client.paths", "docker.client.copies", "docker.dockerd.paths", "docker.dockerd.copies")
INPUTS = tuple("stat:" + path for path in installs.CLIENT_PATHS + installs.DAEMON_PATHS) \
    + ("docker.dockerd.unit_binary", "docker.dockerd.running_binary")
PARSERS = (installs.present,)


def _unknown_stat(stats, paths):
    missing = [p for p in paths if p not in stats]
    if missing:
        return "stat %s: not captured" % ", ".join(missing)
    return None


def build(view, facts):
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

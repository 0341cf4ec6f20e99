"""Where the docker client and dockerd are installed: several copies shadow each other.

A distribution or docker-ce package puts them in /usr/bin (Debian's docker.io: dockerd in
/usr/sbin), the static tarball and hand copies in /usr/local/bin, the snap in /snap/bin.
root's PATH (sudo's secure_path, systemd) searches /usr/local/bin before /usr/bin and
/snap/bin last, so a copy in /usr/local/bin wins over the package's at the shell, while
docker.service keeps starting the binary its ExecStart names.

The capture's stat section on this machine (docker-ce-cli 28.2's static client in
/usr/local/bin beside Debian's docker.io 20.10 in /usr/bin).

Sample output::

    "/usr/bin/docker": {"gid": 0, "mode": "0755", "type": "file", "uid": 0},
    "/usr/local/bin/docker": {"gid": 0, "mode": "0755", "type": "file", "uid": 0},
    "/snap/bin/docker": {"error": "not_found"},
    "/usr/bin/dockerd": {"error": "not_found"},
    "/usr/local/bin/dockerd": {"error": "not_found"}

>>> stats = {"/usr/bin/docker": {"type": "file"}, "/usr/local/bin/docker": {"type": "file"},
...          "/snap/bin/docker": {"error": "not_found"}}
>>> present(stats, CLIENT_PATHS)
['/usr/local/bin/docker', '/usr/bin/docker']
>>> canonical("/sbin/dockerd"), canonical("dockerd")
('/usr/sbin/dockerd', None)
"""

# In root's PATH order: the first present one is what `docker` runs.
CLIENT_PATHS = ("/usr/local/bin/docker", "/usr/bin/docker", "/snap/bin/docker")
DAEMON_PATHS = ("/usr/local/bin/dockerd", "/usr/bin/dockerd")
FACTS = ("docker.client.paths", "docker.client.copies", "docker.dockerd.paths", "docker.dockerd.copies",
         "docker.dockerd.unit_binary", "docker.dockerd.running_binary")


def present(stats, paths):
    """The paths whose stat found something (a file, or a symlink's target)."""
    return [p for p in paths if isinstance(stats.get(p), dict) and "type" in stats[p]]


def canonical(path):
    """An absolute binary path with merged-/usr aliases folded (/bin/x is /usr/bin/x on
    Debian 12, EL 7+); None for a bare name ("dockerd" started from PATH)."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    for short in ("/bin/", "/sbin/"):
        if path.startswith(short):
            return "/usr" + path
    return path


def _unknown_stat(stats, paths):
    missing = [p for p in paths if not isinstance(stats.get(p), dict)]
    if missing:
        return "stat %s: not captured" % ", ".join(missing)
    return None


def build(view, facts, state):
    """Fill FACTS (called by hostcheck.parse.build_facts after the engine area)."""
    stats = view.section("stat")
    reason = _unknown_stat(stats, CLIENT_PATHS)
    if reason:
        facts.missing("docker.client.paths", reason)
        facts.missing("docker.client.copies", reason)
    else:
        clients = present(stats, CLIENT_PATHS)
        facts.set("docker.client.paths", clients)
        facts.set("docker.client.copies", len(clients))
    unit = state.get("unit_dockerd")
    unit_binary = canonical(unit.split()[0]) if isinstance(unit, str) and unit.split() else None
    if unit_binary:
        facts.set("docker.dockerd.unit_binary", unit_binary)
    else:
        facts.missing("docker.dockerd.unit_binary", "docker.service: no ExecStart captured")
    running = state.get("running_dockerd")
    running_binary = canonical(running["binary"]) if running else None
    if running_binary:
        facts.set("docker.dockerd.running_binary", running_binary)
    elif running:
        facts.missing("docker.dockerd.running_binary",
                      "dockerd (pid %s) was started as %r, without its path" % (running["pid"], running["binary"]))
    else:
        facts.missing("docker.dockerd.running_binary", "no running dockerd's command line captured")
    reason = _unknown_stat(stats, DAEMON_PATHS)
    if reason:
        facts.missing("docker.dockerd.paths", reason)
        facts.missing("docker.dockerd.copies", reason)
        return
    daemons = present(stats, DAEMON_PATHS)
    for extra in (unit_binary, running_binary):
        if extra and extra not in daemons:
            daemons.append(extra)
    facts.set("docker.dockerd.paths", daemons)
    facts.set("docker.dockerd.copies", len(daemons))

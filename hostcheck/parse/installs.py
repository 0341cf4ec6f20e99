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

from hostcheck.capture.probes import DOCKER_CLIENT_PATHS as CLIENT_PATHS, DOCKERD_PATHS as DAEMON_PATHS  # noqa: F401

# In root's PATH order: the first present one is what `docker` runs.


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

"""The engine's unix socket: its mode and group (who may talk to dockerd)."""

from hostcheck.capture.probes import DOCKER_SOCKET

FACTS = ("docker.socket.mode", "docker.socket.gid")
INPUTS = ("stat:<endpoint socket>", "stat:" + DOCKER_SOCKET, "docker.endpoint")
PARSERS = ()


def socket_path(endpoint):
    """unix:///run/user/1000/docker.sock -> /run/user/1000/docker.sock; the default socket otherwise."""
    if isinstance(endpoint, str) and endpoint.startswith("unix://"):
        return endpoint[len("unix://"):]
    return DOCKER_SOCKET


def build(view, facts):
    path = socket_path(facts.get("docker.endpoint"))
    entry = view.stat(path) or view.stat(DOCKER_SOCKET)
    if entry is None:
        reason = "stat %s: not captured" % path
    elif "error" in entry:
        reason = "stat %s: %s" % (path, entry.get("error"))
    else:
        reason = None
    mode = entry.get("mode") if entry and reason is None else None
    if isinstance(mode, str) and mode:
        facts.set("docker.socket.mode", mode)
    else:
        facts.missing("docker.socket.mode", reason or "stat %s: no mode" % path)
    gid = entry.get("gid") if entry and reason is None else None
    if isinstance(gid, int) and not isinstance(gid, bool):
        facts.set("docker.socket.gid", gid)
    else:
        facts.missing("docker.socket.gid", reason or "stat %s: no gid" % path)

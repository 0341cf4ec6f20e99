"""Docker Engine API bodies (as the capture recorded them) -> engine facts.

Sample output::

    $ curl -s --unix-socket /var/run/docker.sock http://d/info | jq '{Driver,DriverStatus,CgroupDriver,CgroupVersion}'
    {
      "Driver": "overlay2",
      "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"],
                       ["Native Overlay Diff", "true"], ["userxattr", "false"]],
      "CgroupDriver": "cgroupfs",
      "CgroupVersion": "1"
    }

>>> parse_info({"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "xfs"], ["Supports d_type", "false"]]})["supports_d_type"]
False
"""

import json

from hostcheck.parse import daemon

# docker.error CODE -> docker.state, for captures that recorded no docker.state of their own.
_STATES = {"not_found": "not_installed", "not_running": "not_running",
           "permission_denied": "permission_denied", "timeout": "timeout"}
# Said to a person as the reason a rule is skipped: words, not state names. The keys are
# docker.state's values (the capture's docker.state, hostcheck.capture.engine_api.STATES).
STATE_REASONS = {
    "not_installed": "Docker is not installed",
    "not_running": "the Docker engine is not running",
    "socket_missing": "there is no engine socket where the engine was looked for",
    "refused": "the engine's address refused the connection (nothing listens there)",
    "unreachable": "the engine's address cannot be reached from this host",
    "permission_denied": "the Docker engine could not be read (permission denied: run as root or a member of the docker group)",
    "tls_error": "the TLS connection to the engine failed",
    "timeout": "the Docker engine did not answer in time",
    "ssh_error": "ssh to the engine's host failed",
    "unsupported": "hostcheck cannot reach an engine of this kind",
    "bad_endpoint": "the engine named (DOCKER_HOST, -H or a docker context) cannot be used",
    "error": "the Docker engine answered with an error",
}
# The default socket, as dockerd's own flags may name it.
_DEFAULT_HOSTS = ["unix:///var/run/docker.sock"]


def _str(value):
    return value if isinstance(value, str) and value else None


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


def engine_state(docker, dockerd_installed, dockerd_hosts=None):
    """(state, reason) from the capture's "docker" section.

    The capture's own docker.state when it recorded one, else one derived from its CODE
    (captures of older hostcheck): `dockerd_installed` (True/False/None) tells a missing
    socket on a host without the daemon ("not_installed") from a daemon that is installed
    but stopped ("not_running"). `dockerd_hosts` (see dockerd_hosts(); None: no process
    table) corrects what a socket alone cannot tell: no socket where the engine was looked
    for while a dockerd runs is `socket_missing` (it listens elsewhere), not a stopped
    engine; a refused unix socket with no dockerd running is a stopped engine (a stale
    socket file).

    >>> engine_state({"error": "not_running", "state": "not_running", "endpoint": "unix:///var/run/docker.sock"},
    ...              True, ["unix:///run/user/1000/docker.sock"])[0]
    'socket_missing'
    """
    if not isinstance(docker, dict):
        return None, "Docker engine: not captured"
    error = docker.get("error")
    responses = _dict(docker.get("responses"))
    recorded = docker.get("state")
    if recorded == "running" or (error is None and recorded not in STATE_REASONS):
        if isinstance(responses.get("/version"), dict) or isinstance(responses.get("/info"), dict):
            return "running", None
        return None, "Docker engine: no /version or /info in capture"
    code = error if isinstance(error, str) else "error"
    if recorded in STATE_REASONS:
        state = recorded
    else:
        state = _STATES.get(code, "error")
        if state == "not_installed" and dockerd_installed:
            state = "not_running"
    dockerd_runs = None if dockerd_hosts is None else bool(dockerd_hosts)
    unix = str(docker.get("endpoint") or "").startswith("unix://")
    if state in ("not_running", "not_installed") and dockerd_runs and unix:
        state = "socket_missing"
    elif state == "refused" and unix and dockerd_runs is False:
        state = "not_running"
    reason = STATE_REASONS[state]
    detail = docker.get("detail")
    if state == "error" and code != "error" and recorded not in STATE_REASONS:
        reason = "the Docker engine could not be read (%s)" % code
    if isinstance(detail, str) and detail:
        # The capture's own detail often already says it ("Docker is not installed (no ...)").
        reason = detail[:200] if detail.lower().startswith(reason.lower()) else "%s (%s)" % (reason, detail[:200])
    return state, reason


def endpoint_facts(docker):
    """(endpoint, source, local) from the capture's docker section; None where unknown.

    Captures of older hostcheck have only `endpoint`: its source is inferred (the default
    socket, else DOCKER_HOST, the only other one they read), and whether it is on this host
    from its URL (a unix socket, or tcp/ssh to a loopback address).

    >>> endpoint_facts({"endpoint": "unix:///var/run/docker.sock"})
    ('unix:///var/run/docker.sock', 'default socket', True)
    >>> endpoint_facts({"endpoint": "tcp://10.0.0.7:2376", "endpoint_source": "context prod (config.json)", "local": False})
    ('tcp://10.0.0.7:2376', 'context prod (config.json)', False)
    """
    docker = _dict(docker)
    endpoint = _str(docker.get("endpoint"))
    source = _str(docker.get("endpoint_source"))
    local = docker.get("local") if isinstance(docker.get("local"), bool) else None
    if endpoint is None:
        return None, source, local
    if source is None and "endpoint_source" not in docker:
        source = "default socket" if endpoint == "unix:///var/run/docker.sock" else "env DOCKER_HOST"
    if local is None and "local" not in docker:
        # A capture from before `local` was recorded. Imported here: the engine client
        # (socket, selectors) is ~4 ms that judging a newer capture does not need.
        from hostcheck.capture.engine_api import Endpoint
        parsed = Endpoint(endpoint, source or "")
        local = parsed.local if parsed.problem is None else None
    return endpoint, source, local


def dockerd_hosts(processes, config=None):
    """Where the running dockerd processes listen, from their command lines (-H/--host), else
    daemon.json "hosts", else the default socket; fd:// is systemd's docker.socket. None
    when the capture has no process table; [] when no dockerd runs.

    >>> dockerd_hosts([{"pid": 7, "name": "dockerd", "cmdline": ["dockerd", "-H", "unix:///tmp/d.sock", "-H", "fd://"]},
    ...                {"pid": 1, "name": "systemd", "cmdline": ["/sbin/init"]}])
    ['unix:///tmp/d.sock', 'fd:// (systemd docker.socket: unix:///run/docker.sock)']
    >>> dockerd_hosts([{"pid": 9, "name": "dockerd"}]), dockerd_hosts([]), dockerd_hosts(None)
    (['unix:///var/run/docker.sock'], [], None)
    """
    if not isinstance(processes, list):
        return None
    found = []
    configured = _dict(config).get("hosts")
    configured = [configured] if isinstance(configured, str) else [h for h in _list(configured) if isinstance(h, str)]
    for item in processes:
        if not isinstance(item, dict) or item.get("name") != "dockerd":
            continue
        cmdline = item.get("cmdline")
        args = [w for w in cmdline[1:] if isinstance(w, str)] if isinstance(cmdline, list) else []
        hosts = daemon.settings_from_args(args).get("hosts") or configured or _DEFAULT_HOSTS
        for host in hosts:
            if isinstance(host, str) and host.startswith("fd://"):
                host = "fd:// (systemd docker.socket: unix:///run/docker.sock)"
            if isinstance(host, str) and host not in found:
                found.append(host)
    return found


def parse_info(info):
    """/info body -> {storage_driver, backing_fs, supports_d_type, cgroup_driver,
    cgroup_version, root_dir, security_options, warnings} (None when absent)."""
    info = _dict(info)
    status = {}
    for pair in _list(info.get("DriverStatus")):
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
            status[pair[0]] = pair[1]
    d_type = status.get("Supports d_type")
    return {
        "storage_driver": _str(info.get("Driver")),
        "backing_fs": status.get("Backing Filesystem"),
        "supports_d_type": {"true": True, "false": False}.get((d_type or "").lower()),
        "cgroup_driver": _str(info.get("CgroupDriver")),
        "cgroup_version": _str(info.get("CgroupVersion")),
        "root_dir": _str(info.get("DockerRootDir")),
        "security_options": [s for s in _list(info.get("SecurityOptions")) if isinstance(s, str)]
        if "SecurityOptions" in info else None,
        # "Warnings": null means no warnings (engine 20.10 sends null, not []).
        "warnings": [w for w in _list(info.get("Warnings")) if isinstance(w, str)] if "Warnings" in info else None,
    }


def _bool(value):
    return value if isinstance(value, bool) else None


def info_settings(info):
    """/info body -> {swap_limit, memory_limit, live_restore, logging_driver, swarm_state,
    dm_loop} (None when absent; dm_loop only for devicemapper).

    >>> info_settings({"Driver": "devicemapper", "DriverStatus": [["Data loop file", "/var/lib/docker/devicemapper/devicemapper/data"]]})["dm_loop"]
    True
    """
    info = _dict(info)
    status = dict(pair for pair in _list(info.get("DriverStatus"))
                  if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair))
    return {
        "swap_limit": _bool(info.get("SwapLimit")),
        "memory_limit": _bool(info.get("MemoryLimit")),
        "live_restore": _bool(info.get("LiveRestoreEnabled")),
        "logging_driver": _str(info.get("LoggingDriver")),
        "swarm_state": _str(_dict(info.get("Swarm")).get("LocalNodeState")),
        # devicemapper in loop-lvm mode names its sparse files: "Data loop file".
        "dm_loop": ("Data loop file" in status) if info.get("Driver") == "devicemapper" else None,
    }


def _container_networks(settings):
    networks = []
    for name, endpoint in sorted(_dict(_dict(settings).get("Networks")).items()):
        endpoint = _dict(endpoint)
        networks.append({
            "name": name,
            "network_id": _str(endpoint.get("NetworkID")),
            "ip": _str(endpoint.get("IPAddress")),
            "prefix_len": endpoint.get("IPPrefixLen") if isinstance(endpoint.get("IPPrefixLen"), int) else None,
            "gateway": _str(endpoint.get("Gateway")),
            "aliases": [a for a in _list(endpoint.get("Aliases")) if isinstance(a, str)],
        })
    return networks


def _ports(listed, inspect):
    ports = []
    for port in _list(listed):
        port = _dict(port)
        if isinstance(port.get("PrivatePort"), int):
            ports.append({"private": port["PrivatePort"], "public": port.get("PublicPort"),
                          "type": port.get("Type") or "tcp", "ip": port.get("IP")})
    if ports or not inspect:
        return ports
    # Fallback: inspect's NetworkSettings.Ports {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
    for key, bindings in sorted(_dict(_dict(inspect.get("NetworkSettings")).get("Ports")).items()):
        number, _, proto = key.partition("/")
        if not number.isdigit():
            continue
        for binding in _list(bindings) or [None]:
            binding = _dict(binding)
            host_port = binding.get("HostPort")
            ports.append({"private": int(number),
                          "public": int(host_port) if isinstance(host_port, str) and host_port.isdigit() else None,
                          "type": proto or "tcp", "ip": binding.get("HostIp")})
    return ports


def containers(responses):
    """/containers/json?all=1 plus each /containers/{id}/json -> list of container dicts."""
    result = []
    for item in _list(responses.get("/containers/json?all=1")):
        if not isinstance(item, dict) or not _str(item.get("Id")):
            continue
        cid = item["Id"]
        inspect = _dict(responses.get("/containers/%s/json" % cid))
        state = _dict(inspect.get("State"))
        names = [n.lstrip("/") for n in _list(item.get("Names")) if isinstance(n, str)]
        name = names[0] if names else (_str(inspect.get("Name")) or "").lstrip("/") or None
        host_config = _dict(inspect.get("HostConfig")) or _dict(item.get("HostConfig"))
        exit_code = state.get("ExitCode")
        pid = state.get("Pid")
        result.append({
            "id": cid,
            "name": name,
            "image": _str(item.get("Image")) or _str(_dict(inspect.get("Config")).get("Image")),
            "image_id": _str(item.get("ImageID")) or _str(inspect.get("Image")),
            "state": _str(item.get("State")) or _str(state.get("Status")),
            "exit_code": exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool) else None,
            "error": _str(state.get("Error")),
            "network_mode": _str(host_config.get("NetworkMode")),
            "networks": _container_networks(inspect.get("NetworkSettings") or item.get("NetworkSettings")),
            "ports": _ports(item.get("Ports"), inspect),
            "pid": pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None,
            "platform": _str(inspect.get("Platform")),
            "dns": [d for d in _list(host_config.get("Dns")) if isinstance(d, str)],
            "resolv_conf_path": _str(inspect.get("ResolvConfPath")),
            "inspected": bool(inspect),
        })
    return result


def networks(responses, container_list=None):
    """/networks plus each /networks/{id} -> list of network dicts.

    A network created with --subnet alone has no Gateway in its IPAM config (engine 20.10
    picks the first address without recording it); the gateway its containers were given
    (container inspect) fills that gap.
    """
    seen_gateways = {}
    for container in container_list or []:
        for endpoint in container.get("networks") or []:
            if endpoint.get("network_id") and endpoint.get("gateway"):
                seen_gateways.setdefault(endpoint["network_id"], set()).add(endpoint["gateway"])
    result = []
    for item in _list(responses.get("/networks")):
        if not isinstance(item, dict) or not _str(item.get("Id")):
            continue
        nid = item["Id"]
        detail = _dict(responses.get("/networks/%s" % nid)) or item
        options = _dict(detail.get("Options"))
        ipam = _dict(detail.get("IPAM"))
        subnets, gateways = [], []
        for conf in _list(ipam.get("Config")):
            conf = _dict(conf)
            if _str(conf.get("Subnet")):
                subnets.append(conf["Subnet"])
            if _str(conf.get("Gateway")):
                gateways.append(conf["Gateway"])
        if not gateways:
            gateways = sorted(seen_gateways.get(nid, ()))
        driver = _str(detail.get("Driver"))
        bridge = icc = None
        if driver == "bridge":
            # User bridges are named br-<first 12 of the id> unless an option names them.
            bridge = _str(options.get("com.docker.network.bridge.name")) or "br-" + nid[:12]
            icc = str(options.get("com.docker.network.bridge.enable_icc", "true")).lower() != "false"
        members = {}
        for cid, endpoint in sorted(_dict(detail.get("Containers")).items()):
            members[cid] = _str(_dict(endpoint).get("IPv4Address"))
        result.append({
            "id": nid,
            "name": _str(detail.get("Name")),
            "driver": driver,
            "scope": _str(detail.get("Scope")),
            "subnets": subnets,
            "gateways": gateways,
            "internal": bool(detail.get("Internal")),
            "bridge": bridge,
            "icc": icc,
            "mtu": _int_option(options.get("com.docker.network.driver.mtu")),
            "containers": members,
            "inspected": bool(responses.get("/networks/%s" % nid)),
        })
    return result


def _int_option(value):
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def images(responses):
    """/images/json plus each /images/{id}/json -> [{id, tags, os, architecture, variant}]."""
    result = []
    for item in _list(responses.get("/images/json")):
        if not isinstance(item, dict) or not _str(item.get("Id")):
            continue
        iid = item["Id"]
        inspect = _dict(responses.get("/images/%s/json" % iid))
        tags = [t for t in _list(item.get("RepoTags")) if isinstance(t, str) and t != "<none>:<none>"]
        result.append({
            "id": iid,
            "tags": tags,
            "os": _str(inspect.get("Os")),
            "architecture": _str(inspect.get("Architecture")),
            "variant": _str(inspect.get("Variant")),
            "inspected": bool(inspect),
        })
    return result


def parse_daemon_json(text):
    """(config dict, None) or (None, reason) for /etc/docker/daemon.json text.

    An empty file is an empty configuration (dockerd accepts it).

    >>> parse_daemon_json('{"iptables": false}')
    ({'iptables': False}, None)
    >>> parse_daemon_json('{"iptables": false,}')[1]
    '/etc/docker/daemon.json: invalid JSON (line 1 column 20: Expecting property name enclosed in double quotes)'
    """
    if not isinstance(text, str):
        return None, "/etc/docker/daemon.json: not captured"
    if not text.strip():
        return {}, None
    try:
        data = json.loads(text)
    except ValueError as exc:
        msg = getattr(exc, "msg", str(exc))
        line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        where = "line %s column %s: " % (line, col) if line else ""
        return None, "/etc/docker/daemon.json: invalid JSON (%s%s)" % (where, msg)
    if not isinstance(data, dict):
        return None, "/etc/docker/daemon.json: invalid (not a JSON object)"
    return data, None

"""How dockerd is configured: daemon.json, the flags of its systemd unit (drop-ins,
EnvironmentFile) or of the running dockerd, and what follows from them: the settings in
effect, the TCP addresses the API listens on, TLS, the log driver, iptables management,
and which dockerd binary the unit and the running daemon are."""

import re

from hostcheck.parse import daemon, engine, installs

FACTS = ("docker.daemon_json", "docker.iptables", "docker.unit_args", "docker.unit_cmdline",
         "docker.daemon_args", "docker.daemon_args_source", "docker.daemon_cmdline",
         "docker.daemon_settings", "docker.tcp_hosts", "docker.tls_verify", "docker.log_driver",
         "docker.log_max_size", "docker.dockerd.unit_binary", "docker.dockerd.running_binary")
DAEMON_JSON = "/etc/docker/daemon.json"
INPUTS = ("file:" + DAEMON_JSON,) + tuple("file:" + path for path in daemon.UNIT_FILES) \
    + ("file:%s/<name>.conf" % daemon.DROPIN_DIR,) + tuple("file:" + path for path in daemon.ENV_FILES) \
    + ("section:processes", "section:listeners", "engine:/info",
       "docker.state", "docker.endpoint", "docker.warnings", "docker.swarm_state")
PARSERS = (engine.parse_daemon_json, daemon.parse_env_file, daemon.dockerd_args, daemon.exec_start,
           daemon.join_argv, daemon.running_dockerd, daemon.settings_from_args, daemon.api_hosts,
           daemon.tcp_hosts, daemon.is_loopback, daemon.tls_verify, daemon.log_settings,
           engine.info_settings, installs.canonical)
_SWARM_PORTS = (2377, 7946)
_API_WARNING = re.compile(r"API is accessible on (?:https?|tcp)://(\S+?) without encryption")


def build(view, facts):
    _daemon_json(view, facts)
    json_code = view.file_code(DAEMON_JSON)
    config = facts.get("docker.daemon_json") or {}
    units = [p for p in daemon.UNIT_FILES if view.has_file(p)]
    dropins = [p for p in view.files_matching(daemon.DROPIN_DIR + "/") if p.endswith(".conf")]
    unit_texts = [t for t in (view.file(p)[0] for p in units) if t is not None][:1]
    unit_texts += [view.file(p)[0] for p in dropins]
    env = {}
    for path in daemon.ENV_FILES:
        env.update(daemon.parse_env_file(view.file(path)[0]))
    unit_args = daemon.dockerd_args(unit_texts, env)
    unit_exec = daemon.exec_start(unit_texts)
    no_unit = ("no docker.service unit with an ExecStart (%s)" % ", ".join(units) if units
               else "docker.service: not captured")
    if unit_args is not None:
        facts.set("docker.unit_args", unit_args)
        facts.set("docker.unit_cmdline", daemon.join_argv((unit_exec or "").split()[:1] + unit_args))
    else:
        facts.missing("docker.unit_args", no_unit)
        facts.missing("docker.unit_cmdline", no_unit)
    # The running dockerd's own command line, when the process table has it, is what is in
    # effect now: it wins over the unit (edited since, or dockerd started by hand).
    processes = view.section("processes").get("items")
    running = daemon.running_dockerd(processes if isinstance(processes, list) else [],
                                     facts.get("docker.endpoint"), config)
    _binaries(facts, unit_exec, running)
    if running is not None:
        args = running["args"]
        facts.set("docker.daemon_args", args)
        facts.set("docker.daemon_args_source", "pid %s" % running["pid"])
        facts.set("docker.daemon_cmdline", daemon.join_argv([running["binary"]] + args))
    elif unit_args is not None:
        args = unit_args
        facts.set("docker.daemon_args", args)
        read = [p for p in units if view.file(p)[0] is not None][:1]
        read += [p for p in dropins if view.file(p)[0] is not None]
        facts.set("docker.daemon_args_source", ", ".join(read))
        facts.set("docker.daemon_cmdline", facts.get("docker.unit_cmdline"))
    else:
        args = None
        for name in ("docker.daemon_args", "docker.daemon_args_source", "docker.daemon_cmdline"):
            facts.missing(name, no_unit)
    flag_settings = daemon.settings_from_args(args or [])
    _iptables(view, facts, config, flag_settings.get("iptables"))
    if not facts.known("docker.daemon_json") and json_code != "not_found":
        reason = facts.reason("docker.daemon_json")   # daemon.json unreadable: its settings unknown
        for name in ("docker.tcp_hosts", "docker.tls_verify", "docker.log_driver", "docker.log_max_size",
                     "docker.daemon_settings"):
            facts.missing(name, reason)
        return
    if args is not None or facts.known("docker.daemon_json") or json_code == "not_found":
        settings = dict(config)
        settings.update(flag_settings)
        facts.set("docker.daemon_settings", settings)
    else:
        facts.missing("docker.daemon_settings", "daemon.json and dockerd's flags: not captured")
    if args is None and not units and not facts.known("docker.daemon_json") and json_code is None:
        facts.missing("docker.tcp_hosts", "docker.service and daemon.json: not captured")
    else:
        facts.set("docker.tcp_hosts", _tcp_hosts(view, facts, config, args, running))
    facts.set("docker.tls_verify", daemon.tls_verify(config, args or []))
    driver, max_size = daemon.log_settings(config, args or [])
    if facts.get("docker.state") == "running":
        driver = engine.info_settings(view.responses().get("/info"))["logging_driver"] or driver
    facts.set("docker.log_driver", driver or "json-file")
    facts.set("docker.log_max_size", max_size or "")


def _daemon_json(view, facts):
    text, reason = view.file(DAEMON_JSON)
    if text is None:
        facts.missing("docker.daemon_json", reason)
        return
    config, error = engine.parse_daemon_json(text)
    if config is None:
        facts.missing("docker.daemon_json", error)
    else:
        facts.set("docker.daemon_json", config)


def _iptables(view, facts, config, flag):
    """dockerd's --iptables flag, else daemon.json "iptables", else the default (true)."""
    if isinstance(flag, bool):
        facts.set("docker.iptables", flag)
    elif facts.known("docker.daemon_json"):
        value = config.get("iptables", True)
        if isinstance(value, bool):
            facts.set("docker.iptables", value)
        else:
            facts.missing("docker.iptables", "%s: \"iptables\" is %r, not true/false" % (DAEMON_JSON, value))
    elif view.file_code(DAEMON_JSON) == "not_found":
        facts.set("docker.iptables", True)  # no file: dockerd's default manages iptables
    else:
        facts.missing("docker.iptables", facts.reason("docker.daemon_json"))


def _tcp_hosts(view, facts, config, args, running):
    """The API's TCP addresses: -H flags and daemon.json hosts, dockerd's listening sockets,
    and the engine's own warning about an unencrypted API."""
    hosts = daemon.tcp_hosts(daemon.api_hosts(config, args or [],
                                              "running dockerd -H" if running is not None else "dockerd -H"))
    seen = set((h["host"], h["port"]) for h in hosts)

    def add(host, port, source):
        if (host, port) not in seen:
            seen.add((host, port))
            hosts.append({"address": "tcp://%s:%s" % (host, port), "source": source, "host": host,
                          "port": port, "loopback": daemon.is_loopback(host)})

    listeners = view.value("listeners")
    # A swarm node's dockerd also listens on swarm's own ports (2377 cluster management, with
    # mutual TLS of its own; 7946 gossip): those sockets are not the Engine API.
    swarm_ports = _SWARM_PORTS if facts.get("docker.swarm_state") in ("active", "pending", "locked", "error") else ()
    for item in listeners if isinstance(listeners, list) else []:
        if isinstance(item, dict) and item.get("name") == "dockerd" and str(item.get("proto", "")).startswith("tcp"):
            ip, port = item.get("ip") or "0.0.0.0", item.get("port")
            if port in swarm_ports:
                continue
            if isinstance(ip, str) and isinstance(port, (int, str, type(None))):   # a junk entry is skipped
                add("0.0.0.0" if ip == "::" else ip, port, "dockerd listening socket")
    for warning in facts.get("docker.warnings") or []:
        match = _API_WARNING.search(warning)
        if match:
            host, _, port = match.group(1).rpartition(":")
            add(host.strip("[]") or "0.0.0.0", int(port) if port.isdigit() else None, "engine /info warning")
    return hosts


def _binaries(facts, unit_exec, running):
    """The dockerd binary docker.service starts, and the one running (merged-/usr paths folded)."""
    words = unit_exec.split() if isinstance(unit_exec, str) else []
    unit_binary = installs.canonical(words[0]) if words else None
    if unit_binary:
        facts.set("docker.dockerd.unit_binary", unit_binary)
    else:
        facts.missing("docker.dockerd.unit_binary", "docker.service: no ExecStart captured")
    running_binary = installs.canonical(running["binary"]) if running else None
    if running_binary:
        facts.set("docker.dockerd.running_binary", running_binary)
    elif running:
        facts.missing("docker.dockerd.running_binary",
                      "dockerd (pid %s) was started as %r, without its path" % (running["pid"], running["binary"]))
    else:
        facts.missing("docker.dockerd.running_binary", "no running dockerd's command line captured")

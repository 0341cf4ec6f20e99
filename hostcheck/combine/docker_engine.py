"""The Docker Engine as its API answered: which engine and why (endpoint, its source, on
this host or not), how the connection ended (state, with the capture's own words), where a
running dockerd listens, and version, /info settings, containers, networks and images."""

from hostcheck.combine._common import set_series
from hostcheck.parse import engine

DAEMON_JSON = "/etc/docker/daemon.json"

# /info keys (parse.engine.parse_info and info_settings) -> facts; absent keys are unknown with the reason.
INFO_FACTS = (("docker.storage_driver", "storage_driver"), ("docker.backing_fs", "backing_fs"),
              ("docker.supports_d_type", "supports_d_type"), ("docker.cgroup_driver", "cgroup_driver"),
              ("docker.cgroup_version", "cgroup_version"), ("docker.root_dir", "root_dir"),
              ("docker.security_options", "security_options"), ("docker.warnings", "warnings"),
              ("docker.swap_limit", "swap_limit"), ("docker.memory_limit", "memory_limit"),
              ("docker.live_restore", "live_restore"), ("docker.swarm_state", "swarm_state"))
VERSION_FACTS = (("docker.version", "Version"), ("docker.api_version", "ApiVersion"),
                 ("docker.min_api_version", "MinAPIVersion"))
# Facts only a running engine answers.
RUNNING_FACTS = tuple(f for f, _ in VERSION_FACTS) + tuple(f for f, _ in INFO_FACTS) + (
    "docker.series", "docker.dm_loop", "docker.containers", "docker.networks", "docker.images")
FACTS = ("docker.state", "docker.endpoint", "docker.endpoint_source", "docker.local", "docker.error_detail",
         "docker.dockerd_hosts") + RUNNING_FACTS
CONTAINERS = "/containers/json?all=1"
INPUTS = ("section:docker", "section:processes", "file:" + DAEMON_JSON, "command:dockerd --version",
          "engine:/version", "engine:/info",
          "engine:" + CONTAINERS, "engine:/containers/<id>/json", "engine:/networks",
          "engine:/networks/<id>", "engine:/images/json", "engine:/images/<id>/json")
PARSERS = (engine.engine_state, engine.endpoint_facts, engine.dockerd_hosts, engine.parse_daemon_json,
           engine.parse_info, engine.info_settings, engine.containers, engine.networks, engine.images)


def build(view, facts):
    docker = view.value("docker")
    dockerd = view.command("dockerd --version")
    dockerd_installed = True if dockerd.ran or dockerd.code == "skipped" else \
        (False if dockerd.code == "not_found" else None)
    listening = _dockerd_hosts(view, facts)
    state, reason = engine.engine_state(docker, dockerd_installed, listening)
    if state:
        facts.set("docker.state", state)
    else:
        facts.missing("docker.state", reason)
    _endpoint(docker, facts)
    if state and state != "running":
        detail = docker.get("detail") if isinstance(docker, dict) else None
        facts.set("docker.error_detail", detail[:300] if isinstance(detail, str) and detail
                  else engine.STATE_REASONS[state])
    else:
        facts.missing("docker.error_detail", reason or "the engine answered")
    if state != "running":
        for name in RUNNING_FACTS:
            facts.missing(name, reason)
    else:
        _running(view, facts)


def _endpoint(docker, facts):
    endpoint, source, local = engine.endpoint_facts(docker)
    detail = docker.get("detail") if isinstance(docker, dict) else None
    for fact, value, why in (
            ("docker.endpoint", endpoint, "Docker engine endpoint: not captured"),
            ("docker.endpoint_source", source, "why that engine: not captured"),
            # Only an endpoint that could not be worked out leaves this unknown (nothing was asked).
            ("docker.local", local, "no engine endpoint to place (%s)" % (detail or "not captured"))):
        if value is None:
            facts.missing(fact, why)
        else:
            facts.set(fact, value)


def _dockerd_hosts(view, facts):
    """Where the running dockerd listens (None: no process table); the fact says it too."""
    section = view.section("processes")
    items = section.get("items") if isinstance(section, dict) else None
    config, _ = engine.parse_daemon_json(view.file(DAEMON_JSON)[0])
    hosts = engine.dockerd_hosts(items, config)
    if hosts is None:
        facts.missing("docker.dockerd_hosts", "process table: not captured")
    elif not hosts:
        facts.missing("docker.dockerd_hosts", "no dockerd process runs")
    else:
        facts.set("docker.dockerd_hosts", hosts)
    return hosts


def _running(view, facts):
    responses = view.responses()
    version = responses.get("/version")
    for fact, key in VERSION_FACTS:
        if not isinstance(version, dict):
            facts.missing(fact, "engine /version: not captured")
        elif isinstance(version.get(key), str) and version[key]:
            facts.set(fact, version[key])
        else:
            facts.missing(fact, "engine /version: no %s" % key)
    if facts.known("docker.version"):
        set_series(facts, "docker.series", facts.get("docker.version"))
    else:
        facts.missing("docker.series", facts.reason("docker.version"))
    info_body = responses.get("/info")
    info = engine.parse_info(info_body)
    info.update(engine.info_settings(info_body))
    if info["dm_loop"] is not None:
        facts.set("docker.dm_loop", info["dm_loop"])
    else:
        facts.missing("docker.dm_loop", "storage driver %s, not devicemapper" % (info["storage_driver"] or "unknown"))
    for fact, key in INFO_FACTS:
        if info[key] is not None:
            facts.set(fact, info[key])
        elif not isinstance(info_body, dict):
            facts.missing(fact, "engine /info: not captured")
        else:
            facts.missing(fact, "engine /info: no %s" % key)
    container_list = None
    if isinstance(responses.get(CONTAINERS), list):
        container_list = engine.containers(responses)
        facts.set("docker.containers", container_list)
    else:
        facts.missing("docker.containers", "engine %s: not captured" % CONTAINERS)
    if isinstance(responses.get("/networks"), list):
        facts.set("docker.networks", engine.networks(responses, container_list))
    else:
        facts.missing("docker.networks", "engine /networks: not captured")
    if isinstance(responses.get("/images/json"), list):
        facts.set("docker.images", engine.images(responses))
    else:
        facts.missing("docker.images", "engine /images/json: not captured")

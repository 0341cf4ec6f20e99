"""subject.* facts of the preflight trees: neutral facts about one service of a compose
project (or a Dockerfile's build) and about the project, read from the capture document
(which holds the project's model under `compose`, hostcheck/preflight/compose.py) and
the host's facts. rules/trees/preflight.yaml asks every question of them.

What is "found" here is a list of facts -- the host processes holding a port the service
publishes, the other services and containers publishing it, the host routes -- and the
catalogue decides what a non-empty list means. The image tree's verdicts (for the service's
image and for the platforms its build's RUN steps execute on) are catalogue answers passed
on as facts, not decided here.
"""

import ipaddress

from hostcheck.capture.compose import version_of
from hostcheck.image.local import engine_elsewhere, find_image, image_name, image_platform, looks_like_registry_ref
from hostcheck.image.platform import Platform, host_platform, parse as parse_platform
from hostcheck.image.registry import recorded
from hostcheck.net.model import NetView, show_socket
from hostcheck.net.subjects import Subject
from hostcheck.preflight.ports import parse_expose

PROJECT_LABEL = "com.docker.compose.project"

# name -> (type, meaning, the host fact it mirrors or None), as in hostcheck/net/subjects.py.
SUBJECT_FACTS = {
    "subject.service": ("str", "the service's name (the Dockerfile's file name for a Dockerfile alone)", None),
    "subject.project": ("str", "the compose project's name (as `docker compose -p` would name it)", None),
    "subject.kind": ("str", "compose | dockerfile", None),
    "subject.source": ("str", "how the file was read: docker compose config (v2), docker-compose config (v1) "
                       "or hostcheck's own parser, with why", None),
    "subject.config_error": ("str", "why compose would refuse the file (absent when it reads it)", None),
    "subject.external_networks": ("list[str]", "names of the external networks the project's active services use",
                                  None),
    "subject.docker_network_names": ("list[str]", "names of the engine's networks", None),
    "subject.project_subnets": ("list[str]", "fixed subnets (ipam) of the networks the project would create", None),
    "subject.docker_subnets": ("list[str]", "subnets of the engine's networks that are not this project's", None),
    "subject.image_ref": ("str", "the image the service runs, or its build: FROM IMAGE", None),
    "subject.image_verdict": ("str", "the image tree's verdict id for it: native, emulated, needs-remediation, "
                              "impossible, unknown", None),
    "subject.image_text": ("str", "that verdict's text", None),
    "subject.platform_asked": ("str", "the service's platform: key", None),
    "subject.image_platforms": ("list[str]", "platforms of the local image of that name", None),
    "subject.build": ("bool", "the service is built from a Dockerfile (and no image of its name is local)", None),
    "subject.build_error": ("str", "why its Dockerfile cannot be read (absent when it is read)", None),
    "subject.run_verdicts": ("list[str]", "the image tree's verdict for the platform each build stage with RUN "
                             "steps executes them on", None),
    "subject.run_steps": ("list[str]", "RUN steps with the platform they execute on", None),
    "subject.healthcheck": ("str", "the final stage's HEALTHCHECK command", None),
    "subject.published": ("list[str]", "its published bindings, HOST_IP:PORT->PORT/proto", None),
    "subject.port_holders": ("list[str]", "host processes listening on a host port it publishes (psutil; without "
                             "it the sockets)", None),
    "subject.port_repeats": ("list[str]", "host ports it publishes twice", None),
    "subject.port_clashes": ("list[str]", "its host ports that other active services of the project publish too",
                             None),
    "subject.port_containers": ("list[str]", "its host ports that running containers of other projects publish",
                                None),
    "subject.loopback_bindings": ("list[str]", "its bindings on a loopback address", None),
    "subject.network_mode": ("str", "networks (compose's bridge networks), host, none, service:NAME, container:ID",
                             None),
    "subject.host_ports": ("list[str]", "with network_mode host: the ports it declares (ports, expose, EXPOSE)",
                           None),
    "subject.host_port_holders": ("list[str]", "with network_mode host: who already holds those ports on the host",
                                  None),
    "subject.networks": ("list[str]", "its networks' names", None),
    "subject.egress_networks": ("list[str]", "its networks that are not internal (host for network_mode host)",
                                None),
    "subject.fixed_subnets": ("list[str]", "fixed subnets of its networks that the project creates", None),
    "subject.route_subnets": ("list[str]", "destinations of the host's routes through interfaces that are not "
                              "Docker's (no default route)", None),
    "subject.routes_shown": ("list[str]", "those routes, DST dev IFACE", None),
    "subject.exposed_unpublished": ("list[str]", "ports it declares (expose:, EXPOSE, the image) and does not "
                                    "publish", None),
    "subject.depends_on": ("list[str]", "services it depends on", None),
    "subject.failed_dependencies": ("list[str]", "of those, the ones whose preflight verdict fails", None),
    # the project's tree
    "subject.services": ("list[str]", "the project's active services", None),
    "subject.inactive_services": ("list[str]", "services left out by their profiles", None),
    "subject.compose_v2": ("bool", "compose v2 answers on the host (the docker plugin, or docker-compose 2.x)",
                           None),
    "subject.compose_v1": ("bool", "docker-compose 1.x answers on the host", None),
    "subject.compose_tools": ("list[str]", "the compose tools that answered, with their versions", None),
    "subject.unset_variables": ("list[str]", "variables the file uses without a value or a default", None),
    "subject.host_failures": ("list[str]", "failing findings of the host rules this project leans on", None),
    "subject.host_warnings": ("list[str]", "warnings of those rules", None),
    "subject.failing_services": ("list[str]", "services whose preflight verdict fails, with the verdict", None),
    "subject.warning_services": ("list[str]", "services whose preflight verdict warns, with the verdict", None),
    "subject.unread": ("list[str]", "questions on the way that could not be answered (set by the walk)", None),
}

# Interfaces whose routes are Docker's own (besides the bridges the engine lists).
_DOCKER_DEVICES = ("docker0", "docker_gwbridge")


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


# ---------------------------------------------------------------- the host, indexed once

class HostView(object):
    """The capture and facts as preflight reads them: engine objects with compose labels,
    listening sockets and their owners, routes."""

    def __init__(self, capture, facts, model):
        self.capture, self.facts, self.model = capture, facts, model
        self.net = NetView(capture, facts)
        self.project = model["project"]
        responses = self.net.responses
        self.container_labels = dict((item.get("Id"), _dict(item.get("Labels")))
                                     for item in _list(responses.get("/containers/json?all=1")) if isinstance(item, dict))
        self.network_labels = dict((item.get("Id"), _dict(item.get("Labels")))
                                   for item in _list(responses.get("/networks")) if isinstance(item, dict))
        self.images = facts.get("docker.images")
        self.host = host_platform(facts)
        self.elsewhere = engine_elsewhere(facts)    # `up` would run on another machine

    def engine_known(self):
        return self.facts.known("docker.networks")

    def ours(self, labels):
        return labels.get(PROJECT_LABEL) == self.project

    def own_network_names(self):
        return set(n["name"] for n in self.model["networks"].values())

    def docker_networks(self):
        """The engine's networks that are not this project's (by label, or by the name the
        project would give one)."""
        own = self.own_network_names()
        return [n for n in self.net.networks
                if not self.ours(self.network_labels.get(n.get("id")) or {}) and n.get("name") not in own]

    def running_bindings(self):
        """[(binding, container name, its compose project or None)] of running containers
        that are not this project's."""
        found = []
        for container in self.net.containers:
            if container.get("state") != "running":
                continue
            labels = self.container_labels.get(container.get("id")) or {}
            if self.ours(labels):
                continue
            for binding in self.net.port_bindings(container):
                found.append((binding, container.get("name") or container.get("id", "?")[:12],
                              labels.get(PROJECT_LABEL)))
        return found

    def own_running_bindings(self):
        bindings = []
        for container in self.net.containers:
            labels = self.container_labels.get(container.get("id")) or {}
            if container.get("state") == "running" and self.ours(labels):
                bindings.extend(self.net.port_bindings(container))
        return bindings

    def listeners(self):
        """([(ip, port, proto, owner text)], None) of the host's listening sockets, owners from
        psutil when captured, else the socket tables; or (None, reason)."""
        if self.elsewhere:
            return None, self.elsewhere
        owners = self.net.listeners()
        if owners is not None:
            return [(l.get("ip") or "", l.get("port"), str(l.get("proto") or ""),
                     "%s (pid %s)" % (l.get("name") or "?", l.get("pid") or "?")) for l in owners], None
        sockets = self.net.host_sockets()
        if sockets is None:
            return None, "the host's listening sockets: not captured"
        return [(s["ip"], s["port"], s["proto"], "a socket (owner unknown: %s)" % self.net.listeners_reason())
                for s in sockets], None

    def route_facts(self):
        """(route destinations, shown routes) through interfaces that are not Docker's, or None."""
        routes = self.facts.get("net.routes")
        if routes is None or self.elsewhere:
            return None
        docker_devices = set(_DOCKER_DEVICES) | set(n.get("bridge") for n in self.net.networks if n.get("bridge"))
        dsts, shown = [], []
        for route in routes:
            dst, dev = route.get("dst"), route.get("dev") or "?"
            if dst in (None, "default") or dev in docker_devices or dev.startswith("br-") or dev == "lo":
                continue
            network = _network(dst)
            if network is None or network.is_loopback or network.is_link_local or network.is_multicast:
                continue
            dsts.append(str(network))
            shown.append("%s dev %s" % (dst, dev))
        return dsts, shown

    def local_image(self, ref):
        return find_image(self.images or [], ref) if ref else None

    def exposed_by_image(self, image):
        """[port/proto] an engine image declares (Config.ExposedPorts of its inspect)."""
        inspect = _dict(self.net.responses.get("/images/%s/json" % image.get("id")))
        return sorted(_dict(_dict(inspect.get("Config")).get("ExposedPorts")))


def _network(text):
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


# ---------------------------------------------------------------- ports

_WILDCARDS = ("", "0.0.0.0", "::")


def _overlaps(binding_ip, listener_ip):
    """Would binding `binding_ip` collide with a socket bound to `listener_ip` (same port)?
    docker binds "" (all) on 0.0.0.0 and [::]; a dual-stack [::] socket holds 0.0.0.0 too."""
    if binding_ip == "" or listener_ip in ("", "::"):
        return True
    if listener_ip == "0.0.0.0":
        return ":" not in binding_ip
    if binding_ip in ("0.0.0.0", "::"):
        return (":" in listener_ip) == (binding_ip == "::")
    return binding_ip == listener_ip


def _same_binding(left_ip, right_ip):
    return _overlaps(left_ip, right_ip) or _overlaps(right_ip, left_ip)


def _host_text(ip, port, protocol):
    shown = ip or "0.0.0.0"
    return "%s:%d/%s" % ("[%s]" % shown if ":" in shown else shown, port, protocol)


def binding_text(binding):
    if binding["host_port"] is None:
        side = "(ephemeral)"
    elif binding.get("host_end"):
        side = "%s-%d" % (_host_text(binding["host_ip"], binding["host_port"], "x")[:-2], binding["host_end"])
    else:
        side = _host_text(binding["host_ip"], binding["host_port"], "x")[:-2]
    return "%s->%d/%s" % (side, binding["target"], binding["protocol"])


def _held(binding, listeners, own):
    """Owners of the host's sockets on the binding's port(s); a host range counts only when
    every port of it is held (the engine picks a free one)."""
    if binding["host_port"] is None:
        return []
    ports = range(binding["host_port"], (binding.get("host_end") or binding["host_port"]) + 1)
    holders = {}
    for ip, port, proto, owner in listeners:
        if port in ports and proto.startswith(binding["protocol"]) and _overlaps(binding["host_ip"], ip) \
                and not owner.startswith("docker-proxy ") and (port, proto.rstrip("6")) not in own:
            holders.setdefault(port, []).append("%s held by %s" % (show_socket({"ip": ip, "port": port, "proto": proto}), owner))
    if len(holders) < len(ports):
        return []
    return [text for port in ports for text in holders[port]]


# ---------------------------------------------------------------- services

def service_subject(view, service, image_facts, exposed, verdicts, project_facts):
    """The preflight tree's subject facts of one active service.

    image_facts: a Subject from the image walks (image_ref, image_verdict, image_text, build
    facts); exposed: EXPOSE words of its image or build; verdicts: {service: verdict status}
    of the services walked before (its dependencies).
    """
    subject = Subject(service["name"])
    subject.values.update(project_facts.values)
    subject.unknown.update(project_facts.unknown)
    subject.set("service", service["name"])
    subject.values.update(image_facts.values)
    subject.unknown.update(image_facts.unknown)
    _ports(view, subject, service, exposed)
    _networks(view, subject, service)
    subject.set("depends_on", list(service["depends_on"]))
    subject.set("failed_dependencies", [name for name in service["depends_on"] if verdicts.get(name) in ("fail", "error")])
    return subject


def _ports(view, subject, service, exposed):
    bindings = [] if service["network_mode"] else service["ports"]
    subject.set("published", [binding_text(b) for b in bindings])
    subject.set("loopback_bindings", [binding_text(b) for b in bindings if _loopback(b["host_ip"])])
    seen, repeats = [], []
    for binding in bindings:
        if binding["host_port"] is None:
            continue
        key = (binding["host_port"], binding["protocol"])
        if any(key == k and _same_binding(binding["host_ip"], ip) for k, ip in seen):
            repeats.append(_host_text(binding["host_ip"], binding["host_port"], binding["protocol"]))
        seen.append((key, binding["host_ip"]))
    subject.set("port_repeats", repeats)
    others = []
    for other in view.model["services"]:
        if other is service or not other["active"] or other["network_mode"]:
            continue
        for binding in bindings:
            for theirs in other["ports"]:
                if binding["host_port"] is not None and binding["host_port"] == theirs["host_port"] \
                        and binding["protocol"] == theirs["protocol"] and _same_binding(binding["host_ip"], theirs["host_ip"]):
                    others.append("%s also published by %s" % (
                        _host_text(binding["host_ip"], binding["host_port"], binding["protocol"]), other["name"]))
    subject.set("port_clashes", sorted(set(others)))
    if not view.engine_known():
        subject.missing("port_containers", view.facts.reason("docker.containers"))
    else:
        running = []
        for theirs, name, project in view.running_bindings():
            for binding in bindings:
                if binding["host_port"] == theirs["host_port"] and binding["protocol"] == theirs["proto"] \
                        and _same_binding(binding["host_ip"], theirs["host_ip"] or ""):
                    running.append("%s published by container %s (%s)" % (
                        _host_text(binding["host_ip"], binding["host_port"], binding["protocol"]), name,
                        "compose project %s" % project if project else "not a compose project"))
        subject.set("port_containers", sorted(set(running)))
    listeners, reason = view.listeners()
    own = set((b["host_port"], b["proto"]) for b in view.own_running_bindings()) if view.engine_known() else set()
    if listeners is None:
        subject.missing("port_holders", reason)
    else:
        # Sockets of docker-proxy for running containers are the containers' (port_containers).
        container_ports = set((b["host_port"], b["proto"]) for b, _, _ in view.running_bindings()) \
            if view.engine_known() else set()
        subject.set("port_holders", sorted(set(text for binding in bindings
                                               for text in _held(binding, listeners, own | container_ports))))
    declared = _declared_ports(service, exposed)
    published_targets = set((b["target"], b["protocol"]) for b in bindings)
    if service["network_mode"] == "host":
        subject.set("host_ports", ["%d/%s" % pair for pair in declared])
        if listeners is None:
            subject.missing("host_port_holders", reason)
        else:
            holders = []
            for port, protocol in declared:
                probe = {"host_ip": "", "host_port": port, "host_end": None, "protocol": protocol}
                holders.extend(_held(probe, listeners, own))
                for other in view.model["services"]:
                    if other is not service and other["active"] and not other["network_mode"]:
                        holders.extend("%d/%s published by service %s" % (port, protocol, other["name"])
                                       for b in other["ports"] if b["host_port"] == port and b["protocol"] == protocol)
            subject.set("host_port_holders", sorted(set(holders)))
        subject.set("exposed_unpublished", [])
    else:
        subject.set("host_ports", [])
        subject.set("host_port_holders", [])
        subject.set("exposed_unpublished", ["%d/%s" % pair for pair in declared if pair not in published_targets])


def _loopback(ip):
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def _declared_ports(service, exposed):
    """(port, proto) the service declares: ports' targets (host mode), expose:, and `exposed`
    (EXPOSE of its build's final stage, or the local image's ExposedPorts)."""
    declared = []
    words = list(service["expose"]) + list(exposed)
    if service["network_mode"] == "host":
        words += ["%d/%s" % (b["target"], b["protocol"]) for b in service["ports"]]
    for word in words:
        try:
            declared.extend(parse_expose(word))
        except ValueError:
            continue
    return sorted(set(declared))


def _networks(view, subject, service):
    mode = service["network_mode"]
    subject.set("network_mode", mode or "networks")
    networks = [view.model["networks"][key] for key in service["networks"] if key in view.model["networks"]]
    subject.set("networks", [n["name"] for n in networks])
    if mode == "host":
        subject.set("egress_networks", ["host"])
    elif mode == "none":
        subject.set("egress_networks", [])
    elif mode:
        subject.set("egress_networks", ["(%s)" % mode])
    else:
        engine = dict((n.get("name"), n) for n in view.net.networks)
        egress = []
        for network in networks:
            internal = network["internal"]
            if network["external"] and network["name"] in engine:
                internal = bool(engine[network["name"]].get("internal"))
            if not internal:
                egress.append(network["name"])
        subject.set("egress_networks", egress)
    subject.set("fixed_subnets", [s for n in networks if not n["external"] for s in n["subnets"]])
    routes = view.route_facts()
    if routes is None:
        subject.missing("route_subnets", view.elsewhere or view.facts.reason("net.routes"))
    else:
        subject.set("route_subnets", routes[0])
        subject.set("routes_shown", routes[1])


# ---------------------------------------------------------------- the project

def project_subject(view, source):
    """Facts every walk of the project shares (its tree and each service's)."""
    model = view.model
    subject = Subject(model["project"])
    subject.set("project", model["project"])
    subject.set("kind", model["kind"])
    subject.set("source", source)
    if model.get("error"):
        subject.set("config_error", model["error"])
    active = [s for s in model["services"] if s["active"]]
    used = [n for n in model["networks"].values()]
    subject.set("external_networks", sorted(set(n["name"] for n in used if n["external"])))
    subject.set("project_subnets", [s for n in used if not n["external"] for s in n["subnets"]])
    if view.engine_known():
        subject.set("docker_network_names", sorted(n.get("name") for n in view.net.networks if n.get("name")))
        subject.set("docker_subnets", [s for n in view.docker_networks() for s in n.get("subnets") or ()])
    else:
        subject.missing("docker_network_names", view.facts.reason("docker.networks"))
        subject.missing("docker_subnets", view.facts.reason("docker.networks"))
    subject.set("services", [s["name"] for s in active])
    subject.set("inactive_services", ["%s (profiles %s)" % (s["name"], ", ".join(s["profiles"]))
                                      for s in model["services"] if not s["active"]])
    return subject


def compose_tools(subject, commands, reason):
    """subject.compose_v2 / compose_v1 / compose_tools from the version commands' records."""
    keys = ("docker compose version", "docker-compose --version")
    records = [commands.get(key) for key in keys]
    if all(not isinstance(record, dict) for record in records):
        for name in ("compose_v2", "compose_v1", "compose_tools"):
            subject.missing(name, reason)
        return
    plugin, standalone = (version_of(record) for record in records)
    tools = []
    if plugin:
        tools.append("docker compose %s" % plugin[1])
    if standalone:
        tools.append("docker-compose %s" % standalone[1])
    subject.set("compose_v2", bool((plugin and plugin[0] >= 2) or (standalone and standalone[0] >= 2)))
    subject.set("compose_v1", bool(standalone and standalone[0] == 1))
    subject.set("compose_tools", tools)


# ---------------------------------------------------------------- images and builds

class ImageSubject(object):
    """What the image tree is walked on for one image or build stage."""

    def __init__(self, label, ref, platforms=None, unknown=None):
        self.label, self.ref = label, ref
        self.platforms = platforms or []
        self.unknown = unknown


def image_platforms(view, ref, answers):
    """(platforms, why unknown) of an image by name: the local image, else the registry's
    answer recorded in the capture."""
    local = view.local_image(ref)
    if local is not None:
        platform = image_platform(local)
        return ([platform] if platform else []), (None if platform else "image %s records no platform" % image_name(local))
    if looks_like_registry_ref(ref) and ref in answers:
        answer = answers[ref]
        return answer.platforms or [], answer.error
    if view.images is None:
        return [], "local images unknown: %s" % view.facts.reason("docker.images")
    return [], ("image %s is not on this host and no registry answer for it is recorded: `up` will try to pull it"
                % ref)


def registry_answers(capture, refs):
    return dict((ref, recorded(capture, ref)) for ref in refs if looks_like_registry_ref(ref))


def platform_args(target, build):
    """BuildKit's automatic platform ARGs for a target and a build platform (Platforms)."""
    args = {}
    for prefix, platform in (("TARGET", target), ("BUILD", build)):
        if platform is None:
            continue
        args[prefix + "PLATFORM"] = str(platform)
        args[prefix + "OS"] = platform.os
        args[prefix + "ARCH"] = platform.architecture
        args[prefix + "VARIANT"] = platform.variant or ""
    return args


def stage_platform(requested, offered):
    """The platform a stage runs as: the one asked for when the base offers it (or when
    nothing is known of the base), else the base's only platform (a local image is used as
    it is, a single-platform pull takes what there is); None when a multi-platform base
    lacks the one asked for."""
    if not offered:
        return requested
    for platform in offered:
        if requested is not None and (platform.os, platform.architecture) == (requested.os, requested.architecture):
            return platform
    if len(offered) == 1:
        return offered[0]
    return None


def target_platform(view, service):
    asked = service.get("platform") or ((service.get("build") or {}).get("platforms") or [None])[0]
    return parse_platform(asked) if asked else view.host


def build_stages(view, service, build, answers):
    """[(stage record, ImageSubject)] of a service's build, each stage's base judged as the
    platform the stage would run as (variables of FROM lines filled in)."""
    from hostcheck.preflight.dockerfile import resolve_from
    target = target_platform(view, service)
    args = dict((k, v) for k, v in (service["build"].get("args") or {}).items() if v is not None)
    stages = resolve_from(build["parsed"], args, platform_args(target, view.host))
    chosen, result = {}, []
    for stage, parsed in zip(stages, build["parsed"]["stages"]):
        requested = parse_platform(stage["platform"]) if stage["platform"] else target
        label = "%s: FROM %s (stage %d)" % (service["name"], stage["image"] or "?", stage["index"])
        if stage["base_stage"] is not None:
            base = chosen.get(stage["base_stage"])
            offered, why = ([base] if base else []), (None if base else "its base stage's platform is unknown")
        elif stage["image"].lower() == "scratch":
            offered, why = ([requested] if requested else []), None
        else:
            offered, why = image_platforms(view, stage["image"], answers)
            if why and not offered:
                chosen[stage["index"]] = None
                result.append((stage, parsed, ImageSubject(label, stage["image"], unknown=why)))
                continue
        platform = stage_platform(requested, offered)
        chosen[stage["index"]] = platform
        unknown = None if platform else "%s offers %s, not %s" % (
            stage["image"], ", ".join(str(p) for p in offered), requested)
        result.append((stage, parsed, ImageSubject(label, stage["image"] or "?", [platform] if platform else [],
                                                   unknown=unknown or why if not platform else None)))
    return result


def final_stage(build, stages):
    target = (build or {}).get("target")
    if target:
        for stage, parsed, subject in stages:
            if stage["name"] == target.lower():
                return stage, parsed, subject
    return stages[-1] if stages else None


def inherited_exposes(stages, final):
    """EXPOSE words of the final stage and the stages it is built FROM."""
    by_index = dict((stage["index"], parsed) for stage, parsed, _ in stages)
    words, stage = [], final[0] if final else None
    seen = set()
    while stage is not None and stage["index"] not in seen:
        seen.add(stage["index"])
        words.extend(by_index[stage["index"]]["expose"])
        base = stage["base_stage"]
        stage = next((s for s, _, _ in stages if s["index"] == base), None) if base is not None else None
    return words


def host_platform_text(view):
    return str(view.host) if isinstance(view.host, Platform) else "?"

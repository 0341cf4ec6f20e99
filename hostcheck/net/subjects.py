"""subject.* facts of the three network trees: neutral facts about one container, port or
path, read from the capture. rules/trees/net-*.yaml asks every question of them.

A builder takes a NetView and what the user asked about and returns a Subject: known
values, and for each unknown one the reason ("/proc/4242/net/tcp: not captured").
Nothing here answers a tree's question; SUBJECT_FACTS says what each fact is.
"""

import ipaddress

from hostcheck.net import paths
from hostcheck.net.model import DEFAULT_BRIDGE, show_socket

# name -> (type, meaning, the host fact it is read from when it mirrors one). The third
# field lets the catalogue contract test (tests/test_catalogue_contract.py) see that a tree
# node and a rule reading the same thing use the same operator.
SUBJECT_FACTS = {
    "subject.ref": ("str", "the container (or port) the user named; (all) for every running container", None),
    "subject.known": ("list[str]", "names of the host's containers", "docker.containers[].name"),
    "subject.found": ("bool", "a container of that name or id prefix exists", "docker.containers[].name"),
    "subject.name": ("str", "the container's name", "docker.containers[].name"),
    "subject.id": ("str", "the container's short id", "docker.containers[].id"),
    "subject.state": ("str", "the container's state: running, created, exited ...", "docker.containers[].state"),
    "subject.error": ("str", "the engine's last error for the container, or none", "docker.containers[].error"),
    "subject.network_mode": ("str", "bridge (the default), host, none, a network name, container:ID",
                             "docker.containers[].network_mode"),
    "subject.ip": ("str", "the container's address on its network", "docker.containers[].networks"),
    "subject.network": ("str", "the network's name (a bridge network first)", "docker.networks[].name"),
    "subject.bridge": ("str", "the network's Linux bridge", "docker.networks[].bridge"),
    "subject.subnets": ("list[str]", "the network's subnets", "docker.networks[].subnets"),
    "subject.internal": ("bool", "the network was created with --internal", "docker.networks[].internal"),
    "subject.network_scope": ("str", "local, or swarm for an overlay", "docker.networks[].scope"),
    "subject.icc": ("bool", "inter-container traffic enabled on the network", "docker.networks[].icc"),
    "subject.forward_rules": ("list[dict]", "filter FORWARD, DOCKER-FORWARD, DOCKER-CT and DOCKER-BRIDGE rules, parsed",
                              "iptables.tables[filter][FORWARD].rules"),
    "subject.forward_policy": ("str", "filter FORWARD's policy (ACCEPT without a filter table)",
                               "iptables.tables[filter][FORWARD].policy"),
    "subject.docker_user_rules": ("list[dict]", "filter DOCKER-USER rules, parsed", "iptables.tables[filter][DOCKER-USER].rules"),
    "subject.dnat_rules": ("list[dict]", "nat DOCKER rules, parsed", "iptables.tables[nat][DOCKER].rules"),
    "subject.bridge_zones": ("list[str]", "active firewalld zones holding the bridge",
                             "firewalld.interface_zones[].zones"),
    "subject.mtu": ("int", "the network's MTU", None),
    "subject.mtu_source": ("str", "com.docker.network.driver.mtu | daemon.json mtu | default", None),
    "subject.nameservers": ("list[str]", "nameservers of the container's resolv.conf", None),
    "subject.dns_options": ("list[str]", "the container's --dns servers", "docker.containers[].dns"),
    "subject.env_names": ("list[str]", "names of the container's environment variables", None),
    "subject.dockerd_proxy": ("str", "the proxy dockerd uses (HTTPS_PROXY, else HTTP_PROXY), or none", "net.dockerd_proxy"),
    "subject.spec": ("str", "net port: what was asked, PORT/proto or CONTAINER:PORT/proto", None),
    "subject.proto": ("str", "net port: tcp or udp", None),
    "subject.bindings": ("list[str]", "net port: published bindings of the port, HOST_IP:HOST_PORT->PORT/proto", None),
    "subject.published_ports": ("list[str]", "net port: every binding the container publishes", None),
    "subject.exposed_by": ("list[str]", "net port: containers that EXPOSE the port", None),
    "subject.host_port": ("int", "net port: the host port", None),
    "subject.host_ip": ("str", "net port: the host address the port is published on", None),
    "subject.container_port": ("int", "net port: the container's port", None),
    "subject.container_ip": ("str", "net port: the container's address", None),
    "subject.host_port_owners": ("list[str]", "net port: names of the processes listening on the host port (psutil)", None),
    "subject.host_port_holders": ("list[str]", "net port: those processes as NAME (pid N) ADDRESS; without psutil the sockets", None),
    "subject.host_port_sockets": ("list[str]", "net port: the host's listening sockets on the port (/proc/net)", None),
    "subject.listen_addresses": ("list[str]", "addresses the container listens on for the port", None),
    "subject.port_sockets": ("list[str]", "the container's listening sockets on the port", None),
    "subject.sockets": ("list[str]", "every listening socket of the container", None),
    "subject.by_name": ("bool", "net reach: DST was given as a container name", None),
    "subject.dst_ref": ("str", "net reach: DST as given", None),
    "subject.port": ("int|str", "net reach: DST's port, or any", None),
    "subject.src_networks": ("list[str]", "net reach: SRC's networks", "docker.containers[].networks"),
    "subject.dst_networks": ("list[str]", "net reach: DST's networks", "docker.containers[].networks"),
    "subject.shared_networks": ("list[str]", "net reach: networks both are on", "docker.containers[].networks"),
    "subject.join_network": ("str", "net reach: DST's first user-defined network (hc-shared when none)", None),
    "subject.dst_ip": ("str", "net reach: DST's address", None),
    "subject.unread": ("list[str]", "questions on the way that could not be answered (set by the walk)", None),
}
# DST's container facts in net reach carry the same meaning with a dst_ prefix.
for _name in ("found", "name", "id", "state", "error", "listen_addresses", "port_sockets", "sockets"):
    SUBJECT_FACTS["subject.dst_" + _name] = SUBJECT_FACTS["subject." + _name]


# The subject of `hostcheck net egress` without a container: every running one.
EVERY_CONTAINER = "(all)"


class Subject(object):
    def __init__(self, label):
        self.label = label
        self.values = {}
        self.unknown = {}

    def set(self, name, value):
        self.values["subject." + name] = value

    def missing(self, name, reason):
        self.unknown["subject." + name] = reason


# ---------------------------------------------------------------- shared parts

def _container_basics(subject, container, prefix=""):
    subject.set(prefix + "found", container is not None)
    if container is None:
        return
    subject.set(prefix + "name", container.get("name") or container.get("id", "")[:12])
    subject.set(prefix + "id", (container.get("id") or "")[:12])
    subject.set(prefix + "state", container.get("state") or "unknown")
    subject.set(prefix + "error", container.get("error") or "none")


def _primary_network(view, container):
    """(endpoint, network) of the container's first bridge network, else its first network."""
    pairs = view.container_networks(container)
    for endpoint, network in pairs:
        if network and network.get("driver") == "bridge":
            return endpoint, network
    return pairs[0] if pairs else (None, None)


def _network_mode(container):
    mode = container.get("network_mode") or "default"
    return DEFAULT_BRIDGE if mode == "default" else mode


def _listening(view, subject, container, port_number, proto, prefix=""):
    """The container's listening sockets: all of them, those on the port, their addresses."""
    sockets, reason = view.container_sockets(container)
    if sockets is None:
        for name in ("listen_addresses", "port_sockets", "sockets"):
            subject.missing(prefix + name, reason)
        return
    on_port = [s for s in sockets if s["port"] == port_number and s["proto"].startswith(proto)]
    subject.set(prefix + "sockets", [show_socket(s) for s in sockets])
    subject.set(prefix + "port_sockets", [show_socket(s) for s in on_port])
    subject.set(prefix + "listen_addresses", [s["ip"] for s in on_port])


# ---------------------------------------------------------------- net egress

def egress(view, ref):
    """Subject facts of net-egress for the container `ref` (a name or id)."""
    subject = Subject(ref)
    subject.set("ref", ref)
    subject.set("known", view.container_names())
    container = None if ref == EVERY_CONTAINER else view.find_container(ref)
    _container_basics(subject, container)
    if container is None:
        return subject
    mode = _network_mode(container)
    subject.set("network_mode", mode)
    endpoint, network = _primary_network(view, container)
    if network is None:
        subject.missing("internal", "network %s of container %s is not in the engine's list" % (mode, subject.label))
        return subject
    subject.set("ip", (endpoint or {}).get("ip") or "?")
    paths.bridge_facts(view, subject, network)
    servers, reason = view.container_nameservers(container)
    if servers is None:
        subject.missing("nameservers", reason)
    else:
        subject.set("nameservers", servers)
    subject.set("dns_options", list(container.get("dns") or []))
    subject.set("env_names", view.env_keys(container))
    proxy = view.facts.get("net.dockerd_proxy")
    if proxy is None:
        subject.missing("dockerd_proxy", view.facts.reason("net.dockerd_proxy"))
    else:
        subject.set("dockerd_proxy", proxy.get("https") or proxy.get("http") or "none")
    return subject


# ---------------------------------------------------------------- net port

class PortSpec(object):
    """A parsed `net port` argument: HOSTPORT[/proto] or CONTAINER:PORT[/proto]."""

    def __init__(self, container, port, proto):
        self.container, self.port, self.proto = container, port, proto

    def __str__(self):
        return "%s%d/%s" % (self.container + ":" if self.container else "", self.port, self.proto)


def parse_port_spec(text):
    """"8080", "8080/udp", "web:80", "web:80/tcp" -> PortSpec; ValueError with one line otherwise.

    >>> str(parse_port_spec("web:80"))
    'web:80/tcp'
    >>> parse_port_spec("99999")
    Traceback (most recent call last):
    ...
    ValueError: port 99999 is out of range (1-65535)
    """
    body, proto = text.strip(), "tcp"
    if "/" in body:
        body, _, proto = body.rpartition("/")
        proto = proto.lower()
        if proto not in ("tcp", "udp"):
            raise ValueError("protocol %r: expected tcp or udp" % proto)
    if body.count(":") > 1:
        raise ValueError("%r: expected HOSTPORT or CONTAINER:PORT" % text)
    container, _, port = body.rpartition(":")
    if ":" in body and not container:
        raise ValueError("%r: the container name before ':' is empty" % text)
    if not port.isdigit():
        raise ValueError("%r: %r is not a port number" % (text, port))
    number = int(port)
    if not 1 <= number <= 65535:
        raise ValueError("port %d is out of range (1-65535)" % number)
    return PortSpec(container or None, number, proto)


def _show_binding(binding):
    return "%s:%d->%d/%s" % (binding["host_ip"] or "0.0.0.0", binding["host_port"], binding["private"],
                             binding["proto"])


def _find_binding(view, spec, container):
    """(container, binding) publishing the spec: by the container's port, or by the host port."""
    candidates = [container] if spec.container else view.containers
    for candidate in candidates:
        for binding in view.port_bindings(candidate):
            port = binding["private"] if spec.container else binding["host_port"]
            if port == spec.port and binding["proto"] == spec.proto:
                return candidate, binding
    return container, None


def _host_port(view, subject, host_port, proto):
    """Who listens on the host port: psutil's owners, and the host's own socket tables."""
    sockets = view.host_sockets()
    if sockets is None:
        subject.missing("host_port_sockets", "/proc/net/%s: not captured" % proto)
    else:
        sockets = [show_socket(s) for s in sockets if s["port"] == host_port and s["proto"].startswith(proto)]
        subject.set("host_port_sockets", sockets)
    listeners = view.listeners()
    if listeners is None:
        subject.missing("host_port_owners", view.listeners_reason())
        if sockets is None:
            subject.missing("host_port_holders", view.listeners_reason())
        else:
            subject.set("host_port_holders", sockets)      # the sockets, their owners unknown
        return
    holding = [l for l in listeners if l.get("port") == host_port and str(l.get("proto", "")).startswith(proto)]
    subject.set("host_port_owners", [l.get("name") or "?" for l in holding])
    subject.set("host_port_holders", ["%s (pid %s) %s" % (
        l.get("name") or "?", l.get("pid") or "?",
        show_socket({"ip": l.get("ip", "?"), "port": host_port, "proto": l.get("proto")})) for l in holding])


def port(view, spec):
    """Subject facts of net-port for a PortSpec."""
    subject = Subject(str(spec))
    subject.set("spec", str(spec))
    subject.set("proto", spec.proto)
    subject.set("known", view.container_names())
    subject.set("ref", spec.container or "host port %d/%s" % (spec.port, spec.proto))
    named = view.find_container(spec.container) if spec.container else None
    subject.set("found", named is not None or spec.container is None)
    if spec.container and named is None:
        return subject
    container, binding = _find_binding(view, spec, named)
    exposers = [c for c in ([named] if spec.container else view.containers)
                if (spec.port, spec.proto) in view.exposed_ports(c)]
    subject.set("exposed_by", [c.get("name") for c in exposers])
    subject.set("bindings", [_show_binding(binding)] if binding else [])
    if container is not None:
        subject.set("published_ports", [_show_binding(b) for b in view.port_bindings(container)])
    if binding is None:
        # Nothing publishes it: the facts of the container asked about, or of one that EXPOSEs it.
        shown = container or (exposers[0] if exposers else None)
        if shown is not None:
            _container_basics(subject, shown)
        subject.set("container_port", spec.port)
        if spec.container is None:
            subject.set("host_port", spec.port)
            _host_port(view, subject, spec.port, spec.proto)
        return subject
    _container_basics(subject, container)
    subject.set("host_port", binding["host_port"])
    subject.set("container_port", binding["private"])
    subject.set("host_ip", binding["host_ip"] or "0.0.0.0")
    _host_port(view, subject, binding["host_port"], spec.proto)
    _listening(view, subject, container, binding["private"], spec.proto)
    endpoint, network = _primary_network(view, container)
    if (endpoint or {}).get("ip"):
        subject.set("container_ip", endpoint["ip"])
    else:
        subject.missing("container_ip", "container %s has no address on a network" % subject.values["subject.name"])
    if network is not None:
        paths.bridge_facts(view, subject, network)
    else:
        paths.iptables_facts(view, subject)
    return subject


# ---------------------------------------------------------------- net reach

def parse_destination(text):
    """DST of `net reach`: ("address", ip, port|None) or ("container", name, port|None).

    >>> parse_destination("10.231.1.2:80"), parse_destination("db:5432"), parse_destination("db")
    (('address', '10.231.1.2', 80), ('container', 'db', 5432), ('container', 'db', None))
    >>> parse_destination("a:b:c")
    Traceback (most recent call last):
    ...
    ValueError: 'a:b:c': expected a container, IP or IP:PORT
    """
    text = text.strip()
    if not text:
        raise ValueError("empty destination")
    body, port = text, None
    if text.startswith("[") and "]" in text:           # [fd00::2]:80
        body, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise ValueError("%r: expected [IPv6]:PORT" % text)
            port = int(rest[1:])
    elif text.count(":") == 1:
        body, _, word = text.partition(":")
        if not word.isdigit() or not body:
            raise ValueError("%r: expected a container, IP or IP:PORT" % text)
        port = int(word)
    elif text.count(":") > 1:
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise ValueError("%r: expected a container, IP or IP:PORT" % text)
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("port %d is out of range (1-65535)" % port)
    try:
        return ("address", str(ipaddress.ip_address(body)), port)
    except ValueError:
        return ("container", body, port)


def reach(view, src_ref, destination):
    """Subject facts of net-reach for SRC and a parsed destination."""
    kind, target, port_number = destination
    subject = Subject("%s -> %s%s" % (src_ref, target, ":%d" % port_number if port_number else ""))
    subject.set("ref", src_ref)
    subject.set("dst_ref", target)
    subject.set("known", view.container_names())
    subject.set("by_name", kind == "container")
    subject.set("port", port_number or "any")
    src = view.find_container(src_ref)
    dst = view.find_container(target) if kind == "container" else view.container_by_ip(target)
    _container_basics(subject, src)
    _container_basics(subject, dst, prefix="dst_")
    if src is None:
        return subject
    src_pairs = view.container_networks(src)
    subject.set("src_networks", [e.get("name") for e, _ in src_pairs])
    if dst is None:
        # An address that is no container's: the path out of SRC's network.
        subject.set("dst_ip", target)
        endpoint, network = _primary_network(view, src)
        if network is not None:
            paths.bridge_facts(view, subject, network)
        return subject
    dst_pairs = view.container_networks(dst)
    subject.set("dst_networks", [e.get("name") for e, _ in dst_pairs])
    src_names = set(e.get("name") for e, _ in src_pairs)
    shared = [(e, n) for e, n in dst_pairs if e.get("name") in src_names]
    subject.set("shared_networks", [e.get("name") for e, _ in shared])
    user_defined = [e.get("name") for e, _ in dst_pairs if e.get("name") and e.get("name") != DEFAULT_BRIDGE]
    subject.set("join_network", user_defined[0] if user_defined else "hc-shared")
    # The network they would talk over: a shared user-defined one first (names resolve there).
    chosen = [pair for pair in shared if pair[0].get("name") != DEFAULT_BRIDGE] or shared
    if chosen:
        endpoint, network = chosen[0]
        subject.set("dst_ip", endpoint.get("ip") or "?")
        if network is not None:
            subject.set("icc", network.get("icc") is not False)
            paths.bridge_facts(view, subject, network)
    _listening(view, subject, dst, port_number or 0, "tcp", prefix="dst_")
    return subject

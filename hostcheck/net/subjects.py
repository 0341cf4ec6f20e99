"""subject.* facts of the three network trees (rules/trees/net-*.yaml lists what each reads).

A builder takes a NetView and what the user asked about and returns a Subject: known
values, and for each unknown one the reason ("/proc/4242/net/tcp: not captured").
"""

import ipaddress

from hostcheck.net import paths
from hostcheck.net.model import DEFAULT_BRIDGE, EMBEDDED_DNS, ip_in, show_socket
from hostcheck.parse import sockets as sockets_parse

# Docker's fallback when the host gives it no usable nameserver (libnetwork resolvconf).
DOCKER_FALLBACK_DNS = ("8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844")
PROXY_KEYS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


class Subject(object):
    def __init__(self, label):
        self.label = label
        self.values = {}
        self.unknown = {}

    def set(self, name, value):
        self.values["subject." + name] = value

    def tri(self, name, answer_evidence):
        """A yes/no/unknown answer and its evidence: subject.NAME and subject.NAME_evidence."""
        answer, evidence = answer_evidence[0], answer_evidence[1]
        if answer is None:
            self.unknown["subject." + name] = evidence
        else:
            self.values["subject." + name] = answer
        self.values["subject.%s_evidence" % name] = evidence

    def missing(self, name, reason):
        self.unknown["subject." + name] = reason


# ---------------------------------------------------------------- shared parts

def _container_basics(view, subject, container, prefix=""):
    subject.set(prefix + "found", container is not None)
    if container is None:
        return
    subject.set(prefix + "name", container.get("name") or container.get("id", "")[:12])
    subject.set(prefix + "id", (container.get("id") or "")[:12])
    subject.set(prefix + "state", container.get("state") or "unknown")
    subject.set(prefix + "running", container.get("state") == "running")
    error = container.get("error")
    subject.set(prefix + "error", error or "none")


def _primary_network(view, container):
    """(endpoint, network) of the container's first bridge network, else its first network."""
    pairs = view.container_networks(container)
    for endpoint, network in pairs:
        if network and network.get("driver") == "bridge":
            return endpoint, network
    return pairs[0] if pairs else (None, None)


def _network_mode(container):
    mode = container.get("network_mode") or "default"
    if mode == "default":
        mode = DEFAULT_BRIDGE
    return mode


def _bridge_path(view, subject, network, direction="out"):
    """Facts of the host path for a network's bridge: forwarding, NAT, FORWARD, firewalld."""
    bridge = network.get("bridge") or ""
    subject.set("bridge", bridge or "none")
    subject.set("network", network.get("name") or "?")
    subject.set("subnets", network.get("subnets") or [])
    subject.set("internal", bool(network.get("internal")))
    subject.tri("masquerade", paths.masquerade(view, network))
    check = paths.forward_out if direction == "out" else paths.forward_in
    subject.tri("forward_ok", check(view, bridge))
    drops, evidence = paths.docker_user_drops(view)
    if drops is None:
        subject.missing("user_drops", evidence)
    else:
        subject.set("user_drops", drops)
    subject.set("user_drops_evidence", evidence)
    subject.tri("firewalld_ok", paths.firewalld_zone(view, bridge))
    fits, evidence, mtu = paths.mtu_fits(view, network)
    subject.tri("mtu_ok", (fits, evidence))
    subject.set("mtu", mtu)


# ---------------------------------------------------------------- net egress

def egress(view, ref):
    """Subject facts of net-egress for the container `ref` (a name or id)."""
    subject = Subject(ref)
    subject.set("ref", ref)
    subject.set("known", ", ".join(view.container_names()) or "none")
    container = view.find_container(ref)
    _container_basics(view, subject, container)
    if container is None:
        return subject
    mode = _network_mode(container)
    subject.set("network_mode", mode)
    subject.set("host_network", mode == "host")
    subject.set("networked", mode != "none")
    endpoint, network = _primary_network(view, container)
    if mode in ("host", "none") or network is None:
        if mode not in ("host", "none"):
            subject.missing("internal", "network %s of container %s is not in the engine's list" % (mode, subject.label))
        return subject
    subject.set("ip", (endpoint or {}).get("ip") or "?")
    _bridge_path(view, subject, network)
    _dns(view, subject, container, network)
    _proxy(view, subject, container)
    return subject


def _dns(view, subject, container, network):
    servers, reason = view.container_nameservers(container)
    if servers is None:
        subject.missing("dns_configured", reason)
        subject.missing("dns_upstream_ok", reason)
        subject.set("nameservers", "?")
        return
    subject.set("nameservers", servers or ["none"])
    embedded = EMBEDDED_DNS in servers
    usable = [s for s in servers if s == EMBEDDED_DNS or not sockets_parse.is_loopback(s)]
    subject.set("dns_configured", bool(usable))
    subject.set("dns_configured_evidence", "resolv.conf of %s: nameserver %s"
                % (subject.label, ", ".join(servers) or "none"))
    explicit = container.get("dns") or []
    daemon_dns = (view.facts.get("docker.daemon_json") or {}).get("dns")
    if explicit:
        subject.tri("dns_upstream_ok", (True, "--dns %s" % ", ".join(explicit)))
    elif daemon_dns:
        subject.tri("dns_upstream_ok", (True, 'daemon.json "dns": %s' % ", ".join(map(str, daemon_dns))))
    elif not view.facts.known("dns.upstream_nameservers"):
        subject.tri("dns_upstream_ok", (None, view.facts.reason("dns.upstream_nameservers")))
    else:
        upstream = view.facts.get("dns.upstream_nameservers") or []
        fallback = [s for s in servers if s in DOCKER_FALLBACK_DNS and s not in upstream]
        if upstream and not fallback:
            via = "Docker's embedded DNS %s forwards to" % EMBEDDED_DNS if embedded else "copied from the host:"
            subject.tri("dns_upstream_ok", (True, "%s %s" % (via, ", ".join(upstream))))
        else:
            host = ", ".join(view.facts.get("dns.nameservers") or []) or "none"
            subject.tri("dns_upstream_ok", (False, "the host's resolv.conf gives Docker no usable nameserver "
                                            "(host: %s), so containers fall back to 8.8.8.8 / 8.8.4.4" % host))


def _proxy(view, subject, container):
    proxy = view.facts.get("net.dockerd_proxy") or {}
    host_proxy = proxy.get("https") or proxy.get("http")
    keys = view.env_keys(container)
    has = [k for k in keys if k in PROXY_KEYS]
    if host_proxy and not has:
        subject.tri("proxy_ok", (False, "dockerd uses a proxy (%s) but %s has no HTTP(S)_PROXY in its environment"
                                 % (host_proxy, subject.label)))
    elif has:
        subject.tri("proxy_ok", (True, "%s sets %s" % (subject.label, ", ".join(has))))
    else:
        subject.tri("proxy_ok", (True, "no proxy configured for dockerd or the container"))


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


def _port_owner(view, host_port, proto):
    """(taken_by_other, evidence, owners) for a host port, from psutil listeners or /proc/net."""
    listeners = view.listeners()
    family = proto  # tcp / udp; listeners say tcp, tcp6 ...
    if listeners is not None:
        holding = [l for l in listeners if l.get("port") == host_port and str(l.get("proto", "")).startswith(family)]
        others = [l for l in holding if l.get("name") != "docker-proxy"]
        shown = ["%s (pid %s) on %s" % (l.get("name") or "?", l.get("pid") or "?",
                                        show_socket({"ip": l.get("ip", "?"), "port": host_port, "proto": l.get("proto")}))
                 for l in holding]
        if others:
            return True, "host port %d/%s is held by %s" % (host_port, proto, ", ".join(shown)), holding
        if holding:
            return False, "host port %d/%s is held by %s" % (host_port, proto, ", ".join(shown)), holding
        return False, "nothing listens on host port %d/%s" % (host_port, proto), holding
    host = view.host_sockets()
    if host is None:
        return None, view.listeners_reason(), None
    holding = [s for s in host if s["port"] == host_port and s["proto"].startswith(family)]
    if holding:
        return None, ("host port %d/%s is listened on (%s); %s"
                      % (host_port, proto, ", ".join(show_socket(s) for s in holding), view.listeners_reason())), None
    return False, "nothing listens on host port %d/%s (/proc/net/%s)" % (host_port, proto, proto), []


def port(view, spec):
    """Subject facts of net-port for a PortSpec."""
    subject = Subject(str(spec))
    subject.set("spec", str(spec))
    subject.set("proto", spec.proto)
    subject.set("by_container", spec.container is not None)
    subject.set("known", ", ".join(view.container_names()) or "none")
    container, binding, exposer = None, None, None
    if spec.container:
        subject.set("ref", spec.container)
        container = view.find_container(spec.container)
        if container is not None:
            for candidate in view.port_bindings(container):
                if candidate["private"] == spec.port and candidate["proto"] == spec.proto:
                    binding = candidate
                    break
            if binding is None and (spec.port, spec.proto) in view.exposed_ports(container):
                exposer = container
    else:
        subject.set("ref", "host port %d/%s" % (spec.port, spec.proto))
        for candidate_container in view.containers:
            for candidate in view.port_bindings(candidate_container):
                if candidate["host_port"] == spec.port and candidate["proto"] == spec.proto:
                    container, binding = candidate_container, candidate
                    break
            if container is not None:
                break
        if container is None:
            for candidate_container in view.containers:
                if (spec.port, spec.proto) in view.exposed_ports(candidate_container):
                    exposer = candidate_container
                    break
    subject.set("found", container is not None or exposer is not None or spec.container is None)
    subject.set("published", binding is not None)
    subject.set("exposed_by", exposer.get("name") if exposer else "none")
    if spec.container and container is None:
        subject.set("found", False)
        return subject
    if binding is None:
        subject.set("container_port", spec.port)
        if spec.container:
            bound = ", ".join("%d->%d/%s" % (b["host_port"], b["private"], b["proto"])
                              for b in view.port_bindings(container)) or "none"
            subject.set("published_evidence", "%s does not publish %d/%s (its published ports: %s)"
                        % (container.get("name"), spec.port, spec.proto, bound))
        else:
            subject.set("published_evidence", "no container publishes host port %d/%s" % (spec.port, spec.proto))
        if exposer is not None:
            _container_basics(view, subject, exposer)
        if spec.container is None:
            taken, evidence, _ = _port_owner(view, spec.port, spec.proto)
            subject.set("host_port", spec.port)
            subject.set("host_port_evidence", evidence)
        return subject
    _container_basics(view, subject, container)
    host_port, container_port = binding["host_port"], binding["private"]
    subject.set("host_port", host_port)
    subject.set("container_port", container_port)
    subject.set("host_ip", binding["host_ip"] or "0.0.0.0")
    subject.set("published_evidence", "%s publishes %s:%d -> %d/%s" % (
        subject.values["subject.name"], binding["host_ip"] or "0.0.0.0", host_port, container_port, spec.proto))
    # Held by someone else? While the container runs, docker-proxy holding it is expected.
    taken, evidence, holding = _port_owner(view, host_port, spec.proto)
    if taken is None and container.get("state") != "running" and "host port" in evidence:
        taken = True  # something listens there, and it cannot be this container's proxy
    subject.tri("host_port_taken", (taken, evidence))
    if holding is not None:
        subject.tri("proxy_listening", (any(l.get("name") == "docker-proxy" for l in holding), evidence))
    else:
        subject.tri("proxy_listening", (None, evidence))
    if container.get("state") != "running":
        return subject
    _listening(view, subject, container, container_port, spec.proto)
    endpoint, network = _primary_network(view, container)
    ip = (endpoint or {}).get("ip")
    subject.set("container_ip", ip or "?")
    dnat = [rule for rule in view.dnat_rules()
            if rule["host_port"] == host_port and rule["proto"] == spec.proto
            and (not ip or rule["to_ip"] == ip) and rule["to_port"] == container_port]
    if not view.facts.known("iptables.tables"):
        subject.tri("dnat", (None, view.facts.reason("iptables.tables")))
    elif dnat:
        subject.tri("dnat", (True, "nat DOCKER: %s" % dnat[0]["rule"]))
    else:
        subject.tri("dnat", (False, "nat DOCKER has no DNAT rule for %d/%s -> %s:%d" % (
            host_port, spec.proto, ip or "?", container_port)))
    if network is not None:
        _bridge_path(view, subject, network, direction="in")
    return subject


def _listening(view, subject, container, port_number, proto, prefix=""):
    sockets, reason = view.container_sockets(container)
    if sockets is None:
        subject.missing(prefix + "listening", reason)
        subject.missing(prefix + "loopback_only", reason)
        subject.set(prefix + "sockets", "?")
        return
    on_port = [s for s in sockets if s["port"] == port_number and s["proto"].startswith(proto)]
    reachable = [s for s in on_port if not sockets_parse.is_loopback(s["ip"])]
    name = container.get("name")
    shown = ", ".join(show_socket(s) for s in on_port)
    subject.set(prefix + "sockets", [show_socket(s) for s in sockets] or ["none"])
    if reachable:
        subject.tri(prefix + "listening", (True, "in %s's network namespace: %s" % (name, shown)))
        subject.set(prefix + "loopback_only", False)
    elif on_port:
        subject.tri(prefix + "listening", (False, "in %s's network namespace only %s: loopback, "
                                           "unreachable through the published port" % (name, shown)))
        subject.set(prefix + "loopback_only", True)
    else:
        listed = ", ".join(show_socket(s) for s in sockets) or "none"
        subject.tri(prefix + "listening", (False, "nothing in %s listens on %d/%s (its listening sockets: %s)"
                                           % (name, port_number, proto, listed)))
        subject.set(prefix + "loopback_only", False)


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
    label = "%s -> %s%s" % (src_ref, target, ":%d" % port_number if port_number else "")
    subject = Subject(label)
    subject.set("ref", src_ref)
    subject.set("dst_ref", target)
    subject.set("known", ", ".join(view.container_names()) or "none")
    src = view.find_container(src_ref)
    _container_basics(view, subject, src)
    dst = None
    if kind == "container":
        dst = view.find_container(target)
    else:
        dst = view.container_by_ip(target)
    subject.set("by_name", kind == "container")
    subject.set("dst_is_container", dst is not None or kind == "container")
    subject.set("port", port_number or "any")
    _container_basics(view, subject, dst, prefix="dst_")
    if src is None or src.get("state") != "running":
        return subject
    src_pairs = view.container_networks(src)
    subject.set("src_networks", [e.get("name") for e, _ in src_pairs] or ["none"])
    if dst is not None:
        dst_pairs = view.container_networks(dst)
        subject.set("dst_networks", [e.get("name") for e, _ in dst_pairs] or ["none"])
        src_ids = dict((e.get("network_id"), (e, n)) for e, n in src_pairs if e.get("network_id"))
        shared = [(src_ids[e.get("network_id")], (e, n)) for e, n in dst_pairs if e.get("network_id") in src_ids]
        subject.set("same_network", bool(shared))
        subject.set("shared_networks", [pair[1][0].get("name") for pair in shared] or ["none"])
        _pick_target_network(subject, dst_pairs, src)
        if not shared:
            return subject
        user_defined = [pair for pair in shared if pair[1][0].get("name") != DEFAULT_BRIDGE]
        subject.set("names_resolve", bool(user_defined) or kind == "address")
        chosen = (user_defined or shared)[0][1]
        endpoint, network = chosen
        subject.set("dst_ip", endpoint.get("ip") or "?")
        if network is None:
            return subject
        subject.set("network", network.get("name"))
        subject.set("bridge", network.get("bridge") or "none")
        subject.set("icc", network.get("icc") is not False)
        subject.tri("firewalld_ok", paths.firewalld_zone(view, network.get("bridge") or ""))
        subject.set("swarm_scope", network.get("scope") == "swarm")
        if port_number:
            if dst.get("state") == "running":
                _listening(view, subject, dst, port_number, "tcp", prefix="dst_")
        else:
            subject.set("dst_listening", True)
            subject.set("dst_listening_evidence", "no port given")
        return subject
    # An address that is no container's: the egress path of SRC's network.
    subject.set("dst_ip", target)
    endpoint, network = _primary_network(view, src)
    if network is None:
        return subject
    _bridge_path(view, subject, network)
    all_subnets = [s for n in view.networks for s in (n.get("subnets") or [])]
    subject.set("dst_docker_subnet", ip_in(target, all_subnets) or "none")
    return subject


def _pick_target_network(subject, dst_pairs, src):
    """The network to join SRC to when they share none: DST's first user-defined network."""
    names = [e.get("name") for e, _ in dst_pairs if e.get("name") and e.get("name") != DEFAULT_BRIDGE]
    subject.set("join_network", names[0] if names else "hc-shared")
    subject.set("join_needs_create", not names)

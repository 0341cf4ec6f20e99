"""Host network facts derived from other areas' facts: Docker subnets overlapping host
routes, the egress interface and its MTU, Docker's MTU, dockerd's proxy, the firewalld
zones of each interface, and how dockerd writes its firewall rules (iptables or nftables).
No captured text of their own except the engine's /info proxy and firewall fields.

Sample output::

    $ ip -j route    # this machine: a LAN on veth hc-lan0, then a Docker network on the same /24
    [{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},{"dst":"10.232.0.0/24","dev":"hc-lan0","protocol":"kernel","scope":"link","prefsrc":"10.232.0.254","flags":[]},{"dst":"10.232.0.0/24","dev":"br-9066b34feed1","protocol":"kernel","scope":"link","prefsrc":"10.232.0.1","flags":[]},{"dst":"172.17.0.0/16","dev":"docker0","protocol":"kernel","scope":"link","prefsrc":"172.17.0.1","flags":[]}]

>>> routes = [{"dst": "default", "dev": "eth0"}, {"dst": "10.232.0.0/24", "dev": "hc-lan0"},
...           {"dst": "10.232.0.0/24", "dev": "br-9066b34feed1"}, {"dst": "172.17.0.0/16", "dev": "docker0"}]
>>> networks = [{"name": "hc-net-overlap", "driver": "bridge", "subnets": ["10.232.0.0/24"], "bridge": "br-9066b34feed1"},
...             {"name": "bridge", "driver": "bridge", "subnets": ["172.17.0.0/16"], "bridge": "docker0"}]
>>> subnet_overlaps(routes, networks, {})
[{'source': 'network hc-net-overlap', 'subnet': '10.232.0.0/24', 'route': '10.232.0.0/24', 'dev': 'hc-lan0', 'kind': 'network', 'network': 'hc-net-overlap'}]
"""

import ipaddress

FACTS = ("net.subnet_overlaps", "net.egress_interface", "net.egress_mtu", "net.docker_mtu",
         "net.dockerd_proxy", "firewalld.interface_zones", "docker.firewall_backend")
INPUTS = ("engine:/info", "net.routes", "net.interfaces", "docker.networks", "docker.daemon_settings",
          "docker.daemon_json", "docker.state", "docker.version", "firewalld.zones")
PARSERS = ()
DEFAULT_MTU = 1500


def _net(text):
    try:
        return ipaddress.ip_network(text, strict=False)
    except (ValueError, TypeError):
        return None


def docker_interfaces(networks):
    names = {"docker0"}
    for network in networks or ():
        if network.get("bridge"):
            names.add(network["bridge"])
    return names


def subnet_overlaps(routes, networks, daemon_config):
    """Docker subnets (networks, daemon.json bip and default-address-pools) that overlap a host
    route through an interface that is not one of Docker's own bridges."""
    ours = docker_interfaces(networks)
    candidates = []
    for network in networks or ():
        if network.get("driver") not in ("bridge", "overlay", "macvlan", "ipvlan"):
            continue
        for subnet in network.get("subnets") or ():
            candidates.append(("network %s" % network.get("name"), subnet, "network", network.get("name")))
    config = daemon_config or {}
    if isinstance(config.get("bip"), str):
        candidates.append(('daemon.json "bip"', config["bip"], "bip", "bridge"))
    for pool in config.get("default-address-pools") or ():
        if isinstance(pool, dict) and isinstance(pool.get("base"), str):
            candidates.append(('daemon.json "default-address-pools"', pool["base"], "pool", None))
    found, seen = [], set()
    for source, subnet, kind, name in candidates:
        ours_net = _net(subnet)
        if ours_net is None:
            continue
        for route in routes or ():
            if route.get("dst") == "default" or route.get("dev") in ours:
                continue
            other = _net(route.get("dst"))
            if other is None or other.version != ours_net.version or other.prefixlen == 0:
                continue
            if other.is_loopback or other.is_link_local or other.is_multicast:
                continue
            if ours_net.overlaps(other):
                key = (source, str(ours_net), str(other), route.get("dev"))
                if key in seen:
                    continue
                seen.add(key)
                found.append({"source": source, "subnet": subnet, "route": route.get("dst"),
                              "dev": route.get("dev") or "?", "kind": kind, "network": name})
    return found


def egress_interface(routes):
    """The interface of the IPv4 default route with the lowest metric; None without one."""
    defaults = [r for r in routes or () if r.get("dst") == "default" and r.get("dev")]
    if not defaults:
        return None
    return sorted(defaults, key=lambda r: r.get("metric") or 0)[0]["dev"]


def interface_mtu(interfaces, name):
    for interface in interfaces or ():
        if interface.get("name") == name and isinstance(interface.get("mtu"), int):
            return interface["mtu"]
    return None


def docker_mtu(daemon_config):
    mtu = (daemon_config or {}).get("mtu")
    return mtu if isinstance(mtu, int) and not isinstance(mtu, bool) and mtu > 0 else DEFAULT_MTU


def dockerd_proxy(info):
    """/info's HttpProxy, HttpsProxy and NoProxy (dockerd's own environment) -> {http, https, no}."""
    info = info if isinstance(info, dict) else {}
    return {"http": info.get("HttpProxy") or "", "https": info.get("HttpsProxy") or "",
            "no": info.get("NoProxy") or ""}


def interface_zones(zones, docker_bridges):
    """Each interface an active firewalld zone holds, and each of Docker's bridges: the zones
    holding it (none for a bridge no zone holds), how many, and whether it is Docker's
    (rules/72-network-host.yaml and the net trees ask their questions of this list).

    >>> interface_zones({"public": {"interfaces": ["eth0", "docker0"]}, "docker": {"interfaces": ["br-1"]}}, {"docker0", "br-1", "br-2"})
    [{'interface': 'br-1', 'zones': ['docker'], 'zone_count': 1, 'docker_bridge': True}, {'interface': 'br-2', 'zones': [], 'zone_count': 0, 'docker_bridge': True}, {'interface': 'docker0', 'zones': ['public'], 'zone_count': 1, 'docker_bridge': True}, {'interface': 'eth0', 'zones': ['public'], 'zone_count': 1, 'docker_bridge': False}]
    """
    holders = dict((bridge, []) for bridge in docker_bridges)
    for name, zone in sorted((zones or {}).items()):
        for interface in (zone or {}).get("interfaces") or ():
            holders.setdefault(interface, []).append(name)
    return [{"interface": interface, "zones": names, "zone_count": len(names),
             "docker_bridge": interface in docker_bridges}
            for interface, names in sorted(holders.items())]


def firewall_backend(info, settings):
    """How dockerd writes its firewall rules: /info FirewallBackend.Driver when the engine
    says (API 1.49+: "iptables", "nftables", "+firewalld" when it works through firewalld),
    else the "firewall-backend" setting (daemon.json or --firewall-backend), else "iptables",
    the only backend before Docker 29; None when neither the engine nor the settings were read.

    >>> firewall_backend({"FirewallBackend": {"Driver": "nftables+firewalld"}}, {}), firewall_backend({}, {"firewall-backend": "nftables"})
    ('nftables+firewalld', 'nftables')
    >>> firewall_backend({"ServerVersion": "20.10.24"}, None), firewall_backend(None, None)
    ('iptables', None)
    """
    reported = info.get("FirewallBackend") if isinstance(info, dict) else None
    driver = reported.get("Driver") if isinstance(reported, dict) else None
    if isinstance(driver, str) and driver:
        return driver
    chosen = (settings or {}).get("firewall-backend")
    if isinstance(chosen, str) and chosen:
        return chosen
    return "iptables" if isinstance(info, dict) or settings is not None else None


def build(view, facts):
    routes, networks = facts.get("net.routes"), facts.get("docker.networks")
    # daemon.json with the running dockerd's flags (--bip, --mtu ...) written over it.
    config = next((facts.get(n) for n in ("docker.daemon_settings", "docker.daemon_json") if facts.known(n)), {})
    if routes is None:
        facts.missing("net.subnet_overlaps", facts.reason("net.routes"))
    elif networks is None and not config:
        facts.missing("net.subnet_overlaps", facts.reason("docker.networks"))
    else:
        facts.set("net.subnet_overlaps", subnet_overlaps(routes, networks or [], config))
    facts.set("net.docker_mtu", docker_mtu(config))
    egress = egress_interface(routes) if routes is not None else None
    if egress:
        facts.set("net.egress_interface", egress)
        mtu = interface_mtu(facts.get("net.interfaces"), egress)
        if mtu:
            facts.set("net.egress_mtu", mtu)
        else:
            facts.missing("net.egress_mtu", facts.reason("net.interfaces") if not facts.known("net.interfaces")
                          else "ip -j addr lists no MTU for %s" % egress)
    else:
        reason = facts.reason("net.routes") if routes is None else "no IPv4 default route"
        facts.missing("net.egress_interface", reason)
        facts.missing("net.egress_mtu", reason)
    info = view.responses().get("/info")
    if facts.get("docker.state") == "running" and isinstance(info, dict):
        facts.set("net.dockerd_proxy", dockerd_proxy(info))
    else:
        # the engine's own reason says why in words ("the Docker engine is not running (...)")
        if not facts.known("docker.state"):
            reason = facts.reason("docker.state")
        elif facts.get("docker.state") != "running":
            reason = facts.reason("docker.version")
        else:
            reason = "engine /info: not captured"
        facts.missing("net.dockerd_proxy", reason)
    running_info = info if facts.get("docker.state") == "running" and isinstance(info, dict) else None
    settings = next((facts.get(n) for n in ("docker.daemon_settings", "docker.daemon_json") if facts.known(n)), None)
    backend = firewall_backend(running_info, settings)
    if backend:
        facts.set("docker.firewall_backend", backend)
    else:
        facts.missing("docker.firewall_backend", facts.reason("docker.daemon_settings"))
    zones = facts.get("firewalld.zones")
    if zones is None:
        facts.missing("firewalld.interface_zones", facts.reason("firewalld.zones"))
    else:
        facts.set("firewalld.interface_zones", interface_zones(zones, docker_interfaces(networks)))

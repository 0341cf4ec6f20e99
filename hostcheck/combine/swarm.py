"""Multi-host networking: whether it was asked for (--multi-host), the node's swarm role and
address, what other nodes must reach here (ports, ESP), the overlay networks and their MTU,
the interface swarm traffic leaves by, and the firewalld zone that receives it.

The request is a fact like any other: `check --multi-host` / `analyze --multi-host` add
{"request": {"multi_host": true}} to the document they judge (hostcheck/cli.py), so the
rules of rules/74-multihost.yaml decide from facts alone.
"""

import ipaddress

from hostcheck.parse import swarm

ZONE_FACTS = ("swarm.firewalld_zone", "swarm.firewalld_target", "swarm.firewalld_services", "swarm.firewalld_openings")
FACTS = ("request.multi_host", "swarm.manager", "swarm.node_addr", "swarm.data_path_port", "swarm.ports",
         "swarm.overlay_networks", "swarm.encrypted_networks", "swarm.underlay_interface",
         "swarm.underlay_mtu") + ZONE_FACTS
INPUTS = ("section:request", "engine:/info", "engine:/networks", "engine:/networks/<id>",
          "docker.state", "docker.swarm_state", "net.interfaces", "net.egress_interface",
          "firewalld.state", "firewalld.zone_settings")
PARSERS = (swarm.swarm_info, swarm.swarm_ports, swarm.overlay_networks)
IN_SWARM = ("active", "pending", "locked", "error")


def build(view, facts):
    request = view.section("request")
    facts.set("request.multi_host", request.get("multi_host") is True)
    responses = view.responses()
    running = facts.get("docker.state") == "running"
    info = swarm.swarm_info(responses.get("/info")) if running else {}
    in_swarm = facts.get("docker.swarm_state") in IN_SWARM
    not_in = ("not in a swarm (Swarm: %s)" % facts.get("docker.swarm_state") if facts.known("docker.swarm_state")
              else facts.reason("docker.swarm_state"))
    for fact, key in (("swarm.manager", "manager"), ("swarm.node_addr", "node_addr")):
        if in_swarm and info.get(key) is not None:
            facts.set(fact, info[key])
        else:
            facts.missing(fact, not_in if not in_swarm else "engine /info: no Swarm.%s" % key)
    port = info.get("data_path_port")
    if in_swarm and port:
        facts.set("swarm.data_path_port", port)
    else:
        facts.missing("swarm.data_path_port", not_in if not in_swarm else
                      "a worker's /info does not show the swarm's data path port (4789 unless the swarm was "
                      "created with --data-path-port)")
    # What other nodes must reach: the swarm's data path port, else the default (a worker,
    # or a host not yet in a swarm that is judged for --multi-host).
    facts.set("swarm.ports", swarm.swarm_ports(port))
    if running and isinstance(responses.get("/networks"), list):
        overlays = swarm.overlay_networks(responses)
        facts.set("swarm.overlay_networks", overlays)
        facts.set("swarm.encrypted_networks", [n["name"] for n in overlays if n["encrypted"]])
    else:
        reason = facts.reason("docker.state") if not running else "engine /networks: not captured"
        facts.missing("swarm.overlay_networks", reason)
        facts.missing("swarm.encrypted_networks", reason)
    _underlay(facts, info.get("node_addr") if in_swarm else None)


def _holder(interfaces, address):
    """The interface one of whose addresses is `address`, else None."""
    try:
        wanted = ipaddress.ip_address(address)
    except ValueError:
        return None
    for interface in interfaces or ():
        for cidr in interface.get("addresses") or ():
            try:
                if ipaddress.ip_interface(cidr).ip == wanted:
                    return interface
            except ValueError:
                continue
    return None


def _underlay(facts, node_addr):
    interfaces = facts.get("net.interfaces")
    chosen = _holder(interfaces, node_addr) if node_addr else None
    name = chosen.get("name") if chosen else facts.get("net.egress_interface")
    if not name:
        reason = facts.reason("net.interfaces") if not facts.known("net.interfaces") else \
            facts.reason("net.egress_interface")
        for fact in ("swarm.underlay_interface", "swarm.underlay_mtu") + ZONE_FACTS:
            facts.missing(fact, reason)
        return
    facts.set("swarm.underlay_interface", name)
    mtu = next((i.get("mtu") for i in interfaces or () if i.get("name") == name), None)
    if isinstance(mtu, int) and not isinstance(mtu, bool):
        facts.set("swarm.underlay_mtu", mtu)
    else:
        facts.missing("swarm.underlay_mtu", "ip -j addr lists no MTU for %s" % name
                      if facts.known("net.interfaces") else facts.reason("net.interfaces"))
    _zone(facts, name)


def _zone(facts, interface):
    """The zone firewalld applies to traffic arriving on `interface`: the one holding it, else
    the default zone (firewalld's rule for interfaces no zone names)."""
    reason = None
    zones = facts.get("firewalld.zone_settings")
    if facts.get("firewalld.state") in ("not_running", "not_installed"):
        reason = "firewalld is %s" % facts.get("firewalld.state").replace("_", " ")
    elif not zones:
        reason = (facts.reason("firewalld.zone_settings") if not facts.known("firewalld.zone_settings")
                  else "firewall-cmd --list-all-zones: no zone listed")
    name = None
    if reason is None:
        name = next((z for z, s in sorted(zones.items()) if interface in (s.get("interfaces") or ())), None)
        name = name or next((z for z, s in sorted(zones.items()) if s.get("default")), None)
        if name is None:
            reason = "no firewalld zone holds %s and none is marked default" % interface
    if reason is not None:
        for fact in ZONE_FACTS:
            facts.missing(fact, reason)
        return
    settings = zones[name]
    facts.set("swarm.firewalld_zone", name)
    facts.set("swarm.firewalld_target", settings.get("target") or "default")
    facts.set("swarm.firewalld_services", list(settings.get("services") or []))
    facts.set("swarm.firewalld_openings", list(settings.get("ports") or []) + list(settings.get("protocols") or []))

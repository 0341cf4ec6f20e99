"""What a bridge network's traffic meets on the host, as neutral facts: the filter rules and
policy it passes, the user's DOCKER-USER rules, the nat DOCKER rules, the firewalld zones
holding the bridge, the network's MTU and where it comes from.

Nothing here judges: rules/trees/net-*.yaml asks the questions of these facts with the
catalogue's operators (has_rule, any_within, contains_any, ge ...).
"""

from hostcheck.net.model import DEFAULT_MTU

# The filter chains whose rules decide a bridge's forwarded traffic: FORWARD, and from
# Docker 28.0.1 the chains it jumps to (moby#49518): DOCKER-FORWARD holds "-i BRIDGE -j
# ACCEPT", DOCKER-CT "-o BRIDGE ... RELATED,ESTABLISHED -j ACCEPT", DOCKER-BRIDGE "-o BRIDGE
# -j DOCKER" (moby integration/network/bridge/iptablesdoc/generated/new-daemon.md).
FORWARD_CHAINS = ("FORWARD", "DOCKER-FORWARD", "DOCKER-CT", "DOCKER-BRIDGE")


def iptables_facts(view, subject):
    """subject.forward_rules, forward_policy, docker_user_rules, dnat_rules (parsed rules)."""
    names = ("forward_rules", "forward_policy", "docker_user_rules", "dnat_rules")
    if not view.facts.known("iptables.tables"):
        for name in names:
            subject.missing(name, view.facts.reason("iptables.tables"))
        return
    subject.set("forward_rules", [rule for chain in FORWARD_CHAINS for rule in view.chain_rules("filter", chain)])
    # A chain without a policy, or no filter table at all, lets packets through: the kernel's ACCEPT.
    subject.set("forward_policy", view.chain_policy("filter", "FORWARD") or "ACCEPT")
    subject.set("docker_user_rules", view.chain_rules("filter", "DOCKER-USER"))
    subject.set("dnat_rules", view.chain_rules("nat", "DOCKER"))


def bridge_zones(view, bridge):
    """(zones of firewalld.interface_zones holding `bridge`, None) or (None, reason)."""
    entries = view.facts.get("firewalld.interface_zones")
    if entries is None:
        return None, view.facts.reason("firewalld.interface_zones")
    for entry in entries:
        if entry.get("interface") == bridge:
            return list(entry.get("zones") or []), None
    return [], None


def network_mtu(view, network):
    """(MTU, where it comes from): the network's driver option, daemon.json "mtu", else Docker's default."""
    mtu = network.get("mtu")
    if isinstance(mtu, int):
        return mtu, "com.docker.network.driver.mtu"
    config = view.facts.get("docker.daemon_json") or {}
    if isinstance(config.get("mtu"), int) and not isinstance(config["mtu"], bool):
        return config["mtu"], "daemon.json mtu"
    return DEFAULT_MTU, "default"


def bridge_facts(view, subject, network):
    """Neutral facts of a network and the host path of its bridge."""
    bridge = network.get("bridge") or ""
    subject.set("network", network.get("name") or "?")
    subject.set("bridge", bridge or "none")
    subject.set("internal", bool(network.get("internal")))
    subject.set("network_scope", network.get("scope") or "local")
    subnets = network.get("subnets") or []
    if subnets:
        subject.set("subnets", subnets)
    else:
        subject.missing("subnets", "network %s has no subnet in its IPAM config" % network.get("name"))
    iptables_facts(view, subject)
    zones, reason = bridge_zones(view, bridge)
    if zones is None:
        subject.missing("bridge_zones", reason)
    else:
        subject.set("bridge_zones", zones)
    mtu, source = network_mtu(view, network)
    subject.set("mtu", mtu)
    subject.set("mtu_source", source)

"""Host-side checks one container's traffic meets: forwarding, NAT, FORWARD chain, firewalld, MTU.

Each helper returns (answer, evidence): answer True / False, or None when the capture cannot
tell (the evidence then says why). The subject builders turn them into subject.* facts.
"""

from hostcheck.net.model import DEFAULT_MTU, subnet_covers

_DROPPING = ("DROP", "REJECT")


def masquerade(view, network):
    """Is there a nat POSTROUTING MASQUERADE rule for this network's subnet?"""
    subnets = network.get("subnets") or []
    if not subnets:
        return None, "network %s has no IPv4 subnet in its IPAM config" % network.get("name")
    if not view.facts.known("iptables.masquerade_sources"):
        return None, view.facts.reason("iptables.masquerade_sources")
    sources = view.facts.get("iptables.masquerade_sources") or []
    covering = subnet_covers(subnets, sources)
    if covering:
        bridge = network.get("bridge") or "?"
        return True, "nat POSTROUTING: -s %s ! -o %s -j MASQUERADE" % (covering, bridge)
    shown = ", ".join(sources) or "none"
    return False, "no nat POSTROUTING MASQUERADE rule for %s (MASQUERADE sources: %s)" % (", ".join(subnets), shown)


def _rules_for(view, bridge):
    """(chain, rule) pairs of the filter chains that decide a bridge's forwarded traffic."""
    pairs = []
    for chain in ("FORWARD", "DOCKER-FORWARD"):
        for rule in view.chain_rules("filter", chain):
            pairs.append((chain, rule))
    return pairs


def _has_word_pair(words, flag, value):
    for i, word in enumerate(words[:-1]):
        if word == flag and words[i + 1] == value and (i == 0 or words[i - 1] != "!"):
            return True
    return False


def forward_out(view, bridge):
    """Does filter FORWARD let traffic from `bridge` leave the host?"""
    def leaves(words):
        return (_has_word_pair(words, "-i", bridge) and words[-1] == "ACCEPT"
                and not _has_word_pair(words, "-o", bridge))
    return _forward(view, bridge, leaves, "filter FORWARD policy %s and no ACCEPT rule for traffic from %s "
                                          "(Docker's FORWARD rules are gone)")


def forward_in(view, bridge):
    """Does filter FORWARD let replies and published-port traffic into `bridge`?"""
    def enters(words):
        return _has_word_pair(words, "-o", bridge) and words[-1] in ("ACCEPT", "DOCKER", "DOCKER-BRIDGE")
    return _forward(view, bridge, enters, "filter FORWARD policy %s and no rule for traffic to %s")


def _forward(view, bridge, lets_through, refusal):
    """(answer, evidence): the first rule for `bridge` that `lets_through`, else the policy."""
    if not view.facts.known("iptables.tables"):
        return None, view.facts.reason("iptables.tables")
    if not view.tables.get("filter"):
        return True, "no filter table: nothing filters forwarded traffic"
    policy = view.chain_policy("filter", "FORWARD") or "ACCEPT"
    for chain, rule in _rules_for(view, bridge):
        if lets_through(rule.split()):
            return True, "filter %s: -A %s %s" % (chain, chain, rule)
    if policy == "ACCEPT":
        return True, "filter FORWARD policy ACCEPT"
    return False, refusal % (policy, bridge)


def docker_user_drops(view):
    """DROP / REJECT rules in DOCKER-USER (the user's own rules, evaluated before Docker's)."""
    if not view.facts.known("iptables.tables"):
        return None, view.facts.reason("iptables.tables")
    drops = ["-A DOCKER-USER " + rule for rule in view.chain_rules("filter", "DOCKER-USER")
             if rule.split() and rule.split()[-1] in _DROPPING]
    if drops:
        return drops, "; ".join(drops)
    return [], "DOCKER-USER has no DROP or REJECT rule"


def firewalld_zone(view, bridge):
    """Is `bridge` in a zone that lets container traffic through (docker or trusted)?"""
    state = view.facts.get("firewalld.state")
    if state is None:
        return None, view.facts.reason("firewalld.state")
    if state != "running":
        return True, "firewalld %s" % state
    zones = view.facts.get("firewalld.zones")
    if zones is None:
        return None, view.facts.reason("firewalld.zones")
    holding = sorted(name for name, zone in zones.items()
                     if bridge in ((zone or {}).get("interfaces") or []))
    if any(name in ("docker", "trusted") for name in holding):
        return True, "firewalld zone %s holds %s" % (", ".join(holding), bridge)
    if holding:
        return False, "firewalld puts %s into zone %s, not docker" % (bridge, ", ".join(holding))
    return False, ("firewalld runs with no docker zone holding %s (active zones: %s): "
                   "firewalld started after dockerd" % (bridge, ", ".join(sorted(zones)) or "none"))


def network_mtu(view, network):
    mtu = network.get("mtu")
    if isinstance(mtu, int):
        return mtu, "network option com.docker.network.driver.mtu=%d" % mtu
    config = view.facts.get("docker.daemon_json") or {}
    if isinstance(config.get("mtu"), int):
        return config["mtu"], 'daemon.json "mtu": %d' % config["mtu"]
    return DEFAULT_MTU, "Docker's default MTU %d" % DEFAULT_MTU


def mtu_fits(view, network):
    mtu, source = network_mtu(view, network)
    egress = view.facts.get("net.egress_interface")
    egress_mtu = view.facts.get("net.egress_mtu")
    if egress is None or egress_mtu is None:
        return None, view.facts.reason("net.egress_mtu"), mtu
    if egress_mtu < mtu:
        return False, ("%s (%s) is above the MTU of the egress interface %s (%d): large packets "
                       "are dropped and TLS handshakes stall" % (mtu, source, egress, egress_mtu)), mtu
    return True, "container MTU %d (%s) fits egress interface %s (MTU %d)" % (mtu, source, egress, egress_mtu), mtu

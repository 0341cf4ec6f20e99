"""The network operators (hostcheck/judge/netmatch.py) through the catalogue's evaluate():
results, three-valued unknowns, evidence in en and zh, and the compiler's validation.

Rules are real iptables-save lines: this machine's docker.io 20.10 (tests/data/net/
scenarios.json), docker-ce 28's DOCKER-FORWARD layout, and a DOCKER-USER rule with a comment.
"""

import pytest

from hostcheck.facts import Facts
from hostcheck.judge.compile import CatalogueError, _Checker
from hostcheck.judge.conditions import Scope, evaluate, facts_read
from hostcheck.judge.netmatch import has_rule, iface_names, port_in
from hostcheck.net.model import parse_rule

FORWARD_20_10 = [parse_rule("FORWARD", text) for text in (
    "-j DOCKER-USER",
    "-j DOCKER-ISOLATION-STAGE-1",
    "-o br-61036f10e460 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-o br-61036f10e460 -j DOCKER",
    "-i br-61036f10e460 ! -o br-61036f10e460 -j ACCEPT",
    "-i br-61036f10e460 -o br-61036f10e460 -j ACCEPT",
    "-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-o docker0 -j DOCKER",
    "-i docker0 ! -o docker0 -j ACCEPT",
    "-i docker0 -o docker0 -j ACCEPT",
)]
NAT_DOCKER = [parse_rule("DOCKER", text) for text in (
    "-i docker0 -j RETURN",
    "! -i docker0 -p tcp -m tcp --dport 18080 -j DNAT --to-destination 172.17.0.2:8080",
    "! -i docker0 -p tcp -m tcp --dport 18090 -j DNAT --to-destination 172.17.0.3:8080",
    "! -i docker0 -p udp -m udp --dport 8000:8100 -j DNAT --to-destination 172.17.0.4:8000-8100",
)]
OUT = {"in": {"fact": "subject.bridge"}, "not_out": {"fact": "subject.bridge"}, "target": ["ACCEPT"]}


def check(condition, lang="en", **subject):
    facts = Facts({"iptables.masquerade_sources": ["10.231.2.0/24", "10.231.1.0/24", "172.17.0.0/16"],
                   "dns.upstream_nameservers": ["10.255.255.53"]},
                  {"net.egress_mtu": "no IPv4 default route"})
    extra = dict(("subject." + key, value) for key, value in subject.items())
    return evaluate(condition, Scope(facts, extra=extra), lang)


# ---------------------------------------------------------------- addresses

@pytest.mark.parametrize("subnets, sources, result, evidence", [
    (["172.17.0.0/16"], {"fact": "iptables.masquerade_sources"}, True, "subject.subnets: 172.17.0.0/16 in 172.17.0.0/16"),
    (["172.29.0.0/16"], ["172.16.0.0/12"], True, "subject.subnets: 172.29.0.0/16 in 172.16.0.0/12"),
    (["172.29.0.0/16"], ["172.29.1.0/24"], False, "subject.subnets = 172.29.0.0/16: none in 172.29.1.0/24"),
    (["fd00:1::/64", "172.20.0.0/16"], ["172.16.0.0/12"], True, "subject.subnets: 172.20.0.0/16 in 172.16.0.0/12"),
    (["fd00:1::/64"], ["0.0.0.0/0"], False, "subject.subnets = fd00:1::/64: none in 0.0.0.0/0"),
    ([], ["172.16.0.0/12"], False, "subject.subnets = none: none in 172.16.0.0/12"),
])
def test_any_within(subnets, sources, result, evidence):
    condition = {"fact": "subject.subnets", "op": "any_within", "value": sources}
    assert check(condition, subnets=subnets) == (result, evidence)


@pytest.mark.parametrize("servers, result, evidence", [
    (["127.0.0.53"], True, "subject.nameservers: 127.0.0.53 in 127.0.0.0/8"),
    (["127.0.0.1", "::1"], True, "subject.nameservers: 127.0.0.1 in 127.0.0.0/8, ::1 in ::1/128"),
    (["10.255.255.53", "127.0.0.1"], False, "subject.nameservers: 10.255.255.53 outside 127.0.0.0/8, ::1/128"),
    (["resolver.corp"], False, "subject.nameservers: resolver.corp outside 127.0.0.0/8, ::1/128"),
    ([], True, "subject.nameservers is empty"),
])
def test_within(servers, result, evidence):
    condition = {"fact": "subject.nameservers", "op": "within", "value": ["127.0.0.0/8", "::1/128"]}
    assert check(condition, nameservers=servers) == (result, evidence)


def test_address_evidence_in_chinese():
    condition = {"fact": "subject.subnets", "op": "any_within", "value": ["172.16.0.0/12"]}
    assert check(condition, "zh", subnets=["172.29.0.0/16"]) == (True, "subject.subnets：172.29.0.0/16 属于 172.16.0.0/12")
    assert check(condition, "zh", subnets=["10.0.0.0/8"]) == (False, "subject.subnets = 10.0.0.0/8：没有一项属于 172.16.0.0/12")
    condition = {"fact": "subject.nameservers", "op": "within", "value": ["127.0.0.0/8"]}
    assert check(condition, "zh", nameservers=["8.8.8.8"]) == (False, "subject.nameservers：8.8.8.8 不在 127.0.0.0/8 之内")


def test_unknown_facts_are_unknown_with_their_reason():
    condition = {"fact": "subject.subnets", "op": "any_within", "value": {"fact": "iptables.masquerade_sources"}}
    assert check(condition) == (None, "subject.subnets: not captured")
    facts = Facts({}, {"iptables.masquerade_sources": "iptables-save: permission_denied"})
    scope = Scope(facts, extra={"subject.subnets": ["172.17.0.0/16"]})
    assert evaluate(condition, scope) == (None, "iptables-save: permission_denied")
    # not (unknown) stays unknown: a loopback question never becomes a silent pass.
    assert check({"not": {"fact": "subject.nameservers", "op": "within", "value": ["127.0.0.0/8"]}})[0] is None


def test_all_in():
    condition = {"fact": "subject.host_port_owners", "op": "all_in", "value": ["docker-proxy"]}
    assert check(condition, host_port_owners=["docker-proxy", "docker-proxy"]) == \
        (True, "subject.host_port_owners = docker-proxy, docker-proxy, all among docker-proxy")
    assert check(condition, host_port_owners=["docker-proxy", "python3"]) == \
        (False, "subject.host_port_owners has python3, not among docker-proxy")
    assert check(condition, host_port_owners=[]) == (True, "subject.host_port_owners is empty")
    assert check(condition, "zh", host_port_owners=["nginx"]) == \
        (False, "subject.host_port_owners 中的 nginx 不在 docker-proxy 之中")


# ---------------------------------------------------------------- iptables rules

def test_iface_names_and_ports():
    assert iface_names("docker0", "docker0") and not iface_names("docker0", "docker1")
    assert iface_names("br+", "br-61036f10e460") and not iface_names("br+", "docker0")
    assert not iface_names("!docker0", "br-61036f10e460")     # a negated match names no interface
    assert port_in("8080", 8080) and port_in("8000:8100", "8042") and port_in("8000-8100", 8100)
    assert port_in("80,443", 443) and not port_in("80,443", 8443)
    assert port_in("!22", 80) and not port_in("!22", 22)
    assert not port_in("8080", "http") and not port_in("x:y", 1)


@pytest.mark.parametrize("bridge, pattern, result, evidence", [
    # egress: -i BRIDGE, not -o BRIDGE, ACCEPT (the icc rule -i X -o X does not count)
    ("docker0", OUT, True, "subject.rules: -A FORWARD -i docker0 ! -o docker0 -j ACCEPT"),
    ("br-61036f10e460", OUT, True, "subject.rules: -A FORWARD -i br-61036f10e460 ! -o br-61036f10e460 -j ACCEPT"),
    ("br-0fd7c3a9e1b2", OUT, False, "subject.rules: no rule with target=ACCEPT, in=br-0fd7c3a9e1b2, "
                                    "not_out=br-0fd7c3a9e1b2 (of 10)"),
    # published ports and replies: -o BRIDGE to ACCEPT or DOCKER
    ("docker0", {"out": {"fact": "subject.bridge"}, "target": ["ACCEPT", "DOCKER"]}, True,
     "subject.rules: -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT; "
     "-A FORWARD -o docker0 -j DOCKER; -A FORWARD -i docker0 -o docker0 -j ACCEPT"),
])
def test_has_rule_on_docker_20_10_forward(bridge, pattern, result, evidence):
    condition = {"fact": "subject.rules", "op": "has_rule", "value": pattern}
    assert check(condition, rules=FORWARD_20_10, bridge=bridge) == (result, evidence)


def test_has_rule_docker28_layout_and_wildcards():
    rules = [parse_rule("DOCKER-FORWARD", "-j DOCKER-CT"), parse_rule("DOCKER-FORWARD", "-i docker0 -j ACCEPT"),
             parse_rule("DOCKER-CT", "-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")]
    assert has_rule(rules, {"in": "docker0", "not_out": "docker0", "target": ["ACCEPT"]}) == \
        (True, ["-A DOCKER-FORWARD -i docker0 -j ACCEPT"])
    assert has_rule(rules, {"out": "docker0", "target": ["ACCEPT"], "chain": "DOCKER-CT"})[0]
    wildcard = [parse_rule("FORWARD", "-i br+ -j ACCEPT"), parse_rule("FORWARD", "! -i docker0 -o eth0 -j ACCEPT")]
    assert has_rule(wildcard, {"in": "br-61036f10e460", "target": ["ACCEPT"]})[0]
    assert not has_rule(wildcard, {"in": "docker0", "target": ["ACCEPT"]})[0]


@pytest.mark.parametrize("pattern, result", [
    ({"target": ["DNAT"], "proto": "tcp", "dport": 18090, "to_ip": "172.17.0.3", "to_port": 8080}, True),
    ({"target": ["DNAT"], "proto": "tcp", "dport": 18090, "to_ip": "172.17.0.2", "to_port": 8080}, False),
    ({"target": ["DNAT"], "proto": "udp", "dport": 18090}, False),
    ({"target": ["DNAT"], "proto": "udp", "dport": 8042, "to_ip": "172.17.0.4", "to_port": 8042}, True),
    ({"target": ["DNAT"], "dport": 8101}, False),
])
def test_has_rule_dnat_ports_and_ranges(pattern, result):
    assert has_rule(NAT_DOCKER, pattern)[0] is result


def test_has_rule_names_drops_with_comments_and_counts_more():
    rules = [parse_rule("DOCKER-USER", '-s 10.0.0.0/8 -m comment --comment "site policy" -j DROP'),
             parse_rule("DOCKER-USER", "-p tcp --dport 25 -j REJECT --reject-with icmp-port-unreachable"),
             parse_rule("DOCKER-USER", "-d 192.0.2.0/24 -j DROP"), parse_rule("DOCKER-USER", "-d 198.51.100.0/24 -j DROP"),
             parse_rule("DOCKER-USER", "-j RETURN")]
    result, why = check({"fact": "subject.rules", "op": "has_rule", "value": {"target": ["DROP", "REJECT"]}}, rules=rules)
    assert result is True
    assert why == ('subject.rules: -A DOCKER-USER -s 10.0.0.0/8 -m comment --comment "site policy" -j DROP; '
                   "-A DOCKER-USER -p tcp --dport 25 -j REJECT --reject-with icmp-port-unreachable; "
                   "-A DOCKER-USER -d 192.0.2.0/24 -j DROP (+1)")
    assert check({"fact": "subject.rules", "op": "has_rule", "value": {"target": ["DROP"]}}, "zh",
                 rules=[parse_rule("DOCKER-USER", "-j RETURN")]) == \
        (False, "subject.rules：没有符合 target=DROP 的规则（共 1 条）")


def test_has_rule_pattern_fact_unknown_or_rules_not_a_list():
    condition = {"fact": "subject.rules", "op": "has_rule", "value": OUT}
    assert check(condition, rules=FORWARD_20_10) == (None, "subject.bridge: not captured")
    with pytest.raises(ValueError):
        check(condition, rules="-A FORWARD -j ACCEPT", bridge="docker0")


def test_facts_read_sees_pattern_facts():
    condition = {"fact": "subject.forward_rules", "op": "has_rule", "value": OUT}
    assert facts_read(condition) == ["subject.forward_rules", "subject.bridge", "subject.bridge"]


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("condition, message", [
    ({"fact": "subject.r", "op": "has_rule", "value": ["ACCEPT"]}, "needs a pattern mapping"),
    ({"fact": "subject.r", "op": "has_rule", "value": {"iface": "docker0"}}, "unknown pattern key 'iface'"),
    ({"fact": "subject.r", "op": "has_rule", "value": {"in": {"fact": "nosuch.fact"}}}, "'nosuch.fact' is not in"),
    ({"fact": "subject.r", "op": "has_rule", "value": {"target": []}}, "must list words"),
    ({"fact": "subject.r", "op": "has_rule", "value": {"in": True}}, "must be a word"),
    ({"fact": "subject.s", "op": "any_within", "value": ["172.16.0.0/33"]}, "needs CIDRs or addresses"),
    ({"fact": "subject.s", "op": "within", "value": "loopback"}, "needs CIDRs or addresses"),
    ({"fact": "subject.s", "op": "all_in", "value": "docker-proxy"}, "needs a list value"),
])
def test_compiler_rejects_bad_operands(condition, message):
    with pytest.raises(CatalogueError) as caught:
        _Checker("tree t", ("subject.",)).condition(condition, "node n.when")
    assert message in str(caught.value)


def test_compiler_accepts_the_trees_patterns():
    checker = _Checker("tree t", ("subject.",))
    checker.condition({"fact": "subject.r", "op": "has_rule", "value": dict(OUT, dport=8080, proto="tcp")}, "w")
    checker.condition({"fact": "subject.s", "op": "any_within", "value": {"fact": "iptables.masquerade_sources"}}, "w")
    checker.condition({"fact": "subject.s", "op": "within", "value": ["127.0.0.11", "::1/128"]}, "w")

"""One question, one way of asking it: across every rule and tree node of the catalogue, a
fact is compared with one family of operators (hostcheck.judge.conditions.FAMILIES).

Issue 10's two judges: firewall-docker-masquerade compared a network's subnets with the
MASQUERADE sources as strings (contains_any) while the net-egress tree compared them as CIDRs,
so a wider -s 172.16.0.0/12 was a FAIL for the rule and a yes for the tree. A tree's subject
fact that mirrors a host fact (hostcheck/net/subjects.py SUBJECT_FACTS) counts as that fact,
and a foreach rule's item.X as FACT[].X, so the two are seen asking the same question.
"""

import collections
import re

from hostcheck.facts import FACTS
from hostcheck.judge import load_catalogue
from hostcheck.judge.conditions import FAMILIES, FREE_FAMILIES, OPS
from hostcheck.net.subjects import SUBJECT_FACTS


def _leaves(condition):
    if "all" in condition or "any" in condition:
        for part in condition.get("all") or condition.get("any"):
            yield from _leaves(part)
    elif "not" in condition:
        yield from _leaves(condition["not"])
    else:
        yield condition


def _name(name, key=None, foreach=None):
    """The fact a condition reads, as one name across rules and trees."""
    if name.startswith("item.") and foreach:
        name = "%s[].%s" % (foreach, name[len("item."):])
    elif name in SUBJECT_FACTS and SUBJECT_FACTS[name][2]:
        name = SUBJECT_FACTS[name][2]
    return "%s[%s]" % (name, key) if key else name


def reads(catalogue):
    """(fact, family, place, op) for every comparison in the catalogue's rules and tree nodes."""
    places = []
    for rule in catalogue.rules:
        conditions = [o["when"] for o in rule["outcomes"] if "when" in o]
        conditions += [rule["where"]] if "where" in rule else []
        conditions += [rule["applies"]["when"]] if "applies" in rule else []
        places.extend(("rule %s" % rule["id"], condition, rule.get("foreach")) for condition in conditions)
    for tree_id, tree in sorted(catalogue.trees.items()):
        places.extend(("tree %s node %s" % (tree_id, node_id), node["when"], None)
                      for node_id, node in sorted(tree["nodes"].items()))
    for place, condition, foreach in places:
        for leaf in _leaves(condition):
            family = FAMILIES[leaf["op"]]
            yield _name(leaf["fact"], leaf.get("key"), foreach), family, place, leaf["op"]
            value = leaf.get("value")
            if isinstance(value, dict) and "fact" in value:
                yield _name(value["fact"], None, foreach), family, place, leaf["op"]


def compared_two_ways(catalogue):
    """{fact: {family: [(place, op), ...]}} for each fact compared with two families or more."""
    found = collections.defaultdict(lambda: collections.defaultdict(list))
    for fact, family, place, op in reads(catalogue):
        if family not in FREE_FAMILIES:
            found[fact][family].append((place, op))
    return dict((fact, dict(families)) for fact, families in found.items() if len(families) > 1)


class _Catalogue(object):
    def __init__(self, rules, trees):
        self.rules, self.trees = rules, trees


def test_every_operator_has_a_family():
    assert set(FAMILIES) == set(OPS)


def test_no_fact_is_compared_two_ways():
    conflicts = compared_two_ways(load_catalogue())
    assert not conflicts, "\n".join(
        "%s: %s" % (fact, "; ".join("%s by %s" % (family, ", ".join("%s (%s)" % p for p in places))
                                    for family, places in sorted(families.items())))
        for fact, families in sorted(conflicts.items()))


# The masquerade question as main had it before issue 10 (rules/60-firewall.yaml) and as the
# net-egress tree asks it: the contract must see that pair.
_RULE_BEFORE = {
    "id": "firewall-docker-masquerade", "foreach": "docker.networks",
    "where": {"fact": "item.subnets", "op": "not_empty"},
    "outcomes": [{"when": {"fact": "iptables.masquerade_sources", "op": "contains_any",
                           "value": {"fact": "item.subnets"}}, "status": "pass"},
                 {"status": "fail"}]}
_TREE_NODE = {"nodes": {"masquerade": {"when": {"fact": "subject.subnets", "op": "any_within",
                                                "value": {"fact": "iptables.masquerade_sources"}}}}}


def test_the_contract_finds_issue_10s_two_judges():
    conflicts = compared_two_ways(_Catalogue([_RULE_BEFORE], {"net-egress": _TREE_NODE}))
    assert set(conflicts) == {"iptables.masquerade_sources", "docker.networks[].subnets"}
    sources = conflicts["iptables.masquerade_sources"]
    assert sources["membership"] == [("rule firewall-docker-masquerade", "contains_any")]
    assert sources["cidr"] == [("tree net-egress node masquerade", "any_within")]
    # Asked the same way, they agree.
    fixed = dict(_RULE_BEFORE, outcomes=[{"when": {"fact": "item.subnets", "op": "any_within",
                                                   "value": {"fact": "iptables.masquerade_sources"}},
                                          "status": "pass"}, {"status": "fail"}])
    assert compared_two_ways(_Catalogue([fixed], {"net-egress": _TREE_NODE})) == {}


def test_rule_and_trees_ask_the_shared_questions_alike():
    """The pairs issue 10 names, read from the real catalogue."""
    catalogue = load_catalogue()
    by_place = collections.defaultdict(set)
    for fact, family, place, op in reads(catalogue):
        by_place[place].add((fact, op))
    masquerade = ("docker.networks[].subnets", "any_within")
    assert masquerade in by_place["rule firewall-docker-masquerade"]
    for node in ("tree net-egress node masquerade", "tree net-reach node addr-masquerade"):
        assert masquerade in by_place[node]
        assert ("iptables.masquerade_sources", "any_within") in by_place[node]
    zones = ("firewalld.interface_zones[].zones", "contains_any")
    assert zones in by_place["rule firewall-zone-conflict"]
    for tree in ("net-egress", "net-port", "net-reach"):
        assert zones in by_place["tree %s node firewalld-zone" % tree]
    assert ("net.egress_mtu", "ge") in by_place["rule network-mtu"] & by_place["tree net-egress node mtu"]
    assert ("sysctl.ip_forward", "eq") in by_place["rule network-ip-forward"] & by_place["tree net-egress node ip-forward"]


def test_subject_facts_mirror_registered_facts():
    for name, (kind, meaning, mirror) in SUBJECT_FACTS.items():
        assert name.startswith("subject.") and meaning, name
        if mirror:
            assert re.match(r"^[a-z_.]+", mirror).group(0).rstrip(".") in FACTS, (name, mirror)

"""Network operators of the closed set: addresses inside CIDRs, members of a list, and
iptables rules that match a pattern (interfaces with `+` and `!`, ports and port ranges).

Each operator is a pure function (fact value, rule value) -> (result, members); members
name the evidence: which address lies inside which network, which rule matched. The
wording lives in conditions.py beside the other operators' (en and zh).

>>> within(["172.29.0.0/16"], ["172.16.0.0/12"])
(True, [('172.29.0.0/16', '172.16.0.0/12')])
>>> any_within(["172.29.0.0/16", "fd00:1::/64"], ["172.17.0.0/16"])
(False, [])
>>> iface_names("br+", "br-61036f10e460"), iface_names("!docker0", "br-61036f10e460")
(True, False)
>>> rule = {"rule": "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT", "chain": "FORWARD",
...         "in": "docker0", "out": "!docker0", "target": "ACCEPT"}
>>> has_rule([rule], {"in": "docker0", "not_out": "docker0", "target": ["ACCEPT"]})
(True, ['-A FORWARD -i docker0 ! -o docker0 -j ACCEPT'])
"""

import ipaddress

# Pattern keys of has_rule: what a rule must say. `in`/`out`: the rule names the interface
# with -i/-o (a `+` suffix is a prefix match; a negated `! -o X` names none); `not_out`: the
# rule does not name that interface with -o (absent or negated -o); `dport`/`to_port`: a port
# the rule's --dport / DNAT destination holds, alone, in a range or a list (`!` negates);
# `chain`, `target`, `proto`, `to_ip` compare the rule's word (one of a list).
PATTERN_KEYS = ("chain", "target", "in", "out", "not_out", "proto", "dport", "to_ip", "to_port")
SHOWN_RULES = 3         # matching rules named in evidence


def _network(text):
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None


def _listed(value):
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _inside(member, networks):
    """The first of `networks` (text) that holds `member` (an address or a CIDR), else None."""
    inner = _network(member)
    if inner is None:
        return None
    for text in networks:
        outer = _network(text)
        if outer is not None and outer.version == inner.version and inner.subnet_of(outer):
            return text
    return None


def within(members, networks):
    """Every member (address or CIDR) lies inside one of `networks`: (result, evidence).

    Evidence: (member, network) pairs when true, the members outside when false.
    A member that is not an address is outside. An empty list is vacuously inside.
    """
    networks = _listed(networks)
    inside, outside = [], []
    for member in _listed(members):
        holder = _inside(member, networks)
        if holder is None:
            outside.append(member)
        else:
            inside.append((member, holder))
    return (False, outside) if outside else (True, inside)


def any_within(members, networks):
    """At least one member lies inside one of `networks`: (result, [(member, network)])."""
    networks = _listed(networks)
    found = []
    for member in _listed(members):
        holder = _inside(member, networks)
        if holder is not None:
            found.append((member, holder))
    return bool(found), found


def all_in(members, allowed):
    """Every member is one of `allowed`: (result, the members that are not)."""
    allowed = _listed(allowed)
    others = [member for member in _listed(members) if member not in allowed]
    return not others, others


# ---------------------------------------------------------------- iptables rules
# A parsed rule is a dict (hostcheck/net/model.py parse_rule): "rule" (the iptables-save
# line), "chain", and the words "in", "out", "proto", "dport", "target", "to_ip", "to_port"
# as written, a leading "!" when negated, None when the rule does not have them.

def iface_names(spec, name):
    """Does an iptables interface match name interface `name` for its traffic?

    `docker0` names docker0; `br+` names every br-*; a negated match (`! -o docker0`, written
    "!docker0") names no interface: it is a rule for traffic elsewhere.
    """
    spec = str(spec)
    if spec.startswith("!"):
        return False
    if spec.endswith("+"):
        return str(name).startswith(spec[:-1])
    return str(name) == spec


def port_in(spec, port):
    """Does a port match (`80`, `8000:8100`, `8000-8100`, `80,443`, `!80`) hold `port`?"""
    spec = str(spec)
    negated = spec.startswith("!")
    try:
        number = int(port)
    except (TypeError, ValueError):
        return False
    held = False
    for part in spec.lstrip("!").split(","):
        low, _, high = part.replace("-", ":").partition(":")
        try:
            held = held or int(low) <= number <= int(high or low)
        except ValueError:
            continue
    return held != negated


def _same_address(left, right):
    try:
        return ipaddress.ip_address(str(left)) == ipaddress.ip_address(str(right))
    except ValueError:
        return str(left) == str(right)


def _field_matches(rule, key, expected):
    if key in ("chain", "target", "proto"):
        return rule.get(key) is not None and rule[key] in _listed(expected)
    if key in ("in", "out"):
        return rule.get(key) is not None and iface_names(rule[key], expected)
    if key == "not_out":
        return rule.get("out") is None or not iface_names(rule["out"], expected)
    if key in ("dport", "to_port"):
        return rule.get(key) is not None and port_in(rule[key], expected)
    if key == "to_ip":
        return rule.get(key) is not None and _same_address(rule[key], expected)
    raise ValueError("has_rule: unknown pattern key %r" % key)


def rule_matches(rule, pattern):
    return all(_field_matches(rule, key, expected) for key, expected in sorted(pattern.items()))


def has_rule(rules, pattern):
    """Some rule of `rules` (parsed) matches every key of `pattern`: (result, matching rule texts)."""
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise ValueError("has_rule needs a list of parsed rules, not %r" % (rules,))
    matched = [rule.get("rule", "?") for rule in rules if rule_matches(rule, pattern)]
    return bool(matched), matched


def show_pattern(pattern):
    """in=docker0, target=ACCEPT (pattern keys in a fixed order)."""
    parts = []
    for key in PATTERN_KEYS:
        if key in pattern:
            value = pattern[key]
            shown = "|".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
            parts.append("%s=%s" % (key, shown))
    return ", ".join(parts)


def show_rules(texts):
    shown = "; ".join(texts[:SHOWN_RULES])
    if len(texts) > SHOWN_RULES:
        shown += " (+%d)" % (len(texts) - SHOWN_RULES)
    return shown


# op -> (function, family). The family says which question an operator asks of a fact:
# the contract test (tests/test_catalogue_contract.py) requires one family per fact.
OPERATORS = {
    "within": (within, "cidr"),
    "any_within": (any_within, "cidr"),
    "all_in": (all_in, "membership"),
    "has_rule": (has_rule, "rules"),
}

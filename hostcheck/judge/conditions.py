"""Conditions over facts: a closed set of operators, three-valued, self-explaining.

`evaluate(condition, scope, lang)` returns (result, explanation):
result True or False with readable evidence ("kernel.version = 3.10.0, below 4.8"),
or None (unknown) with the reason the fact could not be read. No eval, ever.
"""

import re

from hostcheck.judge import netmatch, platforms
from hostcheck.judge.text import format_value
from hostcheck.judge.version import comparison_for

VALUE_OPS = frozenset([
    "eq", "ne", "lt", "le", "gt", "ge",
    "version_lt", "version_le", "version_gt", "version_ge", "version_eq",
    "deb_version_lt", "deb_version_le", "deb_version_gt", "deb_version_ge", "deb_version_eq",
    "rpm_version_lt", "rpm_version_le", "rpm_version_gt", "rpm_version_ge", "rpm_version_eq",
    "in", "not_in", "contains", "not_contains", "contains_all", "contains_any",
    "matches",
]) | frozenset(netmatch.OPERATORS) | frozenset(platforms.OPERATORS)
PLAIN_OPS = frozenset(["exists", "absent", "true", "false", "empty", "not_empty"])
OPS = VALUE_OPS | PLAIN_OPS
LIST_VALUE_OPS = frozenset(["in", "not_in", "contains_all", "contains_any", "all_in"])
# Operators whose value is a pattern mapping (each entry a literal or {fact: NAME}).
PATTERN_OPS = frozenset(["has_rule"])
# The kind of comparison each operator makes. A fact is compared one way only across the
# catalogue (tests/test_catalogue_contract.py), so a rule and a tree node asking the same
# question cannot disagree: subnets by CIDR, not one by CIDR and one as strings. `pattern`
# (a regular expression about a value's spelling), `presence` and `size` may sit beside any.
FAMILIES = dict(
    [(op, "equality") for op in ("eq", "ne", "in", "not_in")]
    + [(op, "number") for op in ("lt", "le", "gt", "ge")]
    # Three orders of version strings: a fact compared in two of them could get two answers.
    + [("%s_%s" % (scheme, cmp), scheme) for scheme in ("version", "deb_version", "rpm_version")
       for cmp in ("lt", "le", "gt", "ge", "eq")]
    + [(op, "membership") for op in ("contains", "not_contains", "contains_all", "contains_any")]
    + [("matches", "pattern"), ("true", "boolean"), ("false", "boolean"), ("exists", "presence"),
       ("absent", "presence"), ("empty", "size"), ("not_empty", "size")]
    + [(op, family) for op, (_, family) in netmatch.OPERATORS.items()]
    + [(op, family) for op, (_, family) in platforms.OPERATORS.items()])
FREE_FAMILIES = frozenset(["pattern", "presence", "size"])

# (explanation when true, explanation when false); {f} fact, {a} its value,
# {v} the rule's value, {m} the members found or missing, {r} the unknown reason.
_EN = {
    "eq": ("{f} = {a}", "{f} = {a}, not {v}"),
    "ne": ("{f} = {a}, not {v}", "{f} = {a}"),
    "lt": ("{f} = {a}, below {v}", "{f} = {a}, not below {v}"),
    "le": ("{f} = {a}, at most {v}", "{f} = {a}, above {v}"),
    "gt": ("{f} = {a}, above {v}", "{f} = {a}, not above {v}"),
    "ge": ("{f} = {a}, at least {v}", "{f} = {a}, below {v}"),
    "version_eq": ("{f} = {a}", "{f} = {a}, not {v}"),
    "in": ("{f} = {a}", "{f} = {a}, not one of {v}"),
    "not_in": ("{f} = {a}, not one of {v}", "{f} = {a}"),
    "contains": ("{f} includes {v}", "{f} does not include {v}"),
    "not_contains": ("{f} does not include {v}", "{f} includes {v}"),
    "contains_all": ("{f} includes {v}", "{f} lacks {m}"),
    "contains_any": ("{f} includes {m}", "{f} includes none of {v}"),
    "matches": ("{f} = {a}, matches /{v}/", "{f} = {a}, does not match /{v}/"),
    "exists": ("{f} = {a}", "{f} unknown ({r})"),
    "absent": ("{f} unknown ({r})", "{f} = {a}"),
    "true": ("{f} = {a}", "{f} = {a}"),
    "false": ("{f} = {a}", "{f} = {a}"),
    "empty": ("{f} is empty", "{f} = {a}"),
    "not_empty": ("{f} = {a}", "{f} is empty"),
    "unparseable": "{f} = {a}, not a version hostcheck can compare",
}
_ZH = {
    "eq": ("{f} = {a}", "{f} = {a}，不是 {v}"),
    "ne": ("{f} = {a}，不是 {v}", "{f} = {a}"),
    "lt": ("{f} = {a}，低于 {v}", "{f} = {a}，不低于 {v}"),
    "le": ("{f} = {a}，不高于 {v}", "{f} = {a}，高于 {v}"),
    "gt": ("{f} = {a}，高于 {v}", "{f} = {a}，不高于 {v}"),
    "ge": ("{f} = {a}，不低于 {v}", "{f} = {a}，低于 {v}"),
    "version_eq": ("{f} = {a}", "{f} = {a}，不是 {v}"),
    "in": ("{f} = {a}", "{f} = {a}，不在 {v} 之中"),
    "not_in": ("{f} = {a}，不在 {v} 之中", "{f} = {a}"),
    "contains": ("{f} 包含 {v}", "{f} 不包含 {v}"),
    "not_contains": ("{f} 不包含 {v}", "{f} 包含 {v}"),
    "contains_all": ("{f} 包含 {v}", "{f} 缺少 {m}"),
    "contains_any": ("{f} 包含 {m}", "{f} 不包含 {v} 中的任何一项"),
    "matches": ("{f} = {a}，匹配 /{v}/", "{f} = {a}，不匹配 /{v}/"),
    "exists": ("{f} = {a}", "{f} 未知（{r}）"),
    "absent": ("{f} 未知（{r}）", "{f} = {a}"),
    "true": ("{f} = {a}", "{f} = {a}"),
    "false": ("{f} = {a}", "{f} = {a}"),
    "empty": ("{f} 为空", "{f} = {a}"),
    "not_empty": ("{f} = {a}", "{f} 为空"),
    "unparseable": "{f} = {a}，无法识别的版本号",
}
for _table in (_EN, _ZH):
    for _scheme in ("version", "deb_version", "rpm_version"):
        for _like in ("lt", "le", "gt", "ge"):
            _table["%s_%s" % (_scheme, _like)] = _table[_like]
        _table[_scheme + "_eq"] = _table["version_eq"]
# Network operators (hostcheck/judge/netmatch.py); {m} names the evidence: "A in B" pairs,
# members outside or not allowed, matching rules; {n} the number of rules read.
_EN.update({
    "within": ("{f}: {m}", "{f}: {m} outside {v}"),
    "any_within": ("{f}: {m}", "{f} = {a}: none in {v}"),
    "all_in": ("{f} = {a}, all among {v}", "{f} has {m}, not among {v}"),
    "has_rule": ("{f}: {m}", "{f}: no rule with {v} (of {n})"),
    "pair": "{0} in {1}",
    "vacuous": "{f} is empty",
})
_ZH.update({
    "within": ("{f}：{m}", "{f}：{m} 不在 {v} 之内"),
    "any_within": ("{f}：{m}", "{f} = {a}：没有一项属于 {v}"),
    "all_in": ("{f} = {a}，均在 {v} 之中", "{f} 中的 {m} 不在 {v} 之中"),
    "has_rule": ("{f}：{m}", "{f}：没有符合 {v} 的规则（共 {n} 条）"),
    "pair": "{0} 属于 {1}",
    "vacuous": "{f} 为空",
})
# Image platform operators (hostcheck/judge/platforms.py); {m} the platforms that run.
_EN["runs_on"] = ("{f} = {a}: {m} runs natively on {v}", "{f} = {a}: none runs natively on {v}")
_ZH["runs_on"] = ("{f} = {a}：{m} 可在 {v} 上原生运行", "{f} = {a}：没有可在 {v} 上原生运行的平台")
_WORDS = {"en": _EN, "zh": _ZH}
_JOIN = {"en": "; ", "zh": "；"}
_SHOWN = 120      # longest value shown in evidence


class Scope(object):
    """Where names resolve: host facts, the current foreach item, subject facts."""

    __slots__ = ("facts", "item", "extra")

    def __init__(self, facts, item=None, extra=None):
        self.facts = facts
        self.item = item
        self.extra = extra

    def with_item(self, item):
        return Scope(self.facts, item, self.extra)

    def resolve(self, name):
        """(known, value, reason) for one name."""
        if name.startswith("item."):
            field = name[5:]
            if not isinstance(self.item, dict):
                return False, None, "%s: outside a foreach rule" % name
            value = self.item.get(field)
            if value is None:
                return False, None, "%s: not given for this item" % name
            return True, value, None
        if self.extra is not None and name in self.extra:
            value = self.extra[name]
            if value is not None:
                return True, value, None
            return False, None, "%s: not known" % name
        value = self.facts.values.get(name)
        if value is None:
            return False, None, self.facts.reason(name)
        return True, value, None

    def lookup(self, name):
        """(known, value): the shape text rendering wants."""
        known, value, _ = self.resolve(name)
        return known, value


def _show(value, lang):
    text = format_value(value, lang, limit=_SHOWN)
    if len(text) > _SHOWN:
        text = text[:_SHOWN - 1] + "…"
    return text


def _number(name, value):
    if isinstance(value, bool):
        raise ValueError("%s: %r is not a number" % (name, value))
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError("%s: %r is not a number" % (name, value))


def _members(name, value):
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return value
    if isinstance(value, str):
        return value
    raise ValueError("%s: %r is neither a list nor a string" % (name, value))


def _boolean(name, value):
    if isinstance(value, bool):
        return value
    raise ValueError("%s: %r is not true or false" % (name, value))


def _sized(name, value):
    if isinstance(value, (list, tuple, dict, str)):
        return value
    raise ValueError("%s: %r is not a list, dict or string" % (name, value))


def _compare(op, left, right):
    if op.endswith("lt"):
        return left < right
    if op.endswith("le"):
        return left <= right
    if op.endswith("gt"):
        return left > right
    if op.endswith("ge"):
        return left >= right
    return left == right


def _apply(op, name, actual, expected):
    """(result, members) for a known fact; members feed {m}; None result = unknown."""
    if op == "eq":
        return actual == expected, None
    if op == "ne":
        return actual != expected, None
    if op in ("lt", "le", "gt", "ge"):
        return _compare(op, _number(name, actual), _number(name, expected)), None
    comparison = comparison_for(op)     # version_*, deb_version_*, rpm_version_*
    if comparison is not None:
        order = comparison(actual, expected)
        return (None if order is None else _compare(op, order, 0)), None
    if op == "in":
        return actual in expected, None
    if op == "not_in":
        return actual not in expected, None
    if op == "contains":
        return expected in _members(name, actual), None
    if op == "not_contains":
        return expected not in _members(name, actual), None
    if op == "contains_all":
        have = _members(name, actual)
        missing = [value for value in expected if value not in have]
        return not missing, missing
    if op == "contains_any":
        have = _members(name, actual)
        found = [value for value in expected if value in have]
        return bool(found), found
    if op == "matches":
        return re.search(expected, str(actual)) is not None, None
    if op == "true":
        return _boolean(name, actual), None
    if op == "false":
        return not _boolean(name, actual), None
    if op == "empty":
        return len(_sized(name, actual)) == 0, None
    if op == "not_empty":
        return len(_sized(name, actual)) > 0, None
    if op in netmatch.OPERATORS:
        return netmatch.OPERATORS[op][0](actual, expected)
    if op in platforms.OPERATORS:
        return platforms.OPERATORS[op][0](actual, expected)
    raise ValueError("unknown operator %r" % op)


def _fact(condition, scope):
    """(shown name, known, value, reason) of the fact a leaf condition reads."""
    name = condition["fact"]
    known, value, reason = scope.resolve(name)
    key = condition.get("key")
    if key is None:
        return name, known, value, reason
    shown = "%s[%s]" % (name, key)
    if not known:
        return shown, False, None, reason
    if not isinstance(value, dict):
        raise ValueError("%s is not a mapping" % name)
    if value.get(key) is None:
        return shown, False, None, "%s has no %s" % (name, key)
    return shown, True, value[key], None


def _leaf(condition, scope, lang):
    op = condition["op"]
    words = _WORDS.get(lang, _EN)
    shown, known, actual, reason = _fact(condition, scope)
    if op in ("exists", "absent"):
        result = known if op == "exists" else not known
        template = words[op][0 if result else 1]
        return result, template.format(f=shown, a=_show(actual, lang) if known else "", r=reason)
    if not known:
        return None, reason
    expected = condition.get("value")
    if isinstance(expected, dict) and "fact" in expected:
        ref_known, expected, ref_reason = scope.resolve(expected["fact"])
        if not ref_known:
            return None, ref_reason
    elif op in PATTERN_OPS:
        expected, reason = _pattern(expected, scope)
        if expected is None:
            return None, reason
    result, members = _apply(op, shown, actual, expected)
    if result is None:
        return None, words["unparseable"].format(f=shown, a=_show(actual, lang))
    if result and actual == [] and op in netmatch.OPERATORS:
        return result, words["vacuous"].format(f=shown)
    template = words[op][0 if result else 1]
    return result, template.format(
        f=shown, a=_show(actual, lang), v=_shown_value(op, expected, lang),
        m=_shown_members(op, members, lang), n=len(actual) if isinstance(actual, list) else 1, r="")


def _pattern(pattern, scope):
    """A pattern with each {fact: NAME} entry read: (pattern, None), or (None, reason)."""
    resolved = {}
    for key, value in (pattern or {}).items():
        if isinstance(value, dict) and "fact" in value:
            known, value, reason = scope.resolve(value["fact"])
            if not known:
                return None, reason
        resolved[key] = value
    return resolved, None


def _shown_value(op, expected, lang):
    if op in PATTERN_OPS:
        return netmatch.show_pattern(expected)
    return _show(expected, lang)


def _shown_members(op, members, lang):
    if members is None:
        return ""
    if op == "has_rule":
        return netmatch.show_rules(members)
    words = _WORDS.get(lang, _EN)
    shown = [words["pair"].format(*member) if isinstance(member, tuple) else member for member in members]
    return _show(shown, lang)


def _combine(parts, decisive, scope, lang):
    """all (decisive False) / any (decisive True) in Kleene's three-valued logic."""
    others, unknown = [], None
    for part in parts:
        result, why = evaluate(part, scope, lang)
        if result is decisive:
            return decisive, why
        if result is None:
            unknown = unknown or why
        else:
            others.append(why)
    if unknown is not None:
        return None, unknown
    return not decisive, _JOIN.get(lang, "; ").join(others)


def evaluate(condition, scope, lang="en"):
    """(True | False | None, explanation) for a condition (three-valued logic)."""
    if "all" in condition:      # false as soon as one part is false
        return _combine(condition["all"], False, scope, lang)
    if "any" in condition:      # true as soon as one part is true
        return _combine(condition["any"], True, scope, lang)
    if "not" in condition:
        result, why = evaluate(condition["not"], scope, lang)
        return (None if result is None else not result), why
    return _leaf(condition, scope, lang)


def facts_read(condition):
    """Every fact name a condition reads (for validation)."""
    if "all" in condition or "any" in condition:
        names = []
        for part in condition.get("all") or condition.get("any"):
            names.extend(facts_read(part))
        return names
    if "not" in condition:
        return facts_read(condition["not"])
    names = [condition["fact"]]
    value = condition.get("value")
    if isinstance(value, dict) and "fact" in value:
        names.append(value["fact"])
    elif isinstance(value, dict) and condition.get("op") in PATTERN_OPS:
        names.extend(entry["fact"] for entry in value.values() if isinstance(entry, dict) and "fact" in entry)
    return names

"""Judge rules over facts: each rule gives one finding, or one per foreach item.

A finding is SPEC's shape: id, area, status, subject (foreach rules only), title,
evidence, remediation, refs, source. `remediation` is None for pass and skip and
{"text", "commands"} for every other status. A rule that raises becomes an `error`
finding with the exception's one-line message; the other rules are still judged.
"""

from hostcheck.judge.conditions import Scope, evaluate
from hostcheck.judge.text import localise_reason, pick, render
from hostcheck.facts import Facts
from hostcheck.status import RANK as STATUS_RANK, STATUSES, worst  # noqa: F401 (re-exported)

FAMILIES = ("rhel", "debian", "suse")
_QUIET = ("pass", "skip")
_ERROR_TEXT = {
    "en": "hostcheck could not judge this rule; please report it with the capture document",
    "zh": "hostcheck 无法判断此规则，请附上采集文件反馈此问题",
}


def as_facts(facts):
    """Facts from a Facts, a {"values", "unknown"} dict, or a plain name -> value dict."""
    if isinstance(facts, Facts):
        return facts
    if facts is None:
        return Facts()
    if isinstance(facts, dict) and set(facts) <= {"values", "unknown"} and facts:
        return Facts.from_dict(facts)
    return Facts(facts)


def selected(rule, only=(), skip=()):
    """Whether --only / --skip (rule ids or areas) keep this rule."""
    keys = (rule["id"], rule["area"])
    if only and not any(key in only for key in keys):
        return False
    return not any(key in skip for key in keys)


def judge(catalogue, facts, lang="en", only=(), skip=()):
    """Findings of every selected rule of the catalogue, in catalogue order."""
    facts = as_facts(facts)
    findings = []
    for rule in catalogue.rules:
        if selected(rule, only, skip):
            findings.extend(judge_rule(rule, facts, lang))
    return findings


def judge_rule(rule, facts, lang="en"):
    """Findings of one rule; never raises (a failure is an `error` finding)."""
    try:
        return _judge(rule, Scope(as_facts(facts)), lang)
    except Exception as exc:    # a bug or bad data must not stop the report
        return [_error(rule, exc, lang)]


def _judge(rule, scope, lang):
    for name in rule.get("requires", ()):
        known, _, reason = scope.resolve(name)
        if not known:
            return [_finding(rule, scope, lang, "skip", reason)]
    applies = rule.get("applies")
    if applies:
        result, why = evaluate(applies["when"], scope, lang)
        if result is None:
            return [_finding(rule, scope, lang, "skip", why)]
        if not result:
            text = render(pick(applies.get("otherwise"), lang), _lookup(scope, why), lang)
            return [_finding(rule, scope, lang, "skip", text or why)]
    if "foreach" not in rule:
        return [_decide(rule, scope, lang)]

    known, items, reason = scope.resolve(rule["foreach"])
    if not known:
        return [_finding(rule, scope, lang, "skip", reason)]
    if not isinstance(items, list):
        raise ValueError("%s is not a list" % rule["foreach"])
    findings = []
    for item in items:
        if isinstance(item, str):   # a list[str] fact: the item is {"value": the string}
            item = {"value": item}
        if not isinstance(item, dict):
            raise ValueError("%s holds %r, not a mapping" % (rule["foreach"], item))
        item_scope = scope.with_item(item)
        subject = render(rule.get("subject", ""), item_scope.lookup, lang)
        where = rule.get("where")
        if where:
            result, why = evaluate(where, item_scope, lang)
            if result is False:
                continue
            if result is None:
                findings.append(_finding(rule, item_scope, lang, "skip", why, subject=subject))
                continue
        findings.append(_decide(rule, item_scope, lang, subject))
    if not findings:
        empty = rule["empty"]
        findings.append(_finding(rule, scope, lang, empty["status"],
                                 render(pick(empty.get("evidence"), lang), scope.lookup, lang),
                                 empty.get("remediation")))
    return findings


def _decide(rule, scope, lang, subject=None):
    """The first outcome whose `when` holds; unknown `when` -> skip with its reason."""
    passed_over = []
    for outcome in rule["outcomes"]:
        when = outcome.get("when")
        if when is None:
            why = ("; " if lang != "zh" else "；").join(passed_over)
        else:
            result, why = evaluate(when, scope, lang)
            if result is None:
                return _finding(rule, scope, lang, "skip", why, subject=subject)
            if not result:
                passed_over.append(why)
                continue
        evidence = pick(outcome.get("evidence"), lang)
        evidence = render(evidence, _lookup(scope, why), lang) if evidence else why
        return _finding(rule, scope, lang, outcome["status"], evidence,
                        outcome.get("remediation"), subject)
    raise ValueError("no outcome matched and the rule has no otherwise outcome")


def _lookup(scope, why):
    """Template lookup that also knows ${why}: the explanation of the deciding condition."""
    def lookup(name):
        if name == "why":
            return True, why or ""
        return scope.lookup(name)
    return lookup


def _finding(rule, scope, lang, status, evidence, remediation=None, subject=None):
    finding = {"id": rule["id"], "area": rule["area"], "status": status}
    if subject is not None:
        finding["subject"] = subject
    finding["title"] = pick(rule.get("title"), lang)
    # A skip's evidence is often a parser's reason ("runc --version: not_found"): in English.
    finding["evidence"] = localise_reason(evidence or "", lang) if status == "skip" else evidence or ""
    if status in _QUIET:
        # A pass or a skip needs no fix and no case for one: its sources and references stay in
        # the catalogue (`hostcheck rules show ID`), which keeps the report lean (issue 14).
        finding["remediation"] = None
        return finding
    finding["remediation"] = _remedy(remediation, scope, lang)
    finding["refs"] = list(rule.get("refs", ()))
    finding["source"] = rule.get("source", "")
    return finding


def _remedy(remediation, scope, lang):
    remediation = remediation or {}
    return {"text": render(pick(remediation.get("text"), lang), scope.lookup, lang),
            "commands": [render(command, scope.lookup, lang)
                         for command in choose_commands(remediation.get("commands"), scope)]}


def choose_commands(commands, scope):
    """Commands for the host's os.family, else `any`, else every family's, labelled."""
    if not commands:
        return []
    family = scope.facts.values.get("os.family")
    if family in FAMILIES and commands.get(family):
        return list(commands[family])
    if commands.get("any"):
        return list(commands["any"])
    chosen = []
    for name in FAMILIES:
        if commands.get(name):
            chosen.append("# %s:" % name)
            chosen.extend(commands[name])
    return chosen


def _error(rule, exc, lang):
    message = " ".join(str(exc).split()) or exc.__class__.__name__
    return {"id": rule.get("id", "?"), "area": rule.get("area", "?"), "status": "error",
            "title": pick(rule.get("title"), lang),
            "evidence": "%s: %s" % (exc.__class__.__name__, message),
            "remediation": {"text": _ERROR_TEXT.get(lang, _ERROR_TEXT["en"]), "commands": []},
            "refs": list(rule.get("refs", ())), "source": rule.get("source", "")}


"""`hostcheck rules list` and `hostcheck rules show ID`: the catalogue, for a person or as JSON.

`rules show` explains one rule the way a support engineer would: what it checks, why it
matters, where its threshold comes from, how it judges, a passing and a failing example
(the rule's own cases, judged now, so the example text is exactly what a report would
say) and the fix for each distribution family.
"""

import json
import string

import click

from hostcheck.report.escape import visible as v
from hostcheck.report.i18n import ui
from hostcheck.status import RANK

LABELS = {
    "en": {"id": "ID", "area": "Area", "title": "Title", "source": "Source", "refs": "References",
           "outcomes": "How it judges", "otherwise": "otherwise", "examples": "Examples",
           "why": "Why it matters", "reads": "Reads", "when": "when", "count": "$n rules, catalogue $v",
           "checks": "What it checks", "example_pass": "Example, healthy", "example_problem": "Example, a problem",
           "more": "Other examples", "fix": "Fix", "for_each": "One finding per item of",
           "facts": "facts", "unknown": "unknown", "skip_when": "Skipped when"},
    "zh": {"id": "编号", "area": "类别", "title": "检查项", "source": "依据", "refs": "参考资料",
           "outcomes": "判定规则", "otherwise": "其他情况", "examples": "示例",
           "why": "为什么重要", "reads": "读取的事实", "when": "条件", "count": "共 $n 条规则，规则库版本 $v",
           "checks": "检查内容", "example_pass": "示例：正常情况", "example_problem": "示例：有问题的情况",
           "more": "其他示例", "fix": "修复方法", "for_each": "逐项检查",
           "facts": "事实", "unknown": "未知", "skip_when": "以下情况跳过"},
}
FAMILIES = {
    "en": {"rhel": "CentOS / RHEL / Kylin / openEuler (yum, dnf)", "debian": "Debian / Ubuntu / UOS (apt)",
           "suse": "SUSE (zypper)", "any": "any distribution"},
    "zh": {"rhel": "CentOS / RHEL / 麒麟 / openEuler（yum、dnf）", "debian": "Debian / Ubuntu / 统信 UOS（apt）",
           "suse": "SUSE（zypper）", "any": "所有发行版"},
}


def _text(value, lang):
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or ""
    return value or ""


def _catalogue():
    from hostcheck.judge import load_catalogue
    return load_catalogue(cases=True)      # `rules show` judges a rule's cases as its examples


def _summary(rule, lang):
    return {"id": rule["id"], "area": rule["area"], "title": _text(rule.get("title"), lang),
            "why": _text(rule.get("why"), lang), "source": rule.get("source", ""),
            "refs": rule.get("refs", []),
            "statuses": sorted({o["status"] for o in rule.get("outcomes", [])}, key=RANK.get)}


def list_rules(lang, as_json, color=True):
    catalogue = _catalogue()
    rows = [_summary(rule, lang) for rule in catalogue.rules]
    if as_json:
        click.echo(json.dumps({"catalogue": catalogue.version, "rules": rows}, ensure_ascii=False, indent=2))
        return
    from rich.table import Table
    from rich.text import Text
    from hostcheck.report.text import terminal_console
    labels = LABELS[lang]
    table = Table(show_lines=False, box=None, header_style="bold")
    table.add_column(labels["id"], style="cyan", no_wrap=True)
    table.add_column(labels["area"], no_wrap=True)
    table.add_column(labels["title"])
    areas = ui(lang)["area"]
    for row in rows:
        table.add_row(Text(v(row["id"])), Text(v(areas.get(row["area"], row["area"]))), Text(v(row["title"])))
    console = terminal_console(None, color, None)
    console.print(table)
    console.print(string.Template(labels["count"]).substitute(n=len(rows), v=catalogue.version), style="dim")


def _condition_text(cond):
    """A compact, language-neutral rendering of a condition."""
    if not cond:
        return ""
    if "all" in cond:
        return " and ".join("(%s)" % _condition_text(c) for c in cond["all"])
    if "any" in cond:
        return " or ".join("(%s)" % _condition_text(c) for c in cond["any"])
    if "not" in cond:
        return "not (%s)" % _condition_text(cond["not"])
    fact = cond.get("fact")
    if cond.get("key"):
        fact = "%s[%s]" % (fact, cond["key"])
    value = cond.get("value")
    if isinstance(value, dict) and "fact" in value:
        shown = value["fact"]
    else:
        shown = None if value is None else json.dumps(value, ensure_ascii=False)
    return "%s %s%s" % (fact, cond.get("op"), "" if shown is None else " " + shown)


def _reads(rule):
    from hostcheck.judge.conditions import facts_read
    names = list(rule.get("requires", []))
    if rule.get("foreach"):
        names.append(rule["foreach"])
    conditions = [o["when"] for o in rule.get("outcomes", []) if o.get("when")]
    conditions += [rule[k] for k in ("where",) if rule.get(k)]
    if rule.get("applies"):
        conditions.append(rule["applies"]["when"])
    for condition in conditions:
        names.extend(facts_read(condition))
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen


def _commands_by_family(remediation):
    commands = (remediation or {}).get("commands") or {}
    if isinstance(commands, list):
        commands = {"any": commands}
    return dict((family, list(lines)) for family, lines in commands.items() if lines)


def _example(rule, case, lang):
    """A case judged now: its name, the facts it gives, and the findings' text."""
    from hostcheck.judge import run_case
    _, findings = run_case(rule, case, lang)
    worst = max(findings, key=lambda f: RANK[f["status"]]) if findings else None
    return {"name": case.get("name") or "", "facts": case.get("facts") or {},
            "unknown": case.get("unknown") or {},
            "status": worst["status"] if worst else case.get("expect"),
            "findings": [{"subject": f.get("subject"), "status": f["status"], "evidence": f["evidence"],
                          "remediation": f["remediation"]} for f in findings]}


def _pick_examples(rule):
    """(a passing case, the case with the worst expected status) from the rule's cases."""
    cases = rule.get("cases") or []
    passing = next((c for c in cases if c.get("expect") == "pass"), None)
    problems = [c for c in cases if c.get("expect") in ("info", "warn", "fail")]
    problem = max(problems, key=lambda c: RANK[c["expect"]]) if problems else None
    return passing, problem


def explain(rule, lang):
    """Everything `rules show` says, as data (the JSON form of the command)."""
    passing, problem = _pick_examples(rule)
    outcomes = []
    for outcome in rule.get("outcomes", []):
        entry = {"status": outcome["status"], "when": _condition_text(outcome.get("when")) or None,
                 "evidence": _text(outcome.get("evidence"), lang) or None}
        if outcome.get("remediation"):
            entry["remediation"] = {"text": _text(outcome["remediation"].get("text"), lang),
                                    "commands": _commands_by_family(outcome["remediation"])}
        outcomes.append(entry)
    data = {"id": rule["id"], "area": rule["area"], "title": _text(rule.get("title"), lang),
            "why": _text(rule.get("why"), lang) or None, "source": rule.get("source", ""),
            "refs": rule.get("refs", []), "reads": _reads(rule), "outcomes": outcomes,
            "examples": {"pass": _example(rule, passing, lang) if passing else None,
                         "problem": _example(rule, problem, lang) if problem else None},
            "cases": [{"name": c.get("name") or "", "expect": c.get("expect")} for c in rule.get("cases") or []]}
    if rule.get("foreach"):
        data["foreach"] = rule["foreach"]
    if rule.get("applies"):
        data["applies"] = {"when": _condition_text(rule["applies"]["when"]),
                           "otherwise": _text(rule["applies"].get("otherwise"), lang) or None}
    return data


def show_rule(rule_id, lang, as_json, color=True, trace=False):
    """Print one rule (with `trace`: where its facts come from); False when there is no such rule."""
    rule = _catalogue().rule(rule_id)
    if rule is None:
        return False
    if trace:
        from hostcheck.report.rule_trace import render_trace_lines, trace as trace_rule
        data, render = trace_rule(rule, lang), render_trace_lines
    else:
        data, render = explain(rule, lang), render_lines
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return True
    from hostcheck.report.text import terminal_console
    console = terminal_console(None, color, None)
    for line in render(data, lang):
        console.print(*line) if isinstance(line, tuple) else console.print(line)
    return True


def render_lines(data, lang):
    """The text of `rules show` as rich Text lines (kept apart from printing, for tests).

    The catalogue's text is ours, but its examples quote facts: every string is escaped
    (escape.visible) like a report's.
    """
    from rich.text import Text
    labels, words = LABELS[lang], ui(lang)
    status = lambda s: words["status"].get(s, v(s))  # noqa: E731
    colon = words["colon"]
    lines = [Text.assemble((v(data["id"]), "bold cyan"), "  ", (v(data["title"]), "bold")),
             Text("%s%s%s" % (labels["area"], colon, words["area"].get(data["area"], v(data["area"]))))]
    if data.get("why"):
        lines.append(Text("%s%s%s" % (labels["why"], colon, v(data["why"]))))
    lines.append(Text("%s%s%s" % (labels["source"], colon, v(data["source"]))))
    for ref in data["refs"]:
        lines.append(Text("  " + v(ref), style="dim"))
    lines.append(Text("%s%s%s" % (labels["reads"], colon, ", ".join(v(name) for name in data["reads"])), style="dim"))
    lines.append(Text(""))
    lines.append(Text(labels["outcomes"], style="bold"))
    if data.get("foreach"):
        lines.append(Text("  %s %s" % (labels["for_each"], v(data["foreach"])), style="dim"))
    if data.get("applies"):
        lines.append(Text("  %s%s%s" % (labels["skip_when"], colon, v(data["applies"]["otherwise"]
                                         or "not (%s)" % data["applies"]["when"])), style="dim"))
    for outcome in data["outcomes"]:
        lines.append(Text.assemble(("  %-5s " % status(outcome["status"]), "bold"),
                                   v(outcome["when"] or labels["otherwise"])))
    for key, label in (("pass", labels["example_pass"]), ("problem", labels["example_problem"])):
        example = data["examples"].get(key)
        if not example:
            continue
        lines.append(Text(""))
        lines.append(Text("%s%s%s" % (label, colon, v(example["name"])), style="bold"))
        for finding in example["findings"]:
            subject = "%s: " % finding["subject"] if finding.get("subject") else ""
            lines.append(Text.assemble(("  %-5s " % status(finding["status"]), "bold"),
                                       v(subject + finding["evidence"])))
    fixes = [o for o in data["outcomes"] if o.get("remediation")]
    if fixes:
        lines.append(Text(""))
        lines.append(Text(labels["fix"], style="bold"))
        shown = set()
        for outcome in fixes:
            remediation = outcome["remediation"]
            key = json.dumps(remediation, sort_keys=True)
            if key in shown:      # outcomes often share one fix (YAML anchors)
                continue
            shown.add(key)
            lines.append(Text.assemble(("  %-5s " % status(outcome["status"]), "bold"), v(remediation["text"])))
            for family, commands in remediation["commands"].items():
                lines.append(Text("        %s" % FAMILIES[lang].get(family, v(family)), style="dim"))
                for command in commands:
                    lines.append(Text("          $ " + v(command)))
    others = [c for c in data["cases"]
              if c["name"] not in [(data["examples"].get(k) or {}).get("name") for k in ("pass", "problem")]]
    if others:
        lines.append(Text(""))
        lines.append(Text(labels["more"], style="bold"))
        for case in others:
            lines.append(Text.assemble(("  %-5s " % status(case["expect"]), "bold"), v(case["name"])))
    return lines

"""`hostcheck rules list` and `hostcheck rules show ID`: the catalogue, for a person or as JSON."""

import json

import click

from hostcheck.report.i18n import ui

LABELS = {
    "en": {"id": "ID", "area": "Area", "title": "Title", "source": "Source", "refs": "References",
           "outcomes": "What it judges", "otherwise": "otherwise", "examples": "Examples",
           "why": "Why it matters", "reads": "Reads", "when": "when", "count": "$n rules, catalogue $v"},
    "zh": {"id": "编号", "area": "类别", "title": "检查项", "source": "依据", "refs": "参考资料",
           "outcomes": "判定规则", "otherwise": "其他情况", "examples": "示例",
           "why": "为什么重要", "reads": "读取的事实", "when": "条件", "count": "共 $n 条规则，规则库版本 $v"},
}


def _text(value, lang):
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or ""
    return value or ""


def _summary(rule, lang):
    return {"id": rule["id"], "area": rule["area"], "title": _text(rule.get("title"), lang),
            "source": rule.get("source", ""), "refs": rule.get("refs", [])}


def list_rules(lang, as_json):
    from hostcheck.engine import load_catalogue
    catalogue = load_catalogue()
    rows = [_summary(rule, lang) for rule in catalogue.rules]
    if as_json:
        click.echo(json.dumps({"catalogue": catalogue.version, "rules": rows}, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    labels = LABELS[lang]
    table = Table(show_lines=False, box=None, header_style="bold")
    table.add_column(labels["id"], style="cyan", no_wrap=True)
    table.add_column(labels["area"], no_wrap=True)
    table.add_column(labels["title"])
    areas = ui(lang)["area"]
    for row in rows:
        table.add_row(row["id"], areas.get(row["area"], row["area"]), row["title"])
    console = Console(highlight=False)
    console.print(table)
    import string
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
    value = cond.get("value")
    return "%s %s%s" % (cond.get("fact"), cond.get("op"), "" if value is None else " " + json.dumps(value, ensure_ascii=False))


def show_rule(rule_id, lang, as_json):
    """Print one rule; False when there is no such rule."""
    from hostcheck.engine import load_catalogue
    catalogue = load_catalogue()
    rule = next((r for r in catalogue.rules if r["id"] == rule_id), None)
    if rule is None:
        return False
    if as_json:
        click.echo(json.dumps(rule, ensure_ascii=False, indent=2))
        return True
    from rich.console import Console
    from rich.text import Text
    labels = LABELS[lang]
    words = ui(lang)
    console = Console(highlight=False)
    console.print(Text.assemble((rule["id"], "bold cyan"), "  ", (_text(rule.get("title"), lang), "bold")))
    console.print(Text("%s: %s" % (labels["area"], words["area"].get(rule["area"], rule["area"]))))
    if rule.get("why"):
        console.print(Text("%s: %s" % (labels["why"], _text(rule["why"], lang))))
    console.print(Text("%s: %s" % (labels["source"], rule.get("source", ""))))
    for ref in rule.get("refs") or []:
        console.print(Text("  " + ref, style="dim"))
    console.print()
    console.print(Text(labels["outcomes"], style="bold"))
    for outcome in rule.get("outcomes", []):
        status = words["status"].get(outcome["status"], outcome["status"])
        when = _condition_text(outcome.get("when")) or labels["otherwise"]
        console.print(Text.assemble(("  %-4s " % status, "bold"), (when, "")))
        evidence = _text(outcome.get("evidence"), lang)
        if evidence:
            console.print(Text("       " + evidence, style="dim"))
        remediation = outcome.get("remediation") or {}
        if remediation:
            console.print(Text("       %s: %s" % (words["fix"], _text(remediation.get("text"), lang))))
            commands = remediation.get("commands") or {}
            if isinstance(commands, list):
                commands = {"any": commands}
            for family, lines in commands.items():
                for line in lines:
                    console.print(Text("         [%s] $ %s" % (family, line)))
    cases = rule.get("cases") or []
    if cases:
        console.print()
        console.print(Text(labels["examples"], style="bold"))
        for case in cases:
            facts = ", ".join("%s=%s" % (k, json.dumps(v, ensure_ascii=False)) for k, v in sorted((case.get("facts") or {}).items()))
            unknown = ", ".join("%s unknown" % k for k in sorted(case.get("unknown") or {}))
            console.print(Text.assemble(("  %-4s " % words["status"].get(case.get("expect"), case.get("expect")), "bold"),
                                        case.get("name") or "", " ", (facts or unknown, "dim")))
    return True

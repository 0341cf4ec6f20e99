"""The report for a person: grouped by area, worst first, each problem with its fix.

A renderer never decides: it only orders and prints what the report document says.
Every string of the report goes through escape.visible into a rich Text (never markup):
hostnames, container names, image tags and log lines come from the host judged.
rich is imported here and nowhere on the JSON path (it costs ~30 ms to import).
"""

import string

from rich.console import Console
from rich.text import Text

from hostcheck.report import AREAS, STATUS_RANK
from hostcheck.report.escape import visible as v
from hostcheck.report.i18n import ui

STYLE = {"pass": "green", "info": "cyan", "warn": "yellow", "fail": "bold red",
         "skip": "dim", "error": "bold magenta"}


def _badge(words, status):
    label = words["status"].get(status, status.upper())
    # Pad by display cells, not characters: Chinese labels are two cells wide.
    return Text(" %s " % label, style="reverse " + STYLE.get(status, ""))


def _worst(findings):
    return max(STATUS_RANK[f["status"]] for f in findings)


def _order_areas(findings):
    by_area = {}
    for finding in findings:
        by_area.setdefault(finding.get("area", "docker"), []).append(finding)
    known = [a for a in AREAS if a in by_area] + sorted(a for a in by_area if a not in AREAS)
    # Worst area first; ties keep SPEC's area order.
    known.sort(key=lambda area: -_worst(by_area[area]))
    return [(area, sorted(by_area[area], key=lambda f: -STATUS_RANK[f["status"]])) for area in known]


def _remediation_lines(remediation, words, indent):
    lines = []
    if not remediation:
        return lines
    if remediation.get("text"):
        lines.append(Text.assemble((indent + words["fix"] + words["colon"], "bold"), v(remediation["text"])))
    for command in remediation.get("commands") or []:
        comment = v(command).lstrip().startswith("#")
        lines.append(Text.assemble(indent + "  ", ("$ " if not comment else "", "dim"),
                                   (v(command), "dim" if comment else "bold")))
    return lines


def _finding_lines(finding, words):
    head = Text.assemble(_badge(words, finding["status"]), " ", (v(finding.get("title") or finding["id"]), "bold"))
    if finding.get("subject"):
        head.append(" — %s" % v(finding["subject"]))
    head.append("  [%s]" % v(finding["id"]), style="dim")
    lines = [head]
    if finding["status"] in ("pass", "skip"):  # nothing to do: one line each
        if finding.get("evidence"):
            head.append(" · " + v(finding["evidence"]), style="dim")
        return lines
    indent = "       "
    if finding.get("evidence"):
        lines.append(Text(indent + v(finding["evidence"])))
    lines.extend(_remediation_lines(finding.get("remediation"), words, indent))
    refs = finding.get("refs") or []
    if refs and finding["status"] in ("warn", "fail", "error"):
        lines.append(Text(indent + words["refs"] + words["colon"] + " ".join(v(ref) for ref in refs), style="dim"))
    return lines


def _tree_lines(tree, words):
    verdict = tree.get("verdict") or {}
    status = verdict.get("status", "skip")
    head = Text.assemble(_badge(words, status), " ", (v(tree.get("subject")), "bold"),
                         "  ", v(verdict.get("text") or verdict.get("id")),
                         ("  [%s/%s]" % (v(tree.get("tree")), v(verdict.get("id"))), "dim"))
    lines = [head]
    if status == "pass":
        return lines
    indent = "       "
    for step in tree.get("path", []):
        answer = words["answer"].get(step.get("answer"), v(step.get("answer")))
        lines.append(Text.assemble(indent, "? ", v(step.get("question") or step.get("node")), " → ",
                                   (answer, "bold")))
        if step.get("evidence"):
            lines.append(Text(indent + "    " + v(step["evidence"]), style="dim"))
    lines.extend(_remediation_lines(verdict.get("remediation"), words, indent))
    return lines


def _header(report, words):
    host = report.get("host") or {}
    facts = (report.get("facts") or {}).get("values", {})
    os_ = host.get("os") or {}
    arch = host.get("arch") or {}
    kernel = host.get("kernel") or {}
    title = Text.assemble((words["title"], "bold"), " — ", (v(host.get("hostname") or "?"), "bold cyan"))
    parts = [
        (words["os"], v(os_.get("name") or os_.get("id") or "?")),
        (words["arch"], "%s (%s)" % (v(arch.get("platform") or "?"), v(arch.get("machine") or "?"))),
        (words["kernel"], v(kernel.get("release") or "?")),
    ]
    engine = facts.get("docker.version")
    state = facts.get("docker.state")
    state = words["engine_state"].get(state, v(state) if state else None)  # in words, not the fact's value
    parts.append((words["engine"], "%s (%s)" % (v(engine), state) if engine else state or "?"))
    line = Text()
    for i, (label, value) in enumerate(parts):
        if i:
            line.append("  ·  ", style="dim")
        line.append(label + " ", style="dim")
        line.append(value)
    return [title, line]


def terminal_console(file, color, width):
    """A rich Console for data: markup, emoji codes and highlighting off (data prints as it is)."""
    return Console(file=file, no_color=not color, color_system="auto" if color else None,
                   markup=False, emoji=False, highlight=False, width=width,
                   force_terminal=None if color else False)


def render(report, file=None, color=True, width=None):
    """Print the report; `file` defaults to stdout."""
    words = ui(report.get("lang", "en"))
    console = terminal_console(file, color, width)
    # In a pipe or a file, long lines stay whole: grep and ticket systems wrap them better.
    console.soft_wrap = not console.is_terminal
    for line in _header(report, words):
        console.print(line)
    findings = report.get("findings", [])
    if not findings:
        console.print(Text(words["no_findings"]))
    for area, items in _order_areas(findings):
        console.print()
        console.rule(Text(words["area"].get(area, v(area)), style="bold"), align="left", style="dim")
        for finding in items:
            for line in _finding_lines(finding, words):
                console.print(line)
    trees = report.get("trees") or []
    if trees:
        console.print()
        console.rule(Text(words["trees"], style="bold"), align="left", style="dim")
        for tree in sorted(trees, key=lambda t: -STATUS_RANK[(t.get("verdict") or {}).get("status", "skip")]):
            for line in _tree_lines(tree, words):
                console.print(line)
    console.print()
    summary = dict({"pass": 0, "info": 0, "warn": 0, "fail": 0, "skip": 0, "error": 0},
                   **(report.get("summary") or {}))
    console.print(Text.assemble((words["summary"] + words["colon"], "bold"),
                                string.Template(words["result_line"]).safe_substitute(summary)))

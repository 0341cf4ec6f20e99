"""The report for a person: grouped by area, worst first, each problem with its fix.

A renderer never decides: it only orders and prints what the report document says.
Every string of the report goes through escape.visible into a rich Text (never markup):
hostnames, container names, image tags and log lines come from the host judged.
rich is imported here and nowhere on the JSON path (it costs ~30 ms to import).

On a terminal, prose wraps with its indent kept and never inside a URL; a command is never
wrapped by us: it is printed whole on a line of its own, and a terminal narrower than the
command soft-wraps it, so that copying the line copies the command. In a pipe or a file
nothing is wrapped.
"""

import re
import string

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from hostcheck.report import AREAS, STATUS_RANK, STATUSES
from hostcheck.report.escape import visible as v
from hostcheck.report.i18n import counted, ui

STYLE = {"pass": "green", "info": "cyan", "warn": "yellow", "fail": "bold red",
         "skip": "dim", "error": "bold magenta"}

# Where the text under a finding's head starts: past the badge (" FAIL " and a space).
INDENT = 7
# Narrower than this, a wrapped line would hold a word or two: the terminal wraps instead.
MIN_WRAP = 20


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


# ------------------------------------------------------------------ line breaking

# A URL is one unbreakable word: it ends at whitespace or at CJK text and punctuation
# (`见https://example.org/a。` stops before 。).
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]+")
# Wide characters (CJK): a line may break before or after each one.
_WIDE = re.compile("[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
# Never at the start of a line (they stay with what they close or follow).
_NO_BREAK_BEFORE = set("，。、；：！？）》」』】〉”’,.;:!?)]}…")
# Never at the end of a line (they stay with what they open).
_NO_BREAK_AFTER = set("（《「『【〈“‘([{")
_WORD = re.compile(r"\S+")


def _units(plain):
    """(start, end) of the unbreakable pieces of `plain`, spaces between them left out."""
    units = []
    for word in _WORD.finditer(plain):
        start, end = word.span()
        pieces, position = [], start
        for url in _URL.finditer(plain, start, end):
            pieces.extend(_split_wide(plain, position, url.start()))
            pieces.append((url.start(), url.end(), True))
            position = url.end()
        pieces.extend(_split_wide(plain, position, end))
        # Joined inside one word unless a wide character allows the break (and the next
        # piece may start a line).
        for piece_start, piece_end, breakable in pieces:
            if units and units[-1][1] == piece_start and not (
                    breakable and plain[piece_start] not in _NO_BREAK_BEFORE
                    and plain[piece_start - 1] not in _NO_BREAK_AFTER):
                units[-1] = (units[-1][0], piece_end)
            else:
                units.append((piece_start, piece_end))
    return units


def _split_wide(plain, start, end):
    """Pieces of plain[start:end]: each wide character alone (breakable on both sides)."""
    pieces, position = [], start
    for match in _WIDE.finditer(plain, start, end):
        if match.start() > position:
            pieces.append((position, match.start(), match.start() == start or _after_wide(plain, position)))
        pieces.append((match.start(), match.end(), True))
        position = match.end()
    if position < end:
        pieces.append((position, end, position > start and _after_wide(plain, position)))
    return pieces


def _after_wide(plain, position):
    return position > 0 and _WIDE.match(plain, position - 1) is not None


def line_spans(plain, width, first_width=None):
    """[(start, end)] of the lines `plain` fills at `width` cells (`first_width` for the first
    line), breaking only between units. A unit wider than any line (a long URL) stays where
    it is, whole: moving it would only add a line. Leading spaces stay on the first line.

    >>> text = "see https://docs.docker.com/engine/install/binaries/#prerequisites now"
    >>> [text[a:b] for a, b in line_spans(text, 20)]
    ['see https://docs.docker.com/engine/install/binaries/#prerequisites', 'now']
    >>> text = "  a bb ccc dddd"
    >>> [text[a:b] for a, b in line_spans(text, 6)]
    ['  a bb', 'ccc', 'dddd']
    >>> text = "内核版本低于4.8，见https://docs.kernel.org/x.html。"
    >>> [text[a:b] for a, b in line_spans(text, 34)]
    ['内核版本低于4.8，见', 'https://docs.kernel.org/x.html。']
    >>> [text[a:b] for a, b in line_spans(text, 10)]
    ['内核版本低', '于4.8，见https://docs.kernel.org/x.html。']
    """
    lines, line_start, line_end, used = [], None, None, 0
    for start, end in _units(plain):
        size = cell_len(plain[start:end])
        gap = cell_len(plain[line_end:start]) if line_start is not None else 0
        room = first_width if first_width is not None and not lines else width
        if line_start is not None and used + gap + size > room and size <= width:
            lines.append((line_start, line_end))
            line_start = None
        if line_start is None:
            line_start, used = start, size
        else:
            used += gap + size
        line_end = end
    if line_start is not None:
        lines.append((line_start, line_end))
    if lines:
        lines[0] = (0, lines[0][1])
    return lines


def _plain_file(console):
    """The file a line can go to as plain text, or None when rich adds something to it.

    With no colour system (a pipe, a file, --no-color) and no wrapping, rich prints a Text
    as its plain characters and a newline, at ~0.2 ms a line through its renderer: a
    report of ~250 lines took ~55 ms to print that way.
    """
    if console.color_system is None and console.soft_wrap and not console.record \
            and console._buffer_index == 0:
        return console.file
    return None


def emit(console, text, indent=0, hang=None):
    """Print `text` after `indent` spaces; on a terminal, wrapped lines start at `hang`.

    Nothing is cut and no URL is split; without a terminal (console.soft_wrap), one line.
    """
    plain = _plain_file(console)
    if plain is not None:
        plain.write(" " * indent + text.plain + "\n")
        return
    hang = indent if hang is None else hang
    first = Text(" " * indent)
    width = console.width - hang
    if console.soft_wrap or width < MIN_WRAP or cell_len(text.plain) + indent <= console.width:
        console.print(first + text, soft_wrap=True)
        return
    for number, (start, end) in enumerate(line_spans(text.plain, width, console.width - indent)):
        lead = first if number == 0 else Text(" " * hang)
        console.print(lead + text[start:end], soft_wrap=True)


def emit_command(console, command, indent):
    """A remediation command, whole on its own line: copy-paste must get all of it."""
    comment = v(command).lstrip().startswith("#")
    plain = _plain_file(console)
    if plain is not None:
        plain.write(" " * indent + ("$ " if not comment else "") + v(command) + "\n")
        return
    line = Text.assemble(" " * indent, ("$ " if not comment else "", "dim"),
                         (v(command), "dim" if comment else "bold"))
    console.print(line, soft_wrap=True)


# ------------------------------------------------------------------ parts of the report

def _emit_remediation(console, remediation, words, indent):
    if not remediation:
        return
    if remediation.get("text"):
        label = words["fix"] + words["colon"]
        emit(console, Text.assemble((label, "bold"), v(remediation["text"])), indent, indent + cell_len(label))
    for command in remediation.get("commands") or []:
        emit_command(console, command, indent + 2)


def _emit_finding(console, finding, words):
    head = Text.assemble(_badge(words, finding["status"]), " ", (v(finding.get("title") or finding["id"]), "bold"))
    if finding.get("subject"):
        head.append(" — %s" % v(finding["subject"]))
    head.append("  [%s]" % v(finding["id"]), style="dim")
    if finding["status"] in ("pass", "skip"):  # nothing to do: one line each
        if finding.get("evidence"):
            head.append(" · " + v(finding["evidence"]), style="dim")
        emit(console, head, 0, INDENT)
        return
    emit(console, head, 0, INDENT)
    if finding.get("evidence"):
        emit(console, Text(v(finding["evidence"])), INDENT)
    _emit_remediation(console, finding.get("remediation"), words, INDENT)
    refs = finding.get("refs") or []
    if refs and finding["status"] in ("warn", "fail", "error"):
        label = words["refs"] + words["colon"]
        # One reference a line, after the label: a URL is never split, and each is whole
        # where a terminal makes it clickable.
        for number, ref in enumerate(refs):
            lead = label if number == 0 else " " * cell_len(label)
            emit(console, Text(lead + v(ref), style="dim"), INDENT, INDENT + cell_len(label))


def _emit_tree(console, tree, words):
    verdict = tree.get("verdict") or {}
    status = verdict.get("status", "skip")
    head = Text.assemble(_badge(words, status), " ", (v(tree.get("subject")), "bold"),
                         "  ", v(verdict.get("text") or verdict.get("id")),
                         ("  [%s/%s]" % (v(tree.get("tree")), v(verdict.get("id"))), "dim"))
    emit(console, head, 0, INDENT)
    if status == "pass":
        return
    for step in tree.get("path", []):
        answer = words["answer"].get(step.get("answer"), v(step.get("answer")))
        emit(console, Text.assemble("? ", v(step.get("question") or step.get("node")), " → ", (answer, "bold")),
             INDENT, INDENT + 2)
        if step.get("evidence"):
            emit(console, Text(v(step["evidence"]), style="dim"), INDENT + 4)
    _emit_remediation(console, verdict.get("remediation"), words, INDENT)


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
    return [title, line] + _engine_line(facts, words)


def _engine_line(facts, words):
    """Where the engine was asked and why; a remote engine said so (its checks are skipped)."""
    if not facts.get("docker.endpoint"):
        return []
    line = Text.assemble((words["endpoint"] + " ", "dim"), v(facts["docker.endpoint"]))
    if facts.get("docker.endpoint_source"):
        line.append(" (%s)" % v(facts["docker.endpoint_source"]))
    if facts.get("docker.local") is False:
        line.append("  ·  ", style="dim")
        line.append(words["remote_engine"], style="bold yellow")
    return [line]


# The order of the summary: the worst first, as the report is.
SUMMARY_ORDER = ("fail", "warn", "info", "pass", "skip", "error")


def summary_text(report, words):
    """The Summary line: findings by status, then tree verdicts by status when there are trees."""
    findings = dict.fromkeys(STATUSES, 0)
    findings.update(report.get("summary") or {})
    shown = [counted(words["counts"][s], findings[s]) for s in SUMMARY_ORDER if s != "error" or findings[s]]
    parts = [string.Template(words["findings_part"]).safe_substitute(counts=words["list_sep"].join(shown))]
    trees = report.get("trees") or []
    if trees:
        by_status = report.get("tree_summary") or {}
        if not by_status:        # a report from before tree_summary: count them here
            for tree in trees:
                status = (tree.get("verdict") or {}).get("status")
                by_status[status] = by_status.get(status, 0) + 1
        counts = [counted(words["counts"][s], by_status[s]) for s in SUMMARY_ORDER if by_status.get(s)]
        parts.append(string.Template(words["trees_part"]).safe_substitute(counts=words["list_sep"].join(counts)))
    return Text.assemble((words["summary"] + words["colon"], "bold"), words["part_sep"].join(parts))


def terminal_console(file, color, width):
    """A rich Console for data: markup, emoji codes and highlighting off (data prints as it is)."""
    return Console(file=file, no_color=not color, color_system="auto" if color else None,
                   markup=False, emoji=False, highlight=False, width=width,
                   force_terminal=None if color else False)


def render(report, file=None, color=True, width=None, quiet=False):
    """Print the report; `file` defaults to stdout.

    quiet: only what is not a pass (findings and tree verdicts), in full, and one line
    counting the passes left out.
    """
    words = ui(report.get("lang", "en"))
    console = terminal_console(file, color, width)
    # In a pipe or a file, long lines stay whole: grep and ticket systems wrap them better.
    console.soft_wrap = not console.is_terminal
    for number, line in enumerate(_header(report, words)):
        emit(console, line, 0, 2 if number else 0)
    findings = report.get("findings", [])
    trees = report.get("trees") or []
    hidden_findings = hidden_trees = 0
    if quiet:
        shown = [f for f in findings if f["status"] != "pass"]
        hidden_findings = len(findings) - len(shown)
        findings = shown
        shown_trees = [t for t in trees if (t.get("verdict") or {}).get("status") != "pass"]
        hidden_trees = len(trees) - len(shown_trees)
        trees = shown_trees
    if not report.get("findings"):
        console.print(Text(words["no_findings"]))
    for area, items in _order_areas(findings):
        console.print()
        console.rule(Text(words["area"].get(area, v(area)), style="bold"), align="left", style="dim")
        for finding in items:
            _emit_finding(console, finding, words)
    if trees:
        console.print()
        console.rule(Text(words["trees"], style="bold"), align="left", style="dim")
        for tree in sorted(trees, key=lambda t: -STATUS_RANK[(t.get("verdict") or {}).get("status", "skip")]):
            _emit_tree(console, tree, words)
    console.print()
    if quiet:
        if not findings and not trees and (hidden_findings or hidden_trees):
            emit(console, Text(words["nothing_wrong"]))
        what = [counted(words[key], n) for key, n in (("passed_findings", hidden_findings),
                                                      ("passed_trees", hidden_trees)) if n]
        if what:
            emit(console, Text(string.Template(words["not_shown"]).safe_substitute(what=words["list_sep"].join(what)),
                               style="dim"))
    emit(console, summary_text(report, words), 0, 2)

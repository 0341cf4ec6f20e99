"""The fleet view for a terminal: summary, host × area matrix, rules that do not pass,
OS/platform groups, skipped inputs. rich is imported here only (never on the JSON path).

Every string from a report (or a file name) goes through escape.visible and into a rich
Text, never markup: `[/]` or `[link=file:///…]` in a report prints as those characters.
"""

import string

from rich import box
from rich.cells import cell_len as _rich_cell_len, set_cell_size
from rich.table import Table
from rich.text import Text

from hostcheck.report import STATUS_RANK
from hostcheck.report.escape import visible
from hostcheck.report.text import STYLE, emit, terminal_console

from hostcheck.fleet.i18n import summary_line, words as fleet_words

# Hosts named per rule before "+N more".
HOSTS_SHOWN = 4

# A string from a report longer than this is shown cut, with an ellipsis: a forged 2 MiB
# host name or title took seconds of measuring and wrapping, and says nothing more than its
# start (the whole string is in the report and the --json document).
SHOWN_CHARS = 500


def v(value):
    """A string from a report as the view shows it: cut to SHOWN_CHARS, then escaped as
    escape.visible does (controls, bidi marks and lone surrogates as visible escapes)."""
    if type(value) is str and len(value) > SHOWN_CHARS:
        value = value[:SHOWN_CHARS - 1] + "…"
    return visible(value)


def cell_len(text):
    """Terminal cells of `text`: its length when it is printable ASCII (str.isascii reads a
    flag), else rich's measure (CJK counts two). The matrix measures ~20 strings per host."""
    if text.isascii() and text.isprintable():
        return len(text)
    return _rich_cell_len(text)


def _t(template, **values):
    return string.Template(template).safe_substitute(values)


def _cell(status, words):
    if not status:
        return Text("·", style="dim")
    return Text(words["status"].get(status, status), style=STYLE.get(status, ""))


def _os_label(os_):
    name = os_.get("id") or os_.get("name") or "?"
    return v("%s %s" % (name, os_["version"]) if os_.get("version") else name)


def _by_severity(host):
    return (-STATUS_RANK.get(host["worst"], -1) if host["worst"] else 1, host["hostname"], host["source"])


def _table(title, **kwargs):
    return Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                 pad_edge=False, padding=0, **kwargs)  # the box puts one space between columns


# Most cells, and share of the width left after the status columns: host, OS, platform, kernel.
IDENTITY_SHARES = ((28, 0.32), (18, 0.2), (14, 0.16), (24, 0.32))


def _fit(value, width):
    """`value` padded or cut (with an ellipsis) to `width` terminal cells (CJK counts two)."""
    if value.isascii() and value.isprintable():     # one cell a character
        if len(value) <= width:
            return value + " " * (width - len(value))
        return value[:max(width - 1, 0)] + "…"
    if cell_len(value) <= width:
        return set_cell_size(value, width)
    return set_cell_size(value, width - 1) + "…"


def _painter(console):
    """text, style → the text with that style's escape codes (or as is, without colour).

    The matrix writes its rows straight to the console's file: rich lays out each styled
    segment on its own (~9 s for 10,000 rows of 16 cells); a status label painted once and
    reused costs nothing.
    """
    from rich.color import ColorSystem
    from rich.style import Style
    system = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT,
              "truecolor": ColorSystem.TRUECOLOR, "windows": ColorSystem.STANDARD}.get(console.color_system)
    if system is None or console.no_color:
        return lambda text, style: text
    cache = {}

    def paint(text, style):
        key = (text, style)
        if key not in cache:
            cache[key] = Style.parse(style).render(text, color_system=system) if style else text
        return cache[key]
    return paint


# Areas as three-letter codes where the matrix must fit a narrow terminal (a legend says them).
AREA_CODES = {"arch": "arc", "kernel": "ker", "binfmt": "bfm", "runtime": "run", "cgroup": "cgr",
              "storage": "sto", "security": "sec", "firewall": "fw", "network": "net", "dns": "dns",
              "docker": "dkr", "image": "img"}
# The narrowest host column worth a matrix row; below it, hosts are stacked one a line.
MIN_HOST_COLUMN = 12


def area_code(area):
    return AREA_CODES.get(area) or v(area)[:3]


def _shorten(name, width, tail):
    """`name` cut to `width` cells, keeping `tail` characters of its end after an ellipsis."""
    if cell_len(name) <= width:
        return name
    return set_cell_size(name, width - 1 - tail).rstrip() + "…" + name[len(name) - tail:]


def _distinct_cut(names, width):
    """Labels of at most `width` cells that tell `names` apart, or None. A cut a third from
    the end is tried first, then the others: where names differ decides what must stay."""
    tails = sorted(range(1, width - 1), key=lambda tail: abs(tail - (width - 1) // 3))
    for tail in tails:
        labels = [_shorten(n, width, tail) for n in names]
        if len(set(labels)) == len(set(names)):
            return labels
    return None


def host_labels(names, width):
    """Labels for hostnames in a column of at most `width` cells, never two alike that differ.

    A domain every name shares is left out first (it is said once, above the matrix); names
    still too long are cut in the middle; when cuts would make two different names look the
    same, the column grows until they do not. Returns (labels, the shared domain or "",
    the column's width).

    >>> host_labels(["node-%d.example.com" % n for n in (1, 2, 10)], 10)
    (['node-1', 'node-2', 'node-10'], '.example.com', 7)
    >>> host_labels(["web-prod-eu-01", "web-prod-eu-02"], 8)
    (['web-p…01', 'web-p…02'], '', 8)
    >>> host_labels(["agent-%02d-of-the-ci-farm" % n for n in (1, 2)], 12)
    (['agent-01…arm', 'agent-02…arm'], '', 12)
    """
    names = list(names)
    longest = max([cell_len(n) for n in names] or [1])
    if longest <= width:
        return names, "", longest
    domain = ""
    if len(names) > 1 and all("." in n for n in names):
        suffix = "." + names[0].split(".", 1)[1]
        if all(n.endswith(suffix) and len(n) > len(suffix) for n in names):
            domain, names = suffix, [n[:-len(suffix)] for n in names]
    longest = max(cell_len(n) for n in names)
    for column in range(max(min(width, longest), 4), longest):
        labels = _distinct_cut(names, column)
        if labels is not None:
            return labels, domain, max(cell_len(label) for label in labels)
    return names, domain, longest


def matrix_lines(fleet, words, width, paint):
    """The host × area matrix, one string per line (worst hosts first), fitted to `width`.

    Wide: host, OS, platform and kernel, then a status per area. Narrower: the host and its
    statuses under three-letter area codes, with a legend. Narrower still: one line per
    host naming its areas by status. Host names are never cut to look alike.
    """
    cell = max(cell_len(label) for label in words["status"].values())
    areas = fleet["areas"]
    hosts = sorted(fleet["hosts"], key=_by_severity)
    names = [v(h["hostname"]) for h in hosts]
    # Full area names need ~180 columns; below that they shorten to four letters.
    full = width >= 180
    heads = [v(area) if full else v(area)[:4] for area in areas]
    area_widths = [max(cell, cell_len(head)) for head in heads]
    left = width - sum(w + 1 for w in area_widths) - 3       # the three spaces between four columns
    host_width = min(max(cell_len(n) for n in names or ["?"]), IDENTITY_SHARES[0][0], int(left * 0.32))
    if left - host_width >= 3 * 6 and host_labels(names, host_width)[2] <= host_width:
        return _wide_matrix(fleet, words, hosts, heads, area_widths, left, paint)
    short = {status: words["status_short"].get(status, label) for status, label in words["status"].items()}
    short_cell = max(cell_len(label) for label in short.values())
    codes = [area_code(area) for area in areas]
    code_widths = [max(short_cell, cell_len(code)) for code in codes]
    room = width - sum(w + 1 for w in code_widths)
    labels, domain, host_width = host_labels(names, max(room, MIN_HOST_COLUMN))
    legend = words["area_legend"] + words["colon"] + words["part_sep"].join(
        "%s %s" % (code, words["area"].get(area, v(area))) for code, area in zip(codes, areas))
    lines = [paint(words["matrix"], "bold")]
    if domain:
        lines.append(paint(_t(words["host_domain"], domain=domain), "dim"))
    if host_width > room:
        lines.extend(_stacked_lines(hosts, labels, areas, short, paint, width))
    else:
        header = " ".join([_fit(words["host"], host_width)] + [_fit(c, w) for c, w in zip(codes, code_widths)])
        lines += [paint(header.rstrip(), "bold"), paint("─" * min(cell_len(header), width), "dim")]
        cells = {status: [paint(_fit(label, w), STYLE.get(status, "")) for w in code_widths]
                 for status, label in short.items()}
        cells[None] = [paint(_fit("·", w), "dim") for w in code_widths]
        for host, label in zip(hosts, labels):
            statuses = " ".join(cells[host["areas"].get(area)][i] for i, area in enumerate(areas))
            lines.append(paint(_fit(label, host_width), "bold") + " " + statuses)
    return lines + _wrapped(legend, width, paint)


def _stacked_lines(hosts, labels, areas, short, paint, width):
    """Per host, its areas grouped by status, worst first (`node-7  FAIL ker bfm · WARN dns`),
    wrapped under the first area when wider than `width`."""
    lines = []
    hang = max(cell_len(label) for label in labels) + 2
    for host, label in zip(hosts, labels):
        by_status = {}
        for area in areas:
            status = host["areas"].get(area)
            if status:
                by_status.setdefault(status, []).append(area_code(area))
        words = []
        for status in sorted(by_status, key=lambda s: -STATUS_RANK[s]):
            if words:
                words.append(("·", "dim"))
            words.append((short[status], STYLE.get(status, "")))
            words.extend((code, "") for code in by_status[status])
        line, used = paint(set_cell_size(label, hang), "bold"), hang
        for text, style in words:
            if used + cell_len(text) > width and used > hang:
                lines.append(line.rstrip())
                line, used = " " * hang, hang
            line += paint(text, style) + " "
            used += cell_len(text) + 1
        lines.append(line.rstrip())
    return lines


def _wrapped(text, width, paint):
    """`text` in lines of at most `width` cells (broken at spaces), dimmed."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = (line + " " + word) if line else word
        if line and cell_len(candidate) > width:
            lines.append(line)
            candidate = "  " + word
        line = candidate
    return [paint(line, "dim") for line in lines + [line]]


def _wide_matrix(fleet, words, hosts, heads, area_widths, left, paint):
    rows = [(v(h["hostname"]), _os_label(h["os"]), v(h["platform"] or "?"), v(h["kernel"] or "?")) for h in hosts]
    titles = (words["host"], words["os"], words["platform"], words["kernel"])
    id_widths = []
    for column, (title, (most, share)) in enumerate(zip(titles, IDENTITY_SHARES)):
        longest = max([cell_len(title)] + [cell_len(row[column]) for row in rows])
        id_widths.append(max(min(longest, most, int(left * share)), min(6, longest)))
    labels, domain, label_width = host_labels([row[0] for row in rows], id_widths[0])
    id_widths[0] = max(label_width, min(cell_len(titles[0]), id_widths[0]))
    rows = [(label,) + row[1:] for label, row in zip(labels, rows)]

    header = " ".join([_fit(t, w) for t, w in zip(titles, id_widths)] +
                      [_fit(h, w) for h, w in zip(heads, area_widths)]).rstrip()
    lines = [paint(words["matrix"], "bold")]
    if domain:
        lines.append(paint(_t(words["host_domain"], domain=domain), "dim"))
    lines += [paint(header, "bold"), paint("─" * cell_len(header), "dim")]
    cells = {status: [paint(_fit(words["status"].get(status, status), w), STYLE.get(status, "")) for w in area_widths]
             for status in STATUS_RANK}
    cells[None] = [paint(_fit("·", w), "dim") for w in area_widths]
    by_areas = {}       # hosts with the same statuses share one areas dict (aggregate.Aggregator)
    for host, row in zip(hosts, rows):
        identity = paint(_fit(row[0], id_widths[0]), "bold") + " " + " ".join(
            _fit(value, w) for value, w in zip(row[1:], id_widths[1:]))
        areas = host["areas"]
        made = by_areas.get(id(areas))
        if made is None:
            made = by_areas[id(areas)] = (areas, " ".join(cells[areas.get(area)][i]
                                                          for i, area in enumerate(fleet["areas"])))
        statuses = made[1]
        lines.append(identity + " " + statuses)
    return lines


def _host_list(entry, words):
    named = entry["hosts"]["error"] + entry["hosts"]["fail"] + entry["hosts"]["warn"] + entry["hosts"]["info"]
    shown = ", ".join(v(name) for name in named[:HOSTS_SHOWN])
    if len(named) > HOSTS_SHOWN:
        shown += " " + _t(words["more"], n=len(named) - HOSTS_SHOWN)
    return shown


def rule_title(entry, words):
    if entry["kind"] == "tree":
        tree, verdict = entry["id"].split("/", 1)
        return _t(words["tree_title"], tree=v(tree), verdict=v(verdict))
    return v(entry["title"])


def rules_table(fleet, words):
    table = _table(words["per_rule"])
    table.add_column(words["rule"], no_wrap=True)
    table.add_column(words["area_col"], no_wrap=True)
    table.add_column(words["rule_title"], ratio=2)
    for status in ("fail", "warn", "info"):
        table.add_column(Text(words["status"][status], style=STYLE[status]), justify="right", no_wrap=True)
    table.add_column(words["failing_hosts"], ratio=2)
    for entry in fleet["per_rule"]:
        counts = entry["counts"]
        table.add_row(Text(v(entry["id"])), Text(v(words["area"].get(entry["area"], entry["area"]))),
                      Text(rule_title(entry, words)), Text(str(counts["fail"] + counts["error"] or "")),
                      Text(str(counts["warn"] or "")), Text(str(counts["info"] or "")), Text(_host_list(entry, words)))
    return table


# Narrower than this, the per-rule table's title and host columns would be a word wide:
# each rule is printed as a few lines instead.
RULES_TABLE_WIDTH = 120


def print_rules_stacked(console, fleet, words):
    """Per rule: its id and counts, its title, the hosts — each wrapped with its indent."""
    console.print(Text(words["per_rule"], style="bold"))
    for entry in fleet["per_rule"]:
        counts = entry["counts"]
        head = Text(v(entry["id"]), style="bold")
        for status, number in (("fail", counts["fail"] + counts["error"]), ("warn", counts["warn"]),
                               ("info", counts["info"])):
            if number:
                head.append("  ")
                head.append("%s %d" % (words["status"][status], number), style=STYLE[status])
        emit(console, head, 0, 2)
        emit(console, Text(rule_title(entry, words)), 2)
        emit(console, Text(_host_list(entry, words), style="dim"), 2)
    console.print()


def groups_table(fleet, words):
    table = _table(words["groups"])
    table.add_column(words["os"])
    table.add_column(words["platform"], no_wrap=True)
    table.add_column(words["hosts"], justify="right")
    for status in ("fail", "warn", "info"):
        table.add_column(Text(words["status"][status], style=STYLE[status]), justify="right", no_wrap=True)
    for group in fleet["groups"]:
        os_ = group["os"]
        name = os_.get("name") or os_.get("id") or "?"
        if os_.get("version") and os_["version"] not in name:
            name = "%s %s" % (name, os_["version"])
        worst = group["worst"]
        table.add_row(Text(v(name)), Text(v(group["platform"] or "?")), Text(str(group["hosts"])),
                      Text(str(worst["fail"] + worst["error"] or "")), Text(str(worst["warn"] or "")),
                      Text(str(worst["info"] or "")))
    return table


def skipped_table(fleet, words):
    table = _table(words["skipped"])
    table.add_column(words["file"], overflow="fold")
    table.add_column(words["reason"], ratio=1)
    for entry in fleet["skipped"]:
        table.add_row(Text(v(entry["path"])), Text(v(entry["reason"])))
    return table


def render(fleet, file=None, color=True, width=None):
    """Print the fleet view; `file` defaults to stdout."""
    words = fleet_words(fleet.get("lang", "en"))
    console = terminal_console(file, color, width)
    if width is None and not console.is_terminal:
        console.width = 200  # a pipe or a file: whole tables, nothing cropped at 80 columns
    summary = Text(summary_line(fleet, words), style="bold")
    emit(console, Text.assemble((words["title"], "bold"), " — ", summary), 0, 2)
    if fleet["hosts"]:
        console.file.write("\n".join(matrix_lines(fleet, words, console.width, _painter(console))) + "\n\n")
    if fleet["per_rule"] and console.width < RULES_TABLE_WIDTH:
        print_rules_stacked(console, fleet, words)
    elif fleet["per_rule"]:
        console.print(rules_table(fleet, words))
    else:
        console.print(Text(words["no_rules"]))
    if fleet["groups"]:
        console.print(groups_table(fleet, words))
    if fleet["skipped"]:
        console.print(skipped_table(fleet, words))
    duplicates = fleet["summary"]["duplicate_hostnames"]
    if duplicates:
        console.print(Text(_t(words["duplicates"], names=", ".join(v(name) for name in duplicates)), style="yellow"))
    console.print(summary)

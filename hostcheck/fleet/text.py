"""The fleet view for a terminal: summary, host × area matrix, rules that do not pass,
OS/platform groups, skipped inputs. rich is imported here only (never on the JSON path).

Every string from a report (or a file name) goes through escape.visible and into a rich
Text, never markup: `[/]` or `[link=file:///…]` in a report prints as those characters.
"""

import string

from rich import box
from rich.cells import cell_len, set_cell_size
from rich.table import Table
from rich.text import Text

from hostcheck.report import STATUS_RANK
from hostcheck.report.escape import visible as v
from hostcheck.report.text import STYLE, terminal_console

from hostcheck.fleet.i18n import summary_values, words as fleet_words

# Hosts named per rule before "+N more".
HOSTS_SHOWN = 4


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


def matrix_lines(fleet, words, width, paint):
    """The host × area matrix, one string per line (worst hosts first)."""
    cell = max(cell_len(label) for label in words["status"].values())
    # Full area names need ~180 columns; below that they shorten to four letters, and the
    # identity columns share what is left, so that no status column is ever cut off.
    full = width >= 180
    heads = [v(area) if full else v(area)[:4] for area in fleet["areas"]]
    area_widths = [max(cell, cell_len(head)) for head in heads]
    hosts = sorted(fleet["hosts"], key=_by_severity)
    rows = [(v(h["hostname"]), _os_label(h["os"]), v(h["platform"] or "?"), v(h["kernel"] or "?")) for h in hosts]
    left = max(width - sum(w + 1 for w in area_widths) - 4, 4 * 6)
    titles = (words["host"], words["os"], words["platform"], words["kernel"])
    id_widths = []
    for column, (title, (most, share)) in enumerate(zip(titles, IDENTITY_SHARES)):
        longest = max([cell_len(title)] + [cell_len(row[column]) for row in rows])
        id_widths.append(max(min(longest, most, int(left * share)), min(6, longest)))

    header = " ".join([_fit(t, w) for t, w in zip(titles, id_widths)] +
                      [_fit(h, w) for h, w in zip(heads, area_widths)]).rstrip()
    lines = [paint(words["matrix"], "bold"), paint(header, "bold"), paint("─" * cell_len(header), "dim")]
    cells = {status: [paint(_fit(words["status"].get(status, status), w), STYLE.get(status, "")) for w in area_widths]
             for status in STATUS_RANK}
    cells[None] = [paint(_fit("·", w), "dim") for w in area_widths]
    for host, row in zip(hosts, rows):
        identity = paint(_fit(row[0], id_widths[0]), "bold") + " " + " ".join(
            _fit(value, w) for value, w in zip(row[1:], id_widths[1:]))
        statuses = " ".join(cells[host["areas"].get(area)][i] for i, area in enumerate(fleet["areas"]))
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
    summary_line = Text(_t(words["summary"], **summary_values(fleet)), style="bold")
    console.print(Text(words["title"], style="bold"), Text("—"), summary_line)
    if fleet["hosts"]:
        console.file.write("\n".join(matrix_lines(fleet, words, console.width, _painter(console))) + "\n\n")
    if fleet["per_rule"]:
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
    console.print(summary_line)

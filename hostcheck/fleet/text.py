"""The fleet view for a terminal: summary, host × area matrix, rules that do not pass,
OS/platform groups, skipped inputs. rich is imported here only (never on the JSON path).
"""

import string

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hostcheck.report import STATUS_RANK
from hostcheck.report.text import STYLE

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
    return "%s %s" % (name, os_["version"]) if os_.get("version") else name


def _by_severity(host):
    return (-STATUS_RANK.get(host["worst"], -1) if host["worst"] else 1, host["hostname"], host["source"])


def _table(title, **kwargs):
    return Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                 pad_edge=False, padding=0, **kwargs)  # the box puts one space between columns


# Share of the width left after the status columns: host, OS, platform, kernel.
IDENTITY_SHARES = ((28, 0.32), (18, 0.2), (14, 0.16), (24, 0.32))


def matrix_table(fleet, words, width):
    table = _table(words["matrix"])
    cell = max(len(label) for label in words["status"].values())
    # Full area names need ~180 columns; below that they shorten to four letters, and the
    # identity columns share what is left, so that no status column is ever cut off.
    full = width >= 180
    areas_width = sum(max(cell, len(area) if full else min(4, len(area))) + 1 for area in fleet["areas"])
    left = max(width - areas_width - 4, 4 * 6)
    titles = (words["host"], words["os"], words["platform"], words["kernel"])
    for title, (most, share) in zip(titles, IDENTITY_SHARES):
        table.add_column(title, no_wrap=True, overflow="ellipsis", max_width=max(6, min(most, int(left * share))),
                         style="bold" if title == words["host"] else None)
    for area in fleet["areas"]:
        table.add_column(area if full else area[:4], no_wrap=True, min_width=cell)
    for host in sorted(fleet["hosts"], key=_by_severity):
        table.add_row(host["hostname"], _os_label(host["os"]), host["platform"] or "?", host["kernel"] or "?",
                      *[_cell(host["areas"].get(area), words) for area in fleet["areas"]])
    return table


def _host_list(entry, words):
    named = entry["hosts"]["error"] + entry["hosts"]["fail"] + entry["hosts"]["warn"] + entry["hosts"]["info"]
    shown = ", ".join(named[:HOSTS_SHOWN])
    if len(named) > HOSTS_SHOWN:
        shown += " " + _t(words["more"], n=len(named) - HOSTS_SHOWN)
    return shown


def rule_title(entry, words):
    if entry["kind"] == "tree":
        tree, verdict = entry["id"].split("/", 1)
        return _t(words["tree_title"], tree=tree, verdict=verdict)
    return entry["title"]


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
        table.add_row(entry["id"], entry["area"], rule_title(entry, words),
                      str(counts["fail"] + counts["error"] or ""), str(counts["warn"] or ""),
                      str(counts["info"] or ""), _host_list(entry, words))
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
        table.add_row(name, group["platform"] or "?", str(group["hosts"]),
                      str(worst["fail"] + worst["error"] or ""), str(worst["warn"] or ""), str(worst["info"] or ""))
    return table


def skipped_table(fleet, words):
    table = _table(words["skipped"])
    table.add_column(words["file"], overflow="fold")
    table.add_column(words["reason"], ratio=1)
    for entry in fleet["skipped"]:
        table.add_row(entry["path"], entry["reason"])
    return table


def render(fleet, file=None, color=True, width=None):
    """Print the fleet view; `file` defaults to stdout."""
    words = fleet_words(fleet.get("lang", "en"))
    console = Console(file=file, no_color=not color, color_system="auto" if color else None,
                      highlight=False, width=width, force_terminal=None if color else False)
    if width is None and not console.is_terminal:
        console.width = 200  # a pipe or a file: whole tables, nothing cropped at 80 columns
    summary_line = Text(_t(words["summary"], **summary_values(fleet)), style="bold")
    console.print(Text(words["title"], style="bold"), "—", summary_line)
    if fleet["hosts"]:
        console.print(matrix_table(fleet, words, console.width))
    if fleet["per_rule"]:
        console.print(rules_table(fleet, words))
    else:
        console.print(words["no_rules"])
    if fleet["groups"]:
        console.print(groups_table(fleet, words))
    if fleet["skipped"]:
        console.print(skipped_table(fleet, words))
    duplicates = fleet["summary"]["duplicate_hostnames"]
    if duplicates:
        console.print(Text(_t(words["duplicates"], names=", ".join(duplicates)), style="yellow"))
    console.print(summary_line)

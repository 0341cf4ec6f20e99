"""The fleet view as one self-contained HTML page a support lead can open or attach to a ticket.

Inline CSS and a little inline JS (sort a table by a header, filter the matrix); no
network, no external assets, no fetched fonts — a Content-Security-Policy says so to the
browser too. Everything from the reports is HTML-escaped; without JS the page still reads
(the JS only sorts and filters).
"""

import html
import string

from hostcheck.report import STATUS_RANK
from hostcheck.report.escape import visible

from hostcheck.fleet.i18n import summary_values, words as fleet_words

# Per rule, hosts named before the rest fold into "+N more".
HOSTS_SHOWN = 12

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

CSS = """
:root { --fail:#c62828; --error:#8e24aa; --warn:#f9a825; --info:#1e88e5; --pass:#2e7d32; --skip:#bdbdbd; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
       "Microsoft YaHei", sans-serif; margin: 0 24px 48px; color: #212121; background: #fafafa; }
h1 { font-size: 22px; margin: 18px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #616161; margin-bottom: 12px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0; }
.card { background: #fff; border: 1px solid #e0e0e0; border-left: 6px solid #9e9e9e; padding: 8px 14px;
        min-width: 130px; }
.card b { display: block; font-size: 22px; }
.card.fail { border-left-color: var(--fail); } .card.warn { border-left-color: var(--warn); }
.card.info { border-left-color: var(--info); } .card.pass { border-left-color: var(--pass); }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #e0e0e0; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eeeeee; position: sticky; top: 0; }
th.sort { cursor: pointer; user-select: none; }
th.sort::after { content: " \\2195"; color: #9e9e9e; }
th.v { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; vertical-align: bottom;
       text-align: left; padding: 6px 3px; }
th.v::after { content: none; }  /* a sideways arrow only clutters an upright label */
html[lang="zh-CN"] th.v { transform: none; }  /* Chinese reads top to bottom, upright */
td.nw { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.st { text-align: center; font-weight: 600; font-size: 11px; white-space: nowrap; min-width: 38px; padding: 3px 4px; }
#matrix { font-size: 13px; }
#rules code { white-space: nowrap; }
.s-fail { background: var(--fail); color: #fff; } .s-error { background: var(--error); color: #fff; }
.s-warn { background: var(--warn); color: #000; } .s-info { background: var(--info); color: #fff; }
.s-pass { background: var(--pass); color: #fff; } .s-skip { background: #eeeeee; color: #757575; }
.s-none { color: #bdbdbd; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600;
         margin-right: 6px; }
.tools { margin: 8px 0; display: flex; gap: 12px; align-items: center; }
.tools input { padding: 4px 8px; width: 260px; }
.matrix-wrap { overflow: auto; max-height: 70vh; }
details.host { background: #fff; border: 1px solid #e0e0e0; margin: 6px 0; padding: 4px 10px;
               content-visibility: auto; contain-intrinsic-size: auto 30px; }
details.host > summary { cursor: pointer; font-weight: 600; }
.finding { margin: 8px 0 8px 4px; }
.finding .title { font-weight: 600; }
.finding .ev { color: #424242; margin: 2px 0 0 4px; white-space: pre-wrap; }
.finding .id { color: #9e9e9e; font-size: 12px; }
pre { background: #263238; color: #eceff1; padding: 6px 10px; margin: 4px 0; overflow-x: auto;
      white-space: pre-wrap; }
.skips { color: #616161; font-size: 13px; }
.more { color: #616161; }
.src { color: #9e9e9e; font-size: 12px; font-weight: normal; }
"""

# (content-visibility: a browser lays out only the host sections in view: 10,000 hosts
# open in ~8 s instead of ~11 s in headless Chromium here.)

# Sort any table by a clicked header (numbers and statuses by rank, else text); filter the
# matrix by text and by worst status. Kept small on purpose.
JS = """
(function () {
  function key(cell) {
    var r = cell.getAttribute('data-rank');
    if (r !== null) return parseFloat(r);
    var t = cell.textContent.trim();
    return /^[0-9]+$/.test(t) ? parseInt(t, 10) : t.toLowerCase();
  }
  document.querySelectorAll('th.sort').forEach(function (th) {
    th.addEventListener('click', function () {
      var table = th.closest('table'), body = table.tBodies[0], col = th.cellIndex;
      var down = th.getAttribute('data-dir') !== 'desc';
      th.setAttribute('data-dir', down ? 'desc' : 'asc');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[col]), y = key(b.cells[col]);
        if (x === y) return 0;
        return (x < y ? -1 : 1) * (down ? -1 : 1);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  var text = document.getElementById('filter'), level = document.getElementById('level');
  function filter() {
    var q = text.value.trim().toLowerCase(), min = parseInt(level.value, 10);
    document.querySelectorAll('#matrix tbody tr').forEach(function (row) {
      var ok = row.textContent.toLowerCase().indexOf(q) >= 0 && parseInt(row.getAttribute('data-rank'), 10) >= min;
      row.style.display = ok ? '' : 'none';
    });
  }
  if (text) { text.addEventListener('input', filter); level.addEventListener('change', filter); }
  function openTarget() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.tagName === 'DETAILS') target.open = true;
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
})();
"""


_ESCAPED = {}


def escape(value):
    """Any value as page text: HTML-escaped, its controls and lone surrogates shown as escapes
    (line breaks kept: the page lays them out).

    Strings are remembered (up to 100,000): across a fleet, titles, evidence and commands
    repeat from host to host, and escaping them was a third of a 10,000-host page's time.
    """
    if type(value) is not str:
        return html.escape(visible(value, newlines=True))
    escaped = _ESCAPED.get(value)
    if escaped is None:
        if len(_ESCAPED) >= 100000:
            _ESCAPED.clear()
        escaped = _ESCAPED[value] = html.escape(visible(value, newlines=True))
    return escaped


def _t(template, **values):
    return string.Template(template).safe_substitute(values)


def _status_cell(status, words):
    if not status:
        return '<td class="st s-none" data-rank="-1">·</td>'
    return '<td class="st s-%s" data-rank="%d">%s</td>' % (
        status, STATUS_RANK[status], escape(words["status"].get(status, status)))


def _badge(status, words):
    return '<span class="badge s-%s">%s</span>' % (status, escape(words["status"].get(status, status)))


def _os_label(os_):
    name = os_.get("name") or os_.get("id") or "?"
    if os_.get("version") and os_["version"] not in name:
        name = "%s %s" % (name, os_["version"])
    return name


def _rank(status):
    return STATUS_RANK[status] if status else -1


def _head(cells, vertical_from=None):
    """A header row whose cells sort the table; cells from `vertical_from` on are written upright."""
    return "<thead><tr>%s</tr></thead>" % "".join(
        '<th class="sort%s">%s</th>' % (" v" if vertical_from is not None and i >= vertical_from else "",
                                         escape(c)) for i, c in enumerate(cells))


def _matrix(fleet, words, anchors):
    """The matrix's pieces, a host at a time."""
    yield '<div class="tools"><input id="filter" type="search" placeholder="%s">' % escape(words["filter"])
    yield '<label>%s <select id="level"><option value="-1">%s</option>' % (escape(words["show"]),
                                                                         escape(words["all_hosts"]))
    for status in ("fail", "warn", "info"):
        yield '<option value="%d">%s</option>' % (
            STATUS_RANK[status], escape(_t(words["at_least"], status=words["status"][status])))
    yield "</select></label></div>"
    yield '<div class="matrix-wrap"><table id="matrix">'
    yield _head([words["host"], words["os"], words["platform"], words["kernel"], words["worst"]]
                + [words["area"].get(a, a) for a in fleet["areas"]], vertical_from=4)
    yield "<tbody>"
    hosts = sorted(fleet["hosts"], key=lambda h: (-_rank(h["worst"]), h["hostname"], h["source"]))
    # Hosts with the same statuses share one areas dict (aggregate.Aggregator): its cells are
    # made once per distinct dict, not once per host.
    area_cells = {}
    for host in hosts:
        areas = host["areas"]
        cells = area_cells.get(id(areas))
        if cells is None:
            cells = area_cells[id(areas)] = (areas, "".join(_status_cell(areas.get(area), words)
                                                           for area in fleet["areas"]))
        # The matrix shows the short OS id and version; the full name is in the tooltip.
        yield ('<tr data-rank="%d"><td class="nw"><a href="#%s">%s</a></td><td class="nw" title="%s">%s</td>'
               '<td class="nw">%s</td><td class="nw">%s</td>%s%s</tr>' % (
                   _rank(host["worst"]), anchors[id(host)], escape(host["hostname"]), escape(_os_label(host["os"])),
                   escape(" ".join(filter(None, (host["os"]["id"] or host["os"]["name"], host["os"]["version"])))
                          or "?"),
                   escape(host["platform"] or "?"), escape(host["kernel"] or "?"), _status_cell(host["worst"], words),
                   cells[1]))
    yield "</tbody></table></div>"


def _host_links(names, by_name):
    return ", ".join('<a href="#%s">%s</a>' % (by_name[name], escape(name)) if name in by_name else escape(name)
                     for name in names)


def _rules(fleet, words, by_name):
    if not fleet["per_rule"]:
        return ["<p>%s</p>" % escape(words["no_rules"])]
    out = ["<table id=\"rules\">", _head([words["rule"], words["area_col"], words["rule_title"], words["status"]["fail"],
                                          words["status"]["warn"], words["status"]["info"], words["failing_hosts"]]),
           "<tbody>"]
    for entry in fleet["per_rule"]:
        counts, hosts = entry["counts"], entry["hosts"]
        named = hosts["error"] + hosts["fail"] + hosts["warn"] + hosts["info"]
        listed = _host_links(named[:HOSTS_SHOWN], by_name)
        if len(named) > HOSTS_SHOWN:
            rest = named[HOSTS_SHOWN:]
            listed += ' <details class="more"><summary>%s</summary>%s</details>' % (
                escape(_t(words["more"], n=len(rest))), escape(", ".join(rest)))
        if entry["kind"] == "tree":
            tree, verdict = entry["id"].split("/", 1)
            title = _t(words["tree_title"], tree=tree, verdict=verdict)
        else:
            title = entry["title"]
        bad = counts["fail"] + counts["error"]
        out.append('<tr><td><code>%s</code></td><td>%s</td><td>%s</td>'
                   '<td class="num%s">%s</td><td class="num%s">%s</td><td class="num">%s</td><td>%s</td></tr>' % (
                       escape(entry["id"]), escape(words["area"].get(entry["area"], entry["area"])), escape(title),
                       " s-fail" if bad else "", bad or "", " s-warn" if counts["warn"] else "", counts["warn"] or "",
                       counts["info"] or "", listed))
    out.append("</tbody></table>")
    return out


def _groups(fleet, words):
    out = ["<table id=\"groups\">", _head([words["os"], words["platform"], words["hosts"], words["status"]["fail"],
                                           words["status"]["warn"], words["status"]["info"]]), "<tbody>"]
    for group in fleet["groups"]:
        worst = group["worst"]
        out.append("<tr><td>%s</td><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%s</td>"
                   "<td class=\"num\">%s</td><td class=\"num\">%s</td></tr>" % (
                       escape(_os_label(group["os"])), escape(group["platform"] or "?"), group["hosts"],
                       worst["fail"] + worst["error"] or "", worst["warn"] or "", worst["info"] or ""))
    out.append("</tbody></table>")
    return out


def _remediation(remediation, words):
    if not remediation:
        return ""
    out = ""
    if remediation.get("text"):
        out += '<div class="ev"><b>%s:</b> %s</div>' % (escape(words["fix"]), escape(remediation["text"]))
    if remediation.get("commands"):
        out += "<pre>%s</pre>" % escape("\n".join(remediation["commands"]))
    return out


def _host_details(host, anchor, words, lang):
    """A host's folded section: made by a worker as it read the report (HostRow.details),
    else here."""
    details = getattr(host, "details", None)
    body = details(lang) if details is not None else None
    if body is None:
        body = _details_body(host, words, lang)
    return '<details class="host" id="%s">%s' % (anchor, body)


_WORDS = {}


def host_details_body(record, lang):
    """The section of one host's record, after its opening tag (which holds the anchor, known
    only once every host is read)."""
    words = _WORDS.get(lang)
    if words is None:
        words = _WORDS[lang] = fleet_words(lang)
    return _details_body(record, words, lang)


def _details_body(host, words, lang):
    problems = sorted(host["findings"] + host["trees"], key=lambda f: -STATUS_RANK[f["status"]])
    summary = "%s%s <span class=\"src\">%s · %s · %s</span>" % (
        _badge(host["worst"], words) if host["worst"] else "", escape(host["hostname"]),
        escape(_os_label(host["os"])), escape(host["platform"] or "?"), escape(host["source"]))
    out = ["<summary>%s</summary>" % summary]
    if not problems:
        out.append("<p>%s</p>" % escape(words["nothing_to_report"]))
    out.extend(_problem(item, words, lang) for item in problems)
    out.append('<p class="skips">%s</p>' % escape(_t(words["passed_skipped"], source=host["source"],
                                                       **host["summary"])))
    out.append("</details>")
    return "".join(out)


# A finding's or verdict's block, made once per language: most hosts of a fleet share most
# of theirs. Up to this many kept.
PROBLEMS_KEPT = 20000
_PROBLEMS = {}


def _problem(item, words, lang):
    from hostcheck.fleet.aggregate import item_key
    key = (lang,) + item_key(item)
    block = _PROBLEMS.get(key)
    if block is not None:
        return block
    if "tree" in item:
        title = "%s — %s" % (_t(words["tree_title"], tree=item["tree"], verdict=item["verdict"]),
                             item.get("subject") or "")
        ident, evidence = "%s/%s" % (item["tree"], item["verdict"]), item["text"]
    else:
        title = item["title"] + (" — %s" % item["subject"] if item.get("subject") else "")
        ident, evidence = item["id"], item["evidence"]
    block = '<div class="finding">%s<span class="title">%s</span> <span class="id">%s</span>%s%s</div>' % (
        _badge(item["status"], words), escape(title), escape(ident),
        '<div class="ev">%s</div>' % escape(evidence) if evidence else "",
        _remediation(item.get("remediation"), words))
    if len(_PROBLEMS) >= PROBLEMS_KEPT:
        _PROBLEMS.clear()
    _PROBLEMS[key] = block
    return block


def render_html(fleet):
    """The whole page, in pieces of text to write one after the other (made as they are
    written: a 10,000-host page is never held whole)."""
    for piece in _pieces(fleet):
        yield piece
        yield "\n"


def _pieces(fleet):
    lang = fleet.get("lang", "en")
    words = fleet_words(lang)
    anchors = {id(host): "host-%d" % index for index, host in enumerate(fleet["hosts"])}
    # Per-rule host lists link to the first row of that name (duplicate names are rare).
    by_name = {}
    for host in fleet["hosts"]:
        by_name.setdefault(host["hostname"], anchors[id(host)])
    values = summary_values(fleet)
    cards = [("", values["hosts"], words["hosts"]), ("fail", values["fail"], words["card_fail"]),
             ("warn", values["warn"], words["card_warn"]), ("info", values["info"], words["card_info"]),
             ("pass", values["ok"], words["card_ok"]), ("", values["skipped"], words["skipped"])]
    yield from [
        "<!DOCTYPE html>",
        '<html lang="%s"><head><meta charset="utf-8">' % ("zh-CN" if lang == "zh" else "en"),
        '<meta http-equiv="Content-Security-Policy" content="%s">' % CSP,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>%s — %d</title>" % (escape(words["title"]), values["hosts"]),
        "<style>%s</style></head><body>" % CSS,
        "<h1>%s</h1>" % escape(words["title"]),
        '<div class="meta">%s: %s · hostcheck %s · --fail-on %s</div>' % (
            escape(words["generated"]), escape(fleet["generated_at"]), escape(fleet["tool"]["version"]),
            escape(fleet["fail_on"])),
        '<div class="cards">%s</div>' % "".join(
            '<div class="card %s"><b>%d</b>%s</div>' % (cls, number, escape(label)) for cls, number, label in cards),
    ]
    duplicates = fleet["summary"]["duplicate_hostnames"]
    if duplicates:
        yield '<p class="meta">%s</p>' % escape(_t(words["duplicates"], names=", ".join(duplicates)))
    yield "<h2>%s</h2>" % escape(words["matrix"])
    yield from _matrix(fleet, words, anchors)
    yield "<h2>%s</h2>" % escape(words["per_rule"])
    yield from _rules(fleet, words, by_name)
    yield "<h2>%s</h2>" % escape(words["groups"])
    yield from _groups(fleet, words)
    if fleet["skipped"]:
        yield "<h2>%s</h2>" % escape(words["skipped"])
        yield "<table id=\"skipped\">%s<tbody>%s</tbody></table>" % (
            _head([words["file"], words["reason"]]),
            "".join("<tr><td>%s</td><td>%s</td></tr>" % (escape(s["path"]), escape(s["reason"]))
                    for s in fleet["skipped"]))
    yield "<h2>%s</h2>" % escape(words["details"])
    for host in sorted(fleet["hosts"], key=lambda h: (-_rank(h["worst"]), h["hostname"], h["source"])):
        yield _host_details(host, anchors[id(host)], words, lang)
    yield "<script>%s</script></body></html>" % JS

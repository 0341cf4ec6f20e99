"""`--html FILE`: one report as a self-contained page a person opens from a ticket.

The page reads top to bottom as the person needs it: the host (OS, platform, kernel, the
engine and its state), then the problems, worst first, each with its fix and a copy button
per command, each decision tree as its path of questions and answers; the passes and the
skips folded away at the end. English or Chinese, as the report's `lang`.

No network: inline CSS and a little inline JS, no fonts, images or scripts from elsewhere,
and a Content-Security-Policy that allows only this page's own style and script (by their
hashes), so that nothing else could run even if it got in. Every string from the report is
HTML-escaped, with control and bidi characters shown as escapes (U+202E would otherwise
show a command reversed); none reaches a script or style context, and attributes hold only
the page's own words. Copy buttons use navigator.clipboard, and a textarea with
execCommand("copy") where that is missing or refused (some browsers on file:// pages);
without JS the commands are plain selectable text.
"""

import base64
import hashlib
import re
import string
from html import escape

from hostcheck.report import STATUS_RANK
from hostcheck.report.i18n import ui
from hostcheck.report.escape import visible

CSS = """
:root { --fail:#c62828; --error:#8e24aa; --warn:#f9a825; --info:#1e88e5; --pass:#2e7d32; --skip:#9e9e9e; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
       "Microsoft YaHei", sans-serif; margin: 0 auto; padding: 0 16px 48px; max-width: 980px;
       color: #212121; background: #fafafa; overflow-wrap: anywhere; }
h1 { font-size: 22px; margin: 18px 0 8px; }
h1 .host { color: #1565c0; }
h2 { font-size: 18px; margin: 26px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 4px; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 4px 16px; margin: 0; }
.facts div { min-width: 0; }
.facts dt { color: #757575; font-size: 12px; }
.facts dd { margin: 0; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0 4px; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 3px; font-size: 12px; font-weight: 600;
         vertical-align: 2px; white-space: nowrap; }
.s-fail { background: var(--fail); color: #fff; } .s-error { background: var(--error); color: #fff; }
.s-warn { background: var(--warn); color: #000; } .s-info { background: var(--info); color: #fff; }
.s-pass { background: var(--pass); color: #fff; } .s-skip { background: #e0e0e0; color: #424242; }
.item { background: #fff; border: 1px solid #e0e0e0; border-left: 6px solid var(--skip); padding: 10px 14px;
        margin: 10px 0; }
.item.b-fail { border-left-color: var(--fail); } .item.b-error { border-left-color: var(--error); }
.item.b-warn { border-left-color: var(--warn); } .item.b-info { border-left-color: var(--info); }
.meta { color: #757575; font-size: 13px; margin-bottom: 6px; }
.meta code { font-size: 12px; }
.ev { white-space: pre-wrap; margin: 6px 0; color: #333; }
.verdict { font-weight: 600; margin: 6px 0; }
ol.path { margin: 6px 0; padding-left: 22px; }
ol.path li { margin: 3px 0; }
.answer { font-weight: 600; }
.answer.a-yes { color: var(--pass); } .answer.a-no { color: var(--fail); } .answer.a-unknown { color: #757575; }
ol.path .ev { font-size: 13px; margin: 1px 0 0; color: #555; }
.fix { margin-top: 8px; }
.fix-label { font-weight: 600; }
.cmds { margin: 6px 0 0; }
.cmd { display: flex; gap: 8px; align-items: flex-start; background: #263238; color: #eceff1; margin: 3px 0;
       padding: 6px 8px; border-radius: 3px; }
.cmd code { flex: 1 1 auto; min-width: 0; white-space: pre-wrap; overflow-wrap: anywhere;
            font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace; }
.cmd.note code { color: #b0bec5; font-style: italic; }
button.copy { flex: 0 0 auto; font: inherit; font-size: 12px; padding: 2px 8px; border: 1px solid #90a4ae;
              border-radius: 3px; background: #37474f; color: #fff; cursor: pointer; }
button.copy.all { background: #fff; color: #263238; margin-top: 4px; }
button.copy.failed { background: #fff3e0; color: #e65100; }
.nojs button.copy { display: none; }
.refs { font-size: 13px; color: #616161; margin: 6px 0 0; }
details.fold { background: #fff; border: 1px solid #e0e0e0; margin: 14px 0; padding: 6px 12px; }
details.fold > summary { cursor: pointer; font-weight: 600; font-size: 16px; }
ul.rows { list-style: none; padding: 0; margin: 8px 0; }
ul.rows > li { padding: 4px 0; border-top: 1px solid #f0f0f0; }
ul.rows .ev { font-size: 13px; color: #616161; margin: 2px 0 0; }
ul.rows details { margin: 2px 0 0; font-size: 13px; }
.none { color: #2e7d32; font-weight: 600; }
footer { color: #9e9e9e; font-size: 12px; margin-top: 28px; }
.offscreen { position: fixed; top: 0; left: -9999px; opacity: 0; }
@media (max-width: 600px) {
  body { padding: 0 10px 32px; font-size: 14px; }
  h1 { font-size: 19px; }
  .item { padding: 8px 10px; }
}
"""

# Copy buttons (with a fallback for pages where navigator.clipboard is missing or refused),
# and a folded section opens when a link points into it. The words it shows come from
# the page's own data-* attributes; nothing from the report is in this script.
JS = """
(function () {
  var root = document.documentElement, body = document.body;
  root.className = root.className.replace('nojs', 'js');
  function show(button, ok) {
    if (!button.hasAttribute('data-label')) button.setAttribute('data-label', button.textContent);
    button.textContent = body.getAttribute(ok ? 'data-copied' : 'data-copy-failed');
    button.classList.toggle('failed', !ok);
    setTimeout(function () {
      button.textContent = button.getAttribute('data-label');
      button.classList.remove('failed');
    }, 2000);
  }
  function fallback(text) {
    var area = document.createElement('textarea'), ok = false;
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    body.appendChild(area);
    area.select();
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    body.removeChild(area);
    return ok;
  }
  function copy(text, button) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { show(button, true); },
                                               function () { show(button, fallback(text)); });
    } else {
      show(button, fallback(text));
    }
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button.copy') : null;
    if (!button) return;
    // a command's own button copies it; "copy all" (a sibling of the commands) copies them all
    var codes = button.parentNode.querySelectorAll('code');
    var lines = [];
    for (var i = 0; i < codes.length; i++) lines.push(codes[i].textContent);
    copy(lines.join('\\n'), button);
  });
  function openTarget() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    while (target) {
      if (target.tagName === 'DETAILS') target.open = true;
      target = target.parentElement;
    }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
})();
"""


def _hash(text):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


CSP = ("default-src 'none'; style-src %s; script-src %s; img-src data:; base-uri 'none'; form-action 'none'"
       % (_hash(CSS), _hash(JS)))

def esc(value):
    """Any value from the report as HTML text or a quoted attribute value."""
    return escape(visible(value, newlines=True), quote=True)


def _status(value):
    """A status as a class name: one of the known six; anything else counts as an error."""
    return value if value in STATUS_RANK else "error"


def _badge(status, words):
    shown = status if status in STATUS_RANK else "?"
    return '<span class="badge s-%s">%s</span>' % (_status(status), esc(words["status"].get(shown, shown)))


def _commands(commands, words):
    commands = [c for c in commands or [] if isinstance(c, str)]
    if not commands:
        return ""
    out = ['<div class="cmds">']
    for command in commands:
        if command.lstrip().startswith("#"):
            out.append('<div class="cmd note" title="%s"><code>%s</code></div>' % (
                esc(words["page"]["advice"]), esc(command)))
        else:
            out.append('<div class="cmd"><code>%s</code><button type="button" class="copy">%s</button></div>' % (
                esc(command), esc(words["page"]["copy"])))
    if len(commands) > 1:
        out.append('<button type="button" class="copy all">%s</button>' % esc(words["page"]["copy_all"]))
    out.append("</div>")
    return "".join(out)


def _remediation(remediation, words):
    if not remediation or not isinstance(remediation, dict):
        return ""
    text, commands = remediation.get("text"), remediation.get("commands")
    if not text and not commands:
        return ""
    out = ['<div class="fix">']
    if text:
        out.append('<p><span class="fix-label">%s%s</span>%s</p>' % (esc(words["fix"]), esc(words["colon"]), esc(text)))
    out.append(_commands(commands, words))
    out.append("</div>")
    return "".join(out)


def _refs(refs, words):
    links = []
    for ref in refs or []:
        if not isinstance(ref, str):
            continue
        if re.match(r"https?://[^\s\"'<>]+$", ref):
            links.append('<a href="%s" rel="noopener noreferrer">%s</a>' % (esc(ref), esc(ref)))
        else:
            links.append(esc(ref))
    if not links:
        return ""
    return '<p class="refs">%s%s%s</p>' % (esc(words["refs"]), esc(words["colon"]), " · ".join(links))


def _path(path, words, css_class="path"):
    steps = []
    for step in path or []:
        if not isinstance(step, dict):
            continue
        answer = step.get("answer")
        known = answer if answer in ("yes", "no", "unknown") else "unknown"
        steps.append('<li><span class="q">%s</span> → <span class="answer a-%s">%s</span>%s</li>' % (
            esc(step.get("question") or step.get("node") or ""), known,
            esc(words["answer"].get(answer, answer or "?")),
            '<div class="ev">%s</div>' % esc(step["evidence"]) if step.get("evidence") else ""))
    if not steps:
        return ""
    return '<ol class="%s" aria-label="%s">%s</ol>' % (css_class, esc(words["page"]["path"]), "".join(steps))


def _tree_name(tree, words):
    name = tree.get("tree") or "?"
    return words["page"]["tree"].get(name, name)


def _finding_item(finding, anchor, words):
    status = finding.get("status")
    title = finding.get("title") or finding.get("id") or "?"
    subject = ' <span class="subject">— %s</span>' % esc(finding["subject"]) if finding.get("subject") else ""
    area = finding.get("area")
    return "".join((
        '<article class="item b-%s" id="%s">' % (_status(status), anchor),
        "<h3>%s %s%s</h3>" % (_badge(status, words), esc(title), subject),
        '<div class="meta">%s · <code>%s</code></div>' % (esc(words["area"].get(area, area or "?")),
                                                         esc(finding.get("id") or "?")),
        '<p class="ev">%s</p>' % esc(finding["evidence"]) if finding.get("evidence") else "",
        _remediation(finding.get("remediation"), words),
        _refs(finding.get("refs"), words),
        "</article>",
    ))


def _tree_item(tree, anchor, words):
    verdict = tree.get("verdict") or {}
    status = verdict.get("status")
    subject = tree.get("subject")
    return "".join((
        '<article class="item b-%s" id="%s">' % (_status(status), anchor),
        "<h3>%s %s%s</h3>" % (_badge(status, words), esc(_tree_name(tree, words)),
                              ' <span class="subject">— %s</span>' % esc(subject) if subject else ""),
        '<div class="meta">%s · <code>%s/%s</code></div>' % (esc(words["verdict"]), esc(tree.get("tree") or "?"),
                                                             esc(verdict.get("id") or "?")),
        _path(tree.get("path"), words),
        '<p class="verdict">%s</p>' % esc(verdict["text"]) if verdict.get("text") else "",
        _remediation(verdict.get("remediation"), words),
        "</article>",
    ))


def _row(entry, words):
    """One line of the folded lists (a pass or a skip), a tree with its path folded inside."""
    if "tree" in entry:
        verdict = entry.get("verdict") or {}
        head = "%s %s%s" % (_badge(verdict.get("status"), words), esc(_tree_name(entry, words)),
                            " — %s" % esc(entry["subject"]) if entry.get("subject") else "")
        text = verdict.get("text")
        path = _path(entry.get("path"), words)
        inner = '<details><summary>%s</summary>%s</details>' % (esc(words["page"]["path"]), path) if path else ""
        return "<li>%s%s%s</li>" % (head, '<div class="ev">%s</div>' % esc(text) if text else "", inner)
    head = "%s %s%s <code class=\"meta\">%s</code>" % (
        _badge(entry.get("status"), words), esc(entry.get("title") or entry.get("id") or "?"),
        " — %s" % esc(entry["subject"]) if entry.get("subject") else "", esc(entry.get("id") or "?"))
    evidence = entry.get("evidence")
    return "<li>%s%s</li>" % (head, '<div class="ev">%s</div>' % esc(evidence) if evidence else "")


def _entry_status(entry):
    if "tree" in entry:
        return (entry.get("verdict") or {}).get("status")
    return entry.get("status")


def _header(report, words):
    host = report.get("host") or {}
    facts = (report.get("facts") or {}).get("values") or {}
    os_ = host.get("os") or {}
    arch = host.get("arch") or {}
    kernel = host.get("kernel") or {}
    engine = facts.get("docker.version")
    state = facts.get("docker.state")
    state = words["engine_state"].get(state, state)
    rows = [
        (words["os"], os_.get("name") or os_.get("id") or "?"),
        (words["arch"], "%s (%s)" % (arch.get("platform") or "?", arch.get("machine") or "?")),
        (words["kernel"], kernel.get("release") or "?"),
        (words["engine"], "%s (%s)" % (engine, state) if engine else state or "?"),
    ]
    if facts.get("docker.endpoint"):      # where the engine was asked and why; remote said so
        where = str(facts["docker.endpoint"])
        if facts.get("docker.endpoint_source"):
            where += " (%s)" % facts["docker.endpoint_source"]
        if facts.get("docker.local") is False:
            where += " — " + words["remote_engine"]
        rows.append((words["endpoint"], where))
    if report.get("captured_at"):
        rows.append((words["captured"], report["captured_at"]))
    return [
        '<header><h1>%s — <span class="host">%s</span></h1>' % (esc(words["title"]), esc(host.get("hostname") or "?")),
        '<dl class="facts">%s</dl>' % "".join("<div><dt>%s</dt><dd>%s</dd></div>" % (esc(label), esc(value))
                                              for label, value in rows),
    ]


def render_page(report):
    """The whole page as one string."""
    words = ui(report.get("lang", "en"))
    page = words["page"]
    entries = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    entries += [t for t in report.get("trees") or [] if isinstance(t, dict)]
    problems = [e for e in entries if _entry_status(e) not in ("pass", "skip")]
    problems.sort(key=lambda e: -STATUS_RANK.get(_entry_status(e), STATUS_RANK["error"]))
    passes = [e for e in entries if _entry_status(e) == "pass"]
    skips = [e for e in entries if _entry_status(e) == "skip"]

    counts = {}
    for entry in entries:
        status = _status(_entry_status(entry))
        counts[status] = counts.get(status, 0) + 1
    lang = "zh-CN" if report.get("lang") == "zh" else "en"
    hostname = (report.get("host") or {}).get("hostname") or "?"
    out = [
        "<!DOCTYPE html>",
        '<html lang="%s" class="nojs"><head><meta charset="utf-8">' % lang,
        '<meta http-equiv="Content-Security-Policy" content="%s">' % CSP,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        "<title>%s — %s</title>" % (esc(words["title"]), esc(hostname)),
        "<style>%s</style></head>" % CSS,
        '<body data-copied="%s" data-copy-failed="%s">' % (esc(page["copied"]), esc(page["copy_failed"])),
    ]
    out.extend(_header(report, words))
    out.append('<div class="counts">%s</div></header>' % " ".join(
        '<span class="badge s-%s">%d %s</span>' % (status, counts[status], esc(words["status"][status]))
        for status in ("error", "fail", "warn", "info", "pass", "skip") if counts.get(status)))
    out.append('<main><section id="problems"><h2>%s (%d)</h2>' % (esc(page["problems"]), len(problems)))
    if not problems:
        out.append('<p class="none">%s</p>' % esc(page["no_problems"]))
    for index, entry in enumerate(problems):
        anchor = "problem-%d" % (index + 1)
        out.append(_tree_item(entry, anchor, words) if "tree" in entry else _finding_item(entry, anchor, words))
    out.append("</section>")
    for section, label, rows in (("passed", page["passes"], passes), ("skipped", page["skips"], skips)):
        if rows:
            out.append('<details class="fold" id="%s"><summary>%s (%d)</summary><ul class="rows">%s</ul></details>' % (
                section, esc(label), len(rows), "".join(_row(row, words) for row in rows)))
    out.append("</main>")
    tool = report.get("tool") or {}
    out.append("<footer>%s</footer>" % " · ".join(esc(part) for part in (
        "hostcheck %s" % (tool.get("version") or "?"),
        "%s %s" % (page["rules"], tool.get("rules") or "?"),
        "%s%s%s" % (page["generated"], words["colon"], report.get("generated_at") or "?"),
        string.Template(words["result_line"]).safe_substitute(
            dict({"pass": 0, "info": 0, "warn": 0, "fail": 0, "skip": 0, "error": 0}, **(report.get("summary") or {}))),
    )))
    out.append("<script>%s</script></body></html>" % JS)
    return "\n".join(out) + "\n"

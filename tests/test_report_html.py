"""`--html FILE`: one report as a page, checked as HTML and rendered for real in headless
Chromium (Debian's `chromium`, which tests/lib.sh installs), as the fleet page is
(tests/test_fleet_html.py: same flags, no network).

The reports are the real system captures judged by `hostcheck analyze`; hostile strings
go through the same renderer. In Chromium: the DOM after the page's own script ran (under
the page's Content-Security-Policy), the copy buttons clicked by a small probe (both the
navigator.clipboard path and the execCommand fallback), and the page at a phone's width
(390 CSS px, in an iframe: headless Chromium's window is at least 500 px wide) where the
probe compares the document's scrollWidth to the viewport — and, to show the probe can
fail, a page with one unbreakable line does overflow.
"""

import base64
import hashlib
import html.parser
import json
import os
import re
import shutil

import pytest

from hostcheck.report.html import CSS, CSP, JS, render_page
from test_cli import run
from test_fleet import SYSTEMS
from test_fleet_html import chromium, near, read_png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; "
                                                             "tests/lib.sh installs it for tests/run)")
FAIL_RGB = (0xC6, 0x28, 0x28)
PHONE = 390


def system(name):
    return next(path for path in SYSTEMS if os.path.basename(path) == name + ".json")


def page_of(capture, folder, lang="en", *extra):
    """(report, page text) of `hostcheck analyze CAPTURE --json --html F`."""
    page = folder / ("report-%s.html" % lang)
    result = run("analyze", capture, "--json", "--lang", lang, "--html", str(page), *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), page.read_text(encoding="utf-8")


class Parsed(html.parser.HTMLParser):
    """Tags, attributes and text of a page, as a browser's tokenizer sees them."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.texts, self.scripts = [], [], [], []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.texts).append(data)


# ------------------------------------------------------------------ the page as HTML


@pytest.mark.parametrize("capture", SYSTEMS, ids=lambda p: os.path.basename(p)[:-5])
def test_real_reports_make_a_self_contained_page(capture, tmp_path):
    report, text = page_of(capture, tmp_path)
    parsed = Parsed(text)
    # nothing loaded from elsewhere: no src, no stylesheet link, no url() or @import
    assert not [a for a in parsed.attributes if a[1] in ("src", "srcset", "action", "formaction")]
    assert "link" not in parsed.tags and "iframe" not in parsed.tags and "img" not in parsed.tags
    assert "url(" not in CSS and "@import" not in CSS and "fetch(" not in JS and "XMLHttpRequest" not in JS
    hrefs = [value for tag, name, value in parsed.attributes if name == "href"]
    assert all(value.startswith("https://") for value in hrefs)
    assert not [a for a in parsed.attributes if a[1].startswith("on") or a[1] == "style"]
    # the CSP names this page's own style and script by hash, and nothing else runs
    for block in (CSS, JS):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert "'sha256-%s'" % digest in CSP
    assert "default-src 'none'" in CSP and "unsafe-inline" not in CSP
    assert parsed.tags.count("script") == 1 and parsed.scripts == [JS]
    # the problems first, then the folded passes and skips
    problems = [f for f in report["findings"] if f["status"] not in ("pass", "skip")]
    problems += [t for t in report["trees"] if t["verdict"]["status"] not in ("pass", "skip")]
    assert text.count('<article class="item') == len(problems)
    assert text.index('id="problems"') < text.index('<details class="fold"')
    passes = sum(1 for f in report["findings"] if f["status"] == "pass")
    passes += sum(1 for t in report["trees"] if t["verdict"]["status"] == "pass")
    if passes:
        assert '<details class="fold" id="passed"><summary>Passed (%d)</summary>' % passes in text
    # one copy button per command (comment lines have none), a "copy all" per list of several
    commands = [c for p in problems for c in ((p.get("remediation") or (p.get("verdict") or {}).get("remediation")
                                               or {}).get("commands") or [])]
    assert text.count('<button type="button" class="copy">') == sum(1 for c in commands if not c.startswith("#"))
    assert (report["host"]["hostname"] or "?") in text   # "?" when uname was not captured


def test_problems_worst_first_and_trees_as_paths(tmp_path):
    report, text = page_of(system("debian12-probes"), tmp_path)
    badges = re.findall(r'<article class="item b-(\w+)"', text)
    ranks = ["error", "fail", "warn", "info"]
    assert badges == sorted(badges, key=ranks.index) and badges[0] == "fail"
    tree = next(t for t in report["trees"] if t["verdict"]["status"] == "fail")
    path = text[text.index("<ol class=\"path\""):text.index("</ol>", text.index("<ol class=\"path\""))]
    assert path.count("<li>") == len(tree["path"])
    assert "Is an enabled emulator registered for the image&#x27;s platform?" in path
    assert '<span class="answer a-no">no</span>' in path
    assert "apt-get install -y qemu-user-static binfmt-support &amp;&amp; update-binfmts --enable qemu-aarch64" in text


def test_chinese_page(tmp_path):
    report, text = page_of(system("kylin-v10-sp3-arm64"), tmp_path, "zh")
    assert '<html lang="zh-CN"' in text
    for word in ("问题", "复制", "通过", "操作系统", "内核"):
        assert word in text, word
    assert report["findings"][0]["title"] in text


NASTY = "<script>alert(1)</script>\"><img src=x onerror=alert(2)></script>\x1b[2J\u202eevil\r'&"


def hostile_report():
    report = json.loads(run("analyze", system("debian12-probes"), "--json").stdout)
    report["host"]["hostname"] = NASTY
    report["host"]["os"]["name"] = NASTY
    report["facts"]["values"]["docker.version"] = NASTY
    for finding in report["findings"]:
        finding.update(subject=NASTY, evidence=NASTY, title=NASTY, refs=["javascript:alert(3)", NASTY,
                                                                          "https://x/\"onmouseover=alert(4)"])
        if finding.get("remediation"):
            finding["remediation"] = {"text": NASTY, "commands": [NASTY, "# " + NASTY]}
    for tree in report["trees"]:
        tree["subject"] = NASTY
        tree["path"].append({"node": NASTY, "question": NASTY, "answer": NASTY, "evidence": NASTY})
        tree["verdict"].update(text=NASTY, id=NASTY, status=NASTY)
    report["summary"] = {"fail": NASTY}
    return report


def test_hostile_strings_stay_text(tmp_path):
    text = render_page(hostile_report())
    parsed = Parsed(text)
    assert parsed.tags.count("script") == 1 and parsed.scripts == [JS]
    assert "img" not in parsed.tags
    assert not [a for a in parsed.attributes if a[1].startswith("on")]
    assert not [a for a in parsed.attributes if a[1] == "href" and not a[2].startswith("https://")]
    assert not [a for a in parsed.attributes if a[1] == "href" and '"' in a[2]]
    assert "\x1b" not in text and "\u202e" not in text and "\r" not in text
    # the data is there, as text a person can read
    assert "<script>alert(1)</script>\"><img src=x onerror=alert(2)></script>\\x1b[2J\\u202eevil\\r'&" in \
        "".join(parsed.texts)
    # statuses and verdict ids from data never reach a class name
    classes = " ".join(value for tag, name, value in parsed.attributes if name == "class")
    assert "alert" not in classes and "<" not in classes


@needs_chromium
def test_hostile_page_runs_no_injected_script(tmp_path):
    page = tmp_path / "hostile.html"
    page.write_text(render_page(hostile_report()), encoding="utf-8")
    dom = chromium("--dump-dom", page.as_uri()).stdout
    assert '<html lang="en" class="js">' in dom          # the page's own script ran
    assert "alert(" in dom                                # shown as text …
    assert "<img" not in dom and dom.count("<script>") == 1   # … never an element


# ------------------------------------------------------------------ in Chromium

# Opens every fold, reports the layout and clicks copy buttons, then hands its results to
# the page that holds the iframe (postMessage), which writes them into its own DOM.
PROBE = """
(function () {
  var results = {};
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var root = document.documentElement;
  results.width = root.clientWidth;
  results.scrollWidth = root.scrollWidth;
  results.viewport = window.innerWidth;
  var wide = [];
  document.querySelectorAll('body *').forEach(function (el) {
    if (el.getBoundingClientRect().right > root.clientWidth + 1) wide.push(el.tagName + '.' + el.className);
  });
  results.wide = wide.slice(0, 5);
  var buttons = document.querySelectorAll('button.copy');
  results.buttons = buttons.length;
  var written = [];
  navigator.clipboard.writeText = function (text) { written.push(text); return Promise.resolve(); };
  buttons[0].click();
  var all = document.querySelector('button.copy.all');
  if (all) all.click();
  setTimeout(function () {
    results.clipboard = written;
    results.label = buttons[0].textContent;
    Object.defineProperty(navigator, 'clipboard', {value: undefined});
    var copied = [];
    document.execCommand = function (command) {
      copied.push(command + ':' + document.activeElement.value);
      return true;
    };
    buttons[1].click();
    results.fallback = copied;
    results.fallbackLabel = buttons[1].textContent;
    results.firstCommand = buttons[0].parentNode.querySelector('code').textContent;
    results.secondCommand = buttons[1].parentNode.querySelector('code').textContent;
    results.allCommands = all ? Array.prototype.map.call(all.parentNode.querySelectorAll('code'),
                                                         function (c) { return c.textContent; }) : [];
    results.htmlClass = root.className;
    parent.postMessage(JSON.stringify(results), '*');
  }, 50);
})();
"""


def _probe_hash():
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()


def phone_frame(page_text, folder, name="probed"):
    """The page with the probe added (and allowed by its CSP), framed at a phone's width."""
    probed = page_text.replace("script-src ", "script-src %s " % _probe_hash(), 1)
    probed = probed.replace("</body></html>", "<script>%s</script></body></html>" % PROBE)
    (folder / (name + ".html")).write_text(probed, encoding="utf-8")
    frame = folder / (name + "-frame.html")
    frame.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        '<pre id="out">waiting</pre><iframe src="%s.html" width="%d" height="844"></iframe>'
        "<script>window.addEventListener('message', function (e) {"
        " document.getElementById('out').textContent = e.data; });</script></body></html>" % (name, PHONE),
        encoding="utf-8")
    return frame


def probe(frame):
    result = chromium("--virtual-time-budget=5000", "--window-size=600,1000", "--dump-dom", frame.as_uri())
    found = re.search(r'<pre id="out">(.*?)</pre>', result.stdout, re.S)
    assert found and found.group(1) != "waiting", result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@needs_chromium
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_phone_width_no_overflow_and_copy_buttons_work(lang, tmp_path):
    report, text = page_of(system("debian12-probes"), tmp_path, lang)
    results = probe(phone_frame(text, tmp_path))
    assert results["viewport"] == PHONE
    assert results["scrollWidth"] <= results["width"], results["wide"]
    assert results["htmlClass"] == "js"
    assert results["buttons"] >= 5
    # navigator.clipboard: the command itself, then every command of the list
    assert results["clipboard"][0] == results["firstCommand"]
    assert results["clipboard"][1] == "\n".join(results["allCommands"]) and len(results["allCommands"]) >= 2
    assert results["label"] == ("Copied" if lang == "en" else "已复制")
    # without navigator.clipboard: a textarea and execCommand("copy")
    assert results["fallback"] == ["copy:" + results["secondCommand"]]
    assert results["fallbackLabel"] == ("Copied" if lang == "en" else "已复制")


@needs_chromium
def test_the_probe_sees_an_overflowing_page(tmp_path):
    _, text = page_of(system("debian12-probes"), tmp_path)
    wide = text.replace("<main>", "<main><pre>%s</pre>" % ("x" * 400), 1)
    results = probe(phone_frame(wide, tmp_path, "wide"))
    assert results["scrollWidth"] > results["width"]


@needs_chromium
def test_dom_problems_first_folds_closed_and_chinese(tmp_path):
    report, text = page_of(system("debian12-probes"), tmp_path, "zh")
    page = tmp_path / "report-zh.html"
    dom = chromium("--dump-dom", page.as_uri()).stdout
    assert '<html lang="zh-CN" class="js">' in dom, dom[:500]
    assert dom.index('id="problems"') < dom.index('id="passed"') < dom.index('id="skipped"')
    assert re.search(r'<details class="fold" id="passed">', dom)      # folded: no `open`
    assert dom.count('<button type="button" class="copy">复制</button>') >= 5
    assert "<h2>问题 (" in dom and "通过 (" in dom


@needs_chromium
def test_screenshot_at_phone_width(tmp_path):
    _, text = page_of(system("debian12-probes"), tmp_path)
    frame = phone_frame(text, tmp_path)
    shot = tmp_path / "phone.png"
    result = chromium("--screenshot=%s" % shot, "--window-size=600,1000", "--virtual-time-budget=3000",
                      frame.as_uri())
    assert shot.exists(), result.stderr[-2000:]
    width, height, pixels = read_png(str(shot))
    # the frame sits below the probe's one-line <pre>; the red FAIL badges and borders are inside
    # its 390 px, none to the right of it
    red_inside = sum(1 for row in pixels for pixel in row[:PHONE] if near(pixel, FAIL_RGB))
    red_outside = sum(1 for row in pixels for pixel in row[PHONE + 10:] if near(pixel, FAIL_RGB))
    assert red_inside > 500 and red_outside == 0
    keep = os.environ.get("HOSTCHECK_REPORT_SCREENSHOT")
    if keep:  # for a person to look at: HOSTCHECK_REPORT_SCREENSHOT=/tmp/phone.png pytest …
        shutil.copy(str(shot), keep)


def test_no_report_no_page(tmp_path):
    """A capture that cannot be judged writes no page (exit 3, one line)."""
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    page = tmp_path / "page.html"
    result = run("analyze", str(bad), "--html", str(page))
    assert result.exit_code == 3 and not page.exists()


def test_html_beside_text_output(tmp_path):
    page = tmp_path / "page.html"
    plain = run("analyze", system("rocky8-podman"), "--no-color")
    result = run("analyze", system("rocky8-podman"), "--no-color", "--html", str(page))
    assert result.exit_code == plain.exit_code and result.stdout.splitlines()[2:] == plain.stdout.splitlines()[2:]
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

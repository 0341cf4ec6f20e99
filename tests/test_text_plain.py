"""The text report to a pipe or a file is written as plain lines, not through rich's
renderer (~55 ms -> ~11 ms for this machine's 250-line report): the bytes must be the
ones rich would have printed, for every stored real capture, in both languages, with and
without --quiet; at a terminal (colours, wrapping) rich still prints everything."""

import glob
import io
import json
import os

import pytest

import hostcheck.report.text as text
from hostcheck.report import build_report

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = sorted(p for p in glob.glob(os.path.join(HERE, "data", "systems", "*.json"))
                  if not p.endswith(".expect.json")) + sorted(glob.glob(os.path.join(HERE, "data", "captures", "*.json")))


def rendered(report, quiet, through_rich, monkeypatch):
    out = io.StringIO()
    with monkeypatch.context() as patch:
        if through_rich:
            patch.setattr(text, "_plain_file", lambda console: None)
        text.render(report, file=out, color=False, quiet=quiet)
    return out.getvalue()


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: os.path.basename(p)[:-5])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("quiet", [False, True])
def test_plain_lines_are_the_bytes_rich_prints(path, lang, quiet, monkeypatch):
    with open(path, encoding="utf-8") as handle:
        report, _ = build_report(json.load(handle), lang=lang)
    plain = rendered(report, quiet, False, monkeypatch)
    assert plain == rendered(report, quiet, True, monkeypatch)
    assert plain.count("\n") > 10


def test_a_terminal_still_goes_through_rich(monkeypatch):
    with open(CAPTURES[0], encoding="utf-8") as handle:
        report, _ = build_report(json.load(handle))
    console = text.terminal_console(io.StringIO(), True, 80)
    console.soft_wrap = False
    assert text._plain_file(console) is None
    piped = text.terminal_console(io.StringIO(), False, None)
    piped.soft_wrap = not piped.is_terminal
    assert text._plain_file(piped) is piped.file
    # Inside rich's own buffer (`with console:`) a direct write would jump the queue.
    with piped:
        assert text._plain_file(piped) is None


def test_controls_in_a_report_string_stay_escaped_on_the_plain_path(monkeypatch):
    with open(CAPTURES[0], encoding="utf-8") as handle:
        report, _ = build_report(json.load(handle))
    report["findings"][0]["title"] = "evil\x1b[31m\u202etitle\r"
    report["findings"][0]["status"] = "fail"
    out = rendered(report, False, False, monkeypatch)
    assert "\x1b" not in out and "\u202e" not in out and "\r" not in out
    assert "evil\\x1b[31m\\u202etitle\\r" in out

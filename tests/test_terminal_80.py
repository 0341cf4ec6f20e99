"""The text views on a real 80-column terminal: tmux runs hostcheck in a detached window of
80 columns, and capture-pane reads the screen back — with -J, which joins the lines the
terminal wrapped by itself, so a line of the capture is a line as hostcheck printed it.

What a person copies must be whole: every remediation command on one line of its own, every
URL on one line, in English and in Chinese; prose wrapped by hostcheck keeps its indent; the
fleet view fits 80 columns with every host told apart.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest
from rich.cells import cell_len

from hostcheck.report.escape import visible

from test_cli import REPO, run
from test_junit import SYSTEMS

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (tests/lib.sh installs it)")

WIDTH = 80


def on_terminal(tmp_path, args, width=WIDTH):
    """Run `hostcheck ARGS` in a tmux window `width` columns wide; (exit code, lines as
    printed (terminal wraps joined), lines as shown)."""
    socket = "hc-test-%s" % uuid.uuid4().hex[:12]       # a tmux server of our own
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g history-limit 100000\nset -g remain-on-exit on\n")
    done = tmp_path / ("done-%s" % socket)
    command = "%s; echo $? > %s" % (" ".join(shlex.quote(a) for a in [sys.executable, "-m", "hostcheck"] + args),
                                    shlex.quote(str(done)))
    env = dict(os.environ, PYTHONPATH=REPO, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    env.pop("NO_COLOR", None)
    env.pop("TMUX", None)
    tmux = [TMUX, "-L", socket, "-f", str(conf)]
    subprocess.run(tmux + ["new-session", "-d", "-x", str(width), "-y", "40", "-s", "hc", "sh", "-c", command],
                   env=env, check=True, timeout=30)
    try:
        deadline = time.monotonic() + 120
        while not (done.exists() and done.read_text().strip()):
            assert time.monotonic() < deadline, "hostcheck did not finish in the tmux window"
            time.sleep(0.1)
        code = int(done.read_text())

        def capture(*flags):
            out = subprocess.run(tmux + ["capture-pane", "-p", "-S", "-", "-E", "-", "-t", "hc"] + list(flags),
                                 stdout=subprocess.PIPE, universal_newlines=True, check=True, timeout=30).stdout
            lines = [line.rstrip() for line in out.splitlines()]
            while lines and not lines[-1]:
                lines.pop()
            if lines and lines[-1].startswith("Pane is dead"):
                lines.pop()
            return lines
        return code, capture("-J"), capture()
    finally:
        subprocess.run(tmux + ["kill-server"], timeout=30, stderr=subprocess.DEVNULL)


def report(capture, lang, *args):
    result = run("analyze", capture, "--json", "--lang", lang, *args)
    return json.loads(result.stdout), result.exit_code


def shown_commands(doc):
    commands = []
    for item in doc["findings"] + [t["verdict"] for t in doc["trees"]]:
        if item["status"] not in ("pass", "skip"):
            commands += (item.get("remediation") or {}).get("commands") or []
    return commands


URL = re.compile(r"https?://[!-~]+")


def shown_urls(doc):
    urls = set()
    for finding in doc["findings"]:
        if finding["status"] in ("warn", "fail", "error"):
            urls.update(finding.get("refs") or [])
        if finding["status"] not in ("pass", "skip"):
            texts = [finding.get("evidence") or "", (finding.get("remediation") or {}).get("text") or ""]
            urls.update(url.rstrip(".,;:)") for text in texts for url in URL.findall(text))
    return urls


BADGE = re.compile(r" (PASS|INFO|WARN|FAIL|SKIP|ERROR|通过|提示|警告|失败|跳过|出错) ")


@pytest.mark.parametrize("capture", SYSTEMS, ids=os.path.basename)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_at_80_columns_keeps_commands_and_urls_whole(capture, lang, tmp_path):
    doc, expected_code = report(capture, lang)
    code, printed, shown = on_terminal(tmp_path, ["analyze", capture, "--lang", lang])
    assert code == expected_code
    assert all(cell_len(line) <= WIDTH for line in shown)
    assert any("─" * 10 in line for line in shown), "a report with area rules"
    stripped = [line.strip() for line in printed]
    for command in shown_commands(doc):
        command = visible(command)
        whole = command if command.lstrip().startswith("#") else "$ " + command
        assert whole in stripped, command
        line = printed[stripped.index(whole)]
        assert line.startswith(" " * 9) and not line.startswith(" " * 10), line       # under its finding
    for url in shown_urls(doc):
        assert any(url in line for line in printed), url
    # every line hostcheck broke keeps an indent: only heads, rules and the summary start at 0
    body = printed[printed.index(next(l for l in printed if "─" * 10 in l)):]
    for line in body:
        if not line or "─" * 10 in line or BADGE.match(line) or line.startswith(("Summary: ", "汇总：")):
            continue
        assert line.startswith("  "), line


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_quiet_report_at_80_columns(lang, tmp_path):
    capture = next(c for c in SYSTEMS if "probes" in c)
    doc, expected_code = report(capture, lang)
    code, printed, _ = on_terminal(tmp_path, ["analyze", capture, "--lang", lang, "-q"])
    assert code == expected_code
    assert not any(line.startswith((" PASS ", " 通过 ")) for line in printed)
    stripped = [line.strip() for line in printed]
    for command in shown_commands(doc):
        assert ("$ " + visible(command)) in stripped or visible(command) in stripped, command


def fleet_of(tmp_path, names):
    """A fleet directory: one report per name, cycling through the real systems' reports."""
    folder = tmp_path / "fleet"
    folder.mkdir()
    docs = [report(capture, "en")[0] for capture in SYSTEMS]
    for index, name in enumerate(names):
        doc = dict(docs[index % len(docs)], host=dict(docs[index % len(docs)]["host"], hostname=name))
        (folder / ("%02d.json" % index)).write_text(json.dumps(doc), encoding="utf-8")
    return folder


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("names", [
    ["node-%d.example.com" % n for n in range(1, 11)],
    ["build-agent-%02d-with-a-rather-long-hostname-in-ci" % n for n in range(1, 11)],
    ["web-%d.eu-west-1.compute.internal.example.org" % n for n in (1, 2, 10, 11, 100)],
], ids=["node-N.example.com", "long-shared-prefix", "long-domain"])
def test_fleet_fits_80_columns_and_tells_every_host_apart(names, lang, tmp_path):
    folder = fleet_of(tmp_path, names)
    code, printed, shown = on_terminal(tmp_path, ["fleet", str(folder), "--lang", lang])
    assert code == 1
    too_wide = [line for line in printed if cell_len(line) > WIDTH]
    assert not too_wide, "the terminal had to wrap:\n" + "\n".join(too_wide)
    # the matrix: one row per host, led by a label that is the host's name (or its
    # distinguishing part), all different
    start = next(i for i, line in enumerate(printed) if line.startswith(("Hosts × areas", "主机 × 检查领域")))
    rows = [line for line in printed[start:] if line.split(" ", 1)[0] and any(
        line.startswith(label) for label in ("node-", "build-", "web-"))][:len(names)]
    labels = [row.split()[0] for row in rows]
    assert len(labels) == len(names) and len(set(labels)) == len(names), labels
    for label in labels:
        head, _, tail = label.partition("…")
        assert sum(1 for name in names if name.startswith(head) and name.split(".")[0].endswith(tail)) >= 1, label
        assert sum(1 for name in names if name.startswith(head) and (not tail or name.split(".")[0].endswith(tail))
                   and (tail or name == label or name.split(".", 1)[0] == label)) == 1, label

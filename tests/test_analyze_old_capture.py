"""A capture written by an older hostcheck (before the redaction pass covered every form)
shows no secret when it is judged: `analyze` and every `--capture` command apply today's
pass (scrub_secrets) to the document they read, before judging or printing anything.

The document is tests/test_secrets_corpus.py's planted capture as it stands BEFORE the pass:
every form of the corpus in the places the capture records them (drop-ins, /etc/default/docker,
daemon.json, /proc/cmdline, config.json, container bodies, logs, the process table, stderr).
"""

import json

import pytest

from test_cli import runner
from test_secrets_corpus import CASES, OTHER_SECRETS, planted_capture
from hostcheck.cli import cli, load_capture
from hostcheck.capture.redact import scrub_secrets

PLANTED = sorted({secret for _form, secret, _kept in CASES} | set(OTHER_SECRETS))


@pytest.fixture(scope="module")
def old_capture(tmp_path_factory):
    path = tmp_path_factory.mktemp("old") / "capture-from-an-older-hostcheck.json"
    document = planted_capture()
    text = json.dumps(document, ensure_ascii=False)
    assert all(secret in text for secret in PLANTED), "the document must hold the secrets to begin with"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_capture_applies_the_capture_redaction(old_capture):
    document = load_capture(str(old_capture))
    assert document == scrub_secrets(planted_capture())
    text = json.dumps(document, ensure_ascii=False)
    assert not [secret for secret in PLANTED if secret in text]


@pytest.mark.parametrize("args", [
    ["analyze", "{capture}", "--json"],
    ["analyze", "{capture}", "--no-color"],
    ["analyze", "{capture}", "--json", "--redact", "--lang", "zh"],
    ["analyze", "{capture}", "--format", "junit"],
    ["net", "egress", "--capture", "{capture}", "--json"],
    ["image", "hc-test/busybox:arm64", "--capture", "{capture}", "--json"],
], ids=lambda args: " ".join(a for a in args if a != "{capture}"))
def test_no_planted_secret_in_any_report(old_capture, args, tmp_path):
    html = tmp_path / "page.html"
    result = runner().invoke(cli, [a.replace("{capture}", str(old_capture)) for a in args] + ["--html", str(html)])
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr, result.exception)
    shown = result.stdout + result.stderr + html.read_text(encoding="utf-8")
    assert not [secret for secret in PLANTED if secret in shown]


def test_the_report_still_explains_with_the_shape(old_capture):
    report = json.loads(runner().invoke(cli, ["analyze", str(old_capture), "--json"]).stdout)
    cmdline = report["facts"]["values"]["kernel.cmdline"]
    # A lean report keeps the cmdline words the rules read (report.report_facts); the
    # planted password may only ever appear redacted.
    assert "swapaccount=1" in cmdline
    assert all("<redacted>" in word for word in cmdline if "iscsi.password" in word)

"""`--format junit`: the report as JUnit XML for CI, read back by a real consumer (junitparser)
and validated against the JUnit schema in tests/data/junit/junit.xsd (a restriction of the
one Jenkins' xunit plugin validates with; its header says where each rule comes from).

The reports are real: every system capture in tests/data/systems judged in English and
Chinese, and a hostile report whose strings carry markup, control characters and
characters XML cannot hold."""

import copy
import glob
import json
import os
import xml.etree.ElementTree as ET

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from lxml import etree

from hostcheck.report import reaches
from hostcheck.report.junit import render_junit

from test_cli import REPO, hostcheck_process, run

SYSTEMS = sorted(p for p in glob.glob(os.path.join(REPO, "tests/data/systems/*.json"))
                 if not p.endswith(".expect.json"))
SCHEMA = etree.XMLSchema(etree.parse(os.path.join(REPO, "tests", "data", "junit", "junit.xsd")))


def judged(capture, lang="en", *args):
    result = run("analyze", capture, "--json", "--lang", lang, *args)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def valid(xml_text):
    document = etree.fromstring(xml_text.encode("utf-8"))
    assert SCHEMA.validate(document), SCHEMA.error_log
    return document


def cases(xml_text, path):
    """{(suite name, case name): testcase} as junitparser reads the file."""
    path.write_text(xml_text, encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    return {(suite.name, case.name): case for suite in xml for case in suite}, xml


def expected_outcome(status, fail_on):
    if status == "error":
        return Error
    if status == "skip":
        return Skipped
    if status != "pass" and reaches(status, fail_on):
        return Failure
    return None


@pytest.mark.parametrize("capture", SYSTEMS, ids=os.path.basename)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_finding_and_verdict_is_a_testcase_a_consumer_reads(capture, lang, tmp_path):
    report = judged(capture, lang)
    result = run("analyze", capture, "--format", "junit", "--lang", lang)
    assert result.exit_code == (1 if any(s in ("fail", "error") for s in
                                         [f["status"] for f in report["findings"]] +
                                         [t["verdict"]["status"] for t in report["trees"]]) else 0)
    valid(result.stdout)
    by_name, xml = cases(result.stdout, tmp_path / "report.xml")
    assert len(by_name) == len(report["findings"]) + len(report["trees"])
    expected_suites = sorted({f["area"] for f in report["findings"]} | ({"trees"} if report["trees"] else set()))
    assert sorted(suite.name for suite in xml) == expected_suites
    for finding in report["findings"]:
        name = finding["id"] + (" (%s)" % finding["subject"] if finding.get("subject") else "")
        case = by_name[(finding["area"], name)]
        outcome = expected_outcome(finding["status"], "fail")
        if outcome is None:
            assert case.is_passed, name
        else:
            assert [type(r) for r in case.result] == [outcome], name
        if outcome is Failure:
            assert case.result[0].message == finding["title"]
            for command in (finding.get("remediation") or {}).get("commands") or []:
                assert "$ " + command in case.result[0].text
        if finding["status"] in ("warn", "info"):
            assert finding["title"] in case.system_out
    for tree in report["trees"]:
        verdict = tree["verdict"]
        case = by_name[("trees", "image/%s: %s" % (verdict["id"], tree["subject"]))]
        assert case.is_passed == (verdict["status"] == "pass")
    # the totals a CI page shows
    failures = sum(1 for c in by_name.values() for r in c.result if isinstance(r, Failure))
    assert (xml.tests, xml.failures) == (len(by_name), failures)
    for suite in xml:
        suite_cases = list(suite)
        assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
            len(suite_cases), sum(isinstance(r, Failure) for c in suite_cases for r in c.result),
            sum(isinstance(r, Error) for c in suite_cases for r in c.result),
            sum(isinstance(r, Skipped) for c in suite_cases for r in c.result))


def test_fail_on_decides_what_fails_and_the_exit_code(tmp_path):
    capture = next(c for c in SYSTEMS if "centos7" in c)
    report = judged(capture)
    assert {"warn", "info", "fail"} <= {f["status"] for f in report["findings"]}
    for fail_on in ("fail", "warn", "info"):
        result = run("analyze", capture, "--format", "junit", "--fail-on", fail_on)
        by_name, _ = cases(result.stdout, tmp_path / ("%s.xml" % fail_on))
        failing = {name for (_, name), case in by_name.items() if any(isinstance(r, Failure) for r in case.result)}
        assert failing == {f["id"] for f in report["findings"] if f["status"] not in ("pass", "skip", "error")
                           and reaches(f["status"], fail_on)}
        assert result.exit_code == (1 if failing else 0)
        assert ('name="fail_on" value="%s"' % fail_on) in result.stdout


def test_error_and_skip_and_hostile_strings(tmp_path):
    """An error status is <error>; a skip is <skipped> with its reason; data with markup,
    control characters, bidi controls, surrogates and U+FFFE comes out as well-formed XML
    with each such character shown as an escape."""
    report = judged(SYSTEMS[0])
    evil = "<script>&amp;]]>\x1b[2J\u202e\ud800\ufffe\x00 \"'"
    report = copy.deepcopy(report)
    report["host"]["hostname"] = "node" + evil
    first, second = report["findings"][0], report["findings"][1]
    first.update(status="error", title="T" + evil, evidence="E" + evil, subject="S" + evil,
                 remediation={"text": "R" + evil, "commands": ["echo " + evil]}, id="rule" + evil)
    second.update(status="skip", title="skipped" + evil, evidence="why" + evil)
    report["trees"] = [{"tree": "image", "subject": "app" + evil, "path": [
        {"node": "n", "question": "Q" + evil, "answer": "no", "evidence": "ev" + evil}],
        "verdict": {"id": "impossible", "status": "fail", "text": "V" + evil, "remediation": None}}]
    text = render_junit(report)
    assert "\x1b" not in text and "\u202e" not in text and "\ufffe" not in text and "\x00" not in text
    assert "\\x1b[2J\\u202e\\ud800\\ufffe\\x00" in text
    document = valid(text)
    assert "<script>" not in text and "&lt;script&gt;" in text
    by_name, _ = cases(text, tmp_path / "evil.xml")
    error = next(case for (_, name), case in by_name.items() if name.startswith("rule"))
    assert isinstance(error.result[0], Error) and error.result[0].type == "error"
    assert "$ echo <script>&amp;]]>\\x1b[2J" in error.result[0].text
    skipped = next(case for (_, name), case in by_name.items() if name == second["id"])
    assert isinstance(skipped.result[0], Skipped) and "why<script>" in skipped.result[0].message
    tree = by_name[("trees", "image/impossible: app<script>&amp;]]>\\x1b[2J\\u202e\\ud800\\ufffe\\x00 \"'")]
    assert isinstance(tree.result[0], Failure) and "? Q<script>" in tree.result[0].text
    assert document.get("name").startswith("hostcheck node<script>")
    # a hostcheck JUnit file parses with the standard library too
    ET.fromstring(text.encode("utf-8"))


def test_junit_goes_to_the_output_file_whole(tmp_path):
    out = tmp_path / "hostcheck.xml"
    result = hostcheck_process("analyze", SYSTEMS[0], "--format", "junit", "-o", str(out))
    assert result.returncode in (0, 1) and result.stdout == "" and result.stderr == ""
    valid(out.read_text(encoding="utf-8"))
    assert os.listdir(str(tmp_path)) == ["hostcheck.xml"]

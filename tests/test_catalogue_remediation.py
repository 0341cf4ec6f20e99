"""No finding or verdict that is not a pass leaves the reader without a next step.

Contract (issue 12, "Limitations say what fails and how to lift it"): every rule outcome,
`empty` outcome and tree verdict whose status is info, warn or fail carries a remediation
with text in English and Chinese; warn and fail also carry commands (an info may carry none,
and then its text says so: "Nothing to do ..." / "无需处理").
"""

import json
import os

import pytest

from hostcheck.judge import load_catalogue

from test_cli import run

CATALOGUE = load_catalogue()
NON_PASS = ("info", "warn", "fail")


def _rule_outcomes():
    for rule in CATALOGUE.rules:
        for index, outcome in enumerate(rule["outcomes"]):
            yield "%s outcome %d" % (rule["id"], index + 1), outcome
        if rule.get("empty"):
            yield "%s empty" % rule["id"], rule["empty"]


def _verdicts():
    for tree_id, tree in sorted(CATALOGUE.trees.items()):
        for verdict_id, verdict in sorted(tree["verdicts"].items()):
            yield "%s verdict %s" % (tree_id, verdict_id), verdict


ENTRIES = [(where, entry) for where, entry in list(_rule_outcomes()) + list(_verdicts())
           if entry.get("status") in NON_PASS]


def problem(entry):
    """Why this non-pass entry's remediation is not enough, or None."""
    remediation = entry.get("remediation") or {}
    text = remediation.get("text") or {}
    if not isinstance(text, dict) or not str(text.get("en") or "").strip() or not str(text.get("zh") or "").strip():
        return "no remediation text in en and zh"
    commands = [line for lines in (remediation.get("commands") or {}).values() for line in lines]
    if entry["status"] in ("warn", "fail") and not commands:
        return "a %s needs commands" % entry["status"]
    if not commands and not (text["en"].lstrip().startswith("Nothing to do") and "无需处理" in text["zh"]):
        return "an info without commands must say there is nothing to do"
    return None


def test_the_contract_sees_the_entries():
    assert len(ENTRIES) > 150, len(ENTRIES)
    assert any(where.startswith("binfmt-entry-flags empty") for where, _ in ENTRIES)


@pytest.mark.parametrize("where,entry", ENTRIES, ids=[where for where, _ in ENTRIES])
def test_every_non_pass_outcome_says_what_to_do(where, entry):
    assert problem(entry) is None, "%s: %s" % (where, problem(entry))


def test_the_contract_can_fail():
    assert problem({"status": "info"}) == "no remediation text in en and zh"
    assert problem({"status": "warn", "remediation": {"text": {"en": "Fix", "zh": "修复"}, "commands": {}}}) \
        == "a warn needs commands"
    assert problem({"status": "info", "remediation": {"text": {"en": "Look", "zh": "看看"}}}) \
        == "an info without commands must say there is nothing to do"
    assert problem({"status": "info", "remediation": {"text": {"en": "Nothing to do.", "zh": "无需处理。"}}}) is None


# --- the same contract on real reports: every non-pass finding and verdict a user sees ---

SYSTEMS = os.path.join(os.path.dirname(__file__), "data", "systems")
SYSTEM_NAMES = sorted(name[:-len(".expect.json")] for name in os.listdir(SYSTEMS) if name.endswith(".expect.json"))


def report_problems(report):
    """Where a report's non-pass finding or tree verdict leaves the reader without a remedy."""
    found = []
    items = [(f["id"], f["status"], f.get("remediation")) for f in report["findings"]]
    items += [("%s/%s" % (t["tree"], t["verdict"]["id"]), t["verdict"]["status"], t["verdict"].get("remediation"))
              for t in report["trees"]]
    for ident, status, remediation in items:
        if status not in NON_PASS:
            continue
        if not remediation or not str(remediation.get("text") or "").strip():
            found.append("%s (%s): no remediation text" % (ident, status))
        elif status in ("warn", "fail") and not remediation.get("commands"):
            found.append("%s (%s): no command" % (ident, status))
    return found


@pytest.mark.parametrize("name", SYSTEM_NAMES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_non_pass_finding_of_a_real_report_is_left_without_remedy(name, lang):
    result = run("analyze", os.path.join(SYSTEMS, name + ".json"), "--json", "--multi-host", "--lang", lang)
    assert result.exit_code in (0, 1), result.output
    assert report_problems(json.loads(result.stdout)) == []


def test_the_report_contract_can_fail():
    report = {"findings": [{"id": "x", "status": "warn", "remediation": {"text": "do", "commands": []}},
                           {"id": "y", "status": "info", "remediation": None},
                           {"id": "z", "status": "skip"}],
              "trees": [{"tree": "image", "verdict": {"id": "v", "status": "fail", "remediation": {"text": ""}}}]}
    assert report_problems(report) == ["x (warn): no command", "y (info): no remediation text",
                                       "image/v (fail): no remediation text"]

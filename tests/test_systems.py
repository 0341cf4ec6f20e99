"""The rule catalogue on capture documents of real systems (tests/data/systems).

Each <name>.json is assembled from real outputs (<name>/SOURCES.md says where each piece
comes from; assemble.py rebuilds it from <name>/parts). <name>.expect.json holds what a
support engineer says of that system: "must" (rule id or "id/subject" -> status) and
"must_not" (rule id -> statuses it must not have). Where the tool disagrees with the
engineer, the expectation stays and the pair is listed in DISAGREEMENTS below, marked
xfail(strict=True): a bug list for the rules and parser owners that fails loudly once fixed.
"""

import inspect
import json
import os
import subprocess
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from hostcheck.cli import cli
from hostcheck.data import read_text

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMS_DIR = os.path.join(HERE, "data", "systems")
SYSTEMS = sorted(name[:-len(".expect.json")] for name in os.listdir(SYSTEMS_DIR)
                 if name.endswith(".expect.json"))

# (system, rule) -> why the tool's status differs from the engineer's. Resolved so far:
# centos7 runc-cve-2024-21626 (upstream tag builds of runc get no backports: fail), debian12
# podman-beside-docker (the distribution's docker.io: info, no package conflict), and the
# silent pass of podman-beside-docker on kylin, ubuntu, uos and loongnix (nothing probed:
# runtimes.installed is unknown, skip).
DISAGREEMENTS = {}


def _runner():
    # click 8.1 mixes stderr into output unless told not to; 8.2 keeps them apart.
    if "mix_stderr" in inspect.signature(CliRunner).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


_REPORTS = {}


def report(name, lang="en"):
    """`hostcheck analyze <name>.json --json --lang LANG`, once per system and language."""
    key = (name, lang)
    if key not in _REPORTS:
        path = os.path.join(SYSTEMS_DIR, name + ".json")
        result = _runner().invoke(cli, ["analyze", path, "--json", "--lang", lang], catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output
        _REPORTS[key] = json.loads(result.stdout)
    return _REPORTS[key]


def expectations(name):
    with open(os.path.join(SYSTEMS_DIR, name + ".expect.json"), encoding="utf-8") as handle:
        return json.load(handle)


def statuses(rep):
    """'rule' and 'rule/subject' -> status; a rule with subjects also maps to its worst status."""
    rank = {"pass": 0, "skip": 1, "info": 2, "warn": 3, "fail": 4, "error": 5}
    found = {}
    for finding in rep["findings"]:
        if finding.get("subject"):
            found["%s/%s" % (finding["id"], finding["subject"])] = finding["status"]
        current = found.get(finding["id"])
        if current is None or rank[finding["status"]] > rank[current]:
            found[finding["id"]] = finding["status"]
    return found


def _expectation_cases():
    cases = []
    for name in SYSTEMS:
        exp = expectations(name)
        for kind in ("must", "must_not"):
            for rule, wanted in sorted(exp.get(kind, {}).items()):
                reason = DISAGREEMENTS.get((name, rule.split("/")[0]))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                cases.append(pytest.param(name, kind, rule, wanted, marks=marks,
                                          id="%s-%s-%s" % (name, kind, rule)))
    return cases


def test_every_disagreement_names_an_expectation():
    for name, rule in DISAGREEMENTS:
        exp = expectations(name)
        assert rule in exp.get("must", {}) or rule in exp.get("must_not", {}), (name, rule)


def test_assembled_documents_are_current():
    # The committed .json files are exactly what assemble.py builds from the parts.
    result = subprocess.run([sys.executable, os.path.join(SYSTEMS_DIR, "assemble.py"), "--check"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name", SYSTEMS)
def test_capture_document_is_valid(name):
    with open(os.path.join(SYSTEMS_DIR, name + ".json"), encoding="utf-8") as handle:
        doc = json.load(handle)
    jsonschema.Draft7Validator(json.loads(read_text("schema/capture.json"))).validate(doc)
    # Coherence: /proc/version, when present, names the same kernel as uname.
    proc_version = doc.get("files", {}).get("/proc/version", {}).get("content")
    if proc_version and doc.get("uname", {}).get("release"):
        assert proc_version.split()[2] == doc["uname"]["release"]
    # Every assembled document says where its pieces come from.
    if doc["tool"]["version"] == "assembled":
        assert os.path.exists(os.path.join(SYSTEMS_DIR, name, "SOURCES.md"))


@pytest.mark.parametrize("name", SYSTEMS)
def test_report_validates_against_the_schema(name):
    jsonschema.Draft7Validator(json.loads(read_text("schema/report.json"))).validate(report(name))


@pytest.mark.parametrize("name", SYSTEMS)
def test_host_section(name):
    host = report(name)["host"]
    want = expectations(name)["host"]
    assert host["os"]["id"] == want["os.id"]
    if "os.version" in want:
        assert host["os"]["version"] == want["os.version"]
    assert host["arch"]["platform"] == want["platform"]
    assert host["kernel"]["release"] == want["kernel.release"]
    values = report(name)["facts"]["values"]
    for fact, value in want.get("facts", {}).items():
        assert values.get(fact) == value, fact


@pytest.mark.parametrize("name,kind,rule,wanted", _expectation_cases())
def test_engineer_expectation(name, kind, rule, wanted):
    found = statuses(report(name))
    assert rule in found, "%s: no finding for %s" % (name, rule)
    if kind == "must":
        assert found[rule] == wanted, "%s: %s is %s, the engineer says %s" % (name, rule, found[rule], wanted)
    else:
        assert found[rule] not in wanted, "%s: %s is %s" % (name, rule, found[rule])


def _has_cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("name", SYSTEMS)
def test_chinese_report_has_the_same_judgement(name):
    english, chinese = report(name, "en"), report(name, "zh")
    key = lambda f: (f["id"], f.get("subject") or "")  # noqa: E731
    assert [(key(f), f["status"], f["area"]) for f in english["findings"]] == \
        [(key(f), f["status"], f["area"]) for f in chinese["findings"]]
    assert english["summary"] == chinese["summary"]
    assert [(t["tree"], t["subject"], t["verdict"]["id"], t["verdict"]["status"]) for t in english["trees"]] == \
        [(t["tree"], t["subject"], t["verdict"]["id"], t["verdict"]["status"]) for t in chinese["trees"]]
    for finding in chinese["findings"]:
        assert _has_cjk(finding["title"]), (finding["id"], finding["title"])

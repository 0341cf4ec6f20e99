"""Lean reports: the report carries the facts the rules and trees read, with their values, and
the host's identity; the capture keeps everything. Judging the report's own facts again
gives the same findings, word for word, so nothing a rule read was left out.

JSON goes out compact to a file or a pipe (json's C encoder), indented at a terminal or
with --pretty."""

import glob
import inspect
import json
import os

import pytest
from click.testing import CliRunner

import hostcheck.cli
from hostcheck.cli import cli
from hostcheck.facts import Facts
from hostcheck.judge import judge, load_catalogue
from hostcheck.combine import build_facts
from hostcheck.report import CONTEXT_FACTS, build_report, catalogue_reads, report_facts

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = sorted(p for p in glob.glob(os.path.join(HERE, "data", "systems", "*.json"))
                  if not p.endswith(".expect.json")) + sorted(glob.glob(os.path.join(HERE, "data", "captures", "*.json")))
THIS_MACHINE = os.path.join(HERE, "data", "captures", "debian12-this-machine.json")
# A report of this machine (no containers) stays under this many bytes as `check --json -o`
# writes it: 245 KB before, of which 140 KB were kernel.config and kernel.config_enabled.
REPORT_BUDGET = 60 * 1024


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def name(path):
    return os.path.basename(path)[:-len(".json")]


def runner():
    if "mix_stderr" in inspect.signature(CliRunner).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


@pytest.mark.parametrize("path", CAPTURES, ids=name)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_reports_facts_judge_to_the_same_findings(path, lang):
    report, facts = build_report(load(path), lang=lang)
    section = report["facts"]
    again = judge(load_catalogue(), Facts(section["values"], section["unknown"]), lang=lang)
    assert again == report["findings"]
    # Fewer facts than the capture gave, each one a fact the catalogue reads or an identity.
    reads = catalogue_reads(load_catalogue())
    assert set(section["values"]) <= set(facts.values)
    assert all(fact in reads or fact in CONTEXT_FACTS for fact in section["values"])
    assert all(fact in reads or fact in CONTEXT_FACTS for fact in section["unknown"])
    # Every fact a rule reads that the capture gave is there.
    assert {fact for fact in reads if fact in facts.values} <= set(section["values"])


def test_kernel_configuration_keeps_the_options_the_rules_judged():
    capture = load(THIS_MACHINE)
    facts = build_facts(capture)
    section = report_facts(facts, load_catalogue())
    enabled = section["values"]["kernel.config_enabled"]
    # This machine's /proc/config.gz: 1,600-odd options on, 3,000 lines.
    assert len(facts.get("kernel.config_enabled")) > 1000
    assert section["partial"]["kernel.config_enabled"] == {"kept": len(enabled), "of": len(facts.get("kernel.config_enabled"))}
    named = catalogue_reads(load_catalogue())["kernel.config_enabled"]
    assert "CONFIG_OVERLAY_FS" in named and "CONFIG_OVERLAY_FS" in enabled
    assert set(enabled) == named & set(facts.get("kernel.config_enabled"))
    # kernel.config is read by key (CONFIG_BRIDGE_NETFILTER): that key, with its value.
    assert section["values"]["kernel.config"] == {
        key: value for key, value in facts.get("kernel.config").items() if key in catalogue_reads(load_catalogue())["kernel.config"]}
    assert section["values"]["kernel.config"]["CONFIG_BRIDGE_NETFILTER"] == facts.get("kernel.config")["CONFIG_BRIDGE_NETFILTER"]
    # Read whole: a value compared or shown in a text stays as it is.
    assert section["values"]["docker.networks"] == facts.get("docker.networks")
    assert "docker.networks" not in section.get("partial", {})
    # Not read by any rule or tree node: left to the capture.
    assert "mounts" in facts.values and "mounts" not in section["values"]


def test_reads_are_whole_for_placeholders_comparisons_and_foreach():
    reads = catalogue_reads(load_catalogue())
    assert reads["docker.networks"] is None        # foreach
    assert reads["kernel.release"] is None         # ${kernel.release} in a text
    assert reads["docker.version"] is None         # version_ge / matches on the whole value
    assert reads["kernel.config"] == {"CONFIG_BRIDGE_NETFILTER"}
    assert not any(fact.startswith(("item.", "subject.")) for fact in reads)


def test_partial_read_of_a_small_catalogue():
    """A catalogue of two rules: a member test and a key test narrow, a placeholder does not."""
    class Catalogue(object):
        rules = [
            {"id": "a", "area": "kernel", "outcomes": [
                {"when": {"fact": "kernel.config_enabled", "op": "contains_all", "value": ["CONFIG_A", "CONFIG_B"]},
                 "status": "pass"},
                {"when": {"fact": "kernel.config", "key": "CONFIG_C", "op": "eq", "value": "y"}, "status": "warn"}]},
            {"id": "b", "area": "kernel", "requires": ["kernel.cmdline"],
             "title": {"en": "on ${kernel.release}", "zh": "${kernel.release}"}, "outcomes": []},
        ]
        trees = {}
    facts = Facts({"kernel.config_enabled": ["CONFIG_A", "CONFIG_X", "CONFIG_B"],
                   "kernel.config": {"CONFIG_C": "m", "CONFIG_D": "y"},
                   "kernel.cmdline": ["quiet", "ro"], "kernel.release": "6.1.0", "mounts": []},
                  {"kernel.modules": "/proc/modules: not_found"})
    section = report_facts(facts, Catalogue())
    assert section["values"] == {"kernel.config": {"CONFIG_C": "m"}, "kernel.config_enabled": ["CONFIG_A", "CONFIG_B"],
                                 "kernel.cmdline": [], "kernel.release": "6.1.0"}
    assert section["partial"] == {"kernel.cmdline": {"kept": 0, "of": 2}, "kernel.config": {"kept": 1, "of": 2},
                                  "kernel.config_enabled": {"kept": 2, "of": 3}}
    assert section["unknown"] == {}


def test_this_machines_report_fits_its_budget(tmp_path):
    out = tmp_path / "report.json"
    result = runner().invoke(cli, ["analyze", THIS_MACHINE, "--json", "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    size = out.stat().st_size
    assert size <= REPORT_BUDGET, size
    full_facts = len(json.dumps(build_facts(load(THIS_MACHINE)).to_dict(), ensure_ascii=False))
    assert full_facts > 2 * REPORT_BUDGET        # what the report no longer carries


def test_json_is_compact_to_a_file_or_pipe_and_indented_on_request(tmp_path):
    out = tmp_path / "report.json"
    runner().invoke(cli, ["analyze", THIS_MACHINE, "--json", "-o", str(out)])
    text = out.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.count("\n") == 1 and '": ' not in text[:200]
    piped = runner().invoke(cli, ["analyze", THIS_MACHINE, "--json"]).stdout    # not a terminal
    assert piped.count("\n") == 1
    pretty = runner().invoke(cli, ["analyze", THIS_MACHINE, "--json", "--pretty"]).stdout
    assert pretty.startswith('{\n  "format": "hostcheck.report/v1",\n')
    assert pretty.count("\n") > 100
    without_time = lambda doc: dict(doc, generated_at=None)
    assert without_time(json.loads(text)) == without_time(json.loads(piped)) == without_time(json.loads(pretty))
    # before the command name too, like every common option
    leading = runner().invoke(cli, ["--pretty", "analyze", THIS_MACHINE, "--json"]).stdout
    assert leading.count("\n") > 100


def test_check_and_analyze_of_its_capture_give_the_same_report(tmp_path, monkeypatch):
    """The report holds nothing `check` knows that its capture does not: analyze of the same
    capture reproduces it (but for generated_at)."""
    capture = load(THIS_MACHINE)
    monkeypatch.setattr(hostcheck.cli, "_take_capture", lambda *args, **kwargs: json.loads(json.dumps(capture)))
    live = runner().invoke(cli, ["check", "--json", "--lang", "en"])
    path = tmp_path / "capture.json"
    path.write_text(json.dumps(capture), encoding="utf-8")
    replay = runner().invoke(cli, ["analyze", str(path), "--json", "--lang", "en"])
    assert live.exit_code == replay.exit_code
    live_report, replay_report = json.loads(live.stdout), json.loads(replay.stdout)
    live_report["generated_at"] = replay_report["generated_at"] = None
    assert live_report == replay_report
    assert live_report["facts"]["values"]["kernel.config_enabled"]

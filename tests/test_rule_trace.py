"""`hostcheck rules show ID --trace`: from every rule to its YAML line, facts, combiners,
parsers and capture keys; its cases and the tests that name it."""

import json
import pathlib

import pytest
from click.testing import CliRunner

from hostcheck.cli import cli
from hostcheck.combine import PRODUCERS
from hostcheck.facts import FACTS
from hostcheck.judge import load_catalogue
from hostcheck.report import rule_trace
from hostcheck.report.rule_trace import find_mentions, render_trace_lines, trace

ROOT = pathlib.Path(__file__).resolve().parent.parent
RULES = load_catalogue(cases=True).rules


def run(*args, code=0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_every_rule_leads_to_its_capture_keys(rule):
    data = trace(rule, tests_dir=None)
    lines = (ROOT / data["yaml"]["file"]).read_text(encoding="utf-8").splitlines()
    assert lines[data["yaml"]["line"] - 1].strip() == "- id: %s" % rule["id"]
    combiners = {c["name"]: c for c in data["combiners"]}
    for read in data["reads"]:
        if read["fact"].startswith("item."):
            assert read["item_of"] == rule["foreach"]
            continue
        assert read["producer"] == FACTS[read["fact"]][2] == PRODUCERS[read["fact"]].name
        assert read["fact"] in combiners[read["producer"]]["produces"]
    for combiner in data["combiners"]:
        assert (ROOT / combiner["path"]).is_file()
        for need in combiner["needs"]:          # every input's producer is traced too
            assert need["producer"] in combiners and combiner["name"] in combiners[need["producer"]]["needed_by"]
    assert any(c["capture"] for c in data["combiners"]), "no capture key behind %s" % rule["id"]
    assert [c["name"] for c in data["cases"]] == [c.get("name") or "" for c in rule["cases"]]


def test_trace_text_from_rule_to_capture_keys_and_tests():
    output = run("rules", "show", "firewall-docker-masquerade", "--trace", "--lang", "en")
    for expected in ("rules/60-firewall.yaml:", "iptables.masquerade_sources  ← iptables",
                     "item.subnets  an item of docker.networks",
                     "iptables  hostcheck/combine/iptables.py",
                     "hostcheck.parse.iptables.masquerade_sources", "command `iptables-save`",
                     "engine GET /networks", "user network lost its rule",
                     "tests/data/systems/centos7-docker24-firewalld.expect.json:",
                     "test_this_machine_with_docker_running"):
        assert expected in output, expected


def test_trace_follows_a_derived_fact_to_the_combiners_it_reads():
    data = json.loads(run("rules", "show", "network-subnet-overlap", "--trace", "--json"))
    combiners = {c["name"]: c for c in data["combiners"]}
    assert combiners["network"]["produces"] == ["net.subnet_overlaps"]
    assert {"routes", "docker_engine", "docker_daemon", "firewalld"} <= set(combiners)
    assert "network" in combiners["routes"]["needed_by"]
    assert "command:ip -j route" in combiners["routes"]["capture"]
    assert "hostcheck.parse.routes.parse_ip_route" in combiners["routes"]["parsers"]
    tests = {(t["path"], t["test"]) for t in data["tests"]}
    assert ("tests/integration/test_net_scenarios.py", "test_network_overlapping_a_host_route") in tests


def test_trace_json_names_the_tests_that_use_the_rule():
    data = json.loads(run("rules", "show", "kernel-user-namespaces", "--trace", "--json"))
    assert data["yaml"] == {"file": "rules/20-kernel.yaml", "line": data["yaml"]["line"]}
    tests = {(t["path"], t["test"]) for t in data["tests"]}
    assert ("tests/test_catalogue_view.py", "test_show_text_has_both_examples_and_family_commands") in tests
    assert "tests_note" not in data


def test_trace_without_tests_says_so(monkeypatch):
    monkeypatch.setattr(rule_trace, "find_tests_directory", lambda: None)
    data = json.loads(run("rules", "show", "kernel-user-namespaces", "--trace", "--json"))
    assert data["tests"] is None and data["tests_note"] == "tests not installed"
    assert "tests not installed" in run("rules", "show", "kernel-user-namespaces", "--trace")
    assert "未安装测试" in run("rules", "show", "kernel-user-namespaces", "--trace", "--lang", "zh")


def test_trace_in_chinese():
    output = run("rules", "show", "storage-root-free-space", "--trace", "--lang", "zh")
    for label in ("YAML 位置", "读取的事实", "组合器", "采集项", "用例", "测试", "statvfs /var/lib/docker"):
        assert label in output, label


def test_trace_of_an_unknown_rule_is_a_usage_error():
    assert "no rule with id" in run("rules", "show", "no-such-rule", "--trace", code=2)


def test_tests_naming_finds_functions_and_data_files(tmp_path):
    (tmp_path / "test_a.py").write_text(
        'RULE = "kernel-docker-floor"\n\n\n'
        "def helper():\n    return 1\n\n\n"
        "def test_one():\n    assert ids == ['kernel-docker-floor']\n"
        "    assert 'kernel-docker-floor' in text\n\n\n"
        "@pytest.mark.parametrize('x', [1])\n"
        "def test_two(x):\n    assert 'kernel-docker-floor-extra' not in x   # another id\n\n\n"
        "def test_three():\n    check('kernel-docker-floor')\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "host.expect.json").write_text('{"failing": ["kernel-docker-floor"]}\n', encoding="utf-8")
    (data / "notes.txt").write_text("kernel-docker-floor\n", encoding="utf-8")
    found = [(pathlib.Path(t["path"]).name, t["line"], t["test"])
             for t in find_mentions("kernel-docker-floor", str(tmp_path))]
    assert found == [("test_a.py", 1, None), ("test_a.py", 9, "test_one"), ("test_a.py", 19, "test_three"),
                     ("host.expect.json", 1, None)]


def test_trace_lines_render_every_rule_in_both_languages():
    for rule in RULES:
        for lang in ("en", "zh"):
            text = "\n".join(str(line) for line in render_trace_lines(trace(rule, lang, tests_dir=None), lang))
            assert rule["id"] in text and "%s:%s" % (rule["file"], rule["line"]) in text

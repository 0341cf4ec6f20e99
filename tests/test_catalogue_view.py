"""`hostcheck rules list` / `rules show`: every rule explains itself in both languages."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hostcheck.cli import cli
from hostcheck.judge import load_catalogue
from hostcheck.report.catalogue_view import explain, render_lines

RULES = load_catalogue().rules


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_list_json_carries_why_and_statuses():
    listed = json.loads(run("rules", "list", "--json", "--lang", "zh"))
    assert len(listed["rules"]) == len(RULES) >= 40
    row = next(r for r in listed["rules"] if r["id"] == "storage-root-free-space")
    assert row["title"] == "Docker 根目录所在文件系统的剩余空间"
    assert row["why"] and row["statuses"] == ["pass", "warn", "fail"]


def test_list_table_names_every_rule():
    output = run("rules", "list", "--lang", "en")
    for rule in RULES:
        assert rule["id"] in output


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_every_rule_explains_itself(rule, lang):
    data = explain(rule, lang)
    assert data["title"] == rule["title"][lang] and data["source"] and data["refs"]
    problem = data["examples"]["problem"]
    assert problem and problem["status"] in ("info", "warn", "fail"), "no example of a problem"
    assert all(f["evidence"] and "?" not in f["evidence"].replace("？", "") for f in problem["findings"])
    if lang == "zh" and problem["status"] != "skip":
        assert any("\u4e00" <= ch <= "\u9fff" for f in problem["findings"] for ch in f["evidence"])
    text = "\n".join(str(line) for line in render_lines(data, lang))
    assert rule["id"] in text and problem["name"] in text
    if data["examples"]["pass"]:
        assert data["examples"]["pass"]["status"] == "pass"


def test_show_text_has_both_examples_and_family_commands():
    output = run("rules", "show", "kernel-user-namespaces", "--lang", "zh")
    for label in ("为什么重要", "依据", "判定规则", "示例：正常情况", "示例：有问题的情况", "修复方法",
                  "CentOS / RHEL / 麒麟 / openEuler（yum、dnf）"):
        assert label in output, label
    assert "grubby --update-kernel=ALL" in output
    assert "userns-remap" in output      # the failing example's evidence


def test_show_json_is_the_explanation():
    data = json.loads(run("rules", "show", "security-api-tcp-without-tls", "--json", "--lang", "en"))
    assert data["foreach"] == "docker.tcp_hosts"
    assert data["examples"]["problem"]["status"] == "fail"
    assert "0.0.0.0:2375" in [f["subject"] for f in data["examples"]["problem"]["findings"]]
    assert "docker.tls_verify" in data["reads"]
    fixes = [o["remediation"] for o in data["outcomes"] if o.get("remediation")]
    assert fixes and "any" in fixes[0]["commands"]


def test_rules_show_in_a_fresh_process_judges_the_cases_kept_apart(tmp_path):
    """The cases live in cases.json, which a report never loads: `rules show` in a process
    where nothing else loaded them still gives its examples; `analyze` does not open it."""
    shown = subprocess.run([sys.executable, "-m", "hostcheck", "rules", "show", "arch-host-platform", "--json"],
                           capture_output=True, text=True, check=True)
    assert [case["name"] for case in json.loads(shown.stdout)["cases"]] == \
        ["Kunpeng 920 with Kylin V10", "page size not captured", "uname missing"]
    probe = ("import builtins, sys\n"
             "opened = []\n"
             "real = builtins.open\n"
             "builtins.open = lambda path, *a, **k: (opened.append(str(path)), real(path, *a, **k))[1]\n"
             "sys.argv = ['hostcheck', 'analyze', sys.argv[1], '--json', '-o', sys.argv[2]]\n"
             "from hostcheck.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "import json\nprint(json.dumps([p for p in opened if p.endswith('.json')]))\n")
    capture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "captures", "debian12-this-machine.json")
    run_probe = subprocess.run([sys.executable, "-c", probe, capture, str(tmp_path / "report.json")],
                               capture_output=True, text=True, check=True)
    opened = [os.path.basename(path) for path in json.loads(run_probe.stdout)]
    assert "catalogue.json" in opened and "cases.json" not in opened, opened
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["findings"]

"""The preflight's door to the host (hostcheck/capture/compose.py and take's extra commands),
and the preflight trees' subject facts against the catalogue's contracts."""

import json
import re
import subprocess

import pytest

from hostcheck.capture import take
from hostcheck.capture.compose import VERSION_COMMANDS, choose_tool, config_argv
from hostcheck.judge import load_catalogue
from hostcheck.preflight.subjects import SUBJECT_FACTS

CATALOGUE = load_catalogue(cases=True)


def test_a_preflight_capture_records_both_compose_tools():
    doc = take(timeout=10, sockets=False, extra_commands=VERSION_COMMANDS)
    for argv in VERSION_COMMANDS:
        record = doc["commands"][" ".join(argv)]
        assert record["argv"] == list(argv)
        assert "rc" in record or record.get("error") in ("not_found", "timeout")
    plain = take(timeout=10, sockets=False)
    assert "docker compose version" not in plain["commands"]       # `check` does not pay for them


# Real outputs: the docker 28.2 client without the compose plugin, Debian 12's docker-compose,
# the v2 plugin and a standalone v2 binary.
NO_PLUGIN = {"argv": ["docker", "compose", "version"], "rc": 1, "stdout": "",
             "stderr": "docker: unknown command: docker compose\n\nRun 'docker --help' for more information\n"}
V1 = {"argv": ["docker-compose", "--version"], "rc": 0, "stderr": "",
      "stdout": "docker-compose version 1.29.2, build unknown\n"}
PLUGIN = {"argv": ["docker", "compose", "version"], "rc": 0, "stderr": "",
          "stdout": "Docker Compose version v2.27.0\n"}
STANDALONE_V2 = {"argv": ["docker-compose", "--version"], "rc": 0, "stderr": "",
                 "stdout": "Docker Compose version 2.24.6+ds1-0ubuntu1~22.04.1\n"}


@pytest.mark.parametrize("plugin, standalone, expected", [
    (NO_PLUGIN, V1, (["docker-compose"], "1.29.2", 1)),
    (PLUGIN, V1, (["docker", "compose"], "2.27.0", 2)),
    (NO_PLUGIN, STANDALONE_V2, (["docker-compose"], "2.24.6+ds1-0ubuntu1~22.04.1", 2)),
    (NO_PLUGIN, {"argv": ["docker-compose", "--version"], "error": "not_found"}, None),
])
def test_the_tool_up_would_use(plugin, standalone, expected):
    tool = choose_tool({"docker compose version": plugin, "docker-compose --version": standalone})
    assert (tool and (tool["argv"], tool["version"], tool["major"])) == expected


def test_config_asks_json_of_v2_and_yaml_of_v1():
    v2 = {"argv": ["docker", "compose"], "name": "docker compose", "version": "2.27.0", "major": 2}
    assert config_argv(v2, ["/p/compose.yaml", "/p/compose.override.yaml"], "/p", "shop", ["debug"]) == [
        "docker", "compose", "-f", "/p/compose.yaml", "-f", "/p/compose.override.yaml", "--project-directory", "/p",
        "-p", "shop", "--profile", "debug", "config", "--format", "json"]
    v1 = dict(v2, argv=["docker-compose"], major=1)
    assert config_argv(v1, ["/p/docker-compose.yml"], "/p")[-1] == "config"


def test_the_capture_side_stays_python_36_compatible(old_python):
    path = str(__import__("hostcheck.capture.compose", fromlist=["x"]).__file__)
    result = subprocess.run([str(old_python("3.6")), "-m", "py_compile", path], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- the trees' subject facts

def _reads(tree):
    text = json.dumps({k: v for k, v in tree.items() if k != "cases"})
    return set(re.findall(r'"fact": "(subject\.[a-z_]+)"', text)) | set(re.findall(r"\$\{(subject\.[a-z_]+)\}", text))


@pytest.mark.parametrize("tree_id", ["preflight", "preflight-project"])
def test_every_subject_fact_the_trees_read_is_described(tree_id):
    read = _reads(CATALOGUE.trees[tree_id])
    assert read <= set(SUBJECT_FACTS), read - set(SUBJECT_FACTS)


def test_the_preflight_trees_ask_one_question_one_way(monkeypatch):
    import test_catalogue_questions as questions
    monkeypatch.setattr(questions, "SUBJECT_FACTS", dict(questions.SUBJECT_FACTS, **SUBJECT_FACTS))
    assert questions.compared_two_ways(CATALOGUE) == {}
    asked = dict(((place, fact), op) for fact, _, place, op in questions.reads(CATALOGUE))
    # the same network questions in the service's tree and the project's
    for tree in ("preflight", "preflight-project"):
        assert asked[("tree %s node external-networks" % tree, "subject.external_networks")] == "all_in"
        assert asked[("tree %s node subnets-free" % tree, "subject.project_subnets")] == "any_within"


@pytest.mark.parametrize("tree_id", ["preflight", "preflight-project"])
def test_every_verdict_is_reached_by_a_case(tree_id):
    tree = CATALOGUE.trees[tree_id]
    assert set(tree["verdicts"]) == {case["expect"] for case in tree["cases"]}

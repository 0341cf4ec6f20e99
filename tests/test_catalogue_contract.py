"""Contract over the whole catalogue: what the report, `rules show` and SPEC rely on."""

import json
import re

import pytest

from hostcheck.judge import STATUSES, load_catalogue
from hostcheck.judge.compile import (AREAS, CatalogueError, DEFAULT_OUTPUT, build_catalogue, cases_output,
                                      dump_cases, dump_catalogue)
from hostcheck.judge.conditions import facts_read
from hostcheck.judge.text import placeholders
from hostcheck.facts import FACTS

CATALOGUE = load_catalogue(cases=True)
RULES = CATALOGUE.rules
SPEC_AREAS = {"arch", "kernel", "binfmt", "runtime", "cgroup", "storage", "security",
              "firewall", "network", "dns", "docker", "image"}


def test_catalogue_file_is_fresh():
    """Compiling rules/*.yaml now gives exactly hostcheck/data/catalogue.json and cases.json."""
    built = build_catalogue()
    with open(DEFAULT_OUTPUT, encoding="utf-8") as handle:
        assert handle.read() == dump_catalogue(built), "run: python -m hostcheck.judge.compile"
    with open(cases_output(DEFAULT_OUTPUT), encoding="utf-8") as handle:
        assert handle.read() == dump_cases(built), "run: python -m hostcheck.judge.compile"


def test_cases_are_apart_and_complete():
    """catalogue.json holds no cases (no report reads them); load_catalogue(cases=True)
    gives every rule and tree the cases it was compiled with."""
    built = build_catalogue()
    plain = json.loads(dump_catalogue(built))
    assert not [rule["id"] for rule in plain["rules"] if "cases" in rule]
    assert not [tree_id for tree_id, tree in plain["trees"].items() if "cases" in tree]
    assert [rule.get("cases") for rule in RULES] == [rule.get("cases") for rule in built["rules"]]
    assert {i: t.get("cases") for i, t in CATALOGUE.trees.items()} == {i: t.get("cases") for i, t in built["trees"].items()}
    assert all(rule["cases"] for rule in RULES)


def test_stored_reads_are_what_the_rules_read():
    """The reads the compiler stored are what walking the loaded rules and trees gives."""
    from hostcheck.judge.catalogue import compute_reads
    assert CATALOGUE.reads == {name: None if members is None else frozenset(members)
                               for name, members in compute_reads(RULES, CATALOGUE.trees).items()}
    assert CATALOGUE.reads["kernel.config_enabled"] and CATALOGUE.reads["os.id"] is None


def test_version_and_areas():
    assert re.match(r"^\d{4}\.\d{1,2}\.\d+$", CATALOGUE.version)
    assert set(AREAS) == SPEC_AREAS
    assert {rule["area"] for rule in RULES} <= SPEC_AREAS


def test_ids_are_unique_and_well_formed():
    ids = [rule["id"] for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert re.match(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$", rule_id)


def _texts(node, path=""):
    """Every {en, zh} text in a rule, with where it is."""
    if isinstance(node, dict):
        if set(node) == {"en", "zh"}:
            yield path, node
            return
        for key, value in node.items():
            if key != "cases":
                yield from _texts(value, "%s.%s" % (path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, "%s[%d]" % (path, index))


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_rule_contract(rule):
    assert rule["title"]["en"].strip() and rule["title"]["zh"].strip()
    assert rule["source"].strip() and rule["refs"]
    for path, text in _texts(rule):
        assert text["en"].strip() and text["zh"].strip(), path
        # Chinese text: Chinese characters or full-width punctuation, unless it is a bare value
        assert re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", text["zh"]) \
            or text["zh"] == text["en"], path
    statuses = {outcome["status"] for outcome in rule["outcomes"]}
    assert statuses <= set(STATUSES) - {"error"}
    for outcome in rule["outcomes"]:
        if outcome["status"] in ("warn", "fail"):
            assert outcome["remediation"]["text"]["en"], outcome


def _facts_read(rule):
    names = list(rule.get("requires", []))
    conditions = [o["when"] for o in rule["outcomes"] if "when" in o]
    conditions += [rule[k] for k in ("where",) if k in rule]
    conditions += [rule["applies"]["when"]] if "applies" in rule else []
    for condition in conditions:
        names.extend(facts_read(condition))
    for _, text in _texts(rule):
        names.extend(n for lang in ("en", "zh") for n in placeholders(text[lang]) if n != "why")
    if "foreach" in rule:
        names.append(rule["foreach"])
    return names


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_every_fact_read_is_registered(rule):
    for name in _facts_read(rule):
        assert name in FACTS or (name.startswith("item.") and "foreach" in rule), name


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_cases_include_a_healthy_and_a_non_pass_outcome(rule):
    expected = [case["expect"] for case in rule["cases"]]
    assert len(set(expected)) >= 2, expected
    assert set(expected) - {"pass"}, expected
    if rule.get("requires"):
        assert "skip" in expected, "a rule with required facts needs a case with them unknown"


def test_compile_rejects_bad_data(tmp_path):
    good = tmp_path / "rules"
    good.mkdir()
    base = ("rules:\n  - id: kernel-x\n    area: kernel\n    title: {en: T, zh: 标题}\n"
            "    source: s\n    refs: [r]\n    outcomes:\n      - status: pass\n"
            "    cases:\n      - {facts: {kernel.version: '5.15'}, expect: pass}\n")
    (good / "a.yaml").write_text(base, encoding="utf-8")
    assert build_catalogue(str(good))["rules"][0]["id"] == "kernel-x"
    for broken, message in [
        (base.replace("kernel-x", "Kernel_X"), "id must be"),
        (base.replace("area: kernel", "area: disk"), "area 'disk'"),
        (base.replace("zh: 标题", "zh: ''"), "title.zh is empty"),
        (base.replace("status: pass", "status: ok"), "status 'ok'"),
        (base.replace("- status: pass", "- {when: {fact: kernel.versoin, op: exists}, status: pass}\n"
                      "      - status: pass"), "'kernel.versoin' is not in hostcheck.facts.FACTS"),
        (base.replace("- status: pass", "- {when: {fact: kernel.version, op: newer, value: 1}, status: pass}\n"
                      "      - status: pass"), "unknown operator 'newer'"),
        (base.replace("- status: pass", "- {when: {fact: kernel.version, op: version_lt, value: x}, status: fail}\n"
                      "      - status: pass"), "'x' is not a version"),
        (base + base[len("rules:\n"):], "id is used twice"),
    ]:
        (good / "a.yaml").write_text(broken, encoding="utf-8")
        with pytest.raises(CatalogueError, match=re.escape(message)):
            build_catalogue(str(good))


def test_compile_command_reports_one_line_and_fails(tmp_path):
    import subprocess
    import sys
    (tmp_path / "bad.yaml").write_text("rules:\n  - id: x\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "hostcheck.judge.compile", "--rules", str(tmp_path),
                          "--output", str(tmp_path / "out.json")], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("compile: ")
    assert not (tmp_path / "out.json").exists()


def test_catalogue_json_is_deterministic():
    data = build_catalogue()
    assert dump_catalogue(data) == dump_catalogue(json.loads(dump_catalogue(data)))


SPEC_IMAGE_VERDICTS = {"native": {"pass"}, "emulated": {"info", "warn"},
                       "needs-remediation": {"fail"}, "impossible": {"fail"}}


def test_image_tree_speaks_spec_verdicts():
    tree = CATALOGUE.trees["image"]
    for name, verdict in tree["verdicts"].items():
        public = verdict.get("id", name)
        assert verdict["status"] in SPEC_IMAGE_VERDICTS[public], name
    covered = {case["expect"] for case in tree["cases"]}
    assert set(SPEC_IMAGE_VERDICTS) <= covered


@pytest.mark.parametrize("tree_id", sorted(CATALOGUE.trees))
def test_tree_texts_are_bilingual_and_read_registered_facts(tree_id):
    tree = CATALOGUE.trees[tree_id]
    for path, text in _texts({k: v for k, v in tree.items() if k != "cases"}):
        assert text["en"].strip() and text["zh"].strip(), path
        for lang in ("en", "zh"):
            for name in placeholders(text[lang]):
                assert name == "why" or name in FACTS or name.startswith("subject."), (path, name)
    for node in tree["nodes"].values():
        for name in facts_read(node["when"]):
            assert name in FACTS or name.startswith("subject."), name


# --- the whole catalogue, as a support team relies on it ------------------------------

FAMILY_TOOLS = {"rhel": ("apt-get", "apt ", "dpkg ", "update-grub", "zypper"),
                "debian": ("yum ", "dnf ", "rpm ", "grubby", "zypper")}


def test_catalogue_has_at_least_40_rules_in_every_host_area():
    assert len(RULES) >= 40
    host_areas = SPEC_AREAS - {"image"}          # image is judged by the image tree
    assert host_areas <= {rule["area"] for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_rule_id_names_its_area(rule):
    assert rule["id"].startswith(rule["area"] + "-"), rule["id"]


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_rule_says_why_with_sources_a_person_can_follow(rule):
    assert rule.get("why", {}).get("en", "").strip() and rule["why"]["zh"].strip(), "no why"
    assert len(rule["source"].split()) >= 4, "a source names where the threshold comes from"
    assert all(ref.startswith("https://") for ref in rule["refs"]), rule["refs"]
    assert len(set(rule["refs"])) == len(rule["refs"])


def _remediations(rule):
    for outcome in rule["outcomes"]:
        if outcome.get("remediation"):
            yield outcome["status"], outcome["remediation"]
    empty = rule.get("empty") or {}
    if empty.get("remediation"):
        yield empty["status"], empty["remediation"]


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_every_problem_comes_with_commands_for_its_family(rule):
    for status, remediation in _remediations(rule):
        commands = remediation.get("commands") or {}
        if status in ("warn", "fail"):
            assert any(commands.values()), "a %s needs commands a person can run" % status
        for family, wrong in FAMILY_TOOLS.items():
            for line in commands.get(family, []):
                assert not any(tool in line for tool in wrong), (family, line)


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_cases_only_use_registered_facts_of_the_right_type(rule):
    for case in rule["cases"]:
        for name in list(case.get("facts") or {}) + list(case.get("unknown") or {}):
            assert name in FACTS, (case.get("name"), name)
        assert case.get("name"), "every case is named (rules show prints it)"


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_chinese_text_is_written_not_left_in_english(rule):
    """Evidence and remediation text in zh: mostly Chinese, the same placeholders as en."""
    for path, text in _texts(rule):
        en_names = sorted(set(placeholders(text["en"])) - {"why"})
        zh_names = sorted(set(placeholders(text["zh"])) - {"why"})
        assert en_names == zh_names, (path, en_names, zh_names)
        plain = re.sub(r"\$\{[^}]*\}|`[^`]*`|\"[^\"]*\"|“[^”]*”|[A-Za-z0-9_./:=+<>-]+", "", text["zh"])
        if len(re.sub(r"\$\{[^}]*\}", "", text["en"])) > 40:
            assert re.search(r"[\u4e00-\u9fff]{2,}", plain), (path, text["zh"])

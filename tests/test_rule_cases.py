"""Every rule's own `cases` (rules/*.yaml), run over the compiled catalogue, in en and zh."""

import pytest

from hostcheck.judge import load_catalogue, run_case, run_tree_case

CATALOGUE = load_catalogue(cases=True)
CASES = [pytest.param(rule, case, id="%s/%s" % (rule["id"], case.get("name") or index + 1))
         for rule in CATALOGUE.rules for index, case in enumerate(rule.get("cases", ()))]


@pytest.mark.parametrize("rule, case", CASES)
def test_rule_case(rule, case):
    problems, _ = run_case(rule, case)
    assert problems == []


@pytest.mark.parametrize("rule, case", CASES)
def test_rule_case_in_chinese_gives_the_same_statuses_and_chinese_text(rule, case):
    problems, findings = run_case(rule, case, "zh")
    assert problems == []
    for finding in findings:
        assert finding["title"] == rule["title"]["zh"]
        assert finding["status"] != "error"


TREE_CASES = [pytest.param(tree, case, id="%s/%s" % (tree_id, case.get("name") or index + 1))
              for tree_id, tree in sorted(CATALOGUE.trees.items())
              for index, case in enumerate(tree.get("cases", ()))]


@pytest.mark.parametrize("tree, case", TREE_CASES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tree_case(tree, case, lang):
    problems, result = run_tree_case(tree, case, lang)
    assert problems == []
    assert "?" not in result["verdict"]["text"].replace("？", ""), "a placeholder is not filled"

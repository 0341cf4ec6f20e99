"""Run the `cases` written beside each rule: the rule's own examples, as tests.

A case gives fact values (`facts`), optional reasons for unknown facts (`unknown`),
the expected status (`expect`: the highest-ranked status among the rule's findings),
optionally `subjects` (subject -> status, for foreach rules) and `evidence` (a
substring the English evidence of some finding must contain).
"""

from hostcheck.judge.rules import judge_rule, worst
from hostcheck.judge.trees import walk_tree
from hostcheck.facts import Facts


def run_case(rule, case, lang="en"):
    """Problems with one case (an empty list when it holds) and the findings."""
    facts = Facts(case.get("facts") or {}, case.get("unknown") or {})
    findings = judge_rule(rule, facts, lang)
    problems = []
    got = worst([finding["status"] for finding in findings])
    if got != case["expect"]:
        problems.append("expected %s, got %s (%s)" % (
            case["expect"], got, " | ".join(f["evidence"] for f in findings)))
    by_subject = dict((f.get("subject"), f["status"]) for f in findings)
    for subject, status in (case.get("subjects") or {}).items():
        if by_subject.get(subject) != status:
            problems.append("subject %s: expected %s, got %s" % (
                subject, status, by_subject.get(subject)))
    wanted = case.get("evidence")
    if wanted and lang == "en" and not any(wanted in f["evidence"] for f in findings):
        problems.append("no evidence contains %r (%s)" % (
            wanted, " | ".join(f["evidence"] for f in findings)))
    return problems, findings


def run_tree_case(tree, case, lang="en"):
    """Problems with one tree case and the walk.

    Tree cases split `facts` into host facts and subject.* facts (given to the walk as
    `extra`); `expect` is the verdict id, `status` optional, `path` the optional list of
    "node=answer" steps, `evidence` a substring of the verdict text, `root` the node the
    walk starts from when not the tree's root.
    """
    # A fact named in `unknown` is unknown even when `facts` (often a shared YAML base) gives it.
    unknown = case.get("unknown") or {}
    values = dict((k, v) for k, v in (case.get("facts") or {}).items() if k not in unknown)
    host = dict((k, v) for k, v in values.items() if not k.startswith("subject."))
    extra = dict((k, v) for k, v in values.items() if k.startswith("subject."))
    result = walk_tree(tree, Facts(host, unknown), case.get("subject", "case"), lang, extra,
                       root=case.get("root"))
    verdict, problems = result["verdict"], []
    if verdict["id"] != case["expect"] or verdict["status"] == "error":
        problems.append("expected verdict %s, got %s (%s)" % (case["expect"], verdict["id"], verdict["text"]))
    if case.get("status") and verdict["status"] != case["status"]:
        problems.append("expected status %s, got %s" % (case["status"], verdict["status"]))
    walked = ["%s=%s" % (step["node"], step["answer"]) for step in result["path"]]
    if case.get("path") and walked != case["path"]:
        problems.append("expected path %s, got %s" % (case["path"], walked))
    if case.get("evidence") and lang == "en" and case["evidence"] not in verdict["text"]:
        problems.append("verdict text %r lacks %r" % (verdict["text"], case["evidence"]))
    return problems, result


def run_cases(catalogue, lang="en"):
    """[(rule or tree id, case name, problems)] for every case of every rule and tree."""
    if hasattr(catalogue, "load_cases"):
        catalogue.load_cases()
    results = []
    for rule in catalogue.rules:
        for index, case in enumerate(rule.get("cases", ())):
            problems, _ = run_case(rule, case, lang)
            results.append((rule["id"], case.get("name") or "case %d" % (index + 1), problems))
    for tree_id, tree in sorted(catalogue.trees.items()):
        for index, case in enumerate(tree.get("cases", ())):
            problems, _ = run_tree_case(tree, case, lang)
            results.append((tree_id, case.get("name") or "case %d" % (index + 1), problems))
    return results

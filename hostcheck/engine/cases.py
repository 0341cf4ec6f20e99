"""Run the `cases` written beside each rule: the rule's own examples, as tests.

A case gives fact values (`facts`), optional reasons for unknown facts (`unknown`),
the expected status (`expect`: the highest-ranked status among the rule's findings),
optionally `subjects` (subject -> status, for foreach rules) and `evidence` (a
substring the English evidence of some finding must contain).
"""

from hostcheck.engine.rules import judge_rule, worst
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


def run_cases(catalogue, lang="en"):
    """[(rule id, case name, problems)] for every case of every rule."""
    results = []
    for rule in catalogue.rules:
        for index, case in enumerate(rule.get("cases", ())):
            problems, _ = run_case(rule, case, lang)
            results.append((rule["id"], case.get("name") or "case %d" % (index + 1), problems))
    return results

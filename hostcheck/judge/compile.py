"""Compile rules/*.yaml and rules/trees/*.yaml into hostcheck/data/catalogue.json
(and the rules' and trees' cases into cases.json beside it).

    python -m hostcheck.judge.compile [--rules DIR] [--output FILE] [--check]

Validates first (ids, areas, statuses, en+zh texts, operators, every fact read is
in hostcheck.facts.FACTS); on invalid data prints one line and exits 1. The output
is deterministic (sorted keys), so a stale catalogue shows up as a diff and the
freshness test fails. Needs PyYAML; hostcheck itself does not.
"""

import argparse
import glob
import ipaddress
import json
import os
import re
import sys

from hostcheck.judge.catalogue import CASES_FILE, compute_reads
from hostcheck.judge.conditions import LIST_VALUE_OPS, OPS, PATTERN_OPS, PLAIN_OPS
from hostcheck.judge.netmatch import PATTERN_KEYS
from hostcheck.judge.rules import STATUSES
from hostcheck.judge.text import placeholders
from hostcheck.judge.version import comparison_for
from hostcheck.facts import FACTS

CATALOGUE_VERSION = "2026.11.1"
AREAS = ("arch", "kernel", "binfmt", "runtime", "cgroup", "storage", "security",
         "firewall", "network", "dns", "docker", "image")
LANGS = ("en", "zh")
COMMAND_KEYS = ("rhel", "debian", "suse", "any")
RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
TREE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
RULE_KEYS = {"id", "area", "title", "why", "source", "refs", "requires", "applies",
             "outcomes", "cases", "foreach", "where", "subject", "empty"}
CASE_KEYS = {"name", "facts", "unknown", "expect", "subjects", "evidence"}
TREE_KEYS = {"id", "title", "why", "source", "refs", "root", "nodes", "verdicts", "cases"}
NODE_KEYS = {"question", "when", "evidence", "yes", "no", "unknown", "optional"}
_PY_TYPES = {"str": str, "int": int, "bool": bool, "float": (int, float), "list": list,
             "dict": dict, "list[dict]": list, "list[str]": list}

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_RULES = os.path.join(ROOT, "rules")
DEFAULT_OUTPUT = os.path.join(ROOT, "hostcheck", "data", "catalogue.json")


class CatalogueError(ValueError):
    """Invalid rule data; the message is one line naming the place."""


class _Checker(object):
    """Validation of one rule or tree; `where` names it in every message."""

    def __init__(self, where, scopes):
        self.where = where
        self.scopes = scopes        # name prefixes allowed beside FACTS: item., subject.

    def fail(self, message):
        raise CatalogueError("%s: %s" % (self.where, message))

    def fact(self, name, what="fact"):
        if not isinstance(name, str):
            self.fail("%s %r is not a name" % (what, name))
        if name in FACTS or any(name.startswith(prefix) for prefix in self.scopes):
            return
        self.fail("%s %r is not in hostcheck.facts.FACTS" % (what, name))

    def text(self, value, what, templated=True):
        if not isinstance(value, dict) or set(value) != set(LANGS):
            self.fail("%s needs exactly en and zh texts" % what)
        for lang in LANGS:
            if not isinstance(value[lang], str) or not value[lang].strip():
                self.fail("%s.%s is empty" % (what, lang))
            if templated:
                self.template(value[lang], what, shell=False)

    def template(self, text, what, shell):
        for name in placeholders(text):
            if name == "why":
                continue
            if "." not in name:
                if shell:           # $USER, ${HOME}: left for the shell
                    continue
                self.fail("%s reads ${%s}, not a fact name" % (what, name))
            self.fact(name, "%s placeholder" % what)

    def condition(self, cond, what):
        if not isinstance(cond, dict) or not cond:
            self.fail("%s is not a condition" % what)
        combinators = [key for key in ("all", "any", "not") if key in cond]
        if combinators:
            if len(cond) != 1:
                self.fail("%s mixes %s with other keys" % (what, combinators[0]))
            key = combinators[0]
            if key == "not":
                self.condition(cond["not"], what)
                return
            if not isinstance(cond[key], list) or not cond[key]:
                self.fail("%s: %s needs a non-empty list" % (what, key))
            for part in cond[key]:
                self.condition(part, what)
            return
        if isinstance(cond.get("op"), bool):      # YAML 1.1 reads `op: true` as a boolean
            cond["op"] = "true" if cond["op"] else "false"
        extra = set(cond) - {"fact", "op", "value", "key"}
        if extra:
            self.fail("%s has unknown keys %s" % (what, sorted(extra)))
        self.fact(cond.get("fact"), "%s fact" % what)
        op = cond.get("op")
        if op not in OPS:
            self.fail("%s: unknown operator %r" % (what, op))
        if op in PLAIN_OPS:
            if "value" in cond:
                self.fail("%s: %s takes no value" % (what, op))
            return
        if "value" not in cond:
            self.fail("%s: %s needs a value" % (what, op))
        value = cond["value"]
        if op in PATTERN_OPS:
            self.pattern(value, "%s: %s" % (what, op))
            return
        if isinstance(value, dict):
            if set(value) != {"fact"}:
                self.fail("%s: a value mapping must be {fact: NAME}" % what)
            self.fact(value["fact"], "%s value" % what)
            return
        if op in LIST_VALUE_OPS and not isinstance(value, list):
            self.fail("%s: %s needs a list value" % (what, op))
        comparison = comparison_for(op)
        if comparison is not None and comparison(value, value) is None:
            self.fail("%s: %r is not a version %s can compare" % (what, value, op))
        if op in ("lt", "le", "gt", "ge") and (isinstance(value, bool)
                                               or not isinstance(value, (int, float))):
            self.fail("%s: %s needs a number" % (what, op))
        if op == "matches":
            try:
                re.compile(value)
            except (re.error, TypeError) as exc:
                self.fail("%s: bad regular expression %r (%s)" % (what, value, exc))
        if op in ("within", "any_within"):
            for network in value if isinstance(value, list) else [value]:
                try:
                    ipaddress.ip_network(network, strict=False)
                except (TypeError, ValueError):
                    self.fail("%s: %s needs CIDRs or addresses, not %r" % (what, op, network))

    def pattern(self, pattern, what):
        """A has_rule pattern: known keys, each a word, a number, a list of words or {fact: NAME}."""
        if not isinstance(pattern, dict) or not pattern:
            self.fail("%s needs a pattern mapping (keys among %s)" % (what, ", ".join(PATTERN_KEYS)))
        for key, entry in pattern.items():
            if key not in PATTERN_KEYS:
                self.fail("%s: unknown pattern key %r (keys: %s)" % (what, key, ", ".join(PATTERN_KEYS)))
            if isinstance(entry, dict):
                if set(entry) != {"fact"}:
                    self.fail("%s: pattern %s must be a word, a list or {fact: NAME}" % (what, key))
                self.fact(entry["fact"], "%s pattern %s" % (what, key))
            elif isinstance(entry, list):
                if not entry or not all(isinstance(word, (str, int)) for word in entry):
                    self.fail("%s: pattern %s must list words" % (what, key))
            elif isinstance(entry, bool) or not isinstance(entry, (str, int)):
                self.fail("%s: pattern %s must be a word, a list or {fact: NAME}" % (what, key))

    def remediation(self, remediation, what, conditional=False):
        """`conditional`: a command line may be {when, run}, kept where `when` holds (trees)."""
        if not isinstance(remediation, dict) or not set(remediation) <= {"text", "commands"}:
            self.fail("%s must hold text and commands" % what)
        self.text(remediation.get("text"), "%s.text" % what)
        commands = remediation.get("commands", {})
        if not isinstance(commands, dict) or not set(commands) <= set(COMMAND_KEYS):
            self.fail("%s.commands keys must be among %s" % (what, ", ".join(COMMAND_KEYS)))
        for family, lines in commands.items():
            where = "%s.commands.%s" % (what, family)
            if not isinstance(lines, list):
                self.fail("%s must be a list of strings" % where)
            for line in lines:
                if conditional and isinstance(line, dict) and set(line) == {"when", "run"}:
                    self.condition(line["when"], "%s.when" % where)
                    line = line["run"]
                if not isinstance(line, str):
                    self.fail("%s must be a list of strings%s" % (where, " or {when, run}" if conditional else ""))
                self.template(line, where, shell=True)

    def evidence(self, evidence, what):
        """A node's evidence: {en, zh}, or alternatives [{text, answer?, when?}]."""
        if not isinstance(evidence, list):
            self.text(evidence, what)
            return
        if not evidence:
            self.fail("%s: alternatives must not be empty" % what)
        for index, alternative in enumerate(evidence):
            where = "%s[%d]" % (what, index)
            if not isinstance(alternative, dict) or "text" not in alternative \
                    or set(alternative) - {"text", "answer", "when"}:
                self.fail("%s must hold text, and optionally answer and when" % where)
            self.text(alternative["text"], "%s.text" % where)
            if "answer" in alternative:
                answers = alternative["answer"]
                if not isinstance(answers, list):
                    answers = [answers]
                # YAML 1.1 reads an unquoted yes/no as a boolean
                answers = alternative["answer"] = [{True: "yes", False: "no"}[a] if isinstance(a, bool) else a
                                                   for a in answers]
                if not answers or any(a not in ("yes", "no", "unknown") for a in answers):
                    self.fail("%s: answer must be among yes, no, unknown" % where)
            if "when" in alternative:
                self.condition(alternative["when"], "%s.when" % where)

    def status(self, status, what, allowed=STATUSES[:-1]):
        if status not in allowed:
            self.fail("%s: status %r is not one of %s" % (what, status, ", ".join(allowed)))


def _check_rule(rule, seen):
    if not isinstance(rule, dict):
        raise CatalogueError("a rule is not a mapping: %r" % (rule,))
    rule_id = rule.get("id")
    check = _Checker("rule %s" % rule_id, ("item.",) if "foreach" in rule else ())
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        check.fail("id must be lower-case words joined by '-'")
    if rule_id in seen:
        check.fail("id is used twice (also in %s)" % seen[rule_id])
    unknown_keys = set(rule) - RULE_KEYS
    if unknown_keys:
        check.fail("unknown keys %s" % sorted(unknown_keys))
    if rule.get("area") not in AREAS:
        check.fail("area %r is not one of %s" % (rule.get("area"), ", ".join(AREAS)))
    check.text(rule.get("title"), "title", templated=False)
    if "why" in rule:           # why the rule matters, for `hostcheck rules show`
        check.text(rule["why"], "why", templated=False)
    if not isinstance(rule.get("source"), str) or not rule["source"].strip():
        check.fail("source (where the threshold comes from) is missing")
    refs = rule.get("refs")
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        check.fail("refs must be a non-empty list of strings")
    for name in rule.get("requires", []):
        check.fact(name, "requires")
    if "applies" in rule:
        applies = rule["applies"]
        if not isinstance(applies, dict) or set(applies) - {"when", "otherwise"}:
            check.fail("applies must hold when and otherwise")
        check.condition(applies.get("when"), "applies.when")
        if "otherwise" in applies:
            check.text(applies["otherwise"], "applies.otherwise")
    if "foreach" in rule:
        if FACTS.get(rule["foreach"], ("",))[0] not in ("list[dict]", "list[str]"):
            check.fail("foreach %r is not a list[dict] or list[str] fact" % rule["foreach"])
        if "where" in rule:
            check.condition(rule["where"], "where")
        if not isinstance(rule.get("subject"), str):
            check.fail("a foreach rule needs a subject template")
        check.template(rule["subject"], "subject", shell=False)
        empty = rule.get("empty")
        if not isinstance(empty, dict):
            check.fail("a foreach rule needs `empty` (the finding when no item is left)")
        check.status(empty.get("status"), "empty")
        check.text(empty.get("evidence"), "empty.evidence")
        if "remediation" in empty:
            check.remediation(empty["remediation"], "empty.remediation")
    else:
        for key in ("where", "subject", "empty"):
            if key in rule:
                check.fail("%s belongs to foreach rules" % key)
    outcomes = rule.get("outcomes")
    if not isinstance(outcomes, list) or not outcomes:
        check.fail("outcomes must be a non-empty list")
    for index, outcome in enumerate(outcomes):
        what = "outcome %d" % (index + 1)
        if set(outcome) - {"when", "status", "evidence", "remediation"}:
            check.fail("%s has unknown keys %s" % (what, sorted(set(outcome) - {
                "when", "status", "evidence", "remediation"})))
        last = index == len(outcomes) - 1
        if ("when" in outcome) == last:
            check.fail("%s: only the last outcome, and it always, has no `when`" % what)
        if "when" in outcome:
            check.condition(outcome["when"], "%s.when" % what)
        check.status(outcome.get("status"), what)
        if "evidence" in outcome:
            check.text(outcome["evidence"], "%s.evidence" % what)
        if outcome["status"] in ("warn", "fail") and "remediation" not in outcome:
            check.fail("%s: a %s needs a remediation" % (what, outcome["status"]))
        if "remediation" in outcome:
            check.remediation(outcome["remediation"], "%s.remediation" % what)
    _check_cases(check, rule)


def _check_cases(check, rule):
    cases = rule.get("cases")
    if not isinstance(cases, list) or not cases:
        check.fail("cases are missing")
    for index, case in enumerate(cases):
        what = "case %s" % case.get("name", index + 1)
        if not isinstance(case, dict) or set(case) - CASE_KEYS:
            check.fail("%s has unknown keys" % what)
        for name, value in (case.get("facts") or {}).items():
            if name not in FACTS:
                check.fail("%s sets %r, not in hostcheck.facts.FACTS" % (what, name))
            kind = FACTS[name][0]
            if isinstance(value, bool) and kind not in ("bool",):
                check.fail("%s: %s is %s, not a bool" % (what, name, kind))
            if not isinstance(value, _PY_TYPES[kind]):
                check.fail("%s: %s must be %s" % (what, name, kind))
        for name in case.get("unknown") or {}:
            check.fact(name, "%s unknown" % what)
        check.status(case.get("expect"), what, STATUSES)
        for subject, status in (case.get("subjects") or {}).items():
            check.status(status, "%s subject %s" % (what, subject), STATUSES)


def _check_tree(tree, seen):
    tree_id = tree.get("id") if isinstance(tree, dict) else None
    check = _Checker("tree %s" % tree_id, ("subject.",))
    if not isinstance(tree_id, str) or not TREE_ID.match(tree_id):
        check.fail("id must be lower-case words joined by '-'")
    if tree_id in seen:
        check.fail("id is used twice")
    if set(tree) - TREE_KEYS:
        check.fail("unknown keys %s" % sorted(set(tree) - TREE_KEYS))
    nodes, verdicts = tree.get("nodes"), tree.get("verdicts")
    if not isinstance(nodes, dict) or not nodes or not isinstance(verdicts, dict) or not verdicts:
        check.fail("nodes and verdicts must be non-empty mappings")
    if "title" in tree:
        check.text(tree["title"], "title", templated=False)
    for name in set(nodes) | set(verdicts):
        if not TREE_ID.match(str(name)):
            check.fail("node or verdict id %r is not lower-case words joined by '-'" % name)
    if set(nodes) & set(verdicts):
        check.fail("%s are both node and verdict" % sorted(set(nodes) & set(verdicts)))
    if tree.get("root") not in nodes:
        check.fail("root %r is not a node" % tree.get("root"))
    for name, node in nodes.items():
        what = "node %s" % name
        for flag, answer in ((True, "yes"), (False, "no")):
            if isinstance(node, dict) and flag in node:   # YAML 1.1 reads `yes:` as True
                node[answer] = node.pop(flag)
        if not isinstance(node, dict) or set(node) - NODE_KEYS:
            check.fail("%s has unknown keys" % what)
        check.text(node.get("question"), "%s.question" % what, templated=False)
        check.condition(node.get("when"), "%s.when" % what)
        if not isinstance(node.get("optional", False), bool):
            check.fail("%s: optional must be true or false" % what)
        if "evidence" in node:
            check.evidence(node["evidence"], "%s.evidence" % what)
        for answer in ("yes", "no"):
            if answer not in node:
                check.fail("%s has no `%s`" % (what, answer))
        for answer in ("yes", "no", "unknown"):
            target = node.get(answer)
            if target is not None and target not in nodes and target not in verdicts:
                check.fail("%s.%s leads to %r, neither node nor verdict" % (what, answer, target))
    for name, verdict in verdicts.items():
        what = "verdict %s" % name
        if not isinstance(verdict, dict) or set(verdict) - {"id", "status", "text", "remediation"}:
            check.fail("%s has unknown keys" % what)
        if "id" in verdict and not TREE_ID.match(str(verdict["id"])):
            check.fail("%s: id %r is not lower-case words joined by '-'" % (what, verdict["id"]))
        check.status(verdict.get("status"), what)
        check.text(verdict.get("text"), "%s.text" % what)
        if "remediation" in verdict:
            check.remediation(verdict["remediation"], "%s.remediation" % what, conditional=True)
    for name in nodes:          # a walk may start at any node (walk_tree's root)
        _check_acyclic(check, name, nodes)
    public_ids = {verdict.get("id", name) for name, verdict in verdicts.items()} | {"unknown"}
    for index, case in enumerate(tree.get("cases") or []):
        what = "case %s" % case.get("name", index + 1)
        if not isinstance(case, dict) or set(case) - (CASE_KEYS | {"subject", "path", "status", "root"}):
            check.fail("%s has unknown keys" % what)
        if "root" in case and case["root"] not in nodes:
            check.fail("%s starts at %r, not a node" % (what, case["root"]))
        for name in case.get("facts") or {}:
            check.fact(name, "%s fact" % what)
        for name in case.get("unknown") or {}:
            check.fact(name, "%s unknown" % what)
        if case.get("expect") not in public_ids:
            check.fail("%s expects %r, not a verdict id" % (what, case.get("expect")))


def _check_acyclic(check, root, nodes):
    state = {}

    def visit(name, trail):
        if name not in nodes:
            return
        if state.get(name) == "open":
            check.fail("nodes loop: %s" % " -> ".join(trail + [name]))
        if state.get(name) == "done":
            return
        state[name] = "open"
        for answer in ("yes", "no", "unknown"):
            if nodes[name].get(answer):
                visit(nodes[name][answer], trail + [name])
        state[name] = "done"

    visit(root, [])


def _load_yaml(path, key):
    """(the list under `key`, the 1-based line where each of its entries starts)."""
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise CatalogueError("%s: %s" % (path, " ".join(str(exc).split())))
    if not isinstance(data, dict) or set(data) != {key}:
        raise CatalogueError("%s: the file must hold only `%s:`" % (path, key))
    if not isinstance(data[key], list):
        raise CatalogueError("%s: `%s:` must be a list" % (path, key))
    # The node tree a second time, for where each entry starts (`rules show ID --trace`).
    _, items = yaml.compose(text, Loader=loader).value[-1]
    return data[key], [item.start_mark.line + 1 for item in items.value]


def _entries(rules_dir, pattern, key, check, seen):
    """(file shown, line, entry) for each validated entry of the matching files, in order."""
    for path in sorted(glob.glob(os.path.join(rules_dir, pattern))):
        shown = os.path.relpath(path, os.path.dirname(rules_dir))
        entries, lines = _load_yaml(path, key)
        for entry, line in zip(entries, lines):
            try:
                check(entry, seen)
            except CatalogueError as exc:
                raise CatalogueError("%s:%d: %s" % (shown, line, exc))
            yield shown, line, entry


# A line break inside a folded YAML scalar becomes a space; between two Chinese characters
# (or full-width punctuation) that space is a typo a reader sees, so it is dropped.
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_ZH_GAP = re.compile("(?<=[%s]) +(?=[%s])" % (_CJK, _CJK))


def _tidy_zh(node):
    if isinstance(node, dict):
        if set(node) == set(LANGS) and isinstance(node.get("zh"), str):
            node["zh"] = _ZH_GAP.sub("", node["zh"])
            return
        for value in node.values():
            _tidy_zh(value)
    elif isinstance(node, list):
        for value in node:
            _tidy_zh(value)


def build_catalogue(rules_dir=DEFAULT_RULES):
    """The validated catalogue as a dict (raises CatalogueError)."""
    rules, trees, seen = [], {}, {}
    for shown, line, rule in _entries(rules_dir, "*.yaml", "rules", _check_rule, seen):
        seen[rule["id"]] = "%s:%d" % (shown, line)
        rules.append(dict(rule, file=shown, line=line))
    for shown, _, tree in _entries(rules_dir, os.path.join("trees", "*.yaml"), "trees",
                                   _check_tree, trees):
        trees[tree["id"]] = dict(tree, file=shown)
    if not rules:
        raise CatalogueError("%s holds no rules" % rules_dir)
    _tidy_zh(rules)
    _tidy_zh(trees)
    return {"version": CATALOGUE_VERSION, "rules": rules, "trees": trees, "reads": compute_reads(rules, trees)}


def _without_cases(entry):
    return {key: value for key, value in entry.items() if key != "cases"}


def dump_catalogue(catalogue):
    """The catalogue as the exact text written to catalogue.json: without the cases, which
    no report reads (dump_cases)."""
    slim = dict(catalogue, rules=[_without_cases(rule) for rule in catalogue["rules"]],
                trees={tree_id: _without_cases(tree) for tree_id, tree in catalogue["trees"].items()})
    return _dump(slim)


def dump_cases(catalogue):
    """The rules' and trees' cases as the exact text written to cases.json:
    {"rules": {rule id: cases}, "trees": {tree id: cases}}."""
    return _dump({"rules": {rule["id"]: rule["cases"] for rule in catalogue["rules"] if "cases" in rule},
                  "trees": {tree_id: tree["cases"] for tree_id, tree in catalogue["trees"].items()
                            if "cases" in tree}})


def _dump(document):
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def cases_output(output):
    """Where cases.json goes: beside the catalogue file `output`."""
    return os.path.join(os.path.dirname(os.path.abspath(output)), CASES_FILE)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hostcheck.judge.compile",
                                     description="Compile rules/*.yaml into catalogue.json.")
    parser.add_argument("--rules", default=DEFAULT_RULES, help="rules directory")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="catalogue file to write (cases.json goes beside it)")
    parser.add_argument("--check", action="store_true",
                        help="only report whether the catalogue file is up to date")
    args = parser.parse_args(argv)
    try:
        catalogue = build_catalogue(args.rules)
        texts = {args.output: dump_catalogue(catalogue), cases_output(args.output): dump_cases(catalogue)}
    except CatalogueError as exc:
        sys.stderr.write("compile: %s\n" % exc)
        return 1
    except ImportError:
        sys.stderr.write("compile: PyYAML is needed to compile rules (pip install PyYAML)\n")
        return 1
    if args.check:
        for path, text in texts.items():
            try:
                with open(path, encoding="utf-8") as handle:
                    current = handle.read()
            except OSError:
                current = None
            if current != text:
                sys.stderr.write("compile: %s is out of date\n" % path)
                return 1
        return 0
    for path, text in texts.items():
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

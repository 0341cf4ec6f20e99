"""The compiled rule catalogue (hostcheck/data/catalogue.json), loaded once per process.

The YAML sources in rules/ are compiled by `python -m hostcheck.judge.compile`, so a
run costs one json.load, not a YAML parse. The rules' and trees' cases (examples that
tests, `rules show` and the compile check judge) are a third of the compiled text and no
report reads them: they live beside it in cases.json, loaded only by what asks for them
(`load_catalogue(cases=True)`).
"""

import json
import os

_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
_DEFAULT = os.path.join(_DATA, "catalogue.json")
CASES_FILE = "cases.json"
_LOADED = {}
# Operators that read only some members of a list fact, named in the rule (the value).
_MEMBER_OPS = frozenset(("contains", "not_contains", "contains_all", "contains_any"))
_PRESENCE_OPS = frozenset(("exists", "absent"))


class Catalogue(object):
    """`.version`, `.rules` (list, file order), `.trees` (id -> tree), `.rule(id)`, `.reads`."""

    def __init__(self, data, path=None):
        self.version = data["version"]
        self.rules = data["rules"]
        self.trees = data.get("trees", {})
        self._by_id = dict((rule["id"], rule) for rule in self.rules)
        self._stored_reads = data.get("reads")
        self._reads = None
        self._path = path
        self._cases_loaded = False

    def rule(self, rule_id):
        """The rule with this id, or None."""
        return self._by_id.get(rule_id)

    def areas(self):
        return sorted(set(rule["area"] for rule in self.rules))

    @property
    def reads(self):
        """{fact name: None (the whole value is read) or the frozenset of keys and members
        read} (compute_reads), as the compiler stored it, else computed once."""
        if self._reads is None:
            stored = self._stored_reads
            if stored is None:
                stored = compute_reads(self.rules, self.trees)
            self._reads = {name: None if members is None else frozenset(members)
                           for name, members in stored.items()}
        return self._reads

    def load_cases(self):
        """Attach each rule's and tree's `cases` (from cases.json beside the catalogue, when
        its rules do not carry them already); returns the catalogue."""
        if self._cases_loaded:
            return self
        self._cases_loaded = True
        cases = _read(self._path, CASES_FILE, missing_ok=self._path is not None)
        if cases:
            for rule in self.rules:
                if rule["id"] in cases.get("rules", {}):
                    rule.setdefault("cases", cases["rules"][rule["id"]])
            for tree_id, tree in self.trees.items():
                if tree_id in cases.get("trees", {}):
                    tree.setdefault("cases", cases["trees"][tree_id])
        return self


def compute_reads(rules, trees):
    """{fact name: None when the catalogue reads its whole value, else the sorted keys and
    members it reads}: what `rules` and `trees` ask of each host fact.

    A fact is read in part when every condition on it looks up a key (`key:`), tests for
    members named in the rule (contains, contains_all ...) or only asks whether it is known
    (exists, absent, requires): kernel.config_enabled is ~1,200 options on a distribution
    kernel, and the rules ask about ~30. Anything else (a comparison of the whole value, a
    placeholder in a text, a foreach) reads the whole value. The compiler stores the answer
    in catalogue.json: walking ~11,000 nodes cost each run ~10 ms.
    """
    from hostcheck.judge.text import placeholders
    reads = {}

    def read(name, members=()):
        if not isinstance(name, str) or name.startswith(("item.", "subject.")):
            return
        if name in reads and reads[name] is None:
            return
        if members is None:
            reads[name] = None
        else:
            reads.setdefault(name, set()).update(members)

    def condition(leaf):
        op, value = leaf.get("op"), leaf.get("value")
        if isinstance(value, dict) and "fact" in value:
            read(value["fact"], None)
        elif isinstance(value, dict):
            for entry in value.values():       # a pattern: entries may name facts
                if isinstance(entry, dict) and "fact" in entry:
                    read(entry["fact"], None)
        if "key" in leaf:
            read(leaf["fact"], (leaf["key"],))
        elif op in _PRESENCE_OPS:
            read(leaf["fact"])
        elif op in _MEMBER_OPS and isinstance(value, str):
            read(leaf["fact"], (value,))
        elif op in _MEMBER_OPS and isinstance(value, list) and all(isinstance(v, str) for v in value):
            read(leaf["fact"], value)
        else:
            read(leaf["fact"], None)

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("fact"), str) and "op" in node:
                condition(node)
            for name, value in node.items():
                if name == "cases":             # examples, not reads
                    continue
                if name == "requires" and isinstance(value, list):
                    for fact in value:
                        read(fact)
                elif name == "foreach":
                    read(value, None)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and "$" in node:
            for name in placeholders(node):
                if "." in name:
                    read(name, None)

    walk(rules)
    walk(trees)
    return {name: None if members is None else sorted(members) for name, members in sorted(reads.items())}


def _read(path, name="catalogue.json", missing_ok=False):
    """The JSON file `name`: `path` itself for the catalogue, else the file of that name
    beside it (the packaged data directory when `path` is None)."""
    if path is None and not os.path.isfile(_DEFAULT):
        # Inside a zipapp the package is not a directory: ask the loader instead.
        import pkgutil
        raw = pkgutil.get_data("hostcheck", "data/" + name)
        if raw is None:
            raise IOError("hostcheck/data/%s is missing" % name)
        return json.loads(raw.decode("utf-8"))
    if path is None:
        target = os.path.join(_DATA, name)
    else:
        target = path if name == "catalogue.json" else os.path.join(os.path.dirname(path), name)
    if missing_ok and not os.path.isfile(target):
        return None
    with open(target, encoding="utf-8") as handle:
        return json.load(handle)


def load_catalogue(path=None, cases=False):
    """The catalogue at `path` (default: the packaged one); cached per path. `cases=True`
    attaches the rules' and trees' cases (tests, `rules show`, the compile check)."""
    catalogue = _LOADED.get(path)
    if catalogue is None:
        catalogue = _LOADED[path] = Catalogue(_read(path), path)
    if cases:
        catalogue.load_cases()
    return catalogue

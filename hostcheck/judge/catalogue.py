"""The compiled rule catalogue (hostcheck/data/catalogue.json), loaded once per process.

The YAML sources in rules/ are compiled by `python -m hostcheck.judge.compile`, so a
run costs one json.load, not a YAML parse.
"""

import json
import os

_DEFAULT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "data", "catalogue.json")
_LOADED = {}


class Catalogue(object):
    """`.version`, `.rules` (list, file order), `.trees` (id -> tree), `.rule(id)`."""

    def __init__(self, data):
        self.version = data["version"]
        self.rules = data["rules"]
        self.trees = data.get("trees", {})
        self._by_id = dict((rule["id"], rule) for rule in self.rules)

    def rule(self, rule_id):
        """The rule with this id, or None."""
        return self._by_id.get(rule_id)

    def areas(self):
        return sorted(set(rule["area"] for rule in self.rules))


def _read(path):
    if path is None and not os.path.isfile(_DEFAULT):
        # Inside a zipapp the package is not a directory: ask the loader instead.
        import pkgutil
        raw = pkgutil.get_data("hostcheck", "data/catalogue.json")
        if raw is None:
            raise IOError("hostcheck/data/catalogue.json is missing")
        return json.loads(raw.decode("utf-8"))
    with open(path or _DEFAULT, encoding="utf-8") as handle:
        return json.load(handle)


def load_catalogue(path=None):
    """The catalogue at `path` (default: the packaged one); cached per path."""
    catalogue = _LOADED.get(path)
    if catalogue is None:
        catalogue = _LOADED[path] = Catalogue(_read(path))
    return catalogue

"""The rules engine: judge facts with the compiled rule catalogue, walk decision trees.

    import hostcheck.judge as engine
    catalogue = engine.load_catalogue()
    findings = engine.judge(catalogue, facts, lang="en", only=(), skip=())
    result = engine.walk_tree(catalogue.trees["image"], facts, "app:1.0", extra={...})

Importing this package is cheap (no YAML, no packaging): the catalogue is JSON.
"""

from hostcheck.judge.cases import run_case, run_cases, run_tree_case
from hostcheck.judge.catalogue import Catalogue, load_catalogue
from hostcheck.judge.rules import STATUS_RANK, STATUSES, judge, judge_rule, worst
from hostcheck.judge.trees import walk_tree
from hostcheck.judge.version import compare_versions, parse_version

__all__ = ["Catalogue", "STATUSES", "STATUS_RANK", "compare_versions", "judge", "judge_rule",
           "load_catalogue", "parse_version", "run_case", "run_cases", "run_tree_case", "walk_tree",
           "worst"]

"""Every parser module shows a real "Sample output::" block; its doctests run through
pytest's --doctest-modules (pyproject.toml), like every other doctest in the package."""

import importlib
import pkgutil

import hostcheck.parse

PARSERS = sorted(name for _, name, _ in pkgutil.iter_modules(hostcheck.parse.__path__)
                 if not name.startswith("_"))


def test_every_parser_module_shows_a_sample_output():
    missing = [name for name in PARSERS
               if "Sample output::" not in (importlib.import_module("hostcheck.parse." + name).__doc__ or "")]
    assert PARSERS and not missing, "parsers without a Sample output block: %s" % missing

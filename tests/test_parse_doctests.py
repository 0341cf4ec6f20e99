"""Run the "Sample output::" doctests every parser module carries."""

import doctest
import importlib

import pytest

MODULES = ["osrelease", "arch", "kernel", "binfmt", "runtimes", "iptables", "firewalld",
           "mounts", "dns", "net", "engine", "daemon", "installs"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    module = importlib.import_module("hostcheck.parse." + name)
    assert "Sample output::" in (module.__doc__ or ""), "%s has no Sample output block" % name
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, "%s has no doctest" % name
    assert result.failed == 0

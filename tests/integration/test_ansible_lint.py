"""The Ansible collection (packaging/ansible) by the ecosystem's own linters:

  ansible-test sanity   every sanity test, with the ansible-core of the Python running pytest
                        (2.19 on 3.11, 2.15 on 3.9), on the collection laid out as
                        ansible_collections/hostcheck/hostcheck in a temporary directory
  ansible-lint          production profile, on the collection and on the module's EXAMPLES
                        as a playbook

Both come from the package index into throwaway virtual environments under .cache/lint/
(made once; a stamp says for what). Where they cannot be installed (no network), the tests
skip and say why.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, find_python

COLLECTION = REPO_ROOT / "packaging" / "ansible"
LINT = REPO_ROOT / ".cache" / "lint"
# ansible-test bootstraps pip into each sanity venv with a get-pip.py it downloads from
# ci-files.testing.ansible.com, a host this machine may not reach; it then says where the
# script may be saved by hand. This stand-in does the same job: pip from the interpreter's
# own ensurepip, then the pip version ansible-test asked for, from the package index.
GET_PIP_STAND_IN = '''\
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
'''


def run(argv, **kwargs):
    return subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kwargs)


def tool_venv(name, python, requirements):
    """.cache/lint/NAME with `requirements` installed from the package index, made once."""
    venv = LINT / name
    stamp = venv / ".installed-for"
    want = "%s %s" % (python, " ".join(requirements))
    if stamp.exists() and stamp.read_text() == want:
        return venv
    shutil.rmtree(str(venv), ignore_errors=True)
    made = run([python, "-m", "venv", venv], timeout=300)
    assert made.returncode == 0, made.stdout
    installed = run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
                    + requirements, timeout=1200)
    if installed.returncode != 0:
        pytest.skip("cannot install %s from the package index:\n%s" % (" ".join(requirements),
                                                                      installed.stdout[-1500:]))
    stamp.write_text(want)
    return venv


@pytest.fixture
def collection_tree(tmp_path):
    """A copy of the collection under ansible_collections/hostcheck/hostcheck (what
    ansible-test requires), without build leftovers; returns (root, collection path)."""
    target = tmp_path / "ansible_collections" / "hostcheck" / "hostcheck"
    shutil.copytree(str(COLLECTION), str(target),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.tar.gz", "output"))
    return tmp_path, target


def test_ansible_test_sanity_passes(collection_tree):
    pytest.importorskip("ansible", reason="ansible-core is not installed (pip install -e '.[test]')")
    from ansible.release import __version__ as version

    python = "%d.%d" % sys.version_info[:2]
    venv = tool_venv("ansible-test-%s-py%s" % (version, python), sys.executable, ["ansible-core==%s" % version])
    _root, collection = collection_tree
    home = LINT / "ansible-test-home"  # ansible-test's own sanity venvs, kept between runs
    env = dict(os.environ, HOME=str(home), PATH="%s:/usr/bin:/bin" % (venv / "bin"))
    command = [venv / "bin" / "ansible-test", "sanity", "--python", python, "--requirements", "--color", "no"]
    for _attempt in range(2):
        result = run(command, cwd=str(collection), env=env, timeout=3600)
        wanted = re.search(r"can be manually downloaded and saved to: (\S+\.py)", result.stdout)
        if not wanted:
            break
        Path(wanted.group(1)).parent.mkdir(parents=True, exist_ok=True)
        Path(wanted.group(1)).write_text(GET_PIP_STAND_IN)
    ran = re.findall(r'^Running sanity test "([\w-]+)"', result.stdout, re.M)
    print("ansible-core %s, Python %s: %s" % (version, python, ", ".join(ran)))
    if result.returncode != 0 and re.search(r"(?i)could not (find|fetch)|connection|network is unreachable",
                                            result.stdout) and "ERROR: Found" not in result.stdout:
        pytest.skip("ansible-test could not install its sanity requirements:\n" + result.stdout[-1500:])
    assert result.returncode == 0, "\n".join(line for line in result.stdout.splitlines()
                                            if line.startswith(("ERROR", "FATAL")))[-5000:]
    assert "validate-modules" in ran and "ansible-doc" in ran and "pylint" in ran, ran


def examples_playbook(directory):
    """The module's EXAMPLES as the tasks of one play, for ansible-lint."""
    tree = ast.parse((COLLECTION / "plugins" / "modules" / "hostcheck.py").read_text(encoding="utf-8"))
    examples = next(node.value.value for node in tree.body
                    if isinstance(node, ast.Assign) and node.targets[0].id == "EXAMPLES")
    tasks = "\n".join("    " + line if line.strip() else "" for line in examples.strip("\n").splitlines())
    path = directory / "examples.yml"
    path.write_text("---\n- name: The hostcheck module's EXAMPLES\n  hosts: all\n  gather_facts: false\n"
                    "  tasks:\n" + tasks + "\n")
    return path


def test_ansible_lint_passes_the_production_profile(collection_tree, tmp_path):
    python = find_python("3.11") or find_python("3.12")
    if python is None:
        pytest.skip("ansible-lint needs Python >= 3.10: no pyenv 3.11 or 3.12 here")
    venv = tool_venv("ansible-lint", str(python), ["ansible-lint"])
    root, collection = collection_tree
    examples = examples_playbook(collection / "playbooks")
    env = dict(os.environ, HOME=str(tmp_path / "home"), ANSIBLE_COLLECTIONS_PATH=str(root), NO_COLOR="1",
               PATH="%s:/usr/bin:/bin" % (venv / "bin"))
    try:
        result = run([venv / "bin" / "ansible-lint", "--offline", "--profile", "production", "--nocolor"],
                     cwd=str(collection), env=env, timeout=900)
    finally:
        examples.unlink()
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-5000:]
    assert "Profile 'production' was required, and it passed." in result.stdout
    # Both playbooks were linted, the EXAMPLES too.
    assert re.search(r"Passed: 0 failure\(s\), 0 warning\(s\)", result.stdout)

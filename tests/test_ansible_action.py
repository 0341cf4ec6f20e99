"""The Ansible collection's `hostcheck` action (packaging/ansible), without running a playbook.

The capture script it pipes to the target runs here under the pyenv interpreters (3.6 the
floor, 2.7 refused with one line); the documentation stub and the action agree on options.
The end-to-end playbook run is tests/integration/test_ansible_playbook.py.
"""

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hostcheck
from hostcheck.report import build_report, exit_code

# ansible-core is in the `test` extra; 2.15 is the last release for a 3.9 controller.
pytest.importorskip("ansible", reason="ansible-core is not installed (pip install -e '.[test]')")
yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parent.parent
COLLECTION = REPO / "packaging" / "ansible"
SYSTEMS = REPO / "tests" / "data" / "systems"


def load_action():
    spec = importlib.util.spec_from_file_location(
        "hostcheck_ansible_action", str(COLLECTION / "plugins" / "action" / "hostcheck.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


action = load_action()


def run_script(python, script, cwd, env=None):
    return subprocess.run([str(python), "-"], input=script.encode("ascii"), cwd=str(cwd),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, env=env)


# 3.6: CentOS 7's python3; 3.7: Kylin V10's and UOS 20's.
@pytest.mark.parametrize("minor", ["3.6", "3.7"])
def test_capture_script_runs_on_old_pythons_and_writes_nothing(old_python, tmp_path, minor):
    python = old_python(minor)
    script = action.capture_script(timeout=5.0, redact=False)
    proc = run_script(python, script, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    doc, executable = action.parse_capture_output(proc.stdout.decode("utf-8"))
    assert doc["format"] == "hostcheck.capture/v1"
    assert doc["python"].startswith(minor + ".")
    assert executable == str(python)
    assert doc["uname"]["release"] == os.uname().release
    # The controller's version captured, not whatever the target has installed.
    assert doc["tool"]["version"] == hostcheck.__version__
    # Fed on stdin: not even a byte-compiled file is left behind.
    assert list(tmp_path.iterdir()) == []


def test_capture_script_redacts_on_the_target(old_python, tmp_path):
    proc = run_script(old_python("3.6"), action.capture_script(timeout=5.0, redact=True), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    doc, _ = action.parse_capture_output(proc.stdout.decode("utf-8"))
    assert doc.get("redacted") is True
    assert doc["uname"]["nodename"] != os.uname().nodename


def test_capture_script_refuses_python2_in_one_line(old_python, tmp_path):
    # pyenv's 2.7 has bin/python, not bin/python3 (which the old_python fixture looks for).
    python2 = sorted(old_python("3.6").parents[2].glob("2.7.*/bin/python"))
    if not python2:
        pytest.skip("no pyenv Python 2.7 here")
    proc = run_script(python2[-1], action.capture_script(timeout=5.0, redact=False), cwd=tmp_path)
    message = proc.stderr.decode().strip()
    assert proc.returncode == 3
    assert len(message.splitlines()) == 1  # one line, no traceback
    assert "needs Python 3.6 or newer" in message


def test_capture_sources_come_from_a_zipped_hostcheck_too(old_python, tmp_path):
    """With hostcheck.pyz on the controller's PYTHONPATH, the sources are read from the zip."""
    import zipfile

    archive = tmp_path / "hostcheck.zip"
    with zipfile.ZipFile(str(archive), "w") as bundle:
        for path in [REPO / "hostcheck" / "__init__.py"] + sorted((REPO / "hostcheck" / "capture").glob("*.py")):
            bundle.write(str(path), str(path.relative_to(REPO)))
    program = (
        "import sys, importlib.util\n"
        "sys.path.insert(0, %r)\n"
        "import hostcheck\n"
        "assert hostcheck.__file__.startswith(%r), hostcheck.__file__\n"
        "spec = importlib.util.spec_from_file_location('action', %r)\n"
        "action = importlib.util.module_from_spec(spec); spec.loader.exec_module(action)\n"
        "sys.stdout.write(action.capture_script(5.0, False))\n"
    ) % (str(archive), str(archive), str(COLLECTION / "plugins" / "action" / "hostcheck.py"))
    script = subprocess.run([sys.executable, "-c", program], stdout=subprocess.PIPE, check=True,
                            timeout=60, cwd=str(tmp_path)).stdout.decode("ascii")
    proc = run_script(old_python("3.6"), script, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert action.parse_capture_output(proc.stdout.decode("utf-8"))[0]["python"].startswith("3.6.")


def test_capture_output_survives_a_login_banner():
    doc = {"format": "hostcheck.capture/v1"}
    stdout = "Welcome to node1\nLast login: Mon\n%s\n%s\n%s\n" % (
        action.BEGIN_MARK, json.dumps({"executable": "/usr/bin/python3", "capture": doc}), action.END_MARK)
    assert action.parse_capture_output(stdout) == (doc, "/usr/bin/python3")


@pytest.mark.parametrize("stdout", ["", "bash: python3: command not found\n",
                                    action.BEGIN_MARK + "\n{truncated\n" + action.END_MARK])
def test_capture_output_that_is_not_a_capture_is_one_line(stdout):
    with pytest.raises(action.HostcheckError):
        action.parse_capture_output(stdout)


def test_without_python3_on_path_the_shell_says_what_to_do(tmp_path):
    command = action.run_command(None)
    proc = subprocess.run(["/bin/sh", "-c", command], env={"PATH": str(tmp_path)}, input=b"",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert proc.returncode == 127
    assert b"no python3 on the target's PATH" in proc.stderr
    assert b"ansible_python_interpreter" in proc.stderr


def test_interpreter_with_arguments_is_quoted_word_by_word():
    # ansible_python_interpreter may be "/usr/bin/env python3"; a path with a space stays one word.
    assert action.run_command("/usr/bin/env python3") == "/usr/bin/env python3 -"
    assert action.run_command("'/opt/my python/bin/python3'") == "'/opt/my python/bin/python3' -"
    assert action.run_command("/usr/bin/python3", "/tmp/x y/c.py") == "/usr/bin/python3 '/tmp/x y/c.py'"


@pytest.mark.parametrize("interpreter", [None, sys.executable])
def test_task_environment_reaches_the_capture(interpreter, tmp_path):
    """A task's `environment` (e.g. DOCKER_HOST of a rootless engine) reaches the script."""
    command = action.run_command(interpreter, "-", "DOCKER_HOST='unix:///run/user/1000/docker.sock'")
    script = b"import os; print(os.environ['DOCKER_HOST'])"
    proc = subprocess.run(["/bin/sh", "-c", command], input=script, stdout=subprocess.PIPE,
                          env={"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin"}, timeout=30)
    assert proc.stdout == b"unix:///run/user/1000/docker.sock\n"


def centos7_report():
    capture = json.loads((SYSTEMS / "centos7-docker24-firewalld.json").read_text(encoding="utf-8"))
    report, _facts = build_report(capture, lang="en")
    return report


def test_failing_lists_exactly_what_reaches_fail_on():
    report = centos7_report()
    for fail_on in ("fail", "warn", "info"):
        findings, trees = action.failing(report, fail_on)
        # The task fails exactly when the CLI would exit 1.
        assert bool(findings or trees) == (exit_code(report, fail_on) == 1)
    fail_ids = {f["id"] for f in action.failing(report, "fail")[0]}
    warn_ids = {f["id"] for f in action.failing(report, "warn")[0]}
    assert fail_ids == {f["id"] for f in report["findings"] if f["status"] in ("fail", "error")}
    assert fail_ids < warn_ids


def test_missing_hostcheck_on_the_controller_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "hostcheck.report", None)  # import fails
    plugin = action.ActionModule.__new__(action.ActionModule)
    args = {"timeout": 5.0, "capture": None}
    with pytest.raises(action.HostcheckError) as caught:
        plugin._hostcheck(args, {})
    assert "pip install hostcheck" in str(caught.value)
    assert "hostcheck.pyz" in str(caught.value)


def documentation():
    tree = ast.parse((COLLECTION / "plugins" / "modules" / "hostcheck.py").read_text(encoding="utf-8"))
    texts = {node.targets[0].id: node.value.value for node in tree.body
             if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)}
    return {name: yaml.safe_load(texts[name]) for name in ("DOCUMENTATION", "RETURN")}


def test_documented_options_are_the_action_options():
    options = documentation()["DOCUMENTATION"]["options"]
    assert set(options) == set(action.ARGUMENT_SPEC)
    for name, spec in action.ARGUMENT_SPEC.items():
        documented = options[name]
        assert documented["type"] == spec["type"], name
        assert documented.get("default") == spec.get("default"), name
        assert documented.get("choices") == spec.get("choices"), name


def test_collection_version_follows_hostcheck():
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text(encoding="utf-8"))
    assert (galaxy["namespace"], galaxy["name"]) == ("hostcheck", "hostcheck")
    assert galaxy["version"] == hostcheck.__version__

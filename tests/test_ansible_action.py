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
    # The distribution on the package index is ours: `pip install hostcheck` is another project.
    assert "-m pip install hostcheck-containers`" in str(caught.value)
    assert "hostcheck.pyz" in str(caught.value)


def documentation():
    tree = ast.parse((COLLECTION / "plugins" / "modules" / "hostcheck.py").read_text(encoding="utf-8"))
    texts = {node.targets[0].id: node.value.value for node in tree.body
             if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)}
    return {name: yaml.safe_load(texts[name]) for name in ("DOCUMENTATION", "EXAMPLES", "RETURN")}


# ------------------------------------------------------------------ like fetch: dest, changed, check mode


def plugin_for(playbook_dir, check_mode=False):
    """The action as ansible-playbook runs it, as far as _hostcheck needs: ansible's own
    DataLoader with the playbook's directory as its base, and the task's check mode."""
    from types import SimpleNamespace

    from ansible.parsing.dataloader import DataLoader

    plugin = action.ActionModule.__new__(action.ActionModule)
    plugin._loader = DataLoader()
    plugin._loader.set_basedir(str(playbook_dir))
    plugin._task = SimpleNamespace(check_mode=check_mode)
    return plugin


def task_args(**overrides):
    args = {name: spec.get("default") for name, spec in action.ARGUMENT_SPEC.items()}
    args.update(capture=str(SYSTEMS / "centos7-docker24-firewalld.json"), return_report=False)
    args.update(overrides)
    return args


def test_relative_dest_is_relative_to_the_playbook_directory(tmp_path, monkeypatch):
    playbook_dir, elsewhere = tmp_path / "site", tmp_path / "cwd"
    playbook_dir.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # where ansible-playbook was started: not where dest goes
    out = plugin_for(playbook_dir)._hostcheck(task_args(dest="reports/centos7.json"), {})
    assert out["dest"] == str(playbook_dir / "reports" / "centos7.json")
    assert json.loads((playbook_dir / "reports" / "centos7.json").read_text())["format"] == "hostcheck.report/v1"
    assert list(elsewhere.iterdir()) == []


def test_changed_exactly_when_the_report_file_changes(tmp_path):
    dest = tmp_path / "reports" / "centos7.json"
    first = plugin_for(tmp_path)._hostcheck(task_args(dest=str(dest)), {"inventory_hostname": "centos7"})
    assert first["changed"] is True and dest.exists()
    written = dest.read_bytes()
    # The same capture judged again differs only in generated_at: the file stays as it was.
    again = plugin_for(tmp_path)._hostcheck(task_args(dest=str(dest)), {"inventory_hostname": "centos7"})
    assert again["changed"] is False
    assert dest.read_bytes() == written
    # Another verdict (another language) is a change, and the file is rewritten.
    chinese = plugin_for(tmp_path)._hostcheck(task_args(dest=str(dest), lang="zh"), {"inventory_hostname": "centos7"})
    assert chinese["changed"] is True
    assert json.loads(dest.read_text(encoding="utf-8"))["findings"][0]["title"] != \
        json.loads(written.decode("utf-8"))["findings"][0]["title"]
    # Something else at dest (not a report, or not JSON) is replaced: a change.
    dest.write_text("not json")
    assert plugin_for(tmp_path)._hostcheck(task_args(dest=str(dest)), {})["changed"] is True
    assert json.loads(dest.read_text())["format"] == "hostcheck.report/v1"


def test_check_mode_writes_nothing_and_says_what_would_change(tmp_path):
    dest = tmp_path / "reports" / "centos7.json"
    out = plugin_for(tmp_path, check_mode=True)._hostcheck(task_args(dest=str(dest)), {})
    assert (out["changed"], out["dest"]) == (True, str(dest))
    assert not (tmp_path / "reports").exists()  # not even the directory
    plugin_for(tmp_path)._hostcheck(task_args(dest=str(dest)), {})
    before = dest.stat()
    out = plugin_for(tmp_path, check_mode=True)._hostcheck(task_args(dest=str(dest)), {})
    assert out["changed"] is False
    assert (dest.stat().st_mtime_ns, dest.stat().st_ino) == (before.st_mtime_ns, before.st_ino)


def test_reaching_fail_on_fails_with_one_line_and_still_writes_the_report(tmp_path):
    dest = tmp_path / "centos7.json"
    out = plugin_for(tmp_path)._hostcheck(task_args(dest=str(dest)), {})
    report = json.loads(dest.read_text(encoding="utf-8"))
    assert out["failed"] is True and out["fail_on_reached"] is True
    assert "\n" not in out["msg"]
    failing_ids = [f["id"] for f in report["findings"] if f["status"] in ("fail", "error")]
    assert len(failing_ids) > 1
    assert out["msg"] == "hostcheck: %d findings reach fail_on=fail: %s" % (len(failing_ids), ", ".join(failing_ids))
    # Kylin's fixture has nothing at fail: the task passes and says the worst status.
    kylin = plugin_for(tmp_path)._hostcheck(task_args(capture=str(SYSTEMS / "kylin-v10-sp3-arm64.json")), {})
    assert "failed" not in kylin and kylin["fail_on_reached"] is False
    assert kylin["msg"] == "hostcheck: nothing reaches fail_on=fail (worst: %s)" % kylin["worst"]


def test_summary_line_names_the_first_ids_and_counts_the_rest():
    findings = [{"id": "rule-%d" % i} for i in range(11)] + [{"id": "binfmt-x", "subject": "qemu-arm"}]
    trees = [{"tree": "image", "subject": "app:1", "verdict": "impossible"}]
    line = action.summary_line(findings, trees, "warn", "fail")
    assert line.startswith("hostcheck: 12 findings and 1 tree verdict reach fail_on=warn: rule-0, rule-1, ")
    assert line.endswith("rule-7 and 5 more")
    assert action.summary_line([{"id": "a", "subject": "x\ny"}], [], "fail", "fail") == \
        "hostcheck: 1 finding reach fail_on=fail: a(x y)"


def test_examples_gather_everything_and_fail_at_the_end():
    examples = documentation()["EXAMPLES"]
    assert not [task for task in examples if "ignore_errors" in task]
    gather = next(task for task in examples if task.get("failed_when"))
    assert gather["failed_when"] == "hostcheck_result.fail_on_reached is not defined"
    assert gather["register"] == "hostcheck_result"
    final = next(task for task in examples if "ansible.builtin.assert" in task)
    assert final["ansible.builtin.assert"]["that"] == "not hostcheck_result.fail_on_reached"


def test_gather_reports_playbook_fails_at_the_end_without_ignore_errors():
    plays = yaml.safe_load((COLLECTION / "playbooks" / "gather_reports.yml").read_text(encoding="utf-8"))
    tasks = [task for play in plays for task in play["tasks"]]
    assert not [task for task in tasks if "ignore_errors" in task or "run_once" in task]
    assert plays[0]["tasks"][0]["failed_when"] == "hostcheck_result.fail_on_reached is not defined"
    assert plays[-1]["tasks"][-1]["ansible.builtin.assert"]["that"] == "not hostcheck_result.fail_on_reached"


def test_returned_values_are_documented():
    documented = set(documentation()["RETURN"])
    out = plugin_for(REPO)._hostcheck(task_args(return_report=True, dest=None), {})
    assert set(out) - {"failed", "changed"} <= documented, set(out) - documented
    assert {"fail_on_reached", "msg", "dest"} <= documented


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

"""Faults a real run meets: a rule that breaks, an engine that never answers, a user
without root. In each the report still comes out, and says what happened."""

import json
import os
import shutil
import subprocess
import time

import pytest

from hostcheck.judge import catalogue as catalogue_module
from hostcheck.judge.catalogue import Catalogue, load_catalogue

from test_capture import FakeEngine
from test_cli import REPO, hostcheck_process, run, validator


@pytest.fixture()
def capture_file(tmp_path):
    path = tmp_path / "capture.json"
    assert hostcheck_process("capture", "-o", str(path)).returncode == 0
    return path


def test_a_rule_that_raises_becomes_an_error_finding_and_the_rest_comes_out(capture_file, monkeypatch):
    real = load_catalogue()
    broken = {"id": "broken-rule-demo", "area": "kernel", "title": {"en": "Broken", "zh": "坏规则"},
              "source": "test", "refs": [],
              "outcomes": [{"when": {"fact": "kernel.version", "op": "no_such_operator", "value": 1},
                            "status": "fail"}, {"status": "pass"}]}
    patched = Catalogue({"version": real.version, "rules": [broken] + list(real.rules), "trees": real.trees})
    monkeypatch.setitem(catalogue_module._LOADED, None, patched)
    result = run("analyze", str(capture_file), "--json")
    report = json.loads(result.output)
    validator("report").validate(report)
    first = report["findings"][0]
    assert first["id"] == "broken-rule-demo" and first["status"] == "error"
    assert "no_such_operator" in first["evidence"]
    assert len(report["findings"]) > 1 + 0 and report["summary"]["error"] == 1
    assert result.exit_code == 1, "error counts as fail: a preflight gate fails closed"


def test_an_engine_that_never_answers_does_not_hang_the_run(tmp_path):
    engine = FakeEngine(tmp_path / "docker.sock", silent=True)  # accepts, never answers
    try:
        started = time.monotonic()
        result = hostcheck_process("check", "--json", "--timeout", "0.5",
                                   env={"DOCKER_HOST": "unix://%s" % engine.path})
        elapsed = time.monotonic() - started
    finally:
        engine.close()
    assert result.returncode in (0, 1), result.stderr
    assert elapsed < 10, "bounded by the capture deadline, not by the silent socket"
    report = json.loads(result.stdout)
    assert report["facts"]["values"]["docker.state"] == "timeout"
    reachable = [f for f in report["findings"] if f["id"] == "docker-engine-reachable"]
    assert reachable and reachable[0]["status"] != "pass"
    assert "timeout" in reachable[0]["evidence"] or "time" in reachable[0]["evidence"]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists("/usr/bin/python3"),
                    reason="needs root to drop to an unprivileged user with setpriv, and the system python3")
def test_unprivileged_capture_skips_root_only_probes():
    # A copy of the package readable by `nobody`, run by the system Python with the
    # standard library alone (as on a customer's server). pytest's tmp_path is private
    # to root, so this uses a directory of its own.
    import pathlib
    import tempfile
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="hostcheck-nonroot-"))
    try:
        _unprivileged(tmp_path)
    finally:
        shutil.rmtree(str(tmp_path), ignore_errors=True)


def _unprivileged(tmp_path):
    tree = tmp_path / "src"
    shutil.copytree(os.path.join(REPO, "hostcheck"), str(tree / "hostcheck"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for root, dirs, files in os.walk(str(tmp_path)):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    os.chmod(str(out), 0o777)
    capture = out / "capture.json"
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
         "/usr/bin/python3", "-s", "-E", "-m", "hostcheck.capture", "-o", str(capture)],
        cwd=str(tree), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    assert result.returncode == 0, result.stderr
    doc = json.loads(capture.read_text())
    assert doc["privileges"]["euid"] == 65534
    assert doc["commands"]["iptables-save"].get("error") == "permission_denied"
    report = json.loads(run("analyze", str(capture), "--json", "--lang", "en").output)
    validator("report").validate(report)
    # These read iptables-save, which needs root.
    needs_root = {"firewall-docker-chains", "firewall-docker-masquerade", "firewall-iptables-split-brain"}
    firewall = [f for f in report["findings"] if f["id"] in needs_root]
    assert firewall, "the iptables rules are judged (as skip) rather than dropped"
    for finding in firewall:
        assert finding["status"] in ("skip", "info"), finding
        if finding["status"] == "skip":
            # The reason in words: iptables needs root, or (no dockerd on this machine) the engine is down.
            assert any(word in finding["evidence"] for word in ("root", "permission", "not running", "not installed")), finding

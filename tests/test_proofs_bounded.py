"""Proofs that nothing the host does can hold hostcheck past its --timeout (issue 9, deliverable 7).

A command that never exits: every allow-listed command of the capture is replaced (first on
PATH, as a customer's wrapper script would be) by a real shell script that ignores SIGTERM,
SIGINT and SIGHUP, starts a grandchild that keeps the output pipe open, and sleeps forever.
`hostcheck capture --timeout 1` and `hostcheck check --timeout 1` must end within the
capture's deadline (SPEC: a few times --timeout), record each such command as `timeout`, and
leave none of them (nor their grandchildren) running.

A socket that accepts and never answers: tests/test_faults.py (an engine socket, `check`);
here the same silent engine together with the hanging commands, on `capture`.
"""

import json
import os
import signal
import time

import pytest

from hostcheck.capture.probes import COMMANDS, ENGINE_VERSION_COMMANDS, ROOT_ONLY
from test_capture import FakeEngine
from test_cli import hostcheck_process

# Ignores the polite signals, leaves a grandchild holding stdout, never exits. Each one
# writes its pid (and its grandchild's) to a file, so the test can see them all gone.
HANG = """#!/bin/sh
trap '' TERM INT HUP
echo "$$" >> "{pids}"
sleep 100000 &
echo "$!" >> "{pids}"
while :; do sleep 100000; done
"""


@pytest.fixture()
def hanging_path(tmp_path):
    """A PATH whose first directory holds every capture command as the script above."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pids = tmp_path / "pids"
    pids.write_text("")
    script = bin_dir / "hang"
    script.write_text(HANG.format(pids=pids))
    script.chmod(0o755)
    names = {argv[0] for argv in COMMANDS + ENGINE_VERSION_COMMANDS}
    if os.geteuid() != 0:
        names -= ROOT_ONLY          # not run without root: nothing to prove with them
    for name in names:
        os.symlink(str(script), str(bin_dir / name))
    yield "%s:%s" % (bin_dir, os.environ.get("PATH", "/usr/bin:/bin")), pids, names
    for line in pids.read_text().split():          # never leave one behind, whatever failed
        try:
            os.kill(int(line), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _assert_all_gone(pids):
    started = [int(line) for line in pids.read_text().split()]
    assert started, "the hanging commands ran"
    time.sleep(0.2)      # the kill and reap come at the deadline, just before the process exits
    assert [pid for pid in started if _alive(pid)] == []


@pytest.mark.parametrize("timeout", ["0.5"])
def test_commands_that_never_exit_end_at_the_deadline(tmp_path, hanging_path, timeout):
    path, pids, names = hanging_path
    output = tmp_path / "capture.json"
    began = time.monotonic()
    result = hostcheck_process("capture", "--timeout", timeout, "-o", str(output), env={"PATH": path})
    elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    # The deadline is max(3 x timeout, timeout + 1); Python's start and the writing come on top.
    bound = max(3 * float(timeout), float(timeout) + 1)
    assert elapsed < bound + 5, "%.1f s for --timeout %s" % (elapsed, timeout)
    commands = json.loads(output.read_text())["commands"]
    # (dockerd/containerd/runc --version run only when the engine does not say its versions)
    hung = {key: record for key, record in commands.items()
            if record["argv"][0] in names and record.get("error") != "skipped"}
    assert {" ".join(argv) for argv in COMMANDS if argv[0] in names} <= set(hung)
    assert all(record.get("error") == "timeout" for record in hung.values()), hung
    _assert_all_gone(pids)


def test_check_with_hanging_commands_and_a_silent_engine(tmp_path, hanging_path):
    path, pids, names = hanging_path
    engine = FakeEngine(tmp_path / "docker.sock", silent=True)   # accepts, never answers
    try:
        began = time.monotonic()
        result = hostcheck_process("check", "--json", "--timeout", "1",
                                   env={"PATH": path, "DOCKER_HOST": "unix://%s" % engine.path})
        elapsed = time.monotonic() - began
    finally:
        engine.close()
    assert result.returncode in (0, 1), result.stderr
    assert elapsed < 3 + 10, "%.1f s: bounded by the deadline (judging comes on top)" % elapsed
    report = json.loads(result.stdout)
    assert report["facts"]["values"]["docker.state"] == "timeout"
    _assert_all_gone(pids)

"""The progress bar: on a terminal's stderr only, after a second, erased when done.

A pseudo-terminal stands for the user's terminal. The archive case is real time: a
`docker save`-format archive arrives on stdin over ~2 s (as from a slow `docker save`), so
the bar appears by itself; the same with stderr a pipe prints nothing there, and stdout
(the report) never holds any of it.
"""

import io
import json
import os
import pty
import select
import subprocess
import sys
import tarfile
import threading
import time

import pytest

from conftest import write_docker_archive
from hostcheck.report import progress

from test_cli import PROBES, REPO, run


def archive_bytes(tmp_path, size=4 * 1024 * 1024):
    """A one-layer amd64 image in `docker save` format, about `size` bytes (a data file)."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        info = tarfile.TarInfo("data/blob")
        info.size = size
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    path = tmp_path / "app.tar"
    write_docker_archive(path, layer.getvalue(), "amd64", None, "local/app:1.0")
    return path.read_bytes()


def run_with_slow_stdin(data, seconds, stderr_terminal):
    """hostcheck image --archive - on `data` fed over `seconds`; (code, stdout, what stderr got)."""
    args = [sys.executable, "-m", "hostcheck", "image", "--archive", "-", "--capture", PROBES, "--no-color",
            "--lang", "en"]
    env = dict(os.environ, PYTHONPATH=REPO, LC_ALL="C.UTF-8", TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    master = slave = None
    if stderr_terminal:
        master, slave = pty.openpty()
    process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=slave if stderr_terminal else subprocess.PIPE, env=env, cwd=REPO)
    if slave is not None:
        os.close(slave)

    def feed():
        pieces = 40
        step = len(data) // pieces + 1
        for start in range(0, len(data), step):
            process.stdin.write(data[start:start + step])
            process.stdin.flush()
            time.sleep(seconds / pieces)
        process.stdin.close()
    feeder = threading.Thread(target=feed)
    feeder.start()
    out_chunks, err_chunks = [], []

    def drain_stdout():
        out_chunks.append(process.stdout.read())
    reader = threading.Thread(target=drain_stdout)
    reader.start()
    if stderr_terminal:
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:           # the child closed its end
                    break
                if not chunk:
                    break
                err_chunks.append(chunk)
            elif process.poll() is not None:
                break
        os.close(master)
    else:
        err_chunks.append(process.stderr.read())
    feeder.join(timeout=60)
    reader.join(timeout=60)
    code = process.wait(timeout=60)
    return code, b"".join(out_chunks).decode("utf-8"), b"".join(err_chunks).decode("utf-8", "replace")


def test_a_slow_archive_shows_a_bar_on_a_terminal_and_nowhere_else(tmp_path):
    data = archive_bytes(tmp_path)
    code, out, err = run_with_slow_stdin(data, 2.5, stderr_terminal=True)
    assert code == 0, err
    assert "Reading stdin" in err and "MB" in err           # the bar, counting bytes
    assert "\x1b[2K" in err or "\x1b[1A" in err             # …and erased (transient)
    assert "Reading stdin" not in out and "\x1b" not in out
    assert "local/app:1.0 (stdin)" in out and "Summary: " in out
    # stderr a pipe: nothing at all there, the same report on stdout
    code, piped_out, piped_err = run_with_slow_stdin(data, 2.5, stderr_terminal=False)
    assert code == 0 and piped_err == ""
    assert piped_out.splitlines()[2:] == out.splitlines()[2:]


def test_a_quick_run_shows_no_bar(tmp_path):
    data = archive_bytes(tmp_path, size=64 * 1024)
    code, out, err = run_with_slow_stdin(data, 0.0, stderr_terminal=True)
    assert code == 0 and "Reading" not in err, err


def test_fleet_shows_a_bar_on_a_terminal(tmp_path, monkeypatch):
    """In-process, with the one-second delay set to 0: a fleet run counts its files on a
    terminal's stderr and leaves the JSON on stdout untouched."""
    folder = tmp_path / "fleet"
    folder.mkdir()
    assert run("analyze", PROBES, "--json", "-o", str(folder / "a.json")).exit_code == 1
    for n in range(5):
        (folder / ("copy-%d.json" % n)).write_bytes((folder / "a.json").read_bytes())
    master, slave = pty.openpty()
    terminal = os.fdopen(slave, "w", encoding="utf-8", buffering=1)
    monkeypatch.setattr(progress, "DELAY", 0)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys, "stderr", terminal)
    from hostcheck.fleet.cli import fleet
    out = tmp_path / "fleet.json"
    with pytest.raises(SystemExit) as exit_:
        fleet.main([str(folder), "--json", "-o", str(out)], prog_name="hostcheck fleet")
    terminal.flush()
    seen = b""
    while select.select([master], [], [], 0.2)[0]:
        seen += os.read(master, 65536)
    terminal.close()
    os.close(master)
    assert exit_.value.code == 1
    assert b"Reading reports" in seen and b"6/6" in seen
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["hosts"] == 6
    # stderr not a terminal: the same run says nothing
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with pytest.raises(SystemExit):
        fleet.main([str(folder), "--json", "-o", str(out)], prog_name="hostcheck fleet")
    assert sys.stderr.getvalue() == ""

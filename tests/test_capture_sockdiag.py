"""A container's listening TCP sockets through netlink sock_diag (hostcheck/capture/sockdiag.py)
instead of its /proc/<pid>/net/tcp{,6}: the same sockets for the net trees, for a fraction
of the cost (the /proc read walks the kernel's whole established-connection hash).

Recorded answers: tests/data/capture/sockdiag/ (see its README). The live tests make a
network namespace of their own (unshare -n, root only) and remove it with its process.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostcheck.capture import core, sockdiag
from hostcheck.parse.sockets import parse_table

DATA = Path(__file__).resolve().parent / "data" / "capture" / "sockdiag"


class Replay(object):
    """A netlink socket that answers with a recorded answer."""

    def __init__(self, answer):
        self.answer, self.sent = answer, []

    def send(self, data):
        self.sent.append(data)

    def recv(self, size):
        data, self.answer = self.answer[:size], self.answer[size:]
        return data


def columns(line):
    """A /proc/net/tcp line's first ten columns without `sl` (the kernel adds more)."""
    return line.split()[1:10]


@pytest.mark.parametrize("seq,name", [(1, "tcp"), (2, "tcp6"), (3, "udp"), (4, "udp6")])
def test_recorded_netlink_answer_gives_the_listening_lines_of_the_proc_file(seq, name):
    proc_text = (DATA / name).read_text()
    replay = Replay((DATA / (name + ".netlink")).read_bytes())
    found = sockdiag.dump(replay, name, seq)
    assert replay.sent == [sockdiag.request(name, seq)]
    text = sockdiag.format_table(name, found, little=True)
    assert parse_table(text, name) == parse_table(proc_text, name) != []
    ours = text.splitlines()
    wanted = "0A" if name.startswith("tcp") else "07"
    listening = [line for line in proc_text.splitlines()[1:] if line.split()[3] == wanted]
    assert ours[0] == proc_text.splitlines()[0]        # the kernel's header, padded alike
    assert [columns(line) for line in ours[1:]] == [columns(line) for line in listening]
    assert all(len(line) == len(ours[0]) for line in ours if name in ("tcp", "udp"))
    if name == "tcp":   # the established pair is left out; the waiting connection is counted
        assert len(proc_text.splitlines()) == 5 and len(ours) == 3
        assert "0100007F:1F90 00000000:0000 0A 00000000:00000001" in text
    if name == "udp":   # the connected UDP socket is left out
        assert len(proc_text.splitlines()) == 3 and len(ours) == 2


def test_error_and_truncated_answers_raise():
    error = sockdiag._HEADER.pack(36, sockdiag.NLMSG_ERROR, 0, 1, 0) + (-13).to_bytes(4, "little", signed=True)
    with pytest.raises(OSError) as caught:
        sockdiag.dump(Replay(error + bytes(16)), "tcp")
    assert caught.value.errno == 13
    answer = (DATA / "tcp.netlink").read_bytes()
    with pytest.raises(OSError):    # the answer stops before NLMSG_DONE
        sockdiag.dump(Replay(answer[:-20]), "tcp")


def test_modules_ready_on_a_real_proc_modules():
    # /proc/modules of a Rocky Linux 8 host (4.18.0-513.24.1.el8_9), its first lines, as
    # pasted in a public ghw report: tcp_diag loaded, so asking loads nothing.
    rocky = ("tcp_diag 16384 0 - Live 0x0000000000000000\n"
             "inet_diag 24576 1 tcp_diag, Live 0x0000000000000000\n"
             "binfmt_misc 24576 1 - Live 0x0000000000000000\n"
             "nfsv3 57344 1 - Live 0x0000000000000000\n")
    assert sockdiag.modules_ready(rocky, "", "tcp_diag")
    assert not sockdiag.modules_ready(rocky, "", "udp_diag")    # the UDP tables are read as files
    without = rocky.split("\n", 2)[2]
    assert not sockdiag.modules_ready(without, "", "tcp_diag")
    assert sockdiag.modules_ready(without, "kernel/net/ipv4/tcp_diag.ko\nkernel/net/ipv4/inet_diag.ko\n", "tcp_diag")


def _usable():
    listeners = sockdiag.NetnsListeners()
    return listeners._prepare() and all(listeners.ready.values())


needs_diag = pytest.mark.skipif(not _usable(), reason="sock_diag cannot answer here without loading a module")


# ---------------------------------------------------------------- another namespace

CHILD = r"""
import socket, time
a = socket.socket(); a.bind(("127.0.0.1", 8080)); a.listen(5)
b = socket.socket(socket.AF_INET6); b.bind(("::", 80)); b.listen(128)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 5353))
d = socket.create_connection(("127.0.0.1", 8080))
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def namespace():
    """A process in a network namespace of its own, with listeners; its pid."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs root, unshare and ip")
    child = subprocess.Popen(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" -c "$1"',
                              sys.executable, CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        yield child.pid
    finally:
        child.kill()
        child.wait()


def _files(pid):
    capture = core.Capture(timeout=5.0)
    capture.socket_tables(pid)
    capture.wait()
    return capture, capture.sections["files"]


def _read(path):
    with open(path) as handle:
        return handle.read()


@needs_diag
def test_container_namespace_tables_from_sock_diag(namespace):
    capture, files = _files(namespace)
    base = "/proc/%d/net/" % namespace
    for name in core.SOCKET_TABLES:
        record = files[base + name]
        assert record["source"] == sockdiag.SOURCE
        assert parse_table(record["content"], name) == parse_table(_read(base + name), name)
    assert {"proto": "tcp", "ip": "127.0.0.1", "port": 8080} in parse_table(files[base + "tcp"]["content"], "tcp")
    assert {"proto": "udp", "ip": "0.0.0.0", "port": 5353} in parse_table(files[base + "udp"]["content"], "udp")
    # Every thread of ours is back in our own namespace.
    own = os.readlink("/proc/self/ns/net")
    tasks = os.listdir("/proc/self/task")
    assert tasks and all(os.readlink("/proc/self/task/%s/ns/net" % task) == own for task in tasks)


def test_without_sock_diag_the_files_are_read(namespace, monkeypatch):
    monkeypatch.setattr(sockdiag, "modules_ready", lambda modules, builtin, module: False)
    capture, files = _files(namespace)
    base = "/proc/%d/net/" % namespace
    for name in core.SOCKET_TABLES:
        assert "source" not in files[base + name]
        assert parse_table(files[base + name]["content"], name) == parse_table(_read(base + name), name)
    # The whole file: the established connection too.
    assert "01" in [line.split()[3] for line in files[base + "tcp"]["content"].splitlines()[1:]]


@needs_diag
def test_containers_sharing_a_namespace_ask_once(namespace, monkeypatch):
    asked = []
    real = sockdiag.NetnsListeners.tables
    monkeypatch.setattr(sockdiag.NetnsListeners, "tables",
                        lambda self, pid, names: asked.append(pid) or real(self, pid, names))
    capture = core.Capture(timeout=5.0)
    capture.socket_tables(namespace)
    capture.socket_tables(namespace)    # e.g. a second container with --network container:ID
    capture.wait()
    assert asked == [namespace]


def test_a_process_gone_is_recorded_as_the_file_read_says():
    gone = _dead_pid()
    capture, files = _files(gone)
    for name in core.SOCKET_TABLES:
        assert files["/proc/%d/net/%s" % (gone, name)] == {"error": "not_found"}


def _dead_pid():
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid

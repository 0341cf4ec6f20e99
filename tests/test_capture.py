"""The capture: runs for real on this machine, against fake engines, and on old Pythons.

Engine bodies: tests/data/capture/engine/dockerd-20.10.24.json, recorded from a real
dockerd 20.10.24 (see its "_source"). Everything else reads this host as it is.
"""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hostcheck.capture import core, take
from hostcheck.capture.engine_api import EngineClient, EngineError, demultiplex, resolve_endpoint
from hostcheck.capture.redact import REDACTED
from hostcheck.capture.runner import run_command

REPO_ROOT = Path(__file__).resolve().parent.parent
ENGINE = json.loads((REPO_ROOT / "tests/data/capture/engine/dockerd-20.10.24.json").read_text())
FAILED_ID = "2b8dec82bbe6bec25bb94f52fd29b70163776880dfa38a6097729f07992ee3b5"

REQUIRED_FILES = (
    "/etc/os-release", "/etc/kylin-release", "/etc/openEuler-release", "/etc/redhat-release",
    "/etc/centos-release", "/etc/lsb-release", "/etc/debian_version", "/etc/uos-release",
    "/proc/version", "/proc/cpuinfo", "/proc/mounts", "/proc/filesystems", "/proc/modules",
    "/proc/sys/fs/binfmt_misc/status", "/proc/sys/net/ipv4/ip_forward",
    "/proc/sys/net/bridge/bridge-nf-call-iptables", "/proc/net/route", "/etc/resolv.conf",
    "/run/systemd/resolve/resolv.conf", "/etc/docker/daemon.json",
    "/usr/share/doc/runc/changelog.Debian.gz",
)
REQUIRED_COMMANDS = (
    "docker --version", "dockerd --version", "containerd --version", "runc --version",
    "crun --version", "podman --version", "iptables --version", "iptables-save",
    "ip6tables-save", "iptables-legacy-save", "iptables-nft-save", "firewall-cmd --state",
    "firewall-cmd --get-active-zones", "ip -j addr", "ip -j route", "getconf PAGESIZE",
    "rpm -q --changelog runc",
)
CODES = {"not_found", "permission_denied", "timeout", "not_running", "skipped", "error"}


def check_document(doc):
    """What every capture must hold, whatever the host (SPEC's required probes)."""
    assert doc["format"] == "hostcheck.capture/v1"
    assert doc["tool"]["name"] == "hostcheck" and doc["tool"]["version"]
    assert doc["captured_at"].endswith("Z")
    for key in ("python", "privileges", "uname", "files", "dirs", "commands", "docker", "stat",
                "statvfs", "processes"):
        assert key in doc, key
    for path in REQUIRED_FILES:
        assert path in doc["files"], path
    assert any(p in doc["files"] for p in ("/proc/config.gz", "/boot/config-" + doc["uname"]["release"]))
    assert "/proc/sys/fs/binfmt_misc" in doc["dirs"]
    for key in REQUIRED_COMMANDS:
        record = doc["commands"][key]
        assert record["argv"] == key.split()
        assert ("rc" in record) != ("error" in record), record
        assert record.get("error", "not_found") in CODES
    assert "/var/run/docker.sock" in doc["stat"]
    assert doc["statvfs"], "no statvfs entry"
    assert doc["docker"]["error"] is None or doc["docker"]["error"] in CODES


# ------------------------------------------------------------------ commands


def test_hanging_command_is_cut_and_recorded_as_timeout():
    started_procs = []
    began = time.monotonic()
    record = run_command(["sleep", "30"], timeout=0.3, on_start=lambda proc, running: started_procs.append(proc))
    elapsed = time.monotonic() - began
    assert record["error"] == "timeout" and record["argv"] == ["sleep", "30"]
    assert "rc" not in record and "stdout" not in record
    assert elapsed < 2.0
    assert started_procs[0].poll() is not None  # killed and reaped, not left behind


def test_command_environment_and_not_found():
    record = run_command(["env"], timeout=5)
    assert record["rc"] == 0
    env = dict(line.split("=", 1) for line in record["stdout"].splitlines() if "=" in line)
    assert env["LC_ALL"] == "C"
    assert {"/usr/local/sbin", "/usr/sbin", "/sbin"} <= set(env["PATH"].split(":"))
    assert run_command(["hostcheck-no-such-tool", "--version"]) == {
        "argv": ["hostcheck-no-such-tool", "--version"], "error": "not_found"}


def test_output_truncation():
    record = run_command(["head", "-c", "100000", "/dev/zero"], max_output=65536)
    assert record["truncated"] is True and len(record["stdout"]) == 65536


def test_root_only_commands_are_not_run_without_root():
    capture = core.Capture(timeout=1.0)
    capture.euid = 1000
    capture.command(("iptables-save",))
    capture.wait()
    assert capture.sections["commands"]["iptables-save"] == {
        "argv": ["iptables-save"], "error": "permission_denied", "detail": "needs root"}


# ------------------------------------------------------------------ host probes


AUTOFS_LINE = ("systemd-1 /proc/sys/fs/binfmt_misc autofs rw,relatime,fd=30,pgrp=1,timeout=0,"
               "minproto=5,maxproto=5,direct,pipe_ino=16161 0 0\n")
MOUNTED_LINE = "binfmt_misc /proc/sys/fs/binfmt_misc binfmt_misc rw,nosuid,nodev,noexec,relatime 0 0\n"


def test_binfmt_state_from_proc_mounts():
    assert core.binfmt_state(AUTOFS_LINE) == (False, True)
    assert core.binfmt_state(AUTOFS_LINE + MOUNTED_LINE) == (True, False)
    assert core.binfmt_state("proc /proc proc rw 0 0\n") == (False, False)


def test_autofs_binfmt_is_left_alone(monkeypatch):
    touched = []
    real_listdir, real_read = os.listdir, core.read_text
    monkeypatch.setattr(core.os, "listdir", lambda p: touched.append(p) or real_listdir(p))
    monkeypatch.setattr(core, "read_text", lambda p, **kw: touched.append(p) or real_read(p, **kw))
    capture = core.Capture(timeout=1.0)
    capture._binfmt(AUTOFS_LINE)
    capture.wait()
    assert capture.sections["dirs"][core.BINFMT_DIR] == {
        "error": "skipped", "detail": "autofs: binfmt_misc not mounted; not triggering the automount"}
    assert capture.sections["files"][core.BINFMT_DIR + "/status"]["error"] == "skipped"
    assert not [p for p in touched if p.startswith(core.BINFMT_DIR)]


def test_mounted_binfmt_lists_and_reads_every_entry(tmp_path, monkeypatch):
    fake = tmp_path / "binfmt_misc"
    fake.mkdir()
    source = REPO_ROOT / "tests/data/capture/binfmt"
    for name in ("status", "qemu-arm"):
        (fake / name).write_text((source / name).read_text())
    (fake / "register").write_text("")
    monkeypatch.setattr(core, "BINFMT_DIR", str(fake))
    capture = core.Capture(timeout=2.0)
    capture._binfmt("binfmt_misc %s binfmt_misc rw,nosuid,nodev,noexec,relatime 0 0\n" % fake)
    capture.wait()
    assert capture.sections["dirs"][str(fake)] == {"entries": ["qemu-arm", "register", "status"]}
    files = capture.sections["files"]
    assert files[str(fake / "status")] == {"content": "enabled\n"}
    assert "flags: POCF" in files[str(fake / "qemu-arm")]["content"]
    assert files[str(fake / "register")]["error"] == "skipped"
    # The interpreter named by the entry is looked at (does the emulator still exist?).
    assert "/usr/bin/qemu-arm" in capture.sections["stat"]


def test_psutil_process_table_and_listeners():
    pytest.importorskip("psutil")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        capture = core.Capture(timeout=5.0)
        capture.process_probes()
        capture.wait()
    finally:
        server.close()
    assert capture.extra["processes"]["source"] == "psutil"
    if "listeners_error" in capture.extra:  # not root: psutil may refuse
        assert capture.extra["listeners_error"]["error"] == "permission_denied"
        return
    mine = [item for item in capture.extra["listeners"] if item["port"] == port]
    assert mine == [{"proto": "tcp", "ip": "127.0.0.1", "port": port, "pid": os.getpid(),
                     "name": capture_name(os.getpid())}]


def test_process_table_names_are_psutils(tmp_path):
    """With psutil, the capture's table is psutil.process_iter's (its names: a name the
    kernel cut at 15 characters is extended from the command line), read from /proc alone."""
    psutil = pytest.importorskip("psutil")
    long_named = tmp_path / "hostcheck-a-long-process-name"
    long_named.symlink_to(shutil.which("sleep"))
    proc = subprocess.Popen([str(long_named), "30"])
    # Enough processes with a command line to compare, on a quiet host too.
    others = [subprocess.Popen(["sleep", "30"]) for _ in range(12)]
    try:
        time.sleep(0.2)
        ours = dict((item["pid"], item["name"]) for item in core._proc_table(long_names=True))
        theirs = {}
        for process in psutil.process_iter():
            try:
                theirs[process.pid] = (process.name(), process.cmdline())
            except psutil.Error:
                continue
    finally:
        for child in [proc] + others:
            child.kill()
            child.wait()
    assert ours[proc.pid] == theirs[proc.pid][0] == "hostcheck-a-long-process-name"
    # Kernel threads (no command line) may change their name between the two reads.
    common = [pid for pid in ours if pid in theirs and theirs[pid][1]]
    assert len(common) > 10
    assert [(pid, ours[pid]) for pid in common] == [(pid, theirs[pid][0]) for pid in common]


def capture_name(pid):
    with open("/proc/%d/comm" % pid) as handle:
        return handle.read().strip()


def test_socket_tables_read_once_per_network_namespace(monkeypatch):
    reads = []
    real_read = core.read_text
    monkeypatch.setattr(core, "read_text", lambda p, **kw: reads.append(p) or real_read(p, **kw))
    capture = core.Capture(timeout=2.0)
    capture.socket_tables()               # the host
    capture.socket_tables(os.getpid())    # a "container" in the host's namespace
    capture.wait()
    files = capture.sections["files"]
    for name in core.SOCKET_TABLES:
        mine = "/proc/%d/net/%s" % (os.getpid(), name)
        assert "content" in files[mine]
        if not files[mine].get("source"):   # else sock_diag answered (test_capture_sockdiag.py)
            assert files[mine] == files["/proc/net/" + name]
    assert len(reads) == len(core.SOCKET_TABLES)


def test_log_lines_kept_are_only_the_known_failures():
    lines = [
        "exec /bin/uname: exec format error",
        "standard_init_linux.go:228: exec user process caused: exec format error",
        "exec /bin/uname: no such file or directory",
        "<jemalloc>: Unsupported system page size",
        "exec /entrypoint.sh: permission denied",
        "open /etc/app.conf: no such file or directory",
        "password=hunter2 permission denied for user",
        "hello world",
    ]
    assert core.matching_log_lines("\n".join(lines) + "\n") == lines[:5]


def test_firewalld_detection():
    assert core._is_firewalld("firewalld", lambda: "")
    assert core._is_firewalld("python3", lambda: "/usr/bin/python3\0/usr/sbin/firewalld\0--nofork")
    # Debian's shebang is `#!/usr/bin/python3 -s`; firewalld's own unit starts it with --nofork --nopid.
    assert core._is_firewalld("python3", lambda: "/usr/bin/python3\0-s\0/usr/sbin/firewalld\0--nofork\0--nopid\0")
    assert core._is_firewalld("python3.6", lambda: "/usr/bin/python3.6\0-Es\0/usr/sbin/firewalld\0--nofork")
    assert not core._is_firewalld("python3", lambda: "/usr/bin/python3\0-m\0http.server")
    # A word "firewalld" anywhere else on the command line is not firewalld.
    for cmdline in ("/usr/bin/python3\0-m\0pytest\0-k\0firewalld",
                    "/usr/bin/python3\0/usr/local/bin/hostcheck\0--only\0firewall-firewalld-state",
                    "/usr/bin/python3\0/usr/local/bin/pytest\0tests/integration/test_env_firewalld.py",
                    "/usr/bin/python3\0-c\0import firewalld",
                    "/usr/bin/python3\0-W\0ignore\0/opt/firewalld-exporter\0firewalld",
                    "/usr/bin/python3\0/srv/firewalld/app.py"):
        assert not core._is_firewalld("python3", lambda: cmdline), cmdline
    assert not core._is_firewalld("bash", lambda: "/bin/bash\0/usr/sbin/firewalld")


def test_firewalld_process_scan_ignores_a_process_that_only_mentions_it(monkeypatch, tmp_path):
    """A real python process with `-k firewalld` on its command line (as `pytest -k firewalld`)
    runs while the capture scans the process table: firewall-cmd is not run for it."""
    script = tmp_path / "pytest"
    script.write_text("import time\ntime.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, str(script), "-k", "firewalld"])
    time.sleep(0.2)         # its /proc/PID/cmdline is the script's once exec is done
    try:
        capture = core.Capture(timeout=2.0)
        monkeypatch.setattr(core, "_proc_table", lambda long_names=False: [{"pid": proc.pid, "name": "python3"}])
        capture.sockets = False
        capture.process_probes()
        capture.wait()
    finally:
        proc.kill()
        proc.wait()
    assert capture.sections["commands"]["firewall-cmd --state"] == {
        "argv": ["firewall-cmd", "--state"], "error": "not_running", "detail": "no firewalld process"}


def test_log_matching_is_linear():
    """The capture's log filter on hostile lines: 1 MiB of "exec " took minutes as the regex
    'exec.*no such file or directory'; two finds are linear."""
    for line in ("exec " * (1024 * 1024 // 5), "permission denied " * 60000, "x" * (1024 * 1024)):
        began = time.process_time()
        core.matching_log_lines(line + "\n")
        assert time.process_time() - began < 0.5
    assert core.matching_log_lines("exec " * 13000 + "no such file or directory\n") == [
        "exec " * 13000 + "no such file or directory"]


# ------------------------------------------------------------------ engine API


class FakeEngine(object):
    """A unix-socket HTTP server answering recorded Engine API bodies (or never answering)."""

    def __init__(self, path, responses=None, logs=None, silent=False):
        self.path = str(path)
        self.responses = responses or {}
        self.logs = logs or {}
        self.silent = silent
        self.requests = []
        self.held = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(64)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            if self.silent:
                self.held.append(conn)  # accept, read nothing, answer nothing
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return conn.close()
            data += chunk
        path = data.split(b" ")[1].decode()
        self.requests.append(path)
        container_id = path.split("/")[2] if path.count("/") > 2 else None
        if path.endswith("/logs?stdout=1&stderr=1&tail=50") and container_id in self.logs:
            self._send(conn, 200, self.logs[container_id], chunked=True,
                       content_type="application/vnd.docker.raw-stream")
        elif path in self.responses:
            body = json.dumps(self.responses[path]).encode()
            # Like dockerd: small bodies with a length, larger ones chunked.
            self._send(conn, 200, body, chunked=len(body) > 4096)
        else:
            self._send(conn, 404, b'{"message":"page not found"}')
        conn.close()

    @staticmethod
    def _send(conn, status, body, chunked=False, content_type="application/json"):
        head = "HTTP/1.1 %d X\r\nContent-Type: %s\r\nApi-Version: 1.41\r\n" % (status, content_type)
        if chunked:
            pieces = [body[i:i + 1000] for i in range(0, len(body), 1000)]
            payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
            conn.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode() + payload)
        else:
            conn.sendall((head + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body)

    def close(self):
        self.server.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def fake_engine(tmp_path, monkeypatch):
    engines = []

    def start(**kwargs):
        engine = FakeEngine(tmp_path / "docker.sock", **kwargs)
        engines.append(engine)
        monkeypatch.setenv("DOCKER_HOST", "unix://" + engine.path)
        return engine

    yield start
    for engine in engines:
        engine.close()


def recorded_engine(start):
    logs = {cid: base64.b64decode(raw) for cid, raw in ENGINE["logs_raw_b64"].items()}
    return start(responses=ENGINE["responses"], logs=logs)


def test_engine_client_reads_content_length_and_chunked_bodies(fake_engine):
    engine = recorded_engine(fake_engine)
    client = EngineClient(engine.path, timeout=2)
    assert client.get_json("/version") == ENGINE["responses"]["/version"]
    assert client.get_json("/info") == ENGINE["responses"]["/info"]  # > 4 KiB: chunked
    with pytest.raises(EngineError) as raised:
        client.get_json("/containers/nope/json")
    assert raised.value.code == "not_found" and raised.value.status == 404


def test_capture_against_recorded_engine(fake_engine):
    engine = recorded_engine(fake_engine)
    doc = take(timeout=2.0)
    check_document(doc)
    docker = doc["docker"]
    assert docker["error"] is None and docker["endpoint"] == "unix://" + engine.path
    assert set(docker["responses"]) == set(ENGINE["responses"])  # lists, then every inspect
    for name in ("dockerd --version", "containerd --version", "runc --version"):
        assert doc["commands"][name] == {"argv": name.split(), "error": "skipped", "detail": "engine /version"}
    failed = docker["responses"]["/containers/%s/json" % FAILED_ID]
    assert failed["Config"]["Env"] == ["API_TOKEN=" + REDACTED, "HTTP_PROXY=" + REDACTED]
    assert "s3cr3t" not in json.dumps(doc) and "pw0rd" not in json.dumps(doc)
    # Logs only of containers that exited non-zero, and only the known failure lines.
    assert docker["logs"][FAILED_ID] == ["exec /app/server: exec format error"]
    exited = [body["Id"] for path, body in ENGINE["responses"].items()
              if path.startswith("/containers/") and isinstance(body, dict)
              and body["State"]["Status"] == "exited" and body["State"]["ExitCode"]]
    assert sorted(docker["logs"]) == sorted(exited)
    # Per running container: its network namespace's tables and its resolv.conf.
    for path, body in ENGINE["responses"].items():
        if path.startswith("/containers/") and isinstance(body, dict):
            assert body["ResolvConfPath"] in doc["files"]
            if body["State"]["Running"]:
                for name in ("tcp", "tcp6", "udp", "udp6"):
                    assert "/proc/%d/net/%s" % (body["State"]["Pid"], name) in doc["files"]
    info = ENGINE["responses"]["/info"]
    assert info["DockerRootDir"] in doc["statvfs"]
    validate_schema(doc)


def test_checks_capture_leaves_out_running_containers_inspects(fake_engine):
    """take(sockets=False), `check`'s capture: running containers are known from the list
    alone (tests/test_check_capture.py shows the report does not change); the others are
    inspected, and those that exited non-zero have their logs read."""
    engine = recorded_engine(fake_engine)
    doc = take(timeout=2.0, sockets=False)
    responses = doc["docker"]["responses"]
    listed = ENGINE["responses"]["/containers/json?all=1"]
    running = [item["Id"] for item in listed if item["State"] == "running"]
    others = [item["Id"] for item in listed if item["State"] != "running"]
    assert running and others
    assert not [cid for cid in running if "/containers/%s/json" % cid in responses]
    assert all("/containers/%s/json" % cid in responses for cid in others)
    assert not [path for path in engine.requests if path.split("/")[2:3] and path.split("/")[2] in running]
    assert doc["docker"]["logs"][FAILED_ID] == ["exec /app/server: exec format error"]
    assert not [path for path in doc["files"] if re.match(r"/proc/(\d+/)?net/(tcp|udp)", path)]
    # The whole capture still reads every one (SPEC), as take(running_inspects=True) does.
    assert set(take(timeout=2.0, sockets=False, running_inspects=True)["docker"]["responses"]) == set(
        ENGINE["responses"])


def test_silent_engine_times_out_within_the_deadline(fake_engine):
    fake_engine(silent=True)
    began = time.monotonic()
    doc = take(timeout=0.3)
    elapsed = time.monotonic() - began
    assert doc["docker"]["error"] == "timeout"
    assert "did not answer" in doc["docker"]["detail"]
    assert elapsed < 3 * 0.3 + 1.5, elapsed
    # The engine did not answer /version: the version commands ran (or were not found).
    assert doc["commands"]["runc --version"].get("error") != "skipped"


def test_no_socket_at_docker_host_is_named_missing(tmp_path, monkeypatch):
    """DOCKER_HOST names a socket that is not there: that, not "not running" (tests/test_engine_select.py
    has the default socket's case and the other endpoints)."""
    monkeypatch.setenv("DOCKER_HOST", "unix://" + str(tmp_path / "absent.sock"))
    doc = take(timeout=1.0)
    docker = doc["docker"]
    assert (docker["error"], docker["state"], docker["endpoint_source"]) == ("not_found", "socket_missing", "env DOCKER_HOST")
    assert docker["detail"] == "no socket at %s (named by env DOCKER_HOST)" % (tmp_path / "absent.sock")
    assert "/var/lib/docker" in doc["statvfs"]


def test_remote_docker_host_is_read_as_the_docker_cli_would(monkeypatch):
    """A remote DOCKER_HOST is the engine the user named: it is asked (here nothing answers at
    a documentation address), never swapped for the local socket."""
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.50:2375")
    endpoint = resolve_endpoint()
    assert (endpoint.url, endpoint.source, endpoint.local) == ("tcp://192.0.2.50:2375", "env DOCKER_HOST", False)
    connected = []
    real_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connected.append(address) or
                        real_connect(self, address))
    doc = take(timeout=0.5)
    assert (doc["docker"]["endpoint"], doc["docker"]["local"]) == ("tcp://192.0.2.50:2375", False)
    assert doc["docker"]["state"] in ("timeout", "unreachable"), doc["docker"]
    assert ("192.0.2.50", 2375) in connected
    assert not [a for a in connected if isinstance(a, str) and a.endswith("docker.sock")], connected


def test_demultiplex_recorded_log_stream():
    raw = base64.b64decode(ENGINE["logs_raw_b64"][FAILED_ID])
    assert demultiplex(raw).decode() == (
        "exec /app/server: exec format error\nstarting\nopen config: no such file or directory\n")
    assert demultiplex(b"plain tty text\n") == b"plain tty text\n"


# ------------------------------------------------------------------ this host, for real


def test_capture_this_host_for_real():
    doc = take(timeout=5.0)
    check_document(doc)
    assert doc["uname"]["nodename"] == os.uname().nodename
    assert doc["files"]["/proc/version"]["content"].startswith("Linux version")
    assert doc["processes"]["source"] in ("psutil", "proc")
    assert any(item["pid"] == os.getpid() for item in doc["processes"]["items"])
    validate_schema(doc)


def validate_schema(doc):
    """The shipped capture schema (hostcheck/data/schema/capture.json), when jsonschema is here."""
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = REPO_ROOT / "hostcheck/data/schema/capture.json"
    jsonschema.validate(doc, json.loads(schema_path.read_text()))


def test_redacted_capture_hides_the_hostname():
    doc = take(timeout=5.0, redact=True)
    assert doc["redacted"] is True
    nodename = os.uname().nodename
    assert doc["uname"]["nodename"] != nodename and doc["uname"]["nodename"].startswith("host-")


@pytest.mark.parametrize("minor", ["3.6", "3.7"])
def test_module_entry_point_on_old_python(old_python, minor, tmp_path):
    """`python -m hostcheck.capture -o FILE` from a checkout, on the Pythons of CentOS 7 / Kylin V10."""
    output = tmp_path / "out" / "capture.json"
    output.parent.mkdir()
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(private_tmp), PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    result = subprocess.run([str(old_python(minor)), "-m", "hostcheck.capture", "-o", str(output),
                             "--timeout", "5"], cwd=str(REPO_ROOT), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"" and result.stderr == b""
    doc = json.loads(output.read_text())
    check_document(doc)
    assert doc["python"].startswith(minor + ".")
    assert os.listdir(str(output.parent)) == ["capture.json"]  # nothing beside the output
    assert os.listdir(str(private_tmp)) == []


def test_module_entry_point_writes_only_its_output(tmp_path):
    """Run from an empty directory: the only new file is the one asked for."""
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=str(REPO_ROOT), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, "-m", "hostcheck.capture", "-o", "c.json"], cwd=str(tmp_path),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert os.listdir(str(tmp_path)) == ["c.json"]
    check_document(json.loads((tmp_path / "c.json").read_text()))


def test_module_entry_point_usage_errors():
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    for args in (["--timeout", "0"], ["--timeout", "soon"], ["--bogus"]):
        result = subprocess.run([sys.executable, "-m", "hostcheck.capture"] + args, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        assert result.returncode == 2, args
        assert b"Traceback" not in result.stderr


def test_non_ascii_document_to_an_ascii_stdout(monkeypatch, capsysbinary):
    """Python 3.6 in the C locale: stdout is ASCII, the capture is written as UTF-8 bytes."""
    from hostcheck.capture import __main__ as entry
    monkeypatch.setattr(entry.capture, "take", lambda timeout, redact: {"NAME": "银河麒麟"})
    assert entry.main(["-o", "-"]) == 0
    assert json.loads(capsysbinary.readouterr().out.decode("utf-8")) == {"NAME": "银河麒麟"}


def test_stdout_output_is_the_document():
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, "-m", "hostcheck.capture", "-o", "-", "--redact"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout.decode())["redacted"] is True


# ------------------------------------------------------------------ real engine (integration)


@pytest.mark.integration
def test_capture_with_the_real_engine(docker_engine):
    doc = take(timeout=5.0)
    docker = doc["docker"]
    assert docker["error"] is None, docker
    responses = docker["responses"]
    for path in ("/version", "/info", "/containers/json?all=1", "/networks", "/images/json"):
        assert path in responses, path
    for item in responses["/containers/json?all=1"]:
        assert "/containers/%s/json" % item["Id"] in responses or \
            "/containers/%s/json" % item["Id"] in docker.get("errors", {})  # removed meanwhile
    for item in responses["/images/json"]:
        assert "/images/%s/json" % item["Id"] in responses or "/images/%s/json" % item["Id"] in docker.get("errors", {})
    for item in responses["/networks"]:
        assert "/networks/%s" % item["Id"] in responses or "/networks/%s" % item["Id"] in docker.get("errors", {})
    assert doc["commands"]["runc --version"]["error"] == "skipped"
    assert doc["stat"]["/var/run/docker.sock"]["type"] == "socket"
    assert responses["/info"]["DockerRootDir"] in doc["statvfs"]

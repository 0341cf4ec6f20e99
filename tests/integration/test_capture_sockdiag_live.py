"""A running container's socket tables come from netlink sock_diag (hostcheck/capture/sockdiag.py)
instead of its /proc/<pid>/net files: on real containers, with published ports and
listeners, the capture gives the net trees the listening sockets the files show, and the
diagnosis of `net port` is the same live and from the capture.

Containers: hc-test-sd-* (busybox httpd), removed afterwards. Run under the integration lock.
"""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from hostcheck.parse.sockets import parse_table

REPO = Path(__file__).resolve().parents[2]
from net_helpers import judge, wait_until

TABLES = ("tcp", "tcp6", "udp", "udp6")


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def containers(docker_engine, busybox_image):
    image = busybox_image("amd64")
    tag = uuid.uuid4().hex[:6]
    names = []

    def run(base, *command, args=()):
        name = "hc-test-sd-%s-%s" % (base, tag)
        names.append(name)
        docker_engine("run", "-d", "--pull=never", "--name", name, *args, image, *command)
        assert wait_until(lambda: "running" in docker_engine("inspect", "-f", "{{.State.Status}}", name).stdout)
        return name

    yield run
    if names:
        docker_engine("rm", "-f", *names, check=False)


def _pid(docker_engine, name):
    return docker_engine.inspect(name)[0]["State"]["Pid"]


def _read(path):
    with open(path) as handle:
        return handle.read()


def test_capture_holds_the_listening_sockets_the_files_show(containers, docker_engine, tmp_path):
    published = free_port()
    web = containers("web", "httpd", "-f", "-p", "80", "-h", "/www", args=("-p", "%d:80" % published))
    loop = containers("lo", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www",
                      args=("-p", "%d:8080" % free_port()))
    # udhcpd listens on UDP 0.0.0.0:67 (busybox nc speaks no UDP).
    dns = containers("udp", "sh", "-c", "printf 'interface lo\\nlease_file /tmp/leases\\n' > /tmp/u.conf; "
                     "udhcpd /tmp/u.conf; exec httpd -f -p [::]:8443 -h /www", args=("--network", "none"))
    expected = {web: ("tcp", 80), loop: ("tcp", 8080), dns: ("udp", 67)}
    for name, (proto, port) in expected.items():    # the servers are up before the capture
        pid = _pid(docker_engine, name)
        assert wait_until(lambda: any(s["port"] == port for table in TABLES if table.startswith(proto)
                                      for s in parse_table(_read("/proc/%d/net/%s" % (pid, table)), table)))
    path = tmp_path / "capture.json"
    result = subprocess.run([sys.executable, "-m", "hostcheck.capture", "-o", str(path)],
                            capture_output=True, text=True, timeout=120, cwd=str(REPO))
    assert result.returncode == 0, result.stderr
    files = json.loads(path.read_text())["files"]
    listening = {}
    for name in (web, loop, dns):
        pid = _pid(docker_engine, name)
        for table in TABLES:
            record = files["/proc/%d/net/%s" % (pid, table)]
            assert record.get("source", "").startswith("netlink sock_diag"), record
            real = parse_table(_read("/proc/%d/net/%s" % (pid, table)), table)
            assert parse_table(record["content"], table) == real
            listening.setdefault(name, []).extend(real)
    assert {"proto": "tcp6", "ip": "::", "port": 80} in listening[web] or \
        {"proto": "tcp", "ip": "0.0.0.0", "port": 80} in listening[web]
    assert {"proto": "tcp", "ip": "127.0.0.1", "port": 8080} in listening[loop]
    assert {"proto": "udp", "ip": "0.0.0.0", "port": 67} in listening[dns]
    assert {"proto": "tcp6", "ip": "::", "port": 8443} in listening[dns]


def test_net_port_diagnosis_from_the_capture_is_the_live_one(containers, tmp_path):
    port = free_port()
    containers("lo", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www", args=("-p", "%d:8080" % port))
    live, replay = judge(tmp_path, "port", str(port))
    assert live["verdict"]["id"] == replay["verdict"]["id"] == "listens-on-loopback"
    assert "127.0.0.1:8080/tcp" in live["verdict"]["text"] and "127.0.0.1:8080/tcp" in replay["verdict"]["text"]
    open_port = free_port()
    containers("web", "httpd", "-f", "-p", "0.0.0.0:80", "-h", "/www", args=("-p", "%d:80" % open_port))
    live, replay = judge(tmp_path, "port", str(open_port))
    assert live["verdict"]["id"] == replay["verdict"]["id"]
    assert live["verdict"]["id"] in ("open", "open-without-proxy"), live["verdict"]

"""Machinery for the network scenarios: run hostcheck live and from a capture, real traffic
with short timeouts, network namespaces standing in for "outside" and a LAN.

Only loopback, Docker bridges of the project's own subnets (10.231.x.0/24, 10.232.0.0/24)
and addresses assigned inside namespaces created here are ever contacted.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PREFIX = "hc-net-"


def sh(*argv, check=True, timeout=60):
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(argv), result.returncode, result.stderr.strip()))
    return result


def hostcheck(*args):
    """`hostcheck ARGS --json` as a user runs it; returns (exit code, report)."""
    result = subprocess.run([sys.executable, "-m", "hostcheck"] + list(args) + ["--json"],
                            capture_output=True, text=True, timeout=120, cwd=str(REPO))
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def capture(directory):
    path = Path(directory) / ("capture-%s.json" % uuid.uuid4().hex[:8])
    result = subprocess.run([sys.executable, "-m", "hostcheck", "capture", "-o", str(path)],
                            capture_output=True, text=True, timeout=120, cwd=str(REPO))
    assert result.returncode == 0, result.stderr
    return path


def judge(tmp_path, *args):
    """The tree verdict of `hostcheck net ARGS` live and from a capture of the same state:
    (live tree, captured tree); both must agree on the verdict id."""
    _, live = hostcheck("net", *args)
    path = capture(tmp_path)
    _, replay = hostcheck("net", *(list(args) + ["--capture", str(path)]))
    live_tree, replay_tree = live["trees"][0], replay["trees"][0]
    assert live_tree["verdict"]["id"] == replay_tree["verdict"]["id"], (live_tree, replay_tree)
    return live_tree, replay_tree


def findings(tmp_path, rule_id):
    """Findings of one rule, live (`check`) and from a capture (`analyze`)."""
    _, live = hostcheck("check", "--only", rule_id)
    path = capture(tmp_path)
    _, replay = hostcheck("analyze", str(path), "--only", rule_id)
    return live["findings"], replay["findings"]


def http_get(url, timeout=3):
    """An HTTP GET from the host (urllib; the host's static busybox wget segfaults here);
    True when a test page came back."""
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return b"page" in response.read(4096)
    except Exception:
        return False


def http_get_from(docker, container, url, timeout=3):
    """An HTTP GET from inside a test container (the test's own probe, not hostcheck's), with
    busybox nc: the static busybox's wget segfaults here (exit 139), its nc resolves and connects."""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    script = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w %d %s %s" % (timeout, host, port or "80")
    try:
        result = docker("exec", container, "sh", "-c", script, check=False, timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0 and "page" in result.stdout


def wait_until(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return predicate()


def run_remediation(commands, substitutions=None):
    """Run the shell commands of a verdict's remediation (comments skipped), as printed."""
    for command in commands:
        if command.lstrip().startswith("#"):
            continue
        for old, new in (substitutions or {}).items():
            command = command.replace(old, new)
        result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, "%s: %s" % (command, result.stderr)


class Namespace(object):
    """A network namespace joined to the host by a veth pair, with busybox httpd inside.

    host side HOST_IP/24 on `host_if`, namespace side NS_IP/24; the namespace has no other
    route, so a packet with a source outside its /24 gets no reply.
    """

    def __init__(self, name, host_if, host_ip, ns_ip, port, www):
        self.name, self.host_if, self.host_ip, self.ns_ip, self.port = name, host_if, host_ip, ns_ip, port
        self.www = www
        self.server = None

    @property
    def url(self):
        return "http://%s:%d/" % (self.ns_ip, self.port)

    def __enter__(self):
        peer = self.host_if[:-1] + "1"
        sh("ip", "netns", "add", self.name)
        try:
            sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", peer)
            sh("ip", "link", "set", peer, "netns", self.name)
            sh("ip", "addr", "add", self.host_ip + "/24", "dev", self.host_if)
            sh("ip", "link", "set", self.host_if, "up")
            inside = ("ip", "netns", "exec", self.name)
            sh(*inside, "ip", "addr", "add", self.ns_ip + "/24", "dev", peer)
            sh(*inside, "ip", "link", "set", peer, "up")
            sh(*inside, "ip", "link", "set", "lo", "up")
            Path(self.www).mkdir(parents=True, exist_ok=True)
            (Path(self.www) / "index.html").write_text("outside page\n")
            self.server = subprocess.Popen(list(inside) + ["busybox", "httpd", "-f", "-p",
                                           "%s:%d" % (self.ns_ip, self.port), "-h", str(self.www)])
            assert wait_until(lambda: http_get(self.url) or self.server.poll() is not None, 5)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.server is not None:
            self.server.terminate()
            self.server.wait(5)
        sh("ip", "link", "del", self.host_if, check=False)
        sh("ip", "netns", "del", self.name, check=False)


def have_root_tools():
    return os.geteuid() == 0 and shutil.which("ip") and shutil.which("busybox") and shutil.which("iptables")

"""Scenarios whose remediation is "restart Docker": a flushed nat table, firewalld stopped
under a dockerd that started while it ran, and firewalld started after dockerd.

Restarting the shared dockerd would kill other engineers' containers, so these run only
with HOSTCHECK_INTEGRATION_DESTRUCTIVE=1 and only when no dockerd is running: the fixture
starts its own, restarts it as the remediation (`systemctl restart docker` where systemd
runs it), and stops it at the end. tests/run is meant to run this file last, serially,
after stopping the dockerd it started (see the report of issue 5).
"""

import os
import shutil
import signal
import subprocess
import uuid

import pytest

from net_helpers import Namespace, hostcheck, http_get_from, judge, sh, wait_until

DESTRUCTIVE = os.environ.get("HOSTCHECK_INTEGRATION_DESTRUCTIVE") == "1"
pytestmark = [
    pytest.mark.skipif(not DESTRUCTIVE, reason="restarts dockerd and firewalld: set HOSTCHECK_INTEGRATION_DESTRUCTIVE=1 "
                                               "(tests/run's final serial phase)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


def _dockerd_pids():
    return [int(p) for p in sh("pgrep", "-x", "dockerd", check=False).stdout.split()]


class OwnDockerd(object):
    """A dockerd this test started; restart() is the remediation the trees print."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.process = None

    def start(self):
        log = open(os.path.join(str(self.log_dir), "dockerd-%s.log" % uuid.uuid4().hex[:6]), "w")
        self.process = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT)
        assert wait_until(lambda: sh("docker", "info", check=False, timeout=10).returncode == 0, 30), "dockerd did not start"

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
        self.process = None

    def restart(self):
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory, busybox_image_archive):
    if _dockerd_pids():
        pytest.skip("a dockerd this test did not start is running: restarting it would kill other tests' containers")
    own = OwnDockerd(tmp_path_factory.mktemp("dockerd"))
    own.start()
    try:
        sh("docker", "load", "--input", str(busybox_image_archive))
        yield own
    finally:
        names = sh("docker", "ps", "-aq", "--filter", "name=hc-net-", check=False).stdout.split()
        if names:
            sh("docker", "rm", "-f", *names, check=False)
        own.stop()


@pytest.fixture(scope="module")
def busybox_image_archive(tmp_path_factory):
    from conftest import busybox_rootfs_tar, write_docker_archive, _busybox_binary, _busybox_applets
    path = tmp_path_factory.mktemp("image") / "busybox.tar"
    write_docker_archive(path, busybox_rootfs_tar(_busybox_binary("amd64"), _busybox_applets()),
                         "amd64", None, "hc-test/busybox:amd64")
    return path


IMAGE = "hc-test/busybox:amd64"


def run(name, *command, args=()):
    # --restart: the remediation restarts dockerd, and the container must come back with it;
    # --stop-timeout 1: busybox as PID 1 ignores SIGTERM, dockerd would wait 10 s on each.
    sh("docker", "run", "-d", "--pull=never", "--restart", "unless-stopped", "--stop-timeout", "1",
       "--name", name, *args, IMAGE, *command)
    return name


def docker(*args, check=True, timeout=60):
    return sh("docker", *args, check=check, timeout=timeout)


# ---------------------------------------------------------------- firewalld

class Firewalld(object):
    """D-Bus (started here when absent) and firewalld, stopped again at the end."""

    def __init__(self):
        self.dbus_pid = None
        self.process = None

    def ensure_dbus(self):
        if sh("pgrep", "-x", "dbus-daemon", check=False).returncode == 0:
            return
        os.makedirs("/run/dbus", exist_ok=True)
        if os.path.exists("/run/dbus/pid"):   # left by a bus that is gone: it refuses to start
            os.remove("/run/dbus/pid")
        out = sh("dbus-daemon", "--system", "--fork", "--print-pid").stdout.split()
        self.dbus_pid = int(out[0])

    def state(self):
        return sh("firewall-cmd", "--state", check=False, timeout=20).stdout.strip()

    def start(self):
        self.ensure_dbus()
        self.process = subprocess.Popen(["firewalld", "--nofork", "--nopid"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(lambda: self.state() == "running", 30), "firewalld did not start"

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)
        self.process = None

    def close(self):
        self.stop()
        if self.dbus_pid:
            os.kill(self.dbus_pid, signal.SIGTERM)
            # Wait until it is gone: a dying bus still matches `pgrep -x dbus-daemon`, and the
            # next test would then start firewalld against a bus that refuses connections.
            wait_until(lambda: not os.path.exists("/proc/%d" % self.dbus_pid), 10)
            self.dbus_pid = None
            if os.path.exists("/run/dbus/pid"):
                os.remove("/run/dbus/pid")


@pytest.fixture
def firewalld():
    if not shutil.which("firewalld") or not shutil.which("dbus-daemon"):
        pytest.skip("firewalld / dbus-daemon not installed (apt-get install -y firewalld)")
    if sh("pgrep", "-f", "firewalld --nofork", check=False).returncode == 0:
        pytest.skip("a firewalld this test did not start is running")
    fw = Firewalld()
    yield fw
    fw.close()


# ---------------------------------------------------------------- scenarios

def test_nat_table_flushed(dockerd, tmp_path):
    eg = run("hc-net-nat", "httpd", "-f", "-p", "80", "-h", "/www", args=("-p", "18480:80"))
    with Namespace("hc-net-out", "hc-out0", "10.231.250.1", "10.231.250.2", 8099, tmp_path / "www") as outside:
        assert wait_until(lambda: http_get_from(docker, eg, outside.url)), "baseline egress"
        saved = sh("iptables-save", "-t", "nat").stdout
        try:
            sh("iptables", "-t", "nat", "-F")
            assert not http_get_from(docker, eg, outside.url, timeout=2)
            live, replay = judge(tmp_path, "egress", eg)
            assert live["verdict"]["id"] == "no-masquerade"
            port_live, _ = judge(tmp_path, "port", "%s:80" % eg)
            assert port_live["verdict"]["id"] == "no-dnat"
            assert "systemctl restart docker" in live["verdict"]["remediation"]["commands"]
            dockerd.restart()        # the printed remediation
            saved = None
            assert wait_until(lambda: http_get_from(docker, eg, outside.url), 20)
            live, _ = judge(tmp_path, "egress", eg)
            assert live["verdict"]["id"] in ("egress-open", "mtu-too-big")
        finally:
            if saved is not None:    # the test failed before the remediation: put the rules back
                subprocess.run(["iptables-restore", "--noflush"], input=saved, text=True)


def test_firewalld_stopped_under_dockerd(dockerd, firewalld, tmp_path):
    firewalld.start()
    dockerd.restart()                # dockerd now starts while firewalld runs
    _, report = hostcheck("check", "--only", "firewall-firewalld-docker-zone")
    assert report["findings"][0]["status"] == "pass", report["findings"]
    eg = run("hc-net-fw", "sleep", "300")
    with Namespace("hc-net-out", "hc-out0", "10.231.250.1", "10.231.250.2", 8099, tmp_path / "www") as outside:
        assert wait_until(lambda: http_get_from(docker, eg, outside.url), 10), \
            "no egress even before firewalld stopped: the test proves nothing"
        firewalld.stop()
        chains = sh("iptables", "-t", "nat", "-S", "DOCKER", check=False)
        assert chains.returncode != 0, "the nat DOCKER chain survived the firewalld stop"
        assert not http_get_from(docker, eg, outside.url, timeout=2)
        live, replay = judge(tmp_path, "egress", eg)
        assert live["verdict"]["id"] in ("no-masquerade", "forward-blocked"), live
        dockerd.restart()
        assert wait_until(lambda: http_get_from(docker, eg, outside.url), 20)


def test_firewalld_started_after_dockerd(dockerd, firewalld, tmp_path):
    network = "hc-net-fwz"
    docker("network", "create", "--subnet", "10.231.31.0/24", network)
    try:
        a = run("hc-net-fwa", "sleep", "300", args=("--network", network))
        b = run("hc-net-fwb", "httpd", "-f", "-p", "80", "-h", "/www", args=("--network", network))
        assert wait_until(lambda: http_get_from(docker, a, "http://%s/" % b)), "baseline c2c"
        firewalld.start()            # after dockerd: no docker zone
        assert not http_get_from(docker, a, "http://%s/" % b, timeout=3)
        live, replay = judge(tmp_path, "reach", a, b)
        assert live["verdict"]["id"] == "firewalld-no-zone", live
        _, report = hostcheck("check", "--only", "firewall-firewalld-docker-zone")
        assert report["findings"][0]["status"] == "fail"
        dockerd.restart()            # the printed remediation: Docker restarted after firewalld
        assert wait_until(lambda: http_get_from(docker, a, "http://%s/" % b), 20)
        live, _ = judge(tmp_path, "reach", a, b)
        assert live["verdict"]["id"] == "reachable"
    finally:
        firewalld.stop()
        docker("rm", "-f", "hc-net-fwa", "hc-net-fwb", check=False)
        docker("network", "rm", network, check=False)

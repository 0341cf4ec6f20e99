"""Why can't this container talk? Each failure reproduced on the real dockerd, shown to fail
with real traffic, diagnosed by the tree live and from a capture of that state, then the
printed remediation applied and traffic shown to flow again.

Scenarios that change host state (ip_forward, routes) restore it in `finally`. Scenarios
that need dockerd restarted live in test_net_destructive.py.
"""

import subprocess
import sys
import uuid

import pytest

from net_helpers import (PREFIX, Namespace, findings, have_root_tools, hostcheck, http_get,
                         http_get_from, judge, run_remediation, wait_until)

pytestmark = pytest.mark.skipif(not have_root_tools(), reason="needs root, ip, iptables and busybox")


@pytest.fixture
def net(docker_engine, busybox_image):
    """Creates hc-net-* containers and networks; removes them afterwards."""

    class Net(object):
        image = busybox_image("amd64")
        docker = docker_engine

        def __init__(self):
            self.containers, self.networks = [], []
            self.tag = uuid.uuid4().hex[:6]

        def name(self, base):
            return "%s%s-%s" % (PREFIX, base, self.tag)

        def run(self, base, *command, args=()):
            name = self.name(base)
            self.containers.append(name)
            docker_engine("run", "-d", "--pull=never", "--name", name, *args, self.image, *command)
            return name

        def network(self, base, subnet, *args):
            name = self.name(base)
            self.networks.append(name)
            docker_engine("network", "create", "--subnet", subnet, *args, name)
            return name

        def ip(self, container, network=None):
            networks = docker_engine.inspect(container)[0]["NetworkSettings"]["Networks"]
            return (networks[network] if network else list(networks.values())[0])["IPAddress"]

        def cleanup(self):
            if self.containers:
                docker_engine("rm", "-f", *self.containers, check=False)
            for network in self.networks:
                docker_engine("network", "rm", network, check=False)

    manager = Net()
    yield manager
    manager.cleanup()


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port):
    import urllib.request
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2):
            return True
    except Exception:
        return False


def steps(tree):
    return ["%s=%s" % (s["node"], s["answer"]) for s in tree["path"]]


# ---------------------------------------------------------------- net port

def test_published_port_listening_on_loopback(net, tmp_path):
    port = free_port()
    name = net.run("lo", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www", args=("-p", "%d:8080" % port))
    assert wait_until(lambda: "running" in net.docker("inspect", "-f", "{{.State.Status}}", name).stdout)
    assert not http_get("http://127.0.0.1:%d/" % port), "the loopback listener answered through the published port"
    live, replay = judge(tmp_path, "port", str(port))
    assert live["verdict"]["id"] == "listens-on-loopback"
    assert "127.0.0.1:8080/tcp" in live["verdict"]["text"] and "127.0.0.1:8080/tcp" in replay["verdict"]["text"]
    assert "0.0.0.0" in live["verdict"]["remediation"]["text"]
    # The remediation: listen on 0.0.0.0 and re-create the container.
    run_remediation([c for c in live["verdict"]["remediation"]["commands"] if c.startswith("docker rm")])
    net.run("lo2", "httpd", "-f", "-p", "0.0.0.0:8080", "-h", "/www", args=("-p", "%d:8080" % port))
    assert wait_until(lambda: http_get("http://127.0.0.1:%d/" % port))
    live, replay = judge(tmp_path, "port", str(port))
    assert live["verdict"]["id"] in ("open", "open-without-proxy"), live


def test_exposed_but_not_published(net, tmp_path):
    port = free_port()
    name = net.run("exp", "httpd", "-f", "-p", str(port), "-h", "/www", args=("--expose", str(port)))
    assert not http_get("http://127.0.0.1:%d/" % port)
    live, replay = judge(tmp_path, "port", str(port))
    assert live["verdict"]["id"] == "exposed-not-published"
    assert steps(live)[-2:] == ["published=no", "exposed=yes"] == steps(replay)[-2:]
    commands = live["verdict"]["remediation"]["commands"]
    assert any(("-p %d:%d/tcp" % (port, port)) in c for c in commands), commands
    # The printed commands, with the image and command the user would give.
    run_remediation(commands, {"IMAGE": "%s httpd -f -p %d -h /www" % (net.image, port)})
    assert wait_until(lambda: http_get("http://127.0.0.1:%d/" % port))
    live, _ = judge(tmp_path, "port", "%s:%d" % (name, port))
    assert live["verdict"]["id"] in ("open", "open-without-proxy")


def test_host_port_taken_by_another_process(net, tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "0.0.0.0", str(port)],
                              cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: _answers(port), 5)
        name = net.name("taken")
        net.containers.append(name)
        started = net.docker("run", "-d", "--pull=never", "--name", name, "-p", "%d:80" % port, net.image,
                             "httpd", "-f", "-p", "80", "-h", "/www", check=False)
        assert started.returncode != 0 and "address already in use" in started.stderr
        live, replay = judge(tmp_path, "port", str(port))
        assert live["verdict"]["id"] == "host-port-taken"
        assert "(pid %d)" % server.pid in live["verdict"]["text"]
        assert "(pid %d)" % server.pid in replay["verdict"]["text"]
    finally:
        server.terminate()
        server.wait(5)
    # Remediation: the process that held the port is stopped (above); start the container.
    run_remediation([c for c in live["verdict"]["remediation"]["commands"] if c.startswith("docker start")])
    assert wait_until(lambda: http_get("http://127.0.0.1:%d/" % port))


# ---------------------------------------------------------------- net reach

def test_two_user_networks(net, tmp_path):
    one = net.network("one", "10.231.11.0/24")
    two = net.network("two", "10.231.12.0/24")
    a = net.run("a", "httpd", "-f", "-p", "80", "-h", "/www", args=("--network", one))
    b = net.run("b", "httpd", "-f", "-p", "80", "-h", "/www", args=("--network", two))
    assert not http_get_from(net.docker, a, "http://%s/" % b)
    assert not http_get_from(net.docker, a, "http://%s/" % net.ip(b), timeout=2)
    live, replay = judge(tmp_path, "reach", a, b)
    assert live["verdict"]["id"] == "different-networks"
    commands = live["verdict"]["remediation"]["commands"]
    assert commands == ["docker network connect %s %s" % (two, a)]
    run_remediation(commands)
    assert wait_until(lambda: http_get_from(net.docker, a, "http://%s/" % b))
    live, replay = judge(tmp_path, "reach", a, b + ":80")
    assert live["verdict"]["id"] == "reachable"


def test_name_lookup_on_the_default_bridge(net, tmp_path):
    c = net.run("c", "httpd", "-f", "-p", "80", "-h", "/www")
    d = net.run("d", "httpd", "-f", "-p", "80", "-h", "/www")
    assert not http_get_from(net.docker, c, "http://%s/" % d)
    assert http_get_from(net.docker, c, "http://%s/" % net.ip(d))     # by address it works
    live, replay = judge(tmp_path, "reach", c, d)
    assert live["verdict"]["id"] == "default-bridge-names"
    shared = net.name("shared")
    net.networks.append(shared)
    run_remediation(live["verdict"]["remediation"]["commands"], {"hc-shared": shared})
    assert wait_until(lambda: http_get_from(net.docker, c, "http://%s/" % d))
    live, _ = judge(tmp_path, "reach", c, d)
    assert live["verdict"]["id"] == "reachable"


# ---------------------------------------------------------------- host state

def test_ip_forward_reset_after_dockerd_started(net, tmp_path):
    eg = net.run("eg", "sleep", "300")
    with Namespace("hc-net-out", "hc-out0", "10.231.250.1", "10.231.250.2", 8099, tmp_path / "www") as outside:
        assert http_get_from(net.docker, eg, outside.url), "baseline: the container reaches the namespace"
        with open("/proc/sys/net/ipv4/ip_forward") as handle:
            before = handle.read().strip()
        try:
            with open("/proc/sys/net/ipv4/ip_forward", "w") as handle:
                handle.write("0")
            assert not http_get_from(net.docker, eg, outside.url, timeout=2)
            live, replay = judge(tmp_path, "egress", eg)
            assert live["verdict"]["id"] == "ip-forward-off"
            assert steps(live)[-1] == "ip-forward=no" == steps(replay)[-1]
            _, reach = hostcheck("net", "reach", eg, outside.ns_ip + ":8099")
            assert reach["trees"][0]["verdict"]["id"] == "ip-forward-off"
            run_remediation([c for c in live["verdict"]["remediation"]["commands"] if c.startswith("sysctl -w")])
            assert http_get_from(net.docker, eg, outside.url)
        finally:
            with open("/proc/sys/net/ipv4/ip_forward", "w") as handle:
                handle.write(before)


def test_network_overlapping_a_host_route(net, tmp_path):
    # A LAN on a veth pair (this kernel has no dummy links: "ip link add type dummy" says
    # "Unknown device type"), then a Docker network on the same /24.
    with Namespace("hc-net-lan", "hc-lan0", "10.232.0.254", "10.232.0.10", 80, tmp_path / "lan"):
        overlap = net.network("overlap", "10.232.0.0/24")
        web = net.run("ov", "httpd", "-f", "-p", "80", "-h", "/www", args=("--network", overlap))
        ip = net.ip(web)
        assert not http_get("http://%s/" % ip, timeout=2), "the host reached the container despite the overlap"
        live, replay = findings(tmp_path, "network-subnet-overlap")
        for found in (live, replay):
            failing = [f for f in found if f["status"] == "fail"]
            assert [f["subject"] for f in failing] == ["network " + overlap]
            assert "dev hc-lan0" in failing[0]["evidence"]
        # Remediation: the printed commands (its containers removed first, as the first command
        # lists them), on an unused subnet.
        net.docker("rm", "-f", web)
        failing = [f for f in live if f["status"] == "fail"][0]
        run_remediation(failing["remediation"]["commands"], {"UNUSED-CIDR": "10.231.77.0/24"})
        web = net.run("ov2", "httpd", "-f", "-p", "80", "-h", "/www", args=("--network", overlap))
        assert wait_until(lambda: http_get("http://%s/" % net.ip(web)))
        live, replay = findings(tmp_path, "network-subnet-overlap")
        assert all(f["status"] == "pass" for f in live + replay)


def test_healthy_setup_has_no_network_finding_above_info(net, tmp_path):
    """A container on a user network with a published port: nothing in network, firewall or dns
    is worse than info — except the MTU warning when this VM's egress MTU (1400 on eth0) really
    is below Docker's 1500, which is checked against the interface itself."""
    one = net.network("healthy", "10.231.21.0/24")
    net.run("ok", "httpd", "-f", "-p", "80", "-h", "/www", args=("--network", one, "-p", "%d:80" % free_port()))
    _, report = hostcheck("check", "--only", "network,firewall,dns")
    egress = report["facts"]["values"].get("net.egress_mtu")
    docker_mtu = report["facts"]["values"].get("net.docker_mtu")
    for finding in report["findings"]:
        if finding["id"] == "network-mtu" and egress is not None and egress < docker_mtu:
            assert finding["status"] == "warn"
            continue
        assert finding["status"] in ("pass", "info", "skip"), finding

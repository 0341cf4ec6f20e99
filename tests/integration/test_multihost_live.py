"""Issue 12, live: the multi-host readiness area on a real single-node swarm.

`docker swarm init --advertise-addr 127.0.0.1` on the shared dockerd, an attachable overlay
network and a container on it; `hostcheck check` (no option: a swarm node is always judged)
and `hostcheck analyze` of a capture of the same state must both give the multi-host
findings, and the overlay MTU hostcheck computes must be the one the container really got.
Outside a swarm the same rules skip unless `--multi-host` is asked.

Changes the engine's swarm state: holds the integration lock (HELPERS.md) and, in `finally`,
removes the container and the network, leaves the swarm and removes docker_gwbridge when the
swarm created it. Never restarts dockerd. Skipped when the engine is already in a swarm
(someone else's).
"""

import uuid

import pytest

from net_helpers import capture, hostcheck, sh, wait_until

MULTIHOST = ("network-multihost", "network-overlay")


def _swarm_state(docker_engine):
    return docker_engine("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()


def _networks(docker_engine):
    return set(docker_engine("network", "ls", "--format", "{{.Name}}").stdout.split())


def _multihost(report):
    return {(f["id"], f.get("subject")): f for f in report["findings"] if f["id"].startswith(MULTIHOST)}


@pytest.fixture
def single_node_swarm(docker_engine, busybox_image):
    """(network, container) on a single-node swarm advertising loopback; all undone afterwards."""
    if _swarm_state(docker_engine) != "inactive":
        pytest.skip("the engine is already in a swarm (state %s): not ours to change" % _swarm_state(docker_engine))
    image = busybox_image("amd64")
    tag = uuid.uuid4().hex[:6]
    network, container = "hc-net-ovl-%s" % tag, "hc-test-ovl-%s" % tag
    had_gwbridge = "docker_gwbridge" in _networks(docker_engine)
    try:
        docker_engine("swarm", "init", "--advertise-addr", "127.0.0.1")
        docker_engine("network", "create", "-d", "overlay", "--attachable", network)
        docker_engine("run", "-d", "--pull=never", "--name", container, "--network", network, image, "sleep", "600")
        yield network, container
    finally:
        docker_engine("rm", "-f", container, check=False)
        docker_engine("network", "rm", network, check=False)
        docker_engine("swarm", "leave", "--force", check=False)
        wait_until(lambda: _swarm_state(docker_engine) == "inactive", 20)
        if not had_gwbridge:
            docker_engine("network", "rm", "docker_gwbridge", check=False)
        assert _swarm_state(docker_engine) == "inactive"


def test_a_single_node_swarm_gets_the_multihost_findings(single_node_swarm, docker_engine, tmp_path):
    network, container = single_node_swarm
    _, live = hostcheck("check")
    path = capture(tmp_path)
    _, replay = hostcheck("analyze", str(path))
    found, replayed = _multihost(live), _multihost(replay)
    assert {k: f["status"] for k, f in found.items()} == {k: f["status"] for k, f in replayed.items()}

    swarm = found[("network-multihost-swarm", None)]
    assert swarm["status"] == "info" and "swarm manager advertising 127.0.0.1" in swarm["evidence"], swarm
    address = found[("network-multihost-advertise-address", None)]
    assert address["status"] == "warn" and "loopback" in address["evidence"], address
    ports = {subject for rule, subject in found if rule == "network-multihost-iptables-ports"}
    assert ports == {"2377/tcp", "7946/tcp", "7946/udp", "4789/udp", "esp"}, ports

    # the MTU hostcheck says containers on the overlay get is the MTU the container has
    mtu = found[("network-overlay-mtu", network)]
    real = docker_engine("exec", container, "cat", "/sys/class/net/eth0/mtu").stdout.strip()
    assert "containers get MTU %s" % real in mtu["evidence"], (real, mtu)


def test_outside_a_swarm_only_when_asked(docker_engine):
    if _swarm_state(docker_engine) != "inactive":
        pytest.skip("the engine is in a swarm")
    _, plain = hostcheck("check", "--only", "network-multihost-swarm")
    finding = _multihost(plain)[("network-multihost-swarm", None)]
    assert finding["status"] == "skip" and "--multi-host" in finding["evidence"], finding
    _, asked = hostcheck("check", "--multi-host", "--only", "network-multihost-swarm")
    finding = _multihost(asked)[("network-multihost-swarm", None)]
    assert finding["status"] == "info" and "not in a swarm yet" in finding["evidence"], finding
    assert sh("docker", "info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip() == "inactive"

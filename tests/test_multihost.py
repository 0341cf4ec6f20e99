"""Multi-host readiness (issue 12): judged on a swarm node by itself, on any other host only
when asked with `--multi-host`, from real captures in tests/data/systems.

- centos79-firewalld-multihost: CentOS 7.9 under firewalld, not in a swarm; its INPUT chain
  ends in REJECT (a real iptables-save), so with --multi-host each swarm port is a warn.
- debian12-swarm-loopback: this machine captured as a single-node swarm manager on loopback
  with an overlay and an encrypted overlay network (tests/integration/test_multihost_live.py
  takes the same state live).
"""

import json
import os

import pytest

from hostcheck.capture.probes import FIREWALL_COMMANDS, command_key
from hostcheck.parse import firewalld, swarm

from test_cli import run

SYSTEMS = os.path.join(os.path.dirname(__file__), "data", "systems")
CENTOS = os.path.join(SYSTEMS, "centos79-firewalld-multihost.json")
SWARM = os.path.join(SYSTEMS, "debian12-swarm-loopback.json")
SWARM_PORTS = ["2377/tcp", "7946/tcp", "7946/udp", "4789/udp", "esp"]


def analyze(path, *extra):
    result = run("analyze", path, "--json", *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def of(report, prefix):
    return {(f["id"], f.get("subject")): f for f in report["findings"] if f["id"].startswith(prefix)}


def test_a_host_outside_a_swarm_is_judged_only_when_asked():
    plain = of(analyze(CENTOS), "network-multihost")
    assert plain and all(f["status"] == "skip" for f in plain.values()), plain
    asked = analyze(CENTOS, "--multi-host")
    ports = of(asked, "network-multihost-iptables-ports")
    assert sorted(subject for _, subject in ports) == sorted(SWARM_PORTS)
    for port in SWARM_PORTS[:4]:
        finding = ports[("network-multihost-iptables-ports", port)]
        assert finding["status"] == "warn", finding
        assert "ends in REJECT" in finding["evidence"]
        commands = finding["remediation"]["commands"]
        assert "firewall-cmd --permanent --zone=ZONE --add-service=docker-swarm" in commands   # firewalld owns INPUT
    # ESP matters only for encrypted overlays, and none is known on this host
    assert ports[("network-multihost-iptables-ports", "esp")]["status"] == "info"
    swarm_finding = of(asked, "network-multihost-swarm")[("network-multihost-swarm", None)]
    assert swarm_finding["status"] == "info" and "not in a swarm yet" in swarm_finding["evidence"]


def test_a_swarm_node_is_judged_without_the_option():
    report = analyze(SWARM)
    found = {key: f["status"] for key, f in of(report, "network-").items()
             if key[0].startswith(("network-multihost", "network-overlay"))}
    assert found[("network-multihost-swarm", None)] == "info"
    assert found[("network-multihost-advertise-address", None)] == "warn"      # 127.0.0.1
    assert found[("network-overlay-encrypted-kernel", None)] == "fail"          # no CONFIG_INET_ESP here
    assert {s for (rule, s) in found if rule == "network-overlay-mtu"} == {"hc-net-ovl", "hc-net-ovl-enc", "ingress"}
    assert analyze(SWARM, "--multi-host")["findings"] == report["findings"]


def test_overlay_mtu_from_the_live_capture():
    """Overlay networks get base - 50 (VXLAN), and - 26 more when encrypted (ESP): 1450, 1424
    on this machine's default 1500 base, as `ip link` showed inside the containers."""
    with open(SWARM, encoding="utf-8") as handle:
        doc = json.load(handle)
    overlays = {n["name"]: n for n in swarm.overlay_networks(doc["docker"]["responses"])}
    assert overlays["hc-net-ovl"]["container_mtu"] == 1450 and not overlays["hc-net-ovl"]["encrypted"]
    assert overlays["hc-net-ovl-enc"]["container_mtu"] == 1424 and overlays["hc-net-ovl-enc"]["encrypted"]
    info = swarm.swarm_info(doc["docker"]["responses"]["/info"])
    assert info["node_addr"] == "127.0.0.1" and info["manager"] is True and info["data_path_port"] == 4789


def test_firewalld_zones_of_a_real_host():
    """firewalld/firewalld#869's zones: public holds eth0 with ssh and two ports, no swarm port."""
    with open(CENTOS, encoding="utf-8") as handle:
        doc = json.load(handle)
    listing = doc["commands"]["firewall-cmd --list-all-zones"]["stdout"]
    zones = firewalld.parse_zone_list(listing)
    assert zones["public"]["interfaces"] == ["eth0"] and zones["public"]["ports"] == ["22222/tcp", "10051/tcp"]
    assert zones["docker"]["target"] == "ACCEPT" and "docker-swarm" not in zones["public"]["services"]
    assert command_key(("firewall-cmd", "--list-all-zones")) in {command_key(a) for a in FIREWALL_COMMANDS}


@pytest.mark.parametrize("port", ["2377/tcp", "7946/udp", "4789/udp"])
def test_an_open_firewalld_zone_passes(tmp_path, port):
    """The same host with firewalld's docker-swarm service added to public: the firewalld
    finding can pass (the iptables one cannot know firewalld's zone chains accept it)."""
    with open(CENTOS, encoding="utf-8") as handle:
        doc = json.load(handle)
    listing = doc["commands"]["firewall-cmd --list-all-zones"]
    listing["stdout"] = listing["stdout"].replace("services: dhcpv6-client ssh", "services: dhcpv6-client docker-swarm ssh")
    # the interface swarm traffic uses: eth0, as firewalld says it holds
    doc["commands"]["ip -j addr"] = {"argv": ["ip", "-j", "addr"], "rc": 0, "stderr": "", "stdout": json.dumps([
        {"ifname": "lo", "mtu": 65536, "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8}]},
        {"ifname": "eth0", "mtu": 1500, "addr_info": [{"family": "inet", "local": "10.0.0.4", "prefixlen": 24}]}])}
    doc["commands"]["ip -j route"] = {"argv": ["ip", "-j", "route"], "rc": 0, "stderr": "", "stdout": json.dumps([
        {"dst": "default", "gateway": "10.0.0.1", "dev": "eth0"}])}
    path = tmp_path / "opened.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    found = of(analyze(str(path), "--multi-host"), "network-multihost-firewalld-ports")
    assert found[("network-multihost-firewalld-ports", port)]["status"] == "pass", found
    closed = of(analyze(CENTOS, "--multi-host"), "network-multihost-firewalld-ports")
    assert all(f["status"] == "skip" for f in closed.values())      # no interfaces captured there

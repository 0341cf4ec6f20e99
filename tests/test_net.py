"""The network trees: socket-table parsing, argument parsing, and each scenario judged from
a real capture of this machine (tests/data/net/README.md says how each was reproduced)."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from hostcheck.cli import cli
from hostcheck.data import read_text
from hostcheck.net import parse_destination, parse_port_spec, walk_egress, walk_port, walk_reach
from hostcheck.net import subjects
from hostcheck.net.model import NetView, parse_rule
from hostcheck.combine import build_facts
from hostcheck.parse.sockets import hex_address, parse_table

DATA = Path(__file__).parent / "data"
SCENARIOS = DATA / "net" / "scenarios.json"
NO_DOCKER = DATA / "captures" / "debian12-no-docker.json"
HOST_STATE = DATA / "net" / "host-state.json"

# Real lines: /proc/<pid>/net/tcp and tcp6 of a busybox httpd container on a user network
# (tests/data/captures/debian12-this-machine.json), and the host's own /proc/net/tcp.
TCP = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
       "   0: 0B00007F:9511 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 28760 1 000000007b52258b 100 0 0 10 0\n"
       "   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1146 1 000000005371e34c 100 0 0 10 0\n")
TCP6 = ("  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 28411 1 00000000a007f6f5 100 0 0 10 0\n")


@pytest.fixture(scope="module")
def scenarios():
    capture = json.loads(SCENARIOS.read_text())
    return capture, build_facts(capture)


def verdict(trees):
    assert len(trees) == 1
    return trees[0]["verdict"]["id"], trees[0]["verdict"]["status"]


# ------------------------------------------------------------------ socket tables

def test_socket_tables_little_endian():
    assert parse_table(TCP, "tcp") == [{"proto": "tcp", "ip": "127.0.0.11", "port": 38161},
                                       {"proto": "tcp", "ip": "0.0.0.0", "port": 2024}]
    assert parse_table(TCP6, "tcp6") == [{"proto": "tcp6", "ip": "::", "port": 80}]
    assert hex_address("0100007F:0CEA") == ("127.0.0.1", 3306)


def test_socket_tables_big_endian_and_mapped():
    # s390x prints the same address word in network order.
    assert hex_address("7F000001:0CEA", little=False) == ("127.0.0.1", 3306)
    # ::ffff:127.0.0.1 as a little-endian tcp6 line writes it.
    assert hex_address("0000000000000000FFFF00000100007F:1F90") == ("127.0.0.1", 8080)


def test_socket_tables_skip_connected_and_junk():
    text = TCP.splitlines()[0] + "\n" \
        "   0: 0100007F:0035 0100007F:A000 01 00000000:00000000 00:00000000 00000000 0 0 1 1\n" \
        "   1: garbage\n   2: 0100007F:ZZZZ 00000000:0000 0A 0 0 0 0 0 0 1\n"
    assert parse_table(text, "tcp") == []
    udp = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
           "  1: 0B00007F:B3C6 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 28759 2 0 0\n"
           "  2: 0200000A:9C40 0100000A:0035 01 00000000:00000000 00:00000000 00000000 0 0 28760 2 0 0\n")
    assert parse_table(udp, "udp") == [{"proto": "udp", "ip": "127.0.0.11", "port": 46022}]
    assert parse_table(None, "tcp") == []


# ------------------------------------------------------------------ arguments

@pytest.mark.parametrize("text, shown", [
    ("8080", "8080/tcp"), ("53/udp", "53/udp"), ("web:80", "web:80/tcp"), ("web:80/TCP", "web:80/tcp")])
def test_port_specs(text, shown):
    assert str(parse_port_spec(text)) == shown


@pytest.mark.parametrize("text", ["99999", "0", "a:b:c", "web:", ":80", "web:http", "80/sctp", ""])
def test_bad_port_specs(text):
    with pytest.raises(ValueError):
        parse_port_spec(text)


def test_destinations():
    assert parse_destination("10.231.1.2") == ("address", "10.231.1.2", None)
    assert parse_destination("[fd00::2]:443") == ("address", "fd00::2", 443)
    assert parse_destination("fd00::2") == ("address", "fd00::2", None)
    assert parse_destination("db:5432") == ("container", "db", 5432)
    for bad in ("a:b:c", "db:99999", "db:", "[fd00::2]x"):
        with pytest.raises(ValueError):
            parse_destination(bad)


def test_rule_parsing():
    # Real nat DOCKER and filter FORWARD rules of this machine (iptables-save with docker.io 20.10).
    rule = parse_rule("DOCKER", "! -i br-4925b7fa0090 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.210.0.2:80")
    assert (rule["in"], rule["dport"], rule["proto"], rule["to_ip"], rule["to_port"]) == \
        ("!br-4925b7fa0090", "8080", "tcp", "10.210.0.2", "80")
    assert rule["rule"] == "-A DOCKER ! -i br-4925b7fa0090 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.210.0.2:80"
    rule = parse_rule("FORWARD", "-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
    assert (rule["in"], rule["out"], rule["target"], rule["dport"]) == (None, "docker0", "ACCEPT", None)
    # A --comment with a space and an unbalanced quote do not break the words after them.
    rule = parse_rule("DOCKER-USER", '-s 10.0.0.0/8 -m comment --comment "site policy" -j DROP')
    assert (rule["source"], rule["target"]) == ("10.0.0.0/8", "DROP")
    assert parse_rule("DOCKER-USER", '-m comment --comment "open -j DROP')["target"] == "DROP"
    assert parse_rule("X", None)["rule"] == "-A X"


# ------------------------------------------------------------------ scenarios from the capture

@pytest.mark.parametrize("args, expected, path_end", [
    (("port", "18080"), ("listens-on-loopback", "fail"), "loopback-only=yes"),
    (("port", "18081"), ("exposed-not-published", "fail"), "exposed=yes"),
    (("port", "hc-net-exp:18081"), ("exposed-not-published", "fail"), "exposed=yes"),
    (("port", "18082"), ("host-port-taken", "fail"), "host-port-free=no"),
    (("port", "hc-net-web:8080"), ("open", "pass"), "all-read=yes"),
    (("port", "18090"), ("open", "pass"), "all-read=yes"),
    (("port", "18099"), ("not-published", "fail"), "exposed=no"),
    (("port", "nosuch:80"), ("no-such-container", "fail"), "container-found=no"),
    (("reach", "hc-net-a", "hc-net-b"), ("different-networks", "fail"), "same-network=no"),
    (("reach", "hc-net-c", "hc-net-d"), ("default-bridge-names", "fail"), "names-resolve=no"),
    (("reach", "hc-net-c", "172.17.0.6:80"), ("reachable", "pass"), "all-read=yes"),
    (("reach", "hc-net-a", "hc-net-a:80"), ("reachable", "pass"), "all-read=yes"),
    (("reach", "hc-net-i", "10.231.250.2:80"), ("internal-network", "fail"), "addr-internal=yes"),
    (("reach", "hc-net-a", "nosuch"), ("no-such-destination", "fail"), "dst-found=no"),
    (("egress", "hc-net-i"), ("internal-network", "fail"), "internal=yes"),
    (("egress", "nosuch"), ("no-such-container", "fail"), "one-container=yes"),
])
def test_scenarios_from_capture(scenarios, args, expected, path_end):
    capture, facts = scenarios
    if args[0] == "port":
        trees = walk_port(capture, facts, args[1])
    elif args[0] == "reach":
        trees = walk_reach(capture, facts, args[1], args[2])
    else:
        trees = walk_egress(capture, facts, args[1])
    assert verdict(trees) == expected, trees[0]
    steps = ["%s=%s" % (step["node"], step["answer"]) for step in trees[0]["path"]]
    assert steps[-1] == path_end
    assert all(step["evidence"] for step in trees[0]["path"])


def test_loopback_verdict_names_the_socket(scenarios):
    capture, facts = scenarios
    tree = walk_port(capture, facts, "18080")[0]
    assert "127.0.0.1:8080/tcp" in tree["verdict"]["text"]
    assert "0.0.0.0" in " ".join(tree["verdict"]["remediation"]["text"].split())


def test_host_port_owner_is_named(scenarios):
    capture, facts = scenarios
    tree = walk_port(capture, facts, "18082")[0]
    assert "python3 (pid" in tree["verdict"]["text"]
    assert "address already in use" in tree["verdict"]["text"]


def test_egress_of_every_running_container(scenarios):
    capture, facts = scenarios
    trees = walk_egress(capture, facts)
    running = [c["name"] for c in facts.get("docker.containers") if c["state"] == "running"]
    assert sorted(t["subject"] for t in trees) == sorted(running)
    # This VM's eth0 has MTU 1400 under Docker's 1500: the healthy bridge containers end there.
    by_name = dict((t["subject"], t["verdict"]["id"]) for t in trees)
    assert by_name["hc-net-web"] == "mtu-too-big"
    assert by_name["hc-net-i"] == "internal-network"


def test_wiped_tables_are_diagnosed(scenarios):
    """The same capture after `iptables -t nat -F` and a flushed filter FORWARD (as a firewalld
    stop leaves them): no MASQUERADE, no DNAT, FORWARD policy DROP without Docker's ACCEPTs."""
    capture, _ = scenarios
    wiped = json.loads(json.dumps(capture))
    save = wiped["commands"]["iptables-save"]
    save["stdout"] = ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
                      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                      ":POSTROUTING ACCEPT [0:0]\nCOMMIT\n")
    facts = build_facts(wiped)
    assert verdict(walk_port(wiped, facts, "hc-net-web:8080")) == ("no-dnat", "fail")
    assert verdict(walk_egress(wiped, facts, "hc-net-web")) == ("no-masquerade", "fail")
    # The subject facts are neutral: the FORWARD rules are simply gone, the policy DROP.
    subject = subjects.egress(NetView(wiped, facts), "hc-net-web")
    assert subject.values["subject.forward_rules"] == [] and subject.values["subject.forward_policy"] == "DROP"


def test_flushed_forward_chain_blocks_egress_and_published_ports(scenarios):
    """nat intact, filter FORWARD flushed under policy DROP (`iptables -F FORWARD`)."""
    capture, _ = scenarios
    flushed = json.loads(json.dumps(capture))
    save = flushed["commands"]["iptables-save"]
    save["stdout"] = "\n".join(line for line in save["stdout"].splitlines() if not line.startswith("-A FORWARD"))
    facts = build_facts(flushed)
    tree = walk_egress(flushed, facts, "hc-net-web")[0]
    assert verdict([tree]) == ("forward-blocked", "fail")
    assert "filter FORWARD policy DROP and no ACCEPT rule for traffic from docker0" in tree["verdict"]["text"]
    assert verdict(walk_port(flushed, facts, "hc-net-web:8080")) == ("forward-blocked", "fail")
    assert verdict(walk_reach(flushed, facts, "hc-net-a", "10.231.250.2:80")) == ("forward-blocked", "fail")


# docker-ce 28's filter table for docker0 (iptables -S as public reports show it; moby#49518).
DOCKER28_FILTER = """*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-BRIDGE - [0:0]
:DOCKER-CT - [0:0]
:DOCKER-FORWARD - [0:0]
:DOCKER-INTERNAL - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-FORWARD
-A DOCKER -d 172.17.0.3/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 8080 -j ACCEPT
-A DOCKER ! -i docker0 -o docker0 -j DROP
-A DOCKER-BRIDGE -o docker0 -j DOCKER
-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-FORWARD -j DOCKER-CT
-A DOCKER-FORWARD -j DOCKER-INTERNAL
-A DOCKER-FORWARD -j DOCKER-BRIDGE
-A DOCKER-FORWARD -i docker0 -j ACCEPT
COMMIT
"""


def test_docker28_chains_let_traffic_through(scenarios):
    """From Docker 28.0.1 the -o BRIDGE rules live in DOCKER-CT and DOCKER-BRIDGE: a published
    port and egress on docker0 are open under FORWARD policy DROP."""
    capture, _ = scenarios
    layout = json.loads(json.dumps(capture))
    save = layout["commands"]["iptables-save"]
    save["stdout"] = DOCKER28_FILTER + save["stdout"][save["stdout"].index("*nat"):]
    facts = build_facts(layout)
    tree = walk_port(layout, facts, "hc-net-web:8080")[0]
    assert verdict([tree]) == ("open", "pass"), tree["path"]
    forward_in = [s for s in tree["path"] if s["node"] == "forward-in"][0]
    assert "-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" in forward_in["evidence"]
    egress = walk_egress(layout, facts, "hc-net-web")[0]
    forward = [s for s in egress["path"] if s["node"] == "forward"][0]
    assert forward["answer"] == "yes" and "-A DOCKER-FORWARD -i docker0 -j ACCEPT" in forward["evidence"]


def test_wider_masquerade_source_covers_a_user_network(scenarios):
    """Issue 10: -s 172.16.0.0/12 ! -o BRIDGE -j MASQUERADE instead of Docker's own rule for a
    network inside it. The rule and the trees ask the same question of the same facts."""
    from hostcheck.report import build_report
    capture, _ = scenarios
    wide = json.loads(json.dumps(capture))
    save = wide["commands"]["iptables-save"]
    save["stdout"] = save["stdout"].replace("-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
                                            "-A POSTROUTING -s 172.16.0.0/12 ! -o docker0 -j MASQUERADE")
    report, facts = build_report(wide, only=("firewall-docker-masquerade",), trees=[])
    by_subject = dict((f["subject"], f) for f in report["findings"])
    assert by_subject["bridge"]["status"] == "pass", by_subject["bridge"]
    assert "172.17.0.0/16 in 172.16.0.0/12" in by_subject["bridge"]["evidence"]
    tree = walk_egress(wide, facts, "hc-net-web")[0]
    step = [s for s in tree["path"] if s["node"] == "masquerade"][0]
    assert step["answer"] == "yes" and "172.17.0.0/16 in 172.16.0.0/12" in step["evidence"]
    # Without any covering source both say no.
    save["stdout"] = save["stdout"].replace("-A POSTROUTING -s 172.16.0.0/12 ! -o docker0 -j MASQUERADE\n", "")
    report, facts = build_report(wide, only=("firewall-docker-masquerade",), trees=[])
    assert dict((f["subject"], f["status"]) for f in report["findings"])["bridge"] == "fail"
    assert verdict(walk_egress(wide, facts, "hc-net-web")) == ("no-masquerade", "fail")


def test_no_engine_gives_engine_down():
    capture = json.loads(NO_DOCKER.read_text())
    facts = build_facts(capture)
    assert verdict(walk_egress(capture, facts, "web")) == ("engine-down", "fail")
    assert verdict(walk_egress(capture, facts)) == ("engine-down", "fail")
    assert verdict(walk_port(capture, facts, "8080")) == ("engine-down", "fail")
    assert verdict(walk_reach(capture, facts, "a", "b")) == ("engine-down", "fail")


def test_redacted_capture_gives_the_same_verdicts(scenarios):
    from hostcheck.capture.redact import pseudonymise
    capture, _ = scenarios
    redacted = pseudonymise(json.loads(json.dumps(capture)))
    facts = build_facts(redacted)
    assert verdict(walk_port(redacted, facts, "18080")) == ("listens-on-loopback", "fail")
    assert verdict(walk_reach(redacted, facts, "hc-net-a", "hc-net-b")) == ("different-networks", "fail")


def test_unreadable_iptables_is_never_a_silent_pass(scenarios):
    capture, _ = scenarios
    unprivileged = json.loads(json.dumps(capture))
    unprivileged["commands"]["iptables-save"] = {"argv": ["iptables-save"], "error": "permission_denied"}
    facts = build_facts(unprivileged)
    for trees in (walk_egress(unprivileged, facts, "hc-net-web"), walk_port(unprivileged, facts, "hc-net-web:8080")):
        tree = trees[0]
        if tree["verdict"]["id"] != "mtu-too-big":
            assert tree["verdict"]["status"] == "skip", tree["verdict"]
            assert "iptables-save" in tree["verdict"]["text"]


def test_missing_socket_tables_are_unknown_not_pass(scenarios):
    capture, _ = scenarios
    stripped = json.loads(json.dumps(capture))
    for key in [k for k in stripped["files"] if k.startswith("/proc/") and "/net/" in k and k.split("/")[2].isdigit()]:
        stripped["files"][key] = {"error": "permission_denied"}
    facts = build_facts(stripped)
    tree = walk_port(stripped, facts, "18080")[0]
    listening = [s for s in tree["path"] if s["node"] == "listening"]
    assert listening and listening[0]["answer"] == "unknown"
    assert "permission_denied" in listening[0]["evidence"]


# ------------------------------------------------------------------ command line

def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("args, message", [
    (("net", "port", "99999"), "port 99999 is out of range"),
    (("net", "port", "a:b:c"), "expected HOSTPORT or CONTAINER:PORT"),
    (("net", "reach", "a", "a:b:c"), "expected a container, IP or IP:PORT"),
    (("net", "port", "web:80/sctp"), "expected tcp or udp"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    result = subprocess.run([sys.executable, "-m", "hostcheck"] + list(args), capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_cli_from_capture_json_validates():
    result = invoke("net", "port", "18080", "--capture", str(SCENARIOS), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    jsonschema.Draft7Validator(json.loads(read_text("schema/report.json"))).validate(report)
    assert [t["tree"] for t in report["trees"]] == ["net-port"]
    assert report["trees"][0]["verdict"]["id"] == "listens-on-loopback"
    # Beside the tree: only the areas a network verdict leans on.
    assert {f["area"] for f in report["findings"]} <= {"network", "firewall", "dns"}


def test_cli_passing_verdict_exits_0_and_zh():
    result = invoke("net", "reach", "hc-net-a", "hc-net-a:80", "--capture", str(SCENARIOS), "--json",
                    "--lang", "zh", "--only", "network-ip-forward")
    report = json.loads(result.output)
    assert report["trees"][0]["verdict"]["id"] == "reachable"
    assert "本机没有阻断" in report["trees"][0]["verdict"]["text"]
    assert result.exit_code == 0


def test_cli_unknown_container_is_a_verdict_not_a_crash():
    result = invoke("net", "egress", "nosuch", "--capture", str(SCENARIOS), "--no-color")
    assert result.exit_code == 1
    assert "there is no container nosuch" in result.output
    assert "hc-net-web" in result.output     # the names that do exist


def test_cli_unreadable_capture_exits_3(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = subprocess.run([sys.executable, "-m", "hostcheck", "net", "egress", "--capture", str(bad)],
                            capture_output=True, text=True)
    assert result.returncode == 3 and "Traceback" not in result.stderr


# ------------------------------------------------------------------ host findings

def test_host_state_capture_findings():
    """ip_forward 0 under a running dockerd and a Docker network over a LAN route (real capture)."""
    from hostcheck.report import build_report
    capture = json.loads(HOST_STATE.read_text())
    report, facts = build_report(capture, only=("network", "firewall", "dns"), trees=[])
    status = {}
    for finding in report["findings"]:
        status.setdefault(finding["id"], []).append((finding.get("subject"), finding["status"], finding["evidence"]))
    assert status["network-ip-forward"][0][1] == "fail"
    [(subject, state, evidence)] = status["network-subnet-overlap"]
    assert (subject, state) == ("network hc-net-overlap", "fail") and "dev hc-lan0" in evidence
    overlap = [f for f in report["findings"] if f["id"] == "network-subnet-overlap"][0]
    assert "docker network rm hc-net-overlap" in overlap["remediation"]["commands"]
    assert status["network-mtu"][0][1] == "warn"          # eth0 MTU 1400 on this VM
    assert verdict(walk_egress(capture, facts, "hc-net-eg")) == ("ip-forward-off", "fail")


def test_scenario_capture_has_no_overlap_and_docker_bridges_are_not_overlaps(scenarios):
    _, facts = scenarios
    assert facts.get("net.subnet_overlaps") == []

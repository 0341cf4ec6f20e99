"""From the engine's connection state to facts, findings and the report header.

The `docker` sections are real: tests/data/capture/engine/states.json was recorded by
record_states.py beside it against this machine's dockerd 20.10.24 (a wrong socket, a
refused port, TLS with a wrong CA and to a plain port, a silent port, a name that does not
resolve, an unknown context, npipe://, ssh to a closed port, as nobody, and the engine
behind tcp, TLS, a rootless-style socket and this host's own non-loopback address). Each is
put onto the recorded capture of the same machine (tests/data/captures/debian12-this-machine.json,
dockerd running), whose engine answers stand in for the engine's where one answered.
"""

import copy
import io
import json
from pathlib import Path

import pytest

from hostcheck.combine import build_facts, run
from hostcheck.report import build_report
from hostcheck.report.html import render_page
from hostcheck.report.text import render

REPO_ROOT = Path(__file__).resolve().parent.parent
STATES = json.loads((REPO_ROOT / "tests/data/capture/engine/states.json").read_text())["states"]
BASE = json.loads((REPO_ROOT / "tests/data/captures/debian12-this-machine.json").read_text())

# docker-engine-reachable per recorded state: (docker.state fact, status, words in the evidence)
EXPECTED = {
    "default": ("running", "pass", "answers at unix:///var/run/docker.sock (default socket)"),
    "wrong_socket": ("socket_missing", "warn", "no socket at unix:///wrong.sock (env DOCKER_HOST), yet dockerd runs"),
    "tcp_refused": ("refused", "warn", "tcp://127.0.0.1:1 (env DOCKER_HOST) refused the connection"),
    "tcp": ("running", "pass", "answers at tcp://127.0.0.1:"),
    "tls": ("running", "pass", "answers at tcp://127.0.0.1:"),
    "tls_wrong_ca": ("tls_error", "warn", "CERTIFICATE_VERIFY_FAILED"),
    "tls_to_plain": ("tls_error", "warn", "speaks plain HTTP"),
    "timeout": ("timeout", "warn", "did not answer in time"),
    "unreachable": ("unreachable", "warn", "cannot resolve no-such-engine.invalid"),
    "remote": ("running", "info", "on another machine"),
    "rootless": ("running", "pass", "(rootless socket)"),
    "bad_context": ("bad_endpoint", "warn", "context not found"),
    "npipe": ("unsupported", "skip", "cannot read npipe:////./pipe/docker_engine"),
    "ssh_refused": ("refused", "warn", "ssh said: ssh: connect to host 127.0.0.1 port 1: Connection refused"),
    "permission_denied": ("permission_denied", "warn", "permission denied on unix:///var/run/docker.sock"),
}
# Rules that compare the engine with this host: skipped when the engine is elsewhere.
HOST_SIDE = ("kernel-config-overlayfs", "cgroup-v2-support", "cgroup-swap-limit", "cgroup-memory-controller",
             "cgroup-driver-systemd", "docker-log-rotation", "storage-root-free-space", "storage-root-free-inodes",
             "firewall-firewalld-docker-zone", "firewall-docker-chains", "firewall-docker-masquerade",
             "security-docker-socket-mode", "security-apparmor-parser", "security-selinux-containers",
             "network-ip-forward", "network-bridge-nf-call-iptables", "network-subnet-overlap", "network-mtu",
             "firewall-zone-conflict")


def capture_in(state, dockerd_running=True):
    """The recorded machine, its engine section replaced by the one recorded in `state`."""
    capture = copy.deepcopy(BASE)
    recorded = STATES[state]
    docker = dict(recorded["docker"])
    base_docker = BASE["docker"]
    docker["responses"] = base_docker["responses"] if recorded["had_responses"] else {}
    docker["logs"] = base_docker.get("logs", {}) if recorded["had_responses"] else {}
    capture["docker"] = docker
    if not dockerd_running:
        items = capture["processes"]["items"]
        capture["processes"]["items"] = [item for item in items if item.get("name") != "dockerd"]
    return capture


def finding(report, rule_id):
    found = [f for f in report["findings"] if f["id"] == rule_id]
    assert len(found) == 1, rule_id
    return found[0]


def text_of(report):
    out = io.StringIO()
    render(report, file=out, color=False, width=200)
    return out.getvalue()


@pytest.mark.parametrize("state", sorted(EXPECTED))
def test_each_recorded_state(state):
    capture = capture_in(state)
    facts, broken = run(capture)
    assert not broken
    fact_state, status, words = EXPECTED[state]
    assert facts.get("docker.state") == fact_state
    report, _ = build_report(capture)
    reachable = finding(report, "docker-engine-reachable")
    assert reachable["status"] == status and words in reachable["evidence"], reachable["evidence"]
    endpoint = STATES[state]["docker"]["endpoint"]
    if not endpoint.startswith("context:"):
        assert endpoint in reachable["evidence"]
    # The header names the engine asked, and why that one.
    header = text_of(report).splitlines()[:3]
    assert header[2] == "Engine %s (%s)" % (endpoint, STATES[state]["docker"]["endpoint_source"]) + (
        "  ·  on another machine: the checks that would compare it with this host are skipped"
        if STATES[state]["docker"].get("local") is False else ""), header
    page = render_page(report)
    assert "<dt>Engine</dt><dd>%s (" % endpoint.replace("&", "&amp;") in page


def test_a_wrong_socket_while_dockerd_runs_is_never_called_stopped():
    """Issue 11: DOCKER_HOST=unix:///wrong.sock while dockerd runs said "not running… start the
    engine" in the same report that said dockerd runs."""
    report, facts = build_report(capture_in("wrong_socket"))
    assert facts.get("docker.dockerd_hosts") == ["unix:///var/run/docker.sock"]
    text = text_of(report)
    # (firewalld's own "not running" is about firewalld, which this machine has stopped)
    assert not [line for line in text.lower().splitlines() if "not running" in line and "firewalld" not in line]
    assert "systemctl start docker" not in text
    reachable = finding(report, "docker-engine-reachable")
    assert "listens on unix:///var/run/docker.sock" in reachable["evidence"]
    assert "unset DOCKER_HOST DOCKER_CONTEXT" in reachable["remediation"]["commands"]
    # The engines' other rules skip with the capture's own words, naming the socket asked.
    eol = finding(report, "docker-engine-eol")
    assert eol["status"] == "skip" and "no socket at /wrong.sock (named by env DOCKER_HOST)" in eol["evidence"]


def test_the_same_wrong_socket_with_no_dockerd():
    report, _ = build_report(capture_in("wrong_socket", dockerd_running=False))
    assert "and no dockerd runs on this host" in finding(report, "docker-engine-reachable")["evidence"]


def test_a_stopped_engine_is_not_running():
    """The default socket absent, dockerd installed and not in the process table: stopped."""
    capture = capture_in("wrong_socket", dockerd_running=False)
    capture["docker"].update(endpoint="unix:///var/run/docker.sock", endpoint_source="default socket",
                             state="not_running", error="not_running",
                             detail="socket absent: dockerd is installed but not running (/var/run/docker.sock)")
    report, facts = build_report(capture)
    assert facts.get("docker.state") == "not_running"
    reachable = finding(report, "docker-engine-reachable")
    assert "not running" in reachable["evidence"] and "systemctl start docker" in reachable["remediation"]["commands"]
    # ... but with dockerd in the process table, the default socket is merely missing.
    capture["processes"] = BASE["processes"]
    assert build_facts(capture).get("docker.state") == "socket_missing"


def test_refused_never_passes_about_the_default_socket():
    report, _ = build_report(capture_in("tcp_refused"))
    for item in report["findings"]:
        if item["area"] == "docker":
            assert not (item["status"] == "pass" and "/var/run/docker.sock" in item["evidence"]), item


def test_a_remote_engine_skips_the_checks_that_would_mix_two_machines():
    report, facts = build_report(capture_in("remote"))
    assert facts.get("docker.local") is False
    here, _ = build_report(capture_in("tcp"))
    # What the same machine says with its engine here (a rule this host skips for a reason of
    # its own, e.g. no AppArmor or an unreadable sysctl, says that reason first either way).
    own_skip = {f["id"]: f["evidence"] for f in here["findings"] if f["status"] == "skip"}
    for rule_id in HOST_SIDE:
        for item in [f for f in report["findings"] if f["id"] == rule_id]:
            assert item["status"] == "skip", item
            if own_skip.get(rule_id) == item["evidence"]:
                continue
            assert "on another machine" in item["evidence"] and STATES["remote"]["docker"]["endpoint"] in item["evidence"]
    # The same capture with the engine here judges them.
    judged = [f for f in here["findings"] if f["id"] in HOST_SIDE and f["status"] != "skip"]
    assert len(judged) >= 8, [(f["id"], f["status"]) for f in here["findings"] if f["id"] in HOST_SIDE]
    # Engine-only rules still judge the remote engine; no image tree compares its images with this CPU.
    assert finding(report, "docker-engine-eol")["status"] != "skip"
    assert not [t for t in report["trees"] if t["tree"] == "image"]
    assert [t for t in here["trees"] if t["tree"] == "image"]


def test_a_remote_engines_components_are_not_this_hosts_runtimes():
    capture = capture_in("remote")
    facts = build_facts(capture)
    # This capture skipped runc --version (its engine answered /version): with the engine
    # elsewhere, runc is unknown here rather than the other machine's.
    assert not facts.known("runtimes.runc.version")
    assert build_facts(capture_in("tcp")).get("runtimes.runc.version") == "1.1.5+ds1"


def test_captures_from_before_engine_selection():
    """No endpoint_source, local or state: inferred from the endpoint and the CODE."""
    capture = copy.deepcopy(BASE)
    assert set(capture["docker"]) & {"endpoint_source", "local", "state"} == set()
    facts = build_facts(capture)
    assert (facts.get("docker.state"), facts.get("docker.endpoint_source"), facts.get("docker.local")) == (
        "running", "default socket", True)
    # Old captures of DOCKER_HOST=unix:///wrong.sock said "not_running" (dockerd --version ran):
    # dockerd in the process table makes it the missing socket it was.
    capture["docker"] = {"endpoint": "unix:///wrong.sock", "responses": {}, "error": "not_running",
                         "detail": "socket absent: dockerd is installed but not running (/wrong.sock)"}
    facts = build_facts(capture)
    assert (facts.get("docker.state"), facts.get("docker.endpoint_source")) == ("socket_missing", "env DOCKER_HOST")


def test_zh_header_and_reachable():
    report, _ = build_report(capture_in("remote"), lang="zh")
    header = text_of(report).splitlines()[2]
    assert header.startswith("引擎地址 tcp://") and "在另一台机器上" in header
    assert "在另一台机器上" in finding(report, "docker-engine-reachable")["evidence"]

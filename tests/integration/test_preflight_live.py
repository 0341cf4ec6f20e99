"""Issue 13's proof on this machine: `hostcheck preflight` predicts, per service, what
`docker-compose up` then really does (Debian 12 has docker-compose 1.29.2, v1, and no v2
plugin: v1 ran here, as its `config` oracle and as `up`).

The project (tests/data/preflight/live/compose.yaml): an arm64-only service with no binfmt_misc
entry, a port held by a host process (a python listener), an internal network whose fixed
subnet lies under a host route (a veth of our own), a network_mode host service whose port is
taken, and an `external:` network -- first missing (`up` stops before any service), then
created. Loopback and local images only (`--pull=never` semantics: every image is loaded from
a hand-written archive), everything put back afterwards. Run under the integration lock.
"""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import missing
from net_helpers import have_root_tools, sh

REPO = Path(__file__).resolve().parents[2]
LIVE = REPO / "tests" / "data" / "preflight" / "live"
PROJECT = "hc-test-pf"
EXTERNAL = "hc-test-pf-outside"
VETH, PEER, ROUTED = "hc-pf-va", "hc-pf-vb", "10.231.50.0/24"


def preflight(*args):
    result = subprocess.run([sys.executable, "-m", "hostcheck", "preflight", str(LIVE), "-p", PROJECT,
                             "--json", "--timeout", "30"] + list(args),
                            cwd=str(REPO), capture_output=True, text=True, timeout=180)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def compose(*args, check=True):
    result = subprocess.run(["docker-compose", "-p", PROJECT, "-f", str(LIVE / "compose.yaml")] + list(args),
                            capture_output=True, text=True, timeout=180)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def verdicts(report):
    return dict((t["subject"], t["verdict"]) for t in report["trees"] if t["tree"] == "preflight")


def what_happened(docker):
    """{service: (state, exit code, engine error, last log line)} of the project's containers."""
    ids = docker("ps", "-aq", "--filter", "label=com.docker.compose.project=" + PROJECT).stdout.split()
    found = {}
    for inspect in (docker.inspect(*ids) if ids else []):
        name = inspect["Config"]["Labels"]["com.docker.compose.service"]
        logs = docker("logs", inspect["Id"], check=False)
        lines = (logs.stdout + logs.stderr).strip().splitlines()
        found[name] = (inspect["State"]["Status"], inspect["State"]["ExitCode"], inspect["State"]["Error"],
                       lines[-1] if lines else "")
    return found


@pytest.fixture
def scene(docker_engine, busybox_image):
    """The host state of the scenario, put back afterwards."""
    if shutil.which("docker-compose") is None:
        missing("docker-compose is not installed (tests/lib.sh installs it)")
    if not have_root_tools():
        missing("the scenario needs root, ip and busybox")
    if busybox_image("amd64") != "hc-test/busybox:amd64" or busybox_image("arm64") != "hc-test/busybox:arm64":
        pytest.fail("unexpected test image tags")
    binfmt = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
    if binfmt.exists() and binfmt.read_text().startswith("enabled"):
        pytest.skip("qemu-aarch64 is registered and enabled here: the arm64 service would run")
    compose("down", check=False)
    sockets = []
    for address in (("127.0.0.1", 18080), ("0.0.0.0", 18081)):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen()
        sockets.append(listener)
    sh("ip", "link", "add", VETH, "type", "veth", "peer", "name", PEER)
    try:
        sh("ip", "link", "set", VETH, "up")
        sh("ip", "link", "set", PEER, "up")
        sh("ip", "route", "add", ROUTED, "dev", VETH)
        yield docker_engine
    finally:
        compose("down", check=False)
        docker_engine("network", "rm", EXTERNAL, check=False)
        sh("ip", "link", "del", VETH, check=False)
        for listener in sockets:
            listener.close()


def test_preflight_predicts_what_docker_compose_up_does(scene):
    docker = scene
    # 1. The external network does not exist: every service is blocked, and `up` starts none.
    report = preflight()
    project = next(t for t in report["trees"] if t["tree"] == "preflight-project")
    assert "docker-compose config 1.29.2" in project["path"][0]["evidence"]   # v1 was the oracle
    assert project["verdict"]["id"] == "external-network-missing"
    assert set(v["id"] for v in verdicts(report).values()) == {"external-network-missing"}
    up = compose("up", "-d", check=False)
    assert up.returncode != 0
    assert "Network %s declared as external, but could not be found" % EXTERNAL in up.stderr
    assert what_happened(docker) == {}
    compose("down", check=False)

    # 2. With the network created: one verdict per service, then `up` for real.
    docker("network", "create", EXTERNAL)
    report = preflight()
    predicted = verdicts(report)
    assert dict((name, v["id"]) for name, v in predicted.items()) == {
        "web": "port-taken", "arm": "image-fails", "db": "subnet-over-route", "ext": "comes-up",
        "hostsvc": "host-port-taken"}
    up = compose("up", "-d", check=False)
    time.sleep(2)                    # let the arm64 and host-network processes exit
    happened = what_happened(docker)
    table = ["%-8s %-18s %-6s %s" % (name, predicted[name]["id"], predicted[name]["status"], happened.get(name))
             for name in sorted(predicted)]
    print("\nservice  hostcheck verdict  status what docker-compose up did\n" + "\n".join(table))

    # web: Created, the engine's error names the held port
    state, code, error, _ = happened["web"]
    assert state == "created" and "127.0.0.1:18080: bind: address already in use" in error
    assert "web" in up.stderr and "address already in use" in up.stderr
    # arm: started, exited 1 with exec format error (no binfmt_misc entry)
    state, code, error, log = happened["arm"]
    assert (state, code) == ("exited", 1) and "exec format error" in log
    # hostsvc: on the host's network its httpd cannot bind 18081
    state, code, error, log = happened["hostsvc"]
    assert (state, code) == ("exited", 1) and "Address already in use" in log
    # ext: up; db: up, but the host still routes 10.231.50.0/24 through our veth, not its bridge
    assert happened["ext"][0] == "running" and happened["db"][0] == "running"
    route = sh("ip", "route", "get", "10.231.50.7").stdout
    assert "dev %s" % VETH in route, route
    # Every fail verdict is a service that is not running; every other one is running.
    for name, verdict in predicted.items():
        assert (verdict["status"] == "fail") == (happened[name][0] != "running"), (name, verdict, happened[name])

    # 3. After `up`, the project's own containers are no conflict: the verdicts stay.
    again = verdicts(preflight())
    assert dict((name, v["id"]) for name, v in again.items()) == dict((n, v["id"]) for n, v in predicted.items())


def test_a_foreign_from_with_run_steps_is_flagged(scene, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM hc-test/busybox:arm64\nRUN echo installing && sleep 1\n"
                                         "EXPOSE 8080\n")
    result = subprocess.run([sys.executable, "-m", "hostcheck", "preflight", str(tmp_path / "Dockerfile"),
                             "--json", "--timeout", "30"], cwd=str(REPO), capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    build = verdicts(report)["Dockerfile"]
    assert build["id"] == "build-fails"
    assert "linux/arm64/v8 (stage 0, needs-remediation): RUN echo installing && sleep 1" in build["text"]
    # The classic builder agrees: the RUN step cannot execute here (--force-rm: a failed step
    # leaves no intermediate container behind).
    built = subprocess.run(["docker", "build", "--pull=false", "--force-rm", "-t", "hc-test/pf-build:arm64", str(tmp_path)],
                           capture_output=True, text=True, timeout=180, env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/bin:/bin"})
    subprocess.run(["docker", "image", "rm", "-f", "hc-test/pf-build:arm64"], capture_output=True)
    assert built.returncode != 0
    assert "exec format error" in (built.stdout + built.stderr)

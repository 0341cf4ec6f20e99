"""`hostcheck preflight` judged against a real capture of this machine, taken while the live
scenario was set up (tests/data/preflight/capture-live.json, recorded with
tests/integration/test_preflight_live.py's setup: a python listener on 127.0.0.1:18080 and
0.0.0.0:18081, a veth with a route to 10.231.50.0/24, the external network
hc-test-pf-outside, another compose project hc-test-pfother publishing 127.0.0.1:18082 on
10.231.60.0/24, hc-test/busybox:amd64 and :arm64 loaded, binfmt_misc not mounted,
docker-compose 1.29.2 and no compose v2). No engine, no root: the capture is the host.
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hostcheck.judge import load_catalogue
from hostcheck.combine import build_facts
from hostcheck.preflight import compose
from hostcheck.preflight.project import read_project
from hostcheck.preflight.subjects import _overlaps
from hostcheck.preflight.walk import dependency_order, preflight_trees

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "preflight"
CAPTURE = DATA / "capture-live.json"
SHOP = DATA / "shop"
CATALOGUE = load_catalogue()


def preflight(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "hostcheck", "preflight"] + [str(a) for a in args],
                          cwd=str(cwd), capture_output=True, text=True, timeout=120)


def verdicts(report, tree="preflight"):
    return dict((t["subject"], t["verdict"]["id"]) for t in report["trees"] if t["tree"] == tree)


def tree_of(report, subject, tree="preflight"):
    return next(t for t in report["trees"] if t["tree"] == tree and t["subject"] == subject)


def judged(path, capture=None, profiles=(), name=None, lang="en", facts_patch=None):
    """preflight_trees over the recorded capture (optionally changed) for the project at path."""
    capture = copy.deepcopy(capture or json.loads(CAPTURE.read_text()))
    capture["compose"] = read_project(str(path), {}, profiles, name, find_tool=None)
    facts = build_facts(capture)
    for name_, value in (facts_patch or {}).items():
        facts.set(name_, value)
    return preflight_trees(capture, facts, CATALOGUE, lang)


def tagged(capture, image_id_prefix, *tags):
    """The capture with more tags on one of its images, as `docker tag` would add them."""
    capture = copy.deepcopy(capture)
    for item in capture["docker"]["responses"]["/images/json"]:
        if item["Id"].split(":", 1)[1].startswith(image_id_prefix):
            item["RepoTags"] = list(item["RepoTags"]) + list(tags)
    return capture


ARM64_ID = "9bdb13742b40"     # hc-test/busybox:arm64 in the recorded capture


# ---------------------------------------------------------------- the live scenario, replayed

def test_the_live_scenario_replayed_from_its_capture():
    result = preflight(DATA / "live", "--capture", CAPTURE, "-p", "hc-test-pf", "--own-parser", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert verdicts(report) == {"web": "port-taken", "arm": "image-fails", "db": "subnet-over-route",
                                "ext": "comes-up", "hostsvc": "host-port-taken"}
    assert "127.0.0.1:18080/tcp held by python3 (pid" in tree_of(report, "web")["verdict"]["text"]
    assert "exec format error" in tree_of(report, "arm")["verdict"]["text"]
    assert "10.231.50.0/24 in 10.231.50.0/24" in tree_of(report, "db")["verdict"]["text"]
    assert "dev hc-pf-va" in json.dumps(tree_of(report, "db")["path"])
    assert "0.0.0.0:18081/tcp held by python3" in tree_of(report, "hostsvc")["verdict"]["text"]
    project = tree_of(report, "hc-test-pf", "preflight-project")
    assert project["verdict"]["id"] == "services-fail"
    assert "hostcheck's own parser (--own-parser)" in project["path"][0]["evidence"]
    images = verdicts(report, "image")
    assert images["arm: hc-test/busybox:arm64"] == "needs-remediation" and images["web: hc-test/busybox:amd64"] == "native"
    # findings: the areas a project leans on, not the whole catalogue
    assert set(f["area"] for f in report["findings"]) <= {"docker", "network", "firewall", "dns", "binfmt", "kernel"}


def test_the_report_validates_against_the_shipped_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "hostcheck" / "data" / "schema" / "report.json").read_text())
    result = preflight(DATA / "live", "--capture", CAPTURE, "--own-parser", "--json")
    jsonschema.validate(json.loads(result.stdout), schema)


def test_an_external_network_that_does_not_exist_stops_every_service(tmp_path):
    text = (DATA / "live" / "compose.yaml").read_text().replace("hc-test-pf-outside", "hc-test-pf-nowhere")
    (tmp_path / "compose.yaml").write_text(text)
    trees = judged(tmp_path, name="hc-test-pf")
    assert set(t["verdict"]["id"] for t in trees if t["tree"].startswith("preflight")) == {"external-network-missing"}
    assert "hc-test-pf-nowhere" in trees[0]["verdict"]["text"]


def test_another_projects_container_and_network(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: hc-test/busybox:amd64\n    ports: ['127.0.0.1:18082:80']\n"
        "    networks: [mine]\nnetworks:\n  mine:\n    ipam:\n      config: [{subnet: 10.231.60.128/25}]\n")
    trees = judged(tmp_path, name="shopping")
    assert verdicts({"trees": trees})["api"] == "subnet-taken"      # the network cannot be created
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: hc-test/busybox:amd64\n    ports: ['18082:80']\n")
    trees = judged(tmp_path, name="shopping")
    api = tree_of({"trees": trees}, "api")
    assert api["verdict"]["id"] == "port-used-by-container"
    assert "hc-test-pfother_web_1 (compose project hc-test-pfother)" in api["verdict"]["text"]
    # The same file as that project itself: its own running container is no conflict.
    assert verdicts({"trees": judged(tmp_path, name="hc-test-pfother")})["api"] == "comes-up"


def test_a_clean_project_warns_about_the_host_and_compose_v1(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  ext:\n    image: hc-test/busybox:amd64\n    networks: [outside]\n"
        "networks:\n  outside: {external: true, name: hc-test-pf-outside}\n")
    trees = judged(tmp_path)
    assert verdicts({"trees": trees}) == {"ext": "comes-up"}
    project = trees[0]
    assert project["verdict"]["id"] == "host-warnings"           # network-mtu, docker-log-rotation
    steps = dict((s["node"], s["answer"]) for s in project["path"])
    assert steps["compose-installed"] == "yes" and "docker-compose 1.29.2" in project["path"][3]["evidence"]
    # without those warnings the v1-only tool is what is left to say
    quiet = judged(tmp_path, facts_patch={"net.egress_mtu": 1500, "docker.log_max_size": "10m"})
    assert quiet[0]["verdict"]["id"] == "compose-v1-only"


# ---------------------------------------------------------------- the shop and its ARM build

def test_the_shop_on_this_host(tmp_path):
    trees = judged(SHOP, name="shop")
    found = verdicts({"trees": trees})
    assert set(found) == {"front", "order", "db"}                 # adminer is behind a profile
    # shop/front and mysql are not on this host; the order service is built FROM an arm64
    # base that is not here either: nothing fails, nothing can be promised.
    assert found == {"front": "image-unknown", "order": "image-unknown", "db": "image-unknown"}
    order = tree_of({"trees": trees}, "order")
    assert "arm64v8/openjdk:8-jdk-oraclelinux7 is not on this host" in order["verdict"]["text"]
    steps = dict((s["node"], s["evidence"]) for s in order["path"])
    assert steps["image-runs"].startswith("nothing says it does not")
    assert "left out by profiles: adminer (profiles debug)" in trees[0]["path"][2]["evidence"]


def test_run_yum_install_on_a_foreign_base_is_flagged():
    capture = tagged(json.loads(CAPTURE.read_text()), ARM64_ID, "arm64v8/openjdk:8-jdk-oraclelinux7")
    trees = judged(SHOP / "order" / "Dockerfile", capture)
    report = {"trees": trees}
    build = tree_of(report, "Dockerfile")
    assert build["verdict"]["id"] == "build-fails"
    assert "linux/arm64/v8 (stage 0, needs-remediation): RUN yum install -y curl tzdata" in build["verdict"]["text"]
    assert verdicts(report, "image") == {"Dockerfile: FROM arm64v8/openjdk:8-jdk-oraclelinux7 (stage 0)": "needs-remediation"}
    assert trees[0]["tree"] == "preflight-project" and trees[0]["verdict"]["id"] == "services-fail"
    # With qemu-aarch64 registered with F, the build runs: emulated, and slow.
    emulated = judged(SHOP / "order" / "Dockerfile", capture, facts_patch={
        "binfmt.mounted": True, "binfmt.enabled": True, "binfmt.platforms": ["linux/arm64"],
        "binfmt.entries": [{"name": "qemu-aarch64", "enabled": True, "flags": "PF", "platform": "linux/arm64",
                            "interpreter": "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"}]})
    build = tree_of({"trees": emulated}, "Dockerfile")
    assert build["verdict"]["id"] == "runs-emulated" and build["verdict"]["status"] == "warn"
    assert "RUN yum install" in json.dumps(build["path"])


def test_a_native_build_explains_expose_without_ports(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM hc-test/busybox:amd64\nRUN echo built\nEXPOSE 8080\n"
                                         "HEALTHCHECK CMD wget -q -O- http://localhost:8080/ || exit 1\n")
    trees = judged(tmp_path / "Dockerfile")
    build = tree_of({"trees": trees}, "Dockerfile")
    assert build["verdict"]["id"] == "declared-not-published" and build["verdict"]["status"] == "info"
    assert "8080/tcp are declared" in build["verdict"]["text"]
    assert trees[0]["verdict"]["id"] != "services-fail"


def test_build_platform_stages_run_natively(tmp_path):
    """FROM --platform=$BUILDPLATFORM: the compile stage runs on the host's platform, only the
    final stage's (here: none) RUN steps would be emulated."""
    capture = tagged(json.loads(CAPTURE.read_text()), ARM64_ID, "arm64v8/openjdk:8-jre")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  order:\n    build: .\n    platform: linux/arm64\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM --platform=$BUILDPLATFORM hc-test/busybox:amd64 AS build\nRUN echo compile\n"
        "FROM --platform=$TARGETPLATFORM arm64v8/openjdk:8-jre\nCOPY --from=build /bin/busybox /app\n")
    trees = judged(tmp_path, capture)
    order = tree_of({"trees": trees}, "order")
    assert order["verdict"]["id"] == "image-fails"         # the arm64 image itself, no emulator
    steps = dict((s["node"], s["answer"]) for s in order["path"])
    assert steps["image-runs"] == "no"
    images = verdicts({"trees": trees}, "image")
    assert images["order: FROM hc-test/busybox:amd64 (stage 0)"] == "native"
    assert images["order: FROM arm64v8/openjdk:8-jre (stage 1)"] == "needs-remediation"


def test_chinese_report(tmp_path):
    trees = judged(DATA / "live", name="hc-test-pf", lang="zh")
    assert "无法启动" in tree_of({"trees": trees}, "web")["verdict"]["text"]
    assert "python3" in tree_of({"trees": trees}, "web")["verdict"]["text"]


# ---------------------------------------------------------------- the command line

def test_a_billion_laughs_file_exits_3_with_one_line(tmp_path):
    from test_preflight_compose import BILLION_LAUGHS
    (tmp_path / "compose.yaml").write_text(BILLION_LAUGHS)
    result = preflight(tmp_path, "--capture", CAPTURE)
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "billion laughs" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_path_exits_3(tmp_path):
    result = preflight(tmp_path / "nothing", "--capture", CAPTURE)
    assert result.returncode == 3 and "does not exist" in result.stderr


def test_text_report_names_the_verdicts(tmp_path):
    result = preflight(DATA / "live", "--capture", CAPTURE, "--own-parser", "--no-color", "-p", "hc-test-pf")
    assert result.returncode == 1
    assert "does not start: a host port it publishes is taken" in result.stdout
    assert "[preflight/port-taken]" in result.stdout and "[preflight-project/services-fail]" in result.stdout


def test_only_selects_findings_and_fail_on(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  ext:\n    image: hc-test/busybox:amd64\n")
    result = preflight(tmp_path, "--capture", CAPTURE, "--own-parser", "--json", "--only", "dns")
    report = json.loads(result.stdout)
    assert set(f["area"] for f in report["findings"]) == {"dns"}
    assert result.returncode == 0                 # warnings only; --fail-on fail
    assert preflight(tmp_path, "--capture", CAPTURE, "--own-parser", "--json", "--fail-on", "warn").returncode == 1


@pytest.mark.skipif(not __import__("shutil").which("docker-compose"), reason="docker-compose (v1) is not installed")
def test_docker_compose_config_is_the_truth_when_installed(tmp_path):
    result = preflight(DATA / "live", "--capture", CAPTURE, "-p", "hc-test-pf", "--json", "--timeout", "30")
    report = json.loads(result.stdout)
    project = tree_of(report, "hc-test-pf", "preflight-project")
    assert "read by docker-compose config 1." in project["path"][0]["evidence"]
    assert verdicts(report)["web"] == "port-taken"
    # docker-compose 1.29 refuses host_ip in the long port syntax (compose v2 takes it).
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: hc-test/busybox:amd64\n"
        "    ports: [{target: 80, published: 8080, host_ip: 127.0.0.1}]\n")
    report = json.loads(preflight(tmp_path, "--capture", CAPTURE, "--json", "--timeout", "30").stdout)
    assert verdicts(report) == {"web": "file-rejected"}
    assert "unsupported option: 'host_ip'" in report["trees"][0]["verdict"]["text"]
    own = json.loads(preflight(tmp_path, "--capture", CAPTURE, "--json", "--own-parser").stdout)
    assert verdicts(own) == {"web": "loopback-only"}


# ---------------------------------------------------------------- pieces

@pytest.mark.parametrize("binding, listener, collides", [
    ("", "127.0.0.1", True), ("0.0.0.0", "127.0.0.1", True), ("127.0.0.1", "0.0.0.0", True),
    ("127.0.0.1", "10.0.0.5", False), ("127.0.0.1", "::", True), ("::1", "127.0.0.1", False),
    ("0.0.0.0", "::1", False), ("::", "::1", True), ("10.0.0.5", "10.0.0.5", True),
])
def test_which_sockets_a_binding_collides_with(binding, listener, collides):
    assert _overlaps(binding, listener) is collides


def test_dependency_order():
    model = compose.load(compose.locate(str(SHOP)), {}, ())
    assert [s["name"] for s in dependency_order(model["services"])] == ["db", "order", "front"]
    looping = [{"name": "a", "active": True, "depends_on": ["b"]}, {"name": "b", "active": True, "depends_on": ["a"]}]
    assert [s["name"] for s in dependency_order(looping)] == ["a", "b"]


def test_a_failing_dependency_fails_its_dependents(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: hc-test/busybox:amd64\n    depends_on: [web]\n"
        "  web:\n    image: hc-test/busybox:amd64\n    ports: ['127.0.0.1:18080:80']\n")
    found = verdicts({"trees": judged(tmp_path)})
    assert found == {"web": "port-taken", "app": "dependency-fails"}


# ---------------------------------------------------------------- a remote engine

def on_remote_engine(capture):
    """The same capture with DOCKER_HOST naming an engine on another machine (as
    tests/data/capture/engine/states.json's "remote" state records it)."""
    capture = copy.deepcopy(capture)
    capture["docker"].update(endpoint="tcp://192.0.2.50:2375", endpoint_source="env DOCKER_HOST", local=False)
    return capture


def test_a_remote_engine_is_not_judged_against_this_hosts_cpu_ports_and_routes(tmp_path):
    remote = tmp_path / "remote.json"
    remote.write_text(json.dumps(on_remote_engine(json.loads(CAPTURE.read_text()))))
    result = preflight(DATA / "live", "--capture", remote, "-p", "hc-test-pf", "--own-parser", "--json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    found = verdicts(report)
    # The same project judged here (test above): web's port is held by this host's python3,
    # arm's image fails on this CPU, db's subnet meets this host's route. None of that says
    # anything about the machine the engine runs on.
    assert found["web"] != "port-taken" and found["arm"] != "image-fails" and found["db"] != "subnet-over-route"
    assert found["hostsvc"] != "host-port-taken"
    text = json.dumps([t for t in report["trees"] if t["tree"] == "preflight"])
    assert "held by python3" not in text and "hc-pf-va" not in text
    assert "tcp://192.0.2.50:2375) is on another machine" in tree_of(report, "arm")["verdict"]["text"] \
        or "tcp://192.0.2.50:2375) is on another machine" in json.dumps(tree_of(report, "arm")["path"])
    assert not verdicts(report, "image")      # no image compared with this host's CPU


def test_image_refs_on_a_remote_engine_are_not_judged_here(tmp_path):
    remote = tmp_path / "remote.json"
    remote.write_text(json.dumps(on_remote_engine(json.loads(CAPTURE.read_text()))))
    result = subprocess.run([sys.executable, "-m", "hostcheck", "image", "hc-test/busybox:arm64", "--capture",
                             str(remote), "--json"], cwd=str(REPO), capture_output=True, text=True, timeout=120)
    assert result.returncode == 3 and not result.stdout, (result.returncode, result.stdout[:300])
    assert len(result.stderr.strip().splitlines()) == 1 and "is on another machine" in result.stderr
    # The engine here: the same REF is judged (an arm64 image on this amd64 host).
    here = subprocess.run([sys.executable, "-m", "hostcheck", "image", "hc-test/busybox:arm64", "--capture",
                           str(CAPTURE), "--json"], cwd=str(REPO), capture_output=True, text=True, timeout=120)
    assert verdicts(json.loads(here.stdout), "image") == {"hc-test/busybox:arm64": "needs-remediation"}

"""build_facts on real captures (this machine with Docker, the same host without Docker),
on junk, and the contract that every fact it produces has the type FACTS declares.

On junk, "never raises" is not enough: build_facts catches everything, so these tests also
assert that no combiner took its internal-error path (hostcheck.combine.run names them)."""

import copy
import json
import random

import pytest

from hostcheck.facts import FACTS, Facts
from hostcheck.combine import build_facts, run
from test_parse_sources import CAPTURES

TYPES = {"str": str, "int": int, "bool": bool, "float": float, "list": list, "dict": dict,
         "list[dict]": list, "list[str]": list}


def load(name):
    return json.loads((CAPTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def machine():
    return load("debian12-this-machine.json")


@pytest.fixture(scope="module")
def no_docker():
    return load("debian12-no-docker.json")


def assert_contract(facts):
    """Every registered fact is known or unknown-with-a-reason; known values have their type."""
    assert isinstance(facts, Facts)
    for name, value in facts.values.items():
        assert name in FACTS, "unregistered fact %s" % name
        kind = FACTS[name][0]
        expected = TYPES[kind]
        assert isinstance(value, expected), "%s is %r, FACTS says %s" % (name, value, kind)
        if expected is int:
            assert not isinstance(value, bool), name
        if kind == "list[str]":
            assert all(isinstance(v, str) for v in value), name
        if kind == "list[dict]":
            assert all(isinstance(v, dict) for v in value), name
    for name in FACTS:
        assert facts.known(name) or facts.unknown.get(name), "%s neither known nor explained" % name
        if not facts.known(name):
            assert isinstance(facts.unknown[name], str) and facts.unknown[name].strip()
    json.dumps(facts.to_dict())  # the report carries them as JSON


def test_this_machine(machine):
    facts = build_facts(machine)
    assert_contract(facts)
    v = facts.values
    assert (v["os.id"], v["os.family"], v["os.package_manager"]) == ("debian", "debian", "apt")
    assert (v["arch.machine"], v["arch.platform"], v["arch.page_size"]) == ("x86_64", "linux/amd64", 4096)
    assert v["kernel.version"] == "6.18.44"
    assert v["kernel.config_source"] == "/proc/config.gz"
    assert v["kernel.modules_supported"] is False          # CONFIG_MODULES unset: not an error
    assert v["binfmt.mounted"] is False and v["binfmt.entries"] == []
    assert v["docker.state"] == "running"
    assert v["docker.dockerd.version"] == "20.10.24+dfsg1"   # from the engine's Components
    assert v["runtimes.runc.commit"] == "1.1.5+ds1-1+deb12u1"
    assert "CVE-2024-21626" in v["runtimes.runc.changelog_cves"]
    assert v["iptables.backend"] == "nf_tables"
    assert "nat/DOCKER" in v["iptables.chains"]
    assert "172.17.0.0/16" in v["iptables.masquerade_sources"]
    assert v["cgroup.mode"] == "hybrid"
    assert v["docker.iptables"] is True                       # no daemon.json: default
    assert "docker.daemon_json" in facts.unknown
    assert v["docker.socket.mode"] == "0660"
    assert v["storage.root_total_bytes"] > v["storage.root_free_bytes"] > 0
    assert "dockerd" in v["processes.names"]
    names = {c["name"] for c in v["docker.containers"]}
    assert {"hc-web", "hc-exit", "hc-arm", "hc-sleep"} <= names
    assert v["firewalld.state"] == "not_running"
    # sysctl files: known, or unknown with the capture's reason (this capture version hit ENOMEM).
    for name in ("sysctl.ip_forward", "sysctl.bridge_nf_call_iptables"):
        assert facts.known(name) or "/proc/sys/net/" in facts.reason(name)


def test_host_without_docker(no_docker):
    facts = build_facts(no_docker)
    assert_contract(facts)
    assert facts.get("docker.state") == "not_installed"
    assert facts.reason("docker.containers").startswith("Docker is not installed")
    assert facts.reason("runtimes.runc.version") == "runc --version: not_found"
    assert facts.get("runtimes.installed") == []
    assert facts.get("docker.client.podman_shim") is False
    assert facts.get("iptables.chains") == []
    assert facts.get("docker.iptables") is True
    assert "not_found" in facts.reason("runtimes.runc.changelog_cves")
    # readiness facts are judged as usual
    assert facts.get("arch.platform") == "linux/amd64" and facts.get("kernel.version")


def test_engine_not_running_but_installed(machine):
    capture = copy.deepcopy(machine)
    capture["docker"] = {"endpoint": "unix:///var/run/docker.sock", "responses": {}, "error": "not_found"}
    # Stopped: no dockerd in the process table either (with one, the socket is missing: see below).
    items = capture["processes"]["items"]
    capture["processes"]["items"] = [item for item in items if item.get("name") != "dockerd"]
    facts = build_facts(capture)
    assert facts.get("docker.state") == "not_running"       # dockerd --version ran
    assert facts.reason("docker.version") == "the Docker engine is not running"
    # this capture skipped `runc --version` because the engine answered; without the engine
    # the reason says so instead of inventing a version
    assert facts.reason("runtimes.runc.version") == "runc --version: skipped (engine /version)"
    assert facts.get("runtimes.crun.version") == "1.8.1"


def test_reasons_name_source_and_code(machine):
    capture = copy.deepcopy(machine)
    capture["privileges"] = {"uid": 1000, "euid": 1000, "groups": [1000]}
    capture["commands"]["iptables-save"] = {"argv": ["iptables-save"], "error": "permission_denied"}
    capture["commands"]["runc --version"] = {"argv": ["runc", "--version"], "error": "skipped",
                                             "detail": "engine /version"}
    capture["files"]["/proc/config.gz"] = {"error": "not_found"}
    capture["files"]["/proc/modules"] = {"error": "not_found"}
    capture["files"]["/etc/docker/daemon.json"] = {"content": '{"iptables": false,}'}
    capture["files"]["/proc/sys/net/bridge/bridge-nf-call-iptables"] = {"error": "not_found"}
    facts = build_facts(capture)
    assert facts.reason("iptables.tables") == "iptables-save: permission_denied (needs root)"
    assert facts.get("runtimes.runc.version") == "1.1.5+ds1"   # engine Components fill a skipped run
    assert facts.reason("kernel.config").startswith("/proc/config.gz and /boot/config-6.18.44-fc-v595: not_found") \
        or facts.reason("kernel.config").startswith("/proc/config.gz: not_found")
    assert "invalid JSON" in facts.reason("docker.daemon_json")
    assert "invalid JSON" in facts.reason("docker.iptables")
    assert facts.reason("sysctl.bridge_nf_call_iptables") == "br_netfilter not loaded (file absent)"
    assert facts.get("sysctl.bridge_nf_present") is False
    assert facts.get("privileges.root") is False
    assert_contract(facts)


JUNK = [None, 0, "", "x", [], {}, 3.5, True, {"format": "hostcheck.capture/v1"},
        {"files": None, "dirs": 5, "commands": [], "docker": "x", "uname": [], "privileges": "root"},
        {"files": {"/etc/os-release": 5, "/proc/mounts": {"content": None}, "/proc/cpuinfo": {"error": 7}}},
        {"commands": {"runc --version": {"rc": "0"}, "iptables-save": {"rc": 0, "stdout": None},
                      "docker --version": {"rc": True, "stdout": 1}}},
        {"docker": {"error": None, "responses": {"/version": [], "/info": "x",
                                                 "/containers/json?all=1": [1, None, {"Id": 5}, {"Id": "a"}],
                                                 "/networks": [{"Id": "n", "IPAM": {"Config": [None, 1]}}],
                                                 "/images/json": [{"Id": "i", "RepoTags": None}]}}},
        {"uname": {"machine": 5, "release": None}, "stat": {"/var/run/docker.sock": {"mode": 660}},
         "statvfs": {"/var/lib/docker": {"free_bytes": "1"}}, "processes": {"items": [None, 1, {"name": 2}]}},
        {"dirs": {"/proc/sys/fs/binfmt_misc": {"entries": [None, "qemu-x", 3]}},
         "files": {"/proc/sys/fs/binfmt_misc/qemu-x": {"content": "enabled\nmagic 7f\noffset x\n"}}},
        # A running dockerd in the process table beside an endpoint that is not a string, and
        # dockerd listening sockets with odd addresses (both broke the whole Docker area once).
        {"docker": {"endpoint": 5, "responses": {}},
         "processes": {"items": [{"pid": 9, "name": "dockerd", "cmdline": ["/usr/bin/dockerd", "-H", "fd://"]}]}},
        {"docker": {"endpoint": ["unix:///var/run/docker.sock"]}, "files": {"/etc/docker/daemon.json": {"content": "{}"}},
         "listeners": [{"name": "dockerd", "proto": "tcp", "ip": ["::"], "port": 2375},
                       {"name": "dockerd", "proto": "tcp", "ip": "127.0.0.1", "port": {"n": 1}}, 7]},
        ]


def assert_no_internal_error(capture):
    """build_facts's contract, and no combiner broke on the way (run() names any that did)."""
    facts, failures = run(capture)
    assert_contract(facts)
    assert failures == {}, failures
    assert not [r for r in facts.unknown.values() if "internal error" in r]


@pytest.mark.parametrize("capture", JUNK, ids=range(len(JUNK)))
def test_junk_never_raises(capture):
    assert_no_internal_error(capture)


def _mutations(doc, rng, count):
    """Replace `count` random nodes of a copy of `doc` with junk of another type."""
    doc = copy.deepcopy(doc)
    junk = [None, 0, -1, "", "garbage\x00", [], {}, True, 1e308, {"error": "timeout"}]
    for _ in range(count):
        node, key = None, None
        current = doc
        for _depth in range(rng.randint(1, 5)):
            if isinstance(current, dict) and current:
                key = rng.choice(sorted(current, key=str))
            elif isinstance(current, list) and current:
                key = rng.randrange(len(current))
            else:
                break
            node, current = current, current[key]
        if node is not None:
            node[key] = rng.choice(junk)
    return doc


def test_fuzzed_real_capture_never_raises(machine):
    rng = random.Random(20261129)
    for _ in range(150):
        assert_no_internal_error(_mutations(machine, rng, rng.randint(1, 8)))


def test_fuzzed_capture_with_dockerd_flags_never_raises():
    """The capture of a dockerd started with its own flags (process table, listeners,
    drop-ins): the Docker area reads the most shapes there."""
    capture = json.loads((CAPTURES.parent / "outputs" / "debian12-probes" / "capture_own_dockerd.json")
                         .read_text(encoding="utf-8"))
    rng = random.Random(20261206)
    for _ in range(200):
        assert_no_internal_error(_mutations(capture, rng, rng.randint(1, 8)))


def test_truncated_texts(machine):
    capture = copy.deepcopy(machine)
    for entry in capture["files"].values():
        if isinstance(entry, dict) and isinstance(entry.get("content"), str):
            entry["content"] = entry["content"][: len(entry["content"]) // 2]
    for entry in capture["commands"].values():
        if isinstance(entry.get("stdout"), str):
            entry["stdout"] = entry["stdout"][: len(entry["stdout"]) // 3]
    assert_no_internal_error(capture)


def _with_containers(machine, count):
    """The real capture with `count` containers: copies of its real container bodies, new ids."""
    capture = copy.deepcopy(machine)
    responses = capture["docker"]["responses"]
    listed = responses["/containers/json?all=1"]
    bodies = [(item, responses.get("/containers/%s/json" % item["Id"])) for item in listed]
    new_list = []
    for n in range(count):
        item, body = bodies[n % len(bodies)]
        cid = "%064x" % (n + 1)
        item = dict(item, Id=cid, Names=["/bench-%d" % n])
        new_list.append(item)
        if body:
            responses["/containers/%s/json" % cid] = dict(body, Id=cid, Name="/bench-%d" % n)
    responses["/containers/json?all=1"] = new_list
    return capture


def test_500_containers(machine):
    # Speed is measured by bench/run (5 and 500 containers), not asserted here.
    capture = _with_containers(machine, 500)
    facts = build_facts(capture)
    assert len(facts.get("docker.containers")) == 500
    assert len(set(c["id"] for c in facts.get("docker.containers"))) == 500


# --- captures of other hosts, assembled from real texts of those systems -------------------

from test_parse_sources import EXTERNAL, OUTPUTS  # noqa: E402


def _text(path):
    return {"content": path.read_text(encoding="utf-8")}


def test_kylin_v10_kunpeng_64k_pages(machine):
    """A Kylin V10 SP3 arm64 host: its release files, Kunpeng cpuinfo, kernel release and a
    64 KiB page size, on top of this machine's capture (the rest)."""
    capture = copy.deepcopy(machine)
    capture["uname"].update(machine="aarch64", release="4.19.90-52.22.v2207.ky10.aarch64")
    files = capture["files"]
    for path in list(files):
        if path.startswith("/etc/") and path.endswith(("-release", "_version")):
            files[path] = {"error": "not_found"}
    files["/etc/os-release"] = _text(EXTERNAL / "os/kylin-v10-sp3/etc/os-release")
    files["/etc/kylin-release"] = _text(EXTERNAL / "os/kylin-v10-sp3/etc/kylin-release")
    files["/proc/cpuinfo"] = _text(EXTERNAL / "cpuinfo/kunpeng920-ubuntu18.04.txt")
    files["/proc/config.gz"] = {"error": "not_found"}
    files["/boot/config-4.19.90-52.22.v2207.ky10.aarch64"] = {"error": "not_found"}
    # /proc/modules lines of a CentOS 7 host (see test_parse_kernel.py)
    files["/proc/modules"] = {"content": "br_netfilter 22256 0 - Live 0xffffffffc04e7000\n"
                                         "bridge 151336 1 br_netfilter, Live 0xffffffffc04b5000\n"}
    capture["commands"]["getconf PAGESIZE"] = {"argv": ["getconf", "PAGESIZE"], "rc": 0,
                                               "stdout": "65536\n", "stderr": ""}
    capture["commands"]["iptables --version"] = {"argv": ["iptables", "--version"], "rc": 0, "stderr": "",
                                                 "stdout": (EXTERNAL / "iptables/kylin-v10-arm64-version.txt").read_text()}
    facts = build_facts(capture)
    assert_contract(facts)
    v = facts.values
    assert (v["os.id"], v["os.version"], v["os.service_pack"], v["os.family"]) == ("kylin", "V10", "SP3", "rhel")
    assert (v["arch.platform"], v["arch.variant"], v["arch.page_size"]) == ("linux/arm64", "v8", 65536)
    assert (v["cpu.vendor"], v["kernel.version"]) == ("HiSilicon", "4.19.90")
    assert v["iptables.backend"] == "legacy"
    assert facts.reason("kernel.config") == \
        "/proc/config.gz and /boot/config-4.19.90-52.22.v2207.ky10.aarch64: not_found"
    assert v["kernel.modules_supported"] is True
    assert v["kernel.modules"] == ["br_netfilter", "bridge"]


def test_loongarch_old_world(machine):
    capture = copy.deepcopy(machine)
    capture["uname"].update(machine="loongarch64", release="4.19.190-6.4.lns8.loongarch64")
    capture["files"]["/proc/cpuinfo"] = _text(EXTERNAL / "cpuinfo/loongson-3a5000-loongnix20-oldworld.txt")
    facts = build_facts(capture)
    assert (facts.get("arch.platform"), facts.get("arch.loongarch_world"), facts.get("cpu.vendor")) == \
        ("linux/loong64", "old", "Loongson")
    assert_contract(facts)


def test_binfmt_registered_entries(machine):
    """binfmt_misc mounted with the qemu entries update-binfmts registered on this machine."""
    capture = copy.deepcopy(machine)
    recorded = OUTPUTS / "debian12-binfmt"
    files = capture["files"]
    files["/proc/mounts"] = {"content": files["/proc/mounts"]["content"]
                             + (recorded / "proc_mounts_binfmt_lines.txt").read_text()}
    names = ["qemu-aarch64", "qemu-arm", "qemu-s390x"]
    capture["dirs"]["/proc/sys/fs/binfmt_misc"] = {"entries": sorted(names + ["register", "status"])}
    files["/proc/sys/fs/binfmt_misc/status"] = _text(recorded / "status")
    files["/proc/sys/fs/binfmt_misc/qemu-aarch64"] = _text(recorded / "qemu-aarch64")
    files["/proc/sys/fs/binfmt_misc/qemu-arm"] = _text(recorded / "qemu-arm")
    files["/proc/sys/fs/binfmt_misc/qemu-s390x"] = _text(recorded / "qemu-s390x.disabled")
    facts = build_facts(capture)
    assert_contract(facts)
    assert (facts.get("binfmt.mounted"), facts.get("binfmt.enabled")) == (True, True)
    assert facts.get("binfmt.platforms") == ["linux/arm", "linux/arm64"]   # s390x is disabled
    entry = {e["name"]: e for e in facts.get("binfmt.entries")}["qemu-aarch64"]
    assert entry["flags"] == "PF" and entry["interpreter"] == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"


def test_without_the_distro_library(machine, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distro", None)   # import distro -> ImportError
    facts = build_facts(machine)
    assert "distro library is not installed" in facts.reason("os.id")
    assert facts.get("arch.platform") == "linux/amd64"
    assert_contract(facts)

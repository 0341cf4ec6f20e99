"""No false alarms: healthy situations that naive checks flag must come out clean.

Each test takes a real capture of this machine (tests/data/captures, see README-parse.md)
and changes only the piece the situation is about, with real text for it.
"""

import copy
import json
import os

import pytest

from hostcheck.judge import judge, load_catalogue
from hostcheck.combine import build_facts

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOGUE = load_catalogue()
PROBLEMS = ("warn", "fail", "error")


def capture(name):
    with open(os.path.join(HERE, "data", "captures", name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def outside(path):
    with open(os.path.join(HERE, "data", "outputs", "external", path), encoding="utf-8") as handle:
        return handle.read()


def findings(doc):
    facts = build_facts(doc)
    return facts, {(f["id"], f.get("subject")): f for f in judge(CATALOGUE, facts)}


def problems(found, area=None, ids=()):
    return sorted("%s: %s %s" % (key[0], f["status"], f["evidence"]) for key, f in found.items()
                  if f["status"] in PROBLEMS and (f["area"] == area or key[0] in ids))


@pytest.fixture
def this_machine():
    doc = copy.deepcopy(capture("debian12-this-machine"))
    # That capture version read /proc/sys with an 8 MiB read() the kernel refused (ENOMEM);
    # `cat` on this machine gives 1 for both files.
    doc["files"]["/proc/sys/net/ipv4/ip_forward"] = {"content": "1\n"}
    doc["files"]["/proc/sys/net/bridge/bridge-nf-call-iptables"] = {"content": "1\n"}
    return doc


def test_kernel_without_modules_and_br_netfilter_built_in(this_machine):
    facts, found = findings(this_machine)
    assert facts.get("kernel.modules_supported") is False and facts.get("kernel.modules") == []
    assert "CONFIG_BRIDGE_NETFILTER" in facts.get("kernel.config_enabled")
    for rule in ("kernel-config-namespaces-cgroups", "kernel-config-networking", "kernel-config-overlayfs"):
        assert found[(rule, None)]["status"] == "pass", found[(rule, None)]["evidence"]
    assert found[("network-bridge-nf-call-iptables", None)]["status"] == "pass"
    assert problems(found, "kernel") == []
    assert problems(found, "cgroup") == []


def test_systemd_resolved_stub(this_machine):
    # Real files: Ubuntu's stub /etc/resolv.conf and the upstream file systemd-resolved writes.
    this_machine["files"]["/etc/resolv.conf"] = {"content": outside("dns/ubuntu-stub-resolv.conf")}
    this_machine["files"]["/run/systemd/resolve/resolv.conf"] = {
        "content": outside("dns/raspberry-run-systemd-resolve-resolv.conf")}
    facts, found = findings(this_machine)
    assert facts.get("dns.stub_resolver") is True
    assert facts.get("dns.upstream_nameservers") == ["192.168.3.1"]
    assert problems(found, "dns") == []


def test_ip_forward_off_before_docker_is_installed():
    doc = copy.deepcopy(capture("debian12-no-docker"))
    doc["files"]["/proc/sys/net/ipv4/ip_forward"] = {"content": "0\n"}
    facts, found = findings(doc)
    assert facts.get("docker.state") == "not_installed" and facts.get("sysctl.ip_forward") == 0
    assert found[("network-ip-forward", None)]["status"] not in PROBLEMS
    # Nothing that needs the engine complains about its absence either.
    assert problems(found, "docker") == [] and problems(found, "storage") == []


def test_cgroup_v2_with_a_new_enough_runtime(this_machine):
    mounts = this_machine["files"]["/proc/mounts"]["content"].splitlines()
    kept = [line for line in mounts if " cgroup " not in line and " cgroup2 " not in line
            and "/sys/fs/cgroup " not in line]
    # The unified hierarchy as Debian 12 mounts it, and its root's controllers.
    kept.append("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0")
    this_machine["files"]["/proc/mounts"] = {"content": "\n".join(kept) + "\n"}
    this_machine["files"]["/sys/fs/cgroup/cgroup.controllers"] = {
        "content": "cpuset cpu io memory hugetlb pids rdma misc\n"}
    this_machine["docker"]["responses"]["/info"]["CgroupVersion"] = "2"
    facts, found = findings(this_machine)
    assert facts.get("cgroup.mode") == "v2"
    assert found[("cgroup-v2-support", None)]["status"] == "pass"
    assert found[("cgroup-memory-controller", None)]["status"] == "pass"
    assert problems(found, "cgroup") == [] and problems(found, "kernel") == []


def test_healthy_storage_and_api_on_this_machine(this_machine):
    facts, found = findings(this_machine)
    assert facts.get("docker.tcp_hosts") == []
    for rule in ("storage-root-free-space", "storage-root-free-inodes", "security-api-tcp-without-tls",
                 "security-docker-socket-mode", "storage-overlay-d-type"):
        assert found[(rule, None)]["status"] == "pass", rule
    # AppArmor and SELinux are absent from this kernel: nothing to judge, nothing to fear.
    assert found[("security-apparmor-parser", None)]["status"] == "skip"
    assert found[("security-selinux-containers", None)]["status"] == "skip"

"""Facts from the capture's newer probes: the running dockerd's command line, the install-path
stats of docker/dockerd, docker-runc, containerd's package changelog, apparmor_parser's stat.

Fixtures (tests/data/outputs/SOURCES.md, "debian12-probes/"): cuts of real captures of this
machine, one of them while a dockerd of our own ran with flags; this machine's containerd
changelog.Debian.gz.
"""

import copy
import json

import pytest

from hostcheck.combine import build_facts
from hostcheck.parse import daemon, installs
from test_parse_sources import OUTPUTS, read


def load(name):
    return json.loads((OUTPUTS / "debian12-probes" / name).read_text(encoding="utf-8"))


@pytest.fixture()
def probes():
    return load("capture_probes.json")


@pytest.fixture()
def own_dockerd():
    return load("capture_own_dockerd.json")


# --- the running dockerd --------------------------------------------------------------

def test_running_dockerd_flags_win(own_dockerd):
    facts = build_facts(own_dockerd)
    assert facts.get("docker.daemon_args_source").startswith("pid ")
    assert facts.get("docker.daemon_cmdline").startswith("dockerd -H unix:///tmp/hc-cat-dockerd.sock -H ")
    args = facts.get("docker.daemon_args")
    assert args[:2] == ["-H", "unix:///tmp/hc-cat-dockerd.sock"]
    settings = facts.get("docker.daemon_settings")
    assert settings["iptables"] is False and settings["ip-masq"] is False
    assert settings["dns"] == ["10.0.0.2"] and settings["data-root"] == "/tmp/hc-cat-root"
    assert settings["log-opts"] == {"max-size": "10m"}
    # --iptables=false on the command line, while daemon.json is absent (default true).
    assert facts.get("docker.iptables") is False
    assert facts.get("docker.log_max_size") == "10m"
    hosts = facts.get("docker.tcp_hosts")
    assert [(h["address"], h["source"], h["loopback"]) for h in hosts] == [
        ("tcp://127.0.0.1:23750", "running dockerd -H", True)]


def test_the_dockerd_serving_the_endpoint_is_chosen(own_dockerd):
    items = own_dockerd["processes"]["items"]
    assert len([i for i in items if i["name"] == "dockerd"]) == 3  # two bare `dockerd` of others
    chosen = daemon.running_dockerd(items, own_dockerd["docker"]["endpoint"])
    assert "unix:///tmp/hc-cat-dockerd.sock" in chosen["args"]
    # For the default socket the bare `dockerd`s (no -H) are the candidates: the lowest pid.
    default = daemon.running_dockerd(items, "unix:///var/run/docker.sock")
    assert default["args"] == [] and default["pid"] == min(
        i["pid"] for i in items if i["name"] == "dockerd" and i["cmdline"] == ["dockerd"])


def test_running_dockerd_without_flags_replaces_the_unit(probes, own_dockerd):
    doc = dict(probes, files=own_dockerd["files"])
    facts = build_facts(doc)
    # Debian's unit says `-H fd:// --containerd=...`; the dockerd that runs was started by hand.
    assert facts.get("docker.daemon_args") == []
    assert facts.get("docker.unit_args") == ["-H", "fd://", "--containerd=/run/containerd/containerd.sock"]
    assert facts.get("docker.dockerd.unit_binary") == "/usr/sbin/dockerd"
    assert "without its path" in facts.reason("docker.dockerd.running_binary")


def test_unit_args_when_no_process_table(own_dockerd):
    doc = copy.deepcopy(own_dockerd)
    del doc["processes"]
    facts = build_facts(doc)
    assert facts.get("docker.daemon_args_source") == "/usr/lib/systemd/system/docker.service"  # merged /usr: the first unit path read
    assert facts.get("docker.daemon_cmdline") == facts.get("docker.unit_cmdline") == (
        "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock")
    assert facts.get("docker.daemon_args")[:2] == ["-H", "fd://"]
    assert facts.get("docker.iptables") is True      # no daemon.json, no flag: dockerd's default
    assert facts.get("docker.daemon_settings")["hosts"] == ["fd://"]


def test_settings_from_args_shapes():
    # Debian 12's ExecStart and the docs' override (hostcheck/parse/daemon.py sample output).
    assert daemon.settings_from_args(["-H", "fd://", "--containerd=/run/containerd/containerd.sock"]) == {
        "hosts": ["fd://"], "containerd": "/run/containerd/containerd.sock"}
    # Go's flag package: a bool flag takes its value only after '='.
    assert daemon.settings_from_args(["--iptables", "false"]) == {"iptables": True}
    assert daemon.settings_from_args(["--live-restore", "--tlsverify=true", "-g", "/data/docker"]) == {
        "live-restore": True, "tlsverify": True, "data-root": "/data/docker"}
    assert daemon.settings_from_args(["--bip"]) == {}        # a value flag cut off at the end
    assert daemon.settings_from_args(["--mtu=abc", "--unknown-flag", "x"]) == {}


def test_data_root_flag_without_engine_is_not_var_lib_docker(own_dockerd):
    doc = copy.deepcopy(own_dockerd)
    doc["docker"] = {"endpoint": "unix:///tmp/hc-cat-dockerd.sock", "error": "not_running"}
    doc["statvfs"] = {"/var/lib/docker": {"free_bytes": 1, "total_bytes": 2, "free_inodes": 1, "total_inodes": 2}}
    facts = build_facts(doc)
    assert not facts.known("storage.root_free_bytes")
    assert facts.reason("storage.root_free_bytes") == "statvfs /tmp/hc-cat-root: not captured"


# --- install paths --------------------------------------------------------------------

def test_install_paths_on_this_machine(probes):
    facts = build_facts(probes)
    assert facts.get("docker.client.paths") == ["/usr/local/bin/docker", "/usr/bin/docker"]
    assert facts.get("docker.client.copies") == 2
    assert facts.get("docker.dockerd.paths") == [] and facts.get("docker.dockerd.copies") == 0


def test_dockerd_paths_add_the_unit_and_the_running_binary(probes, own_dockerd):
    doc = copy.deepcopy(probes)
    doc["stat"]["/usr/local/bin/dockerd"] = {"gid": 0, "mode": "0755", "type": "file", "uid": 0}
    for item in doc["processes"]["items"]:
        if item["name"] == "dockerd":
            item["cmdline"] = ["/usr/local/bin/dockerd"]
    doc["files"] = own_dockerd["files"]  # Debian 12's docker.service: ExecStart=/usr/sbin/dockerd ...
    facts = build_facts(doc)
    assert facts.get("docker.dockerd.paths") == ["/usr/local/bin/dockerd", "/usr/sbin/dockerd"]
    assert facts.get("docker.dockerd.copies") == 2
    assert facts.get("docker.dockerd.running_binary") == "/usr/local/bin/dockerd"


def test_install_paths_unknown_on_older_captures(own_dockerd):
    facts = build_facts(own_dockerd)  # this cut holds no stat section
    assert "not captured" in facts.reason("docker.client.copies")
    assert "not captured" in facts.reason("docker.dockerd.copies")
    assert installs.canonical("/bin/docker") == "/usr/bin/docker"


# --- docker-runc, apparmor_parser -----------------------------------------------------

def test_docker_runc(probes):
    facts = build_facts(probes)
    assert facts.get("runtimes.docker_runc.installed") is False
    doc = copy.deepcopy(probes)
    # `docker-runc --version` of Docker 17.06's bundled runc (public transcript, SOURCES.md).
    doc["commands"]["docker-runc --version"] = {
        "argv": ["docker-runc", "--version"], "rc": 0, "stderr": "",
        "stdout": "runc version 1.0.0-rc3\ncommit: 2d41c047c83e09a6d61d464906feb2a2f3c52aa4\nspec: 1.0.0-rc5\n"}
    facts = build_facts(doc)
    assert facts.get("runtimes.docker_runc.installed") is True
    assert facts.get("runtimes.docker_runc.version") == "1.0.0-rc3"
    del doc["commands"]["docker-runc --version"]
    assert "not captured" in build_facts(doc).reason("runtimes.docker_runc.installed")


def test_apparmor_parser_from_stats(probes):
    facts = build_facts(probes)
    assert facts.get("security.apparmor_parser") is False   # both paths: not_found
    doc = copy.deepcopy(probes)
    doc["stat"]["/usr/sbin/apparmor_parser"] = {"gid": 0, "mode": "0755", "type": "file", "uid": 0}
    assert build_facts(doc).get("security.apparmor_parser") is True


# --- containerd's package changelog ---------------------------------------------------

def test_containerd_debian_changelog(probes):
    doc = copy.deepcopy(probes)
    doc["files"] = {"/usr/share/doc/containerd/changelog.Debian.gz":
                    {"content": read("debian12-probes/containerd_changelog.Debian.txt")}}
    facts = build_facts(doc)
    cves = facts.get("runtimes.containerd.changelog_cves")
    assert cves[:3] == ["CVE-2025-64329", "CVE-2024-25621", "CVE-2024-40635"]
    assert "CVE-2020-15257" in cves
    assert facts.get("runtimes.containerd.changelog_source") == "/usr/share/doc/containerd/changelog.Debian.gz"


def test_containerd_rpm_changelog_of_one_of_two_packages(probes):
    doc = copy.deepcopy(probes)
    key = "rpm -q --changelog containerd.io containerd"
    # rpm asked for two packages prints the changelog of the installed one and "package X is
    # not installed" for the other, and exits 1. The changelog body here is the Debian text
    # (only the CVE ids are read, whatever the format).
    body = read("debian12-probes/containerd_changelog.Debian.txt")
    doc["commands"][key] = {"argv": key.split(), "rc": 1, "stderr": "",
                            "stdout": "package containerd.io is not installed\n" + body}
    facts = build_facts(doc)
    assert facts.get("runtimes.containerd.changelog_source") == key
    assert "CVE-2024-40635" in facts.get("runtimes.containerd.changelog_cves")
    doc["commands"][key]["stdout"] = "package containerd.io is not installed\npackage containerd is not installed\n"
    facts = build_facts(doc)
    assert facts.reason("runtimes.containerd.changelog_cves") == (
        "no containerd changelog (%s: package containerd.io and containerd is not installed)" % key)


def test_no_rpm_no_changelog(probes):
    facts = build_facts(probes)
    assert facts.reason("runtimes.containerd.changelog_source") == (
        "no containerd changelog (rpm -q --changelog containerd.io containerd: not_found (rpm is not installed))")

"""engine: Engine API bodies recorded from this machine's dockerd 20.10.24."""

import copy
import json

import pytest

from hostcheck.parse import engine
from test_parse_sources import read


@pytest.fixture(scope="module")
def responses():
    return json.loads(read("debian12-docker/engine_responses.json"))


def test_info(responses):
    info = engine.parse_info(responses["/info"])
    assert info == {"storage_driver": "overlay2", "backing_fs": "extfs", "supports_d_type": True,
                    "cgroup_driver": "cgroupfs", "cgroup_version": "1", "root_dir": "/var/lib/docker",
                    "security_options": ["name=seccomp,profile=default"], "warnings": []}


def test_info_junk():
    assert engine.parse_info(None)["storage_driver"] is None
    assert engine.parse_info({"DriverStatus": [["Backing Filesystem"], "x", None]})["backing_fs"] is None
    assert engine.parse_info({"SecurityOptions": None})["security_options"] == []


def test_containers(responses):
    by_name = {c["name"]: c for c in engine.containers(responses)}
    assert set(by_name) == {"hc-web", "hc-sleep", "hc-exit", "hc-arm"}
    web = by_name["hc-web"]
    assert web["state"] == "running" and web["pid"] and web["exit_code"] == 0
    assert web["ports"] == [{"private": 80, "public": 8080, "type": "tcp", "ip": "0.0.0.0"},
                            {"private": 80, "public": 8080, "type": "tcp", "ip": "::"}]
    assert web["networks"][0]["name"] == "hcnet" and web["networks"][0]["ip"] == "10.210.0.2"
    assert web["network_mode"] == "hcnet"
    assert by_name["hc-exit"]["exit_code"] == 3 and by_name["hc-exit"]["pid"] is None
    arm = by_name["hc-arm"]
    assert arm["exit_code"] == 1 and arm["image"] == "local/busybox:arm64"
    assert all(c["inspected"] for c in by_name.values())


def test_containers_without_inspect_bodies(responses):
    listed = {"/containers/json?all=1": responses["/containers/json?all=1"]}
    result = engine.containers(listed)
    assert len(result) == 4 and not any(c["inspected"] for c in result)
    assert {c["pid"] for c in result} == {None}


def test_networks(responses):
    by_name = {n["name"]: n for n in engine.networks(responses, engine.containers(responses))}
    assert by_name["bridge"]["bridge"] == "docker0" and by_name["bridge"]["subnets"] == ["172.17.0.0/16"]
    assert by_name["bridge"]["icc"] is True
    hcnet = by_name["hcnet"]
    assert hcnet["subnets"] == ["10.210.0.0/24"] and hcnet["gateways"] == ["10.210.0.1"]
    # created with --subnet only: IPAM has no Gateway, the container's endpoint says it
    assert {n["name"]: n for n in engine.networks(responses)}["hcnet"]["gateways"] == []
    assert hcnet["bridge"] == "br-" + hcnet["id"][:12]
    assert list(hcnet["containers"].values()) == ["10.210.0.2/24"]
    assert by_name["hcinternal"]["internal"] is True
    assert by_name["host"]["bridge"] is None and by_name["host"]["icc"] is None


def test_network_icc_disabled(responses):
    changed = copy.deepcopy(responses)
    bridge = next(k for k, v in changed.items() if k.startswith("/networks/") and v.get("Name") == "bridge")
    changed[bridge]["Options"]["com.docker.network.bridge.enable_icc"] = "false"
    assert {n["name"]: n["icc"] for n in engine.networks(changed)}["bridge"] is False


def test_images(responses):
    by_tag = {i["tags"][0]: i for i in engine.images(responses) if i["tags"]}
    assert by_tag["local/busybox:arm64"]["architecture"] == "arm64"
    assert by_tag["local/busybox:arm64"]["variant"] == "v8"
    assert by_tag["local/busybox:latest"]["architecture"] == "amd64"
    assert by_tag["local/busybox:latest"]["os"] == "linux"


def test_state():
    running = {"endpoint": "unix:///var/run/docker.sock", "responses": {"/version": {}}, "error": None}
    assert engine.engine_state(running, True) == ("running", None)
    assert engine.engine_state({"error": "not_found"}, False)[0] == "not_installed"
    assert engine.engine_state({"error": "not_found"}, True)[0] == "not_running"
    assert engine.engine_state({"error": "permission_denied"}, True) == \
        ("permission_denied", "the Docker engine could not be read (permission denied: run as root or a member of the docker group)")
    assert engine.engine_state({"error": "timeout"}, None)[0] == "timeout"
    assert engine.engine_state({"error": "weird"}, None) == ("error", "the Docker engine could not be read (weird)")
    assert engine.engine_state({"error": None, "responses": {}}, True)[0] is None
    assert engine.engine_state(None, True) == (None, "Docker engine: not captured")
    detail = {"error": "not_found", "detail": "Docker is not installed (no /var/run/docker.sock, no dockerd)"}
    assert engine.engine_state(detail, False)[1] == detail["detail"]


def test_daemon_json():
    assert engine.parse_daemon_json("") == ({}, None)
    assert engine.parse_daemon_json('{"iptables": false, "bip": "10.10.0.1/16"}')[0]["iptables"] is False
    config, reason = engine.parse_daemon_json('{\n  "registry-mirrors": ["https://mirror"],\n}\n')
    assert config is None and reason.startswith("/etc/docker/daemon.json: invalid JSON (line 3")
    assert engine.parse_daemon_json("[]")[1] == "/etc/docker/daemon.json: invalid (not a JSON object)"
    assert engine.parse_daemon_json(None)[0] is None

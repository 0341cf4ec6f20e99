"""Facts the catalogue's rules read, built from captures (hostcheck/parse/daemon.py and the
combiners in hostcheck/combine/): dockerd's flags, API addresses, log settings,
security modules, free space, binfmt persistence, the runtime inventory."""

import copy
import doctest
import json
import os

import pytest

import hostcheck.parse.daemon as daemon
import hostcheck.parse.engine as engine_parse
from hostcheck.combine import build_facts

HERE = os.path.dirname(os.path.abspath(__file__))


def capture(name="debian12-this-machine"):
    with open(os.path.join(HERE, "data", "captures", name + ".json"), encoding="utf-8") as handle:
        return copy.deepcopy(json.load(handle))


@pytest.mark.parametrize("module", [daemon, engine_parse])
def test_doctests(module):
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0


# CentOS 7's docker 1.13 package: /etc/sysconfig/docker and its unit's ExecStart.
CENTOS7_SYSCONFIG = """# /etc/sysconfig/docker

# Modify these options if you want to change the way the docker daemon runs
OPTIONS='--selinux-enabled --log-driver=journald --signature-verification=false'
if [ -z "${DOCKER_CERT_PATH}" ]; then
    DOCKER_CERT_PATH=/etc/docker
fi
"""
CENTOS7_UNIT = """[Service]
Type=notify
NotifyAccess=main
EnvironmentFile=-/run/containers/registries.conf
EnvironmentFile=-/etc/sysconfig/docker
ExecStart=/usr/bin/dockerd-current \\
          --add-runtime docker-runc=/usr/libexec/docker/docker-runc-current \\
          --default-runtime=docker-runc \\
          --exec-opt native.cgroupdriver=systemd \\
          --userland-proxy-path=/usr/libexec/docker/docker-proxy-current \\
          $OPTIONS \\
          $DOCKER_STORAGE_OPTIONS \\
          $ADD_REGISTRY
"""


def test_centos7_unit_with_sysconfig_options():
    env = daemon.parse_env_file(CENTOS7_SYSCONFIG)
    args = daemon.dockerd_args([CENTOS7_UNIT], env)
    assert "--selinux-enabled" in args and "--exec-opt" in args
    assert "$OPTIONS" not in args and "$ADD_REGISTRY" not in args
    assert daemon.log_settings({}, args) == ("journald", None)


def test_dropin_with_tcp_host_reaches_the_facts():
    doc = capture()
    # The drop-in of Docker's docs, "Configure remote access for Docker daemon".
    doc["files"]["/etc/systemd/system/docker.service.d/override.conf"] = {
        "content": "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://127.0.0.1:2375\n"}
    facts = build_facts(doc)
    assert facts.get("docker.daemon_args") == ["-H", "fd://", "-H", "tcp://127.0.0.1:2375"]
    assert facts.get("docker.tcp_hosts") == [{"address": "tcp://127.0.0.1:2375", "source": "dockerd -H",
                                              "host": "127.0.0.1", "port": 2375, "loopback": True}]
    assert facts.get("docker.tls_verify") is False


def test_tcp_hosts_from_listeners_and_info_warnings():
    doc = capture()
    doc["listeners"].append({"proto": "tcp6", "ip": "::", "port": 2375, "pid": 5209, "name": "dockerd"})
    # moby#37684's warning text, as /info Warnings carries it.
    doc["docker"]["responses"]["/info"]["Warnings"] = [
        "WARNING: API is accessible on http://0.0.0.0:2376 without encryption.\n"
        "         Access to the remote API is equivalent to root access on the host."]
    facts = build_facts(doc)
    hosts = {(h["host"], h["port"], h["source"]) for h in facts.get("docker.tcp_hosts")}
    assert hosts == {("0.0.0.0", 2375, "dockerd listening socket"), ("0.0.0.0", 2376, "engine /info warning")}


def test_daemon_json_settings():
    doc = capture()
    doc["files"]["/etc/docker/daemon.json"] = {"content": json.dumps({
        "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "tlsverify": True,
        "log-driver": "json-file", "log-opts": {"max-size": "100m", "max-file": "3"}})}
    facts = build_facts(doc)
    assert [h["address"] for h in facts.get("docker.tcp_hosts")] == ["tcp://0.0.0.0:2376"]
    assert facts.get("docker.tls_verify") is True
    assert facts.get("docker.log_driver") == "json-file"        # /info LoggingDriver wins
    assert facts.get("docker.log_max_size") == "100m"


def test_broken_daemon_json_leaves_api_and_logs_unknown():
    doc = capture()
    doc["files"]["/etc/docker/daemon.json"] = {"content": '{"hosts": ["tcp://0.0.0.0:2375"],}'}
    facts = build_facts(doc)
    for name in ("docker.tcp_hosts", "docker.tls_verify", "docker.log_driver"):
        assert not facts.known(name) and "invalid JSON" in facts.reason(name)


def test_info_settings_and_series():
    facts = build_facts(capture())
    assert facts.get("docker.series") == "20.10" and facts.get("docker.client.series") == "28.2"
    assert facts.get("docker.min_api_version") == "1.12"
    assert facts.get("docker.swap_limit") is True and facts.get("docker.live_restore") is False
    assert facts.get("docker.swarm_state") == "inactive"
    assert not facts.known("docker.dm_loop") and "not devicemapper" in facts.reason("docker.dm_loop")


def test_security_modules():
    doc = capture()
    facts = build_facts(doc)
    assert facts.get("security.selinux") == "disabled" and facts.get("security.apparmor") is False
    assert not facts.known("security.apparmor_parser")
    doc["files"]["/sys/fs/selinux/enforce"] = {"content": "1"}
    doc["files"]["/sys/module/apparmor/parameters/enabled"] = {"content": "Y\n"}
    doc["stat"]["/usr/sbin/apparmor_parser"] = {"error": "not_found"}
    doc["stat"]["/sbin/apparmor_parser"] = {"error": "not_found"}
    facts = build_facts(doc)
    assert facts.get("security.selinux") == "enforcing" and facts.get("security.apparmor") is True
    assert facts.get("security.apparmor_parser") is False


def test_free_space_percent_and_filesystems_without_inodes():
    doc = capture()
    facts = build_facts(doc)
    assert facts.get("storage.root_free_percent") == 31.3
    assert facts.get("storage.root_free_inodes_percent") == 97.4
    doc["statvfs"]["/var/lib/docker"].update(free_inodes=0, total_inodes=0)   # btrfs
    facts = build_facts(doc)
    assert "no inode count" in facts.reason("storage.root_free_inodes_percent")


def test_kernel_cmdline_options_and_user_namespaces():
    doc = capture()
    doc["files"]["/proc/sys/user/max_user_namespaces"] = {"content": "0\n"}
    facts = build_facts(doc)
    assert "nomodule" in facts.get("kernel.cmdline")
    assert facts.get("kernel.max_user_namespaces") == 0
    assert {"CONFIG_OVERLAY_FS", "CONFIG_BRIDGE_NETFILTER"} <= set(facts.get("kernel.config_enabled"))
    assert "CONFIG_MODULES" not in facts.get("kernel.config_enabled")


def test_binfmt_persistence_from_the_boot_directories():
    doc = capture()
    doc["files"]["/proc/mounts"]["content"] += "binfmt_misc /proc/sys/fs/binfmt_misc binfmt_misc rw,relatime 0 0\n"
    doc["dirs"]["/proc/sys/fs/binfmt_misc"] = {"entries": ["qemu-aarch64", "qemu-xtensa-custom", "register", "status"]}
    entry = ("enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\n"
             "magic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n")
    doc["files"]["/proc/sys/fs/binfmt_misc/qemu-aarch64"] = {"content": entry}
    doc["files"]["/proc/sys/fs/binfmt_misc/qemu-xtensa-custom"] = {"content": entry}
    doc["files"]["/proc/sys/fs/binfmt_misc/status"] = {"content": "enabled\n"}
    persisted = {e["name"]: e["persisted"] for e in build_facts(doc).get("binfmt.entries")}
    assert persisted == {"qemu-aarch64": True, "qemu-xtensa-custom": False}
    for path in ("/etc/binfmt.d", "/usr/lib/binfmt.d", "/var/lib/binfmts"):
        del doc["dirs"][path]
    assert [e["persisted"] for e in build_facts(doc).get("binfmt.entries")] == [None, None]


def test_runtime_inventory_is_unknown_when_nothing_was_probed():
    doc = capture()
    doc["commands"] = {}
    doc["docker"] = {"endpoint": "unix:///var/run/docker.sock", "error": "not_found", "responses": {}}
    facts = build_facts(doc)
    assert not facts.known("runtimes.installed") and "not captured" in facts.reason("runtimes.installed")

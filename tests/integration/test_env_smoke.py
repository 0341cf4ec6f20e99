"""The integration environment is what the integration tests assume.

If one of these fails, fix tests/run (or the machine), not the product: every other
integration test would fail for the same reason.
"""

import subprocess


def test_engine_answers_with_expected_defaults(docker_engine):
    # INTEGRATION-ENV.md: Debian's docker.io 20.10 daemon, overlay2 storage, started by hand.
    assert docker_engine.info["ServerVersion"]
    assert docker_engine.info["OSType"] == "linux"
    assert docker_engine.info["Driver"] == "overlay2"


def test_busybox_amd64_image_runs_natively(containers, busybox_image):
    run = containers.run(busybox_image("amd64"), "uname", "-m")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "x86_64"


def test_busybox_arm64_image_records_its_real_platform(docker_engine, busybox_image):
    image = docker_engine.inspect(busybox_image("arm64"))[0]
    assert (image["Os"], image["Architecture"], image.get("Variant")) == ("linux", "arm64", "v8")


def test_nat_table_has_docker_chain(docker_engine):
    # dockerd creates its chains at start; a firewalld reload or a foreign backend would
    # leave the nat table without them (see INTEGRATION-ENV.md, Firewall).
    nat = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True,
                         check=True).stdout
    assert ":DOCKER - " in nat
    assert "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE" in nat


def test_test_containers_are_removed(docker_engine, containers, busybox_image):
    # The containers fixture must not leak: later runs and the benchmark count containers.
    name = containers.start(busybox_image("amd64"), "sleep", "30")
    assert docker_engine.inspect(name)[0]["State"]["Running"]
    containers.remove_all()
    left = docker_engine("ps", "-aq", "--filter", "name=^/" + name + "$").stdout.strip()
    assert left == ""

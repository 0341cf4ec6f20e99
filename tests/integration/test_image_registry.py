"""The registry path of `hostcheck image`, against a real registry on loopback (Debian's
docker-registry, distribution 2.8) and the real engine: a pushed multi-platform manifest
list, single-platform tags, a missing tag, a closed port and a registry that never answers.

The registry is asked by the capture (hostcheck/capture/registry.py, docker.registry[REF]):
live `hostcheck image REF` captures then judges; `hostcheck capture --image REF` records the
answer for judging elsewhere, where the local engine is never asked.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO_ROOT

REPOSITORY = "hc-img-app"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def registry(docker_engine, busybox_image, tmp_path_factory):
    """localhost:PORT with hc-img-app:amd64, :arm64 and the manifest list :multi."""
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.skip("docker-registry not installed (apt-get install docker-registry)")
    directory = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = directory / "config.yml"
    config.write_text("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n"
                      "http:\n  addr: 127.0.0.1:%d\n" % (directory / "data", port))
    log = open(str(directory / "registry.log"), "w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    host = "localhost:%d" % port
    pushed = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        for arch in ("amd64", "arm64"):
            tag = "%s/%s:%s" % (host, REPOSITORY, arch)
            docker_engine("tag", busybox_image(arch), tag)
            docker_engine("push", tag)
            pushed.append(tag)
        multi = "%s/%s:multi" % (host, REPOSITORY)
        docker_engine("manifest", "create", "--insecure", multi, *pushed)
        docker_engine("manifest", "push", "--insecure", "--purge", multi)
        # Local tags gone: the references below are judged from the registry, not the engine.
        docker_engine("rmi", *pushed)
        yield host
    finally:
        docker_engine("rmi", *pushed, check=False)
        process.terminate()
        process.wait(10)
        log.close()


def image_json(*args, timeout_s="5"):
    result = subprocess.run([sys.executable, "-m", "hostcheck", "image", "--json", "--timeout", timeout_s] + list(args),
                            cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=120)
    return result


def path_of(tree):
    return ["%s=%s" % (step["node"], step["answer"]) for step in tree["path"]]


def test_manifest_list_is_native_variant_aware(registry):
    result = image_json(registry + "/%s:multi" % REPOSITORY)
    assert result.returncode == 0, result.stderr
    (tree,) = json.loads(result.stdout)["trees"]
    assert tree["subject"].endswith("(registry)")
    assert "linux/arm64/v8" in tree["path"][-1]["evidence"] and "linux/amd64" in tree["path"][-1]["evidence"]
    assert tree["verdict"]["id"] == "native"


def test_sdk_has_platform_quirk_is_not_ours(registry):
    docker = pytest.importorskip("docker")
    ref = registry + "/%s:arm64" % REPOSITORY
    data = docker.from_env().images.get_registry_data(ref)
    from hostcheck.capture.registry import lookup
    from hostcheck.image.platform import parse
    from hostcheck.image.registry import recorded
    doc = {"docker": {"registry": lookup([ref], None, timeout=5)}}
    platforms = recorded(doc, ref).platforms
    assert [str(p) for p in platforms] == ["linux/arm64/v8"]
    assert parse("linux/arm64") in platforms
    # INTEGRATION-ENV.md recorded has_platform("linux/arm64") == False for the v8 entry;
    # whatever the SDK answers, hostcheck's comparison does not depend on it.
    assert data.has_platform("linux/arm64") in (True, False)


def test_the_stdlib_capture_asks_the_engine_like_the_sdk(registry, monkeypatch):
    """The Python 3.6 capture has no SDK: it asks GET /distribution/REF/json itself."""
    from hostcheck.capture.registry import lookup
    refs = [registry + "/%s:%s" % (REPOSITORY, tag) for tag in ("multi", "arm64", "nope")]
    with_sdk = lookup(refs, None, timeout=5)
    monkeypatch.setitem(sys.modules, "docker", None)
    without = lookup(refs, None, timeout=5)
    assert without == with_sdk
    assert with_sdk[refs[0]] == {"platforms": [{"architecture": "amd64", "os": "linux"},
                                               {"architecture": "arm64", "os": "linux", "variant": "v8"}]}
    assert with_sdk[refs[2]]["error"] == "not_found"


def test_a_capture_with_the_registry_answer_is_judged_elsewhere_like_live(registry, binfmt, tmp_path):
    """`hostcheck capture --image REF` on the host that reaches the registry; judged from the
    file with DOCKER_HOST at a socket nobody serves: the same tree as live."""
    binfmt("qemu-aarch64", flags=None)
    refs = [registry + "/%s:%s" % (REPOSITORY, tag) for tag in ("multi", "arm64")]
    capture = tmp_path / "capture.json"
    args = [sys.executable, "-m", "hostcheck", "capture", "-o", str(capture)]
    for ref in refs:
        args += ["--image", ref]
    subprocess.run(args, cwd=str(REPO_ROOT), check=True, timeout=120)
    assert sorted(json.loads(capture.read_text())["docker"]["registry"]) == sorted(refs)
    live = image_json(*refs)
    offline = subprocess.run([sys.executable, "-m", "hostcheck", "image", "--json", "--capture", str(capture)] + refs,
                             cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, DOCKER_HOST="unix://%s" % (tmp_path / "nobody.sock")))
    assert live.returncode == offline.returncode == 1, (live.stderr, offline.stderr)
    live_trees, offline_trees = json.loads(live.stdout)["trees"], json.loads(offline.stdout)["trees"]
    assert [(t["subject"], path_of(t), t["verdict"]) for t in live_trees] == \
        [(t["subject"], path_of(t), t["verdict"]) for t in offline_trees]
    assert [t["verdict"]["id"] for t in offline_trees] == ["native", "needs-remediation"]


def test_arm64_tag_needs_an_emulator_and_may_use_tonistiigi(registry, binfmt):
    binfmt("qemu-aarch64", flags=None)
    result = image_json(registry + "/%s:arm64" % REPOSITORY)
    assert result.returncode == 1, result.stderr
    (tree,) = json.loads(result.stdout)["trees"]
    assert tree["verdict"]["id"] == "needs-remediation"
    commands = tree["verdict"]["remediation"]["commands"]
    assert "docker run --privileged --rm tonistiigi/binfmt --install arm64" in commands


def test_missing_tag_says_so(registry):
    result = image_json(registry + "/%s:nope" % REPOSITORY)
    assert result.returncode == 3
    assert "no such image in the registry" in result.stderr or "not found" in result.stderr, result.stderr


def test_closed_port_is_unreachable_at_once():
    port = free_port()
    started = time.monotonic()
    result = image_json("localhost:%d/app:1" % port)
    assert time.monotonic() - started < 10
    assert result.returncode == 3 and "registry unreachable" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_silent_registry_is_unreachable_within_the_timeout(docker_engine):
    """A registry that accepts connections and never answers: bounded by --timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        result = image_json("localhost:%d/app:1" % server.getsockname()[1], timeout_s="2")
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(2)
        for connection in held:
            connection.close()
        server.close()
    assert result.returncode == 3, result.stderr
    assert "registry unreachable" in result.stderr, result.stderr
    assert elapsed < 2 + 1 + 8, elapsed      # timeout + grace + the live capture

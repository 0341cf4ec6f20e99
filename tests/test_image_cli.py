"""`hostcheck image` from the outside: exit codes, JSON, archives, bad input.

Judged against this machine's real capture (tests/data/captures/debian12-this-machine.json:
amd64 host, binfmt_misc not mounted, local/busybox:arm64 and hc-test/busybox:amd64 loaded),
so these tests need neither an engine nor root.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write_docker_archive
from test_image_archive import rootfs, write_oci_layout

REPO = Path(__file__).resolve().parent.parent
CAPTURE = str(REPO / "tests" / "data" / "captures" / "debian12-this-machine.json")


def hostcheck(*args, stdin=None, env=None):
    import os
    environment = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "hostcheck", "image"] + list(args), cwd=str(REPO),
                          input=stdin, capture_output=True, timeout=60, env=environment)


def trees_of(result):
    return json.loads(result.stdout)["trees"]


def test_local_arm64_image_needs_remediation():
    result = hostcheck("local/busybox:arm64", "--capture", CAPTURE, "--json")
    assert result.returncode == 1, result.stderr
    (tree,) = trees_of(result)
    assert tree["subject"] == "local/busybox:arm64"
    assert tree["verdict"]["id"] == "needs-remediation"
    assert json.loads(result.stdout)["findings"] == []   # only image-area rules by default


def test_local_amd64_image_by_short_id_is_native():
    result = hostcheck("af15bb18f985", "--capture", CAPTURE, "--no-color")
    assert result.returncode == 0, result.stderr
    assert b"runs natively" in result.stdout


def test_report_validates_against_the_shipped_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "hostcheck" / "data" / "schema" / "report.json").read_text())
    result = hostcheck("local/busybox:arm64", "hc-test/busybox:amd64", "--capture", CAPTURE, "--json")
    jsonschema.validate(json.loads(result.stdout), schema)


def test_archives_offline(tmp_path):
    good = tmp_path / "arm64.tar"
    write_docker_archive(good, rootfs("arm64"), "arm64", "v8", "local/busybox:arm64")
    mixed = tmp_path / "mixed.tar"
    write_docker_archive(mixed, rootfs("amd64"), "arm64", "v8", "local/busybox:mixed")
    multi = write_oci_layout(tmp_path / "multi.tar", [("busybox:multi", [
        ("linux/arm64", [rootfs("arm64")]), ("linux/amd64", [rootfs("amd64")])])])
    result = hostcheck("--archive", str(good), "--archive", str(mixed), "--archive", str(multi),
                       "--capture", CAPTURE, "--json")
    assert result.returncode == 1, result.stderr
    trees = {t["subject"]: t for t in trees_of(result)}
    arm = trees["local/busybox:arm64 (%s)" % good]
    assert arm["path"][0]["evidence"] == "linux/arm64/v8: 1 ELF file: 1 aarch64"
    assert arm["verdict"]["id"] == "needs-remediation"
    mix = trees["local/busybox:mixed (%s)" % mixed]
    assert [s["node"] + "=" + s["answer"] for s in mix["path"]] == ["binaries-match=no", "foreign-emulable=yes"]
    assert "/bin/busybox" in mix["verdict"]["text"]
    both = trees["busybox:multi (%s)" % multi]
    assert both["verdict"]["id"] == "native"
    assert both["path"][0]["evidence"] == "linux/amd64: 1 ELF file: 1 x86-64"


def test_archive_from_stdin(tmp_path):
    path = tmp_path / "arm64.tar"
    write_docker_archive(path, rootfs("arm64"), "arm64", "v8", "local/busybox:arm64")
    result = hostcheck("--archive", "-", "--capture", CAPTURE, "--json", stdin=path.read_bytes())
    (tree,) = trees_of(result)
    assert tree["subject"] == "local/busybox:arm64 (stdin)"


def test_missing_archive_exits_3_with_one_line(tmp_path):
    result = hostcheck("--archive", str(tmp_path / "absent.tar"), "--capture", CAPTURE)
    assert result.returncode == 3
    assert result.stderr.decode().count("\n") == 1
    assert b"no such file or directory" in result.stderr and b"Traceback" not in result.stderr


def test_corrupt_archive_exits_3(tmp_path):
    path = tmp_path / "bad.tar"
    path.write_bytes(b"\x1f\x8b" + b"garbage" * 100)
    result = hostcheck("--archive", str(path), "--capture", CAPTURE)
    assert result.returncode == 3 and b"Traceback" not in result.stderr
    assert result.stderr.startswith(b"hostcheck: error: ")


def test_unknown_image_alone_exits_3():
    result = hostcheck("typo:1", "--capture", CAPTURE)
    assert result.returncode == 3
    assert b"no local image typo:1" in result.stderr


def test_unknown_image_beside_a_known_one_is_a_skip_tree():
    result = hostcheck("typo:1", "hc-test/busybox:amd64", "--capture", CAPTURE, "--json")
    assert result.returncode == 0
    verdicts = {t["subject"]: t["verdict"] for t in trees_of(result)}
    assert verdicts["typo:1"]["status"] == "skip"
    assert "no local image typo:1" in verdicts["typo:1"]["text"]
    assert verdicts["hc-test/busybox:amd64"]["id"] == "native"


# Runs hostcheck with every socket connection refused and written down: judging a capture
# must not open one (the local engine above all: it is not the customer's).
GUARD = r"""
import runpy, socket, sys
log = open(sys.argv.pop(1), "a")
def refuse(self, address, *rest):
    log.write("%r\n" % (address,))
    log.flush()
    raise OSError("connect(%r) while judging a capture" % (address,))
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
sys.argv[0] = "hostcheck"
runpy.run_module("hostcheck", run_name="__main__", alter_sys=True)
"""


class ListeningEngine(object):
    """A unix socket where DOCKER_HOST points: counts who connects (nobody should)."""

    def __init__(self, path):
        import socket
        import threading
        self.path, self.connections = str(path), 0
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)
        threading.Thread(target=self._count, daemon=True).start()

    def _count(self):
        while True:
            try:
                self.server.accept()[0].close()
            except OSError:
                return
            self.connections += 1


def judged_offline(tmp_path, *args):
    """`hostcheck image ARGS` with connections refused and DOCKER_HOST at a listening socket:
    (result, connections attempted in-process, connections the socket saw)."""
    import os
    log = tmp_path / "connects.log"
    log.write_text("")
    engine = ListeningEngine(tmp_path / "docker.sock")
    environment = dict(os.environ, DOCKER_HOST="unix://" + engine.path)
    try:
        result = subprocess.run([sys.executable, "-c", GUARD, str(log), "image"] + list(args), cwd=str(REPO),
                                capture_output=True, timeout=60, env=environment)
    finally:
        engine.server.close()
    return result, log.read_text().splitlines(), engine.connections


def capture_with_registry(tmp_path, answers):
    """This machine's capture with docker.registry answers added (the registry step's record)."""
    doc = json.loads(Path(CAPTURE).read_text())
    doc["docker"]["registry"] = answers
    path = tmp_path / "capture.json"
    path.write_text(json.dumps(doc))
    return str(path)


# The engine's answers for a real registry (tests/data/outputs/debian12-registry), as recorded.
MULTI = json.loads((REPO / "tests/data/outputs/debian12-registry/distribution_multi.200.json").read_text())
ARM64_ONLY = json.loads((REPO / "tests/data/outputs/debian12-registry/distribution_arm64.200.json").read_text())


def test_a_capture_without_the_registry_answer_says_so_and_asks_no_engine(tmp_path):
    started = time.monotonic()
    result, connects, seen = judged_offline(tmp_path, "localhost:5999/app:1", "--capture", CAPTURE,
                                            "--timeout", "2")
    assert time.monotonic() - started < 15
    assert (connects, seen) == ([], 0)
    assert result.returncode == 3 and b"Traceback" not in result.stderr
    assert result.stderr.decode() == (
        "hostcheck: error: nothing to judge: the capture holds no registry answer for localhost:5999/app:1; "
        "capture it on a host that reaches the registry (hostcheck capture --image localhost:5999/app:1 -o FILE)\n")


def test_beside_a_local_image_the_missing_answer_is_a_skip_tree(tmp_path):
    result, connects, seen = judged_offline(tmp_path, "localhost:5999/app:1", "hc-test/busybox:amd64",
                                            "--capture", CAPTURE, "--json")
    assert (connects, seen) == ([], 0)
    assert result.returncode == 0, result.stderr
    verdicts = {t["subject"]: t["verdict"] for t in trees_of(result)}
    assert verdicts["localhost:5999/app:1 (registry)"]["status"] == "skip"
    assert "the capture holds no registry answer for localhost:5999/app:1" in \
        verdicts["localhost:5999/app:1 (registry)"]["text"]


def test_a_recorded_registry_answer_is_judged_from_the_capture_alone(tmp_path):
    capture = capture_with_registry(tmp_path, {
        "localhost:5077/hc-rec:multi": {"platforms": MULTI["Platforms"]},
        "localhost:5077/hc-rec:arm64": {"platforms": ARM64_ONLY["Platforms"]}})
    result, connects, seen = judged_offline(tmp_path, "localhost:5077/hc-rec:multi", "localhost:5077/hc-rec:arm64",
                                            "--capture", capture, "--json")
    assert (connects, seen) == ([], 0)
    assert result.returncode == 1, result.stderr
    trees = {t["subject"]: t for t in trees_of(result)}
    multi = trees["localhost:5077/hc-rec:multi (registry)"]
    assert multi["verdict"]["id"] == "native"
    assert multi["path"][-1]["evidence"] == "image linux/amd64, linux/arm64/v8, host linux/amd64"
    arm64 = trees["localhost:5077/hc-rec:arm64 (registry)"]
    assert arm64["verdict"]["id"] == "needs-remediation"
    # a registry answered in this capture: tonistiigi/binfmt is offered, after apt-get
    assert arm64["verdict"]["remediation"]["commands"][:3] == [
        "apt-get install -y qemu-user-static binfmt-support && update-binfmts --enable qemu-aarch64",
        "docker run --privileged --rm tonistiigi/binfmt --install arm64",
        "docker run --platform linux/arm64/v8 localhost:5077/hc-rec:arm64"]


def test_redact_keeps_the_answer_of_a_registry_named_by_its_ip(tmp_path):
    """--redact pseudonymises addresses in the document; the answer is read before that."""
    capture = capture_with_registry(tmp_path, {"10.0.0.5:5000/app:1": {"platforms": MULTI["Platforms"]}})
    result, connects, seen = judged_offline(tmp_path, "10.0.0.5:5000/app:1", "--capture", capture, "--redact", "--json")
    assert (connects, seen) == ([], 0)
    assert result.returncode == 0, result.stderr
    (tree,) = trees_of(result)
    assert tree["verdict"]["id"] == "native"


def test_a_recorded_registry_failure_is_the_reason(tmp_path):
    capture = capture_with_registry(tmp_path, {"localhost:5077/hc-rec:nope": {
        "error": "not_found", "detail": "no such image in the registry: manifest unknown: manifest unknown"}})
    result, connects, seen = judged_offline(tmp_path, "localhost:5077/hc-rec:nope", "--capture", capture)
    assert (connects, seen) == ([], 0)
    assert result.returncode == 3
    assert b"no such image in the registry: manifest unknown" in result.stderr


def test_live_registry_reference_without_an_engine_is_a_clear_line_not_a_hang(tmp_path):
    """Live, the capture's registry step asks through the engine the capture read: none here."""
    started = time.monotonic()
    result = hostcheck("localhost:5999/app:1", "--timeout", "2",
                       env={"DOCKER_HOST": "unix://%s" % (tmp_path / "absent.sock")})
    assert time.monotonic() - started < 20
    assert result.returncode == 3 and b"Traceback" not in result.stderr
    assert b"the Docker engine does not answer, so the registry cannot be asked" in result.stderr


def test_the_guard_would_see_a_connection():
    """The offline tests can fail: the guard writes down a connect and refuses it."""
    import tempfile
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "connects.log"
        probe = GUARD.replace('runpy.run_module("hostcheck", run_name="__main__", alter_sys=True)',
                              'socket.socket(socket.AF_UNIX).connect("/nonexistent.sock")')
        result = subprocess.run([sys.executable, "-c", probe, str(log)], capture_output=True, timeout=30)
        assert result.returncode == 1 and b"while judging a capture" in result.stderr
        assert log.read_text() == "'/nonexistent.sock'\n"


def test_no_arguments_is_a_usage_error():
    assert hostcheck("--capture", CAPTURE).returncode == 2


def test_chinese(tmp_path):
    result = hostcheck("local/busybox:arm64", "--capture", CAPTURE, "--json", "--lang", "zh")
    (tree,) = trees_of(result)
    assert "仿真器" in tree["verdict"]["text"]

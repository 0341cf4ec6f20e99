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


def test_registry_reference_without_an_engine_is_a_clear_line_not_a_hang():
    started = time.monotonic()
    result = hostcheck("localhost:5999/app:1", "--capture", CAPTURE, "--timeout", "2",
                       env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert time.monotonic() - started < 15
    assert result.returncode == 3 and b"Traceback" not in result.stderr
    assert b"localhost:5999/app:1" not in result.stdout
    assert b"does not answer" in result.stderr or b"unreachable" in result.stderr


def test_no_arguments_is_a_usage_error():
    assert hostcheck("--capture", CAPTURE).returncode == 2


def test_chinese(tmp_path):
    result = hostcheck("local/busybox:arm64", "--capture", CAPTURE, "--json", "--lang", "zh")
    (tree,) = trees_of(result)
    assert "仿真器" in tree["verdict"]["text"]

"""Archives the real engine writes (`docker save`, to a file and through a pipe), and an
image whose label lies: amd64 on the label, an aarch64 busybox inside. The label alone says
native; the engine really fails with "exec format error"; the archive scan and the exited
container's tree both say why.
"""

import json
import subprocess
import sys

import pytest

from conftest import REPO_ROOT, busybox_rootfs_tar, write_docker_archive, _busybox_applets, _busybox_binary


def hostcheck(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "hostcheck"] + list(args), cwd=str(REPO_ROOT),
                          stdin=stdin, capture_output=True, text=True, timeout=180)


def trees(result):
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["trees"]


def steps(tree):
    return ["%s=%s" % (s["node"], s["answer"]) for s in tree["path"]]


def test_docker_save_file_is_scanned(docker_engine, busybox_image, tmp_path):
    image = busybox_image("arm64")
    path = tmp_path / "saved.tar"
    docker_engine("save", "-o", str(path), image)
    (tree,) = trees(hostcheck("image", "--json", "--archive", str(path)))
    assert tree["path"][0]["evidence"] == "linux/arm64/v8: 1 ELF file: 1 aarch64"
    assert steps(tree)[:2] == ["binaries-match=yes", "platform-match=no"]


def test_docker_save_through_a_pipe(docker_engine, busybox_image):
    image = busybox_image("amd64")
    save = subprocess.Popen([docker_engine.cli, "save", image], stdout=subprocess.PIPE)
    try:
        result = hostcheck("image", "--json", "--archive", "-", stdin=save.stdout)
    finally:
        save.stdout.close()
        save.wait(60)
    (tree,) = trees(result)
    assert tree["subject"] == "%s (stdin)" % image
    assert tree["verdict"]["id"] == "native"
    assert tree["path"][0]["evidence"] == "linux/amd64: 1 ELF file: 1 x86-64"


@pytest.fixture
def mislabelled_image(docker_engine, tmp_path):
    """hc-img/mislabelled:amd64 — the config says amd64, bin/busybox is aarch64."""
    tag = "hc-img/mislabelled:amd64"
    layer = busybox_rootfs_tar(_busybox_binary("arm64"), _busybox_applets())
    path = tmp_path / "mislabelled.tar"
    write_docker_archive(path, layer, "amd64", None, tag)
    docker_engine("load", "--input", str(path))
    yield tag, path
    docker_engine("rmi", "-f", tag, check=False)


def test_label_native_but_binaries_foreign(mislabelled_image, binfmt, containers, docker_engine):
    tag, path = mislabelled_image
    binfmt("qemu-aarch64", flags=None)
    run = containers.run(tag, "uname", "-m")
    assert run.returncode != 0 and "exec format error" in run.stderr   # reality

    (by_label,) = trees(hostcheck("image", "--json", tag))
    assert by_label["verdict"]["id"] == "native"                         # the label alone is fooled
    assert steps(by_label)[0] == "binaries-match=unknown"

    (scanned,) = trees(hostcheck("image", "--json", "--archive", str(path)))
    assert steps(scanned) == ["binaries-match=no", "foreign-emulable=yes"]
    assert scanned["verdict"]["id"] == "needs-remediation"
    assert "1 aarch64 executable (linux/arm64/v8), e.g. /bin/busybox" in scanned["verdict"]["text"]

    report = json.loads(hostcheck("check", "--json").stdout)
    (container,) = [t for t in report["trees"] if run.name in t["subject"]]
    assert container["verdict"]["id"] == "needs-remediation"
    assert "hostcheck image --archive -" in container["verdict"]["text"]

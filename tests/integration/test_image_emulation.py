"""hostcheck's image verdict against what the engine really does, in each emulation state.

For each binfmt_misc state of qemu-aarch64 — no entry, an entry without F, an entry with
F, the entry disabled — the verdict of `hostcheck image IMAGE --json` (live) and of
`hostcheck image --capture FILE` (a capture of that state) must agree with
`docker run --rm --pull=never --platform linux/arm64 IMAGE uname -m`: native/emulated
when it prints aarch64, needs-remediation/impossible when it fails. The `binfmt` fixture
puts the host's entries back as they were after each test.
"""

import json
import subprocess
import sys
import uuid

import pytest

from conftest import REPO_ROOT

RUNS = ("native", "emulated")
# state -> (binfmt fixture arguments, the verdict id, the last node of the path walked)
STATES = {
    "no-entry": ({"flags": None}, "needs-remediation", "emulator-disabled=no"),
    "entry-without-F": ({"flags": "P"}, "needs-remediation", "fix-binary=no"),
    "entry-with-F": ({"flags": "PF"}, "emulated", "kernel-floor=yes"),
    "entry-disabled": ({"flags": "PF", "enabled": False}, "needs-remediation", "emulator-disabled=yes"),
}


def hostcheck(*args, check_exit=(0, 1)):
    result = subprocess.run([sys.executable, "-m", "hostcheck"] + list(args), cwd=str(REPO_ROOT),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in check_exit, (result.returncode, result.stderr)
    return result


def image_verdict(*args):
    report = json.loads(hostcheck("image", "--json", *args).stdout)
    (tree,) = report["trees"]
    return tree


def docker_runs_arm64(docker_engine, image):
    """(ran, output) of the real run, as SPEC's comparison asks."""
    name = "hc-img-" + uuid.uuid4().hex[:10]
    result = docker_engine("run", "--rm", "--pull=never", "--name", name, "--platform", "linux/arm64",
                           image, "uname", "-m", check=False)
    output = (result.stdout + result.stderr).strip()
    return result.returncode == 0 and result.stdout.strip() == "aarch64", output


def path_of(tree):
    return ["%s=%s" % (step["node"], step["answer"]) for step in tree["path"]]


@pytest.mark.parametrize("state", sorted(STATES))
def test_verdict_agrees_with_docker_run(state, binfmt, docker_engine, busybox_image, tmp_path):
    arguments, expected_verdict, last_step = STATES[state]
    image = busybox_image("arm64")
    binfmt("qemu-aarch64", **arguments)

    ran, output = docker_runs_arm64(docker_engine, image)
    live = image_verdict(image)
    capture_file = tmp_path / "capture.json"
    hostcheck("capture", "-o", str(capture_file), check_exit=(0,))
    replayed = image_verdict(image, "--capture", str(capture_file))

    for tree in (live, replayed):
        verdict = tree["verdict"]["id"]
        assert (verdict in RUNS) == ran, "state %s: verdict %s, but docker run said %r (path %s)" % (
            state, verdict, output, path_of(tree))
        assert verdict == expected_verdict
        assert path_of(tree)[-1] == last_step
    assert live["verdict"]["text"] == replayed["verdict"]["text"]
    print("\n| %s | %s | %s | %s |" % (state, live["verdict"]["id"], replayed["verdict"]["id"], output))
    # What the real run printed is what the verdict announced.
    if state in ("no-entry", "entry-disabled"):
        assert "exec format error" in output
    elif state == "entry-without-F":
        assert "no such file or directory" in output


def test_amd64_image_is_native_and_runs(docker_engine, busybox_image):
    image = busybox_image("amd64")
    result = docker_engine("run", "--rm", "--pull=never", "--name", "hc-img-" + uuid.uuid4().hex[:10],
                           image, "uname", "-m", check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "x86_64")
    assert image_verdict(image)["verdict"]["id"] == "native"


@pytest.mark.parametrize("state", ["no-entry", "entry-without-F", "entry-disabled"])
def test_following_the_printed_remediation_makes_it_run(state, binfmt, docker_engine, busybox_image):
    """The commands hostcheck prints for this machine (Debian: apt-get/update-binfmts, or
    echo 1 for a disabled entry) are run as printed; then the image runs emulated."""
    arguments, _, _ = STATES[state]
    image = busybox_image("arm64")
    binfmt("qemu-aarch64", **arguments)
    tree = image_verdict(image)
    assert tree["verdict"]["id"] == "needs-remediation"
    commands = [c for c in tree["verdict"]["remediation"]["commands"]
                if not c.startswith(("#", "docker "))]
    assert commands, tree["verdict"]["remediation"]
    for command in commands:
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (command, done.stdout[-500:], done.stderr[-500:])
    ran, output = docker_runs_arm64(docker_engine, image)
    assert ran, "after %s: %s" % (commands, output)
    assert image_verdict(image)["verdict"]["id"] == "emulated"


def test_exited_container_is_explained_in_check(binfmt, containers, busybox_image):
    binfmt("qemu-aarch64", flags=None)
    run = containers.run(busybox_image("arm64"), "uname", "-m", args=("--platform", "linux/arm64"))
    assert run.returncode != 0 and "exec format error" in run.stderr
    report = json.loads(hostcheck("check", "--json").stdout)
    trees = [t for t in report["trees"] if run.name in t["subject"]]
    assert len(trees) == 1, [t["subject"] for t in report["trees"]]
    tree = trees[0]
    assert tree["path"][0]["node"] == "container-exit"
    assert "exec format error" in tree["path"][0]["evidence"]
    assert tree["verdict"]["id"] == "needs-remediation"
    assert "update-binfmts --enable qemu-aarch64" in " ".join(tree["verdict"]["remediation"]["commands"])


def test_entry_without_F_exit_is_explained_in_check(binfmt, containers, busybox_image):
    binfmt("qemu-aarch64", flags="P")
    run = containers.run(busybox_image("arm64"), "uname", "-m", args=("--platform", "linux/arm64"))
    assert run.returncode != 0 and "no such file or directory" in run.stderr
    report = json.loads(hostcheck("check", "--json").stdout)
    (tree,) = [t for t in report["trees"] if run.name in t["subject"]]
    assert "no such file or directory" in tree["path"][0]["evidence"]
    assert path_of(tree)[-1] == "fix-binary=no"


def test_386_image_runs_natively_on_amd64(docker_engine, tmp_path):
    """A 32-bit x86 image on this amd64 kernel (CONFIG_IA32_EMULATION=y): no emulator needed.
    The i386 busybox-static comes like the arm64 one (apt-get download busybox-static:i386)."""
    import os
    from conftest import busybox_rootfs_tar, write_docker_archive, _busybox_applets
    binary = os.environ.get("HOSTCHECK_BUSYBOX_I386", str(REPO_ROOT / ".cache/busybox-i386/bin/busybox"))
    if not os.access(binary, os.X_OK):
        pytest.skip("no i386 busybox-static (apt-get download busybox-static:i386 into .cache/busybox-i386)")
    tag = "hc-img/busybox:386"
    path = tmp_path / "i386.tar"
    write_docker_archive(path, busybox_rootfs_tar(binary, _busybox_applets()), "386", None, tag)
    docker_engine("load", "--input", str(path))
    try:
        result = docker_engine("run", "--rm", "--pull=never", "--name", "hc-img-" + uuid.uuid4().hex[:10],
                               "--platform", "linux/386", tag, "uname", "-m", check=False)
        assert result.returncode == 0, result.stderr
        assert image_verdict(tag)["verdict"]["id"] == "native"
        assert image_verdict("--archive", str(path))["path"][0]["evidence"] == "linux/386: 1 ELF file: 1 x86"
    finally:
        docker_engine("rmi", "-f", tag, check=False)

"""QEMU emulation through binfmt_misc behaves as INTEGRATION-ENV.md recorded on this machine
kind, and the `binfmt` fixture sets each state (and puts the host back) as it promises.
The image-compatibility tree's verdicts rest on these three outcomes.
"""

import pytest


@pytest.fixture
def arm64_image(busybox_image):
    return busybox_image("arm64")


def test_arm64_runs_emulated_with_fix_binary_flag(binfmt, containers, arm64_image):
    entry = binfmt("qemu-aarch64", flags="PF")
    assert "flags: PF" in entry.read_text()
    run = containers.run(arm64_image, "uname", "-m")
    assert (run.returncode, run.stdout.strip()) == (0, "aarch64"), run.stderr


def test_arm64_without_binfmt_entry_is_exec_format_error(binfmt, containers, arm64_image):
    binfmt("qemu-aarch64", flags=None)
    run = containers.run(arm64_image, "uname", "-m")
    assert run.returncode != 0
    assert "exec format error" in run.stderr


def test_arm64_entry_without_F_flag_cannot_find_interpreter(binfmt, containers, arm64_image):
    # Without F the kernel looks the interpreter up inside the container's root, where the
    # host's /usr/libexec/qemu-binfmt does not exist.
    binfmt("qemu-aarch64", flags="P")
    run = containers.run(arm64_image, "uname", "-m")
    assert run.returncode != 0
    assert "no such file or directory" in run.stderr


def test_disabled_entry_is_restored_as_it_was(binfmt):
    entry = binfmt("qemu-aarch64", flags="PF", enabled=False)
    assert entry.read_text().startswith("disabled")

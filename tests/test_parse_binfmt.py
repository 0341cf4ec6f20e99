"""binfmt: mount state, status, entries with the platform their ELF magic serves."""

import pytest

from hostcheck.parse import binfmt
from test_parse_sources import OUTPUTS, read

ENTRIES = OUTPUTS / "debian12-binfmt"


@pytest.mark.parametrize("name,platform", [
    ("qemu-aarch64", "linux/arm64"),
    ("qemu-arm", "linux/arm"),
    ("qemu-loongarch64", "linux/loong64"),
    ("qemu-mips64el", "linux/mips64le"),
    ("qemu-ppc64le", "linux/ppc64le"),
    ("qemu-riscv64", "linux/riscv64"),
    ("qemu-s390x", "linux/s390x"),
])
def test_real_entries(name, platform):
    entry = binfmt.parse_entry(name, (ENTRIES / name).read_text())
    assert entry["enabled"] is True
    assert entry["flags"] == "PF"
    assert entry["offset"] == 0
    assert entry["interpreter"].startswith("/usr/libexec/qemu-binfmt/")
    assert entry["platform"] == platform


def test_disabled_entry():
    entry = binfmt.parse_entry("qemu-s390x", (ENTRIES / "qemu-s390x.disabled").read_text())
    assert entry["enabled"] is False
    assert binfmt.served_platforms([entry], True) == []


def test_served_platforms_needs_global_status():
    entry = binfmt.parse_entry("qemu-aarch64", (ENTRIES / "qemu-aarch64").read_text())
    assert binfmt.served_platforms([entry], True) == ["linux/arm64"]
    assert binfmt.served_platforms([entry], False) == []
    assert binfmt.parse_status((ENTRIES / "status").read_text()) is True
    assert binfmt.parse_status("disabled\n") is False
    assert binfmt.parse_status("") is None


def test_mount_state():
    mounted_line = (ENTRIES / "proc_mounts_binfmt_lines.txt").read_text()
    assert binfmt.mount_state(mounted_line) == (True, False)
    assert binfmt.mount_state(read("debian12-nodocker/proc_mounts.txt")) == (False, False)
    # systemd's automount point alone: a CentOS 7 /proc/mounts line (xfs root, selinux).
    autofs = ("systemd-1 /proc/sys/fs/binfmt_misc autofs rw,relatime,fd=34,pgrp=1,timeout=0,"
              "minproto=5,maxproto=5,direct,pipe_ino=15124 0 0\n")
    assert binfmt.mount_state(autofs) == (False, True)
    assert binfmt.mount_state(autofs + mounted_line) == (True, False)
    assert binfmt.mount_state(None) == (None, None)


def test_entry_edge_cases():
    # No F flag, as registered without fix-binary: flags empty.
    text = (ENTRIES / "qemu-aarch64").read_text().replace("flags: PF", "flags: ")
    assert binfmt.parse_entry("qemu-aarch64", text)["flags"] == ""
    # Extension-based entries and truncated magic have no platform.
    ext = binfmt.parse_entry("jar", "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n")
    assert ext["extension"] == ".jar" and ext["platform"] is None
    assert binfmt.parse_entry("x", "enabled\nmagic 7f454c46\n")["platform"] is None
    assert binfmt.parse_entry("x", "enabled\nmagic zz\n")["platform"] is None
    assert binfmt.parse_entry("x", None)["enabled"] is None
    # A non-zero offset means the magic is not an ELF header at byte 0.
    text = (ENTRIES / "qemu-aarch64").read_text().replace("offset 0", "offset 4")
    assert binfmt.parse_entry("x", text)["platform"] is None


def test_elf_platform_more_machines():
    # x86-64 and i386 magic as tonistiigi/binfmt registers them on arm64 hosts.
    assert binfmt.elf_platform("7f454c4602010100000000000000000002003e00") == "linux/amd64"
    assert binfmt.elf_platform("7f454c4601010100000000000000000002000300") == "linux/386"
    # big-endian mips64 (qemu-mips64): e_machine 0x0008 stored big-endian
    assert binfmt.elf_platform("7f454c4602020100000000000000000000020008") == "linux/mips64"
    assert binfmt.elf_platform("7f454c4601010100000000000000000002000800", name="qemu-mipsn32el") is None

"""binfmt_misc: mount state, status, and registered handlers with the platform each serves.

Sample output::

    $ grep binfmt /proc/mounts
    binfmt_misc /proc/sys/fs/binfmt_misc binfmt_misc rw,nosuid,nodev,noexec,relatime 0 0
    $ cat /proc/sys/fs/binfmt_misc/status
    enabled
    $ cat /proc/sys/fs/binfmt_misc/qemu-aarch64      # Debian 12, update-binfmts --enable
    enabled
    interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
    flags: PF
    offset 0
    magic 7f454c460201010000000000000000000200b700
    mask ffffffffffffff00fffffffffffffffffeffffff

>>> entry = parse_entry("qemu-aarch64", "enabled\\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\\n"
...     "flags: PF\\noffset 0\\nmagic 7f454c460201010000000000000000000200b700\\n"
...     "mask ffffffffffffff00fffffffffffffffffeffffff\\n")
>>> entry["enabled"], entry["flags"], entry["platform"]
(True, 'PF', 'linux/arm64')
"""

from hostcheck.capture.probes import BINFMT_DIR as MOUNTPOINT, binfmt_mount_state  # noqa: F401 (MOUNTPOINT re-exported)

# ELF e_machine -> {(EI_CLASS, EI_DATA): OCI platform}. EI_CLASS 1 = 32-bit, 2 = 64-bit;
# EI_DATA 1 = little endian, 2 = big endian. Combinations OCI has no name for are left out.
ELF_MACHINES = {
    0x03: {(1, 1): "linux/386"},
    0x3E: {(2, 1): "linux/amd64"},
    0xB7: {(2, 1): "linux/arm64"},
    0x28: {(1, 1): "linux/arm"},
    0x102: {(2, 1): "linux/loong64"},
    0x08: {(1, 1): "linux/mipsle", (1, 2): "linux/mips", (2, 1): "linux/mips64le", (2, 2): "linux/mips64"},
    0x15: {(2, 1): "linux/ppc64le", (2, 2): "linux/ppc64"},
    0x16: {(2, 2): "linux/s390x"},
    0xF3: {(2, 1): "linux/riscv64"},
}


def mount_state(mounts_text):
    """(mounted, automount_only) from /proc/mounts text; (None, None) when unreadable.

    The capture decides with the same function whether it may list the directory.

    >>> mount_state("systemd-1 /proc/sys/fs/binfmt_misc autofs rw,relatime 0 0\\n")
    (False, True)
    """
    return binfmt_mount_state(mounts_text)


def parse_status(text):
    """status file -> True (enabled) / False (disabled) / None."""
    if not isinstance(text, str):
        return None
    word = text.strip().lower()
    if word == "enabled":
        return True
    if word == "disabled":
        return False
    return None


def parse_entry(name, text):
    """One handler file -> {name, enabled, interpreter, flags, offset, magic, mask, extension, platform}."""
    entry = {"name": name, "enabled": None, "interpreter": None, "flags": "", "offset": None,
             "magic": None, "mask": None, "extension": None, "platform": None}
    if not isinstance(text, str):
        return entry
    for line in text.splitlines():
        line = line.strip()
        if line == "enabled":
            entry["enabled"] = True
        elif line == "disabled":
            entry["enabled"] = False
        elif line.startswith("interpreter "):
            entry["interpreter"] = line[len("interpreter "):].strip()
        elif line.startswith("flags:"):
            entry["flags"] = line[len("flags:"):].strip()
        elif line.startswith("offset "):
            value = line[len("offset "):].strip()
            entry["offset"] = int(value) if value.isdigit() else None
        elif line.startswith("magic "):
            entry["magic"] = line[len("magic "):].strip().lower()
        elif line.startswith("mask "):
            entry["mask"] = line[len("mask "):].strip().lower()
        elif line.startswith("extension "):
            entry["extension"] = line[len("extension "):].strip()
    if entry["offset"] in (0, None) and entry["magic"]:
        entry["platform"] = elf_platform(entry["magic"], entry["mask"], name)
    return entry


def _bytes(hexstr):
    try:
        return bytes.fromhex(hexstr)
    except (TypeError, ValueError):
        return None


def elf_platform(magic, mask=None, name=""):
    """OCI platform an ELF magic (from offset 0) matches, or None.

    >>> elf_platform("7f454c4602010100000000000000000002000800")
    'linux/mips64le'
    >>> elf_platform("7f454c4602020100000000000000000000020016")
    'linux/s390x'
    """
    data = _bytes(magic)
    if not data or len(data) < 20 or data[:4] != b"\x7fELF":
        return None
    mask_bytes = _bytes(mask) if mask else None
    if mask_bytes and len(mask_bytes) >= 20 and (mask_bytes[4] == 0 or mask_bytes[5] == 0):
        return None  # class or byte order masked out: the entry serves several platforms
    ei_class, ei_data = data[4], data[5]
    order = "little" if ei_data == 1 else "big"
    e_machine = int.from_bytes(data[18:20], order)
    if e_machine == 0x08 and "n32" in (name or ""):
        return None  # MIPS n32 ABI: 32-bit ELF on a 64-bit ISA, no OCI platform
    return ELF_MACHINES.get(e_machine, {}).get((ei_class, ei_data))


def served_platforms(entries, status_enabled):
    """Sorted OCI platforms of enabled entries; none when binfmt_misc itself is disabled."""
    if status_enabled is False:
        return []
    return sorted({e["platform"] for e in entries if e.get("enabled") and e.get("platform")})

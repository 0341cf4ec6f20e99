"""CPU architecture: uname machine -> OCI platform, page size, CPU vendor and model.

Sample output::

    $ uname -m
    aarch64
    $ getconf PAGESIZE
    65536
    $ cat /proc/cpuinfo          # Kunpeng 920 (HiSilicon), one processor shown
    processor	: 0
    BogoMIPS	: 200.00
    Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma dcpop asimddp asimdfhm
    CPU implementer	: 0x48
    CPU architecture: 8
    CPU variant	: 0x1
    CPU part	: 0xd01
    CPU revision	: 0

>>> oci_platform("aarch64")
{'platform': 'linux/arm64', 'architecture': 'arm64', 'variant': 'v8'}
>>> parse_cpuinfo("processor\\t: 0\\nCPU implementer\\t: 0x48\\nCPU part\\t: 0xd01\\n")
{'vendor': 'HiSilicon', 'model': 'HiSilicon TaiShan-v110 (Kunpeng 920)'}
"""

# uname -m -> (OCI architecture, variant). Variants follow containerd's platform
# normalisation: arm64 is v8, 32-bit arm carries its ISA level.
MACHINES = {
    "x86_64": ("amd64", None), "amd64": ("amd64", None),
    "i386": ("386", None), "i486": ("386", None), "i586": ("386", None), "i686": ("386", None),
    "aarch64": ("arm64", "v8"), "arm64": ("arm64", "v8"),
    "armv8l": ("arm", "v8"), "armv7l": ("arm", "v7"), "armv7": ("arm", "v7"),
    "armv6l": ("arm", "v6"), "armv5tel": ("arm", "v5"), "armv5l": ("arm", "v5"),
    "ppc64le": ("ppc64le", None), "ppc64": ("ppc64", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
    "loongarch64": ("loong64", None),
    # uname prints "mips64" for both byte orders; build_facts refines it (see refine_mips64).
    "mips64": ("mips64", None), "mips64el": ("mips64le", None), "mips64le": ("mips64le", None),
    "mips": ("mips", None), "mipsel": ("mipsle", None),
}

# MIDR implementer codes (arch/arm64/include/asm/cputype.h; util-linux lscpu-arm.c).
ARM_IMPLEMENTERS = {
    0x41: "ARM", 0x42: "Broadcom", 0x43: "Cavium", 0x46: "Fujitsu", 0x48: "HiSilicon",
    0x4E: "NVIDIA", 0x50: "APM", 0x51: "Qualcomm", 0x61: "Apple", 0x69: "Intel",
    0x6D: "Microsoft", 0x70: "Phytium", 0xC0: "Ampere",
}
# Part numbers worth naming for the domestic servers (util-linux lscpu-arm.c names).
ARM_PARTS = {
    (0x48, 0xd01): "TaiShan-v110 (Kunpeng 920)",
    (0x48, 0xd02): "TaiShan-v120",
    (0x70, 0x660): "FTC660 (FT-1500A/FT-2000+)",
    (0x70, 0x661): "FTC661 (FT-2000A)",
    (0x70, 0x662): "FTC662 (FT-2000+/FT-2000/4)",
    (0x70, 0x663): "FTC663 (FT-2500/S2500)",
    (0x70, 0x664): "FTC664",
    (0x41, 0xd0c): "Neoverse-N1",
    (0x41, 0xd08): "Cortex-A72",
    (0x41, 0xd03): "Cortex-A53",
}


def oci_platform(machine):
    """OCI platform of a uname machine, or None for a machine OCI has no name for."""
    if not isinstance(machine, str):
        return None
    arch = MACHINES.get(machine.strip().lower())
    if arch is None:
        return None
    architecture, variant = arch
    return {"platform": "linux/" + architecture, "architecture": architecture, "variant": variant}


def refine_mips64(platform, engine_arch=None, cpu_vendor=None):
    """uname says "mips64" on big- and little-endian kernels alike.

    The engine's /version Arch (Go's GOARCH) is exact; without it, Loongson CPUs run
    little-endian Linux in practice (every Loongson distribution is mips64el).
    """
    if platform is None or platform["architecture"] != "mips64":
        return platform
    if engine_arch in ("mips64le", "mips64"):
        architecture = engine_arch
    elif cpu_vendor == "Loongson":
        architecture = "mips64le"
    else:
        return platform
    return {"platform": "linux/" + architecture, "architecture": architecture, "variant": None}


def parse_pagesize(text):
    """`getconf PAGESIZE` -> int bytes, None when the text is not a positive number.

    >>> parse_pagesize("65536\\n")
    65536
    """
    if not isinstance(text, str):
        return None
    word = text.strip().split("\n")[0].strip()
    if word.isdigit() and int(word) > 0:
        return int(word)
    return None


def _cpuinfo_fields(text):
    """First value of each field name (lower-cased) in /proc/cpuinfo."""
    fields = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key and key not in fields:
            fields[key] = value.strip()
    return fields


def _hex(value):
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        return None


def parse_cpuinfo(text):
    """/proc/cpuinfo -> {vendor, model} (either may be None).

    x86 names its vendor in vendor_id (GenuineIntel, AuthenticAMD, HygonGenuine); arm64
    gives a MIDR implementer code (0x48 HiSilicon Kunpeng, 0x70 Phytium); Loongson
    (mips64 and loongarch64) spells "cpu model" / "model name" / "Model Name".
    """
    result = {"vendor": None, "model": None}
    if not isinstance(text, str) or not text.strip():
        return result
    fields = _cpuinfo_fields(text)
    if fields.get("vendor_id"):
        result["vendor"] = fields["vendor_id"]
        result["model"] = fields.get("model name") or None
        return result
    implementer = _hex(fields.get("cpu implementer"))
    if implementer is not None:
        vendor = ARM_IMPLEMENTERS.get(implementer, "0x%02x" % implementer)
        result["vendor"] = vendor
        part = _hex(fields.get("cpu part"))
        named = ARM_PARTS.get((implementer, part))
        if fields.get("model name"):
            result["model"] = fields["model name"]      # e.g. "phytium FT1500a"
        elif named:
            result["model"] = "%s %s" % (vendor, named)
        elif part is not None:
            result["model"] = "%s part 0x%03x" % (vendor, part)
        return result
    model = fields.get("model name") or fields.get("cpu model")
    system_type = fields.get("system type", "")
    if "loongson" in (model or "").lower() or "loongson" in system_type.lower():
        result["vendor"] = "Loongson"
    result["model"] = model or None
    return result


def loongarch_world(kernel_version, cpuinfo_text):
    """'old' (ABI 1.0) or 'new' (ABI 2.0) LoongArch userland, None when unclear.

    Mainline LoongArch (new world) begins with kernel 5.19; the vendor kernels of
    Kylin V10 / UOS 20 / Loongnix 20 (4.19, 5.4, 5.10) are old world. Old-world kernels
    spell "cpu family" / "model name" in /proc/cpuinfo, mainline "CPU Family" / "Model Name"
    (loongson/LoongArch-Documentation PR #74).
    """
    parts = []
    for piece in (kernel_version or "").split(".")[:2]:
        parts.append(int(piece) if piece.isdigit() else -1)
    if len(parts) == 2 and parts[0] >= 0 and parts[1] >= 0:
        return "new" if tuple(parts) >= (5, 19) else "old"
    if isinstance(cpuinfo_text, str):
        if "Model Name" in cpuinfo_text or "CPU Family" in cpuinfo_text:
            return "new"
        if "model name" in cpuinfo_text or "cpu family" in cpuinfo_text:
            return "old"
    return None

"""arch: uname machine -> OCI platform, page size, cpuinfo vendor and model."""

import pytest

from hostcheck.parse import arch
from test_parse_sources import EXTERNAL, read


@pytest.mark.parametrize("machine,platform,architecture,variant", [
    ("x86_64", "linux/amd64", "amd64", None),
    ("aarch64", "linux/arm64", "arm64", "v8"),
    ("armv7l", "linux/arm", "arm", "v7"),
    ("armv6l", "linux/arm", "arm", "v6"),
    ("ppc64le", "linux/ppc64le", "ppc64le", None),
    ("s390x", "linux/s390x", "s390x", None),
    ("riscv64", "linux/riscv64", "riscv64", None),
    ("loongarch64", "linux/loong64", "loong64", None),
    ("mips64", "linux/mips64", "mips64", None),
    ("i686", "linux/386", "386", None),
])
def test_oci_platform(machine, platform, architecture, variant):
    assert arch.oci_platform(machine) == {"platform": platform, "architecture": architecture,
                                          "variant": variant}


def test_unknown_machine_and_junk():
    assert arch.oci_platform("sw_64") is None  # Sunway: no OCI platform
    assert arch.oci_platform(None) is None
    assert arch.oci_platform(42) is None


def test_mips64_byte_order_is_refined():
    base = arch.oci_platform("mips64")
    assert arch.refine_mips64(base, engine_arch="mips64le")["platform"] == "linux/mips64le"
    assert arch.refine_mips64(base, cpu_vendor="Loongson")["platform"] == "linux/mips64le"
    assert arch.refine_mips64(base)["platform"] == "linux/mips64"
    amd = arch.oci_platform("x86_64")
    assert arch.refine_mips64(amd, engine_arch="mips64le") is amd


def test_pagesize():
    assert arch.parse_pagesize(read("debian12-nodocker/getconf_PAGESIZE.stdout")) == 4096
    assert arch.parse_pagesize("65536\n") == 65536
    for junk in ("", "undefined\n", "-1", None, "0"):
        assert arch.parse_pagesize(junk) is None


@pytest.mark.parametrize("name,vendor,model", [
    ("kunpeng920-ubuntu18.04.txt", "HiSilicon", "HiSilicon TaiShan-v110 (Kunpeng 920)"),
    ("phytium-ft1500a-kylin4.txt", "Phytium", "phytium FT1500a"),
    ("phytium-ft2000.txt", "Phytium", "Phytium FTC662 (FT-2000+/FT-2000/4)"),
    ("loongson-3a5000-loongnix20-oldworld.txt", "Loongson", "Loongson-3A5000-HV"),
    ("loongson-3a6000-newworld.txt", "Loongson", "Loongson-3A6000"),
    ("loongson-3b3000-neokylin-mips64el.txt", "Loongson",
     "Loongson-3A R3 (Loongson-3B3000) @ 1450MHz @ 1450MHz"),
])
def test_cpuinfo_real_domestic_cpus(name, vendor, model):
    assert arch.parse_cpuinfo((EXTERNAL / "cpuinfo" / name).read_text()) == {"vendor": vendor, "model": model}


def test_cpuinfo_this_machine():
    cpu = arch.parse_cpuinfo(read("debian12-nodocker/proc_cpuinfo.txt"))
    assert cpu["vendor"] in ("GenuineIntel", "AuthenticAMD", "HygonGenuine")
    assert cpu["model"]


def test_cpuinfo_edge_cases():
    assert arch.parse_cpuinfo("") == {"vendor": None, "model": None}
    assert arch.parse_cpuinfo(None) == {"vendor": None, "model": None}
    assert arch.parse_cpuinfo("processor : 0\r\nvendor_id : HygonGenuine\r\n")["vendor"] == "HygonGenuine"
    unknown = arch.parse_cpuinfo("CPU implementer\t: 0x99\nCPU part\t: 0x001\n")
    assert unknown == {"vendor": "0x99", "model": "0x99 part 0x001"}


def test_loongarch_world():
    old = (EXTERNAL / "cpuinfo" / "loongson-3a5000-loongnix20-oldworld.txt").read_text()
    new = (EXTERNAL / "cpuinfo" / "loongson-3a6000-newworld.txt").read_text()
    assert arch.loongarch_world("4.19.190", new) == "old"  # the kernel decides first
    assert arch.loongarch_world("6.6.0", old) == "new"
    assert arch.loongarch_world(None, old) == "old"
    assert arch.loongarch_world(None, new) == "new"
    assert arch.loongarch_world(None, None) is None

"""OCI platforms: parsing, containerd's normalisation, and which image platforms a host runs natively."""

import pytest

from hostcheck.image.platform import Platform, host_platform, native_platform, parse, runs_natively
from hostcheck.facts import Facts


@pytest.mark.parametrize("text, expected", [
    ("linux/arm64", "linux/arm64/v8"),
    ("linux/arm64/v8", "linux/arm64/v8"),
    ("arm64", "linux/arm64/v8"),
    ("linux/aarch64", "linux/arm64/v8"),
    ("linux/amd64", "linux/amd64"),
    ("linux/amd64/v1", "linux/amd64"),       # v1 is the baseline: the same as no variant
    ("linux/amd64/v3", "linux/amd64/v3"),
    ("linux/x86_64", "linux/amd64"),
    ("linux/arm", "linux/arm/v7"),           # containerd: arm without a variant is v7
    ("linux/armhf", "linux/arm/v7"),
    ("linux/armel", "linux/arm/v6"),
    ("linux/i686", "linux/386"),
    ("linux/loongarch64", "linux/loong64"),
    ("linux/mips64el", "linux/mips64le"),
    ("windows/amd64", "windows/amd64"),
])
def test_parse_normalises(text, expected):
    assert str(parse(text)) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "linux/"])
def test_parse_nothing_usable(text):
    assert parse(text) is None


@pytest.mark.parametrize("image, host, native", [
    ("linux/arm64", "linux/arm64/v8", True),            # the SDK's has_platform gets this wrong
    ("linux/arm64/v8", "linux/arm64", True),
    ("linux/arm64/v8.2", "linux/arm64/v8", True),
    ("linux/arm/v6", "linux/arm/v7", True),
    ("linux/arm/v7", "linux/arm/v6", False),
    ("linux/arm/v7", "linux/arm/v7", True),
    ("linux/amd64", "linux/amd64", True),
    ("linux/amd64/v2", "linux/amd64", True),
    ("linux/amd64/v4", "linux/amd64", True),
    ("linux/arm64", "linux/amd64", False),
    ("linux/amd64", "linux/arm64", False),
    ("linux/386", "linux/amd64", False),                 # left to an emulator entry (see docstring)
    ("linux/arm/v7", "linux/arm64", False),
    ("windows/amd64", "linux/amd64", False),
    ("linux/mips64le", "linux/mips64", False),            # byte order matters
])
def test_runs_natively(image, host, native):
    assert runs_natively(parse(image), parse(host)) is native


def test_runs_natively_unknown_side():
    assert runs_natively(None, parse("linux/amd64")) is None


def test_native_platform_picks_the_match_in_a_list():
    platforms = [parse("linux/arm64"), parse("linux/arm/v7"), parse("linux/amd64")]
    assert native_platform(platforms, parse("linux/amd64")) == Platform("linux", "amd64", None)
    assert native_platform(platforms[:2], parse("linux/amd64")) is None


def test_host_platform_from_facts():
    assert str(host_platform(Facts({"arch.platform": "linux/arm64", "arch.variant": "v8"}))) == "linux/arm64/v8"
    assert str(host_platform(Facts({"arch.platform": "linux/amd64"}))) == "linux/amd64"
    assert host_platform(Facts({}, {"arch.platform": "uname: not captured"})) is None


def test_386_on_amd64_follows_the_kernel_configuration():
    from hostcheck.image.platform import kernel_runs_ia32
    assert runs_natively(parse("linux/386"), parse("linux/amd64"), ia32=True) is True
    assert runs_natively(parse("linux/386"), parse("linux/arm64"), ia32=True) is False
    # this machine's /proc/config.gz has CONFIG_IA32_EMULATION=y; a kernel without it cannot
    assert kernel_runs_ia32(Facts({"kernel.config": {"CONFIG_IA32_EMULATION": "y"}})) is True
    assert kernel_runs_ia32(Facts({"kernel.config": {"CONFIG_X86_64": "y"}})) is False
    assert kernel_runs_ia32(Facts({}, {"kernel.config": "not captured"})) is True
    # Linux 6.7+ (Documentation/admin-guide/kernel-parameters.txt, ia32_emulation=)
    off_by_default = {"CONFIG_IA32_EMULATION": "y", "CONFIG_IA32_EMULATION_DEFAULT_DISABLED": "y"}
    assert kernel_runs_ia32(Facts({"kernel.config": off_by_default})) is False
    assert kernel_runs_ia32(Facts({"kernel.config": off_by_default, "kernel.cmdline": ["ia32_emulation=1"]})) is True
    assert kernel_runs_ia32(Facts({"kernel.config": {"CONFIG_IA32_EMULATION": "y"},
                                   "kernel.cmdline": ["ia32_emulation=0"]})) is False


def test_native_platform_prefers_the_hosts_own_architecture():
    platforms = [parse("linux/386"), parse("linux/amd64")]
    assert str(native_platform(platforms, parse("linux/amd64"), ia32=True)) == "linux/amd64"

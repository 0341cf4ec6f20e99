"""kernel: release normalisation, config text, /proc/modules."""

import gzip

import pytest

from hostcheck.parse import kernel


@pytest.mark.parametrize("release,version", [
    ("3.10.0-1160.el7.x86_64", "3.10.0"),                 # CentOS 7
    ("4.19.90-24.4.v2101.ky10.aarch64", "4.19.90"),        # Kylin V10 SP2
    ("4.19.90-52.22.v2207.ky10.aarch64", "4.19.90"),       # Kylin V10 SP3
    ("5.10.0-136.12.0.86.oe2203sp1.x86_64", "5.10.0"),     # openEuler 22.03 SP1
    ("5.15.0-91-generic", "5.15.0"),                       # Ubuntu 22.04
    ("6.18.44-fc-v595", "6.18.44"),                        # this machine
    ("4.15.0-72-generic", "4.15.0"),
    ("5.4", "5.4.0"),
])
def test_normalise_release(release, version):
    assert kernel.normalise_release(release) == version


def test_normalise_release_junk():
    for junk in ("", "generic", None, 3.10, "v5.4"):
        assert kernel.normalise_release(junk) is None


def test_release_from_proc_version():
    text = "Linux version 6.18.44-fc-v595 (root@build) (gcc (GCC) 15.3.0) #1 SMP PREEMPT_DYNAMIC @0\n"
    assert kernel.release_from_proc_version(text) == "6.18.44-fc-v595"
    assert kernel.release_from_proc_version("") is None


def _this_machine_config():
    try:
        with gzip.open("/proc/config.gz", "rt") as handle:
            return handle.read()
    except OSError:
        pytest.skip("no /proc/config.gz on this machine")


def test_config_of_this_machine():
    config = kernel.parse_config(_this_machine_config())
    assert config.get("CONFIG_MODULES") == "n"      # built without module support
    assert config.get("CONFIG_NAMESPACES") == "y"
    assert len(config) > 500


def test_config_edge_cases():
    text = ("#\n# Automatically generated file; DO NOT EDIT.\n#\r\n"
            "CONFIG_BRIDGE_NETFILTER=m\r\n# CONFIG_USER_NS is not set\r\n"
            'CONFIG_DEFAULT_HOSTNAME="(none)"\nCONFIG_NR_CPUS=8192\nCONFIG_TRUNC')
    config = kernel.parse_config(text)
    assert config == {"CONFIG_BRIDGE_NETFILTER": "m", "CONFIG_USER_NS": "n",
                      "CONFIG_DEFAULT_HOSTNAME": "(none)", "CONFIG_NR_CPUS": "8192"}
    assert kernel.parse_config("") == {}
    assert kernel.parse_config(None) == {}


def test_modules():
    # CentOS 7 (Vagrant box) `cat /proc/modules | grep br_netfilter`, from a k8s install note.
    text = ("br_netfilter 22256 0 - Live 0xffffffffc04e7000\n"
            "bridge 151336 1 br_netfilter, Live 0xffffffffc04b5000\n\n")
    assert kernel.parse_modules(text) == ["br_netfilter", "bridge"]
    assert kernel.parse_modules("") == []
    assert kernel.parse_modules(None) == []

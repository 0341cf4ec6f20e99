"""osrelease: distro over captured release files, plus vendor knowledge."""


import os

import pytest

from hostcheck.parse import osrelease
from test_parse_sources import read, release_files

CASES = [
    # name, id, version, family, package manager, codename, service pack
    ("centos7", "centos", "7.9.2009", "rhel", "yum", "Core", None),
    ("rhel7.4", "rhel", "7.4", "rhel", "yum", "Maipo", None),
    ("kylin-v10-sp3", "kylin", "V10", "rhel", "dnf", "Lance", "SP3"),
    ("kylin-v10-sp2", "kylin", "V10", "rhel", "dnf", "Sword", "SP2"),
    ("kylin-v10-sp1-arm64", "kylin", "V10", "rhel", "dnf", "Tercel", "SP1"),
    ("kylin-desktop-4.0.2", "kylin", "4.0.2", "debian", "apt", "juniper", None),
    ("openeuler-22.03-lts", "openeuler", "22.03", "rhel", "dnf", None, None),
    ("openeuler-20.03-lts-sp4", "openeuler", "20.03", "rhel", "dnf", "LTS-SP4", "SP4"),
    ("uos-server-20-1050a", "uos", "20", "rhel", "dnf", "kongzi", None),
    ("uos-server-20-1001c", "uos", "20", "rhel", "dnf", "kongli", None),
    ("ubuntu-22.04", "ubuntu", "22.04.3", "debian", "apt", "jammy", None),
    ("anolis-8.6", "anolis", "8.6", "rhel", "dnf", None, None),
]


@pytest.mark.parametrize("name,os_id,version,family,manager,codename,sp", CASES)
def test_real_release_files(name, os_id, version, family, manager, codename, sp):
    info = osrelease.identify(release_files(name))
    assert info["id"] == os_id
    assert info["version"] == version
    assert info["family"] == family
    assert info["package_manager"] == manager
    if codename:
        assert info["codename"] == codename
    assert info["service_pack"] == sp


def test_this_machine_debian12():
    info = osrelease.identify({"/etc/os-release": read("debian12-nodocker/etc_os-release.txt"),
                               "/etc/debian_version": "12.11\n"})
    assert (info["id"], info["version"], info["codename"], info["family"]) == \
        ("debian", "12.11", "bookworm", "debian")
    assert info["name"] == "Debian GNU/Linux 12 (bookworm)"


def test_openeuler_release_file_alone_gives_the_service_pack():
    info = osrelease.identify(release_files("openeuler-22.03-lts-sp3"))
    assert (info["id"], info["version"], info["service_pack"]) == ("openeuler", "22.03", "SP3")


def test_uos_desktop_without_platform_id_is_debian():
    text = release_files("uos-server-20-1050a")["/etc/os-release"]
    desktop = "\n".join(l for l in text.splitlines()
                        if not l.startswith(("PLATFORM_ID", "VERSION_CODENAME")))
    assert osrelease.identify({"/etc/os-release": desktop})["family"] == "debian"


def test_edge_cases_empty_crlf_comments():
    assert osrelease.identify({})["id"] is None
    assert osrelease.identify({"/etc/os-release": ""})["family"] == "other"
    crlf = release_files("kylin-v10-sp3")["/etc/os-release"].replace("\n", "\r\n")
    assert osrelease.identify({"/etc/os-release": "# vendor comment\n" + crlf})["id"] == "kylin"
    # Truncated mid-line: what was read still counts.
    cut = release_files("centos7")["/etc/os-release"][:60]
    assert osrelease.identify({"/etc/os-release": cut})["id"] == "centos"


def test_never_reads_the_live_host():
    # Nothing captured must not fall back to this machine's own /etc/os-release.
    assert osrelease.identify({"/etc/lsb-release": "garbage"})["id"] in (None, "")


def test_the_distro_path_is_repeatable_and_leaves_no_temp_dir():
    # Its cost is part of bench/run's figures, not asserted here.
    import glob
    import tempfile
    before = set(glob.glob(tempfile.gettempdir() + "/*"))
    files = release_files("centos7")
    assert osrelease.identify(files) == osrelease.identify(files)
    assert set(glob.glob(tempfile.gettempdir() + "/*")) - before == set()


def test_the_private_root_is_this_users_alone_in_tmpdir_and_goes(tmp_path, monkeypatch):
    """The release files are written in a new 0700 directory under $TMPDIR, removed after."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    made = []
    real_read_in = osrelease._read_in

    def spy(distro, present, root):
        made.append((root, oct(os.stat(root).st_mode & 0o777), sorted(os.listdir(root))))
        return real_read_in(distro, present, root)

    monkeypatch.setattr(osrelease, "_read_in", spy)
    assert osrelease.identify(release_files("kylin-v10-sp3"))["service_pack"] == "SP3"
    (root, mode, listed), = made
    assert os.path.dirname(root) == str(tmp_path) and mode == "0o700" and listed == []
    assert list(tmp_path.iterdir()) == []


def test_an_unusable_tmpdir_falls_back_to_tempfiles_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    assert osrelease.identify(release_files("centos7"))["id"] == "centos"
    assert not (tmp_path / "missing").exists()

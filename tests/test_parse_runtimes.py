"""runtimes: version outputs of docker, dockerd, containerd, runc, crun, podman; changelogs."""

import json

import pytest

from hostcheck.parse import runtimes
from test_parse_sources import EXTERNAL, read

RT = EXTERNAL / "runtimes"


def test_docker_clients_of_this_machine():
    assert runtimes.parse_docker_version(read("debian12-nodocker/docker_--version.stdout")) == \
        {"version": "28.2.2", "build": "e6534b4", "podman_shim": False}
    assert runtimes.parse_docker_version(read("debian12-nodocker/_usr_bin_docker_--version.stdout")) == \
        {"version": "20.10.24+dfsg1", "build": "297e128", "podman_shim": False}
    assert runtimes.parse_docker_version(read("debian12-nodocker/dockerd_--version.stdout"))["version"] == \
        "20.10.24+dfsg1"


def test_podman_docker_shim():
    parsed = runtimes.parse_docker_version((RT / "docker-podman-shim-ol9.stdout").read_text(),
                                           (RT / "docker-podman-shim-ol9.stderr").read_text())
    assert parsed == {"version": "4.6.1", "build": None, "podman_shim": True}
    # The shim's banner alone on stderr still marks it, even if stdout was lost.
    assert runtimes.parse_docker_version("", (RT / "docker-podman-shim-ol9.stderr").read_text())["podman_shim"]


def test_containerd():
    assert runtimes.parse_containerd_version(read("debian12-nodocker/containerd_--version.stdout")) == \
        {"version": "1.6.20~ds1", "revision": "1.6.20~ds1-1+deb12u3"}
    assert runtimes.parse_containerd_version((RT / "containerd-1.5.2-upstream.txt").read_text())["version"] == "v1.5.2"
    assert runtimes.parse_containerd_version("") == {"version": None, "revision": None}


@pytest.mark.parametrize("source,version,commit", [
    ("debian12", "1.1.5+ds1", "1.1.5+ds1-1+deb12u1"),
    ("runc-1.0.0-rc95-ubuntu20.04.txt", "1.0.0-rc95", None),
    ("runc-1.0.0-rc6.txt", "1.0.0-rc6", None),
    ("runc-1.0.0-rc8-dev-source.txt", "1.0.0-rc8+dev", "bf27c2f86dac5e7bd33880b33e4b542ad6a0289e"),
    ("runc-go-get-build.txt", None, None),
])
def test_runc(source, version, commit):
    text = read("debian12-nodocker/runc_--version.stdout") if source == "debian12" else (RT / source).read_text()
    parsed = runtimes.parse_runc_version(text)
    assert (parsed["version"], parsed["commit"]) == (version, commit)
    assert parsed["spec"]


def test_crun_and_podman_of_this_machine():
    assert runtimes.parse_crun_version(read("debian12-runtimes/crun_--version.stdout")) == "1.8.1"
    assert runtimes.parse_podman_version(read("debian12-runtimes/podman_--version.stdout")) == "4.3.1"
    assert runtimes.parse_crun_version(None) is None
    assert runtimes.parse_podman_version("Docker version 20.10.24") is None


def test_changelog_cves_debian():
    cves = runtimes.changelog_cves(read("debian12-docker/runc_changelog.Debian.txt"))
    assert cves[0] == "CVE-2024-21626"     # bookworm's deb12u1 backport, newest entry first
    assert sorted(cves) == ["CVE-2019-16884", "CVE-2019-19921", "CVE-2021-30465", "CVE-2021-43784",
                            "CVE-2022-29162", "CVE-2023-25809", "CVE-2023-27561", "CVE-2023-28642",
                            "CVE-2024-21626"]
    # The fix for CVE-2019-5736 came with upstream 1.0.0-rc7; Debian's changelog never names it.
    assert "CVE-2019-5736" not in cves
    assert runtimes.changelog_cves("") == []


def test_engine_components_of_this_machine():
    responses = json.loads(read("debian12-docker/engine_responses.json"))
    components = runtimes.engine_components(responses["/version"])
    assert components["engine"]["version"] == "20.10.24+dfsg1"
    assert components["containerd"]["version"] == "1.6.20~ds1"
    assert components["runc"] == {"version": "1.1.5+ds1", "commit": "1.1.5+ds1-1+deb12u1"}
    assert "docker-init" in components
    assert runtimes.engine_components({"Components": [None, {"Name": 3}, "x"]}) == {}
    assert runtimes.engine_components(None) == {}

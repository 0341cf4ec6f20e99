"""iptables and firewalld parsers on real outputs."""

from hostcheck.parse import firewalld, iptables
from test_parse_sources import EXTERNAL, read


def test_versions():
    assert iptables.parse_version(read("debian12-nodocker/iptables_--version.stdout")) == ("1.8.9", "nf_tables")
    assert iptables.parse_version((EXTERNAL / "iptables/kylin-v10-arm64-version.txt").read_text()) == ("1.8.5", "legacy")
    assert iptables.parse_version("iptables v1.4.21\n") == ("1.4.21", "legacy")   # CentOS 7
    assert iptables.parse_version("iptables v1.8.4\n") == ("1.8.4", None)          # says nothing
    assert iptables.parse_version("") == (None, None)


def test_save_with_dockerd_running():
    tables = iptables.parse_save(read("debian12-docker/iptables-save.stdout"))
    chains = iptables.chain_names(tables)
    for chain in ("nat/DOCKER", "filter/DOCKER", "filter/DOCKER-USER", "filter/DOCKER-ISOLATION-STAGE-1"):
        assert chain in chains
    assert tables["filter"]["FORWARD"]["policy"] == "DROP"
    assert tables["nat"]["DOCKER"]["policy"] is None
    assert "-j DOCKER-USER" in tables["filter"]["FORWARD"]["rules"]
    assert iptables.masquerade_sources(tables) == ["10.210.0.0/24", "172.17.0.0/16"]
    assert iptables.rule_count(tables) == 29


def test_save_without_docker_and_empty():
    assert iptables.parse_save(read("debian12-nodocker/iptables-save.stdout")) == {}
    assert iptables.parse_save(None) == {}
    assert iptables.rule_count({}) == 0


def test_centos7_firewalld_rules_have_no_docker_chains():
    tables = iptables.parse_save((EXTERNAL / "iptables/centos7-firewalld-save.txt").read_text())
    chains = iptables.chain_names(tables)
    assert "filter/IN_public_allow" in chains
    assert not [c for c in chains if "DOCKER" in c]
    assert iptables.masquerade_sources(tables) == []


def test_counters_and_truncation():
    tables = iptables.parse_save((EXTERNAL / "iptables/centos7-save-counters-nat.txt").read_text())
    # "[0:0] -A POSTROUTING ..." lines (iptables-save -c); the libvirt MASQUERADE with "! -d" is
    # a network rule too, the text was cut before COMMIT.
    assert iptables.masquerade_sources(tables) == ["172.17.0.0/16"]
    assert len(tables["nat"]["POSTROUTING"]["rules"]) == 4
    truncated = read("debian12-docker/iptables-save.stdout")[:900]
    assert "filter" in iptables.parse_save(truncated)
    crlf = read("debian12-docker/iptables-save.stdout").replace("\n", "\r\n")
    assert iptables.masquerade_sources(iptables.parse_save(crlf)) == ["10.210.0.0/24", "172.17.0.0/16"]


def test_firewalld_state():
    assert firewalld.parse_state("running\n") == "running"
    assert firewalld.parse_state("not running\n") == "not_running"
    assert firewalld.parse_state("") is None
    assert firewalld.parse_state(None) is None


def test_firewalld_zones_real():
    zones = firewalld.parse_active_zones((EXTERNAL / "firewalld/centos7-active-zones.txt").read_text())
    assert zones == {"docker": {"interfaces": ["docker0"], "sources": []},
                     "public": {"interfaces": ["enp0s3"], "sources": []}}
    zones = firewalld.parse_active_zones((EXTERNAL / "firewalld/docker-internal-sources-zones.txt").read_text())
    assert zones["internal"] == {"interfaces": [], "sources": ["192.168.64.0/24"]}
    zones = firewalld.parse_active_zones((EXTERNAL / "firewalld/fedora-active-zones-libvirt.txt").read_text())
    assert sorted(zones) == ["FedoraWorkstation", "docker", "libvirt"]
    assert firewalld.parse_active_zones("  interfaces: eth0\n") == {}   # attribute before any zone
    assert firewalld.parse_active_zones(None) == {}

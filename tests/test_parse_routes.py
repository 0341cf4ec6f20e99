"""net (routes, interfaces), dns (resolv.conf) and mounts (cgroup mode) on real outputs."""

from hostcheck.parse import dns, mounts, routes
from test_parse_sources import EXTERNAL, read


def test_ip_route_json_of_this_machine():
    table = routes.parse_ip_route(read("debian12-docker/ip_-j_route.stdout"))
    assert {"dst": "default", "dev": "eth0", "gateway": "192.0.2.1", "metric": 0} in table
    assert any(r["dst"] == "10.210.0.0/24" and r["dev"].startswith("br-") for r in table)
    assert any(r["dst"] == "172.17.0.0/16" and r["dev"] == "docker0" for r in table)


def test_ip_addr_json_of_this_machine():
    interfaces = {i["name"]: i for i in routes.parse_ip_addr(read("debian12-docker/ip_-j_addr.stdout"))}
    assert interfaces["docker0"]["addresses"][0] == "172.17.0.1/16"
    assert interfaces["eth0"]["mtu"] == 1400
    assert interfaces["lo"]["state"] == "UNKNOWN"


def test_ip_json_junk():
    # iproute2 too old for -j prints its usage text; truncated JSON; wrong shapes.
    assert routes.parse_ip_route('Option "-j" is unknown, try "ip -help".\n') is None
    assert routes.parse_ip_route(read("debian12-docker/ip_-j_route.stdout")[:50]) is None
    assert routes.parse_ip_route('{"dst": "default"}') is None
    assert routes.parse_ip_route('[1, {"dev": "x"}, {"dst": "default", "metric": "x"}]') == \
        [{"dst": "default", "dev": None, "gateway": None, "metric": 0}]
    assert routes.parse_ip_addr("") is None


def test_proc_net_route_of_this_machine():
    assert routes.parse_proc_route(read("debian12-nodocker/proc_net_route.txt")) == [
        {"dst": "default", "dev": "eth0", "gateway": "192.0.2.1", "metric": 0},
        {"dst": "192.0.2.0/24", "dev": "eth0", "gateway": None, "metric": 0},
    ]
    assert routes.parse_proc_route("") == []
    assert routes.parse_proc_route("Iface\tDestination\neth0\tZZZZ\t0\t0\t0\t0\t0\t0\n") == []


def test_dns_stub_and_upstream():
    stub = dns.parse_nameservers((EXTERNAL / "dns/ubuntu-stub-resolv.conf").read_text())
    upstream = dns.parse_nameservers((EXTERNAL / "dns/raspberry-run-systemd-resolve-resolv.conf").read_text())
    assert stub == ["127.0.0.53"] and dns.is_stub(stub)
    assert dns.upstream(stub, upstream) == ["192.168.3.1"]
    assert dns.upstream(stub, None) == []          # stub and no upstream file: nothing usable
    this = dns.parse_nameservers(read("debian12-nodocker/etc_resolv.conf.txt"))
    assert this and not dns.is_stub(this)
    assert dns.upstream(this) == this


def test_dns_edge_cases():
    assert dns.parse_nameservers("nameserver 10.0.0.1 # office\r\n;nameserver 1.1.1.1\r\nnameserver\n") == ["10.0.0.1"]
    assert dns.parse_nameservers(None) == []
    assert dns.upstream(["127.0.0.1", "::1", "fe80::1%eth0", "junk"]) == ["fe80::1%eth0", "junk"]


def test_mounts_and_cgroup_mode():
    table = mounts.parse_mounts(read("debian12-docker/proc_mounts.txt"))
    assert mounts.cgroup_mode(table) == "hybrid"
    assert any(m["mountpoint"] == "/sys/fs/cgroup/unified" and m["fstype"] == "cgroup2" for m in table)
    v1 = [m for m in table if m["fstype"] != "cgroup2"]
    assert mounts.cgroup_mode(v1) == "v1"
    v2 = mounts.parse_mounts("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0\n")
    assert mounts.cgroup_mode(v2) == "v2"
    assert mounts.cgroup_mode([]) is None


def test_mounts_escapes_and_junk():
    table = mounts.parse_mounts("/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\nshort line\n")
    assert table == [{"device": "/dev/sdb1", "mountpoint": "/mnt/my disk", "fstype": "ext4", "options": ["rw"]}]
    assert mounts.parse_mounts(None) == []

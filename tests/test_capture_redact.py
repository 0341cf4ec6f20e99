"""Secrets scrubbing (always) and pseudonymisation (--redact) of capture documents.

Fixtures: tests/data/capture/engine/dockerd-20.10.24.json (real Engine API bodies) and
tests/data/capture/proc/ (real /proc/net files and `ip -j` output); see their notes.
"""

import json
from pathlib import Path

from hostcheck.capture.redact import REDACTED, Pseudonymiser, pseudonymise, scrub_secrets

DATA = Path(__file__).resolve().parent / "data" / "capture"
ENGINE = json.loads((DATA / "engine" / "dockerd-20.10.24.json").read_text())
PROC = DATA / "proc"
KEY = b"k" * 32


def _failed_container():
    return next(body for path, body in ENGINE["responses"].items()
                if path.startswith("/containers/") and isinstance(body, dict)
                and body["Name"] == "/hccap-fail")


# ------------------------------------------------------------------ secrets


def test_container_env_values_are_redacted_keys_kept():
    scrubbed = scrub_secrets(_failed_container())
    assert scrubbed["Config"]["Env"] == ["API_TOKEN=" + REDACTED, "HTTP_PROXY=" + REDACTED]
    assert "s3cr3t" not in json.dumps(scrubbed) and "pw0rd" not in json.dumps(scrubbed)
    # Everything else is left as the engine said it.
    assert scrubbed["State"] == _failed_container()["State"]
    assert scrubbed["Config"]["Image"] == "local/busybox:latest"


def test_secret_looking_keys_and_url_passwords():
    body = {"Author": "Jane", "Password": "x1", "registry-auth": {"auth": "Zm9vOmJhcg=="},
            "IdentityToken": "tok", "Labels": {"com.example.api_key": "abc", "maintainer": "me"},
            "HttpProxy": "http://bob:hunter2@proxy.corp:3128", "Debug": True, "TokenRequired": False}
    scrubbed = scrub_secrets(body)
    assert scrubbed["Author"] == "Jane"  # "auth" inside a word is not a secret
    assert scrubbed["Password"] == REDACTED
    assert scrubbed["registry-auth"] == {"auth": REDACTED}
    assert scrubbed["IdentityToken"] == REDACTED
    assert scrubbed["Labels"] == {"com.example.api_key": REDACTED, "maintainer": "me"}
    assert scrubbed["HttpProxy"] == "http://bob:%s@proxy.corp:3128" % REDACTED
    assert scrubbed["TokenRequired"] is False and scrubbed["Debug"] is True


def test_file_contents_daemon_json_and_systemd_dropin():
    daemon_json = '{\n  "registry-mirrors": ["https://mirror.example"],\n  "proxies": {\n' \
                  '    "http-proxy": "http://u:p4ss@proxy:3128"\n  },\n  "auth-token": "abc\\"def"\n}\n'
    dropin = '[Service]\nEnvironment="HTTPS_PROXY=http://u:p4ss@proxy:3128" "REG_PASSWORD=zz"\n' \
             'ExecStart=/usr/bin/dockerd -H fd://\n'
    doc = {"files": {"/etc/docker/daemon.json": {"content": daemon_json},
                     "/etc/systemd/system/docker.service.d/proxy.conf": {"content": dropin}}}
    scrubbed = scrub_secrets(doc)["files"]
    daemon = json.loads(scrubbed["/etc/docker/daemon.json"]["content"])
    assert daemon["auth-token"] == REDACTED
    assert daemon["proxies"]["http-proxy"] == "http://u:%s@proxy:3128" % REDACTED
    assert daemon["registry-mirrors"] == ["https://mirror.example"]
    text = scrubbed["/etc/systemd/system/docker.service.d/proxy.conf"]["content"]
    assert "p4ss" not in text and "REG_PASSWORD=%s" % REDACTED in text
    assert "ExecStart=/usr/bin/dockerd -H fd://" in text


def test_scrub_returns_a_copy():
    body = {"Config": {"Env": ["A=1"]}}
    scrub_secrets(body)
    assert body == {"Config": {"Env": ["A=1"]}}


# ------------------------------------------------------------------ pseudonyms


def _v4(text):
    parts = [int(p) for p in text.split(".")]
    return (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]


def _common_prefix(a, b, bits=32):
    for length in range(bits):
        if (a >> (bits - 1 - length)) & 1 != (b >> (bits - 1 - length)) & 1:
            return length
    return bits


def test_ipv4_prefix_preserving_and_kept_ranges():
    p = Pseudonymiser(KEY)
    one, two = p.text("192.168.1.10"), p.text("192.168.1.20")
    other = p.text("192.168.7.1")
    assert one != "192.168.1.10"
    assert one.split(".")[:3] == two.split(".")[:3]          # one /24 stays one /24
    assert one.startswith("192.168.") and other.startswith("192.168.")  # private stays private
    assert one.split(".")[2] != other.split(".")[2]          # different /24s stay different
    for a, b in (("10.0.0.1", "10.0.1.1"), ("172.17.0.2", "172.18.0.2"), ("8.8.8.8", "8.8.4.4")):
        assert _common_prefix(_v4(p.text(a)), _v4(p.text(b))) == _common_prefix(_v4(a), _v4(b))
    assert p.text("10.0.0.1") == p.text("10.0.0.1")          # consistent
    for kept in ("127.0.0.53", "0.0.0.0", "169.254.1.1", "255.255.255.0", "224.0.0.251"):
        assert p.text(kept) == kept
    assert Pseudonymiser(b"x" * 32).text("192.168.1.10") != one  # keyed per run


def test_cidr_network_addresses_stay_network_addresses():
    p = Pseudonymiser(KEY)
    network = p.text("172.18.0.0/16")
    gateway = p.text("172.18.0.1")
    address, length = network.split("/")
    assert length == "16" and address.endswith(".0.0")
    assert address.split(".")[:2] == gateway.split(".")[:2]


def test_ipv6_and_mac():
    p = Pseudonymiser(KEY)
    a, b = p.text("fd00::2"), p.text("fd00::3")
    assert a != "fd00::2" and a.startswith("fd")
    for kept in ("::1", "::", "fe80::42:acff:fe11:2", "ff02::1"):
        assert p.text(kept) == kept
    assert p.text("::ffff:192.0.2.2") == "::ffff:" + p.text("192.0.2.2")
    mac = p.text("02:42:ac:11:00:02")
    assert mac != "02:42:ac:11:00:02" and len(mac.split(":")) == 6
    assert p.text("ff:ff:ff:ff:ff:ff") == "ff:ff:ff:ff:ff:ff"
    # Not addresses: versions, times, ids.
    for text in ("1.1.5+ds1-1+deb12u1", "10:00:00", "sha256:1f84a3e61be4", "v1.2.3.4", "3.10.0-1160.el7"):
        assert p.text(text) == text


def _hex_to_v4(hex8):
    return "%d.%d.%d.%d" % tuple(int(hex8[i:i + 2], 16) for i in (6, 4, 2, 0))


def test_hex_forms_in_proc_net_match_dotted_forms():
    doc = {
        "files": {"/proc/net/tcp": {"content": (PROC / "tcp").read_text()},
                  "/proc/4242/net/tcp": {"content": (PROC / "tcp").read_text()},
                  "/proc/net/tcp6": {"content": (PROC / "tcp6").read_text()},
                  "/proc/net/route": {"content": (PROC / "route").read_text()}},
        "commands": {"ip -j addr": {"argv": ["ip", "-j", "addr"], "rc": 0,
                                    "stdout": (PROC / "ip-j-addr.json").read_text(), "stderr": ""},
                     "ip -j route": {"argv": ["ip", "-j", "route"], "rc": 0,
                                     "stdout": (PROC / "ip-j-route.json").read_text(), "stderr": ""}},
    }
    out = pseudonymise(doc, key=KEY)
    p = Pseudonymiser(KEY)
    mine = p.text("192.0.2.2")
    # The connection lines of the real /proc/net/tcp (local 192.0.2.2 on both ends).
    tcp = out["files"]["/proc/net/tcp"]["content"]
    assert "020200C0" not in tcp
    endpoints = [line.split()[1].split(":")[0] for line in tcp.splitlines()[1:]]
    assert mine in [_hex_to_v4(e) for e in endpoints]
    assert "00000000:1F90" in tcp  # 0.0.0.0 listeners unchanged
    assert out["files"]["/proc/4242/net/tcp"] == out["files"]["/proc/net/tcp"]
    addresses = json.loads(out["commands"]["ip -j addr"]["stdout"])
    locals_ = [a["local"] for link in addresses for a in link["addr_info"]]
    assert mine in locals_ and "127.0.0.1" in locals_ and "::1" in locals_
    assert p.text("fd00::2") in locals_
    # tcp6: the fd00::2 listener in hex, little-endian words.
    assert "000000FD000000000000000002000000" not in out["files"]["/proc/net/tcp6"]["content"]
    # route: gateway hex equals the dotted gateway of `ip -j route`; mask unchanged; the
    # destination keeps its zero host bits.
    route_lines = [l.split("\t") for l in out["files"]["/proc/net/route"]["content"].splitlines()[1:]]
    default = next(f for f in route_lines if f[1] == "00000000")
    routes = json.loads(out["commands"]["ip -j route"]["stdout"])
    assert _hex_to_v4(default[2]) == next(r["gateway"] for r in routes if r["dst"] == "default")
    eth0 = next(f for f in route_lines if f[0] == "eth0" and f[7].strip() == "00FFFFFF")
    assert _hex_to_v4(eth0[1]).endswith(".0")
    assert _hex_to_v4(eth0[1]).rsplit(".", 1)[0] == mine.rsplit(".", 1)[0]


def test_hostnames_become_tokens_everywhere():
    doc = {"uname": {"nodename": "kunpeng-node07.corp.example.cn"},
           "docker": {"responses": {"/info": {"Name": "kunpeng-node07"}}},
           "files": {"/etc/resolv.conf": {"content": "search corp.example.cn\nnameserver 10.1.2.3\n"},
                     "/etc/os-release": {"content": "ID=kylin\n"}},
           "commands": {"x": {"argv": ["x"], "rc": 0, "stdout": "host kunpeng-node07 ready", "stderr": ""}}}
    out = pseudonymise(doc, key=KEY)
    text = json.dumps(out)
    assert "kunpeng" not in text and "corp.example" not in text and "10.1.2.3" not in text
    short = out["docker"]["responses"]["/info"]["Name"]
    assert short.startswith("host-") and short in out["commands"]["x"]["stdout"]
    assert out["files"]["/etc/os-release"]["content"] == "ID=kylin\n"


def test_common_word_hostname_replaced_only_as_a_whole_value():
    doc = {"uname": {"nodename": "debian"}, "files": {"/etc/os-release": {"content": "ID=debian\n"}}}
    out = pseudonymise(doc, key=KEY)
    assert out["uname"]["nodename"].startswith("host-")
    assert out["files"]["/etc/os-release"]["content"] == "ID=debian\n"


def test_pseudonymise_walks_a_report_document_too():
    report = {"format": "hostcheck.report/v1", "host": {"hostname": "node1"},
              "findings": [{"evidence": "docker0 172.17.0.1/16 overlaps route 172.17.5.0/24 on node1"}]}
    out = pseudonymise(report, key=KEY)
    evidence = out["findings"][0]["evidence"]
    assert "node1" not in evidence and out["host"]["hostname"] in evidence
    first, second = evidence.split()[1], evidence.split()[4]
    assert first.split(".")[:2] == second.split(".")[:2]

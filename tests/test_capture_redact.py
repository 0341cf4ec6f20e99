"""Secrets scrubbing (always) and pseudonymisation (--redact) of capture documents.

Fixtures: tests/data/capture/engine/dockerd-20.10.24.json (real Engine API bodies) and
tests/data/capture/proc/ (real /proc/net files and `ip -j` output); see their notes. The
planted-secrets corpus through the whole pipeline is tests/test_secrets_corpus.py.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hostcheck.capture import redact
from hostcheck.capture.redact import (REDACTED, Pseudonymiser, collect_names, is_secret_key, pseudonymise,
                                      scrub_argv, scrub_secrets, scrub_text)

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
    assert b != a, "two addresses share one pseudonym"
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


# ------------------------------------------------------------------ each secret form

R = REDACTED
# (text as found on a host, the same text after the pass)
TEXT_FORMS = [
    # systemd: the outer Environment= must not swallow the inner assignment
    ('Environment="SOME_PASSWORD=hunter2 with spaces"', 'Environment="SOME_PASSWORD=%s"' % R),
    ('Environment=A=1 "B_TOKEN=x1y2z3"', 'Environment=A=1 "B_TOKEN=%s"' % R),
    ("Environment=DB_PASSWORD=plain1 OTHER=1", "Environment=DB_PASSWORD=%s OTHER=1" % R),
    ("Environment='API_KEY=k3y'", "Environment='API_KEY=%s'" % R),
    # shell assignments, quoted or not, and mount-style option lists
    ('export REGISTRY_PASSWORD="p w"', 'export REGISTRY_PASSWORD="%s"' % R),
    ("mount -o username=bob,password=S3cret,uid=0 //srv/share /mnt",
     "mount -o username=bob,password=%s,uid=0 //srv/share /mnt" % R),
    ("GET /v2/?access_token=abc123&page=2", "GET /v2/?access_token=%s&page=2" % R),
    # options: =VALUE, two words, single-dash Java and keytool/openssl styles
    ("--db-pass=abc --token tok123 --listen :80", "--db-pass=%s --token %s --listen :80" % (R, R)),
    ("java -Djavax.net.ssl.keyStorePassword=ks1 -jar app.jar", "java -Djavax.net.ssl.keyStorePassword=%s -jar app.jar" % R),
    ("keytool -list -storepass chang3it -keystore k.jks", "keytool -list -storepass %s -keystore k.jks" % R),
    ("openssl rsa -passin pass:Xy12 -in k.pem", "openssl rsa -passin %s -in k.pem" % R),
    ('--password "two words" --verbose', "--password %s --verbose" % R),
    # tool flags
    ("mysqladmin ping -h 127.0.0.1 -uroot -pS3cret", "mysqladmin ping -h 127.0.0.1 -uroot -p%s" % R),
    ("sh -c 'mariadb-admin ping -p\"my secret\" && echo ok'", "sh -c 'mariadb-admin ping -p%s && echo ok'" % R),
    ("sshpass -p Passw0rd ssh root@10.0.0.5 uptime", "sshpass -p %s ssh root@10.0.0.5 uptime" % R),
    ("redis-cli -h cache -a R3dis ping", "redis-cli -h cache -a %s ping" % R),
    ("mongosh --host db -u admin -p M0ngo", "mongosh --host db -u admin -p %s" % R),
    ("ldapsearch -x -D cn=admin -w Ld4p -b dc=corp", "ldapsearch -x -D cn=admin -w %s -b dc=corp" % R),
    ("docker login -u ci -p Dock3r registry.corp; docker run -p 8080:80 app",
     "docker login -u ci -p %s registry.corp; docker run -p 8080:80 app" % R),
    ("curl -fsS -u admin:Cu7l http://127.0.0.1:9200/", "curl -fsS -u admin:%s http://127.0.0.1:9200/" % R),
    ("smbclient //srv/share -U bob%Smb1", "smbclient //srv/share -U bob%" + R),
    # URLs
    ("https://user:p@ss/w0rd@reg.example/v2/", "https://user:%s@reg.example/v2/" % R),
    ("git clone https://ghp_ABCdef0123456789ABCdef0123456789ABCd@github.com/o/r.git",
     "git clone https://ghp_%s@github.com/o/r.git" % R),
    ("DOCKER_HOST=tcp://TOKEN0123@10.0.0.9:2376", "DOCKER_HOST=tcp://%s@10.0.0.9:2376" % R),
    ("HTTP_PROXY=bob:hunter2@proxy:3128", "HTTP_PROXY=bob:%s@proxy:3128" % R),
    ("redis://:R3d1s@cache:6379/0", "redis://:%s@cache:6379/0" % R),
    ("postgresql://app:pg%40pw@db/app?sslmode=disable&password=qp1",
     "postgresql://app:%s@db/app?sslmode=disable&password=%s" % (R, R)),
    # dracut and systemd on the kernel command line
    ("ro netroot=iscsi:u:p4ss@192.168.50.1::3260::iqn.2009-06.dracut:target0 rd.luks.key=/k.key:LABEL=K quiet",
     "ro netroot=iscsi:%s@192.168.50.1::3260::iqn.2009-06.dracut:target0 rd.luks.key=%s quiet" % (R, R)),
    ("root=cifs://u:Cif5@10.0.0.2/root", "root=cifs://u:%s@10.0.0.2/root" % R),
    ("systemd.setenv=VAULT_TOKEN=s.abc123 quiet", "systemd.setenv=VAULT_TOKEN=%s quiet" % R),
    # headers, JWTs, token formats
    ("Authorization: Bearer abc.DEF-123", "Authorization: Bearer " + R),
    ('curl -H "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l" http://x', 'curl -H "Authorization: Basic %s" http://x' % R),
    ("X-Registry-Auth: eyJ1c2VybmFtZSI6ImEifQ==", "X-Registry-Auth: " + R),
    ("id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln ok", "id %s ok" % R),
    ("slack xoxb-1234567890-abcdefghij", "slack xoxb-" + R),
    # JSON and YAML texts
    ('{"auths": {"reg": {"auth": "dXNlcjpwYXNz"}}, "credsStore": "desktop"}',
     '{"auths": {"reg": {"auth": "%s"}}, "credsStore": "desktop"}' % R),
    ('{"password": 123456, "port": 5432}', '{"password": "%s", "port": 5432}' % R),
    ("db:\n  password: hunter2\n  api_key: 'abc'\n", "db:\n  password: %s\n  api_key: '%s'\n" % (R, R)),
    # PEM: the body, in real, CRLF and escaped-newline forms; an unterminated block to the end
    ("a\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\nNzaC1\n-----END OPENSSH PRIVATE KEY-----\nz",
     "a\n-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\nz" % R),
    ("-----BEGIN PRIVATE KEY-----\r\nMIIE\r\n-----END PRIVATE KEY-----",
     "-----BEGIN PRIVATE KEY-----\r\n%s\r\n-----END PRIVATE KEY-----" % R),
    ('{"key": "-----BEGIN EC PRIVATE KEY-----\\nMHc\\n-----END EC PRIVATE KEY-----\\n"}',
     '{"key": "-----BEGIN EC PRIVATE KEY-----\\n%s\\n-----END EC PRIVATE KEY-----\\n"}' % R),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE cut here", "-----BEGIN RSA PRIVATE KEY-----\n" + R),
]

# Texts holding no secret: the pass must leave them exactly as they are (facts read them).
UNCHANGED = [
    "CONFIG_SECRETMEM=y\nCONFIG_KEYS=y\n# CONFIG_TRUSTED_KEYS is not set\nCONFIG_HAVE_KVM_IRQ_BYPASS=y",
    "MYSQL_ALLOW_EMPTY_PASSWORD=yes MYSQL_RANDOM_ROOT_PASSWORD=1 MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db",
    'mysqladmin ping -uroot -p"$MYSQL_ROOT_PASSWORD"',
    "--password=${DB_PASSWORD} PASS=$DB_PASS",
    "/usr/bin/dockerd -H fd:// --tlskey=/etc/docker/key.pem --authorization-plugin=authz-broker",
    "docker run -d -p 8080:80 --name mysql nginx",
    "/bin/login -p -- root",
    "busybox@sha256:" + "a" * 64 + " localhost:5000/app@sha256:" + "b" * 64,
    "ssh://git@github.com/org/repo.git and https://registry.npmjs.org/@babel/core",
    "http://[::1]:8080/x@y http://host:8080/@scope/pkg",
    "Maintainer: Reinhard Tartler <siretart@tauware.de>  Mon, 01 Jan 2024 10:00:00 +0100",
    "3: veth9a1b2c3@if12: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
    "Basic Arithmetic Functions; basic read/write; Bearer tokens",
    "handle token == 0 in sexp_check_token",
    "xcb_auth: Fix memory leak in _xcb_get_auth_info.",
    "the --passphrase option is ignored",
    "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev",
    "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
    "nameserver 10.0.0.2\nsearch corp.example",
    "2021-11-01T05:30:28Z!eggert@cs.ucla.edu",
]

ARGV_FORMS = [
    (["mysqladmin", "ping", "-uroot", "-pS3cret"], ["mysqladmin", "ping", "-uroot", "-p" + R]),
    (["app", "--password", "two", "--verbose"], ["app", "--password", R, "--verbose"]),
    (["app", "--password", "--verbose"], ["app", "--password", "--verbose"]),  # a flag, no value
    (["CMD", "curl", "-u", "admin:pw", "-H", "Authorization: Bearer abcdef123456", "http://x"],
     ["CMD", "curl", "-u", "admin:" + R, "-H", "Authorization: Bearer " + R, "http://x"]),
    (["docker", "login", "--username", "ci", "-p", "pw9", "reg"], ["docker", "login", "--username", "ci", "-p", R, "reg"]),
    (["docker", "run", "-p", "8080:80", "img"], ["docker", "run", "-p", "8080:80", "img"]),
    (["/usr/bin/dockerd", "--log-opt", "splunk-token=t0k", "--log-opt", "splunk-url=https://s:8088"],
     ["/usr/bin/dockerd", "--log-opt", "splunk-token=" + R, "--log-opt", "splunk-url=https://s:8088"]),
    (["sh", "-c", "mysql -uroot -pS3 db -e 'select 1'"], ["sh", "-c", "mysql -uroot -p%s db -e 'select 1'" % R]),
]


@pytest.mark.parametrize("text, expected", TEXT_FORMS, ids=[f[0][:40] for f in TEXT_FORMS])
def test_each_text_form_is_redacted_keeping_its_shape(text, expected):
    assert scrub_text(text) == expected
    assert scrub_text(expected) == expected  # a second pass changes nothing


@pytest.mark.parametrize("text", UNCHANGED, ids=[t[:40] for t in UNCHANGED])
def test_texts_without_a_secret_are_left_alone(text):
    assert scrub_text(text) == text


@pytest.mark.parametrize("argv, expected", ARGV_FORMS, ids=[" ".join(a[0])[:40] for a in ARGV_FORMS])
def test_argument_lists(argv, expected):
    assert scrub_argv(argv) == expected


def test_secret_keys():
    for key in ("REGISTRY_PASSWORD", "db-pass", "--db-pass", "splunk-token", "rd.luks.key", "apiKey",
                "AWS_SECRET_ACCESS_KEY", "auth", "auths", "X-Registry-Auth", "IdentityToken", "SSHPASS",
                "passin", "MYSQL_PWD", "client_secret", "skopeo-creds"):
        assert is_secret_key(key), key
    for key in ("Author", "PWD", "OLDPWD", "bypass", "passthrough", "MYSQL_ROOT_PASSWORD_FILE", "token_url",
                "authorization-plugin", "credsStore", "SecurityOptions", "KeyLength"):
        assert not is_secret_key(key), key


def test_tool_names_are_found_by_their_stems():
    # The line pass finds tools by _TOOL_STEMS; a tool no stem covers would be missed.
    for name in redact._TOOL_FLAGS:
        assert any(stem in name for stem in redact._TOOL_STEMS), name


def test_engine_bodies_commands_argv_and_labels():
    inspect_body = {
        "Path": "/app/run", "Args": ["--token", "t1", "--db-url", "mysql://u:p2@db/x"],
        "Config": {"Entrypoint": ["mysql", "--password"], "Cmd": ["p3", "-e", "select 1"],
                   "Env": ["A=1", "NO_EQUALS"],
                   "Healthcheck": {"Test": ["CMD", "redis-cli", "-a", "p4", "ping"]},
                   "Labels": {"com.example.token": "t5", "com.example.owner": "ops", "secret.enabled": "true"}},
        "HostConfig": {"LogConfig": {"Type": "gelf", "Config": {"gelf-address": "udp://10.0.0.1:12201",
                                                               "x-api-key": "t6"}}},
        "Secrets": [{"SecretName": "db", "SecretID": "t7"}],
        "Tokens": ["t8", "t9"], 3: "non-string key",
    }
    out = scrub_secrets(inspect_body)
    assert out["Args"] == ["--token", R, "--db-url", "mysql://u:%s@db/x" % R]
    assert out["Config"]["Entrypoint"] == ["mysql", "--password"] and out["Config"]["Cmd"] == [R, "-e", "select 1"]
    assert out["Config"]["Env"] == ["A=" + R, "NO_EQUALS"]
    assert out["Config"]["Healthcheck"]["Test"] == ["CMD", "redis-cli", "-a", R, "ping"]
    assert out["Config"]["Labels"] == {"com.example.token": R, "com.example.owner": "ops", "secret.enabled": "true"}
    assert out["HostConfig"]["LogConfig"]["Config"] == {"gelf-address": "udp://10.0.0.1:12201", "x-api-key": R}
    assert out["Secrets"] == [{"SecretName": "db", "SecretID": R}]
    assert out["Tokens"] == [R, R] and out[3] == "non-string key"
    text = json.dumps(out)
    for n in range(1, 10):
        assert '"p%d"' % n not in text and "t%d" % n not in text.replace("text", "")


def test_process_table_and_command_records():
    doc = {"processes": {"items": [{"pid": 7, "name": "dockerd", "cmdline": [
               "/usr/bin/dockerd", "--registry-password", "Rp1", "-H", "fd://"]}]},
           "commands": {"x": {"argv": ["x"], "rc": 1, "stdout": "", "stderr": "login to https://ci:Cp2@reg failed"}},
           "docker": {"logs": {"abc": ["exec /app --password=Lp3: exec format error"]}}}
    out = scrub_secrets(doc)
    assert out["processes"]["items"][0]["cmdline"] == ["/usr/bin/dockerd", "--registry-password", R, "-H", "fd://"]
    assert out["commands"]["x"]["stderr"] == "login to https://ci:%s@reg failed" % R
    assert out["docker"]["logs"]["abc"] == ["exec /app --password=%s exec format error" % R]


# ------------------------------------------------------------------ no fact lost

def _stored_captures():
    root = Path(__file__).resolve().parent / "data"
    for path in sorted(root.rglob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("format") == "hostcheck.capture/v1":
            yield path.relative_to(root)


STORED_CAPTURES = list(_stored_captures())


@pytest.mark.parametrize("path", STORED_CAPTURES, ids=[str(p) for p in STORED_CAPTURES])
def test_real_captures_pass_unchanged(path):
    """Kernel configurations, changelogs, iptables rules, engine answers of real hosts hold
    no secret form: the pass (over /proc and /usr/share/doc too) changes nothing in them."""
    doc = json.loads((Path(__file__).resolve().parent / "data" / path).read_text())
    assert scrub_secrets(doc) == doc


def test_capture_documents_of_real_systems_exist():
    assert len(STORED_CAPTURES) >= 10


# ------------------------------------------------------------------ bounded: depth and time


def _nested(depth, leaf):
    value = leaf
    for level in range(depth):
        value = {"k%d" % (level % 3): [value, "10.1.2.%d" % (level % 250)]} if level % 2 else {"Password": "x", "k": value}
    return value


def test_walkers_do_not_recurse():
    """Nested far deeper than the recursion limit allows a recursive walk."""
    deep = _nested(5000, "PASSWORD=s3cr3t on 192.0.2.7")
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        scrubbed = scrub_secrets(deep)
        pseudonymised = pseudonymise(scrubbed, key=KEY)
        collect_names(deep)
    finally:
        sys.setrecursionlimit(old)
    value = _leaf(pseudonymised)
    assert value.startswith("PASSWORD=" + R + " on ") and "192.0.2.7" not in value


def _leaf(value):
    """The innermost string of a _nested() value, found without recursion."""
    while isinstance(value, (dict, list)):
        value = value["k"] if isinstance(value, dict) and "k" in value else (
            value[0] if isinstance(value, list) else next(iter(value.values())))
    return value


def _runner():
    import inspect
    if "mix_stderr" in inspect.signature(CliRunner).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


def test_analyze_redact_of_a_nested_capture(tmp_path):
    """`analyze --redact` of nested captures: a report up to analyze's nesting limit (64),
    one line and exit 3 beyond it (600 levels was an internal error of --redact)."""
    from hostcheck.cli import cli
    base = json.loads((Path(__file__).resolve().parent / "data" / "captures" / "debian12-this-machine.json").read_text())
    for depth, codes in ((30, (0, 1)), (600, (3,))):  # _nested(30): 45 JSON levels
        doc = dict(base, **{"x-deep": _nested(depth, "leaf 10.9.8.7")})
        path = tmp_path / ("deep-%d.json" % depth)
        path.write_text(json.dumps(doc))
        for args in (["--json"], ["--json", "--redact"], ["--redact", "--no-color"]):
            result = _runner().invoke(cli, ["analyze", str(path)] + args, catch_exceptions=False)
            assert result.exit_code in codes, (depth, args, result.stderr)
            assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_capture_redact_of_deep_engine_answers(monkeypatch):
    """The capture keeps what the engine answered, as deep as json.loads allows (~1,000
    levels): its --redact walks that without recursion."""
    from hostcheck.capture import core
    deep = _nested(900, "PASSWORD=s3cr3t 192.0.2.7")
    monkeypatch.setattr(core.Capture, "document", lambda self: {"docker": {"responses": {"/info": deep}}})
    for name in ("engine_probes", "process_probes", "run_commands", "host_probes", "wait"):
        monkeypatch.setattr(core.Capture, name, lambda self, *args: None)
    doc = core.take(timeout=1.0, redact=True)
    assert doc["redacted"] is True
    leaf = _leaf(doc["docker"]["responses"]["/info"])
    assert leaf.startswith("PASSWORD=" + R + " ") and "192.0.2.7" not in leaf


MIB = 1 << 20
# Inputs built to make a careless pattern backtrack or rescan: repeated prefixes of every
# form, unterminated quotes and blocks, long runs without the character a pattern waits for.
ADVERSARIAL = {
    "word run": "a" * MIB,
    "assignments": "password=" * (MIB // 9),
    "spaced assignments": "password = " * (MIB // 11),
    "query pairs": "&token=x" * (MIB // 8),
    "comma options": "password=" + ",a" * (MIB // 2),
    "quoted key": '"PASSWORD=' + "a" * MIB,
    "json keys": '"password":' * (MIB // 11),
    "colons": "a:" * (MIB // 2),
    "at signs": "a:a@" * (MIB // 4),
    "schemes": "https://a:b/" * (MIB // 12),
    "userinfo run": "https://" + "a" * MIB + "@x",
    "options": "--password " * (MIB // 11),
    "tool flags": "mysql -p" * (MIB // 8),
    "quotes": "mysql " + "'\"" * (MIB // 2),
    "jwt prefixes": "eyJaaaa." * (MIB // 8),
    "bearer": "Bearer " * (MIB // 7),
    "pem without end": "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END " * (MIB // 45),
    "yaml": "password:" + " " * MIB,
    "backslashes": "PASSWORD=" + "\\" * MIB,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_one_mebibyte_line_is_linear(name):
    """Each pattern is linear: a 1 MiB line costs about 4 times a 256 KiB one (a quadratic
    pattern: 16 times), and seconds at most."""
    text = ADVERSARIAL[name]
    quarter = text[:len(text) // 4]
    timings = []
    for sample in (quarter, text):
        redact._TEXT_CACHE.clear()
        started = time.process_time()
        scrub_text(sample)
        timings.append(time.process_time() - started)
    assert timings[1] < 5.0, timings
    assert timings[1] < 10 * timings[0] + 0.25, timings


def test_scrub_on_python_36_matches(old_python):
    """The capture runs the pass on Python 3.6: the same regexes, the same answers."""
    script = ("import json, sys; from hostcheck.capture.redact import scrub_text, scrub_argv; "
              "cases = json.load(sys.stdin); "
              "print(json.dumps([scrub_text(t) for t in cases['text']] + [scrub_argv(a) for a in cases['argv']]))")
    cases = {"text": [t for t, _ in TEXT_FORMS] + UNCHANGED, "argv": [a for a, _ in ARGV_FORMS]}
    result = subprocess.run([str(old_python("3.6")), "-c", script], input=json.dumps(cases).encode(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                            cwd=str(Path(__file__).resolve().parent.parent))
    assert result.returncode == 0, result.stderr.decode()
    expected = [e for _, e in TEXT_FORMS] + UNCHANGED + [e for _, e in ARGV_FORMS]
    assert json.loads(result.stdout.decode()) == expected

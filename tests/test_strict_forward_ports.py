"""firewalld 2.3's StrictForwardPorts (issue 12) read from a real firewalld.conf: the upstream
template as an Arch install script writes it (tests/data/outputs/external/firewalld/
firewalld-2x-arch.conf, see tests/data/outputs/SOURCES.md), placed on the CentOS 7 host of
tests/data/systems/centos7-docker24-firewalld (firewalld running, Docker 24 running).
That host's firewalld is 0.6 and has no such setting: the pairing exercises the reading of
the file and the rule, not a host that exists."""

import json
import os

from hostcheck.capture.probes import FIREWALLD_CONF
from hostcheck.parse import firewalld

from test_cli import run

HERE = os.path.dirname(__file__)
CONF = os.path.join(HERE, "data", "outputs", "external", "firewalld", "firewalld-2x-arch.conf")
HOST = os.path.join(HERE, "data", "systems", "centos7-docker24-firewalld.json")
RULE = "firewall-firewalld-strict-forward-ports"


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def judged(tmp_path, conf_text):
    doc = json.loads(_read(HOST))
    if conf_text is not None:
        doc["files"][FIREWALLD_CONF] = {"content": conf_text} if isinstance(conf_text, str) else conf_text
    path = tmp_path / "host.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = run("analyze", str(path), "--json", "--only", RULE)
    assert result.exit_code in (0, 1), result.output
    (finding,) = json.loads(result.stdout)["findings"]
    return finding


def test_the_shipped_default_is_off():
    conf = firewalld.parse_conf(_read(CONF))
    assert conf["StrictForwardPorts"] == "no" and conf["FirewallBackend"] == "nftables"
    assert firewalld.strict_forward_ports(conf) is False


def test_default_passes_and_yes_warns(tmp_path):
    text = _read(CONF)
    assert judged(tmp_path, text)["status"] == "pass"
    strict = judged(tmp_path, text.replace("StrictForwardPorts=no", "StrictForwardPorts=yes"))
    assert strict["status"] == "warn" and "forward-port" in strict["evidence"], strict
    assert any("--add-forward-port=" in c for c in strict["remediation"]["commands"])


def test_absent_is_off_not_captured_is_unknown(tmp_path):
    # firewalld's fallback when the file (or the key, before 2.3) is absent: off
    assert judged(tmp_path, {"error": "not_found"})["status"] == "pass"
    # Debian 12's firewalld 1.3 template (this machine's file, in debian12-swarm-loopback) has no key
    assert judged(tmp_path, _read(CONF).replace("StrictForwardPorts=no\n", ""))["status"] == "pass"
    skipped = judged(tmp_path, None)      # the capture has no record of the file
    assert skipped["status"] == "skip" and FIREWALLD_CONF in skipped["evidence"], skipped

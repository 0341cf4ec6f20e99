"""A generated fix script fixes reproduced faults on this machine, for real.

Each test breaks one thing the way it breaks on real hosts, sees `hostcheck check` find
it, writes the script with `hostcheck check --fix-script`, runs that script with `--yes`
(as root, here), and sees `hostcheck check` pass the same rule afterwards. The host is put
back as it was: the sysctl value and file, the binfmt_misc entries (the conftest `binfmt`
fixture), nothing else touched.

Faults whose fixes run here: ip_forward turned off behind a running dockerd (the fix
writes /etc/sysctl.d and applies it), and an emulator registered without the F flag (the
fix re-registers it through binfmt-support). Fixes that restart services cannot run on
this machine (no systemd: `systemctl restart docker` fails), so those are covered by
tests/test_fix_script.py on the real system captures instead.
"""

import json
import os
import subprocess

import pytest

from test_cli import hostcheck_process
from test_fix_script import _code_lines, lint

IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"
SYSCTL_FILE = "/etc/sysctl.d/99-docker-ip-forward.conf"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the fix scripts change the host: root only")


def check(*args):
    result = hostcheck_process("check", "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def statuses(report, rule):
    return {f.get("subject"): f["status"] for f in report["findings"] if f["id"] == rule}


def fix(tmp_path, rule):
    """Write the fix script for `rule` with the CLI, lint it, run it with --yes."""
    script = tmp_path / "fix.sh"
    # --fail-on warn: every fault reproduced here (a fail, or the binfmt entry's warn) exits 1.
    written = hostcheck_process("check", "--only", rule, "--fail-on", "warn", "--fix-script", str(script))
    assert written.returncode == 1, written.stderr
    lint(script)
    text = script.read_text(encoding="utf-8")
    ran = subprocess.run(["bash", str(script), "--yes"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, timeout=600)
    assert ran.returncode == 0, ran.stdout
    return text, ran.stdout


@pytest.fixture
def ip_forward_restored():
    with open(IP_FORWARD) as handle:
        value = handle.read().strip()
    old = None
    if os.path.exists(SYSCTL_FILE):
        with open(SYSCTL_FILE, "rb") as handle:
            old = handle.read()
    yield
    if old is None:
        if os.path.exists(SYSCTL_FILE):
            os.unlink(SYSCTL_FILE)
    else:
        with open(SYSCTL_FILE, "wb") as handle:
            handle.write(old)
    subprocess.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=" + value], check=True)


def test_ip_forward_off_behind_dockerd(docker_engine, binfmt, ip_forward_restored, tmp_path):
    # Every local image of another platform should run (emulated) here, so that the report's
    # only remedy is the one for this fault (an image tree would add binfmt commands).
    binfmt("qemu-aarch64", flags="PF")
    subprocess.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"], check=True)
    assert statuses(check("--only", "network-ip-forward"), "network-ip-forward") == {None: "fail"}

    text, output = fix(tmp_path, "network-ip-forward")
    assert _code_lines(text) == ["echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/99-docker-ip-forward.conf",
                                 "sysctl -p /etc/sysctl.d/99-docker-ip-forward.conf"]
    assert "net.ipv4.ip_forward = 1" in output          # sysctl -p says what it set

    with open(IP_FORWARD) as handle:
        assert handle.read().strip() == "1"
    assert statuses(check("--only", "network-ip-forward"), "network-ip-forward") == {None: "pass"}


def test_emulator_registered_without_f(docker_engine, binfmt, tmp_path):
    entry = binfmt("qemu-aarch64", flags="P")
    with open(str(entry)) as handle:
        assert "flags: P\n" in handle.read()
    assert statuses(check("--only", "binfmt-entry-flags"), "binfmt-entry-flags")["qemu-aarch64"] == "warn"

    text, _ = fix(tmp_path, "binfmt-entry-flags")
    code = _code_lines(text)
    assert "update-binfmts --disable qemu-aarch64 && update-binfmts --enable qemu-aarch64" in code
    assert code[0] == "apt-get install -y qemu-user-static binfmt-support"      # packages first

    with open(str(entry)) as handle:
        assert "flags: PF" in handle.read()
    assert statuses(check("--only", "binfmt-entry-flags"), "binfmt-entry-flags")["qemu-aarch64"] == "pass"

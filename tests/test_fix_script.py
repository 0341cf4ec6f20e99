"""`--fix-script FILE` on realistic reports: the real system captures (tests/data/systems)
judged by `hostcheck analyze`, a capture with emulator registrations recorded on this
machine (tests/data/outputs/debian12-binfmt), and hostile names in them.

The scripts are checked by the real tools (`bash -n`, shellcheck 0.9 from Debian) and run
for real by bash, with every command they call replaced by a stub on PATH that logs its
arguments (apt-get, update-binfmts, systemctl, reboot, id, uname ...): so the order, the
prompts, the host guard and what never runs are what bash really does, and nothing on
this machine changes. tests/integration/test_fix_script_live.py runs one on the host.
"""

import copy
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import missing
from hostcheck.judge import load_catalogue
from hostcheck.report import fixscript
from hostcheck.report.fixscript import (CONFIG, LOOK, PACKAGES, PHASES, REBOOT, SERVICES, USAGE,
                                        TemplateMatcher, catalogue_templates, classify, comment_text,
                                        reader_placeholders, render_script)
from test_cli import run
from test_fleet import SYSTEMS

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUTS = os.path.join(REPO, "tests", "data", "outputs", "debian12-binfmt")
SHELLCHECK = shutil.which("shellcheck")


def system(name):
    return next(path for path in SYSTEMS if os.path.basename(path) == name + ".json")


def analyze(capture_path, tmp_path, lang="en", *extra):
    """(report, script text) of `hostcheck analyze CAPTURE --json --fix-script F`."""
    script = tmp_path / ("fix-%s.sh" % lang)
    result = run("analyze", str(capture_path), "--json", "--lang", lang, "--fix-script", str(script), *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), script.read_text(encoding="utf-8")


def lint(path):
    """bash -n and shellcheck: both silent."""
    syntax = subprocess.run(["bash", "-n", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    assert syntax.returncode == 0, syntax.stderr
    if SHELLCHECK is None:
        missing("shellcheck is not installed (tests/lib.sh installs it)")
    checked = subprocess.run([SHELLCHECK, "--shell=bash", str(path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# ------------------------------------------------------------------ the catalogue's commands


def _as_rendered(template):
    # a plain word where the judge fills in a fact
    return re.sub(r"\$\{[a-z_]+\.[a-z_.]+\}", "value1", template)


def test_every_catalogue_command_is_classified():
    """A new shape of command in rules/*.yaml must be placed in COMMAND_KINDS before a
    script can run it (unclassified commands are held back)."""
    unknown = sorted(t for t in catalogue_templates() if not t.lstrip().startswith("#")
                     and classify(_as_rendered(t)) is None)
    assert unknown == []


@pytest.mark.parametrize("command, kind", [
    ("apt-get install -y qemu-user-static binfmt-support", PACKAGES),
    ("dnf install -y container-selinux || yum install -y container-selinux", PACKAGES),
    ("apt-get install -y qemu-user-static binfmt-support && update-binfmts --enable qemu-aarch64", CONFIG),
    ("echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/99-docker-ip-forward.conf", CONFIG),
    ("sed -i 's/cgroup_disable=memory//; s/^GRUB_CMDLINE_LINUX=\"/&cgroup_enable=memory /' /etc/default/grub", CONFIG),
    ("systemctl daemon-reload && systemctl restart docker", SERVICES),
    ("firewall-cmd --reload", SERVICES),
    ("docker network connect bridge web1", fixscript.CONTAINERS),
    ("grub2-set-default 0 && reboot", REBOOT),
    ("docker run --platform linux/arm64/v8 app:1.0", USAGE),
    ("docker pull --platform linux/amd64 app:1.0", USAGE),
    ("docker run --privileged --rm tonistiigi/binfmt --install arm64", CONFIG),
    ("journalctl -u docker --no-pager -n 100 | grep -i warn", LOOK),
    ("sysctl net.bridge.bridge-nf-call-iptables", LOOK),
    ("sysctl -w net.ipv4.ip_forward=1", CONFIG),
    ("iptables -t nat -S DOCKER", LOOK),
    ("docker ps -a; docker images", LOOK),
    ("docker -H tcp://10.0.0.7:2376 version", LOOK),
    ("unset DOCKER_HOST DOCKER_CONTEXT", USAGE),
    ("echo DOCKER_HOST=x > /tmp/docker-host", None),
    ("rm -rf /", None),
    ("curl -fsSL https://get.docker.com | sh", None),
    ("echo 'unclosed", None),
])
def test_classify(command, kind):
    assert classify(command) == kind


def test_reader_placeholders_in_the_catalogue_are_the_known_ones():
    """Capital words in commands that would run are placeholders for the reader, except
    LITERAL_CAPITALS: this list changes only with the catalogue."""
    found = set()
    for template in catalogue_templates():
        if template.lstrip().startswith("#") or classify(_as_rendered(template)) not in PHASES:
            continue
        found.update(reader_placeholders(template))
    assert found == {"ZONE", "UNUSED-CIDR"}


def test_matcher_vouches_for_plain_words_only():
    matcher = TemplateMatcher(catalogue_templates())
    assert matcher.vouches_for("update-binfmts --disable qemu-aarch64 && update-binfmts --enable qemu-aarch64")
    assert matcher.vouches_for("docker run --privileged --rm tonistiigi/binfmt --install arm64")
    assert matcher.vouches_for("sysctl -p /etc/sysctl.d/99-docker-ip-forward.conf")
    for hostile in ("update-binfmts --enable qemu-x;reboot", "update-binfmts --enable 'a b'",
                    "update-binfmts --enable $(reboot)", "update-binfmts --enable --help",
                    "update-binfmts --enable ?", "docker start web1 && reboot",
                    "docker network rm a\nreboot"):
        assert not matcher.vouches_for(hostile), hostile


def test_comment_text_keeps_one_line():
    text = comment_text("a\nb\rc\x1b[2Jd\u202eevil\u2028e\x85f")
    assert "\n" not in text and "\r" not in text and "\x1b" not in text and "\u202e" not in text
    assert "\u2028" not in text and "\x85" not in text
    assert text == "a\\nb\\rc\\x1b[2Jd\\u202eevil\\u2028e\\x85f"


# ------------------------------------------------------------------ real reports


@pytest.mark.parametrize("capture", SYSTEMS, ids=lambda p: os.path.basename(p)[:-5])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_real_systems_give_clean_scripts(capture, lang, tmp_path):
    report, text = analyze(capture, tmp_path, lang)
    path = tmp_path / ("fix-%s.sh" % lang)
    lint(path)
    assert text.startswith("#!/usr/bin/env bash\n") and "\nset -euo pipefail\n" in text
    # every warn/fail finding with a remedy is named in a comment
    for finding in report["findings"]:
        if finding["status"] in ("warn", "fail", "error") and (finding.get("remediation") or {}).get("commands"):
            assert " · %s" % finding["id"] in text, finding["id"]
    # code lines are catalogue commands, each once
    code = _code_lines(text)
    assert len(code) == len(set(code))
    matcher = TemplateMatcher(catalogue_templates())
    for line in code:
        assert matcher.vouches_for(line), line


def _code_lines(text):
    """The remediation commands a script runs: the indented lines inside `if ask ...` blocks."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("if ask "):
            inside = True
        elif line == "fi":
            inside = False
        elif inside and not line.lstrip().startswith("#"):
            command = line.strip()
            lines.append(command[:-len(" || stop")] if command.endswith(" || stop") else command)
    return lines


def test_centos7_order_and_once(tmp_path):
    """CentOS 7 with docker-ce 24: upgrades first, containerd's restart after them, the
    kernel's reboot last; commands two findings share run once, naming both."""
    _, text = analyze(system("centos7-docker24-firewalld"), tmp_path)
    code = _code_lines(text)
    assert code.count("grub2-set-default 0 && reboot") == 1
    assert code[-1] == "grub2-set-default 0 && reboot"
    assert code.index("systemctl restart containerd") > max(
        i for i, c in enumerate(code) if c.startswith("yum "))
    runc = "yum update -y $(rpm -q --qf '%{NAME}\\n' runc containerd.io | grep -v 'not installed')"
    assert code.count(runc) == 1
    # (its place among the package steps moves as rules are added: the pair is what counts)
    assert re.search(r"^if ask '\[\d/9\] runtime-runc-cve-2024-21626, runtime-runc-cve-2025-31133' ", text, re.M)
    phases = [line for line in text.splitlines() if line.startswith("# ======== ")]
    # 2. is containerd's chmod (CVE-2024-25621 on the end-of-life 1.6)
    assert [p.split()[2] for p in phases] == ["1.", "2.", "3.", "5.", "Advice:"]


def test_advice_placeholders_look_and_workload_stay_comments(tmp_path):
    """debian12-probes: the daemon.json edit is a step for a person, so the restart after
    it waits for that person; look-only commands and `docker run IMAGE` never run."""
    _, text = analyze(system("debian12-probes"), tmp_path)
    code = _code_lines(text)
    assert "systemctl restart docker" not in code
    assert "#    held back (this fix has a step for a person; do it, then run): systemctl restart docker" in text
    assert '#    # /etc/docker/daemon.json: {"mtu": 1400}' in text
    assert "#    then, to run or fetch it: docker run --platform linux/arm64/v8 hc-test/busybox:arm64" in text
    assert "#    to look: du -sh /var/lib/docker/containers/*/*-json.log | sort -h | tail" in text
    # The package CVE rules (containerd 2026, podman) add their upgrades; the
    # containerd restart after its upgrade comes last.
    assert code == [
        "apt-get update && apt-get install --only-upgrade -y $(dpkg-query -W -f='${Package} ' runc containerd.io"
        " 2>/dev/null)",
        "apt-get update && apt-get install --only-upgrade -y $(dpkg-query -W -f='${Package} ' containerd.io"
        " containerd 2>/dev/null)",
        "apt-get update && apt-get install --only-upgrade -y podman",
        "apt-get install -y qemu-user-static binfmt-support && update-binfmts --enable qemu-aarch64",
        "systemctl restart containerd",
    ]
    # info findings are listed, not run
    assert "#    informational, not run: apt-get update && apt-get install --only-upgrade -y docker.io" in text


def test_unknown_family_holds_every_family_line(tmp_path):
    """Loongnix: os.family is `other`, so the judge lists each family's commands; the
    script runs none of them."""
    report, _ = analyze(system("loongnix20-loongarch64"), tmp_path)
    finding = {"id": "runtime-podman-docker-shim", "area": "runtime", "status": "fail", "title": "podman-docker",
               "evidence": "e", "remediation": {"text": "t", "commands": [
                   "# rhel:", "dnf remove -y podman-docker || yum remove -y podman-docker",
                   "# debian:", "apt-get remove -y podman-docker"]}}
    report["findings"].append(finding)
    text = render_script(report)
    assert "apt-get remove -y podman-docker" not in _code_lines(text)
    assert "held back (this host's distribution family is unknown" in text


# ------------------------------------------------------------------ hostile data


def binfmt_capture(names, flags="P"):
    """debian12-probes with binfmt_misc mounted and qemu-aarch64's recorded registration
    under each of `names`, its flags replaced (no F: the rule asks to re-register)."""
    with open(system("debian12-probes"), encoding="utf-8") as handle:
        capture = json.load(handle)
    files = capture["files"]
    with open(os.path.join(OUTPUTS, "proc_mounts_binfmt_lines.txt")) as handle:
        files["/proc/mounts"]["content"] += handle.read()
    with open(os.path.join(OUTPUTS, "qemu-aarch64")) as handle:
        entry = handle.read().replace("flags: PF", "flags: " + flags)
    capture["dirs"]["/proc/sys/fs/binfmt_misc"] = {"entries": sorted(names + ["register", "status"])}
    files["/proc/sys/fs/binfmt_misc/status"] = {"content": "enabled\n"}
    for name in names:
        files["/proc/sys/fs/binfmt_misc/" + name] = {"content": entry}
    return capture


HOSTILE = "qemu-evil;reboot"


def test_host_data_that_is_not_a_plain_word_is_held_back(tmp_path):
    capture = tmp_path / "capture.json"
    capture.write_text(json.dumps(binfmt_capture(["qemu-aarch64", HOSTILE])), encoding="utf-8")
    report, text = analyze(capture, tmp_path, "en", "--only", "binfmt-entry-flags")
    subjects = {f.get("subject"): f["status"] for f in report["findings"]}
    assert subjects == {"qemu-aarch64": "warn", HOSTILE: "warn"}
    code = _code_lines(text)
    assert "update-binfmts --disable qemu-aarch64 && update-binfmts --enable qemu-aarch64" in code
    assert not any("evil" in line for line in code)
    assert ("#    held back (a value from the host is not a plain word; check it, run by hand): "
            "update-binfmts --disable qemu-evil;reboot && update-binfmts --enable qemu-evil;reboot") in text
    lint(tmp_path / "fix-en.sh")


def hostile_report():
    """A report as a hostile capture could make it: data with newlines, ESC, bidi
    overrides, quotes and shell syntax, and commands that are not the catalogue's."""
    nasty = "x\n reboot\r\x1b[2J\u202e'\"$(reboot)`reboot`"
    return {
        "format": "hostcheck.report/v1", "lang": "en", "generated_at": "2026-12-07T00:00:00Z",
        "tool": {"name": "hostcheck", "version": "0.1.0", "rules": "test"},
        "host": {"hostname": "node1'$(reboot)\n", "os": {"id": "debian", "name": nasty, "version": "12"},
                 "arch": {"machine": "x86_64", "platform": "linux/amd64"}, "kernel": {"release": nasty}},
        "facts": {"values": {"os.family": "debian"}},
        "findings": [
            {"id": "network-ip-forward", "area": "network", "status": "fail", "subject": nasty, "title": nasty,
             "evidence": nasty, "remediation": {"text": nasty, "commands": [
                 "sysctl -w net.ipv4.ip_forward=1", "sysctl -p /etc/sysctl.d/99-docker-ip-forward.conf"]}},
            {"id": "made-up", "area": "network", "status": "fail", "title": "t", "evidence": "e",
             "remediation": {"text": "", "commands": ["rm -rf /", "reboot\nrm -rf /", "curl http://x | sh",
                                                      "docker rm -f " + nasty]}},
        ],
        "trees": [{"tree": "net-reach", "subject": nasty, "path": [{"node": "n", "question": nasty,
                                                                    "answer": "no", "evidence": nasty}],
                   "verdict": {"id": "stopped", "status": "fail", "text": nasty,
                               "remediation": {"text": nasty, "commands": [
                                   "docker start web1", "docker start web1;reboot", "docker start " + nasty]}}}],
        "summary": {},
    }


STUBS = ("apt-get", "update-binfmts", "systemctl", "sysctl", "reboot", "rm", "curl", "sh", "docker", "yum",
         "dnf", "grub2-set-default", "mount", "modprobe", "firewall-cmd")


def stub_path(tmp_path, hostname="node1", fail=()):
    """A PATH of logging stubs (each appends its name and arguments to calls.log), `id`
    answering 0, `uname -n` answering `hostname`; names in `fail` exit 1 after logging."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for name in STUBS:
        path = folder / name
        path.write_text("#!/bin/bash\nprintf '%%s\\n' \"%s $*\" >> %s\nexit %d\n" % (
            name, log, 1 if name in fail else 0))
        path.chmod(0o755)
    for name, answer in (("id", "0"), ("uname", hostname)):
        path = folder / name
        path.write_text("#!/bin/bash\necho %s\n" % answer)
        path.chmod(0o755)
    return str(folder), log


def run_script(script, tmp_path, *args, hostname="node1", fail=(), stdin=None, new_session=True):
    path, log = stub_path(tmp_path, hostname, fail)
    result = subprocess.run(["/bin/bash", str(script)] + list(args), env={"PATH": path, "LC_ALL": "C.UTF-8"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            input=stdin, start_new_session=new_session, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def test_hostile_report_runs_only_the_catalogue_commands(tmp_path):
    text = render_script(hostile_report())
    script = tmp_path / "fix.sh"
    script.write_text(text, encoding="utf-8")
    lint(script)
    # data only in comments, each on its line
    for line in text.splitlines():
        assert "\x1b" not in line and "\u202e" not in line and "\r" not in line
        if "reboot" in line and not line.lstrip().startswith("#"):
            assert line.startswith(("    printf", "if ask ")) or "made_for=" in line, line
    result, calls = run_script(script, tmp_path, "--yes", "--any-host")
    assert result.returncode == 0, result.stderr
    # the tree's own `docker start web1` waits too: its remedy has lines held back
    assert calls == ["sysctl -w net.ipv4.ip_forward=1", "sysctl -p /etc/sysctl.d/99-docker-ip-forward.conf"]
    assert "held back (this fix has a step for a person; do it, then run): docker start web1" in text
    assert "held back (not a command hostcheck knows" in text
    assert "held back (a value from the host is not a plain word" in text


def test_prompts_host_guard_and_no_terminal(tmp_path):
    capture = tmp_path / "capture.json"
    capture.write_text(json.dumps(binfmt_capture(["qemu-aarch64", "qemu-arm"])), encoding="utf-8")
    report, text = analyze(capture, tmp_path, "en", "--only", "binfmt-entry-flags")
    script = tmp_path / "fix-en.sh"
    hostname = report["host"]["hostname"]
    # another host: refused before anything runs
    result, calls = run_script(script, tmp_path, "--yes", hostname="elsewhere")
    assert result.returncode == 1 and calls == []
    assert "made for host %s, but this is elsewhere" % hostname in result.stderr
    # no terminal to ask on, no --yes: refused at the first block
    result, calls = run_script(script, tmp_path, hostname=hostname)
    assert result.returncode == 1 and calls == []
    assert "no terminal to ask on" in result.stderr
    # a terminal (script(1) makes a pty): yes to the first block, no to the others
    if shutil.which("script") is None:
        missing("script(1) is not installed (util-linux)")
    path, log = stub_path(tmp_path, hostname)
    answered = subprocess.run(["script", "-qec", "bash %s" % script, "/dev/null"], input="y\nn\nn\nn\n",
                              env={"PATH": path + ":/usr/bin:/bin", "LC_ALL": "C.UTF-8"}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert calls == ["apt-get install -y qemu-user-static binfmt-support"], answered.stdout
    assert "Run these commands? [y/N]" in answered.stdout


def test_a_failure_stops_the_script_even_inside_and_lists(tmp_path):
    """`set -e` does not stop at `a` failing in `a && b`; the script's `|| stop` does."""
    capture = tmp_path / "capture.json"
    capture.write_text(json.dumps(binfmt_capture(["qemu-aarch64"])), encoding="utf-8")
    report, _ = analyze(capture, tmp_path, "en", "--only", "binfmt-entry-flags")
    script = tmp_path / "fix-en.sh"
    hostname = report["host"]["hostname"]
    result, calls = run_script(script, tmp_path, "--yes", hostname=hostname)
    assert result.returncode == 0, result.stderr
    assert calls == ["apt-get install -y qemu-user-static binfmt-support",
                     "update-binfmts --disable qemu-aarch64", "update-binfmts --enable qemu-aarch64"]
    (tmp_path / "calls.log").unlink()
    result, calls = run_script(script, tmp_path, "--yes", hostname=hostname, fail=("update-binfmts",))
    assert result.returncode == 1
    assert calls == ["apt-get install -y qemu-user-static binfmt-support", "update-binfmts --disable qemu-aarch64"]
    assert "a command failed: the script stopped there" in result.stderr


def test_nothing_to_fix(tmp_path):
    report, text = analyze(system("openeuler2203-x86_64"), tmp_path)
    assert "if ask" not in text and "Nothing to fix" not in text     # an info finding is listed
    result, calls = run_script(tmp_path / "fix-en.sh", tmp_path, hostname="other")
    assert result.returncode == 0 and calls == [] and "done" in result.stdout
    empty = dict(report, findings=[], trees=[])
    assert "# Nothing to fix" in render_script(empty)


def test_chinese_script(tmp_path):
    capture = tmp_path / "capture.json"
    capture.write_text(json.dumps(binfmt_capture(["qemu-aarch64"])), encoding="utf-8")
    _, text = analyze(capture, tmp_path, "zh", "--only", "binfmt-entry-flags")
    assert "# 运行前请逐段审阅" in text and "执行这些命令？" in text
    lint(tmp_path / "fix-zh.sh")


def test_every_report_command_takes_the_options(tmp_path):
    """--fix-script and --html beside image and net too, written whole, stdout unchanged."""
    capture = system("debian12-probes")
    for args in (("image", "hc-test/busybox:arm64", "--capture", capture),
                 ("net", "egress", "--capture", capture)):
        script, page = tmp_path / "f.sh", tmp_path / "p.html"
        plain = run(*args, "--json")
        result = run(*args, "--json", "--fix-script", str(script), "--html", str(page))
        assert result.exit_code == plain.exit_code
        assert json.loads(result.stdout)["findings"] == json.loads(plain.stdout)["findings"]
        assert script.read_text().startswith("#!/usr/bin/env bash\n") and page.read_text().endswith("</html>\n")
        lint(script)
        script.unlink()
        page.unlink()


def test_an_unwritable_target_is_one_line(tmp_path):
    target = tmp_path / "missing-dir" / "fix.sh"
    result = run("analyze", system("debian12-probes"), "--fix-script", str(target))
    assert result.exit_code == 3 and "cannot write %s" % target in result.stderr


def test_a_failing_render_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "fix.sh"
    target.write_text("old\n")

    def broken(report, catalogue=None):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(fixscript, "render_script", broken)
    with pytest.raises(RuntimeError):
        run("analyze", system("debian12-probes"), "--fix-script", str(target))
    assert target.read_text() == "old\n" and os.listdir(str(tmp_path)) == ["fix.sh"]


def test_catalogue_loaded_once_per_render():
    catalogue = load_catalogue()
    report = hostile_report()
    assert render_script(copy.deepcopy(report), catalogue) == render_script(copy.deepcopy(report))

"""Strings a host controls never drive the terminal of whoever reads its report.

A real capture (tests/data/captures/debian12-this-machine.json) gets a hostile payload in
every host-controlled field the report prints: hostname, OS name, engine version, container
names, image tags, container log lines, network names, firewalld zones, binfmt_misc entry
names. The payload carries what an attacker would send: ESC sequences (screen clear, OSC 8
hyperlink, OSC 52 clipboard write), BEL, CR, DEL, a C1 CSI, bidi controls and rich markup.
Then `analyze`, `image --archive`, `net`, `fleet` (text and HTML) and `rules show` run as
a user would run them: without colour no ESC at all may come out; with colour (a real pty,
or FORCE_COLOR) every ESC must begin an SGR sequence; the payload shows as visible escapes.
"""

import copy
import fcntl
import io
import json
import os
import re
import struct
import subprocess
import sys
import tarfile
import termios
from pathlib import Path

import pytest

from conftest import write_docker_archive
from hostcheck.report.escape import safe_json_text, visible

REPO = Path(__file__).resolve().parent.parent
CAPTURE = REPO / "tests" / "data" / "captures" / "debian12-this-machine.json"
BINFMT_ENTRY = (REPO / "tests" / "data" / "capture" / "binfmt" / "qemu-arm").read_text()
ARM64_ELF_HEAD = (REPO / "tests" / "data" / "images" / "busybox-arm64.elfhead").read_bytes()

# No spaces, quotes or newlines: the parsers must still read the fields it is put in.
HOSTILE = ("\x1b[2J\x1b]8;;file:///etc/passwd\x07click\x1b]8;;\x07\x1b]52;c;cm0gLXJmIH4K\x07\r\u202e"
           "\u2066\u200f\x9b31m\x7f[bold]b[/][/][link=file:///etc/passwd]x[/link]")
# How the start of the payload must look once printed (visible escapes, markup as is).
SHOWN = "\\x1b[2J\\x1b]8;;file:///etc/passwd\\x07click"
MARKUP = "[bold]b[/][/][link=file:///etc/passwd]x[/link]"

# Anything a terminal acts on, but a newline.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NOT_SGR = re.compile(r"\x1b(?!\[[0-9;]*m)")


def hostile_capture():
    doc = json.loads(CAPTURE.read_text(encoding="utf-8"))
    doc["uname"]["nodename"] += HOSTILE
    files, responses = doc["files"], doc["docker"]["responses"]
    files["/etc/os-release"]["content"] = files["/etc/os-release"]["content"].replace(
        'PRETTY_NAME="', 'PRETTY_NAME="' + HOSTILE)
    responses["/version"]["Version"] += HOSTILE
    responses["/info"]["Name"] += HOSTILE
    for path, body in responses.items():
        if path.startswith("/containers/") and path.endswith("/json"):
            body["Name"] += HOSTILE
        elif path.startswith("/images/sha256:"):
            body["RepoTags"] = [tag + HOSTILE for tag in body.get("RepoTags") or []]
        elif path.startswith("/networks/"):
            body["Name"] += HOSTILE
    for container in responses["/containers/json?all=1"]:
        container["Names"] = [name + HOSTILE for name in container["Names"]]
        container["Image"] += HOSTILE
    for image in responses["/images/json"]:
        image["RepoTags"] = [tag + HOSTILE for tag in image.get("RepoTags") or []]
    for network in responses["/networks"]:
        network["Name"] += HOSTILE
    logs = doc["docker"]["logs"]
    for container_id in logs:
        logs[container_id] = [line + HOSTILE for line in logs[container_id]]
    commands = doc["commands"]
    commands["firewall-cmd --state"] = {"argv": ["firewall-cmd", "--state"], "rc": 0,
                                        "stdout": "running\n", "stderr": ""}
    commands["firewall-cmd --get-active-zones"] = {
        "argv": ["firewall-cmd", "--get-active-zones"], "rc": 0, "stderr": "",
        "stdout": "public%s\n  interfaces: eth0\n" % HOSTILE}
    # binfmt_misc mounted, with one entry whose name is hostile (registered by root, but a
    # name is still data).
    files["/proc/mounts"]["content"] += "binfmt_misc /proc/sys/fs/binfmt_misc binfmt_misc rw,relatime 0 0\n"
    entry = "qemu-arm" + HOSTILE
    doc["dirs"]["/proc/sys/fs/binfmt_misc"] = {"entries": sorted([entry, "register", "status"])}
    files["/proc/sys/fs/binfmt_misc/status"] = {"content": "enabled\n"}
    files["/proc/sys/fs/binfmt_misc/" + entry] = {"content": BINFMT_ENTRY}
    return doc


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "capture.json"
    path.write_text(json.dumps(hostile_capture()), encoding="utf-8")
    return path


def hostcheck(*args, colour=False, stdin=None):
    """The real program; `colour` forces rich's colour through FORCE_COLOR (a pipe otherwise)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(PYTHONPATH=str(REPO), LC_ALL="C.UTF-8", TERM="xterm-256color", COLUMNS="120")
    if colour:
        env["FORCE_COLOR"] = "1"
    result = subprocess.run([sys.executable, "-m", "hostcheck"] + list(args), cwd=str(REPO), env=env,
                            input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")


def hostcheck_in_pty(*args):
    """The real program with its stdout on a pseudo-terminal: colour because it is a terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    env.update(PYTHONPATH=str(REPO), LC_ALL="C.UTF-8", TERM="xterm-256color")
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.OPOST          # no "\n" -> "\r\n": every CR read is the program's
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    process = subprocess.Popen([sys.executable, "-m", "hostcheck"] + list(args), cwd=str(REPO), env=env,
                               stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:                      # EIO: the program closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stderr = process.stderr.read().decode("utf-8")
    process.stderr.close()
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8"), stderr


def assert_plain(text):
    assert "\x1b" not in text, NOT_SGR.findall(text)[:3] or "an SGR sequence without colour"
    assert not RAW_CONTROL.search(text), repr(RAW_CONTROL.search(text).group())


def assert_only_sgr(text):
    assert re.search(r"\x1b\[[0-9;]*m", text), "no colour at all: the test would prove nothing"
    assert NOT_SGR.findall(text) == [], [text[m.start():m.start() + 12] for m in NOT_SGR.finditer(text)][:3]
    assert not RAW_CONTROL.search(text.replace("\x1b", "")), repr(RAW_CONTROL.search(text.replace("\x1b", "")).group())


def without_sgr(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# ------------------------------------------------------------------ the function itself


@pytest.mark.parametrize("char, shown", [
    ("\x00", "\\x00"), ("\x07", "\\x07"), ("\x08", "\\x08"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"),
    ("\x1b", "\\x1b"), ("\x7f", "\\x7f"), ("\x85", "\\x85"), ("\x9b", "\\x9b"), ("\x9d", "\\x9d"),
    ("\u061c", "\\u061c"), ("\u200e", "\\u200e"), ("\u200f", "\\u200f"), ("\u202a", "\\u202a"),
    ("\u202e", "\\u202e"), ("\u2066", "\\u2066"), ("\u2069", "\\u2069"), ("\u2028", "\\u2028"),
    ("\ud800", "\\ud800"), ("\udfff", "\\udfff"),
])
def test_each_control_is_shown_as_an_escape(char, shown):
    assert visible("a%sb" % char) == "a%sb" % shown


def test_text_without_controls_is_unchanged():
    for text in ("node1.example.com", "麒麟 V10 (Lance)", "[bold]x[/]", "C:\\path", "emoji 😀", "é ñ ü"):
        assert visible(text) is text or visible(text) == text


def test_safe_json_text_keeps_the_value_and_sends_nothing_raw():
    value = {"host" + HOSTILE: [HOSTILE, "\ud800", "zh 主机", "\U0001f600"]}
    text = safe_json_text(json.dumps(value, ensure_ascii=False))
    assert json.loads(text) == value
    assert not RAW_CONTROL.search(text) and not re.search("[\ud800-\udfff]", text)
    text.encode("utf-8")                      # no lone surrogate left to refuse


# ------------------------------------------------------------------ analyze


def test_analyze_without_colour_shows_every_hostile_field_escaped(hostile_file):
    rc, out, err = hostcheck("analyze", str(hostile_file), "--no-color")
    assert rc == 1, err
    assert_plain(out)
    for field in ("vm",                       # hostname
                  "Docker 20.10.24+dfsg1",    # engine version
                  "hc-arm",                   # container name
                  "local/busybox:arm64",      # image tag (image tree)
                  "exec format error",        # container log line (container tree evidence)
                  "hcnet",                    # network name
                  "public",                   # firewalld zone
                  "qemu-arm"):                # binfmt_misc entry name
        assert field + SHOWN in out, field
    assert "OS " + SHOWN in out               # PRETTY_NAME
    assert MARKUP in out and "\\r\\u202e\\u2066\\u200f\\x9b31m\\x7f" in out
    assert out.count(SHOWN) >= 15


def test_analyze_on_a_terminal_sends_only_colour_sequences(hostile_file):
    rc, out, err = hostcheck_in_pty("analyze", str(hostile_file))
    assert rc == 1, err
    assert_only_sgr(out)
    plain = without_sgr(out)
    assert "hc-arm" + SHOWN in plain and MARKUP in plain


def test_analyze_forced_colour_and_quiet_stderr(hostile_file):
    rc, out, err = hostcheck("analyze", str(hostile_file), colour=True)
    assert rc == 1 and err == ""
    assert_only_sgr(out)
    assert "public" + SHOWN in without_sgr(out)


def test_analyze_json_keeps_the_values_and_writes_no_raw_control(hostile_file, tmp_path):
    rc, out, err = hostcheck("analyze", str(hostile_file), "--json")
    assert rc == 1, err
    assert_plain(out)                          # json.dumps escapes C0; C1 and bidi are escaped too
    report = json.loads(out)
    assert report["host"]["hostname"] == "vm" + HOSTILE     # the same value, not a mangled one
    rc, _, err = hostcheck("analyze", str(hostile_file), "--json", "-o", str(tmp_path / "r.json"))
    assert rc == 1, err
    assert_plain((tmp_path / "r.json").read_text(encoding="utf-8"))


def test_a_report_written_to_a_file_is_plain(hostile_file, tmp_path):
    rc, _, err = hostcheck("analyze", str(hostile_file), "-o", str(tmp_path / "r.txt"), colour=True)
    assert rc == 1, err
    text = (tmp_path / "r.txt").read_text(encoding="utf-8")
    assert_plain(text)
    assert "hc-arm" + SHOWN in text


# ------------------------------------------------------------------ image, net


@pytest.fixture(scope="module")
def hostile_archives(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archives")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode = len(ARM64_ELF_HEAD), 0o755
        tar.addfile(info, io.BytesIO(ARM64_ELF_HEAD))
    layer = buffer.getvalue()
    write_docker_archive(folder / "arm64.tar", layer, "arm64", "v8", "evil/app:1" + HOSTILE)
    write_docker_archive(folder / "no-platform.tar", layer, None, None, "evil/none:1" + HOSTILE)
    write_docker_archive(folder / "surrogate.tar", layer, "arm64", "v8", "evil/app:\ud800x")
    return folder


def test_image_archive_with_a_hostile_repo_tag(hostile_archives):
    archive = str(hostile_archives / "arm64.tar")
    rc, out, err = hostcheck("image", "--archive", archive, "--capture", str(CAPTURE), "--no-color")
    assert rc == 1, err
    assert_plain(out)
    assert "evil/app:1" + SHOWN in out and MARKUP in out
    rc, out, err = hostcheck("image", "--archive", archive, "--capture", str(CAPTURE), colour=True)
    assert rc == 1, err
    assert_only_sgr(out)
    rc, out, err = hostcheck("image", "--archive", archive, "--capture", str(CAPTURE), "--json")
    assert_plain(out)
    assert json.loads(out)["trees"][0]["subject"].startswith("evil/app:1" + HOSTILE)


def test_image_error_line_naming_a_hostile_tag_is_escaped(hostile_archives):
    rc, out, err = hostcheck("image", "--archive", str(hostile_archives / "no-platform.tar"),
                             "--capture", str(CAPTURE))
    assert rc == 3 and out == ""
    assert err.startswith("hostcheck: error: nothing to judge") and len(err.splitlines()) == 1
    assert_plain(err)
    assert "evil/none:1" + SHOWN in err


def test_image_archive_with_a_lone_surrogate_in_its_repo_tag(hostile_archives, tmp_path):
    archive = str(hostile_archives / "surrogate.tar")
    rc, out, err = hostcheck("image", "--archive", archive, "--capture", str(CAPTURE), "--no-color")
    assert rc == 1 and err == "", err
    assert "evil/app:\\ud800x" in out
    rc, out, err = hostcheck("image", "--archive", archive, "--capture", str(CAPTURE), "--json",
                             "-o", str(tmp_path / "r.json"))
    assert rc == 1 and err == "", err
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["trees"][0]["subject"].startswith("evil/app:\ud800x")


def test_net_egress_with_hostile_container_names(hostile_file):
    rc, out, err = hostcheck("net", "egress", "--capture", str(hostile_file), "--no-color")
    assert rc in (0, 1), err
    assert_plain(out)
    assert "hc-web" + SHOWN in out
    rc, out, err = hostcheck("net", "egress", "--capture", str(hostile_file), colour=True)
    assert rc in (0, 1), err
    assert_only_sgr(out)


def test_net_egress_naming_a_hostile_container(hostile_file):
    rc, out, err = hostcheck("net", "egress", "hc-web" + HOSTILE, "--capture", str(hostile_file), "--no-color")
    assert rc in (0, 1), err
    assert_plain(out)
    assert "hc-web" + SHOWN in out


def test_a_usage_error_quoting_a_hostile_argument_is_escaped(hostile_file):
    # "file:///…" in the payload makes DST look like IP:PORT: refused, and the refusal quotes it.
    rc, out, err = hostcheck("net", "reach", "hc-web", "hc-sleep" + HOSTILE, "--capture", str(hostile_file))
    assert rc == 2 and out == ""
    assert len(err.splitlines()) == 1 and "hc-sleep" in err
    assert_plain(err)


# ------------------------------------------------------------------ fleet


@pytest.fixture(scope="module")
def hostile_reports(hostile_file, tmp_path_factory):
    """A fleet directory: the hostile host's report, and a good one whose strings carry markup."""
    folder = tmp_path_factory.mktemp("fleet")
    rc, _, err = hostcheck("analyze", str(hostile_file), "--json", "-o", str(folder / "hostile.json"))
    assert rc == 1, err
    rc, _, err = hostcheck("analyze", str(CAPTURE), "--json", "-o", str(folder / "plain.json"))
    assert rc == 1, err
    report = json.loads((folder / "plain.json").read_text(encoding="utf-8"))
    marked = copy.deepcopy(report)
    marked["host"]["hostname"] = "[/]" + HOSTILE
    marked["host"]["kernel"]["release"] = "[link=file:///etc/shadow]k[/link]"
    for finding in marked["findings"]:
        finding["title"] = "[/][red]" + finding["title"] + HOSTILE + "<script>alert(1)</script>"
        finding["evidence"] = "[/]" + HOSTILE
        finding["subject"] = "s" + HOSTILE
        if finding.get("remediation"):
            finding["remediation"]["commands"] = ["echo [/]" + HOSTILE]
    for tree in marked["trees"]:
        tree["subject"] = "[/]" + HOSTILE
        tree["verdict"]["text"] = "[link=file:///etc/passwd]v[/link]" + HOSTILE
    (folder / "marked.json").write_text(json.dumps(marked), encoding="utf-8")
    return folder


def test_fleet_text_prints_markup_literally_and_no_escape_codes(hostile_reports):
    rc, out, err = hostcheck("fleet", str(hostile_reports), "--no-color")
    assert rc == 1, err
    assert_plain(out)
    assert "3 hosts" in out
    assert "vm" + SHOWN[:20] in out and "[/]\\x1b[2J" in out
    assert "[/][red]" in out                  # a title's markup, printed as is


def test_fleet_text_with_colour_sends_only_colour_sequences(hostile_reports):
    rc, out, err = hostcheck("fleet", str(hostile_reports), colour=True)
    assert rc == 1, err
    assert_only_sgr(out)
    assert "[/][red]" in without_sgr(out)


def test_fleet_html_escapes_everything(hostile_reports, tmp_path):
    page_path = tmp_path / "fleet.html"
    rc, out, err = hostcheck("fleet", str(hostile_reports), "--json", "--html", str(page_path))
    assert rc == 1, err
    assert_plain(out)
    page = page_path.read_text(encoding="utf-8")
    assert_plain(page)
    assert page.count("<script>") == 1 and "&lt;script&gt;alert(1)" in page   # only the page's own script
    assert "vm" + SHOWN in page and "[link=file:///etc/passwd]v[/link]" in page
    assert "echo [/]\\x1b[2J" in page


def test_fleet_names_a_hostile_file_name_escaped(hostile_reports, tmp_path):
    """File names are data too: a report directory can hold any name."""
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / ("evil\x1b]52;c;cm0K\x07\u202e.json")).write_text("PLAY RECAP\n", encoding="utf-8")
    rc, out, err = hostcheck("fleet", str(folder))          # the only input: exit 3 naming it
    assert rc == 3 and out == "" and len(err.splitlines()) == 1
    assert_plain(err)
    assert "evil\\x1b]52;c;cm0K\\x07\\u202e.json" in err
    (folder / "good.json").write_bytes((hostile_reports / "plain.json").read_bytes())
    rc, out, err = hostcheck("fleet", str(folder), "--no-color")
    assert rc == 1, err
    assert_plain(out)
    assert "evil\\x1b]52;c;cm0K\\x07\\u202e.json" in out


# ------------------------------------------------------------------ rules show


def test_rules_show_escapes_what_its_examples_quote():
    """The catalogue is ours, but an example's evidence quotes facts: rendered like a report's."""
    from rich.console import Console
    from hostcheck.judge import load_catalogue
    from hostcheck.report.catalogue_view import explain, render_lines

    rule = load_catalogue().rule("firewall-firewalld-state")
    data = explain(rule, "en")
    for example in data["examples"].values():
        for finding in (example or {}).get("findings", []):
            finding["evidence"] += HOSTILE
            finding["subject"] = "zone" + HOSTILE
    for colour in (False, True):
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=colour, color_system="truecolor" if colour else None,
                          width=120, markup=False, highlight=False)
        for line in render_lines(data, "en"):
            console.print(line)
        text = buffer.getvalue()
        assert_only_sgr(text) if colour else assert_plain(text)
        assert "zone" + SHOWN in without_sgr(text)


def test_rules_show_prints_plainly_in_a_pipe():
    rc, out, err = hostcheck("rules", "show", "firewall-firewalld-state")
    assert rc == 0, err
    assert_plain(out)

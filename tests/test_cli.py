"""The command line as users and playbooks meet it: exit codes, one-line errors, documents
that validate against the shipped schemas, and the same judgement live and from a capture."""

import inspect
import json
import os
import subprocess
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from hostcheck import __version__
from hostcheck.cli import cli
from hostcheck.data import read_text

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def runner():
    # click 8.1 (Python 3.9) mixes stderr into output unless told not to; 8.2 keeps them apart.
    if "mix_stderr" in inspect.signature(CliRunner).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


def run(*args, **kwargs):
    return runner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


def hostcheck_process(*args, **kwargs):
    """The real program in its own process: what a playbook sees, stderr included."""
    env = dict(os.environ, PYTHONPATH=REPO, LC_ALL="C.UTF-8", NO_COLOR="1")
    env.update(kwargs.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "hostcheck"] + list(args), cwd=kwargs.pop("cwd", REPO),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=120, **kwargs)


def validator(name):
    return jsonschema.Draft7Validator(json.loads(read_text("schema/%s.json" % name)))


@pytest.fixture(scope="module")
def capture_file(tmp_path_factory):
    """A real capture of this machine, taken once."""
    path = tmp_path_factory.mktemp("cap") / "capture.json"
    result = hostcheck_process("capture", "-o", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_version_is_exact_on_both_paths():
    result = run("--version")                      # click's option
    assert result.exit_code == 0
    assert result.output.strip() == "hostcheck %s" % __version__
    process = hostcheck_process("--version")       # the console script's early answer
    assert process.returncode == 0 and process.stdout == "hostcheck %s\n" % __version__


def test_default_command_is_check():
    result = hostcheck_process("--json", "--only", "kernel")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["findings"] and {f["area"] for f in report["findings"]} == {"kernel"}


@pytest.mark.parametrize("args", [["--no-such-option"], ["check", "--fail-on", "never"], ["check", "--lang", "fr"],
                                  ["check", "--timeout", "-1"], ["schema", "policy"], ["nonsense-command"]])
def test_usage_errors_exit_2_without_traceback(args):
    result = hostcheck_process(*args)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content, reason", [
    (None, "cannot read"),
    ("", "empty"),
    ('{"format": "hostcheck.capture/v1", "tool": {"name": "hostc', "not valid JSON"),
    ("uname -a\nLinux node1 4.19.90\n", "not valid JSON"),
    ('{"format": "hostcheck.report/v1"}', "is a hostcheck report"),
    ('{"format": "sosreport/v3"}', "not a hostcheck capture"),
    ('["hostcheck.capture/v1"]', "not a hostcheck capture"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
])
def test_analyze_bad_input_is_one_line_and_exit_3(tmp_path, content, reason):
    path = tmp_path / "input.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = hostcheck_process("analyze", str(path))
    assert result.returncode == 3, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], result.stderr
    assert result.stdout == ""


def test_schema_command_prints_the_shipped_schemas():
    for name in ("capture", "report"):
        result = run("schema", name)
        assert result.exit_code == 0
        schema = json.loads(result.output)
        jsonschema.Draft7Validator.check_schema(schema)
        assert name in schema["title"]


def test_capture_validates_against_schema(capture_file):
    doc = json.loads(capture_file.read_text())
    validator("capture").validate(doc)
    assert doc["format"] == "hostcheck.capture/v1"
    assert doc["uname"]["release"] == os.uname().release


def test_analyze_json_validates_and_describes_this_machine(capture_file):
    result = run("analyze", str(capture_file), "--json", "--lang", "en")
    assert result.exit_code in (0, 1)
    report = json.loads(result.output)
    validator("report").validate(report)
    assert report["host"]["kernel"]["release"] == os.uname().release
    assert report["host"]["arch"]["machine"] == os.uname().machine
    assert report["findings"], "a report of a real host has findings"
    counted = sum(report["summary"].values())
    assert counted == len(report["findings"])


def test_exit_code_follows_fail_on(capture_file):
    report = json.loads(run("analyze", str(capture_file), "--json").output)
    statuses = {f["status"] for f in report["findings"]} | {t["verdict"]["status"] for t in report["trees"]}
    for level, counted in (("fail", {"fail", "error"}), ("warn", {"warn", "fail", "error"}),
                           ("info", {"info", "warn", "fail", "error"})):
        expected = 1 if statuses & counted else 0
        assert run("analyze", str(capture_file), "--json", "--fail-on", level).exit_code == expected, level


def test_only_and_skip_select_rules_and_areas(capture_file):
    full = json.loads(run("analyze", str(capture_file), "--json").output)
    areas = sorted({f["area"] for f in full["findings"]})
    one_area = areas[0]
    only = json.loads(run("analyze", str(capture_file), "--json", "--only", one_area).output)
    assert {f["area"] for f in only["findings"]} == {one_area}
    some_id = full["findings"][0]["id"]
    skipped = json.loads(run("analyze", str(capture_file), "--json", "--skip", some_id).output)
    assert some_id not in {f["id"] for f in skipped["findings"]}
    assert len(skipped["findings"]) < len(full["findings"])


def test_chinese_changes_words_not_ids(capture_file):
    en = json.loads(run("analyze", str(capture_file), "--json", "--lang", "en").output)
    zh = json.loads(run("analyze", str(capture_file), "--json", "--lang", "zh").output)
    key = lambda r: [(f["id"], f.get("subject"), f["status"], f["area"]) for f in r["findings"]]
    assert key(en) == key(zh)
    assert en["facts"] == zh["facts"]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in f["title"]) for f in zh["findings"])
    assert [f["title"] for f in en["findings"]] != [f["title"] for f in zh["findings"]]


def test_language_defaults_from_locale(capture_file):
    result = hostcheck_process("analyze", str(capture_file), "--no-color", env={"LC_ALL": "zh_CN.UTF-8"})
    assert result.returncode in (0, 1), result.stderr
    assert "检查报告" in result.stdout


def test_text_report_is_grouped_and_actionable(capture_file):
    result = hostcheck_process("analyze", str(capture_file), "--no-color")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(hostcheck_process("analyze", str(capture_file), "--json").stdout)
    text = result.stdout
    assert os.uname().release in text
    for finding in report["findings"]:
        assert finding["id"] in text
        if finding["status"] in ("warn", "fail") and finding["remediation"] and finding["remediation"]["commands"]:
            assert finding["remediation"]["commands"][0] in text
    assert "\x1b[" not in text, "--no-color prints no escape codes"


def test_output_file_holds_what_stdout_would(capture_file, tmp_path):
    out = tmp_path / "report.json"
    result = run("analyze", str(capture_file), "--json", "-o", str(out))
    assert result.output == ""
    report = json.loads(out.read_text())
    validator("report").validate(report)


def test_unwritable_output_is_exit_3(capture_file, tmp_path):
    result = hostcheck_process("analyze", str(capture_file), "--json", "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot write" in result.stderr


def test_live_check_and_capture_then_analyze_agree(tmp_path):
    """SPEC: everything after capture is a pure function of the capture document."""
    live = hostcheck_process("check", "--json")
    assert live.returncode in (0, 1), live.stderr
    capture = tmp_path / "c.json"
    assert hostcheck_process("capture", "-o", str(capture)).returncode == 0
    replay = hostcheck_process("analyze", str(capture), "--json")
    live_report, replay_report = json.loads(live.stdout), json.loads(replay.stdout)
    for report in (live_report, replay_report):
        validator("report").validate(report)
    key = lambda r: sorted((f["id"], f.get("subject") or "", f["status"]) for f in r["findings"])
    assert key(live_report) == key(replay_report)
    assert live.returncode == replay.returncode


def test_rules_list_and_show():
    listed = json.loads(run("rules", "list", "--json").output)
    assert listed["rules"]
    first = listed["rules"][0]["id"]
    shown = run("rules", "show", first, "--lang", "en")
    assert shown.exit_code == 0 and first in shown.output
    zh = run("rules", "show", first, "--lang", "zh")
    assert zh.exit_code == 0 and "依据" in zh.output
    missing = hostcheck_process("rules", "show", "no-such-rule")
    assert missing.returncode == 2 and "no rule" in missing.stderr and "Traceback" not in missing.stderr


# ------------------------------------------------------------------ bounded inputs, whole outputs

SYSTEM_CAPTURE = os.path.join(REPO, "tests", "data", "captures", "debian12-this-machine.json")


def limit_file_size(size):
    """preexec_fn: writes beyond `size` bytes fail with EFBIG (a full disk, without one)."""
    import resource
    import signal

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


def one_line_exit_3(result, words):
    assert result.returncode == 3, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hostcheck: error: ") and words in lines[0], result.stderr
    assert "internal error" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("kind, words", [
    ("fifo", "is a FIFO, not a regular file"),
    ("zero", "is a character device, not a regular file"),
    ("socket", "is a socket, not a regular file"),
    ("huge", "is larger than 64 MiB, the limit for a capture (100 MiB)"),
])
def test_analyze_reads_only_a_regular_file_of_bounded_size(tmp_path, kind, words):
    """A FIFO would block the read forever and /dev/zero never ends: refused before reading."""
    import socket
    path = tmp_path / "capture.json"
    if kind == "fifo":
        os.mkfifo(str(path))
    elif kind == "zero":
        os.symlink("/dev/zero", str(path))
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
    else:
        with open(str(path), "wb") as handle:
            handle.truncate(100 * 1024 * 1024)      # sparse
    one_line_exit_3(hostcheck_process("analyze", str(path)), words)
    one_line_exit_3(hostcheck_process("image", "x", "--capture", str(path)), words)


def nested(levels):
    return '{"format": "hostcheck.capture/v1", "deep": %s%s}' % ("[" * levels, "]" * levels)


@pytest.mark.parametrize("levels", [65, 500, 1000, 100000])
def test_analyze_refuses_json_nested_too_deeply(tmp_path, levels):
    path = tmp_path / "deep.json"
    path.write_text(nested(levels))
    words = "nests JSON deeper than 64 levels"
    one_line_exit_3(hostcheck_process("analyze", str(path)), words)
    one_line_exit_3(hostcheck_process("analyze", str(path), "--redact", "--json"), words)
    one_line_exit_3(hostcheck_process("analyze", "-", input=nested(levels)), "stdin " + words)


def test_nesting_at_the_limit_is_judged(tmp_path):
    doc = json.loads(open(SYSTEM_CAPTURE, encoding="utf-8").read())
    doc["files"]["/etc/x"] = {"content": "", "deep": json.loads("[" * 61 + "]" * 61)}   # 64 levels in all
    path = tmp_path / "capture.json"
    path.write_text(json.dumps(doc))
    result = hostcheck_process("analyze", str(path), "--redact", "--json")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["format"] == "hostcheck.report/v1"


def test_lone_surrogates_give_a_report_not_an_encoding_error(tmp_path):
    """"\\ud800" is valid JSON that UTF-8 cannot encode: it becomes U+FFFD when read."""
    text = open(SYSTEM_CAPTURE, encoding="utf-8").read()
    text = text.replace('"nodename": "vm"', '"nodename": "vm\\ud800"').replace(
        '"/hc-arm"', '"/hc-\\udfffarm"')
    assert "\\ud800" in text and "\\udfff" in text
    path = tmp_path / "capture.json"
    path.write_text(text)
    for args in (["--no-color"], ["--json"], ["--json", "--redact"], ["--no-color", "--redact"]):
        result = hostcheck_process("analyze", str(path), *args)
        assert result.returncode in (0, 1) and result.stderr == "", (args, result.stderr)
    report = json.loads(hostcheck_process("analyze", str(path), "--json").stdout)
    assert report["host"]["hostname"] == "vm\ufffd"
    out = tmp_path / "report.json"
    result = hostcheck_process("analyze", str(path), "--json", "-o", str(out))
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["host"]["hostname"] == "vm\ufffd"


def test_a_failing_output_leaves_no_file_behind(capture_file, tmp_path):
    """EFBIG past 4 KiB stands for a full disk: one line, exit 3, no truncated report, and an
    older report at that path is left as it was."""
    out = tmp_path / "report.json"
    result = hostcheck_process("analyze", str(capture_file), "--json", "-o", str(out),
                               preexec_fn=limit_file_size(4096))
    one_line_exit_3(result, "cannot write %s: File too large" % out)
    assert os.listdir(str(tmp_path)) == []
    out.write_text("{}\n")
    result = hostcheck_process("analyze", str(capture_file), "-o", str(out), preexec_fn=limit_file_size(4096))
    one_line_exit_3(result, "cannot write")
    assert os.listdir(str(tmp_path)) == ["report.json"] and out.read_text() == "{}\n"


def test_output_through_a_symlink_a_device_and_the_umask(capture_file, tmp_path):
    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    result = hostcheck_process("analyze", str(capture_file), "--json", "-o", str(link))
    assert result.returncode in (0, 1), result.stderr
    assert link.is_symlink() and json.loads(real.read_text())["format"] == "hostcheck.report/v1"
    assert sorted(os.listdir(str(tmp_path))) == ["link.json", "real.json"]
    fresh = tmp_path / "fresh.json"
    result = hostcheck_process("analyze", str(capture_file), "--json", "-o", str(fresh),
                               preexec_fn=lambda: os.umask(0o027))
    assert result.returncode in (0, 1), result.stderr
    assert oct(os.stat(str(fresh)).st_mode & 0o777) == oct(0o640)   # as open() would have made it
    # /dev/null (and /dev/stdout, a FIFO…) is written to, never replaced by a file
    result = hostcheck_process("analyze", str(capture_file), "--json", "-o", "/dev/null")
    assert result.returncode in (0, 1), result.stderr
    import stat
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    result = hostcheck_process("analyze", str(capture_file), "--json", "-o", "/dev/stdout")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["format"] == "hostcheck.report/v1"

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
    """SPEC: everything after capture is a pure function of the capture document.

    The live host may change between the two runs (other tests start containers and touch
    iptables), so a difference is retried: a real divergence between check and analyze
    shows in every attempt, a host that moved in between does not."""
    key = lambda r: sorted((f["id"], f.get("subject") or "", f["status"]) for f in r["findings"])
    for attempt in range(3):
        live = hostcheck_process("check", "--json")
        assert live.returncode in (0, 1), live.stderr
        capture = tmp_path / "c.json"
        assert hostcheck_process("capture", "-o", str(capture)).returncode == 0
        replay = hostcheck_process("analyze", str(capture), "--json")
        live_report, replay_report = json.loads(live.stdout), json.loads(replay.stdout)
        for report in (live_report, replay_report):
            validator("report").validate(report)
        if key(live_report) == key(replay_report) and live.returncode == replay.returncode:
            return
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


# ------------------------------------------------------------------ filters, summary, formats, options

# A real capture with two failing image trees (arm64 images on an amd64 host without QEMU),
# two native ones, and one failing finding.
PROBES = os.path.join(REPO, "tests", "data", "systems", "debian12-probes.json")


def report_of(*args):
    result = run("analyze", PROBES, "--json", "--lang", "en", *args)
    assert result.exit_code in (0, 1), (result.output, result.stderr)
    report = json.loads(result.stdout)
    validator("report").validate(report)
    return report, result.exit_code


def shown_statuses(report):
    return [f["status"] for f in report["findings"]] + [t["verdict"]["status"] for t in report["trees"]]


def counts(statuses):
    summary = dict.fromkeys(("pass", "info", "warn", "fail", "skip", "error"), 0)
    for status in statuses:
        summary[status] += 1
    return summary


def test_the_fixture_has_failing_trees_and_findings():
    report, code = report_of()
    assert {t["verdict"]["id"] for t in report["trees"] if t["verdict"]["status"] == "fail"} == {"needs-remediation"}
    assert {t["verdict"]["status"] for t in report["trees"]} == {"pass", "fail"}
    assert any(f["status"] == "fail" for f in report["findings"]) and code == 1


def test_only_a_rule_leaves_the_tree_verdicts_out():
    """Issue 11: a foreign-architecture image failed `check --only network-mtu`."""
    report, code = report_of("--only", "network-mtu")
    assert {f["id"] for f in report["findings"]} == {"network-mtu"}
    assert report["trees"] == [] and report["tree_summary"] == counts([])
    assert code == (1 if "fail" in shown_statuses(report) else 0)


@pytest.mark.parametrize("selection, keep", [
    (["--skip", "needs-remediation"], lambda t: t["verdict"]["id"] != "needs-remediation"),
    (["--only", "image/native"], lambda t: t["verdict"]["id"] == "native"),
    (["--only", "hc-test/busybox:arm64"], lambda t: t["subject"] == "hc-test/busybox:arm64"),
    (["--only", "image"], lambda t: True),                         # the image area (and tree)
    (["--skip", "image"], lambda t: False),
    (["--skip", "hc-test/busybox:arm64,container hc-test-75ebf6ed63 (hc-test/busybox:arm64)"],
     lambda t: "arm64" not in t["subject"]),
])
def test_trees_are_selected_by_tree_verdict_subject_and_area(selection, keep):
    full, _ = report_of()
    report, code = report_of(*selection)
    assert report["trees"] == [t for t in full["trees"] if keep(t)]
    assert report["trees"] or selection[-1] in ("image",)          # (--skip image leaves none)


@pytest.mark.parametrize("selection", [[], ["--only", "kernel,image/needs-remediation"], ["--skip", "needs-remediation"],
                                       ["--only", "network-mtu"], ["--skip", "runtime,image"]])
def test_summary_tree_summary_and_exit_code_count_what_is_shown(selection):
    report, code = report_of(*selection)
    assert report["summary"] == counts(f["status"] for f in report["findings"])
    assert report["tree_summary"] == counts(t["verdict"]["status"] for t in report["trees"])
    for fail_on in ("fail", "warn", "info"):
        expected = 1 if any(s == "error" or (s != "skip" and s != "pass" and
                                             ("fail", "warn", "info").index(s) <= ("fail", "warn", "info").index(fail_on))
                            for s in shown_statuses(report)) else 0
        assert run("analyze", PROBES, "--json", "--fail-on", fail_on, *selection).exit_code == expected, fail_on


@pytest.mark.parametrize("args, named, nearest", [
    (["--skip", "network-mtu2"], "--skip network-mtu2", "network-mtu"),
    (["--only", "kernal"], "--only kernal", "kernel"),
    (["--only", "nosuchrule"], "--only nosuchrule", None),
    (["--only", "kernel", "--skip", "needs-remediaton"], "--skip needs-remediaton", "needs-remediation"),
    (["--only", "image/nativ"], "--only image/nativ", "image/native"),
    (["--skip", "zzzz"], "--skip zzzz", None),
])
def test_unknown_ids_are_a_usage_error_naming_the_nearest(args, named, nearest):
    result = hostcheck_process("analyze", PROBES, *args)
    assert result.returncode == 2 and result.stdout == "", result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hostcheck: error: unknown id: ") and named in lines[0]
    if nearest:
        assert "did you mean %s" % nearest in lines[0]
    else:
        assert "did you mean" not in lines[0]


def test_text_summary_counts_findings_and_trees_with_plurals():
    report, _ = report_of()
    text = run("analyze", PROBES, "--no-color", "--lang", "en").stdout
    summary = next(line for line in text.splitlines() if line.startswith("Summary: "))
    s, t = report["summary"], report["tree_summary"]
    assert summary == "Summary: findings %d failed, %d warnings, %d info, %d passed, %d skipped · trees %d failed, %d passed" % (
        s["fail"], s["warn"], s["info"], s["pass"], s["skip"], t["fail"], t["pass"])
    warn_id = next(f["id"] for f in report["findings"] if f["status"] == "warn")
    one = run("analyze", PROBES, "--no-color", "--lang", "en", "--only", warn_id).stdout
    assert "findings 0 failed, 1 warning, 0 info" in one and "1 warnings" not in one and "· trees" not in one
    zh = run("analyze", PROBES, "--no-color", "--lang", "zh").stdout
    assert "汇总：检查项 失败 %d，警告 %d" % (s["fail"], s["warn"]) in zh and "决策树结论 失败 %d" % t["fail"] in zh


def test_quiet_shows_what_is_not_a_pass_and_counts_the_rest():
    report, code = report_of()
    full = run("analyze", PROBES, "--no-color", "--lang", "en")
    quiet = run("analyze", PROBES, "--no-color", "--lang", "en", "-q")
    assert quiet.exit_code == full.exit_code == code
    text = quiet.stdout
    assert " PASS " not in text and " PASS " in full.stdout
    for rule_id in {f["id"] for f in report["findings"]}:
        not_passed = any(f["id"] == rule_id and f["status"] != "pass" for f in report["findings"])
        assert ("[%s]" % rule_id in text) == not_passed, rule_id
    for tree in report["trees"]:
        tag = "[image/%s]" % tree["verdict"]["id"]
        assert (tag in text) == (tree["verdict"]["status"] != "pass")
    assert "Not shown (-q): %d passed findings, %d passed tree verdicts." % (
        report["summary"]["pass"], report["tree_summary"]["pass"]) in text
    assert len(text.splitlines()) < len(full.stdout.splitlines()) - report["summary"]["pass"] + 1
    # the documents are complete whatever -q says
    assert json.loads(run("analyze", PROBES, "--json", "-q").stdout)["findings"] == report["findings"]


def test_format_json_is_json_and_two_formats_are_a_usage_error():
    by_flag = json.loads(run("analyze", PROBES, "--json").stdout)
    by_format = json.loads(run("analyze", PROBES, "--format", "json").stdout)
    for doc in (by_flag, by_format):
        doc.pop("generated_at")
    assert by_flag == by_format
    result = hostcheck_process("analyze", PROBES, "--json", "--format", "junit")
    assert result.returncode == 2 and "two formats" in result.stderr and result.stdout == ""
    assert run("analyze", PROBES, "--format", "yaml").exit_code == 2


@pytest.mark.parametrize("word", ["json", "text", "junit", "xml"])
def test_o_is_a_path_and_never_a_format_word(tmp_path, word):
    result = hostcheck_process("analyze", PROBES, "-o", word, cwd=str(tmp_path))
    assert result.returncode == 2 and os.listdir(str(tmp_path)) == []
    assert "-o takes a path" in result.stderr and "./%s" % word in result.stderr
    result = hostcheck_process("analyze", PROBES, "--json", "-o", "./" + word, cwd=str(tmp_path))
    assert result.returncode == 1 and os.listdir(str(tmp_path)) == [word]
    assert json.loads((tmp_path / word).read_text())["format"] == "hostcheck.report/v1"


def test_timeout_is_offered_only_where_a_probe_runs():
    result = hostcheck_process("analyze", PROBES, "--timeout", "3")
    assert result.returncode == 2 and "No such option" in result.stderr
    assert "--timeout" not in run("analyze", "--help").stdout
    for command in (["check"], ["image"], ["net", "egress"]):
        assert "--timeout" in run(*(command + ["--help"])).stdout, command


def test_version_short_and_long():
    for flag in ("-V", "--version"):
        assert run(flag).stdout == "hostcheck %s\n" % __version__
    assert hostcheck_process("-V").stdout == "hostcheck %s\n" % __version__


def test_common_options_before_the_command_name(tmp_path):
    listing = hostcheck_process("--no-color", "rules", "list", env={"NO_COLOR": "", "TERM": "xterm"})
    assert listing.returncode == 0 and "arch-host-platform" in listing.stdout and "\x1b" not in listing.stdout
    shown = run("--lang", "zh", "rules", "show", "network-mtu", "--no-color")
    assert shown.exit_code == 0 and "依据" in shown.stdout
    assert run("rules", "show", "network-mtu", "--no-color").exit_code == 0
    zh = run("--lang", "zh", "--no-color", "analyze", PROBES)
    assert zh.exit_code == 1 and "检查报告" in zh.stdout
    # the command's own option wins over the one before its name
    en = json.loads(run("--lang", "zh", "analyze", PROBES, "--lang", "en", "--json").stdout)
    assert en["lang"] == "en"
    # lists add up: --skip before and after
    both = json.loads(run("--skip", "kernel", "analyze", PROBES, "--skip", "image", "--json").stdout)
    assert not {f["area"] for f in both["findings"]} & {"kernel", "image"} and both["trees"] == []
    # options that take a value are not mistaken for the command (--only image)
    only_image = json.loads(run("--only", "image", "--json", "analyze", PROBES).stdout)
    assert only_image["trees"] and all(f["area"] == "image" for f in only_image["findings"])
    for args in (["--no-color", "schema", "report"], ["--lang", "zh", "schema", "capture"],
                 ["--no-color", "--lang", "en", "rules", "list", "--json"]):
        assert run(*args).exit_code == 0, args
    fleet_dir = tmp_path / "fleet"
    fleet_dir.mkdir()
    assert run("analyze", PROBES, "--json", "-o", str(fleet_dir / "a.json")).exit_code == 1
    fleet = run("--lang", "zh", "--no-color", "fleet", str(fleet_dir))
    assert fleet.exit_code == 1 and "集群视图" in fleet.stdout
    # an option the command does not take is its usage error
    refused = hostcheck_process("--fail-on", "warn", "rules", "list")
    assert refused.returncode == 2 and "No such option" in refused.stderr and "Traceback" not in refused.stderr


def test_a_command_asked_about_a_subject_keeps_its_tree_under_a_rule_filter():
    """`image REF` and `net …` walk the trees asked for: --only with a rule id or an area narrows
    the findings beside them; naming the tree, verdict or subject selects trees."""
    ref = "hc-test/busybox:arm64"

    def image(*args):
        result = run("image", ref, "--capture", PROBES, "--json", *args)
        assert result.exit_code in (0, 1), result.stderr
        return json.loads(result.stdout), result.exit_code

    report, code = image("--only", "kernel")
    assert [t["subject"] for t in report["trees"]] == [ref] and code == 1
    assert {f["area"] for f in report["findings"]} == {"kernel"}
    report, code = image("--skip", "needs-remediation")
    assert report["trees"] == [] and code == (1 if "fail" in shown_statuses(report) else 0)
    report, _ = image("--only", "image/native")
    assert report["trees"] == []

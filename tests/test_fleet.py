"""`hostcheck fleet` over real reports: the reports are made in the test by judging the
real system captures (tests/data/systems/*.json) with `hostcheck analyze --json`, and the
view is checked against what those reports say — the worst status per area, the hosts
per rule, the OS/platform groups — plus skipped bad inputs, exit codes, the schema, and a
self-contained HTML page."""

import collections
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import jsonschema
import pytest

from hostcheck.data import read_text
from hostcheck.fleet import collect
from hostcheck.report import STATUS_RANK

from test_cli import hostcheck_process, limit_file_size, run

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEMS = sorted(p for p in glob.glob(os.path.join(REPO, "tests/data/systems/*.json"))
                 if not p.endswith(".expect.json"))
FLEET_SCHEMA = jsonschema.Draft7Validator(json.loads(read_text("schema/fleet.json")))


def judge(capture, out, lang="en"):
    result = run("analyze", capture, "--json", "--lang", lang, "-o", str(out))
    assert result.exit_code in (0, 1), result.output
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """{path: report document} for every real system capture, judged in English."""
    folder = tmp_path_factory.mktemp("reports")
    return {str(folder / (os.path.basename(c))): judge(c, folder / os.path.basename(c)) for c in SYSTEMS}


@pytest.fixture(scope="module")
def report_dir(reports):
    return os.path.dirname(next(iter(reports)))


def fleet_json(*args):
    result = run("fleet", "--json", *args)
    assert result.exit_code in (0, 1), (result.output, result.stderr)
    doc = json.loads(result.stdout)
    FLEET_SCHEMA.validate(doc)
    return doc, result


def shown_hostname(report):
    """The fleet's name for a host: "?" when its capture has no uname (assembled fixtures)."""
    return report["host"]["hostname"] or "?"


def worst(statuses):
    statuses = list(statuses)
    return max(statuses, key=STATUS_RANK.__getitem__) if statuses else None


def expected_areas(report):
    """Worst status per area, worked out from the report alone."""
    by_area = collections.defaultdict(list)
    for finding in report["findings"]:
        by_area[finding["area"]].append(finding["status"])
    for tree in report["trees"]:
        by_area["image" if tree["tree"] == "image" else "network"].append(tree["verdict"]["status"])
    return {area: worst(statuses) for area, statuses in by_area.items()}


def test_fixture_reports_are_varied(reports):
    """The test means something only if the fleet holds failing and passing areas alike."""
    statuses = {s for r in reports.values() for s in expected_areas(r).values()}
    assert {"fail", "warn", "pass", "skip"} <= statuses
    assert len({r["host"]["os"]["id"] for r in reports.values()}) >= 6


def test_matrix_is_each_report_worst_status_per_area(reports, report_dir):
    doc, _ = fleet_json(report_dir)
    assert doc["summary"]["hosts"] == len(reports) == len(doc["hosts"])
    assert doc["areas"][:3] == ["arch", "kernel", "binfmt"]
    rows = {host["source"]: host for host in doc["hosts"]}
    for path, report in reports.items():
        row = rows[path]
        assert row["hostname"] == shown_hostname(report)
        assert row["os"] == report["host"]["os"]
        assert row["platform"] == report["host"]["arch"]["platform"]
        assert row["kernel"] == report["host"]["kernel"]["release"]
        assert row["areas"] == expected_areas(report), path
        assert row["worst"] == worst(expected_areas(report).values())
        assert row["summary"] == report["summary"]
        # every finding that asks for attention is kept, with its title and fix as judged
        kept = {(f["id"], f["status"], f["title"], f["evidence"]) for f in row["findings"]}
        assert kept == {(f["id"], f["status"], f["title"], f["evidence"]) for f in report["findings"]
                        if f["status"] not in ("pass", "skip")}


def test_per_rule_names_every_host_under_its_worst_status(reports, report_dir):
    doc, _ = fleet_json(report_dir)
    expected = collections.defaultdict(lambda: collections.defaultdict(list))
    for report in reports.values():
        per_rule = collections.defaultdict(list)
        for finding in report["findings"]:
            per_rule[finding["id"]].append(finding["status"])
        for rule_id, statuses in per_rule.items():
            status = worst(statuses)
            if status in ("error", "fail", "warn", "info"):
                expected[rule_id][status].append(shown_hostname(report))
    got = {entry["id"]: entry for entry in doc["per_rule"] if entry["kind"] == "rule"}
    assert set(got) == set(expected)
    for rule_id, by_status in expected.items():
        for status in ("error", "fail", "warn", "info"):
            assert sorted(got[rule_id]["hosts"][status]) == sorted(by_status[status]), (rule_id, status)
            assert got[rule_id]["counts"][status] == len(by_status[status])
    # the worst rules come first
    order = [(e["counts"]["error"], e["counts"]["fail"], e["counts"]["warn"]) for e in doc["per_rule"]]
    assert order == sorted(order, reverse=True)
    assert doc["per_rule"][0]["counts"]["fail"] >= 1


def test_tree_verdicts_count_per_rule_and_in_the_image_column(reports, report_dir):
    failing = [(shown_hostname(r), t["verdict"]["id"]) for r in reports.values() for t in r["trees"]
               if t["verdict"]["status"] == "fail"]
    if not failing:
        pytest.skip("no fixture report has a failing image tree")
    doc, _ = fleet_json(report_dir)
    trees = {e["id"]: e for e in doc["per_rule"] if e["kind"] == "tree"}
    for hostname, verdict in failing:
        assert hostname in trees["image/" + verdict]["hosts"]["fail"]
        assert any(h["areas"].get("image") == "fail" for h in doc["hosts"] if h["hostname"] == hostname)


def test_groups_count_hosts_by_os_and_platform(reports, report_dir):
    doc, _ = fleet_json(report_dir)
    expected = collections.Counter((r["host"]["os"]["name"], r["host"]["os"]["version"],
                                    r["host"]["arch"]["platform"]) for r in reports.values())
    got = {(g["os"]["name"], g["os"]["version"], g["platform"]): g["hosts"] for g in doc["groups"]}
    assert got == dict(expected)
    assert sum(sum(g["worst"].values()) for g in doc["groups"]) == len(reports)


def test_text_view_lists_hosts_per_rule_and_truncates(reports, tmp_path):
    """Six hosts failing one rule: four named, then "+2 more"."""
    failing = next(r for r in reports.values() if r["summary"]["fail"])
    rule_id = next(f["id"] for f in failing["findings"] if f["status"] == "fail")
    for n in range(6):
        doc = dict(failing, host=dict(failing["host"], hostname="node-%d" % n))
        (tmp_path / ("node-%d.json" % n)).write_text(json.dumps(doc), encoding="utf-8")
    result = run("fleet", str(tmp_path), "--no-color", "-o", str(tmp_path / "view.txt"))
    assert result.exit_code == 1
    text = (tmp_path / "view.txt").read_text(encoding="utf-8")
    line = next(l for l in text.splitlines() if l.lstrip().startswith(rule_id))
    assert "node-0, node-1, node-2, node-3 +2 more" in line
    assert "node-5" in text  # its matrix row
    assert "6 hosts · 6 with a failure" in text


def test_text_view_shows_the_matrix_and_groups(report_dir):
    result = run("fleet", report_dir, "--no-color", "--lang", "en")
    assert result.exit_code == 1
    out = result.stdout
    assert "Hosts × areas" in out and "Rules that do not pass" in out and "Hosts by OS and platform" in out
    row = next(l for l in out.splitlines() if l.startswith("tektutor "))
    assert "centos 7.9.2009" in row and "linux/amd64" in row and "FAIL" in row
    assert "\x1b[" not in out


def make_bad_inputs(folder, reports, systems_capture):
    """Files a fleet directory really ends up holding besides reports."""
    a_report = json.dumps(next(iter(reports.values())), indent=2)
    (folder / "truncated.json").write_text(a_report[: len(a_report) // 2], encoding="utf-8")
    (folder / "empty.json").write_text("", encoding="utf-8")
    (folder / "junk.json").write_text("PLAY RECAP *****\nnode1 : ok=3 changed=0\n", encoding="utf-8")
    (folder / "list.json").write_text("[1, 2]", encoding="utf-8")
    (folder / "latin1.json").write_bytes(b'{"format": "caf\xe9"}')
    shutil.copy(systems_capture, str(folder / "capture.json"))
    bad_status = json.loads(a_report)
    bad_status["findings"][0]["status"] = "broken"
    (folder / "bad-status.json").write_text(json.dumps(bad_status), encoding="utf-8")
    (folder / "notes.txt").write_text("not read: not *.json", encoding="utf-8")


def test_bad_inputs_are_skipped_with_one_line_each(reports, report_dir, tmp_path):
    make_bad_inputs(tmp_path, reports, SYSTEMS[0])
    doc, result = fleet_json(report_dir, str(tmp_path))
    assert doc["summary"]["hosts"] == len(reports)
    reasons = {os.path.basename(s["path"]): s["reason"] for s in doc["skipped"]}
    assert set(reasons) == {"truncated.json", "empty.json", "junk.json", "list.json", "latin1.json",
                            "capture.json", "bad-status.json"}
    assert "not valid JSON" in reasons["truncated.json"] and "truncated?" in reasons["truncated.json"]
    assert reasons["empty.json"] == "empty file"
    assert "not valid JSON" in reasons["junk.json"]
    assert "list" in reasons["list.json"]
    assert "UTF-8" in reasons["latin1.json"]
    assert "a capture, not a report" in reasons["capture.json"] and "hostcheck analyze" in reasons["capture.json"]
    assert "'broken'" in reasons["bad-status.json"]
    assert all("\n" not in r for r in reasons.values())
    assert "skipped 7 inputs" in result.stderr
    text = run("fleet", report_dir, str(tmp_path), "--no-color").stdout
    assert "Skipped inputs" in text and "empty file" in text


def test_no_usable_report_exits_3_with_one_line(reports, tmp_path):
    make_bad_inputs(tmp_path, reports, SYSTEMS[0])
    result = hostcheck_process("fleet", str(tmp_path))
    assert result.returncode == 3
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no usable hostcheck report among 7 input files" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("make", ["missing", "empty-dir"])
def test_missing_path_or_nothing_to_read_exits_3(report_dir, tmp_path, make):
    if make == "missing":
        args, words = [report_dir, str(tmp_path / "no-such-dir")], "no such file or directory"
    else:
        (tmp_path / "empty").mkdir()
        args, words = [str(tmp_path / "empty")], "no .json files in"
    result = hostcheck_process("fleet", *args)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("hostcheck: error: ") and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_path_is_a_usage_error():
    assert run("fleet").exit_code == 2


def test_exit_code_follows_fail_on(reports, tmp_path):
    by_worst = collections.defaultdict(list)
    for path, report in reports.items():
        by_worst[worst(expected_areas(report).values())].append(path)
    warn_only = tmp_path / "warn"
    warn_only.mkdir()
    shutil.copy(by_worst["warn"][0], str(warn_only))
    assert run("fleet", str(warn_only), "--json").exit_code == 0
    assert run("fleet", str(warn_only), "--json", "--fail-on", "warn").exit_code == 1
    assert run("fleet", str(warn_only), "--json", "--fail-on", "info").exit_code == 1
    doc, result = fleet_json(by_worst["fail"][0], str(warn_only))
    assert result.exit_code == 1 and doc["summary"]["at_or_above_fail_on"] == 1
    doc, result = fleet_json("--fail-on", "warn", by_worst["fail"][0], str(warn_only))
    assert doc["summary"]["at_or_above_fail_on"] == 2


def test_directories_are_walked_recursively_once_per_file(reports, report_dir, tmp_path):
    nested = tmp_path / "site-a" / "rack-1"
    nested.mkdir(parents=True)
    for path in list(reports)[:3]:
        shutil.copy(path, str(nested))
    doc, _ = fleet_json(str(tmp_path), str(nested), str(nested / os.path.basename(list(reports)[0])))
    assert doc["summary"]["hosts"] == 3


def test_reports_keep_their_language_and_the_page_translates_its_own(reports, tmp_path):
    """A host judged in Chinese keeps its Chinese titles under English labels, and back."""
    judge(SYSTEMS[0], tmp_path / "zh-host.json", lang="zh")
    zh_report = json.loads((tmp_path / "zh-host.json").read_text(encoding="utf-8"))
    zh_title = next(f["title"] for f in zh_report["findings"] if f["status"] in ("fail", "warn"))
    assert re.search("[\u4e00-\u9fff]", zh_title)
    en_view = run("fleet", str(tmp_path), "--lang", "en", "--no-color", "--html", str(tmp_path / "en.html"))
    assert "Rules that do not pass" in en_view.stdout and zh_title in en_view.stdout
    zh_view = run("fleet", str(tmp_path), "--lang", "zh", "--no-color", "--html", str(tmp_path / "zh.html"))
    assert "未通过的规则" in zh_view.stdout and zh_title in zh_view.stdout
    zh_page = (tmp_path / "zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh_page and "各主机的检查结果" in zh_page and zh_title in zh_page
    assert "Findings per host" in (tmp_path / "en.html").read_text(encoding="utf-8")


def test_html_is_one_self_contained_page(reports, report_dir, tmp_path):
    page_path = tmp_path / "fleet.html"
    result = run("fleet", report_dir, "--json", "--html", str(page_path))
    assert result.exit_code == 1
    assert os.listdir(str(tmp_path)) == ["fleet.html"]  # one file, nothing beside it
    page = page_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing fetched: no asset addresses, no stylesheet links, no imports, no url() in CSS
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"<link\b|@import|url\(|<iframe|<img\b", page, re.I)
    assert "default-src 'none'" in page  # and the browser is told so
    # every host has a matrix row and a collapsible section with its findings and fixes
    assert page.count('<tr data-rank="') == len(reports)
    assert page.count('<details class="host"') == len(reports)
    centos = next(r for r in reports.values() if r["host"]["hostname"] == "tektutor")
    failing = next(f for f in centos["findings"] if f["status"] == "fail")
    assert html_escape(failing["title"]) in page
    for command in failing["remediation"]["commands"]:
        assert html_escape(command) in page


def html_escape(text):
    import html
    return html.escape(text)


def test_html_escapes_what_reports_say(reports, tmp_path):
    report = dict(next(iter(reports.values())))
    report["host"] = dict(report["host"], hostname='<script>alert("x")</script>')
    report["findings"] = [dict(f, evidence="<img src=x onerror=alert(1)>") for f in report["findings"]]
    (tmp_path / "evil.json").write_text(json.dumps(report), encoding="utf-8")
    run("fleet", str(tmp_path / "evil.json"), "--json", "--html", str(tmp_path / "evil.html"))
    page = (tmp_path / "evil.html").read_text(encoding="utf-8")
    assert '<script>alert("x")' not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_worker_pool_reads_the_same_as_one_process(reports, tmp_path, monkeypatch):
    for n in range(3):
        for path in reports:
            shutil.copy(path, str(tmp_path / ("%d-%s" % (n, os.path.basename(path)))))
    (tmp_path / "junk.json").write_text("{", encoding="utf-8")
    files = collect.find_report_files([str(tmp_path)])
    serial = list(collect.read_reports(files, workers=1))
    monkeypatch.setattr(collect, "PARALLEL_FROM", 2)
    monkeypatch.setattr(collect, "BATCH", 5)
    pooled = list(collect.read_reports(files, workers=2))
    assert pooled == serial
    assert sum(1 for kind, _ in pooled if kind == "skipped") == 1


def test_schema_command_prints_the_fleet_schema():
    result = run("schema", "fleet")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["properties"]["format"]["const"] == "hostcheck.fleet/v1"


def test_fleet_json_is_one_host_per_line(report_dir):
    _, result = fleet_json(report_dir)
    host_lines = [l for l in result.stdout.splitlines() if l.startswith('  {"hostname": ')]
    assert len(host_lines) == len(os.listdir(report_dir))


def test_json_path_never_imports_rich(report_dir):
    code = ("import sys; from hostcheck.cli import main; sys.argv = ['hostcheck', 'fleet', '--json', %r, "
            "'-o', '/dev/null']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('rich' in sys.modules)" % report_dir)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                         universal_newlines=True, env=dict(os.environ, PYTHONPATH=REPO), timeout=60).stdout
    assert out.strip().splitlines()[-1] == "False"


# ------------------------------------------------------------------ hostile inputs


def make_hostile_inputs(folder, a_report):
    """Beside good reports: special files, an oversize file and reports of odd shapes.

    Returns {file name: words its skip reason must contain}; the two files not listed
    (surrogates.json, markup.json) are valid reports and must be counted as hosts.
    """
    import socket

    os.mkfifo(str(folder / "fifo.json"))
    os.symlink("/dev/zero", str(folder / "zero.json"))
    os.symlink("loop.json", str(folder / "loop.json"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "socket.json"))
    server.close()
    with open(str(folder / "huge.json"), "wb") as handle:
        handle.truncate(collect.REPORT_LIMIT + 1)            # sparse: costs no disk

    def variant(name, change):
        doc = json.loads(json.dumps(a_report))
        change(doc)
        (folder / name).write_text(json.dumps(doc), encoding="utf-8")

    def every_finding(**values):
        return lambda doc: [f.update(values) for f in doc["findings"]]

    def first_tree_status(value):
        return lambda doc: doc["trees"].__setitem__(0, {"tree": "image", "subject": "x",
                                                       "verdict": {"id": "native", "status": value}})
    variant("area-list.json", every_finding(area=["kernel"]))
    variant("area-number.json", every_finding(area=7))
    variant("area-escape.json", every_finding(area="kernel\x1b[2J"))
    variant("status-list.json", every_finding(status=["fail"]))
    variant("status-none.json", every_finding(status=None))
    variant("verdict-status-list.json", first_tree_status(["fail"]))
    variant("verdict-status-dict.json", first_tree_status({"fail": 1}))
    variant("findings-of-numbers.json", lambda doc: doc.__setitem__("findings", [1, 2]))
    variant("id-number.json", lambda doc: [f.update(id=5) for f in doc["findings"] if f["status"] == "fail"])
    variant("host-list.json", lambda doc: doc.__setitem__("host", ["node1"]))

    # Tolerated: odd types in what is only shown, surrogates, markup.
    def odd(doc):
        for finding in doc["findings"]:
            finding.update(title=["t"], evidence={"e": 1}, subject=3, remediation={"text": 5, "commands": 7})
        doc["host"].update(os=["x"], arch=None, kernel={"release": 5})
    variant("odd-types.json", odd)
    bad_pair = '"\\ud800x\\udfff[/]"'
    text = json.dumps(dict(a_report, host=dict(a_report["host"], hostname="SURROGATE")))
    text = text.replace('"SURROGATE"', bad_pair, 1)
    text = text.replace(json.dumps(a_report["findings"][0]["title"]), bad_pair, 1)
    (folder / "surrogates.json").write_text(text, encoding="utf-8")
    variant("markup.json", lambda doc: (doc["host"].update(hostname="[link=file:///etc/passwd]pwn[/link]"),
                                        [f.update(title="[/]" + f["title"], evidence="[/][bold]x")
                                         for f in doc["findings"]]))
    return {
        "fifo.json": "a FIFO, not a regular file", "zero.json": "a character device, not a regular file",
        "socket.json": "a socket, not a regular file", "loop.json": "cannot read",
        "huge.json": "larger than 16 MiB", "area-list.json": "area ['kernel']",
        "area-number.json": "area 7", "area-escape.json": "area 'kernel\\x1b[2J'",
        "status-list.json": "status ['fail']", "status-none.json": "status None",
        "verdict-status-list.json": "trees[0].verdict has status ['fail']",
        "verdict-status-dict.json": "trees[0].verdict has status {'fail': 1}",
        "findings-of-numbers.json": "findings[0] is not a finding", "id-number.json": "has no id",
        "host-list.json": "host, findings or trees",
    }


def test_hostile_inputs_are_skipped_and_every_good_host_counted(reports, tmp_path):
    folder = tmp_path / "fleet"
    folder.mkdir()
    for path in reports:
        shutil.copy(path, str(folder))
    a_report = next(r for r in reports.values() if r["trees"] and r["findings"])
    expected = make_hostile_inputs(folder, a_report)
    good = len(reports) + 3                    # odd-types, surrogates and markup are hosts too

    result = hostcheck_process("fleet", "--json", "--html", str(tmp_path / "page.html"), str(folder))

    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    FLEET_SCHEMA.validate(doc)
    assert doc["summary"]["hosts"] == good
    reasons = {os.path.basename(s["path"]): s["reason"] for s in doc["skipped"]}
    assert set(reasons) == set(expected)
    for name, words in expected.items():
        assert words in reasons[name], (name, reasons[name])
    assert all("\n" not in reason and len(reason) < 200 for reason in reasons.values())
    names = {h["hostname"] for h in doc["hosts"]}
    assert "\ud800x\udfff[/]" in names and "[link=file:///etc/passwd]pwn[/link]" in names
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr

    text = hostcheck_process("fleet", "--no-color", str(folder))
    assert text.returncode == 1, text.stderr
    assert "%d hosts" % good in text.stdout
    assert "\\ud800x\\udfff[/]" in text.stdout and "[link=file:///etc/passwd]pwn[/link]" in text.stdout
    assert "a FIFO, not a regular file" in text.stdout
    assert "\x1b" not in text.stdout
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert page.count('<tr data-rank="') == good
    assert "\\ud800x\\udfff[/]" in page and "[link=file:///etc/passwd]pwn[/link]" in page


def test_a_fifo_given_by_name_is_skipped_not_waited_on(reports, tmp_path):
    os.mkfifo(str(tmp_path / "reports.json"))
    result = hostcheck_process("fleet", "--json", str(tmp_path / "reports.json"), next(iter(reports)))
    assert result.returncode in (0, 1), result.stderr
    doc = json.loads(result.stdout)
    assert doc["summary"]["hosts"] == 1 and doc["skipped"][0]["reason"] == "not read: a FIFO, not a regular file"


@pytest.mark.parametrize("option", ["--html", "-o"])
def test_a_failing_write_leaves_no_file_behind(report_dir, tmp_path, option):
    """A write that fails halfway (here: EFBIG past 4 KiB, as a full disk would) is one line,
    exit 3, and no truncated file: neither a new one nor a clobbered old one."""
    target = tmp_path / "out"
    args = ["fleet", report_dir, option, str(target)] + (["--json"] if option == "--html" else [])
    result = hostcheck_process(*args, preexec_fn=limit_file_size(4096))
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("hostcheck: error: cannot write %s: File too large" % target)
    assert os.listdir(str(tmp_path)) == []
    target.write_text("the previous page\n", encoding="utf-8")
    assert hostcheck_process(*args, preexec_fn=limit_file_size(4096)).returncode == 3
    assert os.listdir(str(tmp_path)) == ["out"] and target.read_text(encoding="utf-8") == "the previous page\n"
    assert hostcheck_process(*args).returncode == 1    # no limit: written whole
    assert len(target.read_text(encoding="utf-8")) > 4096 and os.listdir(str(tmp_path)) == ["out"]


# ------------------------------------------------------------------ narrow terminals, plurals


def render_at(doc, width):
    import io
    from hostcheck.fleet.text import render
    buffer = io.StringIO()
    render(doc, file=buffer, color=False, width=width)
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ten_hosts_fit_80_columns_and_stay_apart(reports, tmp_path, lang):
    from rich.cells import cell_len
    docs = list(reports.values())
    names = ["node-%d.example.com" % n for n in range(1, 11)]
    for index, name in enumerate(names):
        doc = dict(docs[index % len(docs)], host=dict(docs[index % len(docs)]["host"], hostname=name))
        (tmp_path / ("%d.json" % index)).write_text(json.dumps(doc), encoding="utf-8")
    doc, _ = fleet_json(str(tmp_path), "--lang", lang)
    text = render_at(doc, 80)
    wide = [line for line in text.splitlines() if cell_len(line) > 80]
    assert not wide, wide
    rows = [line for line in text.splitlines() if line.startswith("node-")]
    assert sorted(row.split()[0] for row in rows[:10]) == sorted(names)      # whole names: they fit
    assert ("Areas: arc Architecture" if lang == "en" else "领域：arc CPU 架构") in text
    # the per-rule view names every failing host in full
    assert "node-10.example.com" in text.split("Hosts × areas" if lang == "en" else "主机 × 检查领域")[1]
    # at 200 columns (a pipe, a file) the wide matrix with OS, platform and kernel
    assert "linux/amd64" in next(l for l in render_at(doc, 200).splitlines() if l.startswith("node-1.example.com "))


def test_counts_say_one_host_and_one_input(reports, tmp_path):
    shutil.copy(next(iter(reports)), str(tmp_path / "one.json"))
    (tmp_path / "junk.json").write_text("{", encoding="utf-8")
    text = run("fleet", str(tmp_path), "--no-color", "--lang", "en").stdout
    assert "— 1 host · " in text and "· 1 input skipped" in text
    assert "1 hosts" not in text and "1 inputs" not in text


def test_fleet_format_and_output_path(report_dir, tmp_path):
    by_format = json.loads(run("fleet", report_dir, "--format", "json").stdout)
    by_flag = json.loads(run("fleet", report_dir, "--json").stdout)
    for doc in (by_format, by_flag):
        doc.pop("generated_at")
    assert by_format == by_flag
    assert run("fleet", report_dir, "--json", "--format", "text").exit_code == 2
    result = hostcheck_process("fleet", report_dir, "-o", "json", cwd=str(tmp_path))
    assert result.returncode == 2 and "-o takes a path" in result.stderr and os.listdir(str(tmp_path)) == []

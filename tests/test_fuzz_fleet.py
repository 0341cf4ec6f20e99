"""Fuzz: mutated reports beside good ones through `fleet` (text, colour text, JSON, HTML).

The good reports are real: the system captures of tests/data judged in English and
Chinese. Each example writes three of them and one or two mutated reports (tests/fuzzing.py's
mutations, or bytes that are not a report: truncated, Latin-1, a BOM, empty, NUL) into a
directory and runs what `hostcheck fleet DIR` runs, in process: find the files, read them,
aggregate, render. Every good host must be counted, every other file counted or skipped with
a one-line reason; any exception, a control character in text for a terminal, markup from a
report reaching HTML, or JSON that does not parse is a failure. Reports skipped by the
reader's catch-all for shapes it did not foresee ("malformed report (TypeError: ...") are
listed.
"""

import io
import json
import os

from hypothesis import strategies as st

import fuzzing
from test_fuzz_analyze import DOCS

BYTE_DAMAGE = [None, None, None, None, None, None, "truncate", "latin1", "bom", "empty", "nul", "crlf"]


def _reports():
    from hostcheck.report import build_report
    reports = []
    for index, (name, doc, _strings, _every) in enumerate(DOCS):
        lang = "zh" if index % 3 == 2 else "en"
        report, _facts = build_report(doc, lang=lang)
        report = json.loads(json.dumps(report))
        # The fleet reads no facts: mutations go where it looks (the facts stay in the file).
        strings, every = fuzzing.paths_of(report, leave_out=("facts",))
        every.append(("facts",))
        reports.append(("%s.%s" % (name, lang), report, strings, every))
    return reports


REPORTS = _reports()


@st.composite
def examples(draw):
    mutated = []
    for _ in range(draw(st.integers(1, 2))):
        name, report, strings, every = draw(st.sampled_from(REPORTS))
        mutated.append({"report": name, "ops": draw(fuzzing.mutations(strings, every)),
                        "bytes": draw(st.sampled_from(BYTE_DAMAGE)), "ascii": draw(st.booleans())})
    return {"mutated": mutated, "lang": draw(st.sampled_from(["en", "zh"])),
            "fail_on": draw(st.sampled_from(["fail", "warn", "info"])), "colour": draw(st.booleans())}


def _report(name):
    return next(report for report_name, report, _s, _e in REPORTS if report_name == name)


def report_bytes(item):
    text = fuzzing.dumps(fuzzing.apply(_report(item["report"]), item["ops"]), ensure_ascii=item["ascii"])
    data = fuzzing.encode(text, item["ascii"])
    damage = item["bytes"]
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "latin1":
        data = text.encode("latin-1", "replace")
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "empty":
        data = b""
    elif damage == "nul":
        data = data.replace(b":", b"\x00:", 3)
    elif damage == "crlf":
        data = data.replace(b",", b",\r\n")
    return data


def fleet_example(example, good_dir, bad_dir, target):
    from hostcheck.fleet.aggregate import build_fleet, exit_code, json_chunks
    from hostcheck.fleet.collect import find_report_files, read_reports
    from hostcheck.fleet.html import render_html
    from hostcheck.fleet.text import render
    from hostcheck.report.escape import safe_json_text

    for old in os.listdir(bad_dir):
        os.unlink(os.path.join(bad_dir, old))
    for number, item in enumerate(example["mutated"]):
        with open(os.path.join(bad_dir, "host-%d.json" % number), "wb") as handle:
            handle.write(report_bytes(item))
    files = find_report_files([good_dir, bad_dir])
    hosts, skipped = [], []
    for kind, record in read_reports(files, workers=1):
        (hosts if kind == "host" else skipped).append(record)
    sources = {host["source"] for host in hosts}
    good = [path for path in files if path.startswith(good_dir)]
    assert sources.issuperset(good), "good reports not counted: %s" % sorted(set(good) - sources)
    assert len(hosts) + len(skipped) == len(files)
    for entry in skipped:
        fuzzing.check_one_line(entry["reason"], "skip reason")
        if "malformed report (" in entry["reason"]:
            target.note("catch-all skip: " + entry["reason"])
        target.count("skipped")
    target.count("hosts %d" % len(hosts))

    doc = build_fleet(hosts, skipped, lang=example["lang"], fail_on=example["fail_on"])
    assert exit_code(doc) in (0, 1)
    for host in doc["hosts"]:
        for item in host.get("findings", []) + host.get("trees", []):
            if item.get("status") == "error":
                target.error_status("%s: %s" % (item.get("id") or item.get("verdict"),
                                                str(item.get("evidence") or item.get("text"))[:120]))
    buffer = io.StringIO()
    render(doc, file=buffer, color=example["colour"], width=80 if example["colour"] else 160)
    if example["colour"]:
        fuzzing.check_colour_text(buffer.getvalue(), "fleet colour text")
    else:
        fuzzing.check_plain_text(buffer.getvalue(), "fleet text")
    text = "".join(safe_json_text(chunk) for chunk in json_chunks(doc))
    text.encode("utf-8")
    fuzzing.finite_json(text)
    page = "".join(render_html(doc))
    page.encode("utf-8")
    assert "<script>alert(1)" not in page, "fleet html: markup from a report"


def test_fuzz_fleet(tmp_path):
    good_dir, bad_dir = tmp_path / "good", tmp_path / "bad"
    good_dir.mkdir()
    bad_dir.mkdir()
    for name, report, _s, _e in REPORTS[:3]:
        (good_dir / (name + ".json")).write_text(json.dumps(report), encoding="utf-8")
    target = fuzzing.Target("fleet")
    target.run(examples(), lambda example: fleet_example(example, str(good_dir), str(bad_dir), target))
    assert target.examples > 0

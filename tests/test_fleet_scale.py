"""`hostcheck fleet` at scale, without timing anything (bench/fleet.sh measures): host records
go to a spool as they are read, and the views read them back one host at a time; orjson,
when installed, parses exactly what the json module would.

The reports are real: the stored captures of real systems judged by this checkout."""

import glob
import io
import json
import os
import tracemalloc

import pytest

from hostcheck.fleet import aggregate, collect
from hostcheck.fleet.html import render_html
from hostcheck.fleet.text import render
from hostcheck.report import build_report

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEMS = sorted(p for p in glob.glob(os.path.join(REPO, "tests", "data", "systems", "*.json"))
                 if not p.endswith(".expect.json"))


@pytest.fixture(scope="module")
def report_files(tmp_path_factory):
    """Each real system's report, compact as `check --json -o` writes it, under two names."""
    folder = tmp_path_factory.mktemp("reports")
    for path in SYSTEMS:
        with open(path, encoding="utf-8") as handle:
            capture = json.load(handle)
        report, _ = build_report(capture)
        for copy in ("a", "b"):
            doc = dict(report, host=dict(report["host"], hostname="%s-%s" % (copy, report["host"]["hostname"])))
            with open(str(folder / ("%s-%s" % (copy, os.path.basename(path)))), "w", encoding="utf-8") as handle:
                handle.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    return collect.find_report_files([str(folder)])


def records(files):
    return [item for kind, item in collect.read_reports(files, workers=1) if kind == "host"]


def views(doc):
    text = io.StringIO()
    render(doc, file=text, color=False, width=160)
    return "".join(aggregate.json_chunks(doc)), "".join(render_html(doc)), text.getvalue()


def test_json_document_holds_every_record_in_host_order(report_files):
    doc = aggregate.build_fleet(records(report_files), [])
    doc["generated_at"] = "2026-12-07T00:00:00Z"
    written = json.loads("".join(aggregate.json_chunks(doc)))
    want = sorted(records(report_files), key=lambda r: (r["hostname"], r["source"]))
    assert written["hosts"] == want
    assert len(want) == 2 * len(SYSTEMS)


def test_a_row_reads_like_its_record(report_files):
    doc = aggregate.build_fleet(records(report_files), [])
    by_source = {r["source"]: r for r in records(report_files)}
    for row in doc["hosts"]:
        record = by_source[row["source"]]
        assert {key: row[key] for key in record} == record
        assert row.get("no such key") is None
    # Identity, areas and worst status are kept in memory, shared between hosts that have the same.
    rows = doc["hosts"]
    assert rows[0]["os"] is next(r for r in rows[1:] if r["os"] == rows[0]["os"])["os"]


def test_a_spool_on_disk_gives_the_same_views(report_files, monkeypatch):
    kept = records(report_files)
    in_memory = aggregate.build_fleet(kept, [])
    monkeypatch.setattr(aggregate.Spool, "IN_MEMORY", 4096)     # a few hosts, then the disk
    on_disk = aggregate.build_fleet(kept, [])
    assert in_memory["hosts"][0].spool.file is None and on_disk["hosts"][0].spool.file is not None
    in_memory["generated_at"] = on_disk["generated_at"]
    assert views(in_memory) == views(on_disk)


def test_packed_reading_in_a_pool_gives_the_same_document(report_files, monkeypatch):
    serial = aggregate.build_fleet(records(report_files), [])
    monkeypatch.setattr(collect, "PARALLEL_FROM", 2)
    monkeypatch.setattr(collect, "BATCH", 3)
    pooled = aggregate.Aggregator()
    for kind, item in collect.read_packed(report_files, workers=2):
        assert kind == "host"
        pooled.add_packed(*item)
    pooled = pooled.fleet([])
    pooled["generated_at"] = serial["generated_at"]
    assert views(pooled) == views(serial)


def test_lone_surrogates_go_through_the_spool(tmp_path, report_files):
    with open(report_files[0], encoding="utf-8") as handle:
        doc = json.load(handle)
    doc["findings"] = [dict(f, status="fail", evidence="x\ud800y") for f in doc["findings"]]
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps(doc), encoding="utf-8")      # ASCII: "\ud800" as an escape
    fleet = aggregate.build_fleet(records([str(path)]), [])
    assert fleet["hosts"][0]["findings"][0]["evidence"] == "x\ud800y"
    # The spool holds the host's line as the document writes it: the surrogate as an escape.
    written = "".join(aggregate.json_chunks(fleet))
    assert '"evidence": "x\\ud800y"' in written
    assert json.loads(written)["hosts"][0]["findings"][0]["evidence"] == "x\ud800y"


# What the json module reads, and how it refuses: orjson must change neither.
ODD_DOCUMENTS = [
    b'{"format": "hostcheck.report/v1", "n": NaN}',
    b'{"big": 123456789012345678901234567890}',
    b'{"s": "\\ud800"}',
    b'\xef\xbb\xbf{"bom": 1}',
    b'{"a": 1, "a": 2}',
    b'[' * 3000 + b']' * 3000,
    b'{"bad": "\xff"}',
    b'{"cut": ',
    b'',
]


@pytest.mark.parametrize("data", ODD_DOCUMENTS, ids=range(len(ODD_DOCUMENTS)))
def test_orjson_reads_what_json_reads_and_refuses_alike(data, tmp_path, monkeypatch):
    pytest.importorskip("orjson")
    path = tmp_path / "odd.json"
    path.write_bytes(data)
    with_orjson = collect.read_report(str(path))
    monkeypatch.setattr(collect, "orjson", None)
    assert collect.read_report(str(path)) == with_orjson


def test_orjson_parses_real_reports_as_json_does(report_files, monkeypatch):
    pytest.importorskip("orjson")
    for path in report_files:
        with open(path, "rb") as handle:
            data = handle.read()
        assert collect.parse(data) == json.loads(data.decode("utf-8"))
    fast = records(report_files)
    monkeypatch.setattr(collect, "orjson", None)
    assert records(report_files) == fast


def test_memory_per_host_is_its_row_not_its_report(report_files, monkeypatch):
    """Reading 3,000 hosts keeps about a row each in memory, not their records (each record
    is a few KB; the reports themselves ~40 KB)."""
    monkeypatch.setattr(aggregate.Spool, "IN_MEMORY", 64 * 1024)
    packed = [item for kind, item in collect.read_packed(report_files, workers=1) if kind == "host"]
    line_bytes = sum(len(line) for _, _, line, _ in packed) / len(packed)
    assert line_bytes > 1500
    tracemalloc.start()
    try:
        aggregator = aggregate.Aggregator()
        before = tracemalloc.get_traced_memory()[0]
        for number in range(3000):
            row, marks, line, details = packed[number % len(packed)]
            row = ("host-%05d" % number,) + row[1:]
            aggregator.add_packed(row, marks, line, details)
        held = (tracemalloc.get_traced_memory()[0] - before) / 3000
    finally:
        tracemalloc.stop()
    assert held < 600, held


def test_sections_made_by_workers_are_the_page_the_parent_makes(report_files, monkeypatch):
    """With --html the workers make each host's section (pack with details_lang); the page is
    the one made from the records alone, in either language, and a section made in another
    language than the page's is made again."""
    monkeypatch.setattr(collect, "PARALLEL_FROM", 2)
    monkeypatch.setattr(collect, "BATCH", 3)
    for lang, made_in in (("en", "en"), ("zh", "zh"), ("en", "zh")):
        serial = aggregate.build_fleet(records(report_files), [], lang=lang)
        pooled = aggregate.Aggregator()
        for kind, item in collect.read_packed(report_files, workers=2, details_lang=made_in):
            assert item[3][0] == made_in and b"</details>" in item[3][1]
            pooled.add_packed(*item)
        pooled = pooled.fleet([], lang=lang)
        pooled["generated_at"] = serial["generated_at"]
        section = pooled["hosts"][0].details(lang)
        assert (section is None) == (made_in != lang)
        assert "".join(render_html(pooled)) == "".join(render_html(serial))


def test_a_line_made_of_cached_pieces_is_the_whole_line_escaped(report_files):
    from hostcheck.report.escape import safe_json_text
    kept = records(report_files)
    odd = dict(kept[0], findings=[dict(f, evidence="x\ud800\x9b\u202ey") for f in kept[0]["findings"]])
    for record in kept + [odd]:
        assert aggregate.record_line(record) == safe_json_text(aggregate.json_line(record))
    assert "\\ud800\\u009b\\u202e" in aggregate.record_line(odd)


def test_without_processes_the_reports_are_read_here(report_files, monkeypatch):
    """Where no process can be made (fork refused: a container's pid limit), the files are
    read in this process, to the same document."""
    import multiprocessing

    def refuse(method=None):
        raise OSError(11, "Resource temporarily unavailable")
    serial = aggregate.build_fleet(records(report_files), [])
    monkeypatch.setattr(collect, "PARALLEL_FROM", 2)
    monkeypatch.setattr(multiprocessing, "get_context", refuse)
    fallback = aggregate.Aggregator()
    for kind, item in collect.read_packed(report_files, workers=2):
        fallback.add_packed(*item)
    fallback = fallback.fleet([])
    fallback["generated_at"] = serial["generated_at"]
    assert views(fallback) == views(serial)


def test_the_pool_runs_a_bounded_number_of_batches_ahead(report_files, monkeypatch):
    """Results wait for the parent in at most IN_FLIGHT_PER_WORKER x workers batches, however
    many files there are (Pool.imap queued them all)."""
    submitted = []
    real_pool = collect._pool

    class Counting(object):
        def __init__(self, pool):
            self.pool = pool

        def apply_async(self, func, args):
            submitted.append(len(args[0]))
            return self.pool.apply_async(func, args)

        def __getattr__(self, name):
            return getattr(self.pool, name)
    monkeypatch.setattr(collect, "_pool", lambda workers: Counting(real_pool(workers)))
    monkeypatch.setattr(collect, "PARALLEL_FROM", 2)
    monkeypatch.setattr(collect, "BATCH", 1)
    monkeypatch.setattr(collect, "IN_FLIGHT_PER_WORKER", 1)
    files = report_files * 5
    reading = collect.read_packed(files, workers=2)
    first = next(reading)
    assert len(submitted) == 2          # the batch taken and one more
    rest = list(reading)
    assert len(submitted) == len(files) and [first] + rest == list(collect.read_packed(files, workers=1))


def test_text_shows_a_huge_string_cut_and_escaped(report_files, tmp_path):
    """A forged 2 MiB host name and title: the text view works on their first SHOWN_CHARS
    characters, escaped as before (uncut, the narrow view took over 100 s CPU wrapping
    them), and the JSON document keeps them whole."""
    from hostcheck.fleet import text as fleet_text
    with open(report_files[0], encoding="utf-8") as handle:
        doc = json.load(handle)
    huge_name = "\x1b[31m" + "n" * (2 * 1024 * 1024)
    doc["host"]["hostname"] = huge_name
    doc["findings"] = [dict(f, status="fail", title="t" * (2 * 1024 * 1024)) for f in doc["findings"][:1]]
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    fleet = aggregate.build_fleet(records([str(path)]), [])
    assert fleet_text.v(huge_name) == "\\x1b[31m" + "n" * (fleet_text.SHOWN_CHARS - 6) + "…"
    for width in (160, 80):
        out = io.StringIO()
        render(fleet, file=out, color=False, width=width)
        shown = out.getvalue()
        assert "\x1b" not in shown and "\\x1b[31mnnnn" in shown and "tttt" in shown
        assert len(shown) < 20000, width
    assert json.loads("".join(aggregate.json_chunks(fleet)))["hosts"][0]["hostname"] == huge_name

"""Fuzz: mutated real captures through the whole `analyze` pipeline, in process.

Each example takes one real capture (tests/data/systems/*.json, tests/data/captures/*.json,
the network and preflight scenario captures), applies up to four mutations
(tests/fuzzing.py: type swaps, deletions, huge strings, nesting around the 64-level limit,
lone surrogates, control and bidi characters, markup, paths, numbers as strings,
NaN/Infinity), writes it as a file and runs what `hostcheck analyze` runs: load_capture,
--redact (sometimes), build_report in English or Chinese with the host's trees or a
network tree, then every renderer: text (plain and colour), JSON, JUnit, HTML, the fix
script. Fails on any exception, on a control character reaching text for a terminal, on
ill-formed XML or JSON, on a fact of the wrong type and on a parser that broke on the
input ("internal parser error"). Findings and verdicts with status `error` are listed.
"""

import glob
import io
import json
import os
import subprocess
import xml.etree.ElementTree as ET

from hypothesis import strategies as st

import fuzzing
from hostcheck.cli import Fatal, load_capture
from hostcheck.facts import FACTS

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = sorted(p for p in glob.glob(os.path.join(REPO, "tests/data/systems/*.json")) if not p.endswith(".expect.json"))
SOURCES += sorted(glob.glob(os.path.join(REPO, "tests/data/captures/*.json")))
SOURCES += [os.path.join(REPO, "tests/data/net/scenarios.json"), os.path.join(REPO, "tests/data/preflight/capture-live.json")]

TYPES = {"str": str, "int": int, "bool": bool, "float": float, "list": list, "dict": dict,
         "list[dict]": list, "list[str]": list}


def _load(path):
    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    strings, every = fuzzing.paths_of(doc)
    return os.path.basename(path), doc, strings, every


DOCS = [_load(path) for path in SOURCES]
TREES = ["host", "host", "host", "net-egress", "net-port", "net-reach"]


@st.composite
def examples(draw):
    name, doc, strings, every = draw(st.sampled_from(DOCS))
    ops = draw(fuzzing.mutations(strings, every))
    return {"doc": name, "ops": ops, "redact": draw(st.booleans()), "lang": draw(st.sampled_from(["en", "zh"])),
            "trees": draw(st.sampled_from(TREES)), "ascii": draw(st.sampled_from([True, True, True, False])),
            # One text rendering and the fix script now and then: they cost more than the rest.
            "colour": draw(st.booleans()), "script": draw(st.sampled_from([False, False, True]))}


def _doc(name):
    return next(doc for doc_name, doc, _s, _e in DOCS if doc_name == name)


def capture_bytes(example):
    mutated = fuzzing.apply(_doc(example["doc"]), example["ops"])
    return fuzzing.encode(fuzzing.dumps(mutated, ensure_ascii=example["ascii"]), example["ascii"])


def check_facts(facts):
    """The registry's contract holds on any input, and no parser broke on it."""
    for name, value in facts.values.items():
        assert name in FACTS, "unregistered fact %s" % name
        kind = FACTS[name][0]
        assert isinstance(value, TYPES[kind]), "fact %s is %r, FACTS says %s" % (name, value, kind)
        if TYPES[kind] is int:
            assert not isinstance(value, bool), name
        if kind == "list[str]":
            assert all(isinstance(v, str) for v in value), "fact %s: %r" % (name, value)
        if kind == "list[dict]":
            assert all(isinstance(v, dict) for v in value), "fact %s: %r" % (name, value)
    for name, reason in facts.unknown.items():
        assert "internal parser error" not in reason, "%s: %s" % (name, reason)


def _net_trees(kind):
    def walk(capture, facts, catalogue, lang):
        from hostcheck.net import walk_egress, walk_port, walk_reach
        from hostcheck.net.subjects import parse_destination, parse_port_spec
        containers = [c for c in facts.get("docker.containers") or [] if isinstance(c, dict)]
        names = [c.get("name") for c in containers if isinstance(c.get("name"), str) and c.get("name")]
        if kind == "net-egress":
            return walk_egress(capture, facts, None, catalogue, lang)
        if kind == "net-port":
            return (walk_port(capture, facts, parse_port_spec("18080"), catalogue, lang)
                    + (walk_port(capture, facts, parse_port_spec(names[0] + ":8080"), catalogue, lang)
                       if names and ":" not in names[0] else []))
        source = names[0] if names and ":" not in names[0] else "hc-net-a"
        destination = names[-1] if len(names) > 1 and ":" not in names[-1] else "10.231.2.2:80"
        return walk_reach(capture, facts, source, parse_destination(destination), catalogue, lang)
    return walk


def render_everything(report, target, where, colour=None, script=True):
    """The renderers of a report, with the checks each output must pass: plain text, colour
    text or both (colour None), JSON, JUnit, HTML, and the fix script when `script`."""
    from hostcheck.report.escape import safe_json_text
    from hostcheck.report.fixscript import render_script
    from hostcheck.report.html import render_page
    from hostcheck.report.junit import render_junit
    from hostcheck.report.text import render

    for status_holder in list(report["findings"]) + [t.get("verdict") or {} for t in report["trees"]]:
        if status_holder.get("status") == "error":
            target.error_status("%s: %s" % (status_holder.get("id"), str(status_holder.get("evidence")
                                                                          or status_holder.get("text"))[:150]))
    if colour is not True:
        plain = io.StringIO()
        render(report, file=plain, color=False, width=100)
        fuzzing.check_plain_text(plain.getvalue(), where + " text")
    if colour is not False:
        coloured = io.StringIO()
        render(report, file=coloured, color=True, width=80, quiet=True)
        fuzzing.check_colour_text(coloured.getvalue(), where + " colour text")
    # (indent=None: the same text as the CLI's indent=2 but for whitespace, through json's C encoder)
    text = safe_json_text(json.dumps(report, ensure_ascii=False))
    text.encode("utf-8")
    fuzzing.finite_json(text)
    ET.fromstring(render_junit(report, "warn").encode("utf-8"))
    page = render_page(report)
    page.encode("utf-8")
    assert "<script>alert(1)" not in page, where + " html: markup from the capture"
    if not script:
        return None
    text = render_script(report)
    text.encode("utf-8")
    fuzzing.check_plain_text(text.replace("\t", " "), where + " fix script")
    return text


def analyze_example(example, path, target):
    """What `hostcheck analyze FILE [--redact] [--lang]` does with the mutated capture."""
    from hostcheck.report import build_report
    path.write_bytes(capture_bytes(example))
    try:
        capture = load_capture(str(path))
    except Fatal as exc:
        fuzzing.check_one_line(exc.format_message(), "load_capture")
        target.count("refused (exit 3)")
        return None
    if example["redact"]:
        from hostcheck.capture.redact import pseudonymise
        capture = pseudonymise(capture)
    trees = None if example["trees"] == "host" else _net_trees(example["trees"])
    report, facts = build_report(capture, lang=example["lang"], trees=trees)
    check_facts(facts)
    target.count("report")
    return render_everything(report, target, "analyze", colour=example["colour"], script=example["script"])


def test_fuzz_analyze(tmp_path):
    target = fuzzing.Target("analyze", share=1.5)
    scripts = []

    def check(example):
        script = analyze_example(example, tmp_path / "capture.json", target)
        if script is not None and len(scripts) < 25:
            scripts.append(script)

    target.run(examples(), check)
    assert target.examples > 0
    # The fix scripts of the first reports: still bash that parses.
    for script in scripts:
        result = subprocess.run(["bash", "-n"], input=script, universal_newlines=True, stderr=subprocess.PIPE)
        assert result.returncode == 0, result.stderr

"""`hostcheck rules show ID --trace`: from a rule to the capture keys behind it, in one answer.

The rule's YAML location (file:line, recorded by the compiler), each fact it reads, the
combiner that produces each one (hostcheck/combine/, named in hostcheck.facts.FACTS), the
parsers those combiners call and the capture keys they read — following a combiner's own
input facts to their producers too — then the rule's cases and the tests that name the
rule (found in tests/ beside the package when it is there, at the time of asking).
"""

import os
import re

import hostcheck
from hostcheck.facts import FACTS

LABELS = {
    "en": {"yaml": "YAML", "reads": "Reads", "combiners": "Combiners", "produces": "produces",
           "parsers": "parsers", "capture": "capture", "needs": "reads facts", "needed_by": "needed by",
           "cases": "Cases", "tests": "Tests", "no_tests": "tests not installed", "none": "none",
           "item_of": "an item of", "unregistered": "not a registered fact"},
    "zh": {"yaml": "YAML 位置", "reads": "读取的事实", "combiners": "组合器", "produces": "产生",
           "parsers": "解析函数", "capture": "采集项", "needs": "读取事实", "needed_by": "被依赖于",
           "cases": "用例", "tests": "测试", "no_tests": "未安装测试", "none": "无",
           "item_of": "逐项读取", "unregistered": "未登记的事实"},
}
_TEST_SUFFIXES = (".py", ".json", ".yaml", ".yml")
_MAX_TEST_FILE = 8 << 20
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)")


def _placeholder_facts(rule):
    """Facts the rule's texts (evidence, subject, remediation commands) fill in."""
    from hostcheck.judge.text import placeholders
    texts = [rule.get("subject") or ""]
    blocks = list(rule.get("outcomes") or []) + ([rule["empty"]] if rule.get("empty") else [])
    for block in blocks:
        evidence = block.get("evidence") or {}
        texts.extend(evidence.values() if isinstance(evidence, dict) else [evidence])
        commands = (block.get("remediation") or {}).get("commands") or {}
        for lines in (commands.values() if isinstance(commands, dict) else [commands]):
            texts.extend(lines)
    return [name for text in texts for name in placeholders(text) if "." in name]


def _fact_reads(rule):
    from hostcheck.report.catalogue_view import _reads
    names = []
    for name in _reads(rule) + _placeholder_facts(rule):
        if name not in names:
            names.append(name)
    return names


def _relative(path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(hostcheck.__file__)))
    try:
        relative = os.path.relpath(path, root)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def _combiner_entry(combiner):
    module = combiner.module
    return {"name": combiner.name, "module": module.__name__,
            "path": _relative(getattr(module, "__file__", "") or module.__name__),
            "produces": [], "needs": [{"fact": n, "producer": _producer_name(n)} for n in combiner.needs],
            "parsers": ["%s.%s" % (f.__module__, f.__name__) for f in combiner.parsers],
            "capture": list(combiner.capture), "needed_by": []}


def _producer_name(fact):
    entry = FACTS.get(fact)
    return entry[2] if entry and len(entry) > 2 else None


def _lineage(facts_read):
    """Each fact read -> its producer; the producers, then the producers of their inputs."""
    from hostcheck.combine import PRODUCERS
    reads, combiners, queue = [], {}, []
    for name in facts_read:
        if name.startswith(("item.", "subject.")):
            reads.append({"fact": name, "producer": None})
            continue
        combiner = PRODUCERS.get(name)
        reads.append({"fact": name, "producer": combiner.name if combiner else None})
        if combiner is None:
            continue
        if combiner.name not in combiners:
            combiners[combiner.name] = _combiner_entry(combiner)
            queue.append(combiner)
        combiners[combiner.name]["produces"].append(name)
    while queue:
        combiner = queue.pop(0)
        for name in combiner.needs:
            producer = PRODUCERS[name]
            if producer.name not in combiners:
                combiners[producer.name] = _combiner_entry(producer)
                queue.append(producer)
            if combiner.name not in combiners[producer.name]["needed_by"]:
                combiners[producer.name]["needed_by"].append(combiner.name)
    return reads, list(combiners.values())


def find_tests_directory():
    """tests/ beside the package in a source checkout (or an editable install of one), else
    None. A checkout holds rules/ too: a stray top-level "tests" package in site-packages is
    somebody else's."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(hostcheck.__file__)))
    path = os.path.join(root, "tests")
    return path if os.path.isdir(path) and os.path.isdir(os.path.join(root, "rules")) else None


def find_mentions(rule_id, directory):
    """[{path, line, test}] for each test function (or data file) under `directory` that
    names the rule id; test is null for a data file or a line outside any function."""
    word = re.compile(r"(?<![A-Za-z0-9_-])%s(?![A-Za-z0-9_-])" % re.escape(rule_id))
    found, seen = [], set()
    for folder, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(_TEST_SUFFIXES):
                continue
            path = os.path.join(folder, name)
            try:
                if not os.path.isfile(path) or os.path.getsize(path) > _MAX_TEST_FILE:
                    continue
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                continue
            if not word.search(text):
                continue
            test = None
            for number, line in enumerate(text.splitlines(), 1):
                match = _DEF.match(line)
                if match:
                    test = match.group(1) if match.group(1).startswith("test") else test
                elif line and not line[0].isspace() and not line.startswith(("#", "@", ")", "]", "}")):
                    test = None          # back at module level
                if not word.search(line):
                    continue
                key = (path, test if name.endswith(".py") else None)
                if key in seen:
                    continue
                seen.add(key)
                found.append({"path": _relative(path), "line": number, "test": key[1]})
    return found


def trace(rule, lang="en", tests_dir="auto"):
    """Everything `rules show ID --trace` says, as data (the JSON form). `tests_dir`: where to
    look for tests naming the rule ("auto": tests/ beside the package; None: not installed)."""
    from hostcheck.report.catalogue_view import _text
    reads, combiners = _lineage(_fact_reads(rule))
    for read in reads:
        if read["fact"].startswith("item.") and rule.get("foreach"):
            read["item_of"] = rule["foreach"]
        elif read["producer"] is None and read["fact"] not in FACTS:
            read["unregistered"] = True
    directory = find_tests_directory() if tests_dir == "auto" else tests_dir
    data = {"id": rule["id"], "title": _text(rule.get("title"), lang),
            "yaml": {"file": rule.get("file"), "line": rule.get("line")},
            "reads": reads, "combiners": combiners,
            "cases": [{"name": c.get("name") or "", "expect": c.get("expect")} for c in rule.get("cases") or []],
            "tests": find_mentions(rule["id"], directory) if directory else None}
    if directory is None:
        data["tests_note"] = "tests not installed"
    return data


def _capture_text(key):
    kind, _, what = key.partition(":")
    return {"file": "file %s", "dir": "directory %s", "command": "command `%s`", "engine": "engine GET %s",
            "stat": "stat %s", "statvfs": "statvfs %s", "section": "capture section %s"}.get(kind, key + "%s") % what


def render_trace_lines(data, lang):
    """The text of `rules show ID --trace` as rich Text lines. The strings are ours (the
    catalogue, the package, tests/), escaped all the same like every printed string."""
    from rich.text import Text
    from hostcheck.report.escape import visible as v
    from hostcheck.report.i18n import ui
    labels, words = LABELS[lang], ui(lang)
    colon = words["colon"]
    status = lambda s: words["status"].get(s, v(s))  # noqa: E731
    yaml = data["yaml"]
    where = "%s:%s" % (yaml["file"], yaml["line"]) if yaml.get("line") else (yaml.get("file") or "?")
    lines = [Text.assemble((v(data["id"]), "bold cyan"), "  ", (v(data["title"]), "bold")),
             Text("%s%s%s" % (labels["yaml"], colon, v(where))), Text(""), Text(labels["reads"], style="bold")]
    for read in data["reads"]:
        if read.get("item_of"):
            origin = "%s %s" % (labels["item_of"], read["item_of"])
        elif read.get("unregistered"):
            origin = labels["unregistered"]
        else:
            origin = "← %s" % (read["producer"] or "?")
        lines.append(Text.assemble("  ", (v(read["fact"]), "cyan"), "  ", (v(origin), "dim")))
    lines += [Text(""), Text(labels["combiners"], style="bold")]
    for combiner in data["combiners"]:
        lines.append(Text.assemble("  ", (v(combiner["name"]), "bold"), "  ", (v(combiner["path"]), "dim")))
        if combiner["produces"]:
            lines.append(Text("    %s%s%s" % (labels["produces"], colon, v(", ".join(combiner["produces"])))))
        if combiner["needed_by"]:
            lines.append(Text("    %s%s%s" % (labels["needed_by"], colon, v(", ".join(combiner["needed_by"])))))
        for label, items in (("parsers", combiner["parsers"]),
                             ("capture", [_capture_text(key) for key in combiner["capture"]]),
                             ("needs", ["%s ← %s" % (n["fact"], n["producer"]) for n in combiner["needs"]])):
            if items:
                lines.append(Text("    %s%s" % (labels[label], colon.rstrip())))
            elif label == "parsers":
                lines.append(Text("    %s%s%s" % (labels[label], colon, labels["none"])))
            for item in items:
                lines.append(Text("      " + v(item)))
    lines += [Text(""), Text(labels["cases"], style="bold")]
    for case in data["cases"]:
        lines.append(Text.assemble(("  %-5s " % status(case["expect"]), "bold"), v(case["name"])))
    lines += [Text(""), Text(labels["tests"], style="bold")]
    if data["tests"] is None:
        lines.append(Text("  " + labels["no_tests"], style="dim"))
    elif not data["tests"]:
        lines.append(Text("  " + labels["none"], style="dim"))
    for test in data["tests"] or ():
        lines.append(Text("  %s:%s%s" % (v(test["path"]), test["line"], "  " + v(test["test"]) if test["test"] else "")))
    return lines

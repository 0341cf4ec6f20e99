"""Report files and directories → one small record per host, or a one-line reason to skip.

A record keeps only what the fleet view shows: the host's identity, the worst status per
area, counts per status, and its findings and tree verdicts that ask for attention (info,
warn, fail, error: title, evidence, remediation). Facts, passed and skipped findings, tree
paths and refs are dropped as soon as a file is read.

Many files are read by worker processes (parsing JSON is CPU-bound: ~0.3 ms for a 40 KB
report here, most of a report's cost); each record's strings are interned per worker so
that a title or a remediation shared by thousands of hosts is pickled back once per batch.
read_packed has the workers hand back what the aggregation keeps (aggregate.pack): one
JSON line and a few small tuples per host.

orjson, when it can be imported (an optional speed-up on the machine that runs `fleet`,
never required), parses first; whatever it refuses is parsed again by the json module, so
a document reads the same either way and a bad file gets the json module's reason.
"""

import json
import os
import re

try:
    import orjson
except ImportError:        # the json module alone: the same results, ~1.5x the parsing time
    orjson = None

from hostcheck.files import REPORT_LIMIT, Refused, read_regular
from hostcheck.report import CAPTURE_FORMAT, REPORT_FORMAT, STATUS_RANK

from hostcheck.fleet import FLEET_FORMAT

# A tree's verdict counts toward the area the tree is about (SPEC: tree names).
TREE_AREA = {"image": "image", "net-egress": "network", "net-port": "network", "net-reach": "network"}

# Below this many files a pool costs more than it saves (forking, pickling).
PARALLEL_FROM = 200
BATCH = 64


class InputError(Exception):
    """A PATH given on the command line does not exist or cannot be listed (exit 3)."""


class NotAReport(Exception):
    """This file is not a usable report; the message is the one-line reason."""


def find_report_files(paths):
    """Expand PATHs: files as given, directories walked for *.json (recursively, sorted).

    Returns a list of paths without duplicates. A PATH that does not exist raises InputError:
    a typo must not quietly give a smaller fleet.
    """
    found, seen = [], set()

    def add(path):
        try:            # one stat, not realpath's one lstat per path component
            info = os.stat(path)
            key = (info.st_dev, info.st_ino)
        except OSError:     # a dangling link: read_report will say why
            key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            found.append(path)

    for path in paths:
        if os.path.isdir(path):
            walk_errors = []
            for root, dirs, files in os.walk(path, onerror=walk_errors.append):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(".json"):
                        add(os.path.join(root, name))
            if walk_errors and walk_errors[0].filename == path:
                error = walk_errors[0]
                raise InputError("cannot read %s: %s" % (path, error.strerror or error))
        elif os.path.exists(path):
            add(path)
        else:
            raise InputError("%s: no such file or directory" % path)
    return found


# What an area looks like: SPEC's, or a short word a newer hostcheck may add.
_AREA = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")


def _quoted(value):
    """`value` as a one-line reason quotes it: repr, cut to a few dozen characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _status(value, where):
    if not isinstance(value, str) or value not in STATUS_RANK:
        raise NotAReport("malformed report: %s has status %s" % (where, _quoted(value)))
    return value


def _text(value):
    return value if isinstance(value, str) else None


def _remediation(value, intern):
    if not isinstance(value, dict):
        return None
    commands = value.get("commands")
    commands = [intern(c) for c in commands if isinstance(c, str)] if isinstance(commands, list) else []
    text = _text(value.get("text")) or ""
    if not text and not commands:
        return None
    return {"text": intern(text), "commands": commands}


def _worse(a, b):
    """The higher-ranked of two statuses (None ranks lowest)."""
    if a is None:
        return b
    return b if STATUS_RANK[b] > STATUS_RANK[a] else a


def reduce_report(doc, source, intern=lambda s: s):
    """A report document → the host record the fleet view keeps (raises NotAReport)."""
    if not isinstance(doc, dict):
        raise NotAReport("not a hostcheck report (the JSON is a %s, not an object)" % type(doc).__name__)
    fmt = doc.get("format")
    if fmt == CAPTURE_FORMAT:
        raise NotAReport("a capture, not a report: judge it first (hostcheck analyze FILE --json -o REPORT.json)")
    if fmt == FLEET_FORMAT:
        raise NotAReport("a fleet document, not one host's report")
    if fmt != REPORT_FORMAT:
        raise NotAReport("not a hostcheck report (format %r, expected %r)" % (fmt, REPORT_FORMAT)
                         if fmt is not None else "not a hostcheck report (no \"format\" field)")
    findings, trees = doc.get("findings"), doc.get("trees") or []
    host = doc.get("host")
    if not isinstance(host, dict) or not isinstance(findings, list) or not isinstance(trees, list):
        raise NotAReport("malformed report: host, findings or trees missing or of the wrong type")

    areas, summary, kept = {}, dict.fromkeys(STATUS_RANK, 0), []
    rank = STATUS_RANK
    for index, finding in enumerate(findings):
        if not isinstance(finding, dict) or "status" not in finding:
            raise NotAReport("malformed report: findings[%d] is not a finding with a status" % index)
        status = finding["status"]
        if type(status) is not str or status not in rank:        # (inline: ~100 findings a report)
            _status(status, "findings[%d]" % index)
        area = finding.get("area") or "docker"
        if type(area) is not str or (area not in areas and not _AREA.match(area)):
            raise NotAReport("malformed report: findings[%d] has area %s" % (index, _quoted(area)))
        summary[status] += 1
        if area not in areas or rank[status] > rank[areas[area]]:
            areas[area] = status
        # pass and skip say nothing is to be done: counted above, not kept (a skip's reason
        # is in the host's own report; 10,000 hosts x ~35 skips would dwarf the rest).
        if status == "pass" or status == "skip":
            continue
        if not isinstance(finding.get("id"), str):
            raise NotAReport("malformed report: findings[%d] has no id" % index)
        kept.append({
            "id": intern(finding["id"]), "area": intern(area), "status": status,
            "title": intern(_text(finding.get("title")) or finding["id"]),
            "subject": _text(finding.get("subject")),
            "evidence": intern(_text(finding.get("evidence")) or ""),
            "remediation": _remediation(finding.get("remediation"), intern),
        })

    verdicts = []
    for index, tree in enumerate(trees):
        verdict = tree.get("verdict") if isinstance(tree, dict) else None
        if not isinstance(verdict, dict):
            continue  # a tree without a verdict says nothing about the host
        status = _status(verdict.get("status"), "trees[%d].verdict" % index)
        name = _text(tree.get("tree")) or "tree"
        area = TREE_AREA.get(name, "image" if name.startswith("image") else "network")
        areas[area] = _worse(areas.get(area), status)
        if status == "pass" or status == "skip":
            continue
        verdicts.append({
            "tree": intern(name), "subject": _text(tree.get("subject")), "area": intern(area),
            "verdict": intern(_text(verdict.get("id")) or "?"), "status": status,
            "text": _text(verdict.get("text")) or "",
            "remediation": _remediation(verdict.get("remediation"), intern),
        })

    os_ = host.get("os") if isinstance(host.get("os"), dict) else {}
    arch = host.get("arch") if isinstance(host.get("arch"), dict) else {}
    kernel = host.get("kernel") if isinstance(host.get("kernel"), dict) else {}
    tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
    worst = None
    for status in areas.values():
        worst = _worse(worst, status)
    return {
        "hostname": _text(host.get("hostname")) or "?",
        "source": source,
        "os": {"id": intern(_text(os_.get("id"))), "name": intern(_text(os_.get("name"))),
               "version": intern(_text(os_.get("version")))},
        "platform": intern(_text(arch.get("platform"))),
        "machine": intern(_text(arch.get("machine"))),
        "kernel": intern(_text(kernel.get("release"))),
        "tool": {"version": intern(_text(tool.get("version"))), "rules": intern(_text(tool.get("rules")))},
        "lang": intern(_text(doc.get("lang"))),
        "generated_at": _text(doc.get("generated_at")),
        "captured_at": _text(doc.get("captured_at")),
        "areas": areas,
        "worst": worst,
        "summary": summary,
        "findings": kept,
        "trees": verdicts,
    }


def read_report(path, intern=lambda s: s):
    """One file → ("host", record) or ("skipped", {"path", "reason"}).

    Only a regular file of at most REPORT_LIMIT bytes is read (files.read_regular); whatever
    is wrong with one file is its reason to be skipped, never the end of the run.
    """
    data = b""
    try:
        data = read_regular(path, REPORT_LIMIT, "a report")
        return "host", reduce_report(parse(data), path, intern)
    except NotAReport as exc:
        reason = str(exc)
    except Refused as exc:
        reason = "not read: %s" % exc
    except OSError as exc:
        reason = "cannot read: %s" % (exc.strerror or exc)
    except UnicodeDecodeError:
        reason = "not a hostcheck report (not UTF-8 text)"
    except RecursionError:
        reason = "not a hostcheck report (JSON nested too deeply)"
    except ValueError as exc:
        reason = _json_reason(data, exc)
    except (TypeError, AttributeError, KeyError, IndexError) as exc:
        # A shape reduce_report did not foresee: this file is skipped, the fleet goes on.
        reason = "malformed report (%s: %s)" % (type(exc).__name__, str(exc)[:80])
    return "skipped", {"path": path, "reason": reason}


def parse(data):
    """JSON bytes → the document: orjson when it is there and takes them, else the json
    module (which also gives a bad file its reason: UnicodeDecodeError, ValueError ...)."""
    if orjson is not None:
        try:
            return orjson.loads(data)
        except (ValueError, RecursionError):    # orjson.JSONDecodeError is a ValueError
            pass
    return json.loads(data.decode("utf-8"))


def _json_reason(data, exc):
    if not data:
        return "empty file"
    message = getattr(exc, "msg", None) or str(exc)
    position = getattr(exc, "pos", None)
    where = " at byte %d" % position if position is not None else ""
    return "not valid JSON (%s%s); truncated?" % (message, where)


def _interner():
    table = {}

    def intern(value):
        if value is None:
            return None
        return table.setdefault(value, value)
    return intern


def _read_batch(paths):
    intern = _interner()
    return [read_report(path, intern) for path in paths]


def _read_packed(path, intern, details_lang=None):
    from hostcheck.fleet.aggregate import pack
    kind, item = read_report(path, intern)
    return (kind, pack(item, details_lang)) if kind == "host" else (kind, item)


def _read_batch_packed(paths, details_lang=None):
    intern = _interner()
    return [_read_packed(path, intern, details_lang) for path in paths]


def read_reports(paths, workers=None):
    """Read every path; yields ("host", record) / ("skipped", entry) in the order of `paths`."""
    return _read_all(paths, workers, _read_batch, read_report)


def read_packed(paths, workers=None, details_lang=None):
    """As read_reports, with each record as aggregate.pack gives it: ("host", (row, marks,
    line, details)) / ("skipped", entry), in the order of `paths`. With `details_lang`, each
    host's part of the HTML page is made too, in that language (see aggregate.pack)."""
    return _read_all(paths, workers, _read_batch_packed, _read_packed, (details_lang,))


# Batches handed to the pool and not yet taken back, per worker: enough to keep every
# worker busy while the parent aggregates, few enough that results waiting for a slow
# parent stay a few MB whatever the number of files (Pool.imap would queue them all).
IN_FLIGHT_PER_WORKER = 3


def _read_all(paths, workers, read_batch, read_one, extra=()):
    if workers is None:
        workers = min(os.cpu_count() or 1, 8)
    if workers > 1 and len(paths) >= PARALLEL_FROM:
        pool = _pool(workers)
        if pool is not None:
            yield from _read_pooled(pool, workers, paths, read_batch, extra)
            return
    yield from _read_here(paths, read_one, extra)


def _read_here(paths, read_one, extra):
    intern = _interner()
    for path in paths:
        yield read_one(path, intern, *extra)


def _read_pooled(pool, workers, paths, read_batch, extra):
    """Batches read by the pool, handed back in the order of `paths`, at most
    IN_FLIGHT_PER_WORKER x workers batches submitted ahead of the one being taken."""
    from collections import deque
    batches = (paths[i:i + BATCH] for i in range(0, len(paths), BATCH))
    pending = deque()
    try:
        for batch in batches:
            pending.append(pool.apply_async(read_batch, (batch,) + tuple(extra)))
            if len(pending) < IN_FLIGHT_PER_WORKER * workers:
                continue
            for item in pending.popleft().get():
                yield item
        while pending:
            for item in pending.popleft().get():
                yield item
    finally:
        pool.terminate()
        pool.join()


def _pool(workers):
    """A fork pool, or None where processes cannot be made (then read in this process)."""
    import multiprocessing
    try:
        return multiprocessing.get_context("fork").Pool(workers)
    except (OSError, ValueError, ImportError):
        return None

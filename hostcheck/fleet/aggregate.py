"""Host records → the `hostcheck.fleet/v1` document every view renders from.

hosts     one row per report: identity, worst status per area, non-pass findings and verdicts
per_rule  each rule (and tree verdict) that is not a pass somewhere: which hosts, by status
groups    hosts counted by OS and platform, with how many are worst at each status
"""

import os

from hostcheck import __version__
from hostcheck.report import AREAS, STATUS_RANK, utc_now

from hostcheck.fleet import FLEET_FORMAT

# Statuses a rule is counted under in per_rule (pass and skip say nothing is wrong).
COUNTED = ("error", "fail", "warn", "info")


def _rank(status):
    return STATUS_RANK.get(status, -1) if status else -1


# What a host row keeps in memory; the rest of its record (findings, trees, summary ...) is
# one JSON line in the spool, read back when a view asks for it.
ROW_FIELDS = ("hostname", "source", "worst", "os", "platform", "machine", "kernel", "areas")


def pack(record, details_lang=None):
    """A collect.reduce_report record → (row, marks, line, details): what the aggregation
    keeps in memory, the rules and verdicts it counts for this host (each with its worst
    status), the record as its line of the JSON document (UTF-8, made safe for a terminal
    as escape.safe_json_text makes it: searching 7 KB lines for the few characters it
    escapes took the parent ~2 s for 10,000 hosts), and with `details_lang`
    the host's section of the HTML page in that language: (lang, UTF-8), else None.

    Worker processes call this, so that the parent receives a few byte strings and small
    tuples per host instead of a record to unpickle, and writes them to the spool as they are.
    """
    os_ = record["os"]
    row = (record["hostname"], record["source"], record["worst"], (os_["id"], os_["name"], os_["version"]),
           record["platform"], record["machine"], record["kernel"], tuple(sorted(record["areas"].items())))
    worst_here, titles = {}, {}
    for finding in record["findings"]:
        if finding["status"] in COUNTED:
            key = ("rule", finding["id"], None)
            if key not in titles:
                titles[key] = (finding["area"], finding["title"])
            if _rank(finding["status"]) > _rank(worst_here.get(key)):
                worst_here[key] = finding["status"]
    for verdict in record["trees"]:
        if verdict["status"] in COUNTED:
            key = ("tree", verdict["tree"], verdict["verdict"])
            if key not in titles:
                titles[key] = (verdict["area"], None)
            if _rank(verdict["status"]) > _rank(worst_here.get(key)):
                worst_here[key] = verdict["status"]
    marks = tuple(key + titles[key] + (status,) for key, status in worst_here.items())
    details = None
    if details_lang is not None:
        from hostcheck.fleet.html import host_details_body
        details = (details_lang, _encode(host_details_body(record, details_lang)))
    return row, marks, _encode(record_line(record)), details


# A finding's or verdict's piece of its host's line, made once per worker process (most
# hosts of a fleet share most of them: json.dumps and the escaping search were half of
# pack's time), up to this many kept.
PIECES_KEPT = 20000
_PIECES = {}


def record_line(record):
    """json_line(record) with escape.safe_json_text applied, made of cached pieces."""
    from hostcheck.report.escape import safe_json_text
    keys = list(record)
    if keys[-2:] != ["findings", "trees"]:      # not reduce_report's shape: as a whole
        return safe_json_text(json_line(record))
    head = safe_json_text(json_line({key: record[key] for key in keys[:-2]}))
    return '%s, "findings": [%s], "trees": [%s]}' % (
        head[:-1], ", ".join(map(_piece, record["findings"])), ", ".join(map(_piece, record["trees"])))


def item_key(item):
    """A hashable key that tells a kept finding or verdict (collect.reduce_report) from any other."""
    return (tuple(item),) + tuple((value["text"], tuple(value["commands"])) if type(value) is dict else value
                                  for value in item.values())


def _piece(item):
    key = item_key(item)
    piece = _PIECES.get(key)
    if piece is None:
        from hostcheck.report.escape import safe_json_text
        if len(_PIECES) >= PIECES_KEPT:
            _PIECES.clear()
        piece = _PIECES[key] = safe_json_text(json_line(item))
    return piece


def _encode(text):
    return text.encode("utf-8", "surrogatepass")     # a report may hold "\ud800" (valid JSON)


def json_line(value):
    import json
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


class Spool(object):
    """Host records as JSON lines, read back one at a time: in memory up to IN_MEMORY bytes
    (a small fleet never touches the disk), then in an anonymous temporary file (unlinked
    as it is made: nothing is left behind, whatever happens)."""

    IN_MEMORY = 8 * 1024 * 1024

    def __init__(self):
        self.buffer = bytearray()
        self.file = None
        self.end = 0
        self.details_lang = None    # the language of the HTML sections in the spool
        self._last = (None, None)

    def append(self, data):
        """Bytes (or text, encoded here) to the spool → (offset, length)."""
        if isinstance(data, str):
            data = _encode(data)
        if self.file is None and len(self.buffer) + len(data) > self.IN_MEMORY:
            import tempfile
            self.file = tempfile.TemporaryFile()
            self.file.write(self.buffer)
            self.buffer = None
        if self.file is None:
            self.buffer += data
        else:
            self.file.write(data)
        offset, self.end = self.end, self.end + len(data)
        return offset, len(data)

    def _bytes(self, offset, length):
        if self.file is None:
            return bytes(self.buffer[offset:offset + length])
        self.file.flush()
        return os.pread(self.file.fileno(), length, offset)

    def line(self, offset, length):
        return self._bytes(offset, length).decode("utf-8", "surrogatepass")

    def record(self, row):
        """The whole record of `row` (the last one is kept: a view reads several keys of one host)."""
        if self._last[0] is not row:
            from hostcheck.fleet.collect import parse
            data = self._bytes(row.offset, row.length)
            try:
                record = parse(data)
            except UnicodeDecodeError:      # a lone surrogate, written with surrogatepass
                import json
                record = json.loads(data.decode("utf-8", "surrogatepass"))
            self._last = (row, record)
        return self._last[1]


class HostRow(object):
    """One host of the fleet: reads like its record (row["findings"], row["os"]["id"]).

    Identity, worst status and areas are kept here (strings and dicts shared with the other
    hosts that have the same ones); anything else is read back from the spool.
    """

    __slots__ = ("hostname", "source", "worst", "os", "platform", "machine", "kernel", "areas",
                 "offset", "length", "details_at", "spool")

    def __getitem__(self, key):
        if key in ROW_FIELDS:
            return getattr(self, key)
        return self.spool.record(self)[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def line(self):
        """The record as its line of the fleet's JSON document."""
        return self.spool.line(self.offset, self.length)

    def record(self):
        return dict(self.spool.record(self))

    def details(self, lang):
        """The host's section of the HTML page as a worker made it in `lang`, or None."""
        if self.details_at is None or lang != self.spool.details_lang:
            return None
        return self.spool.line(*self.details_at)


class Aggregator(object):
    """Host records in (any order), the fleet document out: what every view renders from.

    Memory stays small per host (a HostRow, its name in the per-rule lists): records go to
    the spool as they come, and counting happens on the way.
    """

    def __init__(self):
        self.spool = Spool()
        self.rows = []
        self.shared = {}            # one object per distinct string, OS, area map
        self.rules = {}             # key → entry; entry["marks"]: {status: [row index]}
        self.groups = {}

    def _share(self, value):
        return self.shared.setdefault(value, value)

    def add(self, record):
        self.add_packed(*pack(record))

    def add_packed(self, row_tuple, marks, line, details=None):
        hostname, source, worst, os_key, platform, machine, kernel, areas = row_tuple
        share = self._share
        row = HostRow()
        row.hostname, row.source, row.worst = hostname, source, worst
        os_key = share(tuple(map(share, os_key)))
        row.os = self.shared.get(("os",) + os_key)
        if row.os is None:
            row.os = self.shared[("os",) + os_key] = {"id": os_key[0], "name": os_key[1], "version": os_key[2]}
        row.platform, row.machine, row.kernel = share(platform), share(machine), share(kernel)
        row.areas = self.shared.get(("areas",) + areas)
        if row.areas is None:
            row.areas = self.shared[("areas",) + areas] = {share(a): s for a, s in areas}
        row.offset, row.length = self.spool.append(line)
        row.details_at = None
        if details is not None:
            lang, data = details
            row.details_at = self.spool.append(data)
            if self.spool.details_lang not in (None, lang):
                lang = "mixed"      # never asked for: every section is made again
            self.spool.details_lang = lang
        row.spool = self.spool
        index = len(self.rows)
        self.rows.append(row)
        order = (hostname, source)
        for kind, first, second, area, title, status in marks:
            key = (kind, first, second)
            entry = self.rules.get(key)
            if entry is None:
                entry = self.rules[key] = {"key": key, "order": order, "area": area, "title": title,
                                           "marks": {s: [] for s in COUNTED}}
            elif order < entry["order"]:
                # area and title as the first host (by name) has them
                entry["order"], entry["area"], entry["title"] = order, area, title
            entry["marks"][status].append(index)
        group_key = (row.os["name"] or row.os["id"], row.os["version"], row.platform)
        group = self.groups.get(group_key)
        if group is None:
            group = self.groups[group_key] = {"order": order, "os": row.os, "platform": row.platform, "hosts": 0,
                                              "worst": dict.fromkeys(STATUS_RANK, 0)}
        elif order < group["order"]:
            group["order"], group["os"] = order, row.os
        group["hosts"] += 1
        if worst:
            group["worst"][worst] += 1

    def fleet(self, skipped, lang="en", fail_on="fail"):
        """The fleet document; `hosts` is a list of HostRow, by host name and source."""
        order = sorted(range(len(self.rows)), key=lambda i: (self.rows[i].hostname, self.rows[i].source))
        position = [0] * len(order)
        for place, index in enumerate(order):
            position[index] = place
        hosts = [self.rows[index] for index in order]
        seen_areas = {area for areas in {id(h.areas): h.areas for h in hosts}.values() for area in areas}
        areas = list(AREAS) + sorted(seen_areas - set(AREAS))
        threshold = STATUS_RANK[fail_on]
        worst_counts = dict.fromkeys(STATUS_RANK, 0)
        names = {}
        for host in hosts:
            if host.worst:
                worst_counts[host.worst] += 1
            names[host.hostname] = names.get(host.hostname, 0) + 1
        return {
            "format": FLEET_FORMAT,
            "tool": {"name": "hostcheck", "version": __version__},
            "generated_at": utc_now(),
            "lang": lang,
            "fail_on": fail_on,
            "areas": areas,
            "hosts": hosts,
            "per_rule": self._per_rule(position),
            "groups": self._groups(),
            "skipped": list(skipped),
            "summary": {
                "hosts": len(hosts),
                "skipped": len(skipped),
                "worst": worst_counts,
                "at_or_above_fail_on": sum(1 for h in hosts if _rank(h.worst) >= threshold),
                # Fresh installs share names like localhost.localdomain: rows are kept apart
                # (each has its source file), this only says the names alone are ambiguous.
                "duplicate_hostnames": sorted(name for name, count in names.items() if count > 1),
            },
        }

    def _per_rule(self, position):
        out = []
        for entry in self.rules.values():
            kind, first, second = entry["key"]
            hosts = {status: [self.rows[i].hostname for i in sorted(indices, key=position.__getitem__)]
                     for status, indices in entry["marks"].items()}
            out.append({"id": first if kind == "rule" else "%s/%s" % (first, second), "kind": kind,
                        "area": entry["area"], "title": entry["title"],
                        "counts": {s: len(hosts[s]) for s in COUNTED}, "hosts": hosts})
        out.sort(key=lambda e: tuple(-e["counts"][s] for s in COUNTED) + (e["id"],))
        return out

    def _groups(self):
        groups = [{"os": dict(g["os"]), "platform": g["platform"], "hosts": g["hosts"], "worst": g["worst"]}
                  for g in self.groups.values()]
        return sorted(groups, key=lambda g: (-g["hosts"], g["os"]["name"] or g["os"]["id"] or "",
                                             g["platform"] or ""))


def build_fleet(hosts, skipped, lang="en", fail_on="fail"):
    """The fleet document of collect.reduce_report records."""
    aggregator = Aggregator()
    for record in hosts:
        aggregator.add(record)
    return aggregator.fleet(skipped, lang=lang, fail_on=fail_on)


def exit_code(fleet):
    """1 when some host has a finding or verdict at or above --fail-on, else 0."""
    return 1 if fleet["summary"]["at_or_above_fail_on"] else 0


def json_chunks(fleet, escape=lambda text: text):
    """The document as JSON text, in pieces: one line per host (and per rule, group, skipped input).

    json.dumps with indent= runs the pure-Python encoder (~7 s for 10,000 hosts); each line
    here goes through the C one (a host's line was made as its report was read), a host's
    row stays greppable, and written piece by piece the 35 MB of a 10,000-host document is
    never one string. `escape` is applied to every piece but the host lines, which the
    spool holds already escaped (pack).
    """
    def line(value):
        return value.line() if isinstance(value, HostRow) else escape(json_line(value))

    yield "{"
    for index, (key, value) in enumerate(fleet.items()):
        yield "\n" if index == 0 else ",\n"
        if isinstance(value, list) and value and isinstance(value[0], (dict, HostRow)):
            yield ' "%s": [' % key
            for position, item in enumerate(value):
                yield ("\n  " if position == 0 else ",\n  ") + line(item)
            yield "\n ]"
        else:
            yield ' "%s": %s' % (key, line(value))
    yield "\n}\n"

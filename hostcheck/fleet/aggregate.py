"""Host records → the `hostcheck.fleet/v1` document every view renders from.

hosts     one row per report: identity, worst status per area, non-pass findings and verdicts
per_rule  each rule (and tree verdict) that is not a pass somewhere: which hosts, by status
groups    hosts counted by OS and platform, with how many are worst at each status
"""

from hostcheck import __version__
from hostcheck.report import AREAS, STATUS_RANK, utc_now

from hostcheck.fleet import FLEET_FORMAT

# Statuses a rule is counted under in per_rule (pass and skip say nothing is wrong).
COUNTED = ("error", "fail", "warn", "info")


def _rank(status):
    return STATUS_RANK.get(status, -1) if status else -1


def _per_rule(hosts):
    rules = {}
    for host in hosts:
        worst_here = {}
        for finding in host["findings"]:
            if finding["status"] in COUNTED:
                key = ("rule", finding["id"])
                if key not in rules:
                    rules[key] = {"id": finding["id"], "kind": "rule", "area": finding["area"],
                                  "title": finding["title"]}
                if _rank(finding["status"]) > _rank(worst_here.get(key)):
                    worst_here[key] = finding["status"]
        for verdict in host["trees"]:
            if verdict["status"] in COUNTED:
                key = ("tree", verdict["tree"], verdict["verdict"])
                if key not in rules:
                    rules[key] = {"id": "%s/%s" % (verdict["tree"], verdict["verdict"]), "kind": "tree",
                                  "area": verdict["area"], "title": None}
                if _rank(verdict["status"]) > _rank(worst_here.get(key)):
                    worst_here[key] = verdict["status"]
        for key, status in worst_here.items():
            entry = rules[key]
            entry.setdefault("hosts", {s: [] for s in COUNTED})[status].append(host["hostname"])
    out = []
    for entry in rules.values():
        hosts_by_status = entry.pop("hosts")
        entry["counts"] = {s: len(hosts_by_status[s]) for s in COUNTED}
        entry["hosts"] = hosts_by_status
        out.append(entry)
    out.sort(key=lambda e: tuple(-e["counts"][s] for s in COUNTED) + (e["id"],))
    return out


def _groups(hosts):
    groups = {}
    for host in hosts:
        os_ = host["os"]
        key = (os_["name"] or os_["id"], os_["version"], host["platform"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"os": dict(os_), "platform": host["platform"], "hosts": 0,
                                   "worst": dict.fromkeys(STATUS_RANK, 0)}
        group["hosts"] += 1
        if host["worst"]:
            group["worst"][host["worst"]] += 1
    return sorted(groups.values(), key=lambda g: (-g["hosts"], g["os"]["name"] or g["os"]["id"] or "",
                                                   g["platform"] or ""))


def build_fleet(hosts, skipped, lang="en", fail_on="fail"):
    """The fleet document; `hosts` are collect.reduce_report records."""
    hosts = sorted(hosts, key=lambda h: (h["hostname"], h["source"]))
    seen_areas = {area for host in hosts for area in host["areas"]}
    areas = list(AREAS) + sorted(seen_areas - set(AREAS))
    threshold = STATUS_RANK[fail_on]
    worst_counts = dict.fromkeys(STATUS_RANK, 0)
    names = {}
    for host in hosts:
        if host["worst"]:
            worst_counts[host["worst"]] += 1
        names[host["hostname"]] = names.get(host["hostname"], 0) + 1
    return {
        "format": FLEET_FORMAT,
        "tool": {"name": "hostcheck", "version": __version__},
        "generated_at": utc_now(),
        "lang": lang,
        "fail_on": fail_on,
        "areas": areas,
        "hosts": hosts,
        "per_rule": _per_rule(hosts),
        "groups": _groups(hosts),
        "skipped": list(skipped),
        "summary": {
            "hosts": len(hosts),
            "skipped": len(skipped),
            "worst": worst_counts,
            "at_or_above_fail_on": sum(1 for h in hosts if _rank(h["worst"]) >= threshold),
            # Fresh installs share names like localhost.localdomain: rows are kept apart
            # (each has its source file), this only says the names alone are ambiguous.
            "duplicate_hostnames": sorted(name for name, count in names.items() if count > 1),
        },
    }


def exit_code(fleet):
    """1 when some host has a finding or verdict at or above --fail-on, else 0."""
    return 1 if fleet["summary"]["at_or_above_fail_on"] else 0


def json_chunks(fleet):
    """The document as JSON text, in pieces: one line per host (and per rule, group, skipped input).

    json.dumps with indent= runs the pure-Python encoder (~7 s for 10,000 hosts); each line
    here goes through the C one, a host's row stays greppable, and written piece by piece
    the 35 MB of a 10,000-host document is never one string.
    """
    import json

    def line(value):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    yield "{"
    for index, (key, value) in enumerate(fleet.items()):
        yield "\n" if index == 0 else ",\n"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            yield ' "%s": [' % key
            for position, item in enumerate(value):
                yield ("\n  " if position == 0 else ",\n  ") + line(item)
            yield "\n ]"
        else:
            yield ' "%s": %s' % (key, line(value))
    yield "\n}\n"

"""From a capture document to SPEC's report document, and the exit code it implies.

Everything here is a pure function of the capture: the same capture judged on a
customer's host or on an engineer's laptop gives the same report.
"""

import datetime

from hostcheck import __version__

REPORT_FORMAT = "hostcheck.report/v1"
CAPTURE_FORMAT = "hostcheck.capture/v1"

from hostcheck.status import RANK as STATUS_RANK, STATUSES, reaches, worst  # noqa: F401 (re-exported)

# SPEC's areas, in the order a reader meets them.
AREAS = ("arch", "kernel", "binfmt", "runtime", "cgroup", "storage", "security",
         "firewall", "network", "dns", "docker", "image")


class CaptureError(Exception):
    """A capture document that cannot be judged (exit 3, one line)."""


def check_capture(doc, origin="capture"):
    """Refuse what is not a v1 capture, with one line a person can act on."""
    if not isinstance(doc, dict):
        raise CaptureError("%s is not a hostcheck capture (a JSON object was expected)" % origin)
    fmt = doc.get("format")
    if fmt == REPORT_FORMAT:
        raise CaptureError("%s is a hostcheck report, not a capture; run `hostcheck capture -o FILE` "
                           "on the host and analyze that" % origin)
    if fmt != CAPTURE_FORMAT:
        raise CaptureError("%s is not a hostcheck capture (format %r, expected %r)"
                           % (origin, fmt, CAPTURE_FORMAT))
    return doc


def _host_section(facts):
    get = facts.get
    return {
        "hostname": get("host.hostname"),
        "os": {"id": get("os.id"), "name": get("os.name"), "version": get("os.version")},
        "arch": {"machine": get("arch.machine"), "platform": get("arch.platform")},
        "kernel": {"release": get("kernel.release"), "version": get("kernel.version")},
    }


def summarise(findings):
    summary = dict.fromkeys(("pass", "info", "warn", "fail", "skip", "error"), 0)
    for finding in findings:
        summary[finding["status"]] = summary.get(finding["status"], 0) + 1
    return summary


# Trees that `check` and `analyze` walk on their own ("module:function"); each function
# takes (capture, facts, catalogue, lang) and returns a list of walked trees.
HOST_TREES = [
    "hostcheck.image.report:host_image_trees",
]


def host_trees(capture, facts, catalogue, lang):
    import importlib
    trees = []
    for spec in HOST_TREES:
        module, function = spec.split(":")
        trees.extend(getattr(importlib.import_module(module), function)(capture, facts, catalogue, lang))
    return trees


def build_report(capture, lang="en", only=(), skip=(), trees=None, catalogue=None):
    """Judge a capture document; return (report document, facts).

    `trees`: None for the trees `check` and `analyze` walk on every host (HOST_TREES);
    otherwise a list of walked trees, or a function (capture, facts, catalogue, lang) → list,
    for the `image` and `net` commands, which walk trees of their own subjects.
    """
    from hostcheck.judge import judge, load_catalogue
    from hostcheck.parse import build_facts

    catalogue = catalogue or load_catalogue()
    facts = build_facts(capture)
    findings = judge(catalogue, facts, lang=lang, only=only, skip=skip)
    if trees is None:
        trees = host_trees(capture, facts, catalogue, lang)
    elif callable(trees):
        trees = trees(capture, facts, catalogue, lang)
    report = {
        "format": REPORT_FORMAT,
        "tool": {"name": "hostcheck", "version": __version__, "rules": catalogue.version},
        "generated_at": utc_now(),
        "captured_at": capture.get("captured_at"),
        "lang": lang,
        "host": _host_section(facts),
        "facts": facts.to_dict(),
        "findings": findings,
        "trees": list(trees or []),
        "summary": summarise(findings),
    }
    return report, facts


def worst_status(report):
    """The highest-ranked status among findings and tree verdicts (None when empty)."""
    statuses = [f["status"] for f in report.get("findings", [])]
    statuses += [t["verdict"]["status"] for t in report.get("trees", []) if t.get("verdict")]
    return worst(statuses)


def exit_code(report, fail_on="fail"):
    """SPEC: 0 when nothing reaches --fail-on, 1 when something does."""
    status = worst_status(report)
    return 1 if status is not None and reaches(status, fail_on) else 0


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

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


# Facts a report carries beside those the catalogue reads: what was judged and by whom (the
# host section, the text and HTML headers, the fix script's package family, the fleet).
CONTEXT_FACTS = frozenset(("host.hostname", "os.id", "os.name", "os.version", "os.family",
                           "arch.machine", "arch.platform", "cpu.vendor", "cpu.model",
                           "kernel.release", "kernel.version",
                           "privileges.root", "privileges.uid", "docker.state", "docker.version",
                           "docker.endpoint"))


def catalogue_reads(catalogue):
    """{fact name: None when the catalogue reads its whole value, else the frozenset of keys
    and members it reads}: what the rules and trees of `catalogue` ask of each host fact
    (hostcheck.judge.catalogue.compute_reads, stored in catalogue.json by the compiler;
    walked here for any other object with `rules` and `trees`)."""
    reads = getattr(catalogue, "reads", None)
    if reads is None:
        from hostcheck.judge.catalogue import compute_reads
        reads = {name: None if members is None else frozenset(members)
                 for name, members in compute_reads(catalogue.rules, catalogue.trees).items()}
    return reads


def report_facts(facts, catalogue):
    """The `facts` section of a report: the facts the catalogue reads, with their values.

    A fact read in part (catalogue_reads) keeps only the keys and members read, and
    `partial` says how many it kept of how many: the report holds what was judged, the
    capture everything (kernel.config alone is ~95 KB). CONTEXT_FACTS are always kept.
    """
    reads = catalogue_reads(catalogue)
    values, partial = {}, {}
    for name, value in facts.values.items():
        if name not in reads and name not in CONTEXT_FACTS:
            continue
        wanted = reads.get(name)
        if wanted is not None and name not in CONTEXT_FACTS:
            if isinstance(value, dict):
                kept = {key: item for key, item in value.items() if key in wanted}
            elif isinstance(value, list) and all(isinstance(item, str) for item in value):
                kept = [item for item in value if item in wanted]
            else:
                kept = value
            if kept is not value and len(kept) < len(value):
                partial[name] = {"kept": len(kept), "of": len(value)}
                value = kept
        values[name] = value
    section = {"values": dict(sorted(values.items())),
               "unknown": dict(sorted((name, reason) for name, reason in facts.unknown.items()
                                      if name in reads or name in CONTEXT_FACTS))}
    if partial:
        section["partial"] = dict(sorted(partial.items()))
    return section


def summarise(findings):
    summary = dict.fromkeys(("pass", "info", "warn", "fail", "skip", "error"), 0)
    for finding in findings:
        summary[finding["status"]] = summary.get(finding["status"], 0) + 1
    return summary


def summarise_trees(trees):
    """Tree verdicts per status: `summary` counts findings only (SPEC), this counts the rest."""
    return summarise([tree["verdict"] for tree in trees if tree.get("verdict")])


# ------------------------------------------------------------------ --only / --skip
# A finding is selected by its rule id or area (the judge does that); a tree verdict by its
# tree, its verdict id, "tree/verdict", its subject, or the area the tree is about.
# `image` and `net` walk trees of the subjects they were asked about: there the trees are
# the answer, and only what names a tree (not a rule id or an area) selects them, so that
# `net reach A B --only network-ip-forward` narrows the findings beside the tree.

# The area each tree is about (SPEC's tree names).
TREE_AREAS = {"image": "image", "net-egress": "network", "net-port": "network", "net-reach": "network"}


class UnknownIds(ValueError):
    """--only / --skip named ids that select nothing; `.unknown` is [(id, [nearest valid ids])]."""

    def __init__(self, unknown):
        ValueError.__init__(self, "unknown id for only/skip: " + "; ".join(
            name + (" (did you mean %s?)" % " or ".join(nearest) if nearest else "") for name, nearest in unknown))
        self.unknown = unknown


def tree_keys(tree, by_area=True):
    """The ids that select this walked tree (its area's name too, unless by_area is False)."""
    name = tree.get("tree")
    verdict = (tree.get("verdict") or {}).get("id")
    keys = {name, verdict, "%s/%s" % (name, verdict), tree.get("subject")}
    if by_area:
        keys.add(TREE_AREAS.get(name))
    keys.discard(None)
    return keys


def tree_selected(tree, only=(), skip=(), by_area=True):
    keys = tree_keys(tree, by_area)
    if only and not keys.intersection(only):
        return False
    return not keys.intersection(skip)


def select_trees(trees, only, skip, asked_for, catalogue):
    """The trees --only / --skip keep. `asked_for`: the trees are the command's own subjects
    (image, net): areas do not select them, and an --only naming no tree leaves them all."""
    if not asked_for:
        return [tree for tree in trees if tree_selected(tree, only, skip)]
    naming_trees = tree_ids(catalogue) | {tree.get("subject") for tree in trees}
    only = [key for key in only if key in naming_trees]
    return [tree for tree in trees if tree_selected(tree, only, skip, by_area=False)]


def selectable_ids(catalogue):
    """Every id --only / --skip may name before any tree is walked: rule ids, areas, tree
    ids, verdict ids and tree/verdict pairs."""
    return set(AREAS) | set(catalogue.areas()) | {rule["id"] for rule in catalogue.rules} | tree_ids(catalogue)


def tree_ids(catalogue):
    """Tree ids, verdict ids and tree/verdict pairs of the catalogue."""
    ids = set()
    for name, tree in catalogue.trees.items():
        ids.add(name)
        for node, verdict in (tree.get("verdicts") or {}).items():
            # A verdict node's "id" is what reports say (several nodes may share one).
            verdict_id = verdict.get("id", node) if isinstance(verdict, dict) else node
            ids.update((verdict_id, "%s/%s" % (name, verdict_id)))
    return ids


def check_ids(ids, catalogue, trees=()):
    """Raise UnknownIds for ids that name no rule, area, tree, verdict or walked subject.

    The nearest valid ids come from difflib over the catalogue's ids (subjects are data:
    they count as valid, and are offered only when they are close).
    """
    import difflib
    known = selectable_ids(catalogue)
    subjects = {tree.get("subject") for tree in trees if isinstance(tree.get("subject"), str)}
    unknown = [name for name in dict.fromkeys(ids) if name not in known and name not in subjects]
    if unknown:
        # tree/verdict pairs are offered for a name with a "/" only: elsewhere they would
        # crowd out the plain ids they contain.
        plain = sorted(k for k in known if "/" not in k) + sorted(subjects)
        pairs = sorted(k for k in known if "/" in k)
        raise UnknownIds([(name, difflib.get_close_matches(name, pairs if "/" in name else plain, n=3, cutoff=0.6))
                          for name in unknown])


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

    `only` / `skip` select findings (rule ids, areas) and tree verdicts (select_trees); an
    id that names nothing known raises UnknownIds. Summary, tree_summary and the exit code
    then count exactly what the report holds.

    `trees`: None for the trees `check` and `analyze` walk on every host (HOST_TREES);
    otherwise a list of walked trees, or a function (capture, facts, catalogue, lang) → list,
    for the `image` and `net` commands, which walk trees of their own subjects.
    """
    from hostcheck.judge import judge, load_catalogue
    from hostcheck.combine import build_facts

    catalogue = catalogue or load_catalogue()
    facts = build_facts(capture)
    findings = judge(catalogue, facts, lang=lang, only=only, skip=skip)
    asked_for = trees is not None
    if trees is None:
        trees = host_trees(capture, facts, catalogue, lang)
    elif callable(trees):
        trees = trees(capture, facts, catalogue, lang)
    trees = list(trees or [])
    if only or skip:
        check_ids(tuple(only) + tuple(skip), catalogue, trees)
        trees = select_trees(trees, only, skip, asked_for, catalogue)
    report = {
        "format": REPORT_FORMAT,
        "tool": {"name": "hostcheck", "version": __version__, "rules": catalogue.version},
        "generated_at": utc_now(),
        # A string or nothing (schema): a forged number (1e999 parses as Infinity) would make
        # the report invalid JSON.
        "captured_at": capture.get("captured_at") if isinstance(capture.get("captured_at"), str) else None,
        "lang": lang,
        "host": _host_section(facts),
        "facts": report_facts(facts, catalogue),
        "findings": findings,
        "trees": trees,
        "summary": summarise(findings),
        "tree_summary": summarise_trees(trees),
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

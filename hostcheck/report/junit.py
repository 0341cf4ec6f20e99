"""The report as JUnit XML, for CI pipelines (Jenkins, GitLab, GitHub Actions' test reporters).

One <testsuite> per area (in the text report's order) and one named "trees" for the tree
verdicts; one <testcase> per finding or verdict. A testcase fails exactly when its status
counts for the exit code at the chosen --fail-on, so the pipeline's red tests are the
reasons hostcheck exited 1:

    fail (and warn / info when --fail-on is warn / info)   <failure type="fail">
    error                                                  <error type="error">
    skip                                                   <skipped message="reason">
    pass, and warn / info below --fail-on                  passed; warn and info carry
                                                           their text in <system-out>

The structure follows the JUnit schema Jenkins' xunit plugin validates with (junit-10.xsd,
github.com/jenkinsci/xunit-plugin, src/main/resources/org/jenkinsci/plugins/xunit/types/
model/xsd/junit-10.xsd; pytest checks its own --junitxml output against a copy of it).

Every string from the report goes through escape.visible (control characters, bidi
controls and lone surrogates shown as escapes; no raw newline inside a field), then
ElementTree escapes &, < and > — and the two characters XML 1.0 cannot hold at all
(U+FFFE, U+FFFF) are escaped like the rest. Times are 0: a judgement takes no measurable
time per check.
"""

import re
import xml.etree.ElementTree as ET

from hostcheck.report import AREAS, reaches
from hostcheck.report.escape import visible
from hostcheck.report.i18n import ui

# Not characters in XML 1.0 (visible() already escapes C0, C1 and surrogates).
_NOT_XML = re.compile("[\ufffe\uffff]")


def _x(value):
    return _NOT_XML.sub(lambda m: "\\u%04x" % ord(m.group()), visible(value))


def _outcome(status, fail_on):
    """The JUnit element a status becomes (None: the testcase passed)."""
    if status == "error":
        return "error"
    if status == "skip":
        return "skipped"
    if status != "pass" and reaches(status, fail_on):
        return "failure"
    return None


def _details(words, evidence, remediation, refs=()):
    """The body of a failure or system-out: evidence, the fix, its commands, references."""
    lines = []
    if evidence:
        lines.append(_x(evidence))
    remediation = remediation or {}
    if remediation.get("text"):
        lines.append(words["fix"] + words["colon"] + _x(remediation["text"]))
    lines.extend("$ " + _x(command) for command in remediation.get("commands") or [])
    if refs:
        lines.append(words["refs"] + words["colon"] + " ".join(_x(ref) for ref in refs))
    return "\n".join(lines)


def _testcase(suite, name, classname, status, message, details, fail_on):
    case = ET.SubElement(suite, "testcase", name=name, classname=classname, time="0")
    element = _outcome(status, fail_on)
    if element == "skipped":
        ET.SubElement(case, "skipped", message=_skip_message(message, details))
    elif element is not None:
        child = ET.SubElement(case, element, type=status, message=message)
        child.text = details
    elif status in ("warn", "info"):
        out = ET.SubElement(case, "system-out")
        out.text = "%s: %s\n%s" % (status.upper(), message, details)
    return element


def _skip_message(message, details):
    """A skip's one line: its title and the reason (the first line of the details)."""
    reason = details.split("\n", 1)[0]
    return "%s — %s" % (message, reason) if reason else message


def _suite(root, name, timestamp, hostname, properties, cases, fail_on):
    """A <testsuite> of `cases` [(name, classname, status, message, details)] with its counts."""
    suite = ET.SubElement(root, "testsuite", name=name, timestamp=timestamp, hostname=hostname)
    props = ET.SubElement(suite, "properties")
    for key, value in properties:
        ET.SubElement(props, "property", name=key, value=value)
    counts = {"failure": 0, "error": 0, "skipped": 0}
    for case in cases:
        element = _testcase(suite, *case, fail_on=fail_on)
        if element:
            counts[element] += 1
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(counts["failure"]))
    suite.set("errors", str(counts["error"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", "0")
    return counts


def _finding_case(finding, words, area):
    subject = finding.get("subject")
    name = _x(finding["id"]) + (" (%s)" % _x(subject) if subject else "")
    message = _x(finding.get("title") or finding["id"])
    details = _details(words, finding.get("evidence"), finding.get("remediation"), finding.get("refs") or ())
    return (name, "hostcheck.%s" % _x(area), finding["status"], message, details)


def _tree_case(tree, words):
    verdict = tree.get("verdict") or {}
    name = "%s/%s: %s" % (_x(tree.get("tree")), _x(verdict.get("id")), _x(tree.get("subject")))
    message = _x(verdict.get("text") or verdict.get("id"))
    steps = ["? %s → %s%s" % (_x(step.get("question") or step.get("node")),
                              words["answer"].get(step.get("answer"), _x(step.get("answer"))),
                              (" (%s)" % _x(step["evidence"])) if step.get("evidence") else "")
             for step in tree.get("path") or []]
    details = "\n".join(steps + [_details(words, None, verdict.get("remediation"))]).strip("\n")
    return (name, "hostcheck.trees.%s" % _x(tree.get("tree")), verdict.get("status", "skip"), message, details)


def render_junit(report, fail_on="fail"):
    """The JUnit XML document (a string ending in a newline) for `report`."""
    words = ui(report.get("lang", "en"))
    host = report.get("host") or {}
    hostname = _x(host.get("hostname")) or "localhost"
    # JUnit's timestamp has no timezone (the report's generated_at is UTC, "...Z").
    timestamp = (report.get("generated_at") or "1970-01-01T00:00:00Z").rstrip("Z")[:19]
    os_ = host.get("os") or {}
    arch = host.get("arch") or {}
    kernel = host.get("kernel") or {}
    tool = report.get("tool") or {}
    properties = [(key, _x(value)) for key, value in (
        ("hostcheck.version", tool.get("version")), ("hostcheck.rules", tool.get("rules")),
        ("host.os", os_.get("name") or os_.get("id")), ("host.platform", arch.get("platform")),
        ("host.kernel", kernel.get("release")), ("fail_on", fail_on)) if value]

    root = ET.Element("testsuites", name="hostcheck %s" % hostname)
    by_area = {}
    for finding in report.get("findings") or []:
        by_area.setdefault(finding.get("area") or "docker", []).append(finding)
    order = [a for a in AREAS if a in by_area] + sorted(a for a in by_area if a not in AREAS)
    totals = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
    suites = [(area, [_finding_case(f, words, area) for f in by_area[area]]) for area in order]
    trees = report.get("trees") or []
    if trees:
        suites.append(("trees", [_tree_case(tree, words) for tree in trees]))
    for name, cases in suites:
        counts = _suite(root, _x(name), timestamp, hostname, properties, cases, fail_on)
        totals["tests"] += len(cases)
        for key, value in counts.items():
            totals[key] += value
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failure"]))
    root.set("errors", str(totals["error"]))
    root.set("time", "0")
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

"""The CVEs the runc and containerd packages' changelogs name (Debian changelog, else
`rpm -q --changelog`): a distribution backports fixes without changing the version."""

import re

from hostcheck.capture import probes
from hostcheck.parse import runtimes

FACTS = ("runtimes.runc.changelog_cves", "runtimes.runc.changelog_source",
         "runtimes.containerd.changelog_cves", "runtimes.containerd.changelog_source")
# (fact prefix, package, Debian changelog paths, rpm command)
PACKAGES = (
    ("runtimes.runc", "runc",
     probes.RUNC_DEB_CHANGELOGS,
     "rpm -q --changelog runc"),
    ("runtimes.containerd", "containerd",
     probes.CONTAINERD_DEB_CHANGELOGS,
     "rpm -q --changelog containerd.io containerd"),
)
INPUTS = tuple("file:" + path for _, _, paths, _ in PACKAGES for path in paths) \
    + tuple("command:" + key for _, _, _, key in PACKAGES)
PARSERS = (runtimes.changelog_cves,)
_NOT_INSTALLED = re.compile(r"^package \S+ is not installed")


def build(view, facts):
    for prefix, package, deb_paths, rpm_key in PACKAGES:
        _changelog(view, facts, prefix, package, deb_paths, rpm_key)


def _changelog(view, facts, prefix, package, deb_paths, rpm_key):
    """<prefix>.changelog_cves / .changelog_source from the Debian changelog, else `rpm -q --changelog`.

    rpm asked for several packages prints "package X is not installed" (and exits 1) for each
    missing one, beside the changelog of the one that is there."""
    reasons = []
    for path in deb_paths:
        text, reason = view.file(path)
        if text is not None and text.strip():
            facts.set(prefix + ".changelog_cves", runtimes.changelog_cves(text))
            facts.set(prefix + ".changelog_source", path)
            return
        if view.has_file(path):
            reasons.append(reason or "%s: empty" % path)
    run = view.command(rpm_key)
    if run.ran:
        lines = (run.stdout or "").splitlines()
        missing = [line.split()[1] for line in lines if _NOT_INSTALLED.match(line)]
        body = "\n".join(line for line in lines if not _NOT_INSTALLED.match(line))
        if body.strip() and (run.rc == 0 or missing):
            facts.set(prefix + ".changelog_cves", runtimes.changelog_cves(body))
            facts.set(prefix + ".changelog_source", rpm_key)
            return
        if missing:
            reasons.append("%s: package %s is not installed" % (rpm_key, " and ".join(missing)))
        else:
            reasons.append(run.failure() or "%s: empty" % rpm_key)
    elif view.has_command(rpm_key):
        reasons.append(run.failure())
    reason = ("no %s changelog (%s)" % (package, "; ".join(reasons)) if reasons
              else "no %s changelog captured" % package)
    facts.missing(prefix + ".changelog_cves", reason)
    facts.missing(prefix + ".changelog_source", reason)

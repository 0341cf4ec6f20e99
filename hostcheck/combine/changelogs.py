"""The CVEs the runc, containerd, engine (docker.io, docker-engine …) and podman packages'
changelogs name (Debian changelog, else rpm): a distribution backports fixes without
changing the version.

rpm is asked for the package that owns the binary (`rpm -qf --changelog /usr/bin/runc`):
package names differ per distribution (openEuler and Kylin ship runc as docker-runc, and
containerd and dockerd inside docker-engine). Captures from before that probe fall back on
the names (`rpm -q --changelog runc`). docker-ce's own packages (containerd.io, docker-ce)
are upstream builds: their changelogs say nothing of backports, so they are not evidence.
"""

import re

from hostcheck.capture import probes
from hostcheck.parse import runtimes

FACTS = ("runtimes.runc.changelog_cves", "runtimes.runc.changelog_source",
         "runtimes.containerd.changelog_cves", "runtimes.containerd.changelog_source",
         "docker.package.changelog_cves", "docker.package.changelog_source",
         "runtimes.podman.changelog_cves", "runtimes.podman.changelog_source")


def _owner_changelog(path):
    return probes.command_key(("rpm", "-qf", "--changelog", path))


# (fact prefix, what it is, Debian changelog paths, rpm commands in order, fact naming the rpm owner)
PACKAGES = (
    ("runtimes.runc", "runc", probes.RUNC_DEB_CHANGELOGS,
     (_owner_changelog(probes.RUNC_BINARY), probes.command_key(probes.RPM_RUNC_CHANGELOG)),
     "runtimes.runc.package"),
    ("runtimes.containerd", "containerd", probes.CONTAINERD_DEB_CHANGELOGS,
     (_owner_changelog(probes.CONTAINERD_BINARY), probes.command_key(probes.RPM_CONTAINERD_CHANGELOG)),
     "runtimes.containerd.package"),
    ("docker.package", "Docker engine package", probes.DOCKER_IO_DEB_CHANGELOGS,
     (_owner_changelog(probes.DOCKERD_BINARY),), "docker.package.name"),
    ("runtimes.podman", "podman", probes.PODMAN_DEB_CHANGELOGS,
     (_owner_changelog(probes.PODMAN_BINARY),), None),
)
# docker-ce's packages: upstream builds, with no backports for a changelog to name.
UPSTREAM_PACKAGES = ("containerd.io", "docker-ce", "docker-ce-cli", "docker-ee")
INPUTS = tuple("file:" + path for _, _, paths, _, _ in PACKAGES for path in paths) \
    + tuple("command:" + key for _, _, _, keys, _ in PACKAGES for key in keys) \
    + tuple(owner for _, _, _, _, owner in PACKAGES if owner)
PARSERS = (runtimes.changelog_cves,)
_NOT_INSTALLED = re.compile(r"^package \S+ is not installed")
_NOT_OWNED = re.compile(r"^file (\S+) is not owned by any package|^error: file (\S+): (.*)$", re.M)


def build(view, facts):
    for prefix, package, deb_paths, rpm_keys, owner in PACKAGES:
        _changelog(view, facts, prefix, package, deb_paths, rpm_keys, owner)


def _changelog(view, facts, prefix, package, deb_paths, rpm_keys, owner):
    """<prefix>.changelog_cves / .changelog_source from the Debian changelog, else rpm's.

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
    owner_name = facts.get(owner) if owner else None
    for rpm_key in rpm_keys:
        run = view.command(rpm_key)
        if run.ran:
            if owner_name in UPSTREAM_PACKAGES and "-qf" in rpm_key.split():
                reasons.append("%s is Docker's upstream build (%s): its changelog names no backports"
                               % (owner_name, rpm_key))
                continue
            lines = (run.stdout or "").splitlines()
            missing = [line.split()[1] for line in lines if _NOT_INSTALLED.match(line)]
            body = "\n".join(line for line in lines if not _NOT_INSTALLED.match(line))
            unowned = _NOT_OWNED.search((run.stdout or "") + "\n" + (run.stderr or ""))
            if unowned:
                reasons.append("%s: %s" % (rpm_key, "not owned by any package" if unowned.group(1)
                                           else unowned.group(3).strip()))
                continue
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
    reasons = _dedupe(reasons)
    reason = ("no %s changelog (%s)" % (package, "; ".join(reasons)) if reasons
              else "no %s changelog captured" % package)
    facts.missing(prefix + ".changelog_cves", reason)
    facts.missing(prefix + ".changelog_source", reason)


def _dedupe(reasons):
    """"rpm …: not_found (rpm is not installed)" once per command, not once per key tried."""
    seen = []
    for reason in reasons:
        if reason not in seen:
            seen.append(reason)
    return seen

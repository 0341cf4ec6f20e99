"""Small helpers several combiners share (no state: functions of their arguments)."""

import re


def join_reasons(reasons):
    """"/proc/config.gz: not_found", "/boot/config-6.1: not_found" -> one readable line.

    >>> join_reasons(["/proc/config.gz: not_found", "/boot/config-6.1: not_found", None])
    '/proc/config.gz and /boot/config-6.1: not_found'
    """
    reasons = [r for r in reasons if r]
    if not reasons:
        return "not captured"
    by_code = {}
    for reason in reasons:
        path, _, code = reason.partition(": ")
        by_code.setdefault(code, []).append(path)
    return "; ".join("%s: %s" % (" and ".join(paths), code) for code, paths in by_code.items())


def set_series(facts, name, version):
    """major.minor of a version string ("20.10.24+dfsg1" -> "20.10"); unknown when it has none."""
    match = re.match(r"^v?(\d+)\.(\d+)", version or "")
    if match:
        facts.set(name, "%d.%d" % (int(match.group(1)), int(match.group(2))))
    else:
        facts.missing(name, "version %r has no major.minor" % version)

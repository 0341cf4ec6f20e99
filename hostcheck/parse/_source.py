"""Defensive read access to a capture document (format hostcheck.capture/v1).

A capture may be partial, truncated, hand-edited or produced by an older or newer
hostcheck: every accessor here answers either the value or a reason a person can read
("runc --version: not_found", "iptables-save: permission_denied (needs root)"), and
never raises on wrong types.
"""

# The CODEs of SPEC.md; anything else found in a capture is reported as it is.
CODES = ("not_found", "permission_denied", "timeout", "not_running", "skipped", "error")


class Run(object):
    """One captured command: stdout/stderr/rc when it ran, else `reason`."""

    __slots__ = ("key", "stdout", "stderr", "rc", "code", "reason")

    def __init__(self, key, stdout=None, stderr=None, rc=None, code=None, reason=None):
        self.key = key
        self.stdout = stdout
        self.stderr = stderr
        self.rc = rc
        self.code = code        # the capture's CODE when the command did not run
        self.reason = reason    # why there is no output; None when it ran

    @property
    def ran(self):
        return self.reason is None

    @property
    def ok(self):
        return self.reason is None and self.rc == 0

    def failure(self):
        """Why this run gives no usable output (did not run, or exited non-zero)."""
        if self.reason is not None:
            return self.reason
        if self.rc != 0:
            first = first_line(self.stderr) or first_line(self.stdout)
            if first and "permission denied" in first.lower():
                return "%s: permission_denied (needs root)" % self.key
            return "%s: exit %s%s" % (self.key, self.rc, (": " + first) if first else "")
        return None


def first_line(text):
    if not isinstance(text, str):
        return ""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _code_reason(source, entry, root):
    code = entry.get("error")
    if not isinstance(code, str) or not code:
        code = "error"
    reason = "%s: %s" % (source, code)
    detail = entry.get("detail")
    if code == "permission_denied" and root is not True:
        reason += " (needs root)"
    if isinstance(detail, str) and detail:
        reason += " (%s)" % detail[:200]
    return reason


class CaptureView(object):
    """Typed, defensive views over the sections of a capture document."""

    def __init__(self, doc):
        self.doc = doc if isinstance(doc, dict) else {}

    def section(self, key):
        value = self.doc.get(key)
        return value if isinstance(value, dict) else {}

    @property
    def root(self):
        """True/False when the capture says whether it ran as root, else None."""
        euid = self.section("privileges").get("euid")
        if isinstance(euid, bool) or not isinstance(euid, int):
            return None
        return euid == 0

    def has_file(self, path):
        return path in self.section("files")

    def file(self, path):
        """(text, None) or (None, reason)."""
        entry = self.section("files").get(path)
        if entry is None:
            return None, "%s: not captured" % path
        if not isinstance(entry, dict):
            return None, "%s: unreadable capture entry" % path
        content = entry.get("content")
        if isinstance(content, str):
            return content, None
        if isinstance(content, bytes):
            return content.decode("utf-8", "replace"), None
        if "error" in entry:
            return None, _code_reason(path, entry, self.root)
        return None, "%s: no content in capture" % path

    def file_code(self, path):
        """The capture's CODE for a file ('not_found' ...), None if it has content or is absent."""
        entry = self.section("files").get(path)
        if isinstance(entry, dict) and not isinstance(entry.get("content"), str):
            code = entry.get("error")
            return code if isinstance(code, str) else None
        return None

    def files_matching(self, prefix):
        return sorted(p for p in self.section("files") if isinstance(p, str) and p.startswith(prefix))

    def dir(self, path):
        """(sorted entry names, None) or (None, reason)."""
        entry = self.section("dirs").get(path)
        if entry is None:
            return None, "%s: not captured" % path
        if not isinstance(entry, dict):
            return None, "%s: unreadable capture entry" % path
        entries = entry.get("entries")
        if isinstance(entries, list):
            return sorted(e for e in entries if isinstance(e, str)), None
        if "error" in entry:
            return None, _code_reason(path, entry, self.root)
        return None, "%s: no entries in capture" % path

    def command(self, key):
        """A Run for the command captured under `key` (argv joined by spaces)."""
        entry = self.section("commands").get(key)
        if entry is None:
            return Run(key, code="not_captured", reason="%s: not captured" % key)
        if not isinstance(entry, dict):
            return Run(key, code="error", reason="%s: unreadable capture entry" % key)
        rc = entry.get("rc")
        if isinstance(rc, int) and not isinstance(rc, bool):
            stdout = entry.get("stdout")
            stderr = entry.get("stderr")
            return Run(key, stdout if isinstance(stdout, str) else "",
                       stderr if isinstance(stderr, str) else "", rc)
        code = entry.get("error") if isinstance(entry.get("error"), str) else "error"
        return Run(key, code=code, reason=_code_reason(key, entry, self.root))

    def stat(self, path):
        entry = self.section("stat").get(path)
        return entry if isinstance(entry, dict) else None

    def statvfs(self, path):
        entry = self.section("statvfs").get(path)
        return entry if isinstance(entry, dict) else None

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
    """Typed, defensive views over the sections of a capture document.

    The public accessors name what they read (a file, a command, an engine path ...), so
    a test can record which capture keys a combiner reads; internally the view goes
    through `_section`, which records nothing.
    """

    def __init__(self, doc):
        self.doc = doc if isinstance(doc, dict) else {}

    def _section(self, key):
        value = self.doc.get(key)
        return value if isinstance(value, dict) else {}

    def section(self, key):
        return self._section(key)

    def value(self, key):
        """The top-level entry `key` as it is (any type; None when absent)."""
        return self.doc.get(key)

    def uname(self):
        """The uname fields that hold a non-empty string."""
        return {k: v for k, v in self._section("uname").items() if isinstance(v, str) and v}

    def responses(self):
        """The engine's recorded answers: {API path: body}."""
        responses = self._section("docker").get("responses")
        return responses if isinstance(responses, dict) else {}

    @property
    def root(self):
        """True/False when the capture says whether it ran as root, else None."""
        return self._root()

    def _root(self):
        euid = self._section("privileges").get("euid")
        if isinstance(euid, bool) or not isinstance(euid, int):
            return None
        return euid == 0

    def has_file(self, path):
        return path in self._section("files")

    def file(self, path):
        """(text, None) or (None, reason)."""
        entry = self._section("files").get(path)
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
            return None, _code_reason(path, entry, self._root())
        return None, "%s: no content in capture" % path

    def file_code(self, path):
        """The capture's CODE for a file ('not_found' ...), None if it has content or is absent."""
        entry = self._section("files").get(path)
        if isinstance(entry, dict) and not isinstance(entry.get("content"), str):
            code = entry.get("error")
            return code if isinstance(code, str) else None
        return None

    def files_matching(self, prefix):
        return sorted(p for p in self._section("files") if isinstance(p, str) and p.startswith(prefix))

    def dir(self, path):
        """(sorted entry names, None) or (None, reason)."""
        entry = self._section("dirs").get(path)
        if entry is None:
            return None, "%s: not captured" % path
        if not isinstance(entry, dict):
            return None, "%s: unreadable capture entry" % path
        entries = entry.get("entries")
        if isinstance(entries, list):
            return sorted(e for e in entries if isinstance(e, str)), None
        if "error" in entry:
            return None, _code_reason(path, entry, self._root())
        return None, "%s: no entries in capture" % path

    def command(self, key):
        """A Run for the command captured under `key` (argv joined by spaces)."""
        entry = self._section("commands").get(key)
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
        return Run(key, code=code, reason=_code_reason(key, entry, self._root()))

    def has_command(self, key):
        """The capture holds an entry for this command (whatever its outcome)."""
        return self._section("commands").get(key) is not None

    def int_file(self, path):
        """(int, None) for a file holding one integer, else (None, reason)."""
        text, reason = self.file(path)
        if text is None:
            return None, reason
        word = text.strip()
        if word.lstrip("-").isdigit():
            return int(word), None
        return None, "%s: unexpected content %r" % (path, word[:40])

    def stat(self, path):
        entry = self._section("stat").get(path)
        return entry if isinstance(entry, dict) else None

    def statvfs(self, path):
        entry = self._section("statvfs").get(path)
        return entry if isinstance(entry, dict) else None

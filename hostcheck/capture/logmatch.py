"""Container log lines that show a known failure at start: which kinds a line shows.

The capture keeps only such lines of a failed container's log (nothing else leaves the
host), and the image trees name the failure from them (hostcheck/image/report.py): one
table for both. Standard library only (the capture runs on Python 3.6).

Each kind is a list of (first, then) pairs that match like the regex "first.*then",
case-insensitively, but as two finds: that regex backtracks over the rest of the line for
every "first" in it (a 64 KiB line of "exec " took 25 s), two finds are linear.

>>> log_kinds("exec /bin/uname: exec format error"), log_kinds("open /etc/x: no such file or directory")
(['exec_format'], [])
"""

LOG_KINDS = (
    ("exec_format", (("exec format error", ""),)),
    ("no_such_file", (("exec", "no such file or directory"), ("no such file or directory", "exec"))),
    ("page_size", (("unsupported system page size", ""),)),
    ("permission", (("exec", "permission denied"), ("permission denied", "exec"))),
)


def log_kinds(line):
    """The failure kinds `line` shows, in LOG_KINDS order (empty: a line not to keep)."""
    lowered = line.lower()
    return [kind for kind, pairs in LOG_KINDS if _shows(lowered, pairs)]


def _shows(lowered, pairs):
    for first, then in pairs:
        at = lowered.find(first)
        if at >= 0 and lowered.find(then, at + len(first)) >= 0:
            return True
    return False

"""Files written beside the report (--html, --fix-script): data shown safely, written whole.

`visible` shows the characters a page or a script must not carry raw as escapes: control
characters (a newline in a script comment ends the comment), DEL and C1, the bidi
controls (U+202E shows a command reversed), the Unicode line separators (an editor breaks
the line there, bash does not) and lone surrogates (UTF-8 cannot encode them).

The text goes to a temporary file in the target's directory, renamed over the target at
the end, so that a failure (a full disk, an error while rendering) leaves the old file or
none, never a truncated one. The file gets the mode open() would give it: the old file's,
or 0666 less the umask.
"""

import os
import re
import stat
import tempfile

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")


def _escape(match):
    code = ord(match.group())
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def visible(value, newlines=False):
    """`value` as text with those characters escaped; `newlines=True` keeps "\\n" (a page
    lays line breaks out).

    >>> visible("a\\nb\\u202ec\\x1b"), visible("a\\nb", newlines=True), visible(None)
    ('a\\\\x0ab\\\\u202ec\\\\x1b', 'a\\nb', '')
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if newlines:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in text.split("\n"))
    return _UNSAFE.sub(_escape, text)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path, text):
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    target = os.path.realpath(path)
    fd, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(target), suffix=".tmp",
                                     dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise

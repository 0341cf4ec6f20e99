"""Strings from a capture, a report or an archive, made safe to print.

Anything a host controls — a hostname, a container name, an image tag, a log line, a
zone name, text inside a report someone sent — may carry terminal control sequences:
ESC (screen clear, OSC 8 hyperlinks, OSC 52 clipboard writes), CR (overwrite the line
just printed), C1 controls (8-bit CSI), or bidi overrides (U+202E shows text reversed).
`visible` shows each such character as a Python-style escape instead of sending it:

>>> visible("node1\\x1b]52;c;cm0gLXJm\\x07")
'node1\\\\x1b]52;c;cm0gLXJm\\\\x07'
>>> visible("abc\\u202egnp.exe")
'abc\\\\u202egnp.exe'
>>> visible("ok\\rFAIL")
'ok\\\\rFAIL'

Tabs and newlines are escaped as well: a tab's width depends on the terminal's tab stops
and would break the column widths of tables, and a newline inside a one-line field lets
data print a line of its own (a forged "PASS"). No text of ours is multi-line, so nothing
legitimate is lost. Lone surrogates (valid in JSON as "\\ud800", unencodable as UTF-8)
are shown the same way instead of failing the write.

A backslash already in the data is left alone: the aim is a terminal that stays ours,
not a reversible encoding.

Markup is the renderers' half of the job: they build rich `Text` objects (which never
parse markup) on consoles made with markup=False, so `[link=file:///etc/passwd]` in a
report prints as those characters.
"""

import re

# C0 controls (tab and newline included, see above), DEL, C1 controls, the bidi
# embedding/override/isolate/mark characters, the Unicode line and paragraph separators,
# and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match):
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def visible(value, newlines=False):
    """`value` as text with every control, bidi character and lone surrogate escaped.

    None is "", other non-strings are str()-ed. `newlines=True` keeps "\\n" as it is, for
    a page where a line break is only layout (the fleet's HTML).

    >>> visible(None), visible(3), visible("两台主机 · ok")
    ('', '3', '两台主机 · ok')
    >>> visible("a\\nb\\u2028c\\ud800"), visible("a\\nb", newlines=True)
    ('a\\\\nb\\\\u2028c\\\\ud800', 'a\\nb')
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if _UNSAFE.search(value) is None:
        return value
    if newlines:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in value.split("\n"))
    return _UNSAFE.sub(_escape, value)


# In JSON text these characters can only stand inside a string (JSON's whitespace is space,
# tab, LF and CR, and json.dumps already escapes the C0 controls), so writing them as \\u
# escapes keeps the document's value and leaves nothing a terminal acts on or an encoder
# refuses.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def safe_json_text(text):
    """JSON text (from json.dumps) with DEL, C1, bidi controls and lone surrogates as \\u escapes.

    The value is unchanged: json.loads gives back the same document.

    >>> safe_json_text('{"name": "\\u202ea\\x9b\\ud800"}')
    '{"name": "\\\\u202ea\\\\u009b\\\\ud800"}'
    """
    if _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda match: "\\u%04x" % ord(match.group()), text)

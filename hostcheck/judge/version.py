"""Version comparison for the strings real hosts print.

`packaging.version.Version` rejects `1.1.5+ds1-1+deb12u1`, `1.6.20~ds1` and kernel
releases, and importing it costs 2-6 ms on every run, so this is a small tuple
compare instead: keep the raw string, read its numeric prefix (`4.19.90` from
`4.19.90-24.4.v2101.ky10.aarch64`), and a pre-release tag directly after it
(`1.0.0-rc95` sorts before `1.0.0`). Everything else (`+ds1`, `-1+deb12u1`,
`~ds1`, `.el7.x86_64`, `-91-generic`) is packaging and is ignored.
A string without a numeric prefix is unparseable: `parse_version` returns None
and a rule treats the comparison as unknown, never as a pass.
"""

import re

_VERSION = re.compile(
    r"""^\s*[vV]?
        (?P<release>\d+(?:\.\d+)*)
        (?:[-_.~]?(?P<tag>alpha|beta|pre|rc|dev|a|b)[-_.]?(?P<n>\d*)(?![a-z]))?
    """, re.VERBOSE)

# dev < alpha < beta < rc < final release
_TAG_RANK = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "pre": 3, "rc": 3}
_FINAL = (9,)


class Version(object):
    """A parsed version: `raw` as printed, `release` tuple, `pre` (tag, n) or None."""

    __slots__ = ("raw", "release", "pre", "_key")

    def __init__(self, raw, release, pre):
        self.raw = raw
        self.release = release
        self.pre = pre
        trimmed = list(release)
        while len(trimmed) > 1 and trimmed[-1] == 0:   # 1.15 == 1.15.0
            trimmed.pop()
        tail = _FINAL if pre is None else (_TAG_RANK[pre[0]], pre[1])
        self._key = (tuple(trimmed), tail)

    def __eq__(self, other):
        return isinstance(other, Version) and self._key == other._key

    def __ne__(self, other):
        return not self == other

    def __lt__(self, other):
        return self._key < other._key

    def __le__(self, other):
        return self._key <= other._key

    def __gt__(self, other):
        return self._key > other._key

    def __ge__(self, other):
        return self._key >= other._key

    def __hash__(self):
        return hash(self._key)

    def __str__(self):
        text = ".".join(str(part) for part in self.release)
        if self.pre is not None:
            text += "-%s%s" % (self.pre[0], self.pre[1])
        return text

    def __repr__(self):
        return "Version(%r)" % self.raw


def parse_version(raw):
    """Version for `raw`, or None when it has no numeric prefix."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    match = _VERSION.match(raw)
    if match is None:
        return None
    release = tuple(int(part) for part in match.group("release").split("."))
    pre = None
    if match.group("tag"):
        pre = (match.group("tag"), int(match.group("n") or 0))
    return Version(raw, release, pre)


def compare_versions(left, right):
    """-1, 0 or 1 comparing two version strings; None when either is unparseable."""
    a, b = parse_version(left), parse_version(right)
    if a is None or b is None:
        return None
    return (a > b) - (a < b)

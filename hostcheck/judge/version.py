"""Version comparison for the strings real hosts print, three ways.

* Upstream versions -- what `runc --version`, the engine's /version and `uname -r` say:
  `parse_version` / `compare_versions`, compared with `packaging.version.Version`
  (PEP 440) after the normalisation below. Operators `version_lt` ... `version_eq`.
* Debian package versions -- `dpkg-query -W` (`1:1.1.5+ds1-1+deb12u1`):
  `compare_deb_versions`, dpkg's own algorithm. Operators `deb_version_*`.
* RPM package versions -- `rpm -q` (`2:18.09.0-333.oe2203sp3`): `compare_rpm_versions`,
  rpm's rpmvercmp on epoch, version and release. Operators `rpm_version_*`.

Each comparison returns -1, 0 or 1, or None when either side is not a version of its
kind; a condition over None is unknown, never a pass.

Normalisation of an upstream version (the raw string is kept as `.raw`):
  1. leading blanks and a leading `v` go: `v1.1.12` -> 1.1.12;
  2. an epoch (`1:1.7.27-0ubuntu1`) marks a package version: unparseable here;
  3. the release is the leading dotted number: `4.19.90` of `4.19.90-24.4.v2101.ky10.aarch64`;
  4. Docker's edition after it is skipped: `18.06.1-ce` -> 18.06.1;
  5. a pre-release tag directly after it is kept: `1.0.0-rc95`, `1.0.0.rc3`, `1.1.0~rc.1`,
     `1.5.0~beta4~ds1`, `2.0.0-beta.0` (alpha/a, beta/b, c/rc/pre/preview, dev), and so is
     the RPM convention of a pre-release in the release field (`1.0.0-0.rc3.el7`,
     `1.0.0-68.rc92.module+el8.3.0`);
  6. everything else is packaging and is dropped: `+ds1`, `+dfsg1`, `~ds1`, `-1+deb12u1`,
     `-0ubuntu1`, `.el7.x86_64`, `-24.4.v2101.ky10.aarch64`, `-91-generic`.
`packaging` itself would reject `1.6.20~ds1` and `5.15.0-91-generic`, and read
`1.1.5+ds1` as a local version above 1.1.5 and `1.7.27-1` as a post-release: hence the
normalisation. A string without a leading number (`rc1`, `unknown`) is unparseable.
"""

import re

from packaging.version import InvalidVersion
from packaging.version import Version as _Pep440

_LONGEST = 256          # longer strings are not versions: unparseable, not a slow regex

_TAG = r"(?P<tag{0}>alpha|beta|preview|pre|rc|dev|a|b|c)[-_.]?(?P<n{0}>[0-9]*)(?![A-Za-z0-9])"
_UPSTREAM = re.compile(r"""
    [ \t]*[vV]?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<epoch>:)?
    (?:-[ce]e(?![A-Za-z0-9]))?                      # Docker's -ce / -ee edition
    (?:
        [-_.~]?""" + _TAG.format(1) + r"""          # 1.0.0-rc95, 1.0.0.rc3, 1.1.0~rc.1
      | -[0-9]+(?:\.[0-9]+)*\.""" + _TAG.format(2) + r"""   # RPM release 0.rc3 / 68.rc92
    )?
    """, re.VERBOSE)
_PEP440_TAG = {"alpha": "a", "a": "a", "beta": "b", "b": "b",
               "c": "rc", "rc": "rc", "pre": "rc", "preview": "rc", "dev": ".dev"}


class UpstreamVersion(object):
    """An upstream version: `raw` as printed, `normalised` as given to `packaging`."""

    __slots__ = ("raw", "normalised", "pep440")

    def __init__(self, raw, normalised):
        self.raw = raw
        self.normalised = normalised
        self.pep440 = _Pep440(normalised)

    @property
    def release(self):
        return self.pep440.release

    @property
    def pre(self):
        """('a' | 'b' | 'rc', n), ('dev', n) for a development release, or None."""
        if self.pep440.pre is not None:
            return self.pep440.pre
        if self.pep440.dev is not None:
            return ("dev", self.pep440.dev)
        return None

    def _other(self, other):
        return other.pep440 if isinstance(other, UpstreamVersion) else None

    def __eq__(self, other):
        theirs = self._other(other)
        return NotImplemented if theirs is None else self.pep440 == theirs

    def __ne__(self, other):
        theirs = self._other(other)
        return NotImplemented if theirs is None else self.pep440 != theirs

    def __lt__(self, other):
        theirs = self._other(other)
        return NotImplemented if theirs is None else self.pep440 < theirs

    def __le__(self, other):
        theirs = self._other(other)
        return NotImplemented if theirs is None else self.pep440 <= theirs

    def __gt__(self, other):
        theirs = self._other(other)
        return NotImplemented if theirs is None else self.pep440 > theirs

    def __ge__(self, other):
        theirs = self._other(other)
        return NotImplemented if theirs is None else self.pep440 >= theirs

    def __hash__(self):
        return hash(self.pep440)

    def __str__(self):
        return str(self.pep440)

    def __repr__(self):
        return "UpstreamVersion(%r -> %r)" % (self.raw, self.normalised)


def _as_text(raw):
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)):
        raw = str(raw)
    if not isinstance(raw, str) or len(raw) > _LONGEST:
        return None
    return raw


def normalise_version(raw):
    """The PEP 440 string hostcheck reads in an upstream version, or None.

    >>> [normalise_version(s) for s in ("1.0.0-rc95", "1.1.5+ds1", "1.6.20~ds1",
    ...     "4.19.90-24.4.v2101.ky10.aarch64", "1.0.0-0.rc3.el7", "v1.1.12", "rc1")]
    ['1.0.0rc95', '1.1.5', '1.6.20', '4.19.90', '1.0.0rc3', '1.1.12', None]
    """
    text = _as_text(raw)
    match = _UPSTREAM.match(text) if text is not None else None
    if match is None or match.group("epoch"):
        return None
    normalised = match.group("release")
    for which in ("1", "2"):
        tag = match.group("tag" + which)
        if tag:
            normalised += "%s%d" % (_PEP440_TAG[tag], int(match.group("n" + which) or 0))
    return normalised


def parse_version(raw):
    """UpstreamVersion for `raw`, or None when it is not an upstream version."""
    normalised = normalise_version(raw)
    if normalised is None:
        return None
    try:
        return UpstreamVersion(raw, normalised)
    except InvalidVersion:      # cannot happen for what _UPSTREAM builds; stay unknown
        return None


def _sign(number):
    return (number > 0) - (number < 0)


def compare_versions(left, right):
    """-1, 0 or 1 comparing two upstream versions; None when either is unparseable."""
    a, b = parse_version(left), parse_version(right)
    if a is None or b is None:
        return None
    return (a > b) - (a < b)


# ---------------------------------------------------------------- Debian (dpkg)

_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ALNUM = _DIGITS | _LETTERS
_DEB_EPOCH = re.compile(r"[0-9]+\Z")
_DEB_UPSTREAM = re.compile(r"[0-9][A-Za-z0-9.+~:-]*\Z")
_DEB_REVISION = re.compile(r"[A-Za-z0-9.+~]+\Z")
_INT_MAX = 2147483647


def parse_deb_version(raw):
    """(epoch, upstream, revision) as dpkg's parseversion reads `raw`, or None where dpkg
    errors or warns (empty, embedded blanks, a bad epoch, an empty revision, an upstream
    part not starting with a digit, a character outside dpkg's sets).

    >>> parse_deb_version("1:1.1.5+ds1-1+deb12u1"), parse_deb_version("1.6.20~ds1")
    ((1, '1.1.5+ds1', '1+deb12u1'), (0, '1.6.20~ds1', ''))
    """
    if not isinstance(raw, str) or len(raw) > _LONGEST:
        return None
    text = raw.strip(" \t")
    epoch = 0
    if ":" in text:
        head, text = text.split(":", 1)
        if not _DEB_EPOCH.match(head) or int(head) > _INT_MAX:
            return None
        epoch = int(head)
    upstream, revision = text, ""
    if "-" in text:
        upstream, revision = text.rsplit("-", 1)
        if not _DEB_REVISION.match(revision):
            return None
    if not _DEB_UPSTREAM.match(upstream):
        return None
    return epoch, upstream, revision


def _deb_order(text, index):
    """dpkg's order(): the weight of one character in a non-digit run ('' past the end)."""
    if index >= len(text) or text[index] in _DIGITS:
        return 0
    char = text[index]
    if char in _LETTERS:
        return ord(char)
    if char == "~":         # before everything, even the end of the string
        return -1
    return ord(char) + 256


def _verrevcmp(a, b):
    """dpkg's verrevcmp(): alternate non-digit runs (by _deb_order) and numbers."""
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and a[i] not in _DIGITS) or (j < len(b) and b[j] not in _DIGITS):
            ours, theirs = _deb_order(a, i), _deb_order(b, j)
            if ours != theirs:
                return _sign(ours - theirs)
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and j < len(b) and a[i] in _DIGITS and b[j] in _DIGITS:
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i] in _DIGITS:
            return 1
        if j < len(b) and b[j] in _DIGITS:
            return -1
        if first_diff:
            return _sign(first_diff)
    return 0


def compare_deb_versions(left, right):
    """-1, 0 or 1 as `dpkg --compare-versions` orders two Debian versions; None when
    either is not one.

    >>> compare_deb_versions("1.6.20~ds1-1", "1.6.20-1"), compare_deb_versions("1:1.0", "2.0")
    (-1, 1)
    """
    a, b = parse_deb_version(left), parse_deb_version(right)
    if a is None or b is None:
        return None
    if a[0] != b[0]:
        return _sign(a[0] - b[0])
    return _verrevcmp(a[1], b[1]) or _verrevcmp(a[2], b[2])


# ---------------------------------------------------------------- RPM (rpmvercmp)

_TILDE_CARET = ("~", "^")
_RPM_RANK = {"~": 0, "": 1, "^": 2}     # ~ < the end < ^ < a letter or digit (3)
_RPM_EVR = re.compile(r"(?:(?P<epoch>[0-9]+):)?(?P<version>[A-Za-z0-9._+~^]+)"
                      r"(?:-(?P<release>[A-Za-z0-9._+~^]+))?\Z")


def _segment(text, start, chars):
    end = start
    while end < len(text) and text[end] in chars:
        end += 1
    return end


def rpmvercmp(a, b):
    """rpm's rpmvercmp() (rpm >= 4.15): -1, 0 or 1 for two version or release strings.

    Alphanumeric segments compare in turn, numbers numerically and above letters; other
    characters only separate, except `~` (sorts before anything, even the end) and `^`
    (sorts after the end, before anything else).

    >>> rpmvercmp("1.0~rc1", "1.0"), rpmvercmp("1.0^git1", "1.0"), rpmvercmp("1.0^git1", "1.01")
    (-1, 1, -1)
    """
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and a[i] not in _ALNUM and a[i] not in _TILDE_CARET:
            i += 1
        while j < len(b) and b[j] not in _ALNUM and b[j] not in _TILDE_CARET:
            j += 1
        ours = a[i] if i < len(a) else ""
        theirs = b[j] if j < len(b) else ""
        if ours in _TILDE_CARET or theirs in _TILDE_CARET:
            if ours != theirs:
                return -1 if _RPM_RANK.get(ours, 3) < _RPM_RANK.get(theirs, 3) else 1
            i += 1
            j += 1
            continue
        if not (ours and theirs):
            break
        numeric = ours in _DIGITS
        kind = _DIGITS if numeric else _LETTERS
        end_a, end_b = _segment(a, i, kind), _segment(b, j, kind)
        seg_a, seg_b = a[i:end_a], b[j:end_b]
        if not seg_b:               # a number against letters: the number is newer
            return 1 if numeric else -1
        if numeric:
            seg_a, seg_b = seg_a.lstrip("0"), seg_b.lstrip("0")
            if len(seg_a) != len(seg_b):
                return 1 if len(seg_a) > len(seg_b) else -1
        if seg_a != seg_b:
            return 1 if seg_a > seg_b else -1
        i, j = end_a, end_b
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def parse_rpm_version(raw):
    """(epoch or None, version, release or None) of an `[E:]V[-R]` string, or None when it
    is not one (rpmbuild allows only letters, digits and `._+~^` in V and R).

    >>> parse_rpm_version("2:18.09.0-333.oe2203sp3"), parse_rpm_version("1.0.0.rc3")
    (('2', '18.09.0', '333.oe2203sp3'), (None, '1.0.0.rc3', None))
    """
    if not isinstance(raw, str) or len(raw) > _LONGEST:
        return None
    match = _RPM_EVR.match(raw.strip(" \t"))
    if match is None:
        return None
    return match.group("epoch"), match.group("version"), match.group("release")


def compare_rpm_versions(left, right):
    """-1, 0 or 1 as rpm orders two `[E:]V[-R]` strings (rpm.vercmp, rpmverCmp): epoch
    (absent = 0), then version, then release, where a missing release sorts below any
    release. None when either is not such a string.

    >>> compare_rpm_versions("1.0.0.rc3-310.oe2203", "1.0.0-0.rc3.el7")
    1
    """
    a, b = parse_rpm_version(left), parse_rpm_version(right)
    if a is None or b is None:
        return None
    result = rpmvercmp(a[0] or "0", b[0] or "0") or rpmvercmp(a[1], b[1])
    if result or (a[2] is None and b[2] is None):
        return result
    if a[2] is None or b[2] is None:
        return -1 if a[2] is None else 1
    return rpmvercmp(a[2], b[2])


# Operator prefix -> comparison; `deb_version_lt` compares with compare_deb_versions.
COMPARISONS = {
    "version": compare_versions,
    "deb_version": compare_deb_versions,
    "rpm_version": compare_rpm_versions,
}
_OPERATOR = re.compile(r"(?P<scheme>[a-z_]+)_(?:lt|le|gt|ge|eq)\Z")


def comparison_for(op):
    """The comparison a version operator uses, or None for any other operator."""
    match = _OPERATOR.match(op) if isinstance(op, str) else None
    return COMPARISONS.get(match.group("scheme")) if match else None

"""Kernel release, configuration and loaded modules.

Sample output::

    $ uname -r
    4.19.90-24.4.v2101.ky10.aarch64
    $ zcat /proc/config.gz | sed -n '1,3p;/CONFIG_MODULES[ =]/p'
    #
    # Automatically generated file; DO NOT EDIT.
    # Linux/x86 6.18.44 Kernel Configuration
    # CONFIG_MODULES is not set
    $ cat /proc/modules
    br_netfilter 32768 0 - Live 0x0000000000000000
    bridge 307200 1 br_netfilter, Live 0x0000000000000000

>>> normalise_release("3.10.0-1160.el7.x86_64"), normalise_release("6.18.44-fc-v595")
('3.10.0', '6.18.44')
>>> parse_config("CONFIG_OVERLAY_FS=m\\n# CONFIG_MODULES is not set\\nCONFIG_LOCALVERSION=\\"\\"\\n")
{'CONFIG_OVERLAY_FS': 'm', 'CONFIG_MODULES': 'n', 'CONFIG_LOCALVERSION': ''}
"""

import re

_RELEASE = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?")
_NAME_OK = re.compile(r"CONFIG_[A-Za-z0-9_]+$").match


def normalise_release(release):
    """Numeric x.y.z prefix of a kernel release; a missing patch level counts as 0.

    Vendor suffixes ("-1160.el7.x86_64", "-24.4.v2101.ky10.aarch64", "-91-generic") are
    dropped. None when the release does not start with a version.
    """
    if not isinstance(release, str):
        return None
    match = _RELEASE.match(release)
    if not match:
        return None
    return "%d.%d.%d" % (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def release_from_proc_version(text):
    """/proc/version "Linux version 6.1.0-13-amd64 (...)" -> "6.1.0-13-amd64"."""
    if not isinstance(text, str):
        return None
    words = text.split()
    if len(words) >= 3 and words[0] == "Linux" and words[1] == "version":
        return words[2]
    return None


def parse_config(text):
    """Kernel .config text -> {CONFIG_X: value}; "# CONFIG_X is not set" gives "n".

    Values keep their text ("y", "m", "4096"); quotes around strings are removed.
    CRLF line ends and truncated last lines are tolerated.
    """
    config = {}
    if not isinstance(text, str):
        return config
    # str methods, not regexes: a distribution config has ~10,000 lines.
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("CONFIG_"):
            name, sep, value = line.partition("=")
            if not sep or not _NAME_OK(name):
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            config[name] = value
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            name = line[2:-len(" is not set")].strip()
            if _NAME_OK(name):
                config[name] = "n"
    return config


def parse_modules(text):
    """/proc/modules -> sorted module names."""
    names = set()
    if not isinstance(text, str):
        return []
    for line in text.splitlines():
        words = line.split()
        if words and re.match(r"^[A-Za-z0-9_\-]+$", words[0]):
            names.add(words[0])
    return sorted(names)

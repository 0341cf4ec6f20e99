"""/proc/mounts: the mount table and the cgroup mode.

Sample output::

    $ grep cgroup /proc/mounts       # Debian 12 VM, hybrid hierarchy
    tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0
    cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0
    cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
    cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0

>>> cgroup_mode(parse_mounts("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\\n"))
'v2'
"""

import re

_OCTAL = re.compile(r"\\([0-7]{3})")


def _unescape(field):
    # The kernel escapes space, tab, newline and backslash in /proc/mounts as \\ooo.
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mounts(text):
    """/proc/mounts -> [{device, mountpoint, fstype, options: [..]}]; short lines are skipped."""
    mounts = []
    if not isinstance(text, str):
        return mounts
    for line in text.splitlines():
        words = line.split()
        if len(words) < 3:
            continue
        mounts.append({
            "device": _unescape(words[0]),
            "mountpoint": _unescape(words[1]),
            "fstype": words[2],
            "options": words[3].split(",") if len(words) > 3 else [],
        })
    return mounts


def cgroup_mode(mounts):
    """"v1" | "hybrid" | "v2" | None (no cgroup filesystem mounted at all).

    Only cgroup2 mounted -> v2 (unified). v1 controllers plus a cgroup2 mount (systemd
    puts it at /sys/fs/cgroup/unified) -> hybrid. v1 only -> v1.
    """
    v1 = any(m["fstype"] == "cgroup" for m in mounts)
    v2 = any(m["fstype"] == "cgroup2" for m in mounts)
    if v1 and v2:
        return "hybrid"
    if v2:
        return "v2"
    if v1:
        return "v1"
    return None

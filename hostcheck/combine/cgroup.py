"""Mounts and cgroups: the mount table, the cgroup mode (v1, hybrid, v2) and the v2 root's controllers."""

from hostcheck.parse import mounts

FACTS = ("mounts", "cgroup.mode", "cgroup.controllers")
CONTROLLERS = "/sys/fs/cgroup/cgroup.controllers"
INPUTS = ("file:/proc/mounts", "file:" + CONTROLLERS)
PARSERS = (mounts.parse_mounts, mounts.cgroup_mode)


def build(view, facts):
    text, reason = view.file("/proc/mounts")
    if text is None:
        facts.missing("mounts", reason)
        facts.missing("cgroup.mode", reason)
        return
    table = mounts.parse_mounts(text)
    facts.set("mounts", table)
    mode = mounts.cgroup_mode(table)
    if mode:
        facts.set("cgroup.mode", mode)
    else:
        facts.missing("cgroup.mode", "/proc/mounts: no cgroup or cgroup2 filesystem mounted")
    controllers, reason = view.file(CONTROLLERS)
    if controllers is not None:
        facts.set("cgroup.controllers", controllers.split())
    elif view.file_code(CONTROLLERS) == "not_found":
        facts.missing("cgroup.controllers", "not a cgroup v2 host (no %s)" % CONTROLLERS)
    else:
        facts.missing("cgroup.controllers", reason)

"""Mounts and cgroups: the mount table, the cgroup mode (v1, hybrid, v2), the v2 root's
controllers, and the kubelet that may share the host (Kubernetes 1.35 refuses cgroup v1)."""

from hostcheck.capture.probes import KUBELET_CONFIG
from hostcheck.parse import kubelet, mounts

FACTS = ("mounts", "cgroup.mode", "cgroup.controllers", "kubelet.version", "kubelet.fail_cgroup_v1")
CONTROLLERS = "/sys/fs/cgroup/cgroup.controllers"
INPUTS = ("file:/proc/mounts", "file:" + CONTROLLERS, "command:kubelet --version", "file:" + KUBELET_CONFIG)
PARSERS = (mounts.parse_mounts, mounts.cgroup_mode, kubelet.parse_version, kubelet.fail_cgroup_v1)


def build(view, facts):
    _kubelet(view, facts)
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


def _kubelet(view, facts):
    run = view.command("kubelet --version")
    version = kubelet.parse_version(run.stdout) if run.ok else None
    if version:
        facts.set("kubelet.version", version)
    elif run.code == "not_found":
        facts.missing("kubelet.version", "kubelet is not installed (kubelet --version: not_found)")
    else:
        facts.missing("kubelet.version", run.failure() or "kubelet --version: unexpected output %r"
                      % (run.stdout or "")[:60])
    text, reason = view.file(KUBELET_CONFIG)
    setting = kubelet.fail_cgroup_v1(text) if text is not None else None
    if setting is not None:
        facts.set("kubelet.fail_cgroup_v1", setting)
    else:
        facts.missing("kubelet.fail_cgroup_v1", reason or "%s does not set failCgroupV1" % KUBELET_CONFIG)

"""binfmt_misc: whether it is mounted and enabled, the registered handlers (qemu-user ...),
the platforms they serve, and whether a boot-time file re-registers each one."""

from hostcheck.parse import binfmt
from hostcheck.capture.probes import BINFMT_BOOT_DIRS as BOOT_DIRS

FACTS = ("binfmt.mounted", "binfmt.automount", "binfmt.enabled", "binfmt.entries", "binfmt.platforms")
INPUTS = ("file:/proc/mounts", "file:%s/status" % binfmt.MOUNTPOINT, "dir:" + binfmt.MOUNTPOINT,
          "file:%s/<entry>" % binfmt.MOUNTPOINT) + tuple("dir:" + path for path in BOOT_DIRS)
PARSERS = (binfmt.mount_state, binfmt.parse_status, binfmt.parse_entry, binfmt.served_platforms)


def build(view, facts):
    mounts_text, mounts_reason = view.file("/proc/mounts")
    mounted, automount = binfmt.mount_state(mounts_text)
    if mounted is None:
        facts.missing("binfmt.mounted", mounts_reason)
        facts.missing("binfmt.automount", mounts_reason)
    else:
        facts.set("binfmt.mounted", mounted)
        facts.set("binfmt.automount", automount)
    status_text, status_reason = view.file(binfmt.MOUNTPOINT + "/status")
    status = binfmt.parse_status(status_text)
    if status is not None:
        facts.set("binfmt.enabled", status)
    elif mounted is False:
        why = "binfmt_misc not mounted%s" % (" (systemd automount, not triggered)" if automount else "")
        facts.missing("binfmt.enabled", why)
    else:
        facts.missing("binfmt.enabled", status_reason if status_text is None
                      else "%s/status: unexpected content" % binfmt.MOUNTPOINT)
    names, dir_reason = view.dir(binfmt.MOUNTPOINT)
    if names is None:
        if mounted is False:
            # Nothing mounted means nothing registered: an empty list is the truth.
            facts.set("binfmt.entries", [])
            facts.set("binfmt.platforms", [])
        else:
            facts.missing("binfmt.entries", dir_reason)
            facts.missing("binfmt.platforms", dir_reason)
        return
    entries = []
    for name in names:
        if name in ("register", "status"):
            continue
        text, _ = view.file("%s/%s" % (binfmt.MOUNTPOINT, name))
        if text is not None:
            entries.append(binfmt.parse_entry(name, text))
    _mark_persisted(view, entries)
    facts.set("binfmt.entries", entries)
    facts.set("binfmt.platforms", binfmt.served_platforms(entries, status))


def _mark_persisted(view, entries):
    """entry["persisted"]: a boot-time file names it (qemu-aarch64.conf, qemu-aarch64-static.conf,
    /var/lib/binfmts/qemu-aarch64); None when no such directory was listed at all."""
    names, listed = [], False
    for path in BOOT_DIRS:
        found, _ = view.dir(path)
        if found is not None:
            listed = True
            names.extend(found)
    for entry in entries:
        name = entry.get("name") or ""
        if not listed or not name:
            entry["persisted"] = None
            continue
        entry["persisted"] = any(n == name or n.startswith(name + ".") or n.startswith(name + "-")
                                 for n in names)

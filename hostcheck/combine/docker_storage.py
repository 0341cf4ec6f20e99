"""Room on the filesystem of Docker's root directory (DockerRootDir, else daemon.json's
data-root, else /var/lib/docker): bytes and inodes, free and total."""

FACTS = ("storage.root_free_bytes", "storage.root_total_bytes", "storage.root_free_inodes",
         "storage.root_total_inodes", "storage.root_free_gib", "storage.root_total_gib",
         "storage.root_free_percent", "storage.root_free_inodes_percent")
INPUTS = ("statvfs:<DockerRootDir or data-root>", "statvfs:/var/lib/docker", "docker.root_dir",
          "docker.daemon_settings")
PARSERS = ()
STATVFS_KEYS = (("storage.root_free_bytes", "free_bytes"), ("storage.root_total_bytes", "total_bytes"),
                ("storage.root_free_inodes", "free_inodes"), ("storage.root_total_inodes", "total_inodes"))


def build(view, facts):
    root = facts.get("docker.root_dir")
    data_root = (facts.get("docker.daemon_settings") or {}).get("data-root")
    if not root and isinstance(data_root, str) and data_root.startswith("/"):
        candidates = [data_root]  # /var/lib/docker is not the Docker root then: no stand-in
    else:
        candidates = [p for p in (root, "/var/lib/docker") if p]
    entry = None
    for path in candidates:
        entry = view.statvfs(path)
        if entry is not None:
            break
    if entry is None or "error" in entry:
        reason = "statvfs %s: %s" % (candidates[0], entry.get("error") if entry else "not captured")
        for fact, _ in STATVFS_KEYS:
            facts.missing(fact, reason)
        return
    for fact, key in STATVFS_KEYS:
        value = entry.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            facts.set(fact, value)
        else:
            facts.missing(fact, "statvfs %s: no %s" % (path, key))
    for fact, source in (("storage.root_free_gib", "storage.root_free_bytes"),
                         ("storage.root_total_gib", "storage.root_total_bytes")):
        if facts.known(source):
            facts.set(fact, round(facts.get(source) / float(1 << 30), 1))
        else:
            facts.missing(fact, facts.reason(source))
    for fact, free, total, what in (("storage.root_free_percent", "storage.root_free_bytes",
                                     "storage.root_total_bytes", "size"),
                                    ("storage.root_free_inodes_percent", "storage.root_free_inodes",
                                     "storage.root_total_inodes", "inode count")):
        if facts.known(free) and facts.get(total):
            facts.set(fact, round(100.0 * facts.get(free) / facts.get(total), 1))
        elif facts.known(total):
            # btrfs and zfs report 0 inodes: they allocate them on demand.
            facts.missing(fact, "statvfs %s: the filesystem reports no %s" % (path, what))
        else:
            facts.missing(fact, facts.reason(total))

"""The image tree, walked for one image: the subject facts rules/trees/image.yaml reads,
computed from the image's platforms, its ELF scan, and the host's facts.
"""

from hostcheck.judge.rules import as_facts
from hostcheck.judge.trees import walk_tree
from hostcheck.facts import Facts
from hostcheck.image.platform import host_platform, kernel_runs_ia32, native_platform, parse

# The binfmt entry names qemu-user-static / binfmt-support / tonistiigi/binfmt register.
QEMU_ENTRY_NAMES = {
    "arm64": "qemu-aarch64", "arm": "qemu-arm", "amd64": "qemu-x86_64", "386": "qemu-i386",
    "ppc64le": "qemu-ppc64le", "ppc64": "qemu-ppc64", "s390x": "qemu-s390x",
    "riscv64": "qemu-riscv64", "mips64le": "qemu-mips64el", "mips64": "qemu-mips64",
    "mipsle": "qemu-mipsel", "mips": "qemu-mips", "loong64": "qemu-loongarch64",
}

_TEXT = {
    "en": {
        "enabled": "%s is registered and enabled (flags '%s', interpreter %s)",
        "disabled": "%s is registered but disabled",
        "global_off": "binfmt_misc itself is disabled (/proc/sys/fs/binfmt_misc/status)",
        "unmounted": "binfmt_misc is not mounted: nothing is registered",
        "none": "no binfmt_misc entry serves it",
        "not_scanned": "binaries not scanned: %s",
        "labels_only": "the label only (a local or registry image; --archive reads the binaries)",
        "no_platform": "the image names no platform",
    },
    "zh": {
        "enabled": "%s 已注册并启用（标志 '%s'，解释器 %s）",
        "disabled": "%s 已注册但被禁用",
        "global_off": "binfmt_misc 整体被禁用（/proc/sys/fs/binfmt_misc/status）",
        "unmounted": "binfmt_misc 未挂载：没有任何注册项",
        "none": "没有 binfmt_misc 注册项为其服务",
        "not_scanned": "未扫描二进制文件：%s",
        "labels_only": "仅依据平台标签（本地或仓库镜像；--archive 可读取二进制文件）",
        "no_platform": "镜像未声明平台",
    },
}


class SubjectFacts(Facts):
    """The host's facts, with reasons for the subject facts this image leaves unknown.

    Shares the host's dicts (no copy: check walks a tree per image, hundreds of them).
    """

    def __init__(self, host, reasons):
        self.values = host.values
        self.unknown = host.unknown
        self._reasons = reasons

    def reason(self, name):
        return self._reasons.get(name) or Facts.reason(self, name)


def _entries_for(facts, platform):
    entries = facts.get("binfmt.entries")
    if entries is None:
        return None
    found = []
    for entry in entries:
        served = parse(entry.get("platform")) if entry.get("platform") else None
        if served is not None and served.architecture == platform.architecture and served.os == platform.os:
            found.append(entry)
    return found


def _emulator(facts, platform, words):
    """Subject facts about the emulator for `platform`."""
    out = {"subject.emulator_name": QEMU_ENTRY_NAMES.get(platform.architecture, "qemu-" + platform.architecture)}
    entries = _entries_for(facts, platform)
    if entries is None:
        return out    # binfmt entries unknown: the tree says so with their reason
    status = facts.get("binfmt.enabled")
    enabled = [e for e in entries if e.get("enabled")] if status is not False else []
    if enabled:
        entry = enabled[0]
        flags = entry.get("flags") or ""
        out.update({"subject.emulator": True, "subject.emulator_name": entry["name"],
                    "subject.emulator_flags": flags, "subject.emulator_fix_binary": "F" in flags,
                    "subject.emulator_state": words["enabled"] % (entry["name"], flags, entry.get("interpreter"))})
        return out
    out["subject.emulator"] = False
    if entries:
        out["subject.emulator_name"] = entries[0]["name"]
        out["subject.emulator_state"] = (words["global_off"] if status is False
                                         else words["disabled"] % entries[0]["name"])
    elif facts.get("binfmt.mounted") is False:
        out["subject.emulator_state"] = words["unmounted"]
    else:
        out["subject.emulator_state"] = words["none"]
    out["subject.emulator_disabled"] = bool(entries)
    return out


def subject_facts(facts, platforms, binaries=None, ref=None, lang="en", unknown_reason=None):
    """(extra, reasons) for walk_tree.

    platforms: [Platform] the image offers; binaries: {Platform: (BinaryReport or None, note)}
    from an archive scan, None when only labels are known.
    """
    words = _TEXT.get(lang, _TEXT["en"])
    platforms = [p for p in platforms or [] if p is not None]
    extra = {"subject.ref": ref or "IMAGE", "subject.platforms": [str(p) for p in platforms]}
    reasons = {}
    host = host_platform(facts)
    if not platforms:
        reasons["subject.native"] = unknown_reason or words["no_platform"]
        return extra, reasons
    if host is None:
        reasons["subject.native"] = facts.reason("arch.platform")
        return extra, reasons
    chosen = native_platform(platforms, host, kernel_runs_ia32(facts))
    extra["subject.native"] = chosen is not None
    if chosen is None:
        # The platform that would run: one an enabled emulator serves, else the first listed.
        candidates = [(p, _emulator(facts, p, words)) for p in platforms]
        served = [c for c in candidates if c[1].get("subject.emulator")]
        chosen, emulator = (served or candidates)[0]
        extra.update(emulator)
        if "subject.emulator" not in emulator:
            reasons["subject.emulator"] = facts.reason("binfmt.entries")
    extra["subject.platform"] = str(chosen)
    extra["subject.arch"] = chosen.architecture
    _binary_facts(extra, reasons, binaries, chosen, words)
    return extra, reasons


def _binary_facts(extra, reasons, binaries, chosen, words):
    if binaries is None:
        reasons["subject.binaries_match"] = words["not_scanned"] % words["labels_only"]
        return
    report, note = binaries.get(chosen, (None, "platform %s not in the archive" % (chosen,)))
    if report is None:
        reasons["subject.binaries_match"] = words["not_scanned"] % note
        return
    extra["subject.binaries_match"] = report.foreign_count == 0
    extra["subject.binaries"] = report.machines_text()
    extra["subject.foreign_binaries"] = report.foreign_text()
    extra["subject.foreign_emulable"] = all(p is not None for p in report.foreign_platforms)


def image_tree(facts, subject, platforms, binaries=None, ref=None, lang="en", catalogue=None,
               unknown_reason=None, registry_reachable=False):
    """One walked image tree (SPEC's `trees` item) for an image offering `platforms`."""
    facts = as_facts(facts)
    extra, reasons = subject_facts(facts, platforms, binaries, ref, lang, unknown_reason)
    if catalogue is None:
        from hostcheck.judge import load_catalogue
        catalogue = load_catalogue()
    tree = walk_tree(catalogue.trees["image"], SubjectFacts(facts, reasons), subject, lang, extra)
    if registry_reachable:
        _add_registry_remedy(tree, extra)
    return tree


# Where a registry is reachable, tonistiigi/binfmt registers every QEMU emulator with F in
# one step; offline sites use their distribution's packages (the tree's own commands).
_EMULATOR_NODES = ("emulator-disabled", "fix-binary")


def _add_registry_remedy(tree, extra):
    verdict = tree.get("verdict") or {}
    remediation = verdict.get("remediation")
    if verdict.get("id") != "needs-remediation" or not remediation or not tree["path"]:
        return
    if tree["path"][-1]["node"] not in _EMULATOR_NODES:
        return
    commands = list(remediation.get("commands") or [])
    # after the distribution's own commands, before running the image
    at = next((i for i, c in enumerate(commands) if c.startswith(("docker run --platform", "docker pull"))),
              len(commands))
    commands.insert(at, "docker run --privileged --rm tonistiigi/binfmt --install %s" % extra.get("subject.arch", "all"))
    remediation["commands"] = commands

"""The image tree, walked for one image: the neutral subject facts rules/trees/image.yaml
reads (the image's platforms, the platform that would run, the binfmt_misc entry serving
it, the ELF scan's counts), from the image's platforms, its ELF scan and the host's facts.

Nothing here answers a question of the tree or words a verdict: the catalogue does both.
"""

from hostcheck.judge.rules import as_facts
from hostcheck.judge.trees import walk_tree
from hostcheck.facts import Facts
from hostcheck.image.platform import cpu_platforms, host_platform, kernel_runs_ia32, native_platform

# The binfmt entry names qemu-user-static / binfmt-support / tonistiigi/binfmt register.
QEMU_ENTRY_NAMES = {
    "arm64": "qemu-aarch64", "arm": "qemu-arm", "amd64": "qemu-x86_64", "386": "qemu-i386",
    "ppc64le": "qemu-ppc64le", "ppc64": "qemu-ppc64", "s390x": "qemu-s390x",
    "riscv64": "qemu-riscv64", "mips64le": "qemu-mips64el", "mips64": "qemu-mips64",
    "mipsle": "qemu-mipsel", "mips": "qemu-mips", "loong64": "qemu-loongarch64",
}


# The subject facts rules/trees/image.yaml reads: name -> (type, meaning, the host fact it
# mirrors or None). A mirrored fact is compared the way the rules compare the host fact
# (tests/test_image_judge.py runs tests/test_catalogue_questions.py's contract with these).
SUBJECT_FACTS = {
    "subject.ref": ("str", "the image as a person names it (for commands)", None),
    "subject.source": ("str", "label (an engine or registry image) | archive", None),
    "subject.platforms": ("list[str]", "platforms the image offers: linux/arm64/v8, linux/amd64", None),
    "subject.host_platforms": ("list[str]", "platforms this host's CPU runs: its own (with variant), and "
                               "linux/386 where an amd64 kernel runs 32-bit x86", None),
    "subject.platform": ("str", "the platform that would run: a native one, else one an enabled emulator "
                         "serves (binfmt.platforms), else the first", None),
    "subject.arch": ("str", "its OCI architecture: arm64 (for binfmt --install)", None),
    "subject.binfmt_platform": ("str", "its os/architecture as binfmt names it: linux/arm64",
                                "binfmt.entries[].platform"),
    "subject.emulator_entries": ("list[str]", "binfmt_misc entries registered for it, enabled or not",
                                 "binfmt.entries[].name"),
    "subject.emulator_name": ("str", "the entry serving it (the first enabled one, else the first), or the "
                              "usual name: qemu-aarch64", "binfmt.entries[].name"),
    "subject.emulator_flags": ("str", "that entry's flags: PF, POF, '' (absent without an entry)",
                               "binfmt.entries[].flags"),
    "subject.emulator_interpreter": ("str", "that entry's interpreter", "binfmt.entries[].interpreter"),
    "subject.scan_note": ("str", "why an archive's layers were not scanned", None),
    "subject.foreign_executables": ("int", "ELF executables in the layers built for another machine than "
                                    "subject.platform (unknown unless scanned)", None),
    "subject.foreign_unemulable": ("int", "of those, executables of a machine OCI has no platform for", None),
    "subject.binaries": ("str", "what the scan found: 12 ELF files: 11 aarch64, 1 x86-64", None),
    "subject.foreign_binaries": ("str", "the foreign executables, counted, with example paths", None),
    "subject.registry_reachable": ("bool", "a registry answered in this capture (docker.registry): "
                                   "tonistiigi/binfmt can register emulators in one step", None),
    # a container that exited non-zero (hostcheck/image/report.py), walked from container-exit
    "subject.exit_code": ("int", "its exit code", "docker.containers[].exit_code"),
    "subject.exit_kinds": ("list[str]", "failure kinds its captured log lines show: exec_format, "
                           "no_such_file, page_size, permission", None),
    "subject.exit_log": ("str", "the last three of those lines, joined by ' | '", None),
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


def _emulator(facts, platform):
    """Subject facts about the binfmt_misc entries for `platform` (os/architecture)."""
    out = {"subject.binfmt_platform": platform.short,
           "subject.emulator_name": QEMU_ENTRY_NAMES.get(platform.architecture, "qemu-" + platform.architecture)}
    entries = facts.get("binfmt.entries")
    if entries is None:
        return out, {"subject.emulator_entries": facts.reason("binfmt.entries")}
    mine = [e for e in entries if e.get("platform") == platform.short]
    out["subject.emulator_entries"] = [e.get("name") for e in mine]
    if mine:
        # The entry serving it: the first enabled one (binfmt.platforms lists its platform),
        # else the first registered one.
        served = platform.short in (facts.get("binfmt.platforms") or ())
        entry = ([e for e in mine if e.get("enabled")] if served else [])[:1] or mine[:1]
        entry = entry[0]
        out["subject.emulator_name"] = entry.get("name")
        out["subject.emulator_flags"] = entry.get("flags") or ""
        if entry.get("interpreter"):
            out["subject.emulator_interpreter"] = entry["interpreter"]
    return out, {}


def subject_facts(facts, platforms, binaries=None, ref=None, unknown_reason=None, registry_reachable=None):
    """(extra, reasons) for walk_tree.

    platforms: [Platform] the image offers; binaries: {Platform: (BinaryReport or None, note)}
    from an archive scan, None when only labels are known; registry_reachable: whether a
    registry answered in this capture (None: no registry was asked).
    """
    platforms = [p for p in platforms or [] if p is not None]
    extra = {"subject.ref": ref or "IMAGE", "subject.source": "label" if binaries is None else "archive"}
    reasons = {}
    if registry_reachable is not None:
        extra["subject.registry_reachable"] = registry_reachable
    if not platforms:
        reasons["subject.platforms"] = unknown_reason or "the image names no platform"
        return extra, reasons
    extra["subject.platforms"] = [str(p) for p in platforms]
    host = host_platform(facts)
    if host is None:
        reasons["subject.host_platforms"] = facts.reason("arch.platform")
        return extra, reasons
    cpu = cpu_platforms(host, kernel_runs_ia32(facts))
    extra["subject.host_platforms"] = [str(p) for p in cpu]
    # The platform that would run: a native one, else one an enabled emulator serves, else the first.
    chosen = native_platform(platforms, host, len(cpu) > 1)
    if chosen is None:
        served = facts.get("binfmt.platforms") or ()
        chosen = ([p for p in platforms if p.short in served] or platforms)[0]
    emulator, emulator_reasons = _emulator(facts, chosen)
    extra.update(emulator)
    reasons.update(emulator_reasons)
    extra["subject.platform"] = str(chosen)
    extra["subject.arch"] = chosen.architecture
    _binary_facts(extra, reasons, binaries, chosen)
    return extra, reasons


def _binary_facts(extra, reasons, binaries, chosen):
    if binaries is None:
        reasons["subject.foreign_executables"] = "binaries not scanned: the label only"
        return
    report, note = binaries.get(chosen, (None, "platform %s not in the archive" % (chosen,)))
    if report is None:
        extra["subject.scan_note"] = note
        reasons["subject.foreign_executables"] = "binaries not scanned: %s" % note
        return
    extra["subject.binaries"] = report.machines_text()
    extra["subject.foreign_executables"] = report.foreign_count
    extra["subject.foreign_unemulable"] = report.foreign_unemulable
    extra["subject.foreign_binaries"] = report.foreign_text()


def image_tree(facts, subject, platforms, binaries=None, ref=None, lang="en", catalogue=None,
               unknown_reason=None, registry_reachable=None):
    """One walked image tree (SPEC's `trees` item) for an image offering `platforms`."""
    facts = as_facts(facts)
    extra, reasons = subject_facts(facts, platforms, binaries, ref, unknown_reason, registry_reachable)
    return walk_image(facts, subject, extra, reasons, lang, catalogue)


def walk_image(facts, subject, extra, reasons, lang="en", catalogue=None, root=None, more=None):
    """The image tree walked over subject_facts' (extra, reasons); `root` and `more` start
    it elsewhere with more subject facts (a container's exit)."""
    if catalogue is None:
        from hostcheck.judge import load_catalogue
        catalogue = load_catalogue()
    if more:
        extra = dict(extra, **more)
    return walk_tree(catalogue.trees["image"], SubjectFacts(as_facts(facts), reasons), subject, lang, extra, root=root)

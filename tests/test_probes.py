"""One probe inventory (hostcheck/capture/probes.py): what a combiner reads is what the
capture records, so the two cannot drift (issue 10: capture listed 8 release files and the
parser 9; binfmt boot directories were 3 in capture and 4 in the parser)."""

import json

from hostcheck.capture import probes
from hostcheck.combine import COMBINERS

KINDS = ("file", "dir", "stat", "command", "engine")


def literal_inputs():
    """(combiner, kind, key) of every literal capture key a combiner declares."""
    for combiner in COMBINERS:
        for name in combiner.capture:
            kind, _, key = name.partition(":")
            if kind in KINDS and "<" not in key:
                yield combiner.name, kind, key


def test_every_capture_key_a_combiner_reads_is_probed():
    inventory = probes.inventory()
    unprobed = ["%s reads %s:%s" % (name, kind, key) for name, kind, key in literal_inputs()
                if key not in inventory[kind]]
    assert not unprobed, "combiners read what the capture never records: %s" % unprobed


def test_the_inventory_is_what_the_capture_takes():
    """A live capture (no engine needed) holds a record for every file, directory and stat the
    inventory lists, except binfmt_misc's own files when it is not mounted."""
    from hostcheck.capture import take
    doc = take(timeout=5, sockets=False)
    assert set(probes.FILES) <= set(doc["files"])
    assert set(probes.DIRS) <= set(doc["dirs"])
    assert set(probes.STAT_PATHS) <= set(doc["stat"])
    assert set(probes.command_key(argv) for argv in probes.COMMANDS) <= set(doc["commands"])
    json.dumps(doc)


def test_release_files_and_boot_dirs_agree_with_the_readers():
    from hostcheck.combine import binfmt, os_release
    from hostcheck.parse import osrelease
    assert osrelease.RELEASE_FILES == probes.RELEASE_FILES
    assert "/usr/lib/os-release" in probes.RELEASE_FILES
    assert binfmt.BOOT_DIRS == probes.BINFMT_BOOT_DIRS
    assert set("file:" + p for p in probes.RELEASE_FILES) <= set(os_release.INPUTS)

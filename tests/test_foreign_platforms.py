""""Will my x86 images run on this Kunpeng server?" (issue 12): an arm64 host with no emulator
registered names the platforms that fail, the error the user will see, and how to register an
emulator on that distribution; the same host with nothing left unsaid is a contract of
tests/test_catalogue_remediation.py.

The host is tests/data/systems/kylin-v10-sp3-arm64 (a real Kylin V10 SP3 on Kunpeng 920)
with binfmt_misc mounted and empty: the mount line and the status file are this machine's
(tests/data/outputs/debian12-binfmt), the directory holds only `register` and `status`, as
on any host where nothing was registered.
"""

import json
import os

from test_cli import run

HERE = os.path.dirname(__file__)
KYLIN = os.path.join(HERE, "data", "systems", "kylin-v10-sp3-arm64.json")
BINFMT = os.path.join(HERE, "data", "outputs", "debian12-binfmt")
DIR = "/proc/sys/fs/binfmt_misc"


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def kylin_without_emulators(tmp_path):
    doc = json.loads(_read(KYLIN))
    doc["files"]["/proc/mounts"] = {"content": _read(os.path.join(BINFMT, "proc_mounts_binfmt_lines.txt"))}
    doc["files"][DIR + "/status"] = {"content": _read(os.path.join(BINFMT, "status"))}
    doc.setdefault("dirs", {})[DIR] = {"entries": ["register", "status"]}
    path = tmp_path / "kylin-no-emulator.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def finding(path, *extra):
    result = run("analyze", path, "--json", "--only", "binfmt-foreign-platforms", *extra)
    assert result.exit_code in (0, 1), result.output
    found = json.loads(result.stdout)["findings"]
    assert len(found) == 1, found
    return found[0]


def test_arm64_without_emulators_names_amd64_and_the_fix(tmp_path):
    found = finding(kylin_without_emulators(tmp_path))
    assert found["status"] == "info", found
    assert "only linux/arm64 images run here" in found["evidence"]
    assert "linux/amd64 (x86_64)" in found["evidence"] and "exec format error" in found["evidence"]
    commands = found["remediation"]["commands"]
    # Kylin is an EL-family host: ask its repositories, else register a static qemu-x86_64 by hand
    assert any(c.startswith("dnf provides") for c in commands), commands
    assert any("/etc/binfmt.d/qemu-x86_64-static.conf" in c and c.rstrip().endswith("F' > /etc/binfmt.d/qemu-x86_64-static.conf")
               for c in commands), commands
    assert "docker run --rm --pull=never --platform linux/amd64 IMAGE uname -m" in commands


def test_in_chinese_too(tmp_path):
    found = finding(kylin_without_emulators(tmp_path), "--lang", "zh")
    assert found["status"] == "info" and "linux/amd64" in found["evidence"] and "exec format error" in found["evidence"]
    assert "仿真器" in found["remediation"]["text"]


def test_without_binfmt_misc_captured_it_says_so():
    found = finding(KYLIN)
    assert found["status"] == "skip" and DIR in found["evidence"]

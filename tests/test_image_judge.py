"""The image tree walked for images and containers, with the subject facts judge.py computes
from real binfmt_misc entries (tests/data/outputs/debian12-binfmt, this machine) and real
captures (tests/data/captures)."""

import copy
import json
from pathlib import Path

import pytest

from hostcheck.judge import load_catalogue
from hostcheck.facts import Facts
from hostcheck.image.judge import image_tree, subject_facts
from hostcheck.image.platform import parse
from hostcheck.image.report import classify_log, host_image_trees
from hostcheck.combine import build_facts
from hostcheck.parse.binfmt import parse_entry

DATA = Path(__file__).resolve().parent / "data"
ARM64 = [parse("linux/arm64/v8")]
CATALOGUE = load_catalogue()


def real_entry(name="qemu-aarch64", flags=None, enabled=None):
    """A binfmt entry as this machine's kernel printed it (update-binfmts --enable), then
    with the flags or state a test needs."""
    text = (DATA / "outputs" / "debian12-binfmt" / name).read_text()
    entry = parse_entry(name, text)
    if flags is not None:
        entry["flags"] = flags
    if enabled is not None:
        entry["enabled"] = enabled
    return entry


def debian_host(entries=(), mounted=True, status=True, kernel="6.18.44"):
    values = {"arch.platform": "linux/amd64", "arch.machine": "x86_64", "kernel.version": kernel,
              "kernel.release": kernel + "-fc-v595", "os.family": "debian", "binfmt.mounted": mounted,
              "binfmt.entries": list(entries),
              "binfmt.platforms": sorted({e["platform"] for e in entries if e["enabled"]}) if status else []}
    if status is not None:
        values["binfmt.enabled"] = status
    return Facts(values)


def walk(facts, platforms=ARM64, **kwargs):
    tree = image_tree(facts, "hc-test/busybox:arm64", platforms, ref="hc-test/busybox:arm64",
                      catalogue=CATALOGUE, **kwargs)
    return tree, ["%s=%s" % (s["node"], s["answer"]) for s in tree["path"]]


def test_no_entry_needs_an_emulator_with_apt_commands():
    tree, path = walk(debian_host())
    assert tree["verdict"]["id"] == "needs-remediation" and tree["verdict"]["status"] == "fail"
    assert path[-1] == "emulator-disabled=no"
    assert tree["verdict"]["remediation"]["commands"][0] == (
        "apt-get install -y qemu-user-static binfmt-support && update-binfmts --enable qemu-aarch64")
    assert "tonistiigi" not in json.dumps(tree)        # no registry reachable: offline commands only


def test_binfmt_not_mounted_is_said():
    tree, _ = walk(debian_host(mounted=False))
    assert "not mounted" in tree["path"][2]["evidence"]


def test_entry_without_F():
    tree, path = walk(debian_host([real_entry(flags="P")]))
    assert tree["verdict"]["id"] == "needs-remediation"
    assert path[-1] == "fix-binary=no"
    assert "no such file or directory" in tree["verdict"]["text"]


def test_entry_with_F_runs_emulated():
    tree, path = walk(debian_host([real_entry()]))
    assert (tree["verdict"]["id"], tree["verdict"]["status"]) == ("emulated", "info")
    assert "docker run --platform linux/arm64/v8 hc-test/busybox:arm64" in tree["verdict"]["remediation"]["commands"]
    assert "qemu-aarch64 is registered and enabled (flags 'PF'" in tree["path"][2]["evidence"]


def test_entry_disabled():
    tree, path = walk(debian_host([real_entry(enabled=False)]))
    assert path[-1] == "emulator-disabled=yes"
    assert tree["verdict"]["remediation"]["commands"][0] == "echo 1 > /proc/sys/fs/binfmt_misc/qemu-aarch64"


def test_binfmt_switched_off_globally():
    tree, path = walk(debian_host([real_entry()], status=False))
    assert tree["verdict"]["id"] == "needs-remediation"
    assert "binfmt_misc itself is disabled" in tree["path"][2]["evidence"]


def test_kernel_below_floor_warns_and_old_kernel_is_impossible():
    tree, _ = walk(debian_host([real_entry()], kernel="4.9.0"))
    assert (tree["verdict"]["id"], tree["verdict"]["status"]) == ("emulated", "warn")
    tree, _ = walk(debian_host([], kernel="3.10.0"))
    assert tree["verdict"]["id"] == "impossible"


def test_binfmt_entries_unknown_stops_with_the_reason():
    facts = Facts({"arch.platform": "linux/amd64", "kernel.version": "6.1.0"},
                  {"binfmt.entries": "/proc/sys/fs/binfmt_misc: permission_denied"})
    tree, path = walk(facts)
    assert tree["verdict"]["id"] == "unknown" and tree["verdict"]["status"] == "skip"
    assert "permission_denied" in tree["verdict"]["text"]


def test_multi_platform_image_native_when_one_matches():
    tree, path = walk(debian_host(), platforms=[parse("linux/arm64"), parse("linux/amd64")])
    assert tree["verdict"]["id"] == "native"
    assert "linux/amd64" in tree["verdict"]["text"]


def test_the_platform_an_emulator_serves_is_chosen():
    extra, _ = subject_facts(debian_host([real_entry()]), [parse("linux/s390x"), parse("linux/arm64")])
    assert extra["subject.platform"] == "linux/arm64/v8" and extra["subject.binfmt_platform"] == "linux/arm64"
    assert (extra["subject.emulator_name"], extra["subject.emulator_flags"]) == ("qemu-aarch64", "PF")
    assert extra["subject.emulator_interpreter"] == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"


def test_subject_facts_are_neutral_the_tree_answers():
    """No subject fact is a node's answer: the facts say what there is, the catalogue decides."""
    extra, reasons = subject_facts(debian_host([real_entry(flags="P")]), ARM64)
    assert not [name for name, value in extra.items() if isinstance(value, bool)]
    assert extra["subject.host_platforms"] == ["linux/amd64", "linux/386"]
    assert extra["subject.emulator_entries"] == ["qemu-aarch64"]
    assert reasons == {"subject.foreign_executables": "binaries not scanned: the label only"}


def test_32_bit_x86_is_native_only_where_the_kernel_runs_it():
    facts = debian_host()
    facts.set("kernel.config", {"CONFIG_IA32_EMULATION": "y"})
    tree, path = walk(facts, platforms=[parse("linux/386")])
    assert tree["verdict"]["id"] == "native" and "linux/386" in tree["path"][1]["evidence"]
    facts.set("kernel.config", {"CONFIG_IA32_EMULATION": "y", "CONFIG_IA32_EMULATION_DEFAULT_DISABLED": "y"})
    tree, path = walk(facts, platforms=[parse("linux/386")])
    assert path[1] == "platform-match=no" and tree["verdict"]["id"] == "needs-remediation"


def test_registry_reachable_adds_tonistiigi():
    tree, _ = walk(debian_host(), registry_reachable=True)
    commands = tree["verdict"]["remediation"]["commands"]
    assert commands[1] == "docker run --privileged --rm tonistiigi/binfmt --install arm64"
    assert commands[2].startswith("docker run --platform")
    tree, _ = walk(debian_host([real_entry()]), registry_reachable=True)
    assert "tonistiigi" not in json.dumps(tree)        # emulated: nothing to install


def test_rhel_commands():
    facts = debian_host()
    facts.set("os.family", "rhel")
    tree, _ = walk(facts)
    assert tree["verdict"]["remediation"]["commands"][:2] == [
        "yum install -y epel-release && yum install -y qemu-user-static", "systemctl restart systemd-binfmt"]


def test_chinese_text():
    tree = image_tree(debian_host(), "x", ARM64, lang="zh", catalogue=CATALOGUE)
    assert "仿真器" in tree["verdict"]["text"]
    assert "binfmt_misc 未挂载" not in tree["path"][2]["evidence"]   # mounted, just empty
    assert "没有 binfmt_misc 注册项" in tree["path"][2]["evidence"]


def test_unknown_platform():
    tree, _ = walk(debian_host(), platforms=[], unknown_reason="no local image typo:1")
    assert tree["verdict"]["id"] == "unknown" and "no local image typo:1" in tree["verdict"]["text"]


# --------------------------------------------------------------- check / analyze

def this_machine_capture():
    return json.loads((DATA / "captures" / "debian12-this-machine.json").read_text())


def test_host_trees_of_this_machines_capture():
    capture = this_machine_capture()
    trees = host_image_trees(capture, build_facts(capture), CATALOGUE, "en")
    verdicts = {t["subject"]: t["verdict"]["id"] for t in trees}
    assert verdicts["hc-test/busybox:amd64"] == "native"
    assert verdicts["local/busybox:arm64"] == "needs-remediation"
    # hc-arm exited 1 with "exec /bin/uname: exec format error" (docker.logs of the capture)
    (container,) = [t for t in trees if t["subject"].startswith("container ")]
    assert container["subject"] == "container hc-arm (local/busybox:arm64)"
    assert "exec format error" in container["path"][0]["evidence"]
    assert "no binfmt_misc entry serves it" in container["path"][0]["evidence"]


def kylin_64k_host():
    # Kylin V10 SP3 on Kunpeng 920 (tests/data/systems): arm64, 64 KiB pages
    return Facts({"arch.platform": "linux/arm64", "arch.variant": "v8", "arch.page_size": 65536,
                  "kernel.version": "4.19.90", "kernel.release": "4.19.90-89.11.v2401.ky10.aarch64",
                  "os.family": "rhel", "binfmt.entries": [], "binfmt.platforms": [], "binfmt.mounted": True,
                  "docker.images": [{"id": "sha256:" + "1" * 64, "tags": ["qdrant/qdrant:v1.14.0"], "os": "linux",
                                     "architecture": "arm64", "variant": None, "inspected": True}],
                  "docker.containers": [{"id": "c" * 64, "name": "qdrant", "image": "qdrant/qdrant:v1.14.0",
                                         "image_id": "sha256:" + "1" * 64, "state": "exited",
                                         "exit_code": 134}]})


def test_page_size_failure_of_a_native_image():
    # Log lines from qdrant/qdrant#6512 (Kylin V10 aarch64, getconf PAGESIZE 65536)
    capture = {"docker": {"logs": {"c" * 64: ["<jemalloc>: Unsupported system page size",
                                              "<jemalloc>: Unsupported system page size"]}}}
    trees = host_image_trees(capture, kylin_64k_host(), CATALOGUE, "en")
    assert [t["verdict"]["id"] for t in trees] == ["native", "needs-remediation"]
    container = trees[1]
    assert "65536-byte pages" in container["verdict"]["text"]
    assert "--with-lg-page=16" in container["verdict"]["remediation"]["text"]


def test_exited_native_container_without_a_known_log_is_left_out():
    trees = host_image_trees({"docker": {"logs": {}}}, kylin_64k_host(), CATALOGUE, "en")
    assert [t["subject"] for t in trees] == ["qdrant/qdrant:v1.14.0"]


def test_exec_format_error_of_a_native_label_points_at_the_binaries():
    capture = {"docker": {"logs": {"c" * 64: ["exec /usr/bin/qdrant: exec format error"]}}}
    trees = host_image_trees(capture, kylin_64k_host(), CATALOGUE, "en")
    assert trees[1]["verdict"]["id"] == "needs-remediation"
    assert "hostcheck image --archive -" in trees[1]["verdict"]["text"]


def test_classify_log():
    assert classify_log(["exec /bin/uname: exec format error"]) == ["exec_format"]
    assert classify_log(["exec /bin/uname: no such file or directory"]) == ["no_such_file"]
    assert classify_log(["<jemalloc>: Unsupported system page size"]) == ["page_size"]
    assert classify_log(["hello"]) == []


def test_check_explains_each_of_250_failed_containers():
    capture = this_machine_capture()
    facts = build_facts(capture)
    arm_image = [i for i in facts.get("docker.images") if "local/busybox:arm64" in i["tags"]][0]
    template = dict(facts.get("docker.containers")[0])
    containers = []
    for n in range(500):
        container = dict(template, id="%064x" % n, name="hc-bench-%d" % n, image_id=arm_image["id"],
                         state="exited" if n % 2 else "running", exit_code=1 if n % 2 else 0)
        containers.append(container)
    facts.set("docker.containers", containers)
    capture = copy.deepcopy(capture)
    capture["docker"]["logs"] = {c["id"]: ["exec /bin/uname: exec format error"] for c in containers[1::2]}
    trees = host_image_trees(capture, facts, CATALOGUE, "en")
    assert len(trees) == len(facts.get("docker.images")) + 250


def test_containers_that_fail_alike_get_equal_trees_of_their_own():
    capture = this_machine_capture()
    facts = build_facts(capture)
    (arm,) = [c for c in facts.get("docker.containers") if c["name"] == "hc-arm"]
    twin = dict(arm, id="f" * 64, name="hc-arm-twin")
    facts.set("docker.containers", [arm, twin])
    capture["docker"]["logs"][twin["id"]] = capture["docker"]["logs"][arm["id"]]
    first, second = [t for t in host_image_trees(capture, facts, CATALOGUE, "en") if t["subject"].startswith("container")]
    assert (first["subject"], second["subject"]) == ("container hc-arm (local/busybox:arm64)",
                                                     "container hc-arm-twin (local/busybox:arm64)")
    assert (first["path"], first["verdict"]) == (second["path"], second["verdict"])
    second["verdict"]["remediation"]["commands"].append("changed")
    assert "changed" not in first["verdict"]["remediation"]["commands"]


def test_exited_foreign_container_without_a_log_line_still_gets_a_tree():
    capture = this_machine_capture()
    capture["docker"]["logs"] = {}
    trees = host_image_trees(capture, build_facts(capture), CATALOGUE, "en")
    (container,) = [t for t in trees if t["subject"].startswith("container ")]
    assert container["path"][0]["answer"] == "no"            # the exit code alone says nothing
    assert container["path"][0]["evidence"] == "exited with code 1"
    assert container["verdict"]["id"] == "needs-remediation"  # the image's platform does


# --------------------------------------------------------------- the tree syntax the image tree uses

def minimal_tree(evidence=None, commands=None):
    tree = {"id": "t", "root": "n",
            "nodes": {"n": {"question": {"en": "q", "zh": "问"}, "when": {"fact": "subject.x", "op": "true"},
                            "yes": "v", "no": "v"}},
            "verdicts": {"v": {"status": "fail", "text": {"en": "t", "zh": "文"},
                               "remediation": {"text": {"en": "r", "zh": "修"},
                                               "commands": {"any": commands or ["true"]}}}}}
    if evidence is not None:
        tree["nodes"]["n"]["evidence"] = evidence
    return tree


@pytest.mark.parametrize("evidence, commands, message", [
    ([{"text": {"en": "a", "zh": "甲"}, "answer": "maybe"}], None, "answer must be among"),
    ([{"en": "a", "zh": "甲"}], None, "must hold text"),
    ([{"text": {"en": "a", "zh": "甲"}, "when": {"fact": "nope.fact", "op": "true"}}], None, "nope.fact"),
    (None, [{"when": {"fact": "subject.y", "op": "true"}}], "list of strings or {when, run}"),
    (None, [{"when": {"fact": "subject.y", "op": "sometimes"}, "run": "id"}], "unknown operator"),
])
def test_compile_refuses_bad_alternatives_and_command_lines(evidence, commands, message):
    from hostcheck.judge.compile import CatalogueError, _check_tree
    with pytest.raises(CatalogueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        _check_tree(minimal_tree(evidence, commands), {})


def test_yaml_booleans_in_answers_become_answers():
    from hostcheck.judge.compile import _check_tree
    tree = minimal_tree([{"text": {"en": "a", "zh": "甲"}, "answer": True}])
    _check_tree(tree, {})
    assert tree["nodes"]["n"]["evidence"][0]["answer"] == ["yes"]


def test_the_image_tree_asks_mirrored_facts_as_the_rules_do(monkeypatch):
    """tests/test_catalogue_questions.py's contract with the image tree's mirrors too: the
    entry's flags are compared as the binfmt rules compare binfmt.entries[].flags."""
    import test_catalogue_questions as questions
    from hostcheck.image.judge import SUBJECT_FACTS
    monkeypatch.setattr(questions, "SUBJECT_FACTS", dict(questions.SUBJECT_FACTS, **SUBJECT_FACTS))
    assert questions.compared_two_ways(CATALOGUE) == {}
    asked = dict(((place, fact), op) for fact, _, place, op in questions.reads(CATALOGUE))
    assert asked[("tree image node fix-binary", "binfmt.entries[].flags")] == "contains"
    assert asked[("rule binfmt-entry-flags", "binfmt.entries[].flags")] == "not_contains"


def test_every_subject_fact_the_tree_reads_is_described():
    import re
    from hostcheck.image.judge import SUBJECT_FACTS
    tree = json.dumps({k: v for k, v in CATALOGUE.trees["image"].items() if k != "cases"})
    read = set(re.findall(r'"fact": "(subject\.[a-z_]+)"', tree)) | set(re.findall(r"\$\{(subject\.[a-z_]+)\}", tree))
    assert {"subject.emulator_flags", "subject.registry_reachable", "subject.exit_kinds"} <= read
    assert read <= set(SUBJECT_FACTS), read - set(SUBJECT_FACTS)

"""Engine unit tests: versions, operators (incl. unknown), text, judge, foreach, trees.

Version strings are real ones: runc/containerd/docker as Debian 12, docker-ce, CentOS 7,
Kylin V10 and Ubuntu print them (CHECKS.md, INTEGRATION-ENV.md, public `docker info`
pastes); kernel releases are `uname -r` of those systems.
"""

import pytest

from hostcheck.judge import Catalogue, judge, judge_rule, walk_tree
from hostcheck.judge.conditions import Scope, evaluate
from hostcheck.judge.text import FactTemplate, render
from hostcheck.judge.version import compare_versions, parse_version
from hostcheck.facts import Facts

# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize("raw, release, pre", [
    ("1.0.0-rc95", (1, 0, 0), ("rc", 95)),
    ("1.0.0-rc6", (1, 0, 0), ("rc", 6)),
    ("1.1.5+ds1", (1, 1, 5), None),
    ("1.1.5+ds1-1+deb12u1", (1, 1, 5), None),
    ("1.6.20~ds1", (1, 6, 20), None),
    ("20.10.24+dfsg1", (20, 10, 24), None),
    ("3.10.0-1160.el7.x86_64", (3, 10, 0), None),
    ("4.19.90-24.4.v2101.ky10.aarch64", (4, 19, 90), None),
    ("5.15.0-91-generic", (5, 15, 0), None),
    ("v1.1.12", (1, 1, 12), None),
    ("1.7.27-1", (1, 7, 27), None),
    ("28.2.2", (28, 2, 2), None),
    ("0.18.0", (0, 18, 0), None),
    ("1.1.0~rc1", (1, 1, 0), ("rc", 1)),
])
def test_parse_version_reads_the_numeric_prefix_and_prerelease(raw, release, pre):
    version = parse_version(raw)
    assert (version.raw, version.release, version.pre) == (raw, release, pre)


@pytest.mark.parametrize("left, right, expected", [
    ("1.0.0-rc6", "1.0.0", -1),
    ("1.0.0-rc95", "1.0.0-rc6", 1),
    ("1.0.0-rc95", "1.1.12", -1),
    ("1.1.5+ds1-1+deb12u1", "1.1.12", -1),
    ("v1.1.12", "1.1.12", 0),
    ("1.6.20~ds1", "1.6.20", 0),
    ("20.10.24+dfsg1", "20.10", 1),
    ("3.10.0-1160.el7.x86_64", "4.8", -1),
    ("4.19.90-24.4.v2101.ky10.aarch64", "4.15", 1),
    ("5.15.0-91-generic", "5.15", 0),
    ("28.2.2", "28.0.1", 1),
    ("1.7.27-1", "1.7.27", 0),
    ("0.18.0", "0.9", 1),
])
def test_compare_versions(left, right, expected):
    assert compare_versions(left, right) == expected


@pytest.mark.parametrize("raw", ["", "unknown", "dev", None, True, "rc1"])
def test_unparseable_version_is_none(raw):
    assert parse_version(raw) is None
    assert compare_versions(raw, "1.0") is None


# --------------------------------------------------------------------------- operators

FACTS = Facts(
    {"kernel.version": "3.10.0", "kernel.release": "3.10.0-1160.el7.x86_64",
     "arch.page_size": 65536, "docker.state": "running", "binfmt.mounted": True,
     "iptables.chains": ["filter/DOCKER", "nat/DOCKER"], "os.name": "CentOS Linux 7 (Core)",
     "runtimes.installed": [], "kernel.config": {"CONFIG_BRIDGE_NETFILTER": "y"},
     "runtimes.runc.version": "garbage"},
    {"runtimes.podman.version": "podman --version: not_found"})


def check(condition, lang="en", item=None, extra=None):
    return evaluate(condition, Scope(FACTS, item, extra), lang)


@pytest.mark.parametrize("condition, result, explanation", [
    ({"fact": "docker.state", "op": "eq", "value": "running"}, True, "docker.state = running"),
    ({"fact": "docker.state", "op": "eq", "value": "x"}, False, "docker.state = running, not x"),
    ({"fact": "docker.state", "op": "ne", "value": "x"}, True, "docker.state = running, not x"),
    ({"fact": "arch.page_size", "op": "gt", "value": 4096}, True, "arch.page_size = 65536, above 4096"),
    ({"fact": "arch.page_size", "op": "le", "value": 4096}, False, "arch.page_size = 65536, above 4096"),
    ({"fact": "arch.page_size", "op": "lt", "value": 4096}, False, "arch.page_size = 65536, not below 4096"),
    ({"fact": "arch.page_size", "op": "ge", "value": 65536}, True, "arch.page_size = 65536, at least 65536"),
    ({"fact": "kernel.version", "op": "version_lt", "value": "4.8"}, True, "kernel.version = 3.10.0, below 4.8"),
    ({"fact": "kernel.version", "op": "version_ge", "value": "4.8"}, False, "kernel.version = 3.10.0, below 4.8"),
    ({"fact": "kernel.version", "op": "version_eq", "value": "3.10"}, True, "kernel.version = 3.10.0"),
    ({"fact": "kernel.version", "op": "version_gt", "value": "3.10"}, False, "kernel.version = 3.10.0, not above 3.10"),
    ({"fact": "kernel.version", "op": "version_le", "value": "3.10"}, True, "kernel.version = 3.10.0, at most 3.10"),
    ({"fact": "docker.state", "op": "in", "value": ["running", "x"]}, True, "docker.state = running"),
    ({"fact": "docker.state", "op": "not_in", "value": ["a", "b"]}, True, "docker.state = running, not one of a, b"),
    ({"fact": "iptables.chains", "op": "contains", "value": "nat/DOCKER"}, True, "iptables.chains includes nat/DOCKER"),
    ({"fact": "iptables.chains", "op": "not_contains", "value": "filter/DOCKER-USER"}, True,
     "iptables.chains does not include filter/DOCKER-USER"),
    ({"fact": "os.name", "op": "contains", "value": "CentOS"}, True, "os.name includes CentOS"),
    ({"fact": "iptables.chains", "op": "contains_all", "value": ["nat/DOCKER", "filter/DOCKER-USER", "x"]},
     False, "iptables.chains lacks filter/DOCKER-USER, x"),
    ({"fact": "iptables.chains", "op": "contains_any", "value": ["x", "nat/DOCKER"]}, True,
     "iptables.chains includes nat/DOCKER"),
    ({"fact": "kernel.release", "op": "matches", "value": r"\.el7\."}, True,
     r"kernel.release = 3.10.0-1160.el7.x86_64, matches /\.el7\./"),
    ({"fact": "kernel.version", "op": "exists"}, True, "kernel.version = 3.10.0"),
    ({"fact": "runtimes.podman.version", "op": "exists"}, False,
     "runtimes.podman.version unknown (podman --version: not_found)"),
    ({"fact": "runtimes.podman.version", "op": "absent"}, True,
     "runtimes.podman.version unknown (podman --version: not_found)"),
    ({"fact": "binfmt.mounted", "op": "true"}, True, "binfmt.mounted = yes"),
    ({"fact": "binfmt.mounted", "op": "false"}, False, "binfmt.mounted = yes"),
    ({"fact": "runtimes.installed", "op": "empty"}, True, "runtimes.installed is empty"),
    ({"fact": "iptables.chains", "op": "not_empty"}, True, "iptables.chains = filter/DOCKER, nat/DOCKER"),
    ({"fact": "kernel.config", "key": "CONFIG_BRIDGE_NETFILTER", "op": "eq", "value": "y"}, True,
     "kernel.config[CONFIG_BRIDGE_NETFILTER] = y"),
    ({"fact": "kernel.config", "key": "CONFIG_NOPE", "op": "exists"}, False,
     "kernel.config[CONFIG_NOPE] unknown (kernel.config has no CONFIG_NOPE)"),
])
def test_operator_result_and_evidence(condition, result, explanation):
    assert check(condition) == (result, explanation)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "version_lt", "in", "contains", "matches",
                                "true", "false", "empty", "not_empty", "contains_all"])
def test_unknown_fact_is_unknown_with_its_reason(op):
    condition = {"fact": "runtimes.podman.version", "op": op}
    if op not in ("true", "false", "empty", "not_empty"):
        condition["value"] = ["x"] if op in ("in", "contains_all") else "1"
    assert check(condition) == (None, "podman --version: not_found")


def test_never_captured_fact_gives_a_not_captured_reason():
    assert check({"fact": "cpu.vendor", "op": "eq", "value": "x"}) == (None, "cpu.vendor: not captured")


def test_unparseable_version_is_unknown_never_a_pass():
    result, why = check({"fact": "runtimes.runc.version", "op": "version_ge", "value": "1.1.12"})
    assert result is None
    assert why == "runtimes.runc.version = garbage, not a version hostcheck can compare"


def test_chinese_evidence():
    assert check({"fact": "kernel.version", "op": "version_lt", "value": "4.8"}, "zh") == \
        (True, "kernel.version = 3.10.0，低于 4.8")


def test_three_valued_all_any_not():
    unknown = {"fact": "runtimes.podman.version", "op": "eq", "value": "1"}
    true = {"fact": "docker.state", "op": "eq", "value": "running"}
    false = {"fact": "docker.state", "op": "eq", "value": "x"}
    assert check({"all": [unknown, false]})[0] is False      # false wins over unknown
    assert check({"all": [unknown, true]}) == (None, "podman --version: not_found")
    assert check({"all": [true, true]}) == (True, "docker.state = running; docker.state = running")
    assert check({"any": [unknown, true]})[0] is True         # true wins over unknown
    assert check({"any": [unknown, false]})[0] is None
    assert check({"any": [false, false]})[0] is False
    assert check({"not": unknown})[0] is None
    assert check({"not": false}) == (True, "docker.state = running, not x")


def test_value_can_name_another_fact_and_items_are_read():
    item = {"name": "app", "subnets": ["172.18.0.0/16"]}
    condition = {"fact": "iptables.chains", "op": "contains_any", "value": {"fact": "item.subnets"}}
    assert check(condition, item=item) == (False, "iptables.chains includes none of 172.18.0.0/16")
    assert check({"fact": "item.platform", "op": "exists"}, item=item)[0] is False
    assert check({"fact": "item.name", "op": "eq", "value": "app"}, item=item)[0] is True


def test_subject_facts_come_from_extra():
    assert check({"fact": "subject.native", "op": "true"}, extra={"subject.native": False})[0] is False


def test_numeric_operator_on_a_word_raises():
    with pytest.raises(ValueError):
        check({"fact": "docker.state", "op": "gt", "value": 1})


# --------------------------------------------------------------------------- text

def test_template_allows_dots_joins_lists_and_never_crashes():
    values = {"kernel.release": "3.10.0", "binfmt.platforms": ["linux/arm64", "linux/arm/v7"]}

    def lookup(name):
        return name in values, values.get(name)

    text = "k ${kernel.release} $kernel.release p ${binfmt.platforms} m ${arch.machine} $$ $USER ${HOME} $(uname -r)"
    assert render(text, lookup) == \
        "k 3.10.0 3.10.0 p linux/arm64, linux/arm/v7 m ? $ $USER ${HOME} $(uname -r)"
    assert FactTemplate("${a.b}").render(lambda name: (True, [])) == "none"
    assert FactTemplate("${a.b}").render(lambda name: (True, True), "zh") == "是"


@pytest.mark.parametrize("value", [
    ["CONFIG_%04d" % n for n in range(1200)],            # kernel.config_enabled's size
    {"CONFIG_%d" % n: "y" for n in range(300)},
    ["a" * 119], ["a" * 120], ["a" * 121], ["a" * 60, "b" * 59], ["a" * 60, "b" * 60], ["x", "y"], [[1, 2], [3]], [],
])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_evidence_shows_a_long_value_as_the_full_text_would_start(value, lang):
    """Evidence formats no more of a value than it shows: the same 120 characters as
    formatting it whole (the limit is exact at 119, 120 and 121 characters)."""
    from hostcheck.judge.conditions import _SHOWN, _show
    from hostcheck.judge.text import format_value
    whole = format_value(value, lang)
    assert _show(value, lang) == (whole if len(whole) <= _SHOWN else whole[:_SHOWN - 1] + "…")
    prefix = format_value(value, lang, limit=_SHOWN)
    assert whole.startswith(prefix) and (prefix == whole or len(prefix) > _SHOWN)


# --------------------------------------------------------------------------- judge

def rule(rule_id="test-rule", area="kernel", **fields):
    base = {"id": rule_id, "area": area, "title": {"en": "T", "zh": "标题"}, "source": "s",
            "refs": ["r"], "outcomes": [{"status": "pass"}]}
    base.update(fields)
    return base


KERNEL_FLOOR = rule(
    "kernel-floor", requires=["kernel.version"],
    outcomes=[
        {"when": {"fact": "kernel.version", "op": "version_lt", "value": "4.8"}, "status": "fail",
         "evidence": {"en": "kernel ${kernel.release}: ${why}", "zh": "内核 ${kernel.release}"},
         "remediation": {"text": {"en": "upgrade", "zh": "升级"},
                         "commands": {"rhel": ["yum install -y kernel-lt"], "debian": ["apt-get install linux-image"],
                                      "any": ["# any"]}}},
        {"status": "pass"}])


def test_judge_gives_the_spec_shape_and_renders_evidence():
    [finding] = judge(Catalogue({"version": "t", "rules": [KERNEL_FLOOR]}), FACTS)
    assert finding == {
        "id": "kernel-floor", "area": "kernel", "status": "fail", "title": "T",
        "evidence": "kernel 3.10.0-1160.el7.x86_64: kernel.version = 3.10.0, below 4.8",
        "remediation": {"text": "upgrade", "commands": ["# any"]},
        "refs": ["r"], "source": "s"}


@pytest.mark.parametrize("family, commands", [
    ("rhel", ["yum install -y kernel-lt"]),
    ("debian", ["apt-get install linux-image"]),
    ("suse", ["# any"]),
    ("other", ["# any"]),
])
def test_commands_follow_os_family(family, commands):
    facts = Facts(dict(FACTS.values, **{"os.family": family}))
    assert judge_rule(KERNEL_FLOOR, facts)[0]["remediation"]["commands"] == commands


def test_without_any_commands_every_family_is_listed():
    only_families = dict(KERNEL_FLOOR["outcomes"][0]["remediation"]["commands"])
    del only_families["any"]
    data = rule("kernel-floor", outcomes=[dict(KERNEL_FLOOR["outcomes"][0], remediation={
        "text": {"en": "u", "zh": "u"}, "commands": only_families}), {"status": "pass"}])
    assert judge_rule(data, FACTS)[0]["remediation"]["commands"] == [
        "# rhel:", "yum install -y kernel-lt", "# debian:", "apt-get install linux-image"]


def test_pass_and_skip_have_no_remediation_and_unknown_required_fact_skips():
    facts = Facts({"kernel.version": "5.15.0"})
    assert judge_rule(KERNEL_FLOOR, facts)[0]["remediation"] is None
    [skipped] = judge_rule(KERNEL_FLOOR, Facts({}, {"kernel.version": "uname: not captured"}))
    assert (skipped["status"], skipped["evidence"], skipped["remediation"]) == \
        ("skip", "uname: not captured", None)


def test_unknown_when_skips_with_the_reason():
    data = rule(outcomes=[{"when": {"fact": "runtimes.podman.version", "op": "eq", "value": "1"},
                           "status": "warn"}, {"status": "pass"}])
    [finding] = judge_rule(data, FACTS)
    assert (finding["status"], finding["evidence"]) == ("skip", "podman --version: not_found")


def test_applies_gate_skips_with_its_text():
    data = rule(applies={"when": {"fact": "docker.state", "op": "eq", "value": "not_installed"},
                         "otherwise": {"en": "engine is ${docker.state}", "zh": "引擎 ${docker.state}"}})
    assert judge_rule(data, FACTS, "zh")[0]["evidence"] == "引擎 running"


def test_a_raising_rule_becomes_an_error_finding_and_the_others_are_judged():
    broken = rule("broken-rule", outcomes=[
        {"when": {"fact": "docker.state", "op": "gt", "value": 3}, "status": "fail"}, {"status": "pass"}])
    catalogue = Catalogue({"version": "t", "rules": [broken, KERNEL_FLOOR]})
    error, judged = judge(catalogue, FACTS)
    assert error["status"] == "error" and error["id"] == "broken-rule"
    assert error["evidence"] == "ValueError: docker.state: 'running' is not a number"
    assert "\n" not in error["evidence"]
    assert judged["status"] == "fail"


def test_only_and_skip_take_ids_and_areas():
    catalogue = Catalogue({"version": "t", "rules": [
        rule("kernel-one"), rule("net-two", area="network"), rule("net-three", area="network")]})
    ids = lambda **kw: [f["id"] for f in judge(catalogue, FACTS, **kw)]   # noqa: E731
    assert ids(only=["network"]) == ["net-two", "net-three"]
    assert ids(only=["kernel-one", "net-three"]) == ["kernel-one", "net-three"]
    assert ids(skip=["network"]) == ["kernel-one"]
    assert ids(only=["network"], skip=["net-two"]) == ["net-three"]


FOREACH = rule(
    "binfmt-flags", area="binfmt", foreach="binfmt.entries",
    where={"fact": "item.name", "op": "matches", "value": "^qemu-"},
    subject="${item.name}",
    empty={"status": "info", "evidence": {"en": "none registered", "zh": "未注册"}},
    outcomes=[{"when": {"fact": "item.flags", "op": "not_contains", "value": "F"}, "status": "warn",
               "evidence": {"en": "${item.name} flags '${item.flags}'", "zh": "x"},
               "remediation": {"text": {"en": "re-register ${item.name}", "zh": "x"},
                               "commands": {"any": ["update-binfmts --enable ${item.name}"]}}},
              {"status": "pass"}])


def test_foreach_gives_one_finding_per_item_with_subject():
    facts = Facts({"binfmt.entries": [
        {"name": "qemu-aarch64", "flags": "PF"}, {"name": "qemu-arm", "flags": "P"},
        {"name": "python3.11", "flags": ""}]})
    findings = judge_rule(FOREACH, facts)
    assert [(f["subject"], f["status"]) for f in findings] == [("qemu-aarch64", "pass"), ("qemu-arm", "warn")]
    assert findings[1]["evidence"] == "qemu-arm flags 'P'"
    assert findings[1]["remediation"]["commands"] == ["update-binfmts --enable qemu-arm"]


def test_foreach_empty_and_unknown_list():
    [empty] = judge_rule(FOREACH, Facts({"binfmt.entries": []}))
    assert (empty["status"], empty["evidence"]) == ("info", "none registered")
    assert "subject" not in empty
    [unknown] = judge_rule(FOREACH, Facts({}, {"binfmt.entries": "binfmt_misc: not mounted"}))
    assert (unknown["status"], unknown["evidence"]) == ("skip", "binfmt_misc: not mounted")


def test_facts_may_be_given_as_a_dict():
    assert judge_rule(KERNEL_FLOOR, {"kernel.version": "6.1"})[0]["status"] == "pass"
    assert judge_rule(KERNEL_FLOOR, {"values": {}, "unknown": {"kernel.version": "r"}})[0]["evidence"] == "r"


# --------------------------------------------------------------------------- trees

TREE = {
    "id": "image", "root": "platform-match",
    "nodes": {
        "platform-match": {
            "question": {"en": "Native?", "zh": "原生？"},
            "when": {"fact": "subject.native", "op": "true"},
            "evidence": {"en": "image ${subject.platforms}, host ${arch.platform}", "zh": "x"},
            "yes": "native", "no": "kernel-floor"},
        "kernel-floor": {
            "question": {"en": "Kernel >= 4.8?", "zh": "内核 >= 4.8？"},
            "when": {"fact": "kernel.version", "op": "version_ge", "value": "4.8"},
            "yes": "emulated", "no": "impossible"},
    },
    "verdicts": {
        "native": {"status": "pass", "text": {"en": "runs natively", "zh": "原生运行"}},
        "emulated": {"status": "info", "text": {"en": "runs emulated", "zh": "仿真运行"}},
        "impossible": {"status": "fail", "text": {"en": "cannot run: ${why}", "zh": "无法运行"},
                       "remediation": {"text": {"en": "upgrade", "zh": "升级"}, "commands": {"any": ["uname -r"]}}},
    },
}


def test_tree_walk_yes():
    facts = Facts({"arch.platform": "linux/amd64"})
    result = walk_tree(TREE, facts, "app:1.0", extra={"subject.native": True, "subject.platforms": ["linux/amd64"]})
    assert result == {"tree": "image", "subject": "app:1.0",
                      "path": [{"node": "platform-match", "question": "Native?", "answer": "yes",
                                "evidence": "image linux/amd64, host linux/amd64"}],
                      "verdict": {"id": "native", "status": "pass", "text": "runs natively", "remediation": None}}


def test_tree_walk_no():
    result = walk_tree(TREE, FACTS, "app:arm64", extra={"subject.native": False})
    assert [(step["node"], step["answer"]) for step in result["path"]] == \
        [("platform-match", "no"), ("kernel-floor", "no")]
    assert result["path"][1]["evidence"] == "kernel.version = 3.10.0, below 4.8"
    assert result["verdict"] == {"id": "impossible", "status": "fail",
                                 "text": "cannot run: kernel.version = 3.10.0, below 4.8",
                                 "remediation": {"text": "upgrade", "commands": ["uname -r"]}}


def test_tree_walk_unknown_stops_with_the_reason():
    facts = Facts({}, {"kernel.version": "uname: not captured"})
    result = walk_tree(TREE, facts, "app:arm64", "zh", extra={"subject.native": False})
    assert result["path"][-1]["answer"] == "unknown"
    assert result["path"][-1]["evidence"] == "uname: not captured"
    assert result["verdict"] == {"id": "unknown", "status": "skip",
                                 "text": "无法判断：uname: not captured", "remediation": None}


def test_tree_walk_unknown_branch_and_broken_tree():
    tree = dict(TREE, nodes=dict(TREE["nodes"], **{"kernel-floor": dict(TREE["nodes"]["kernel-floor"],
                                                                      unknown="emulated")}))
    result = walk_tree(tree, Facts(), "x", extra={"subject.native": False})
    assert result["verdict"]["id"] == "emulated"
    broken = dict(TREE, root="nowhere")
    assert walk_tree(broken, FACTS, "x")["verdict"]["status"] == "error"


def test_verdict_may_report_a_shared_public_id():
    tree = dict(TREE, verdicts=dict(TREE["verdicts"], emulated={
        "id": "native", "status": "warn", "text": {"en": "slow", "zh": "慢"}}))
    facts = Facts({"kernel.version": "5.15.0"})
    verdict = walk_tree(tree, facts, "x", extra={"subject.native": False})["verdict"]
    assert (verdict["id"], verdict["status"]) == ("native", "warn")


def test_catalogue_loads_from_a_zipapp(tmp_path):
    """The single-file build is a zip: the catalogue is read through the package loader."""
    import subprocess
    import sys
    import zipfile
    from pathlib import Path
    package = Path(__file__).resolve().parent.parent / "hostcheck"
    archive = tmp_path / "hostcheck.pyz"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in package.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                bundle.write(path, str(path.relative_to(package.parent)))
    code = ("import hostcheck.judge as e; c = e.load_catalogue(); "
            "print(c.version, len(c.rules) > 10, e.judge(c, {})[0]['status'])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(archive)}, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [load_catalogue_version(), "True", "skip"]


def load_catalogue_version():
    from hostcheck.judge import load_catalogue
    return load_catalogue().version

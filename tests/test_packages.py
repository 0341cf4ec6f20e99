"""Issue 12: engine support as data, distribution builds, the package layouts of openEuler and
Kylin, and the 2024-2026 runtime CVEs, on real text (tests/data/outputs/openeuler-packages,
tests/data/systems/debian12-packages and openeuler2203-docker-engine; SOURCES.md for each)."""

import copy
import json
import os

import pytest

from hostcheck.combine import build_facts, run
from hostcheck.judge import load_catalogue
from hostcheck.judge.rules import judge_rule
from hostcheck.parse import runtimes

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUTS = os.path.join(HERE, "data", "outputs", "openeuler-packages")
SYSTEMS = os.path.join(HERE, "data", "systems")
CATALOGUE = load_catalogue(cases=True)
RULES = {rule["id"]: rule for rule in CATALOGUE.rules}


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _system(name):
    with open(os.path.join(SYSTEMS, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def _status(rule_id, facts):
    findings = judge_rule(RULES[rule_id], facts)
    assert len(findings) == 1
    return findings[0]


# ------------------------------------------------------------------ parsers on real text

def test_openeuler_runc_changelog_names_its_cve_blocks_but_never_cve_2019_5736():
    cves = runtimes.changelog_cves(_read(os.path.join(OUTPUTS, "docker-runc-1.0.0.rc3-310.changelog")))
    # "- CVE:CVE-2022-29162" in a Type:CVE block, CVE-2021-30465 inside a Type:bugfix DESC.
    assert cves == ["CVE-2022-29162", "CVE-2021-30465"]
    assert "CVE-2019-5736" not in cves


def test_openeuler_docker_engine_changelog_lists_comma_separated_cves_and_ignores_na():
    text = _read(os.path.join(OUTPUTS, "docker-engine-18.09.0-323.changelog"))
    assert "- CVE:NA" in text
    cves = runtimes.changelog_cves(text)
    assert cves[:3] == ["CVE-2023-28840", "CVE-2023-28841", "CVE-2023-28842"]
    assert "CVE-2020-15257" in cves  # "containerd fix CVE-2020-15257": containerd ships in docker-engine
    assert all(cve.startswith("CVE-") and cve != "CVE-NA" for cve in cves)


def test_series_conf_carries_the_cve_2019_5736_patches():
    series = _read(os.path.join(OUTPUTS, "docker-runc-series.conf.excerpt"))
    for patch in ("0088-nsenter-clone-proc-self-exe", "0090-nsenter-clone-proc-self-exe",
                  "0091-runc-cve-2019-5736-workaround"):
        assert patch in series


def test_rpm_answers_recorded_on_this_machine():
    doc = _system("debian12-packages")
    runc = doc["commands"]["rpm -qf /usr/bin/runc"]
    dockerd = doc["commands"]["rpm -qf /usr/bin/dockerd"]
    assert runtimes.parse_rpm_package(runc["stdout"], runc["stderr"]) == {
        "why": "/usr/bin/runc is not owned by any package"}
    assert runtimes.parse_rpm_package(dockerd["stdout"], dockerd["stderr"]) == {"why": "no file /usr/bin/dockerd"}
    missing = doc["commands"]["rpm -q docker-runc"]
    assert runtimes.parse_rpm_package(missing["stdout"]) == {"why": "package docker-runc is not installed"}


def test_rpm_package_names_with_dashes_and_dots():
    assert runtimes.parse_rpm_package("docker-engine-18.09.0-323.oe2203.x86_64\n") == {
        "name": "docker-engine", "version": "18.09.0-323.oe2203", "arch": "x86_64"}
    assert runtimes.parse_rpm_package("docker-runc-1.0.0.rc3-108.h28.eulerosv2r9\n")["name"] == "docker-runc"
    assert "why" in runtimes.parse_rpm_package("garbage\n")
    assert "why" in runtimes.parse_rpm_package(None)


def test_containerd_config_of_this_machine_and_of_docker_ce():
    doc = _system("debian12-packages")
    # Debian's containerd package: CRI configured, nothing disabled.
    assert runtimes.containerd_disabled_plugins(doc["files"]["/etc/containerd/config.toml"]["content"]) is None
    # docker/containerd-packaging common/containerd.toml (what containerd.io installs), verbatim head.
    shipped = ('#   Copyright 2018-2022 Docker Inc.\n\n#   Licensed under the Apache License, Version 2.0 '
               '(the "License");\n\ndisabled_plugins = ["cri"]\n\n#root = "/var/lib/containerd"\n'
               '#state = "/run/containerd"\n')
    assert runtimes.containerd_disabled_plugins(shipped) == ["cri"]
    # Bounded: a key after 256 lines of noise is not read.
    assert runtimes.containerd_disabled_plugins("#\n" * 300 + 'disabled_plugins = ["cri"]\n') is None
    assert runtimes.containerd_disabled_plugins('disabled_plugins = ["cri", # open\n') is None


# ------------------------------------------------------------------ combiners

def test_openeuler_packages_from_rpm_owners():
    facts = build_facts(_system("openeuler2203-docker-engine"))
    assert facts.get("runtimes.runc.package") == "docker-runc"
    assert facts.get("runtimes.runc.package_version") == "1.0.0.rc3-310.oe2203"
    assert facts.get("docker.package.name") == "docker-engine"
    assert facts.get("runtimes.containerd.package") == "docker-engine"
    assert facts.get("runtimes.runc.changelog_source") == "rpm -qf --changelog /usr/bin/runc"
    assert facts.get("docker.package.changelog_source") == "rpm -qf --changelog /usr/bin/dockerd"
    # No docker-runc binary on openEuler: the rpm database says the package is there.
    assert facts.get("runtimes.docker_runc.installed") is True
    assert facts.get("runtimes.docker_runc.version") == "1.0.0.rc3-310.oe2203"


def test_debian_packages_from_their_changelogs():
    facts = build_facts(_system("debian12-packages"))
    assert facts.get("docker.package.name") == "docker.io"
    assert facts.get("docker.package.version") == "20.10.24+dfsg1-1+deb12u1"
    assert "CVE-2024-41110" in facts.get("docker.package.changelog_cves")
    assert facts.get("runtimes.containerd.cri_enabled") is False
    assert "no CRI plugin has run" in facts.get("runtimes.containerd.cri_evidence")
    assert facts.get("docker.authz_plugins") == []
    assert facts.get("runtimes.docker_runc.installed") is False


def _centos_with_containerd_io():
    """CentOS 7 docker-ce 24.0.5 (tests/data/systems/centos7-docker24-firewalld) where rpm says
    containerd.io owns /usr/bin/runc and its changelog is containerd.io's own (2018 entries)."""
    doc = copy.deepcopy(_system("centos7-docker24-firewalld"))
    commands = doc.setdefault("commands", {})
    commands["rpm -qf /usr/bin/runc"] = {"argv": ["rpm", "-qf", "/usr/bin/runc"], "rc": 0,
                                         "stdout": "containerd.io-1.6.22-3.1.el7.x86_64\n", "stderr": ""}
    commands["rpm -qf --changelog /usr/bin/runc"] = {
        "argv": ["rpm", "-qf", "--changelog", "/usr/bin/runc"], "rc": 0, "stderr": "",
        "stdout": "* Thu Dec 06 2018 Andrew Hsu <andrewhsu@docker.com> - 1.2.1-3.1\n- containerd 1.2.1 release\n"}
    return doc


def test_docker_ce_changelog_is_not_backport_evidence():
    facts, failures = run(_centos_with_containerd_io())
    assert not failures
    assert facts.get("runtimes.runc.package") == "containerd.io"
    assert not facts.known("runtimes.runc.changelog_cves")
    assert "upstream build" in facts.reason("runtimes.runc.changelog_cves")
    # ... so runc 1.1.8 is judged as the upstream tag build it is.
    finding = _status("runtime-runc-cve-2024-21626", facts)
    assert finding["status"] == "fail" and "upstream builds get no backports" in finding["evidence"]


def test_cri_state_dir_and_config():
    doc = copy.deepcopy(_system("debian12-packages"))
    doc["stat"]["/run/containerd/io.containerd.grpc.v1.cri"] = {"mode": "0755", "uid": 0, "gid": 0, "type": "directory"}
    doc["stat"]["/var/lib/containerd"] = {"mode": "0711", "uid": 0, "gid": 0, "type": "directory"}
    facts = build_facts(doc)
    assert facts.get("runtimes.containerd.cri_enabled") is True
    assert facts.get("runtimes.containerd.root_mode") == "0711"
    assert _status("runtime-containerd-cve-2024-25621", facts)["status"] == "fail"
    doc["files"]["/etc/containerd/config.toml"] = {"content": 'disabled_plugins = ["cri"]\n'}
    facts = build_facts(doc)
    assert facts.get("runtimes.containerd.cri_enabled") is False
    assert _status("runtime-containerd-cve-2026-53488", facts)["status"] == "pass"


# ------------------------------------------------------------------ the verdicts issue 12 asks for

def _variants_of_openeuler_rc3():
    base = _system("openeuler2203-docker-engine")
    yield "as captured", base
    kylin = copy.deepcopy(base)
    kylin["files"]["/etc/os-release"] = {"content": 'NAME="Kylin Linux Advanced Server"\nVERSION="V10 (Lance)"\n'
                                                    'ID="kylin"\nVERSION_ID="V10"\n'}
    yield "on Kylin", kylin
    no_owner = copy.deepcopy(base)
    for key in ("rpm -qf /usr/bin/runc", "rpm -q docker-runc"):
        del no_owner["commands"][key]
    yield "owner not captured", no_owner
    legacy = copy.deepcopy(no_owner)
    legacy["commands"]["rpm -q --changelog runc"] = dict(
        legacy["commands"].pop("rpm -qf --changelog /usr/bin/runc"), argv=["rpm", "-q", "--changelog", "runc"])
    yield "older capture, name-based changelog", legacy


@pytest.mark.parametrize("label, doc", list(_variants_of_openeuler_rc3()))
def test_openeuler_rc3_runc_with_its_real_changelog_is_never_a_false_fail(label, doc):
    facts, failures = run(doc)
    assert not failures
    assert "CVE-2019-5736" not in facts.get("runtimes.runc.changelog_cves")
    finding = _status("runtime-runc-cve-2019-5736", facts)
    assert finding["status"] in ("pass", "warn"), (label, finding)
    if label == "as captured":
        assert finding["status"] == "pass" and "0088/0090/0091" in finding["evidence"]
    else:
        assert finding["status"] == "warn" and "unconfirmed" in finding["evidence"], finding


def test_a_silent_changelog_still_fails_where_no_patch_floor_is_known():
    facts = build_facts(_system("debian12-packages"))
    facts.set("runtimes.runc.version", "1.0.0~rc5+dfsg1")
    facts.set("runtimes.runc.changelog_cves", ["CVE-2017-16539"])
    assert _status("runtime-runc-cve-2019-5736", facts)["status"] == "fail"


@pytest.mark.parametrize("version, package, status", [
    ("28.5.2", "docker-ce", "warn"),
    ("28.0.0", None, "warn"),
    ("29.0.0", "docker-ce", "pass"),
    ("29.7.2", None, "pass"),
    ("25.0.17", "docker-ce", "warn"),
])
def test_docker_ce_28_warns_and_29_passes(version, package, status):
    facts = build_facts(_system("debian12-packages"))
    facts.values.pop("docker.package.name")
    facts.set("docker.version", version)
    if package:
        facts.set("docker.package.name", package)
    finding = _status("docker-engine-eol", facts)
    assert finding["status"] == status
    assert "as of 2026-12-06" in finding["evidence"]


def test_debian_13_docker_io_is_judged_as_a_distribution_build():
    # Debian 13's docker.io is 26.1.5+dfsg1-9: upstream's 26.1 is unmaintained, but the version
    # must not decide — the distribution does.
    facts = build_facts(_system("debian12-packages"))
    facts.set("docker.version", "26.1.5+dfsg1")
    facts.set("docker.package.version", "26.1.5+dfsg1-9")
    finding = _status("docker-engine-eol", facts)
    assert finding["status"] == "info"
    assert "docker.io 26.1.5+dfsg1-9, a distribution build" in finding["evidence"]
    # Without the package facts (an older capture), its version suffix says the same.
    facts.values.pop("docker.package.name")
    assert "distribution build" in _status("docker-engine-eol", facts)["evidence"]


# Each new CVE rule, the advisory its `source` must name, and a URL its refs must hold.
NEW_CVE_RULES = {
    "runtime-containerd-cve-2024-25621": ("GHSA-pwhc-rpq9-4c8w", "containerd/security/advisories/GHSA-pwhc"),
    "runtime-containerd-cve-2026-53488": ("GHSA-xhf5-7wjv-pqxp", "containerd/security/advisories/GHSA-xhf5"),
    "runtime-containerd-cve-2026-47262": ("GHSA-jpcc-p29g-p8mq", "containerd/security/advisories/GHSA-jpcc"),
    "runtime-runc-cve-2026-41579": ("GHSA-xjvp-4fhw-gc47", "runc/security/advisories/GHSA-xjvp"),
    "runtime-podman-cve-2025-9566": ("CVE-2025-9566", "podman/security/advisories/GHSA-wp3j"),
    "runtime-podman-build-cves-2024": ("CVE-2024-9675", "podman/releases/tag/v5.2.5"),
    "docker-authz-cve-2024-41110": ("GHSA-v23v-6jw2-98fq", "moby/security/advisories/GHSA-v23v"),
    "docker-authz-cve-2026-34040": ("GHSA-x744-4wpc-v9h2", "moby/security/advisories/GHSA-x744"),
    "docker-firewalld-cve-2025-54410": ("GHSA-4vq8-7jfc-9cvp", "moby/security/advisories/GHSA-4vq8"),
    "docker-firewalld-cve-2025-54388": ("GHSA-x4rx-4gw3-53p4", "moby/security/advisories/GHSA-x4rx"),
    "docker-buildkit-cve-2024-23651": ("CVE-2024-23651", "buildkit/security/advisories/GHSA-m3r6"),
}


def test_the_new_cves_are_in_rules_list_with_their_sources():
    """`hostcheck rules list --json` (what a user sees) lists each with its advisory and URL."""
    from click.testing import CliRunner
    from hostcheck.cli import cli
    result = CliRunner().invoke(cli, ["rules", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = {rule["id"]: rule for rule in json.loads(result.output)["rules"]}
    for rule_id, (advisory, url) in NEW_CVE_RULES.items():
        assert rule_id in listed, rule_id
        assert advisory in listed[rule_id]["source"], rule_id
        assert any(url in ref for ref in listed[rule_id]["refs"]), (rule_id, listed[rule_id]["refs"])
    text = CliRunner().invoke(cli, ["rules", "list", "--no-color"]).output
    assert all(rule_id in text for rule_id in NEW_CVE_RULES)


@pytest.mark.parametrize("rule_id", sorted(NEW_CVE_RULES))
def test_each_new_cve_rule_has_a_pass_and_a_non_pass_case(rule_id):
    expected = set(case["expect"] for case in RULES[rule_id]["cases"])
    assert "pass" in expected and expected - {"pass", "skip"}, (rule_id, expected)


def test_the_capture_asks_for_the_packages(monkeypatch):
    from hostcheck.capture import core, probes
    doc = core.take(timeout=5, sockets=False)
    for argv in probes.RPM_OWNER_COMMANDS + probes.RPM_CHANGELOG_COMMANDS:
        record = doc["commands"][" ".join(argv)]
        assert record["argv"] == list(argv)
    for path in probes.DEB_CHANGELOGS + (probes.CONTAINERD_CONFIG,):
        assert path in doc["files"]
    for path in probes.CONTAINERD_STATE_DIRS:
        assert path in doc["stat"]
    # Bounded like runc's: 64 KiB of changelog at most.
    changelog = doc["files"]["/usr/share/doc/docker.io/changelog.Debian.gz"]
    assert len(changelog.get("content", "")) <= probes.CHANGELOG_LIMIT


def test_openeuler_containerd_inside_docker_engine_is_judged_by_docker_engines_changelog():
    """containerd ships inside docker-engine there: `rpm -qf --changelog /usr/bin/containerd`
    is docker-engine's real changelog, which names CVE-2020-15257 ("containerd fix ...")."""
    facts = build_facts(_system("openeuler2203-docker-engine"))
    assert facts.get("runtimes.containerd.changelog_source") == "rpm -qf --changelog /usr/bin/containerd"
    # docker-engine 18.09's containerd is 1.2.x (the engine's /version was not captured; the
    # version only has to predate the upstream fixes for the changelog to decide).
    facts.set("runtimes.containerd.version", "1.2.0")
    finding = _status("runtime-containerd-cve-2020-15257", facts)
    assert finding["status"] == "pass" and "rpm -qf --changelog /usr/bin/containerd" in finding["evidence"]
    # Without that changelog entry the same version is not passed.
    facts.set("runtimes.containerd.changelog_cves",
              [c for c in facts.get("runtimes.containerd.changelog_cves") if c != "CVE-2020-15257"])
    assert _status("runtime-containerd-cve-2020-15257", facts)["status"] != "pass"


def test_openeuler_runc_2026_advisory_is_not_passed_by_a_silent_changelog():
    facts = build_facts(_system("openeuler2203-docker-engine"))
    finding = _status("runtime-runc-cve-2026-41579", facts)
    # podman is not installed there, but containerd's CRI state is unknown: no Docker-only pass.
    assert finding["status"] == "info" and "rated low" in finding["evidence"]

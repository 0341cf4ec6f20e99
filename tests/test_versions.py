"""Version comparison: upstream versions through `packaging`, package versions against the
distributions' own tools as oracles.

tests/data/versions/{deb,rpm}.txt hold real versions in groups (each file names its
sources); every pair inside a group is ordered by hostcheck and by the real tool, in one
batch per tool:
  dpkg  one `xargs` running `dpkg --compare-versions A OP B` per pair, OP being the order
        hostcheck found (lt, eq or gt): dpkg confirms every claim, or the false ones are named;
  rpm   one `rpm --eval` running a Lua script that prints rpm.vercmp(A, B) for every pair
        (rpmdev-vercmp is not in Debian 12; rpm 4.18 is).
Without the tool the test skips and says why, except under HOSTCHECK_INTEGRATION=1, where
tests/run installs both (rpm is in its APT list, dpkg is Debian's own) and a missing one fails.
"""

import functools
import itertools
import re
import shutil
import subprocess

import pytest
from packaging.version import InvalidVersion, Version

from conftest import REPO_ROOT, missing
from hostcheck.facts import Facts
from hostcheck.judge.compile import CatalogueError, build_catalogue
from hostcheck.judge.conditions import OPS, Scope, evaluate
from hostcheck.judge.version import (compare_deb_versions, compare_rpm_versions,
                                     compare_versions, normalise_version, parse_deb_version,
                                     parse_rpm_version, parse_version, rpmvercmp)

DATA = REPO_ROOT / "tests" / "data" / "versions"
ORDER_WORD = {-1: "lt", 0: "eq", 1: "gt"}


def read_groups(name):
    """{group: [versions]} from a data file: `[group]` headers, `#` comments."""
    groups, current = {}, None
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            groups[current] = []
        else:
            groups[current].append(line)
    return groups


def all_pairs(groups):
    return [pair for versions in groups.values() for pair in itertools.combinations(versions, 2)]


DEB = read_groups("deb.txt")
RPM = read_groups("rpm.txt")


# ------------------------------------------------------------------ Debian: dpkg

def dpkg_rejects(claims):
    """The claims ("A lt B") that `dpkg --compare-versions` rejects. One xargs runs them all
    (four at a time); only when some fail are they run again one by one, to name them."""
    if shutil.which("dpkg") is None:
        missing("dpkg is not installed: no oracle for Debian version order")
    batch = subprocess.run(["xargs", "-n", "3", "-P", "4", "dpkg", "--compare-versions"],
                           input="".join(c + "\n" for c in claims),
                           capture_output=True, text=True, timeout=120)
    assert batch.stderr == "", batch.stderr          # dpkg warns about bad syntax
    if batch.returncode == 0:
        return []
    assert batch.returncode == 123, batch.returncode  # 123: some dpkg said false
    return [claim for claim in claims
            if subprocess.run(["dpkg", "--compare-versions"] + claim.split()).returncode != 0]


def test_every_debian_version_in_the_data_parses():
    for versions in DEB.values():
        for version in versions:
            assert parse_deb_version(version) is not None, version
    assert len(all_pairs(DEB)) >= 600


def test_deb_order_agrees_with_dpkg_on_every_pair():
    claims = ["%s %s %s" % (a, ORDER_WORD[compare_deb_versions(a, b)], b) for a, b in all_pairs(DEB)]
    assert dpkg_rejects(claims) == []
    # The oracle is live: a false claim is named.
    assert dpkg_rejects(claims[:3] + ["1.6.20~ds1-1 gt 1.6.20-1"]) == ["1.6.20~ds1-1 gt 1.6.20-1"]


# ------------------------------------------------------------------ RPM: rpm.vercmp

LUA = """
local out = {}
local function vercmp(a, b)
  local ok, result = pcall(rpm.vercmp, a, b)
  out[#out + 1] = ok and tostring(result) or "error"
end
%s
print(table.concat(out, " "))
"""
LUA_SAFE = re.compile(r"[A-Za-z0-9.+~^_:-]+\Z")


def rpm_vercmp_all(pairs, tmp_path):
    """rpm.vercmp(A, B) for every pair, from one `rpm --eval`."""
    if shutil.which("rpm") is None:
        missing("rpm is not installed: no oracle for RPM version order (apt-get install rpm)")
    for pair in pairs:
        assert all(LUA_SAFE.match(v) for v in pair), pair      # safe inside "..." in Lua
    script = tmp_path / "vercmp.lua"
    script.write_text(LUA % "\n".join('vercmp("%s", "%s")' % pair for pair in pairs))
    run = subprocess.run(["rpm", "--eval", '%%{lua: dofile("%s")}' % script],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    answers = run.stdout.split()
    assert len(answers) == len(pairs)
    return [int(answer) for answer in answers]


def test_every_rpm_version_in_the_data_parses():
    for versions in RPM.values():
        for version in versions:
            assert parse_rpm_version(version) is not None, version
    assert len(all_pairs(RPM)) >= 600


def test_rpm_order_agrees_with_rpm_vercmp_on_every_pair(tmp_path):
    pairs = all_pairs(RPM)
    ours = [compare_rpm_versions(a, b) for a, b in pairs]
    theirs = rpm_vercmp_all(pairs, tmp_path)
    disagreements = [(a, b, o, t) for (a, b), o, t in zip(pairs, ours, theirs) if o != t]
    assert disagreements == []
    assert {-1, 0, 1} <= set(theirs)        # the oracle answered, and not one constant


def test_rpm_vercmp_alone_agrees_on_version_strings(tmp_path):
    """The bare rpmvercmp on versions without `-` and `:` (rpm's test-suite strings)."""
    plain = [v for v in RPM["tilde-caret"] if "-" not in v and ":" not in v]
    pairs = list(itertools.combinations(plain, 2))
    assert [rpmvercmp(a, b) for a, b in pairs] == rpm_vercmp_all(pairs, tmp_path)


# ------------------------------------------------------------------ order properties


@pytest.mark.parametrize("compare, groups", [(compare_deb_versions, DEB), (compare_rpm_versions, RPM)],
                         ids=["deb", "rpm"])
def test_orders_are_total_orders(compare, groups):
    """Antisymmetric, and a sort by it leaves no pair out of order (transitive)."""
    for versions in groups.values():
        for a, b in itertools.permutations(versions, 2):
            assert compare(a, b) == -compare(b, a), (a, b)
        ordered = sorted(versions, key=functools.cmp_to_key(compare))
        for a, b in itertools.combinations(ordered, 2):
            assert compare(a, b) <= 0, (a, b)


@pytest.mark.parametrize("left, right, expected", [
    ("1.6.20~ds1-1", "1.6.20-1", -1),             # ~ before the end
    ("1.6.20~ds1-1+deb12u1", "1.6.20~ds1-1", 1),
    ("1:1.1.5+ds1-1+deb12u1", "1.1.12-0ubuntu3", 1),   # the epoch wins
    ("1.1.5+ds1-1+deb12u1", "1.1.12-0ubuntu3", -1),
    ("1.0", "1.0-0", 0),                          # no revision = revision 0
    ("1.0.0~rc95.86.g2f8e8e9d+ds1-1", "1.0.0+ds1-1", -1),
    ("5:24.0.7-1~ubuntu.22.04~jammy", "24.0.7-0ubuntu2~22.04.1", 1),
])
def test_deb_examples(left, right, expected):
    assert compare_deb_versions(left, right) == expected


@pytest.mark.parametrize("raw", [
    "", " ", "a1.0", ":1.0", "x:1.0", "-1:1.0", "1.0-", "1.0 -1", "1.0_1", "1.0-1_2",
    "2147483648:1.0", "1.0\n", "1.0é", None, 1.0, "1" * 300,
])
def test_not_a_debian_version(raw):
    """What dpkg refuses or warns about is unknown here, never ordered."""
    assert parse_deb_version(raw) is None
    assert compare_deb_versions(raw, "1.0") is None and compare_deb_versions("1.0", raw) is None


@pytest.mark.parametrize("left, right, expected", [
    ("1.0.0.rc3-310.oe2203", "1.0.0-0.rc3.el7", 1),    # rpm: 1.0.0.rc3 is above 1.0.0
    ("2:18.09.0-321", "18.09.0-331", 1),
    ("18.09.0-300.oe2203", "18.09.0-300", 1),
    ("1.1.12", "1.1.12-1.oe2203", -1),           # a missing release sorts below any
    ("0:1.0", "1.0", 0),
    ("1.0~rc1-1", "1.0-1", -1),
    ("1.0^git1-1", "1.0-1", 1),
    ("1.0^git1", "1.01", -1),
])
def test_rpm_examples(left, right, expected):
    assert compare_rpm_versions(left, right) == expected


@pytest.mark.parametrize("raw", ["", " ", "1.0-1-2", ":1.0", "a:1.0", "1.0-", "1.0 1",
                                 "1.0/1", None, 7, "1" * 300])
def test_not_an_rpm_version(raw):
    """Only what rpmbuild could produce: letters, digits, ._+~^ in version and release."""
    assert parse_rpm_version(raw) is None
    assert compare_rpm_versions(raw, "1.0") is None


# ------------------------------------------------------------------ upstream: packaging


@pytest.mark.parametrize("raw, normalised", [
    # CHECKS.md "Version strings are messy"
    ("1.0.0-rc95", "1.0.0rc95"),
    ("1.1.5+ds1", "1.1.5"),
    ("1.6.20~ds1", "1.6.20"),
    ("20.10.24+dfsg1", "20.10.24"),
    ("3.10.0-1160.el7.x86_64", "3.10.0"),
    ("4.19.90-24.4.v2101.ky10.aarch64", "4.19.90"),
    ("5.15.0-91-generic", "5.15.0"),
    # the rest of the brief's and the data's suffixes
    ("v1.1.12", "1.1.12"),
    ("1.1.5+ds1-1+deb12u1", "1.1.5"),
    ("1.7.12-0ubuntu2~22.04.1", "1.7.12"),
    ("1.7.27-1", "1.7.27"),
    ("1.0.0.rc3", "1.0.0rc3"),
    ("1.0.0.rc3-310.oe2203", "1.0.0rc3"),
    ("1.0.0-0.rc3.el7", "1.0.0rc3"),
    ("1.0.0-68.rc92.module+el8.3.0+7866+f387f528", "1.0.0rc92"),
    ("1.1.0~rc.1+ds1", "1.1.0rc1"),
    ("1.0.0~rc95.86.g2f8e8e9d+ds1", "1.0.0rc95"),
    ("1.5.0~beta4~ds1", "1.5.0b4"),
    ("2.0.0-beta.0", "2.0.0b0"),
    ("1.4.0-rc.3", "1.4.0rc3"),
    ("18.06.1-ce", "18.06.1"),
    ("18.09.0-ce-beta1", "18.09.0b1"),
    ("1.2.0-dev", "1.2.0.dev0"),
    ("5.10.0-216.0.0.115.oe2203sp4.aarch64", "5.10.0"),
    ("4.19.90-52.23.v2207.gfb08.ky10.aarch64", "4.19.90"),
    ("1.2.3-alpine", "1.2.3"),                   # a word that starts like a tag is not one
    ("1.2.3-rc1abc", "1.2.3"),
    # not upstream versions: no leading number, or an epoch (a package version)
    ("rc1", None), ("unknown", None), ("", None), ("1:1.7.27-0ubuntu1", None),
    ("1" * 300, None),
])
def test_upstream_normalisation(raw, normalised):
    assert normalise_version(raw) == normalised
    parsed = parse_version(raw)
    assert (parsed is None) == (normalised is None)
    if parsed is not None:
        assert parsed.raw == raw and parsed.pep440 == Version(normalised)


@pytest.mark.parametrize("raw, why", [
    ("1.6.20~ds1", "rejected"), ("5.15.0-91-generic", "rejected"),
    ("4.19.90-24.4.v2101.ky10.aarch64", "rejected"), ("1.0.0.rc3-310.oe2203", "rejected"),
    ("1.1.5+ds1", "local"), ("20.10.24+dfsg1", "local"), ("1.7.27-1", "post"),
])
def test_packaging_alone_misreads_these(raw, why):
    """Why the normalisation exists: `packaging` rejects or misreads raw host strings."""
    if why == "rejected":
        with pytest.raises(InvalidVersion):
            Version(raw)
    elif why == "local":
        assert Version(raw).local is not None and Version(raw) > Version(raw.split("+")[0])
    else:
        assert Version(raw).is_postrelease
    assert parse_version(raw) is not None


@pytest.mark.parametrize("left, right, expected", [
    # rule thresholds of rules/*.yaml against versions hosts print
    ("1.0.0-rc92", "1.0.0-rc93", -1),
    ("1.0.0~rc95.86.g2f8e8e9d+ds1", "1.0.0-rc93", 1),
    ("1.1.5+ds1", "1.1.12", -1),
    ("1.1.12-0ubuntu3.1", "1.1.12", 0),
    ("1.4.0-rc.2", "1.4.0-rc.3", -1),
    ("1.3.3", "1.4.0-rc.1", -1),
    ("2.0.0-rc.1", "2.0.0-beta.0", 1),
    ("1.7.27", "2.0.0-beta.0", -1),
    ("1.6.20~ds1", "1.7.0-beta.0", -1),
    ("1.0.0.rc3", "1.0.0-rc7", -1),               # openEuler's docker-runc is an rc
    ("1.2.0-dev", "1.2.0-alpha.1", -1),
    ("18.09.0-ce-beta1", "18.09.0", -1),
    ("28.2.2", "28.0.1", 1),
    ("1.15", "1.15.0", 0),
])
def test_upstream_order(left, right, expected):
    assert compare_versions(left, right) == expected


# ------------------------------------------------------------------ operators and compiler

FACTS = Facts({"runtimes.runc.version": "1.1.5+ds1-1+deb12u1",
               "runtimes.containerd.version": "1.6.22-10.oe2203sp3"}, {})


@pytest.mark.parametrize("condition, result, explanation", [
    ({"fact": "runtimes.runc.version", "op": "deb_version_lt", "value": "1.1.5+ds1-1+deb12u2"},
     True, "runtimes.runc.version = 1.1.5+ds1-1+deb12u1, below 1.1.5+ds1-1+deb12u2"),
    ({"fact": "runtimes.runc.version", "op": "deb_version_ge", "value": "1.1.5+ds1-1~deb12u1"},
     True, "runtimes.runc.version = 1.1.5+ds1-1+deb12u1, at least 1.1.5+ds1-1~deb12u1"),
    ({"fact": "runtimes.runc.version", "op": "deb_version_eq", "value": "0:1.1.5+ds1-1+deb12u1"},
     True, "runtimes.runc.version = 1.1.5+ds1-1+deb12u1"),
    ({"fact": "runtimes.containerd.version", "op": "rpm_version_lt", "value": "1.6.22-9.oe2203sp3"},
     False, "runtimes.containerd.version = 1.6.22-10.oe2203sp3, not below 1.6.22-9.oe2203sp3"),
    ({"fact": "runtimes.containerd.version", "op": "rpm_version_gt", "value": "1.6.22"},
     True, "runtimes.containerd.version = 1.6.22-10.oe2203sp3, above 1.6.22"),
    ({"fact": "runtimes.containerd.version", "op": "version_eq", "value": "1.6.22"},
     True, "runtimes.containerd.version = 1.6.22-10.oe2203sp3"),
    ({"fact": "runtimes.runc.version", "op": "rpm_version_lt", "value": "1.0-1-2"},
     None, "runtimes.runc.version = 1.1.5+ds1-1+deb12u1, not a version hostcheck can compare"),
])
def test_package_version_operators(condition, result, explanation):
    assert evaluate(condition, Scope(FACTS)) == (result, explanation)


def test_every_version_operator_is_known():
    for scheme in ("version", "deb_version", "rpm_version"):
        for order in ("lt", "le", "gt", "ge", "eq"):
            assert "%s_%s" % (scheme, order) in OPS


RULE = ("rules:\n  - id: runtime-x\n    area: runtime\n    title: {en: T, zh: 标题}\n"
        "    source: s\n    refs: [r]\n    outcomes:\n"
        "      - {when: {fact: runtimes.runc.version, op: OP, value: 'VALUE'}, status: fail,\n"
        "         remediation: {text: {en: t, zh: t}}}\n"
        "      - status: pass\n"
        "    cases:\n      - {facts: {runtimes.runc.version: 'FACT'}, expect: EXPECT}\n")


@pytest.mark.parametrize("op, value, fact, expect", [
    ("deb_version_lt", "1:1.1.5+ds1-1+deb12u1", "1.1.5+ds1-1+deb12u1", "fail"),
    ("rpm_version_lt", "1.1.3-14.oe2203sp1", "1.1.3-13.oe2203sp1", "fail"),
    ("rpm_version_lt", "1.1.3-14.oe2203sp1", "1.1.3-14.oe2203sp1", "pass"),
])
def test_compiler_accepts_package_version_thresholds(tmp_path, op, value, fact, expect):
    (tmp_path / "a.yaml").write_text(RULE.replace("OP", op).replace("VALUE", value)
                                     .replace("FACT", fact).replace("EXPECT", expect), encoding="utf-8")
    assert build_catalogue(str(tmp_path))["rules"][0]["id"] == "runtime-x"


@pytest.mark.parametrize("op, value", [
    ("deb_version_lt", "v1.1.5"), ("deb_version_ge", "1.0-"), ("rpm_version_lt", "1.0-1-2"),
    ("rpm_version_eq", ""), ("version_lt", "rc1"),
])
def test_compiler_rejects_a_threshold_its_operator_cannot_read(tmp_path, op, value):
    (tmp_path / "a.yaml").write_text(RULE.replace("OP", op).replace("VALUE", value)
                                     .replace("FACT", "1.0").replace("EXPECT", "pass"), encoding="utf-8")
    with pytest.raises(CatalogueError, match=re.escape("%r is not a version %s can compare" % (value, op))):
        build_catalogue(str(tmp_path))

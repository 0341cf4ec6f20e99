"""The real artefacts: dist/hostcheck.pyz on every pyenv interpreter, the .deb installed
for real, the RPM installed into a scratch root.

Each is built once per module into a temporary directory (packaging/build-pyz,
build-deb, build-rpm with HOSTCHECK_DIST), from the wheels pinned in
packaging/pyz/requirements.txt (cached in .cache/pyz-wheels; the first build fetches them
from PyPI). Each interpreter runs the zip isolated (-I: no site-packages, no PYTHONPATH)
from an empty working directory, so nothing of the checkout can stand in for the zip.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

import hostcheck
from conftest import REPO_ROOT, find_python, missing

PACKAGING = REPO_ROOT / "packaging"
# A real capture of a CentOS 7 host (tests/data/systems/README: its source).
FIXTURE = REPO_ROOT / "tests" / "data" / "systems" / "centos7-docker24-firewalld.json"
JUDGING = ["3.9", "3.10", "3.11", "3.12", "3.13"]
CAPTURE_ONLY = ["3.6", "3.7", "3.8"]
# Exit codes of check/analyze (SPEC): 0 all passed, 1 a failure or warning found.
REPORT_CODES = (0, 1)


def run(argv, cwd=None, env=None, timeout=180):
    environment = dict(os.environ)
    environment.update(env or {})
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=timeout)


def build(script, dist):
    result = run([PACKAGING / script], env={"HOSTCHECK_DIST": str(dist)}, timeout=600)
    if result.returncode != 0 and "pip failed" in result.stderr:
        missing("%s could not fetch the pinned wheels:\n%s" % (script, result.stderr[-2000:]))
    assert result.returncode == 0, result.stderr
    return dist


@pytest.fixture(scope="module")
def pyz(tmp_path_factory):
    out = tmp_path_factory.mktemp("pyz") / "hostcheck.pyz"
    result = run([PACKAGING / "build-pyz", "-o", out], timeout=600)
    if result.returncode != 0 and "pip failed" in result.stderr:
        missing("build-pyz could not fetch the pinned wheels:\n" + result.stderr[-2000:])
    assert result.returncode == 0, result.stderr
    return out


def interpreter(minor):
    path = find_python(minor)
    if path is None:
        missing("Python %s is not installed under pyenv" % minor)
    return path


@pytest.fixture
def clean_dir(tmp_path):
    """An empty working directory: no hostcheck/ beside the interpreter to import by mistake."""
    work = tmp_path / "work"
    work.mkdir()
    return work


# ------------------------------------------------------------------ the zip itself


def test_pyz_is_reproducible_and_pure(pyz, tmp_path):
    again = tmp_path / "again.pyz"
    assert run([PACKAGING / "build-pyz", "-o", again]).returncode == 0
    assert again.read_bytes() == pyz.read_bytes()
    assert pyz.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(pyz) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names)
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert not [n for n in names if n.endswith((".so", ".pyc")) or "__pycache__" in n]
        assert "__main__.py" in names and "hostcheck/data/catalogue.json" in names
        assert "hostcheck/data/schema/report.json" in names
        assert not [n for n in names if n.lower().startswith("psutil")]
        dists = sorted(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert any(d.startswith("click-8.1.") for d in dists), dists  # resolved for 3.9
    assert pyz.stat().st_size < 8 * 1024 * 1024


def test_pyz_with_bytecode_for_one_python(tmp_path, clean_dir):
    # --compile-with: .pyc files for one minor version; others fall back to the sources.
    py39, py311 = interpreter("3.9"), interpreter("3.11")
    first, second = tmp_path / "a.pyz", tmp_path / "b.pyz"
    for out in (first, second):
        built = run([PACKAGING / "build-pyz", "-o", out, "--compile-with", py39])
        assert built.returncode == 0, built.stderr
    assert first.read_bytes() == second.read_bytes()
    # `schema` goes through click (`--version` answers before importing it).
    loaded = run([py39, "-I", "-v", first, "schema", "report"], cwd=clean_dir)
    assert json.loads(loaded.stdout)["title"].startswith("hostcheck report")
    assert "click.core # loaded from Zip %s/click/core.pyc" % first in loaded.stderr
    other = run([py311, "-I", first, "check", "--json"], cwd=clean_dir)
    assert other.returncode in REPORT_CODES, other.stderr
    assert json.loads(other.stdout)["format"] == "hostcheck.report/v1"


@pytest.mark.parametrize("minor", JUDGING)
def test_pyz_judges_on_python_39_and_later(pyz, clean_dir, minor):
    python = interpreter(minor)
    version = run([python, "-I", pyz, "--version"], cwd=clean_dir)
    assert (version.returncode, version.stdout) == (0, "hostcheck %s\n" % hostcheck.__version__), \
        version.stderr

    check = run([python, "-I", pyz, "check", "--json"], cwd=clean_dir)
    assert check.returncode in REPORT_CODES, check.stderr
    report = json.loads(check.stdout)
    assert report["format"] == "hostcheck.report/v1"
    assert report["findings"] and report["tool"]["version"] == hostcheck.__version__
    # psutil is not in the zip: the process table comes from /proc.
    assert "Traceback" not in check.stderr

    analyzed = run([python, "-I", pyz, "analyze", FIXTURE, "--json"], cwd=clean_dir)
    assert analyzed.returncode in REPORT_CODES, analyzed.stderr
    from_zip = json.loads(analyzed.stdout)
    from_checkout = json.loads(run([sys.executable, "-m", "hostcheck", "analyze", FIXTURE, "--json"],
                                   cwd=REPO_ROOT).stdout)
    assert [(f["id"], f["status"]) for f in from_zip["findings"]] == \
        [(f["id"], f["status"]) for f in from_checkout["findings"]]

    rules = run([python, "-I", pyz, "rules", "list"], cwd=clean_dir, env={"COLUMNS": "200"})
    assert rules.returncode == 0, rules.stderr
    assert "runtime-runc-cve-2019-5736" in rules.stdout

    schema = run([python, "-I", pyz, "schema", "capture"], cwd=clean_dir)
    assert json.loads(schema.stdout)["$schema"].startswith("http://json-schema.org/")
    assert list(clean_dir.iterdir()) == []  # judging writes nothing where it runs


@pytest.mark.parametrize("minor", [JUDGING[0], JUDGING[-1]])
def test_every_command_loads_from_the_zip(pyz, clean_dir, minor):
    # Lazily loaded commands (image, net, fleet) import their modules only when asked for:
    # a dependency missing from the zip would show here, not in --version.
    python = interpreter(minor)
    top = run([python, "-I", pyz, "--help"], cwd=clean_dir, env={"COLUMNS": "200"})
    commands = [line.split()[0] for line in top.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert {"check", "analyze", "capture", "rules", "image", "net"} <= set(commands), top.stdout
    for command in commands:
        shown = run([python, "-I", pyz, command, "--help"], cwd=clean_dir)
        assert shown.returncode == 0 and "Usage:" in shown.stdout, (command, shown.stderr)
    # The docker SDK and its CA bundle work from inside a zip (the registry probe uses them).
    sdk = run([python, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import docker, certifi; "
               "print(docker.__version__, open(certifi.where()).read(200))", pyz], cwd=clean_dir)
    assert sdk.returncode == 0, sdk.stderr
    pinned = re.search(r"^docker==(\S+) ", (PACKAGING / "pyz" / "requirements.txt").read_text(), re.M)
    assert sdk.stdout.split()[0] == pinned.group(1)
    assert "Issuer" in sdk.stdout or "BEGIN CERTIFICATE" in sdk.stdout, sdk.stdout


@pytest.mark.parametrize("minor", CAPTURE_ONLY)
def test_pyz_captures_on_older_python(pyz, clean_dir, minor):
    python = interpreter(minor)
    capture = run([python, "-I", pyz, "capture", "-o", "capture.json"], cwd=clean_dir)
    assert capture.returncode == 0, capture.stderr
    document = json.loads((clean_dir / "capture.json").read_text(encoding="utf-8"))
    assert document["format"] == "hostcheck.capture/v1"
    assert document["python"].startswith(minor + "."), document["python"]

    check = run([python, "-I", pyz, "check", "-o", "again.json"], cwd=clean_dir)
    assert check.returncode == 3
    hint = check.stderr.splitlines()
    assert len(hint) == 1 and "Python %s can capture but not judge" % minor in hint[0], check.stderr
    assert "again.json" in hint[0] and "hostcheck analyze" in hint[0]
    assert (clean_dir / "again.json").stat().st_size > 1000

    version = run([python, "-I", pyz, "--version"], cwd=clean_dir)
    assert version.stdout.startswith("hostcheck %s (capture only on Python %s" % (hostcheck.__version__, minor))
    judge = run([python, "-I", pyz, "analyze", FIXTURE], cwd=clean_dir)
    assert judge.returncode == 3 and "can only capture" in judge.stderr


def test_pyz_check_on_a_terminal_names_the_command_and_writes_nothing(pyz, clean_dir):
    # Hundreds of KB of JSON are no use on a terminal, and SPEC allows no file the user did
    # not ask for: check says what to run instead.
    import pty

    primary, secondary = pty.openpty()
    try:
        check = subprocess.run([str(interpreter("3.6")), "-I", str(pyz), "check"], cwd=clean_dir,
                               stdout=secondary, stderr=subprocess.PIPE, text=True, timeout=180)
    finally:
        os.close(secondary)
        os.close(primary)
    assert check.returncode == 3, check.stderr
    assert list(clean_dir.iterdir()) == []
    lines = check.stderr.strip().splitlines()
    assert len(lines) == 1 and "capture -o capture.json" in lines[0] and "hostcheck analyze" in lines[0]


def test_a_capture_from_python36_judges_on_python39(pyz, clean_dir):
    old, new = interpreter("3.6"), interpreter("3.9")
    assert run([old, "-I", pyz, "capture", "-o", "old.json"], cwd=clean_dir).returncode == 0
    judged = run([new, "-I", pyz, "analyze", "old.json", "--json"], cwd=clean_dir)
    assert judged.returncode in REPORT_CODES, judged.stderr
    assert json.loads(judged.stdout)["findings"]


# ------------------------------------------------------------------ the OS packages


def require_root():
    if os.geteuid() != 0:
        missing("installing packages needs root")


def dpkg(*args):
    """dpkg, waiting while another engineer's apt holds the lock."""
    for _attempt in range(60):
        result = run(["dpkg"] + list(args))
        if result.returncode == 0 or "lock" not in result.stderr:
            return result
        time.sleep(5)
    return result


def deb_installed():
    status = run(["dpkg-query", "-W", "-f=${Status}", "hostcheck"])
    return "install ok installed" in status.stdout


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    for tool in ("rpmbuild", "dpkg-buildpackage", "dh"):
        if not shutil.which(tool):
            missing("%s not installed (tests/lib.sh installs rpm, dpkg-dev, debhelper)" % tool)
    dist = tmp_path_factory.mktemp("dist")
    build("build-deb", dist)
    build("build-rpm", dist)
    return dist


def old_python_only_path(tmp_path):
    """A PATH on which the only python3 is 3.6 (CentOS 7)."""
    bin_dir = tmp_path / "centos7-bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(interpreter("3.6"))
    return str(bin_dir)


def test_deb_installs_and_runs(packages, clean_dir, tmp_path):
    require_root()
    if deb_installed():
        pytest.fail("a hostcheck package is already installed on this machine: not touching it")
    deb = next(packages.glob("hostcheck_*_all.deb"))
    fields = run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends"]).stdout
    assert "Architecture: all" in fields and "Depends: python3" in fields
    # Reproducible: dpkg-buildpackage dates every file from debian/changelog.
    listing = run(["dpkg-deb", "-c", deb]).stdout.splitlines()
    assert len({tuple(line.split()[3:5]) for line in listing}) == 1, listing
    try:
        installed = dpkg("-i", deb)
        assert installed.returncode == 0, installed.stderr
        assert os.access("/usr/bin/hostcheck", os.X_OK)
        version = run(["/usr/bin/hostcheck", "--version"], cwd=clean_dir)
        assert version.stdout == "hostcheck %s\n" % hostcheck.__version__, version.stderr
        check = run(["hostcheck", "check", "--json"], cwd=clean_dir,
                    env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
        assert check.returncode in REPORT_CODES, check.stderr
        assert json.loads(check.stdout)["format"] == "hostcheck.report/v1"
        # The same package on a host whose python3 is 3.6: capture, one-line hint, exit 3.
        old = run(["/usr/bin/hostcheck", "check", "-o", "capture.json"], cwd=clean_dir,
                  env={"PATH": old_python_only_path(tmp_path)})
        assert old.returncode == 3, old.stderr
        assert "Python 3.6 can capture but not judge" in old.stderr
        assert json.loads((clean_dir / "capture.json").read_text())["format"] == "hostcheck.capture/v1"
    finally:
        removed = dpkg("--purge", "hostcheck")
    assert removed.returncode == 0, removed.stderr
    assert not os.path.exists("/usr/bin/hostcheck")
    assert not os.path.exists("/usr/share/hostcheck")


def test_rpm_installs_into_a_scratch_root_and_runs(packages, clean_dir, tmp_path):
    require_root()
    rpm = next(packages.glob("hostcheck-*.noarch.rpm"))
    # What CentOS 7's rpm 4.11 must understand: a gzip payload and no newer rpmlib features.
    query = run(["rpm", "-qp", "--qf", "%{PAYLOADCOMPRESSOR} %{ARCH}\n", rpm])
    assert query.stdout.strip() == "gzip noarch", query.stderr
    requires = set(run(["rpm", "-qp", "--requires", rpm]).stdout.split("\n")) - {""}
    assert {r.split()[0] for r in requires} == {
        "/bin/sh", "python3", "rpmlib(CompressedFileNames)", "rpmlib(FileDigests)",
        "rpmlib(PayloadFilesHavePrefix)"}, requires

    # Reproducible: every file time is the build time, which is the %changelog date.
    dump = run(["rpm", "-qp", "--dump", rpm]).stdout.splitlines()
    buildtime = run(["rpm", "-qp", "--qf", "%{BUILDTIME}", rpm]).stdout
    assert dump and {line.split()[2] for line in dump} == {buildtime}

    root = tmp_path / "scratch-root"
    root.mkdir()
    installed = run(["rpm", "--root", root, "--nodeps", "-i", rpm])
    assert installed.returncode == 0, installed.stderr
    assert run(["rpm", "--root", root, "-q", "hostcheck"]).stdout.startswith("hostcheck-" + hostcheck.__version__)
    launcher = root / "usr" / "bin" / "hostcheck"
    assert (root / "usr" / "share" / "hostcheck" / "hostcheck.pyz").is_file()

    # The launcher finds the zip relative to itself, and runs it with this host's python.
    version = run([launcher, "--version"], cwd=clean_dir)
    assert version.stdout == "hostcheck %s\n" % hostcheck.__version__, version.stderr
    check = run([launcher, "check", "--json"], cwd=clean_dir)
    assert check.returncode in REPORT_CODES, check.stderr
    assert json.loads(check.stdout)["format"] == "hostcheck.report/v1"
    old = run([launcher, "check", "-o", "capture.json"], cwd=clean_dir,
              env={"PATH": old_python_only_path(tmp_path)})
    assert old.returncode == 3 and "Python 3.6 can capture but not judge" in old.stderr, old.stderr

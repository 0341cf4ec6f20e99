"""The real artefacts: dist/hostcheck.pyz on every pyenv interpreter, the .deb installed
for real, the RPM installed into a scratch root; what each carries (LICENSE, man page,
completions) and what the ecosystems' linters say of them (rpmlint, lintian, pyroma); the
sdist and wheel; and README's install line run with Debian's own python3 (PEP 668).

Each is built once per module into a temporary directory (packaging/build-pyz,
build-deb, build-rpm with HOSTCHECK_DIST), from the wheels pinned in
packaging/pyz/requirements.txt (cached in .cache/pyz-wheels; the first build fetches them
from PyPI). Each interpreter runs the zip isolated (-I: no site-packages, no PYTHONPATH)
from an empty working directory, so nothing of the checkout can stand in for the zip.
"""

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
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


def build(script, dist, env=None):
    result = run([PACKAGING / script], env=dict(env or {}, HOSTCHECK_DIST=str(dist)), timeout=600)
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
        assert "hostcheck/data/cases.json" in names     # `rules show` judges its examples
        assert "hostcheck/data/schema/report.json" in names
        assert archive.read("LICENSE") == (REPO_ROOT / "LICENSE").read_bytes()
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
def signing_key(tmp_path_factory):
    """A throwaway gpg key (no passphrase) in a scratch GNUPGHOME: {"gnupghome", "name",
    "public"}. Its gpg-agent is stopped afterwards."""
    if not shutil.which("gpg") or not shutil.which("rpmsign"):
        missing("gpg or rpmsign not installed (tests/lib.sh installs gnupg and rpm)")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = {"GNUPGHOME": str(home)}
    name = "hostcheck test signing <test-signing@hostcheck.invalid>"
    made = run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", name, "rsa3072", "sign", "1d"], env=env)
    assert made.returncode == 0, made.stderr
    public = home / "public.asc"
    public.write_text(run(["gpg", "--armor", "--export", "test-signing@hostcheck.invalid"], env=env).stdout)
    yield {"gnupghome": str(home), "name": "test-signing@hostcheck.invalid", "public": public}
    run(["gpgconf", "--kill", "gpg-agent"], env=env)


@pytest.fixture(scope="module")
def packages(tmp_path_factory, signing_key):
    """The .deb, and the RPM signed as a release is (HOSTCHECK_RPM_SIGN_KEY)."""
    for tool in ("rpmbuild", "dpkg-buildpackage", "dh"):
        if not shutil.which(tool):
            missing("%s not installed (tests/lib.sh installs rpm, dpkg-dev, debhelper)" % tool)
    dist = tmp_path_factory.mktemp("dist")
    build("build-deb", dist)
    build("build-rpm", dist, {"HOSTCHECK_RPM_SIGN_KEY": signing_key["name"], "GNUPGHOME": signing_key["gnupghome"]})
    return dist


def old_python_only_path(tmp_path):
    """A PATH on which the only python3 is 3.6 (CentOS 7)."""
    bin_dir = tmp_path / "centos7-bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(interpreter("3.6"))
    return str(bin_dir)


# Sources a bash completion script and asks it, as bash does at TAB, about COMP_WORDS.
BASH_COMPLETE = '''
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_hostcheck_completion hostcheck
printf '%s\\n' "${COMPREPLY[@]}"
'''


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
        # man finds the page; the packaged bash completion completes through /usr/bin/hostcheck.
        page = run(["man", "-P", "cat", "hostcheck"], env={"MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
        assert page.returncode == 0 and "hostcheck - read-only diagnostics" in page.stdout, page.stderr
        completed = run(["bash", "--norc", "-c", BASH_COMPLETE, "bash",
                         "/usr/share/bash-completion/completions/hostcheck", "hostcheck", ""],
                        env={"PATH": "/usr/bin:/bin"})
        assert completed.stdout.split() == ["analyze", "capture", "check", "completion", "fleet", "image",
                                            "net", "preflight", "rules", "schema"], completed.stderr
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


# ------------------------------------------------------------------ what the packages carry


def unpack_rpm(rpm, into):
    """The RPM's files under `into`, through rpm2archive (a tar.gz beside a copy of it)."""
    into.mkdir()
    copy = into.parent / rpm.name
    shutil.copy(str(rpm), str(copy))
    converted = run(["rpm2archive", copy])
    assert converted.returncode == 0, converted.stderr
    with tarfile.open(str(copy) + ".tgz") as archive:
        archive.extractall(str(into))
    return into


def test_packages_carry_licence_man_page_and_completions(packages, tmp_path):
    from hostcheck.completion import completion_script

    deb_root = tmp_path / "deb"
    assert run(["dpkg-deb", "-x", next(packages.glob("hostcheck_*_all.deb")), deb_root]).returncode == 0
    rpm_root = unpack_rpm(next(packages.glob("hostcheck-*.noarch.rpm")), tmp_path / "rpm")
    licence = (REPO_ROOT / "LICENSE").read_bytes()
    # RPM: %license; .deb: Debian's copyright file (full texts, DEP-5). Both zips carry LICENSE.
    rpm_licences = list(rpm_root.glob("usr/share/licenses/hostcheck*/LICENSE"))
    assert len(rpm_licences) == 1 and rpm_licences[0].read_bytes() == licence
    copyright_file = (deb_root / "usr/share/doc/hostcheck/copyright").read_text()
    assert "\nFiles: *\nCopyright: 2026 hostcheck contributors\nLicense: Apache-2.0\n" in copyright_file
    for root in (deb_root, rpm_root):
        with zipfile.ZipFile(root / "usr/share/hostcheck/hostcheck.pyz") as archive:
            assert archive.read("LICENSE") == licence
        page = gzip.decompress((root / "usr/share/man/man1/hostcheck.1.gz").read_bytes()).decode()
        assert '.TH HOSTCHECK 1 "2026-11-29" "hostcheck %s"' % hostcheck.__version__ in page
        assert "\n.SS hostcheck check\n" in page and "\n.SS hostcheck completion\n" in page
        assert (root / "usr/share/bash-completion/completions/hostcheck").read_text() == completion_script("bash")
        assert (root / "usr/share/fish/vendor_completions.d/hostcheck.fish").read_text() == completion_script("fish")
    assert (rpm_root / "usr/share/zsh/site-functions/_hostcheck").read_text() == completion_script("zsh")
    assert (deb_root / "usr/share/zsh/vendor-completions/_hostcheck").read_text() == completion_script("zsh")


# ------------------------------------------------------------------ the linters


def justified(linter):
    """{tag} that packaging/README.md's table justifies for `linter`."""
    table = (PACKAGING / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| %s \| `([\w-]+)` \|" % linter, table, re.M))


def lint_tags(output, pattern):
    """{(level, tag)} from linter output lines matching `pattern` (groups: level, tag)."""
    return {match.groups() for match in re.finditer(pattern, output, re.M)}


RPMLINT_LINE = r"^hostcheck\.noarch: ([EW]): ([\w-]+)"


def rpmlint(rpm, home):
    if not shutil.which("rpmlint"):
        missing("rpmlint not installed (tests/lib.sh installs it)")
    result = run(["rpmlint", rpm], env={"HOME": str(home)})
    assert "packages and 0 specfiles checked" in result.stdout, result.stdout + result.stderr
    return result.stdout


def test_rpmlint_finds_no_error_and_only_justified_warnings(packages, signing_key, tmp_path):
    rpm = next(packages.glob("hostcheck-*.noarch.rpm"))
    # The signing key imported into a scratch rpm database (HOME's .rpmmacros), as a user of
    # the repository would import the published key: rpm -K, and so rpmlint, then know it.
    home = tmp_path / "home"
    home.mkdir()
    (home / ".rpmmacros").write_text("%%_dbpath %s\n" % (tmp_path / "rpmdb"))
    imported = run(["rpm", "--import", signing_key["public"]], env={"HOME": str(home)})
    assert imported.returncode == 0, imported.stderr
    output = rpmlint(rpm, home)
    print(output)
    tags = lint_tags(output, RPMLINT_LINE)
    assert not [tag for level, tag in tags if level == "E"], output
    assert {tag for _level, tag in tags} <= justified("rpmlint"), output
    # no-manual-page-for-binary is rpmlint 2.4.0's bug (README): the page is there.
    assert "/usr/share/man/man1/hostcheck.1.gz" in run(["rpm", "-qlp", rpm]).stdout.split()

    # Unsigned (a test build), the only error is the missing signature.
    unsigned = tmp_path / rpm.name
    shutil.copy(str(rpm), str(unsigned))
    assert run(["rpmsign", "--delsign", unsigned]).returncode == 0
    output = rpmlint(unsigned, home)
    assert {tag for level, tag in lint_tags(output, RPMLINT_LINE) if level == "E"} == {"no-signature"}, output


def test_lintian_finds_no_error_and_only_justified_warnings(packages):
    if not shutil.which("lintian"):
        missing("lintian not installed (tests/lib.sh installs it)")
    deb = next(packages.glob("hostcheck_*_all.deb"))
    result = run(["lintian", "--pedantic", "--info", "--display-experimental", "--tag-display-limit", "0", deb],
                 timeout=600)
    print(result.stdout)
    tags = lint_tags(result.stdout, r"^([EWIPX]): hostcheck(?: [a-z]+)?: ([\w-]+)")
    assert not [tag for level, tag in tags if level == "E"], result.stdout
    assert {tag for _level, tag in tags} <= justified("lintian"), result.stdout
    assert "no-manual-page" not in result.stdout


# ------------------------------------------------------------------ sdist, wheel, README's install line

# Debian 12's own interpreter: 3.11, marked EXTERNALLY-MANAGED (PEP 668).
SYSTEM_PYTHON = "/usr/bin/python3"
# What the offline installs need, fetched once from the package index: the build backend,
# pipx's and venv's own bootstrap (pip, setuptools, wheel), build and pyroma, and the
# project's dependencies for this interpreter.
INSTALL_TOOLS = ["pip", "setuptools", "wheel", "build", "pyroma", "hatchling>=1.27"]
WHEELHOUSE = REPO_ROOT / ".cache" / "install-wheels"


def system_python():
    if not os.path.exists(SYSTEM_PYTHON):
        missing("no %s" % SYSTEM_PYTHON)
    marker = run([SYSTEM_PYTHON, "-c", "import sysconfig, os; "
                  "print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"])
    if marker.stdout.strip() != "True":
        pytest.skip("%s is not EXTERNALLY-MANAGED here: not the case this test is about" % SYSTEM_PYTHON)
    return SYSTEM_PYTHON


def offline_env(home):
    """pip from the wheel cache only, with no user or machine pip configuration, and a PATH
    without pyenv: python3 is the distribution's."""
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE),
            "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONPATH": ""}


@pytest.fixture(scope="module")
def wheelhouse():
    """.cache/install-wheels, filled from the package index when pyproject.toml or the tool
    list changed (a stamp says for what it was filled); otherwise no network at all."""
    python = system_python()
    stamp = WHEELHOUSE / ".filled-for"
    want = hashlib.sha256((REPO_ROOT / "pyproject.toml").read_bytes() + " ".join(INSTALL_TOOLS).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return WHEELHOUSE
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    fetched = run([python, "-m", "pip", "download", "--disable-pip-version-check", "-d", WHEELHOUSE]
                  + INSTALL_TOOLS + [REPO_ROOT], env={"PATH": "/usr/bin:/bin"}, timeout=900)
    if fetched.returncode != 0:
        missing("could not fill %s from the package index:\n%s" % (WHEELHOUSE, fetched.stderr[-2000:]))
    stamp.write_text(want)
    return WHEELHOUSE


def readme_install_lines():
    """README's first command, and its venv line (the indented code under the install heading)."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Install and run on this host", 1)[1].split("\n## ", 1)[0]
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ") and line.strip()]
    return lines[0], next(line for line in lines if "python3 -m venv" in line)


def test_readme_install_line_works_with_debians_own_python3(wheelhouse, tmp_path):
    if not shutil.which("pipx", path="/usr/bin"):
        missing("Debian's pipx is not installed (tests/lib.sh installs it)")
    first, _venv_line = readme_install_lines()
    assert first == "pipx install . && ~/.local/bin/hostcheck"
    home = tmp_path / "home"
    home.mkdir()
    env = offline_env(home)
    # What the README had before: PEP 668 refuses it on this python3.
    refused = run([SYSTEM_PYTHON, "-m", "pip", "install", "."], cwd=REPO_ROOT, env=env)
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr, refused.stderr

    installed = run(["sh", "-c", first + " --version"], cwd=REPO_ROOT, env=env, timeout=900)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert installed.stdout.splitlines()[-1] == "hostcheck %s" % hostcheck.__version__
    command = home / ".local" / "bin" / "hostcheck"
    venv_python = os.path.realpath(str(command.resolve().parent / "python"))
    assert venv_python.startswith("/usr/bin/python3"), venv_python  # Debian's own, not pyenv's
    check = run([command, "check", "--json"], cwd=tmp_path, env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert check.returncode in REPORT_CODES, check.stderr
    assert json.loads(check.stdout)["tool"]["version"] == hostcheck.__version__
    assert "package hostcheck-containers %s" % hostcheck.__version__ in run(["pipx", "list"], env=env).stdout
    # Nothing written into the checkout by the build.
    status = run(["git", "status", "--porcelain", "--ignored", "--", "build", "dist", "*.egg-info"], cwd=REPO_ROOT)
    assert "build/" not in status.stdout and "egg-info" not in status.stdout


def test_readme_venv_line_works_with_debians_own_python3(wheelhouse, tmp_path):
    _first, venv_line = readme_install_lines()
    home = tmp_path / "home"
    home.mkdir()
    installed = run(["sh", "-c", venv_line + " --version"], cwd=REPO_ROOT, env=offline_env(home), timeout=900)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert installed.stdout.splitlines()[-1] == "hostcheck %s" % hostcheck.__version__
    assert os.path.realpath(str(home / ".local/share/hostcheck/bin/python")).startswith("/usr/bin/python3")


@pytest.fixture(scope="module")
def python_dists(wheelhouse, tmp_path_factory):
    """sdist and wheel built from the checkout with pypa/build and hatchling (offline, from
    the wheel cache), and a throwaway venv with pyroma."""
    work = tmp_path_factory.mktemp("pydist")
    env = offline_env(work)
    venv = work / "venv"
    for step in ([SYSTEM_PYTHON, "-m", "venv", venv],
                 [venv / "bin" / "pip", "install", "-q", "build", "hatchling>=1.27", "pyroma"],
                 [venv / "bin" / "python", "-m", "build", "--no-isolation", "-o", work / "out", REPO_ROOT]):
        done = run(step, env=env, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sdist, = (work / "out").glob("hostcheck_containers-*.tar.gz")
    wheel, = (work / "out").glob("hostcheck_containers-*-py3-none-any.whl")
    return {"sdist": sdist, "wheel": wheel, "venv": venv, "env": env}


def test_sdist_and_wheel_carry_the_licence_and_full_metadata(python_dists):
    licence = (REPO_ROOT / "LICENSE").read_bytes()
    version = hostcheck.__version__
    with tarfile.open(str(python_dists["sdist"])) as sdist:
        assert sdist.extractfile("hostcheck_containers-%s/LICENSE" % version).read() == licence
    with zipfile.ZipFile(str(python_dists["wheel"])) as wheel:
        dist_info = "hostcheck_containers-%s.dist-info/" % version
        assert wheel.read(dist_info + "licenses/LICENSE") == licence
        metadata = wheel.read(dist_info + "METADATA").decode()
        assert "hostcheck/completion.py" in wheel.namelist()
        assert "hostcheck/data/rules/" in " ".join(wheel.namelist())
    head = metadata.split("\n\n", 1)[0]
    assert "\nName: hostcheck-containers\n" in head
    assert "\nLicense-Expression: Apache-2.0\n" in head and "\nLicense-File: LICENSE\n" in head
    assert "\nKeywords: " in head and "\nProject-URL: Source, " in head
    assert "\nClassifier: Development Status :: " in head


def test_pyroma_rates_the_project_10(python_dists):
    rated = run([python_dists["venv"] / "bin" / "pyroma", "--file", python_dists["sdist"]], env=python_dists["env"],
                timeout=600)
    print(rated.stdout)
    assert "Final rating: 10/10" in rated.stdout, rated.stdout + rated.stderr

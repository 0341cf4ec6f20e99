"""packaging/: the pins, the package metadata and the /usr/bin/hostcheck launcher.

No network and no root: the launcher runs under /bin/sh with stub interpreters (small sh
scripts answering the launcher's version probe) on a PATH of their own. The real builds and
interpreters are in tests/integration/test_packaging_artifacts.py.
"""

import ast
import importlib.machinery
import importlib.util
import os
import re
import stat
import subprocess
import zipfile

import pytest

import hostcheck
from conftest import REPO_ROOT

PACKAGING = REPO_ROOT / "packaging"
LAUNCHER = PACKAGING / "hostcheck-launcher"
SPEC = PACKAGING / "rpm" / "hostcheck.spec"
DEB_CHANGELOG = PACKAGING / "deb" / "debian" / "changelog"


def load_build_pyz():
    loader = importlib.machinery.SourceFileLoader("build_pyz", str(PACKAGING / "build-pyz"))
    spec = importlib.util.spec_from_loader("build_pyz", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


build_pyz = load_build_pyz()


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# ------------------------------------------------------------------ pins and metadata


def test_pins_cover_every_pure_dependency_and_leave_psutil_out():
    pinned = {name for name, _version, _digest in build_pyz.read_pins()}
    direct = {normalise(re.split(r"[<>=!~; \[]", r)[0]) for r in build_pyz.pyproject_ranges()}
    assert direct == {"click", "rich", "packaging", "distro", "docker"}
    # The transitive ones the brief names, resolved for 3.9.
    assert direct | {"markdown-it-py", "mdurl", "pygments", "requests", "urllib3", "idna",
                     "certifi", "charset-normalizer"} <= pinned
    assert "psutil" not in pinned  # compiled: the capture reads /proc without it


def test_pins_are_resolved_for_python_39():
    versions = {name: version for name, version, _digest in build_pyz.read_pins()}
    # click 8.2+ needs 3.10 (INTEGRATION-ENV.md): a 3.11 resolution would pick it.
    assert versions["click"].startswith("8.1."), versions["click"]


def test_pins_file_rejects_an_unhashed_line(tmp_path):
    bad = tmp_path / "requirements.txt"
    bad.write_text("click==8.1.8\n")
    with pytest.raises(build_pyz.BuildError, match="--hash=sha256"):
        build_pyz.read_pins(str(bad))


def test_rpm_bundled_provides_match_the_pins():
    provided = dict(re.findall(r"^Provides:\s+bundled\(python3-([\w.-]+)\) = (\S+)$",
                               SPEC.read_text(), re.M))
    pinned = {name: version for name, version, _digest in build_pyz.read_pins()}
    assert provided == pinned


def test_package_versions_follow_hostcheck():
    spec_version = re.search(r"^Version:\s+(\S+)$", SPEC.read_text(), re.M).group(1)
    deb_version = re.match(r"hostcheck \(([^)]+)\)", DEB_CHANGELOG.read_text()).group(1)
    assert spec_version == hostcheck.__version__
    assert deb_version.rsplit("-", 1)[0] == hostcheck.__version__


def test_rpm_payload_is_readable_by_centos7_rpm():
    # rpm 4.11 (CentOS 7) reads gzip and xz payloads, not zstd (newer rpmbuilds' default).
    assert re.search(r"^%global _binary_payload w\d\.(gzdio|xzdio)$", SPEC.read_text(), re.M)


def test_pyz_main_is_python36_syntax():
    source = (PACKAGING / "pyz" / "__main__.py").read_text()
    ast.parse(source, feature_version=(3, 6))
    assert "from __future__ import annotations" not in source


# ------------------------------------------------------------------ wheel contents


def make_wheel(path, files):
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return path


def test_wheel_entries_place_files_as_an_installer_would(tmp_path):
    wheel = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", {
        "demo/__init__.py": b"x = 1\n",
        "demo/__pycache__/__init__.cpython-39.pyc": b"stale",
        "demo-1.0.dist-info/METADATA": b"Name: demo\n",
        "demo-1.0.dist-info/RECORD": b"demo/__init__.py,,\n",
        "demo-1.0.data/purelib/demo_extra.py": b"y = 2\n",
        "demo-1.0.data/scripts/demo": b"#!python\n",
    })
    entries = dict(build_pyz.wheel_entries(str(wheel)))
    assert sorted(entries) == ["demo-1.0.dist-info/METADATA", "demo/__init__.py", "demo_extra.py"]


def test_wheel_with_compiled_code_is_refused(tmp_path):
    wheel = make_wheel(tmp_path / "fast-1.0-py3-none-any.whl", {"fast/_speed.so": b"\x7fELF"})
    with pytest.raises(build_pyz.BuildError, match="compiled code"):
        list(build_pyz.wheel_entries(str(wheel)))


# ------------------------------------------------------------------ the launcher

STUB = """#!/bin/sh
# A python{version} stand-in: answers the launcher's probe (-I -S -c ...) with the exit
# code real Python {version} gives, and otherwise says how it was run.
if [ "$1" = -I ] && [ "$2" = -S ] && [ "$3" = -c ]; then
    exit {probe_rc}
fi
printf 'ran {version}'; for a in "$@"; do printf ' [%s]' "$a"; done
printf ' launcher=%s\\n' "$HOSTCHECK_LAUNCHER"
"""
BROKEN_SHIM = """#!/bin/sh
# pyenv's shim for a version that is installed but not selected.
echo "pyenv: $(basename "$0"): command not found" >&2
exit 127
"""


def ran(stdout):
    """(version, zip path normalised, the rest) from a stub's `ran ...` line."""
    match = re.match(r"ran (\S+) \[-I\] \[([^\]]+)\](.*) launcher=1\n$", stdout)
    assert match, stdout
    return match.group(1), os.path.normpath(match.group(2)), match.group(3).strip()


def probe_rc(version):
    major_minor = tuple(int(x) for x in version.split("."))
    return 0 if major_minor >= (3, 9) else 9 if major_minor >= (3, 6) else 8


@pytest.fixture
def host(tmp_path):
    """A packaged layout (ROOT/usr/bin/hostcheck, ROOT/usr/share/hostcheck/hostcheck.pyz)
    and a bin directory of stub interpreters: host.python("python3", "3.6")."""

    class Host:
        root = tmp_path / "root"
        bin = tmp_path / "bin"
        launcher = root / "usr" / "bin" / "hostcheck"
        pyz = root / "usr" / "share" / "hostcheck" / "hostcheck.pyz"

        def python(self, name, version=None):
            path = self.bin / name
            path.write_text(STUB.format(version=version, probe_rc=probe_rc(version))
                            if version else BROKEN_SHIM)
            path.chmod(0o755)

        def run(self, *args, env=None, launcher=None):
            environment = {"PATH": str(self.bin)}
            environment.update(env or {})
            return subprocess.run(["/bin/sh", str(launcher or self.launcher)] + list(args),
                                  env=environment, capture_output=True, text=True, timeout=30)

    host = Host()
    host.bin.mkdir()
    host.launcher.parent.mkdir(parents=True)
    host.pyz.parent.mkdir(parents=True)
    host.launcher.write_bytes(LAUNCHER.read_bytes())
    host.launcher.chmod(0o755)
    host.pyz.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip: the stubs never open it
    return host


def test_newest_python_39_or_later_judges(host):
    host.python("python3", "3.6")
    host.python("python3.9", "3.9")
    host.python("python3.11", "3.11")
    run = host.run("check", "--json")
    assert run.returncode == 0, run.stderr
    assert ran(run.stdout) == ("3.11", str(host.pyz), "[check] [--json]")


def test_a_python_name_that_does_not_run_is_passed_over(host):
    host.python("python3.13")  # a pyenv shim for an unselected version
    host.python("python3.10", "3.10")
    run = host.run("--version")
    assert run.stdout.startswith("ran 3.10 "), (run.stdout, run.stderr)


def test_unversioned_python3_is_asked_its_version(host):
    host.python("python3", "3.12")
    assert host.run("rules", "list").stdout.startswith("ran 3.12 [-I] ")


def test_only_an_old_python_captures(host):
    # CentOS 7: python3 is 3.6 and nothing newer; the zip's __main__ then captures.
    host.python("python3", "3.6")
    host.python("python3.6", "3.6")
    run = host.run("check")
    assert ran(run.stdout) == ("3.6", str(host.pyz), "[check]")


def test_python_older_than_36_is_not_a_fallback(host):
    host.python("python3", "3.4")
    run = host.run("check")
    assert run.returncode == 3
    assert "no python3 on this host" in run.stderr


def test_no_python_says_so(host):
    run = host.run("check")
    assert (run.returncode, run.stdout) == (3, "")
    assert "needs Python >= 3.6 to capture, >= 3.9 to judge" in run.stderr


def test_arguments_pass_through_unchanged(host):
    host.python("python3.9", "3.9")
    run = host.run("analyze", "a file with spaces.json", "--only", "")
    assert "[analyze] [a file with spaces.json] [--only] []" in run.stdout


def test_pyz_is_found_through_a_symlink(host, tmp_path):
    host.python("python3.9", "3.9")
    link = tmp_path / "elsewhere" / "hostcheck"
    link.parent.mkdir()
    link.symlink_to(host.launcher)
    # readlink -f resolves the link; it lives in coreutils, so the PATH needs it here.
    (host.bin / "readlink").symlink_to("/usr/bin/readlink" if os.path.exists("/usr/bin/readlink")
                                       else "/bin/readlink")
    run = host.run("--version", launcher=link)
    assert ran(run.stdout)[:2] == ("3.9", str(host.pyz)), run.stderr


def test_overrides_and_a_missing_zip(host, tmp_path):
    host.python("python3.9", "3.9")
    other = tmp_path / "other.pyz"
    other.write_bytes(host.pyz.read_bytes())
    assert "[%s]" % other in host.run("--version", env={"HOSTCHECK_PYZ": str(other)}).stdout
    host.python("mypython", "3.8")
    run = host.run("--version", env={"HOSTCHECK_PYTHON": str(host.bin / "mypython")})
    assert run.stdout.startswith("ran 3.8 ")
    host.pyz.unlink()
    run = host.run("--version", env={"PATH": str(host.bin)})
    # The packaged path /usr/share/hostcheck/hostcheck.pyz is the last resort: absent here
    # unless the .deb is installed on this machine.
    if not os.path.exists("/usr/share/hostcheck/hostcheck.pyz"):
        assert run.returncode == 3
        assert "missing or unreadable" in run.stderr


def test_launcher_is_executable_posix_sh():
    assert LAUNCHER.read_text().startswith("#!/bin/sh\n")
    assert LAUNCHER.stat().st_mode & stat.S_IXUSR
    for shell in ("/bin/sh", "/bin/dash", "/bin/bash"):
        if os.path.exists(shell):
            assert subprocess.run([shell, "-n", str(LAUNCHER)]).returncode == 0, shell

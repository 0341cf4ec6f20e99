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
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest

import hostcheck
from conftest import REPO_ROOT

PACKAGING = REPO_ROOT / "packaging"
LAUNCHER = PACKAGING / "hostcheck-launcher"
SPEC = PACKAGING / "rpm" / "hostcheck.spec"
DEB_CHANGELOG = PACKAGING / "deb" / "debian" / "changelog"


def load_script(name):
    """A packaging/ script (no .py suffix) as a module."""
    module_name = name.replace("-", "_")
    loader = importlib.machinery.SourceFileLoader(module_name, str(PACKAGING / name))
    spec = importlib.util.spec_from_loader(module_name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


build_pyz = load_script("build-pyz")
build_man = load_script("build-man")


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# ------------------------------------------------------------------ pins and metadata


def test_pins_cover_every_pure_dependency_and_leave_psutil_out():
    pinned = {name for name, _version, _digest in build_pyz.read_pins()}
    direct = {normalise(re.split(r"[<>=!~; \[]", r)[0]) for r in build_pyz.pyproject_ranges()}
    assert direct == {"click", "rich", "packaging", "distro", "docker", "pyyaml"}
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


# ------------------------------------------------------------------ name, licence, metadata

# sha256 of the Apache License 2.0 as apache.org publishes it (LICENSE-2.0.txt), which is
# also Debian's /usr/share/common-licenses/Apache-2.0.
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
DISTRIBUTION = "hostcheck-containers"


def pyproject():
    try:
        import tomllib
    except ImportError:  # Python < 3.11: pytest's own dependency
        import tomli as tomllib
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_license_is_the_full_apache_2_text():
    import hashlib

    assert hashlib.sha256((REPO_ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_SHA256


def test_project_metadata_is_complete():
    project = pyproject()
    assert project["name"] == DISTRIBUTION
    assert (project["license"], project["license-files"]) == ("Apache-2.0", ["LICENSE"])
    assert project["keywords"] and project["authors"]
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(project["urls"])
    classifiers = project["classifiers"]
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    # One classifier per supported minor version, from requires-python's floor up.
    floor = int(project["requires-python"].split(">=3.")[1])
    versions = sorted(int(c.rsplit(".", 1)[1]) for c in classifiers
                      if re.match(r"Programming Language :: Python :: 3\.\d+$", c))
    assert versions[0] == floor and versions == list(range(floor, versions[-1] + 1))
    # PEP 639: the licence is the expression, not a classifier as well.
    assert not [c for c in classifiers if c.startswith("License ::")]


def test_every_document_names_our_distribution():
    """`pip install hostcheck` installs somebody else's project: no document may say it."""
    documents = [REPO_ROOT / "README.md", PACKAGING / "README.md", PACKAGING / "ansible" / "README.md",
                 PACKAGING / "ansible" / "plugins" / "modules" / "hostcheck.py",
                 PACKAGING / "ansible" / "plugins" / "action" / "hostcheck.py"]
    for path in documents:
        text = path.read_text(encoding="utf-8")
        assert DISTRIBUTION in text, path
        # Saying that it is someone else's is fine; telling the reader to run it is not.
        text = re.sub(r"`pip install hostcheck`\s+installs", "", text)
        commands = re.findall(r"pip install ([^`#\n&;|]*)", text)
        assert commands, path
        for arguments in commands:
            assert not re.search(r"(^|\s)hostcheck($|[\s,;)'\"])", arguments), (path, arguments)


def test_pyz_carries_the_licence_at_its_top():
    entries = dict(build_pyz.tree_entries())
    assert entries["LICENSE"] == (REPO_ROOT / "LICENSE").read_bytes()


def test_packages_install_licence_man_page_and_completions():
    spec = SPEC.read_text()
    for line in ("%license LICENSE", "%{_mandir}/man1/hostcheck.1*",
                 "%{_datadir}/bash-completion/completions/hostcheck",
                 "%{_datadir}/zsh/site-functions/_hostcheck",
                 "%{_datadir}/fish/vendor_completions.d/hostcheck.fish"):
        assert "\n%s\n" % line in spec, line
    debian = PACKAGING / "deb" / "debian"
    assert (debian / "manpages").read_text().split() == ["hostcheck.1"]
    rules = (debian / "rules").read_text()
    for path in ("usr/share/bash-completion/completions/hostcheck", "usr/share/zsh/vendor-completions/_hostcheck",
                 "usr/share/fish/vendor_completions.d/hostcheck.fish"):
        assert "debian/hostcheck/" + path in rules, path
    # What build-man writes is what the spec and debian/rules pick up.
    assert set(build_man.COMPLETION_FILES.values()) == {"hostcheck.bash", "_hostcheck", "hostcheck.fish"}


# ------------------------------------------------------------------ the man page


@pytest.fixture(scope="module")
def man_page():
    import click

    from hostcheck.cli import cli
    return build_man.render(cli, click, hostcheck.__version__, "2026-11-29")


def test_man_page_has_every_command_and_option(man_page):
    import click

    from hostcheck.cli import cli

    assert man_page.startswith('.\\" Generated by packaging/build-man')
    assert '.TH HOSTCHECK 1 "2026-11-29" "hostcheck %s" "User Commands"\n' % hostcheck.__version__ in man_page
    # whatis(1) reads `name \- description` from NAME.
    assert "\n.SH NAME\nhostcheck \\- read\\-only diagnostics for Linux hosts that run containers\n" in man_page
    root = click.Context(cli, info_name="hostcheck")
    paths = [" ".join(path) for path, _command, _ctx in build_man.walk(click, cli, root) if path]
    assert {"check", "analyze", "capture", "rules list", "rules show", "net egress", "image", "fleet",
            "schema", "completion"} <= set(paths)
    for path in paths:
        assert "\n.SS hostcheck %s\n" % path.replace("-", "\\-") in man_page, path
    for option in ("\\-\\-fail\\-on [info|warn|fail]", "\\-o, \\-\\-output FILE", "\\-V, \\-\\-version"):
        assert "\\fB%s\\fR" % option in man_page, option
    for section in ("SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES",
                    "SEE ALSO"):
        assert "\n.SH %s\n" % section in man_page, section


def test_man_page_renders_without_warnings(man_page, tmp_path):
    if not shutil.which("man"):
        pytest.skip("man is not installed")
    page = tmp_path / "hostcheck.1"
    page.write_text(man_page)
    result = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", str(page)], capture_output=True, text=True,
                            env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="0"),
                            timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    text = re.sub(r".\x08", "", result.stdout)
    assert "hostcheck - read-only diagnostics for Linux hosts that run containers" in text
    # Options print with ASCII hyphen-minus (\-), so commands copied from the page work.
    assert "--fail-on [info|warn|fail]" in text and "‐" not in text


def test_man_page_text_escapes_roff():
    assert build_man.escape(".hidden request\n'also\nback\\slash -x") == \
        "\\&.hidden request\n\\&'also\nback\\eslash \\-x"
    assert build_man.paragraphs("One line\nflows.\n\n\b\nkept\n  as is") == \
        [".PP", "One line flows.", ".PP", ".nf", "kept", "  as is", ".fi"]


def test_man_page_date_follows_source_date_epoch_else_the_changelog(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_man.page_date() == "2023-11-14"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert build_man.page_date() == "2026-11-29"  # debian/changelog's newest entry


def test_build_man_writes_page_and_completions(tmp_path):
    result = subprocess.run([sys.executable, str(PACKAGING / "build-man"), "-o", str(tmp_path / "hostcheck.1"),
                             "--completions", str(tmp_path / "completions")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "completions").iterdir()) == ["_hostcheck", "hostcheck.bash",
                                                                           "hostcheck.fish"]
    from hostcheck.completion import completion_script
    assert (tmp_path / "completions" / "hostcheck.bash").read_text() == completion_script("bash")


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

"""Shared test machinery: the `integration` marker and fixtures for real components.

Fixtures (see each docstring):
  docker_engine        session; DockerEngine for the local engine (it must answer)
  busybox_image        session; factory arch -> local image tag, built with no registry
  containers           function; short-lived `hc-test-*` containers, removed afterwards
  docker_archive       session; factory writing a `docker save`-style archive (no engine needed)
  binfmt               function; factory registering a binfmt_misc entry, state restored after
  firewalld            function; factory starting D-Bus and firewalld, iptables restored after
  old_python           session; factory "3.6" -> pyenv interpreter Path

Tests under tests/integration/ are marked `integration` automatically; they run only
when HOSTCHECK_INTEGRATION=1, which tests/run sets after installing and starting the real
components (/work/shared/INTEGRATION-ENV.md has what was verified on this machine kind).
Where it is set, a missing component fails the test instead of skipping it (`missing`).
"""

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = os.environ.get("HOSTCHECK_INTEGRATION") == "1"
INTEGRATION_SKIP_REASON = (
    "integration test: needs the real components tests/run installs and starts "
    "(run `sudo bash tests/run`, or set HOSTCHECK_INTEGRATION=1)"
)
TEST_CONTAINER_PREFIX = "hc-test-"


def missing(reason):
    """A component a test needs is absent: skip normally, but fail where the environment
    opted in (HOSTCHECK_INTEGRATION=1, as in CI), because tests/run promised to provide it
    and a silent skip would turn a broken environment into a green run."""
    if INTEGRATION:
        pytest.fail("integration environment incomplete: " + reason, pytrace=False)
    pytest.skip(reason)


# Static busybox binaries per image architecture. busybox-static (apt) installs the host's;
# tests/run fetches the arm64 and i386 ones into .cache/ and exports their paths.
BUSYBOX_BINARIES = {
    "amd64": os.environ.get("HOSTCHECK_BUSYBOX_AMD64", "/bin/busybox"),
    "arm64": os.environ.get(
        "HOSTCHECK_BUSYBOX_ARM64", str(REPO_ROOT / ".cache/busybox-arm64/bin/busybox")
    ),
    "386": os.environ.get(
        "HOSTCHECK_BUSYBOX_I386", str(REPO_ROOT / ".cache/busybox-i386/bin/busybox")
    ),
}
# Docker's platform variant for each architecture (what `docker image inspect` reports).
ARCH_VARIANTS = {"amd64": None, "arm64": "v8"}


def pytest_collection_modifyitems(config, items):
    integration_dir = REPO_ROOT / "tests" / "integration"
    skip = pytest.mark.skip(reason=INTEGRATION_SKIP_REASON)
    for item in items:
        if integration_dir in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
        if not INTEGRATION and item.get_closest_marker("integration"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """The fuzz targets' summaries (examples run, `error` statuses and other listed
    oddities, tests/fuzzing.py) at the end of every run that ran one: allowed, but shown."""
    fuzzing = sys.modules.get("fuzzing")
    for text in getattr(fuzzing, "SUMMARIES", ()):
        terminalreporter.write_line(text.rstrip("\n"))


# ------------------------------------------------------------------ docker engine


class DockerEngine:
    """The local engine, driven through the `docker` CLI (what a user would type)."""

    def __init__(self, cli, info):
        self.cli = cli
        self.info = info  # `docker info` as a dict (the engine's /info)

    def __call__(self, *args, check=True, timeout=120, input=None):
        """Run `docker ARGS...`; returns CompletedProcess with text stdout/stderr."""
        result = subprocess.run(
            [self.cli, *args], input=input, capture_output=True, timeout=timeout,
            text=not isinstance(input, bytes),
        )
        if check and result.returncode != 0:
            raise AssertionError(
                "docker {} failed ({}): {}".format(" ".join(args), result.returncode,
                                                   _text(result.stderr).strip()))
        return result

    def inspect(self, *names):
        """`docker inspect` of containers/images as a list of dicts."""
        return json.loads(self("inspect", *names).stdout)


def _text(data):
    return data.decode(errors="replace") if isinstance(data, bytes) else data


@pytest.fixture(scope="session")
def docker_engine():
    """DockerEngine for the local dockerd: call it like the CLI (`docker_engine("ps", "-q")`
    -> CompletedProcess, raising on failure unless check=False), `.inspect(*names)` -> list,
    `.info` -> dict. Skipped without HOSTCHECK_INTEGRATION=1; there, it must answer."""
    if not INTEGRATION:
        pytest.skip(INTEGRATION_SKIP_REASON)
    cli = shutil.which("docker")
    if cli is None:
        missing("docker CLI not installed (tests/run installs docker.io)")
    try:
        result = subprocess.run([cli, "info", "--format", "{{json .}}"],
                                capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        missing("docker info did not answer within 20 s")
    if result.returncode != 0:
        missing("dockerd does not answer: " + result.stderr.strip()[:200])
    return DockerEngine(cli, json.loads(result.stdout))


# ------------------------------------------------------------------ images without a registry


def busybox_rootfs_tar(busybox_path, applets):
    """An uncompressed rootfs layer: bin/busybox, one symlink per applet, a passwd, a web page.

    Deterministic (fixed mtimes, sorted entries), so the same binary gives the same digest.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:

        def add(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, target=""):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime, info.linkname = kind, mode, 0, target
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

        for directory in ("bin", "etc", "root", "www"):
            add(directory, tarfile.DIRTYPE, mode=0o755)
        add("tmp", tarfile.DIRTYPE, mode=0o1777)
        add("bin/busybox", data=Path(busybox_path).read_bytes(), mode=0o755)
        for applet in sorted(set(applets) - {"busybox"}):
            add("bin/" + applet, tarfile.SYMTYPE, mode=0o777, target="busybox")
        add("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n"
                               b"nobody:x:65534:65534:nobody:/:/bin/false\n")
        add("etc/group", data=b"root:x:0:\nnogroup:x:65534:\n")
        add("www/index.html", data=b"<html><body>hostcheck test page</body></html>\n")
    return buffer.getvalue()


def write_docker_archive(path, layer_tar, arch, variant=None, tag=None, os_name="linux",
                         cmd=("/bin/sh",)):
    """Write a one-layer archive in `docker save` format; returns the image id (sha256:...).

    Layout as moby's image/tarexport writes it: manifest.json, <config digest>.json,
    <layer id>/layer.tar. The config's diff_ids are the digest of the uncompressed layer.
    """
    layer_digest = hashlib.sha256(layer_tar).hexdigest()
    config = {
        "architecture": arch,
        "os": os_name,
        "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": list(cmd),
                   "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_digest]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "hostcheck tests"}],
    }
    if variant:
        config["variant"] = variant
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_digest = hashlib.sha256(config_bytes).hexdigest()
    manifest = [{"Config": config_digest + ".json",
                 "RepoTags": [tag] if tag else None,
                 "Layers": [layer_digest + "/layer.tar"]}]
    with tarfile.open(path, "w") as archive:
        for name, data in ((config_digest + ".json", config_bytes),
                           (layer_digest + "/layer.tar", layer_tar),
                           ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            archive.addfile(info, io.BytesIO(data))
    return "sha256:" + config_digest


@pytest.fixture(scope="session")
def docker_archive(tmp_path_factory):
    """Factory: docker_archive(arch="amd64", variant=<default for arch>, tag=None, os_name="linux")
    -> Path of a `docker save`-style busybox archive. Needs no engine (for `--archive` tests);
    the layer holds the real busybox binary of that architecture (skips if it is absent).
    """
    directory = tmp_path_factory.mktemp("archives")

    def make(arch="amd64", variant=None, tag=None, os_name="linux"):
        variant = variant or ARCH_VARIANTS.get(arch)
        layer = busybox_rootfs_tar(_busybox_binary(arch), _busybox_applets())
        path = directory / "busybox-{}-{}.tar".format(arch, uuid.uuid4().hex[:8])
        write_docker_archive(path, layer, arch, variant, tag, os_name)
        return path

    return make


def _busybox_binary(arch):
    path = BUSYBOX_BINARIES.get(arch)
    if not path or not os.access(path, os.X_OK):
        missing("no static busybox for {} (tests/run provides amd64, arm64, 386)".format(arch))
    return path


def _busybox_applets():
    # Asked from the host's busybox: a foreign one cannot run before binfmt is set up.
    # Both come from the same Debian source package, so their applet lists agree.
    native = _busybox_binary("amd64")
    return subprocess.run([native, "--list"], capture_output=True, text=True,
                          check=True).stdout.split()


@pytest.fixture(scope="session")
def busybox_image(docker_engine, tmp_path_factory):
    """Factory: busybox_image(arch="amd64") -> tag "hc-test/busybox:<arch>" of a local image.

    Built with no registry: a hand-written docker-archive `docker load`ed, so the image
    records the real architecture (`docker import --platform` records amd64 regardless).
    Loaded once per session, and not at all when the engine already has the same image id.
    """
    directory = tmp_path_factory.mktemp("images")
    made = {}

    def make(arch="amd64"):
        if arch not in made:
            tag = "hc-test/busybox:" + arch
            layer = busybox_rootfs_tar(_busybox_binary(arch), _busybox_applets())
            path = directory / (arch + ".tar")
            image_id = write_docker_archive(path, layer, arch, ARCH_VARIANTS.get(arch), tag)
            present = docker_engine("image", "inspect", "--format", "{{.Id}}", tag, check=False)
            if present.returncode != 0 or present.stdout.strip() != image_id:
                docker_engine("load", "--input", str(path))
            made[arch] = tag
        return made[arch]

    return make


# ------------------------------------------------------------------ test containers


@dataclass
class ContainerRun:
    name: str
    returncode: int
    stdout: str
    stderr: str


class TestContainers:
    """Creates `hc-test-*` containers (never pulling) and removes them at teardown."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, docker):
        self.docker = docker
        self.names = []

    def _new_name(self, name):
        name = TEST_CONTAINER_PREFIX + (name or uuid.uuid4().hex[:10])
        self.names.append(name)
        return name

    def run(self, image, *command, args=(), name=None, timeout=120):
        """`docker run` in the foreground; the container is kept (for inspect) until teardown."""
        name = self._new_name(name)
        result = self.docker("run", "--pull=never", "--name", name, *args, image, *command,
                             check=False, timeout=timeout)
        return ContainerRun(name, result.returncode, result.stdout, result.stderr)

    def start(self, image, *command, args=(), name=None):
        """`docker run -d`; returns the container name once it is started."""
        name = self._new_name(name)
        self.docker("run", "-d", "--pull=never", "--name", name, *args, image, *command)
        return name

    def inspect(self, name):
        return self.docker.inspect(name)[0]

    def remove_all(self):
        if self.names:
            self.docker("rm", "-f", *self.names, check=False)
            self.names = []


@pytest.fixture
def containers(docker_engine):
    """TestContainers: .run(image, *cmd, args=(), name=None) -> ContainerRun,
    .start(image, *cmd, args=(), name=None) -> name, .inspect(name) -> dict.
    Names get the `hc-test-` prefix; every container is removed after the test."""
    manager = TestContainers(docker_engine)
    yield manager
    manager.remove_all()


# ------------------------------------------------------------------ binfmt_misc

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
BINFMTS_SOURCE = Path("/usr/share/binfmts")  # binfmt-support's entries, from qemu-user-static


def _binfmt_mounted():
    with open("/proc/mounts") as mounts:
        return any(line.split()[1:3] == [str(BINFMT_DIR), "binfmt_misc"] for line in mounts)


def _binfmt_escape(hex_bytes):
    return "".join("\\x" + hex_bytes[i:i + 2] for i in range(0, len(hex_bytes), 2))


def _binfmt_register_line(name, entry_text):
    """The `register` line that recreates an entry from its /proc text (magic entries only)."""
    fields = {}
    for line in entry_text.splitlines()[1:]:
        key, _, value = line.partition(" ")
        fields[key.rstrip(":")] = value.strip()
    return ":{}:M:{}:{}:{}:{}:{}".format(
        name, fields.get("offset", "0"), _binfmt_escape(fields["magic"]),
        _binfmt_escape(fields.get("mask", "")), fields["interpreter"], fields.get("flags", ""))


@pytest.fixture
def binfmt():
    """Factory: binfmt(name="qemu-aarch64", flags="PF", enabled=True) -> Path of the entry.

    Registers /usr/share/binfmts/NAME (qemu-user-static) with exactly these flags
    (F: the kernel opens the interpreter now, so it works inside containers; without F a
    container gets "no such file or directory"). flags=None removes the entry instead
    (then `exec format error`). At teardown every touched entry is put back as it was,
    and binfmt_misc is unmounted again if this fixture mounted it.
    """
    if not INTEGRATION:
        pytest.skip(INTEGRATION_SKIP_REASON)
    if os.geteuid() != 0:
        missing("binfmt_misc registration needs root")
    mounted_here = False
    if not _binfmt_mounted():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)],
                       check=True)
        mounted_here = True
    saved = {}  # name -> /proc text before the test, or None when there was no entry

    def remove(name):
        if (BINFMT_DIR / name).exists():
            (BINFMT_DIR / name).write_text("-1")

    def register(name="qemu-aarch64", flags="PF", enabled=True):
        entry = BINFMT_DIR / name
        if name not in saved:
            saved[name] = entry.read_text() if entry.exists() else None
        remove(name)
        if flags is not None:
            source = BINFMTS_SOURCE / name
            if not source.exists():
                missing("{} not found (tests/run installs qemu-user-static)".format(source))
            spec = dict(line.split(" ", 1) for line in source.read_text().splitlines()
                        if " " in line)
            (BINFMT_DIR / "register").write_text(":{}:M:{}:{}:{}:{}:{}".format(
                name, spec.get("offset", "0"), spec["magic"], spec.get("mask", ""),
                spec["interpreter"], flags))
            if not enabled:
                entry.write_text("0")
        return entry

    yield register

    for name, text in saved.items():
        remove(name)
        if text is not None:
            (BINFMT_DIR / "register").write_text(_binfmt_register_line(name, text))
            if text.startswith("disabled"):
                (BINFMT_DIR / name).write_text("0")
    if mounted_here:
        subprocess.run(["umount", str(BINFMT_DIR)], check=False)


# ------------------------------------------------------------------ firewalld


def _firewalld_state():
    result = subprocess.run(["firewall-cmd", "--state"], capture_output=True, text=True)
    return result.stdout.strip() or result.stderr.strip()


DBUS_PID_FILE = Path("/run/dbus/pid")


def _system_bus_running():
    try:
        pid = int(DBUS_PID_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return Path("/proc/{}/comm".format(pid)).exists()


def _remove_bus_leftovers():
    # A stopped dbus-daemon leaves its pid file (which stops the next one from starting)
    # and its socket behind.
    for leftover in (DBUS_PID_FILE, Path("/run/dbus/system_bus_socket")):
        if leftover.exists():
            leftover.unlink()


def _wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def firewalld():
    """Factory: firewalld(start=True) -> None. Starts the system D-Bus if it is not running
    and, with start=True, firewalld (≈0.7 s to answer). firewalld started after dockerd
    takes dockerd's iptables chains away (INTEGRATION-ENV.md), so at teardown firewalld is
    stopped, iptables and ip6tables are restored from a snapshot taken before, and the
    D-Bus daemon is stopped if this fixture started it. With start=False only D-Bus runs:
    `firewall-cmd --state` then says "not running" (rc 252) instead of a D-Bus error.
    """
    if not INTEGRATION:
        pytest.skip(INTEGRATION_SKIP_REASON)
    for tool in ("firewalld", "firewall-cmd", "dbus-daemon", "iptables-save"):
        if shutil.which(tool) is None:
            missing("{} not installed (tests/run installs firewalld, dbus, iptables)".format(tool))
    if os.geteuid() != 0:
        missing("firewalld needs root")
    snapshots = {tool: subprocess.run([tool + "-save"], capture_output=True, check=True).stdout
                 for tool in ("iptables", "ip6tables")}
    started = {}  # "dbus" -> pid, "firewalld" -> Popen

    def start(start=True):
        if not _system_bus_running():
            Path("/run/dbus").mkdir(parents=True, exist_ok=True)
            _remove_bus_leftovers()
            pid = subprocess.run(["dbus-daemon", "--system", "--fork", "--print-pid"],
                                 capture_output=True, text=True, check=True).stdout.split()[0]
            started["dbus"] = int(pid)
        if start and "firewalld" not in started and _firewalld_state() != "running":
            started["firewalld"] = subprocess.Popen(
                ["firewalld", "--nofork", "--nopid"], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not _wait_until(lambda: _firewalld_state() == "running", 20):
                pytest.fail("firewalld did not answer within 20 s", pytrace=False)

    yield start

    daemon = started.get("firewalld")
    if daemon is not None:
        daemon.terminate()
        daemon.wait(timeout=30)
    for tool, rules in snapshots.items():
        subprocess.run([tool + "-restore"], input=rules, check=True)
    if "dbus" in started:
        os.kill(started["dbus"], signal.SIGTERM)
        _wait_until(lambda: not Path("/proc/{}".format(started["dbus"])).exists(), 5)
        _remove_bus_leftovers()


# ------------------------------------------------------------------ old Pythons


def pyenv_root():
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    return Path.home() / ".pyenv"


def find_python(minor):
    """Newest pyenv interpreter of a minor version ("3.6") as a Path, or None."""
    candidates = sorted(
        pyenv_root().glob("versions/{}.*/bin/python3".format(minor)),
        key=lambda p: [int(part) for part in p.parent.parent.name.split(".") if part.isdigit()],
    )
    candidates = [p for p in candidates if os.access(str(p), os.X_OK)]
    return candidates[-1] if candidates else None


@pytest.fixture(scope="session")
def old_python():
    """Factory: old_python("3.6") -> Path to that pyenv interpreter; skips when absent."""

    def find(minor):
        path = find_python(minor)
        if path is None:
            missing("Python {} not installed under {}/versions".format(minor, pyenv_root()))
        return path

    return find

"""Secrets planted on this machine never reach a capture or a report.

Plants, for the length of one module: a docker.service drop-in and lines of
/etc/default/docker (both restored to what they were), two hc-test-* containers -- one
running, whose environment, entrypoint arguments, labels, CMD-SHELL healthcheck and
splunk log-driver options carry secrets, one exited non-zero whose log line does -- a
process named `podman` caught in `podman login -p …`, and a docker CLI config.json with
`auths` (in a DOCKER_CONFIG/HOME of its own: the capture does not read the CLI config
today; this keeps it honest once it does). Then runs `python -m hostcheck.capture` (this
Python and Python 3.6) and `hostcheck check --json` and the text report, and asserts that
no planted value appears, while the key and the shape around each one do.

Drop-in and /etc/default/docker hold Environment/export lines only: dockerd here is not
run by systemd, and nothing planted changes the flags dockerd's unit would start it with.
"""

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DROPIN_DIR = Path("/etc/systemd/system/docker.service.d")
DEFAULT_DOCKER = Path("/etc/default/docker")
RUN = uuid.uuid4().hex[:8]


def planted(name):
    """A planted value: unique to this run, so that nothing else on the host can hold it."""
    return "%s-%sLive" % (name, RUN)


SECRETS = {
    "dropin": planted("DropInPw"),
    "dropin_url": planted("DropInUrlPw"),
    "default": planted("DefaultTok"),
    "default_url": planted("DefaultProxyPw"),
    "env": planted("EnvPw"),
    "arg_two": planted("TwoArgPw"),
    "arg_eq": planted("EqTok"),
    "label": planted("LabelPw"),
    "label_url": planted("LabelUrlTok"),
    "bearer": planted("HcBearer0Tok"),
    "mysql": planted("HcMyPw"),
    "splunk": planted("SplunkTok"),
    "log": planted("LogPw"),
    "process": planted("ProcPw"),
    "auths": planted("AuthsPw"),
}
AUTHS_B64 = base64.b64encode(("ci:" + SECRETS["auths"]).encode()).decode()


def _restore(path, original):
    if original is None:
        path.unlink()
    else:
        path.write_bytes(original[0])
        os.chmod(str(path), original[1])


@contextlib.contextmanager
def planted_files_on_host():
    """The drop-in and /etc/default/docker lines; both put back as they were."""
    made_dir = not DROPIN_DIR.exists()
    dropin = DROPIN_DIR / ("hc-test-secrets-%s.conf" % RUN)
    original_default = ((DEFAULT_DOCKER.read_bytes(), DEFAULT_DOCKER.stat().st_mode & 0o7777)
                        if DEFAULT_DOCKER.exists() else None)
    try:
        DROPIN_DIR.mkdir(parents=True, exist_ok=True)
        dropin.write_text(
            "[Service]\n"
            'Environment="HTTPS_PROXY=http://proxyuser:%s@proxy.corp.example:3128/"\n'
            'Environment="SOME_PASSWORD=%s with spaces" "NO_PROXY=localhost"\n'
            % (SECRETS["dropin_url"], SECRETS["dropin"]))
        addition = ('\nexport http_proxy="http://proxyuser:%s@proxy.corp.example:3128/"\n'
                    "REGISTRY_TOKEN=%s\n" % (SECRETS["default_url"], SECRETS["default"]))
        DEFAULT_DOCKER.write_bytes((original_default[0] if original_default else b"") + addition.encode())
        yield
    finally:
        if dropin.exists():
            dropin.unlink()
        if made_dir and DROPIN_DIR.exists() and not any(DROPIN_DIR.iterdir()):
            DROPIN_DIR.rmdir()
        if original_default is not None or DEFAULT_DOCKER.exists():
            _restore(DEFAULT_DOCKER, original_default)


@pytest.fixture(scope="module")
def planted_files():
    with planted_files_on_host():
        yield


@pytest.fixture
def planted_host(planted_files, containers, busybox_image, tmp_path):
    """Containers, a `podman login` process and a CLI config: yields the capture's env."""
    image = busybox_image("amd64")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9iZSJ9." + SECRETS["bearer"]
    containers.start(image, "-c", "sleep 600", "--registry-password", SECRETS["arg_two"],
                     "--api-token=" + SECRETS["arg_eq"], name="secrets-app-" + RUN, args=(
        "--entrypoint", "sh",
        "-e", "REGISTRY_PASSWORD=" + SECRETS["env"],
        "--label", "com.example.db.password=" + SECRETS["label"],
        "--label", "org.opencontainers.image.source=https://ci-token:%s@git.corp.example/app.git"
        % SECRETS["label_url"],
        "--health-cmd", "wget -q -O- --header 'Authorization: Bearer %s' http://127.0.0.1/ "
                        "|| mysqladmin ping -uroot -p%s" % (jwt, SECRETS["mysql"]),
        "--log-driver", "splunk", "--log-opt", "splunk-token=" + SECRETS["splunk"],
        "--log-opt", "splunk-url=https://127.0.0.1:9", "--log-opt", "splunk-verify-connection=false"))
    failed = containers.run(image, "sh", "-c", 'echo "exec /app/migrate --db-password=%s: exec format error" >&2; '
                            "exit 1" % SECRETS["log"], name="secrets-fail-" + RUN)
    assert failed.returncode == 1, failed.stderr
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "podman"  # its comm is "podman": one of the daemons whose command line is kept
    fake.write_text("#!/bin/sh\nsleep 120\n")
    fake.chmod(0o755)
    process = subprocess.Popen([str(fake), "login", "-u", "ci", "-p", SECRETS["process"], "registry.corp.example"],
                               start_new_session=True)
    config = tmp_path / "home" / ".docker"
    config.mkdir(parents=True)
    (config / "config.json").write_text(json.dumps({"auths": {"registry.corp.example": {"auth": AUTHS_B64}}}))
    env = dict(os.environ, HOME=str(config.parent), DOCKER_CONFIG=str(config), LC_ALL="C.UTF-8")
    try:
        yield env
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the group this test started: sh and its sleep
        process.wait()


def _host_state():
    listing = sorted(p.name for p in DROPIN_DIR.iterdir()) if DROPIN_DIR.exists() else None
    default = ((DEFAULT_DOCKER.read_bytes(), DEFAULT_DOCKER.stat().st_mode)
               if DEFAULT_DOCKER.exists() else None)
    return listing, default


def test_planted_files_are_restored():
    """First in the file: before the module's planted files are in place."""
    before = _host_state()
    with planted_files_on_host():
        assert _host_state() != before
    assert _host_state() == before


def _assert_nothing_planted(text, where):
    for name, secret in sorted(SECRETS.items()):
        assert secret not in text, (where, name)
    assert AUTHS_B64 not in text, (where, "auths")
    assert RUN + "Live" not in text, where


def _capture(python, env, tmp_path):
    output = tmp_path / ("capture-%s.json" % Path(python).parent.parent.name)
    result = subprocess.run([str(python), "-m", "hostcheck.capture", "-o", str(output), "--timeout", "10"],
                            cwd=str(REPO_ROOT), env=dict(env, PYTHONPATH=str(REPO_ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return output.read_text(encoding="utf-8")


def test_capture_holds_no_planted_secret(planted_host, tmp_path):
    text = _capture(sys.executable, planted_host, tmp_path)
    _assert_nothing_planted(text, "capture")
    doc = json.loads(text)
    files = doc["files"]
    dropin = files[str(DROPIN_DIR / ("hc-test-secrets-%s.conf" % RUN))]["content"]
    assert 'Environment="SOME_PASSWORD=<redacted>" "NO_PROXY=localhost"' in dropin
    assert "http://proxyuser:<redacted>@proxy.corp.example:3128/" in dropin
    default = files[str(DEFAULT_DOCKER)]["content"]
    assert "REGISTRY_TOKEN=<redacted>" in default and 'http_proxy="http://proxyuser:<redacted>@' in default
    app = next(body for path, body in doc["docker"]["responses"].items()
               if path.startswith("/containers/") and isinstance(body, dict)
               and body.get("Name") == "/hc-test-secrets-app-" + RUN)
    assert app["Path"] == "sh"
    assert app["Args"] == ["-c", "sleep 600", "--registry-password", "<redacted>", "--api-token=<redacted>"]
    assert "REGISTRY_PASSWORD=<redacted>" in app["Config"]["Env"]
    assert app["Config"]["Labels"]["com.example.db.password"] == "<redacted>"
    assert app["Config"]["Labels"]["org.opencontainers.image.source"] == \
        "https://ci-token:<redacted>@git.corp.example/app.git"
    health = app["Config"]["Healthcheck"]["Test"][1]
    assert "Authorization: Bearer <redacted>" in health and "mysqladmin ping -uroot -p<redacted>" in health
    assert app["HostConfig"]["LogConfig"]["Config"]["splunk-token"] == "<redacted>"
    assert app["HostConfig"]["LogConfig"]["Config"]["splunk-url"] == "https://127.0.0.1:9"
    logs = [line for lines in doc["docker"]["logs"].values() for line in lines]
    assert "exec /app/migrate --db-password=<redacted> exec format error" in logs
    podman = [item for item in doc["processes"]["items"] if item.get("cmdline") and "login" in item["cmdline"]]
    assert podman and podman[0]["cmdline"][-4:] == ["ci", "-p", "<redacted>", "registry.corp.example"]


def test_capture_on_python_36_holds_no_planted_secret(planted_host, old_python, tmp_path):
    text = _capture(old_python("3.6"), planted_host, tmp_path)
    _assert_nothing_planted(text, "capture on 3.6")
    assert "--db-password=<redacted>" in text


def test_check_reports_hold_no_planted_secret(planted_host):
    for args in (["check", "--json"], ["check", "--no-color"], ["check", "--json", "--redact"]):
        result = subprocess.run([sys.executable, "-m", "hostcheck"] + args, cwd=str(REPO_ROOT), env=planted_host,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
        assert result.returncode in (0, 1), result.stderr.decode()
        _assert_nothing_planted(result.stdout.decode("utf-8") + result.stderr.decode("utf-8"), " ".join(args))

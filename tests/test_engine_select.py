"""Which engine the capture reads, and how it says what went wrong (engine_api, capture core).

The order is the docker CLI's (-H, DOCKER_HOST, DOCKER_CONTEXT, the CLI's current context),
then the rootless and default sockets. Engines here are the recorded dockerd 20.10.24
bodies (tests/data/capture/engine/) served on a unix socket, reached over tcp, TLS (a
real openssl CA; client certificates as dockerd --tlsverify asks) and ssh (a stand-in
`ssh` that does what `docker system dial-stdio` does; the real ssh client for the
failures). The same against the real dockerd: tests/integration/test_engine_live.py.
"""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine_helpers import Forwarder, GoPlainPort, Pki, SilentPort, own_port
from hostcheck.capture import take
from hostcheck.capture import engine_api
from hostcheck.capture.engine_api import STATES, EngineClient, EngineError, resolve_endpoint
from test_capture import ENGINE, FakeEngine, check_document, validate_schema

REPO_ROOT = Path(__file__).resolve().parent.parent
# What `docker context create cx --docker host=tcp://127.0.0.1:2399` wrote (docker 28.2.2 CLI).
RECORDED_META = {"Name": "cx", "Metadata": {}, "Endpoints": {"docker": {"Host": "tcp://127.0.0.1:2399",
                                                                          "SkipTLSVerify": False}}}
ENGINE_ENV = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_TLS",
              "DOCKER_CERT_PATH", "XDG_RUNTIME_DIR")


@pytest.fixture(autouse=True)
def clean_engine_env(monkeypatch, tmp_path):
    """No engine variable of the test runner's leaks in; the CLI config is an empty temp dir."""
    for name in ENGINE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))


def write_context(config_dir, meta, tls=None):
    digest = hashlib.sha256(meta["Name"].encode()).hexdigest()
    meta_dir = Path(config_dir) / "contexts" / "meta" / digest
    meta_dir.mkdir(parents=True)
    (meta_dir / "meta.json").write_text(json.dumps(meta))
    if tls:
        tls_dir = Path(config_dir) / "contexts" / "tls" / digest / "docker"
        tls_dir.mkdir(parents=True)
        for name, source in tls.items():
            (tls_dir / name).write_bytes(Path(source).read_bytes())


def environ(tmp_path, **values):
    env = {"HOME": str(tmp_path / "home"), "DOCKER_CONFIG": str(tmp_path / "cfg")}
    env.update(values)
    return env


# ------------------------------------------------------------------ the order


def test_order_flag_then_docker_host_then_context_then_config(tmp_path):
    config = tmp_path / "cfg"
    write_context(config, RECORDED_META)
    write_context(config, dict(RECORDED_META, Name="other", Endpoints={"docker": {"Host": "tcp://10.9.9.9:2375"}}))
    (config / "config.json").write_text(json.dumps({"auths": {}, "currentContext": "cx"}))
    everything = environ(tmp_path, DOCKER_HOST="unix:///run/a.sock", DOCKER_CONTEXT="other")

    flag = resolve_endpoint("tcp://192.0.2.7:2375", everything)
    assert (flag.url, flag.source, flag.local) == ("tcp://192.0.2.7:2375", "flag -H", False)
    env_host = resolve_endpoint(None, everything)
    assert (env_host.url, env_host.source, env_host.local) == ("unix:///run/a.sock", "env DOCKER_HOST", True)
    del everything["DOCKER_HOST"]
    context = resolve_endpoint(None, everything)
    assert (context.url, context.source, context.context) == ("tcp://10.9.9.9:2375", "env DOCKER_CONTEXT=other", "other")
    del everything["DOCKER_CONTEXT"]
    current = resolve_endpoint(None, everything)
    assert (current.url, current.source, current.context, current.local) == (
        "tcp://127.0.0.1:2399", "context cx (config.json)", "cx", True)
    assert current.tls is None and current.describe() == {
        "endpoint": "tcp://127.0.0.1:2399", "endpoint_source": "context cx (config.json)", "local": True,
        "context": "cx"}


def test_default_context_and_the_sockets(tmp_path):
    runtime = tmp_path / "run-user"
    runtime.mkdir()
    env = environ(tmp_path, XDG_RUNTIME_DIR=str(runtime), DOCKER_CONTEXT="default")
    assert resolve_endpoint(None, env).describe() == {
        "endpoint": "unix:///var/run/docker.sock", "endpoint_source": "default socket", "local": True}
    (runtime / "docker.sock").write_text("")        # exists: the rootless socket comes first
    rootless = resolve_endpoint(None, env)
    assert (rootless.url, rootless.source) == ("unix://%s/docker.sock" % runtime, "rootless socket")
    assert not rootless.named


def test_docker_config_defaults_to_home(tmp_path):
    home = tmp_path / "home"
    write_context(home / ".docker", RECORDED_META)
    (home / ".docker" / "config.json").write_text('{"currentContext": "cx"}')
    endpoint = resolve_endpoint(None, {"HOME": str(home)})
    assert endpoint.url == "tcp://127.0.0.1:2399" and endpoint.source == "context cx (config.json)"


def test_context_made_by_the_docker_cli(tmp_path):
    """The docker CLI writes the context store; we read what it wrote, TLS files included."""
    cli = shutil.which("docker")
    if cli is None:
        pytest.skip("no docker CLI here")
    pki = Pki(tmp_path / "pki")
    env = dict(os.environ, DOCKER_CONFIG=str(tmp_path / "cfg"))
    run = lambda *args: subprocess.run([cli] + list(args), env=env, check=True, capture_output=True, timeout=30)
    run("context", "create", "hc-plain", "--docker", "host=tcp://127.0.0.1:2399")
    run("context", "create", "hc-tls", "--docker", "host=tcp://127.0.0.1:2398,ca=%s,cert=%s,key=%s" % (
        pki.ca, pki.client_cert, pki.client_key))
    run("context", "use", "hc-tls")
    endpoint = resolve_endpoint(None, {"DOCKER_CONFIG": env["DOCKER_CONFIG"], "HOME": str(tmp_path)})
    assert (endpoint.url, endpoint.source) == ("tcp://127.0.0.1:2398", "context hc-tls (config.json)")
    assert endpoint.tls["verify"] is True
    assert Path(endpoint.tls["ca"]).read_bytes() == pki.ca.read_bytes()
    assert Path(endpoint.tls["key"]).read_bytes() == pki.client_key.read_bytes()
    plain = resolve_endpoint(None, {"DOCKER_CONFIG": env["DOCKER_CONFIG"], "DOCKER_CONTEXT": "hc-plain"})
    assert plain.url == "tcp://127.0.0.1:2399" and plain.tls is None


@pytest.mark.parametrize("url, expected", [
    ("unix:///run/user/1000/docker.sock", ("unix", "/run/user/1000/docker.sock", None, None, True)),
    ("unix://", ("unix", "/var/run/docker.sock", None, None, True)),
    ("tcp://127.0.0.1:2375", ("tcp", None, "127.0.0.1", 2375, True)),
    ("tcp://[::1]:2376", ("tcp", None, "::1", 2376, True)),
    ("tcp://:2375", ("tcp", None, "127.0.0.1", 2375, True)),
    ("10.0.0.5:2375", ("tcp", None, "10.0.0.5", 2375, False)),       # the CLI reads a bare HOST:PORT as tcp
    ("tcp://localhost", ("tcp", None, "localhost", None, True)),
    ("tcp://docker.example.com:2376", ("tcp", None, "docker.example.com", 2376, False)),
    ("ssh://ops@build-1:2222", ("ssh", None, "build-1", 2222, False)),
    ("ssh://localhost", ("ssh", None, "localhost", None, True)),
])
def test_urls(url, expected):
    endpoint = engine_api.Endpoint(url, "flag -H")
    assert endpoint.problem is None
    assert (endpoint.scheme, endpoint.path, endpoint.host, endpoint.port, endpoint.local) == expected


@pytest.mark.parametrize("url, state, words", [
    ("npipe:////./pipe/docker_engine", "unsupported", "cannot reach npipe://"),
    ("fd://", "unsupported", "cannot reach fd://"),
    ("tcp://[::1", "bad_endpoint", "malformed IPv6"),
    ("tcp://::1:2375", "bad_endpoint", "brackets"),
    ("tcp://host:99999", "bad_endpoint", "invalid port"),
    ("ssh://", "bad_endpoint", "no host"),
])
def test_urls_we_cannot_use_say_why(url, state, words):
    endpoint = engine_api.Endpoint(url, "env DOCKER_HOST")
    assert endpoint.problem[0] == state and words in endpoint.problem[1]
    with pytest.raises(EngineError) as raised:
        EngineClient(endpoint).get_raw("/version")
    assert raised.value.state == state and raised.value.code == STATES[state]


def test_missing_and_broken_contexts(tmp_path):
    config = tmp_path / "cfg"
    config.mkdir()
    missing = resolve_endpoint(None, environ(tmp_path, DOCKER_CONTEXT="nosuch"))
    assert missing.problem[0] == "bad_endpoint" and "context not found" in missing.problem[1]
    assert missing.describe()["endpoint_source"] == "env DOCKER_CONTEXT=nosuch" and missing.local is None
    write_context(config, {"Name": "empty", "Endpoints": {}})
    assert "no docker endpoint" in resolve_endpoint(None, environ(tmp_path, DOCKER_CONTEXT="empty")).problem[1]
    # An unreadable config.json: the docker CLI warns and goes on with its defaults.
    (config / "config.json").write_text("{not json")
    fallback = resolve_endpoint(None, environ(tmp_path))
    assert fallback.source == "default socket" and "config.json not read" in fallback.describe()["endpoint_notes"][0]
    # A FIFO where config.json should be: not opened for reading (that would block forever).
    (config / "config.json").unlink()
    os.mkfifo(str(config / "config.json"))
    started = time.monotonic()
    fifo = resolve_endpoint(None, environ(tmp_path))
    assert time.monotonic() - started < 2
    assert fifo.source == "default socket" and "not a regular file" in fifo.describe()["endpoint_notes"][0]


def test_tls_from_the_environment(tmp_path):
    pki = Pki(tmp_path / "pki")
    certs = pki.cert_path()
    verify = resolve_endpoint("tcp://127.0.0.1:2376", environ(tmp_path, DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=str(certs)))
    assert verify.tls == {"verify": True, "ca": str(certs / "ca.pem"), "cert": str(certs / "cert.pem"),
                          "key": str(certs / "key.pem")}
    assert verify.describe()["tls"] == {"verify": True, "ca_file": str(certs / "ca.pem"),
                                        "client_cert": str(certs / "cert.pem")}
    no_verify = resolve_endpoint("tcp://127.0.0.1:2376", environ(tmp_path, DOCKER_TLS="1", DOCKER_CERT_PATH=str(certs)))
    assert no_verify.tls["verify"] is False
    assert resolve_endpoint("tcp://127.0.0.1:2375", environ(tmp_path)).tls is None
    # TLS settings never apply to a unix socket.
    assert resolve_endpoint("unix:///x.sock", environ(tmp_path, DOCKER_TLS_VERIFY="1")).tls is None


# ------------------------------------------------------------------ reading engines there


@pytest.fixture
def engine_socket(tmp_path):
    logs = {}
    engine = FakeEngine(tmp_path / "engine.sock", responses=ENGINE["responses"], logs=logs)
    yield engine
    engine.close()


@pytest.fixture
def forwarders():
    started = []

    def start(target, listen=("127.0.0.1", 0), tls=None):
        if isinstance(listen, tuple):
            forwarder = own_port(lambda: Forwarder(target, listen, tls))
        else:
            forwarder = Forwarder(target, listen, tls)
        started.append(forwarder)
        return forwarder

    yield start
    for forwarder in started:
        forwarder.close()


def docker_section(doc):
    return dict((k, v) for k, v in doc["docker"].items() if k not in ("responses", "logs", "errors"))


def test_tcp_engine_is_read_and_named(engine_socket, forwarders, monkeypatch):
    forwarder = forwarders(engine_socket.path)
    monkeypatch.setenv("DOCKER_HOST", forwarder.url)
    doc = take(timeout=2.0)
    check_document(doc)
    assert docker_section(doc) == {"endpoint": forwarder.url, "endpoint_source": "env DOCKER_HOST", "local": True,
                                   "state": "running", "error": None}
    assert set(doc["docker"]["responses"]) == set(ENGINE["responses"])
    validate_schema(doc)


def test_refused_tcp_is_refused_and_never_the_default_socket(monkeypatch):
    connected = []
    real_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connected.append(address) or
                        real_connect(self, address))
    doc = take(timeout=1.0, host="tcp://127.0.0.1:1")
    assert docker_section(doc) == {
        "endpoint": "tcp://127.0.0.1:1", "endpoint_source": "flag -H", "local": True, "state": "refused",
        "error": "not_running", "detail": "connect tcp://127.0.0.1:1: Connection refused"}
    assert not [a for a in connected if isinstance(a, str) and a.endswith("docker.sock")], connected
    assert doc["docker"]["responses"] == {}


def test_silent_tcp_engine_times_out_within_the_bound():
    server = own_port(SilentPort)
    try:
        began = time.monotonic()
        doc = take(timeout=0.4, host=server.url)
        elapsed = time.monotonic() - began
    finally:
        server.close()
    assert doc["docker"]["state"] == "timeout" and doc["docker"]["error"] == "timeout", docker_section(doc)
    assert elapsed < 3 * 0.4 + 1.5, elapsed
    assert server.connections > 1


def test_a_name_that_does_not_resolve_is_unreachable_within_the_bound():
    began = time.monotonic()
    doc = take(timeout=1.0, host="tcp://no-such-engine.invalid:2375")
    assert time.monotonic() - began < 3 * 1.0 + 1.5
    assert doc["docker"]["state"] in ("unreachable", "timeout"), doc["docker"]
    assert "no-such-engine.invalid" in doc["docker"]["detail"]


def test_named_socket_missing_is_not_a_stopped_engine(tmp_path):
    doc = take(timeout=1.0, host="unix://%s/wrong.sock" % tmp_path)
    assert doc["docker"]["state"] == "socket_missing" and doc["docker"]["error"] == "not_found"
    assert doc["docker"]["detail"] == "no socket at %s/wrong.sock (named by flag -H)" % tmp_path
    assert doc["stat"]["%s/wrong.sock" % tmp_path] == {"error": "not_found"}


def test_default_socket_missing_says_whether_docker_is_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_api, "DEFAULT_URL", "unix://%s/docker.sock" % tmp_path)
    doc = take(timeout=1.0)
    docker = doc["docker"]
    assert docker["endpoint_source"] == "default socket"
    installed = doc["commands"]["dockerd --version"].get("rc") is not None
    assert (docker["state"], docker["error"]) == (("not_running", "not_running") if installed else
                                                  ("not_installed", "not_found")), docker
    assert "/var/lib/docker" in doc["statvfs"]


def test_rootless_socket(tmp_path, engine_socket, forwarders, monkeypatch):
    runtime = tmp_path / "xdg"
    runtime.mkdir()
    forwarders(engine_socket.path, listen=str(runtime / "docker.sock"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    doc = take(timeout=2.0)
    assert docker_section(doc) == {"endpoint": "unix://%s/docker.sock" % runtime, "endpoint_source": "rootless socket",
                                   "local": True, "state": "running", "error": None}
    assert doc["stat"]["%s/docker.sock" % runtime]["type"] == "socket"


def test_context_from_the_cli_config(tmp_path, engine_socket, forwarders, monkeypatch):
    forwarder = forwarders(engine_socket.path)
    config = Path(os.environ["DOCKER_CONFIG"])
    write_context(config, dict(RECORDED_META, Endpoints={"docker": {"Host": forwarder.url, "SkipTLSVerify": False}}))
    (config / "config.json").write_text('{"auths": {}, "currentContext": "cx"}')
    doc = take(timeout=2.0)
    assert docker_section(doc) == {"endpoint": forwarder.url, "endpoint_source": "context cx (config.json)",
                                   "context": "cx", "local": True, "state": "running", "error": None}


# ------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    return Pki(tmp_path_factory.mktemp("pki"))


def tls_env(monkeypatch, url, certs):
    monkeypatch.setenv("DOCKER_HOST", url)
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(certs))


def test_tls_engine_with_client_certificates(pki, engine_socket, forwarders, monkeypatch):
    forwarder = forwarders(engine_socket.path, tls=pki.server_context())
    tls_env(monkeypatch, forwarder.url, pki.cert_path())
    doc = take(timeout=2.0)
    assert doc["docker"]["state"] == "running", doc["docker"]
    assert doc["docker"]["tls"] == {"verify": True, "ca_file": str(pki.cert_path() / "ca.pem"),
                                    "client_cert": str(pki.cert_path() / "cert.pem")}
    assert set(doc["docker"]["responses"]) == set(ENGINE["responses"])


def test_tls_context_files(pki, tmp_path, engine_socket, forwarders, monkeypatch):
    forwarder = forwarders(engine_socket.path, tls=pki.server_context())
    config = Path(os.environ["DOCKER_CONFIG"])
    write_context(config, {"Name": "secure", "Metadata": {}, "Endpoints": {"docker": {"Host": forwarder.url}}},
                  tls={"ca.pem": pki.ca, "cert.pem": pki.client_cert, "key.pem": pki.client_key})
    monkeypatch.setenv("DOCKER_CONTEXT", "secure")
    doc = take(timeout=2.0)
    assert doc["docker"]["state"] == "running", doc["docker"]
    assert doc["docker"]["endpoint_source"] == "env DOCKER_CONTEXT=secure"


@pytest.mark.parametrize("case, words", [
    ("wrong CA", "not signed by"),
    ("no client certificate", "TLS with"),
    ("TLS to a plain port", "speaks plain HTTP"),
])
def test_tls_errors(case, words, pki, tmp_path, engine_socket, forwarders, monkeypatch):
    if case == "wrong CA":
        forwarder = forwarders(engine_socket.path, tls=pki.server_context(other=True))
        tls_env(monkeypatch, forwarder.url, pki.cert_path())
    elif case == "no client certificate":
        forwarder = forwarders(engine_socket.path, tls=pki.server_context())
        certs = tmp_path / "ca-only"
        certs.mkdir()
        (certs / "ca.pem").write_bytes(pki.ca.read_bytes())
        tls_env(monkeypatch, forwarder.url, certs)
    else:
        forwarder = GoPlainPort()
        tls_env(monkeypatch, forwarder.url, pki.cert_path())
    try:
        doc = take(timeout=2.0)
    finally:
        if case == "TLS to a plain port":
            forwarder.close()
    docker = doc["docker"]
    assert (docker["state"], docker["error"]) == ("tls_error", "error"), docker
    assert words in docker["detail"] and forwarder.url in docker["detail"]
    assert docker["responses"] == {}


def test_plain_http_to_a_tls_port_is_named(pki, engine_socket, forwarders, monkeypatch):
    forwarder = forwarders(engine_socket.path, tls=pki.server_context())
    monkeypatch.setenv("DOCKER_HOST", forwarder.url)
    doc = take(timeout=2.0)
    assert doc["docker"]["state"] == "error" and "DOCKER_TLS_VERIFY" in doc["docker"]["detail"], doc["docker"]


class GoTlsPort(GoPlainPort):
    """dockerd's TLS listener (Go's crypto/tls) answers plain HTTP with this 400."""

    def handle(self, conn):
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
        conn.close()


def test_go_answer_to_plain_http_on_a_tls_port_is_a_tls_error():
    server = GoTlsPort()
    try:
        with pytest.raises(EngineError) as raised:
            EngineClient(server.url, timeout=2).get_json("/version")
    finally:
        server.close()
    assert raised.value.state == "tls_error" and raised.value.status is None
    assert "wants TLS" in raised.value.detail


# ------------------------------------------------------------------ remote engines


def own_address():
    """An address of this host that is not loopback (the source of the default route)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))        # no packet is sent for a UDP connect
        return probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()


def test_remote_engine_is_read_but_nothing_of_it_is_looked_up_on_this_host(engine_socket, forwarders, monkeypatch):
    address = own_address()
    if address is None or address.startswith("127."):
        pytest.skip("no non-loopback address here")
    forwarder = forwarders(engine_socket.path, listen=(address, 0))
    url = "tcp://%s:%d" % (address, forwarder.port)
    doc = take(timeout=2.0, host=url)
    docker = doc["docker"]
    assert (docker["endpoint"], docker["local"], docker["state"]) == (url, False, "running")
    assert set(docker["responses"]) == set(ENGINE["responses"])
    # The engine's container pids, resolv.conf paths and root directory are the other host's.
    for path, body in ENGINE["responses"].items():
        if path.startswith("/containers/") and isinstance(body, dict):
            assert body["ResolvConfPath"] not in doc["files"]
            assert "/proc/%d/net/tcp" % body["State"]["Pid"] not in doc["files"] or body["State"]["Pid"] == 0
    assert ENGINE["responses"]["/info"]["DockerRootDir"] not in doc["statvfs"]
    # This host's own versions are run, not taken from the remote engine's /version.
    assert doc["commands"]["runc --version"].get("error") != "skipped"


# ------------------------------------------------------------------ ssh


STAND_IN_SSH = """#!%(python)s
# A stand-in for ssh: records its argv, then does what `docker system dial-stdio` does on the
# other end (copies stdin/stdout to the engine's socket), or fails like ssh does.
import json, os, select, socket, sys
with open(%(log)r, "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if %(fail)r:
    sys.stderr.write(%(fail)r + "\\n")
    sys.exit(255)
engine = socket.socket(socket.AF_UNIX)
engine.connect(%(socket)r)
stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
while True:
    ready = select.select([stdin, engine], [], [])[0]
    if stdin in ready:
        data = os.read(stdin, 65536)
        if not data:
            engine.shutdown(socket.SHUT_WR)
            stdin = -1
            continue
        engine.sendall(data)
    if engine in ready:
        data = engine.recv(65536)
        if not data:
            break
        os.write(stdout, data)
"""


def stand_in_ssh(tmp_path, monkeypatch, socket_path, fail=""):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "ssh-argv.log"
    script = bin_dir / "ssh"
    script.write_text(STAND_IN_SSH % {"python": sys.executable, "log": str(log), "fail": fail,
                                      "socket": str(socket_path)})
    script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))
    return log


def test_ssh_engine_through_dial_stdio(tmp_path, engine_socket, monkeypatch):
    log = stand_in_ssh(tmp_path, monkeypatch, engine_socket.path)
    doc = take(timeout=3.0, host="ssh://ops@build-host:2222")
    docker = doc["docker"]
    assert (docker["endpoint"], docker["local"], docker["state"]) == ("ssh://ops@build-host:2222", False, "running")
    assert set(docker["responses"]) == set(ENGINE["responses"])
    argv = json.loads(log.read_text().splitlines()[0])
    assert argv[:2] == ["-o", "BatchMode=yes"] and argv[2] == "-o" and argv[3].startswith("ConnectTimeout=")
    assert argv[4:] == ["-l", "ops", "-p", "2222", "--", "build-host", "docker system dial-stdio"]


def test_ssh_failure_says_what_ssh_said(tmp_path, engine_socket, monkeypatch):
    stand_in_ssh(tmp_path, monkeypatch, engine_socket.path, fail="ops@build-host: Permission denied (publickey).")
    doc = take(timeout=2.0, host="ssh://ops@build-host")
    docker = doc["docker"]
    assert (docker["state"], docker["error"]) == ("ssh_error", "error"), docker
    assert docker["detail"] == "ssh://ops@build-host: ssh said: ops@build-host: Permission denied (publickey)."


@pytest.mark.parametrize("url, state", [("ssh://127.0.0.1:1", "refused"), ("ssh://no-such-host.invalid", None)])
def test_real_ssh_client_failures(url, state):
    if shutil.which("ssh") is None:
        pytest.skip("no ssh client here")
    doc = take(timeout=2.0, host=url)
    docker = doc["docker"]
    assert "ssh said: ssh: " in docker["detail"], docker
    if state:
        assert docker["state"] == state
    else:
        assert docker["state"] in ("unreachable", "timeout"), docker


# ------------------------------------------------------------------ bounds


def nested(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_engine_answers_nested_too_deep_are_recorded_as_errors(tmp_path, monkeypatch):
    responses = dict(ENGINE["responses"])
    responses["/info"] = {"Deep": nested(990)}
    engine = FakeEngine(tmp_path / "deep.sock", responses=responses)
    try:
        monkeypatch.setenv("DOCKER_HOST", "unix://" + engine.path)
        doc = take(timeout=2.0)
    finally:
        engine.close()
    assert doc["docker"]["errors"]["/info"] == {"error": "error", "detail": "answer nested deeper than 32 levels"}
    assert doc["docker"]["state"] == "running"
    json.dumps(doc)                              # the document can be written
    from hostcheck import files
    assert not files.too_deep(doc)               # and read back by analyze
    assert engine_api.MAX_DEPTH + 3 < files.MAX_DEPTH
    client = EngineClient("unix://" + str(tmp_path / "none.sock"))
    assert engine_api.nested_deeper(nested(33), 32) and not engine_api.nested_deeper(nested(32), 32)
    assert not engine_api.nested_deeper({"a": [{"b": 1}]}, 3) and engine_api.nested_deeper({"a": [{"b": []}]}, 3)
    assert client.endpoint.path == str(tmp_path / "none.sock")


# ------------------------------------------------------------------ old Pythons


@pytest.mark.parametrize("minor", ["3.6", "3.7"])
def test_tls_and_ssh_engines_from_old_pythons(minor, old_python, pki, tmp_path, engine_socket, forwarders):
    forwarder = forwarders(engine_socket.path, tls=pki.server_context())
    certs = pki.cert_path()
    env = dict(os.environ, DOCKER_HOST=forwarder.url, DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=str(certs),
               PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    run = lambda *args: subprocess.run([str(old_python(minor)), "-m", "hostcheck.capture", "--timeout", "3"] + list(args),
                                       cwd=str(REPO_ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       timeout=60)
    result = run()
    assert result.returncode == 0, result.stderr.decode()
    docker = json.loads(result.stdout.decode())["docker"]
    assert (docker["state"], docker["endpoint"], docker["tls"]["verify"]) == ("running", forwarder.url, True), docker
    # The wrong CA on the same Python: a TLS error, named.
    env["DOCKER_CERT_PATH"] = str(pki.cert_path("wrong", ca=pki.other_ca))
    docker = json.loads(run().stdout.decode())["docker"]
    assert docker["state"] == "tls_error", docker
    # ssh:// reaches the engine from 3.6 too (the stand-in ssh, written for this Python).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "argv.log"
    (bin_dir / "ssh").write_text(STAND_IN_SSH % {"python": str(old_python(minor)), "log": str(log), "fail": "",
                                                 "socket": engine_socket.path})
    (bin_dir / "ssh").chmod(0o755)
    env["PATH"] = "%s:%s" % (bin_dir, env["PATH"])
    docker = json.loads(run("-H", "ssh://build-host").stdout.decode())["docker"]
    assert (docker["state"], docker["endpoint_source"], docker["local"]) == ("running", "flag -H", False), docker

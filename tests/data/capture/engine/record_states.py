"""Record the capture's `docker` section in each engine state, on the real engine of this machine.

    flock /tmp/hc-integration.lock .venv-3.11/bin/python tests/data/capture/engine/record_states.py

Writes states.json beside this file: {name: {"how": ..., "docker": the docker section
without responses/logs/errors, "had_responses": [paths]}}. tests/test_engine_state.py
grafts them onto tests/data/captures/debian12-this-machine.json. The engine is only read:
forwarders in front of /var/run/docker.sock give it a tcp, TLS and rootless-style address.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
sys.path.insert(0, str(REPO / "tests"))
from engine_helpers import Forwarder, Pki, SilentPort, own_port  # noqa: E402

ENGINE_ENV = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_TLS",
              "DOCKER_CERT_PATH", "XDG_RUNTIME_DIR")


def capture(env=None, args=(), user=None):
    clean = dict((k, v) for k, v in os.environ.items() if k not in ENGINE_ENV)
    clean["PYTHONPATH"] = str(REPO)
    clean.update(env or {})
    argv = [sys.executable if user is None else "/usr/bin/python3", "-m", "hostcheck.capture", "--timeout", "2"] + list(args)
    if user:
        argv = ["runuser", "-u", user, "--", "env", "PYTHONPATH=%s" % REPO] + \
            ["%s=%s" % (k, v) for k, v in (env or {}).items()] + argv
    out = subprocess.run(argv, env=clean, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    docker = json.loads(out.stdout.decode())["docker"]
    kept = dict((k, v) for k, v in docker.items() if k not in ("responses", "logs", "errors"))
    return {"docker": kept, "had_responses": sorted(docker.get("responses") or {})}


def own_address():
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(("192.0.2.1", 9))
    address = probe.getsockname()[0]
    probe.close()
    return address


def main():
    states = {}
    work = Path(tempfile.mkdtemp(prefix="hc-states-"))
    config = work / "docker-config"
    config.mkdir()
    pki = Pki(work / "pki")
    tcp = own_port(lambda: Forwarder("/var/run/docker.sock"))
    tls = own_port(lambda: Forwarder("/var/run/docker.sock", tls=pki.server_context()))
    tls_other = own_port(lambda: Forwarder("/var/run/docker.sock", tls=pki.server_context(other=True)))
    remote = Forwarder("/var/run/docker.sock", listen=(own_address(), 0))
    silent = own_port(SilentPort)
    xdg = work / "xdg"
    xdg.mkdir()
    Forwarder("/var/run/docker.sock", listen=str(xdg / "docker.sock"))
    base = {"DOCKER_CONFIG": str(config)}
    cases = [
        ("default", "no engine variable: /var/run/docker.sock", {}),
        ("wrong_socket", "DOCKER_HOST=unix:///wrong.sock while dockerd runs", {"DOCKER_HOST": "unix:///wrong.sock"}),
        ("tcp_refused", "DOCKER_HOST=tcp://127.0.0.1:1", {"DOCKER_HOST": "tcp://127.0.0.1:1"}),
        ("tcp", "DOCKER_HOST=tcp:// forwarder to the engine", {"DOCKER_HOST": tcp.url}),
        ("tls", "DOCKER_HOST + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, TLS forwarder",
         {"DOCKER_HOST": tls.url, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(pki.cert_path())}),
        ("tls_wrong_ca", "the same, the engine's certificate from another CA",
         {"DOCKER_HOST": tls_other.url, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(pki.cert_path())}),
        ("tls_to_plain", "DOCKER_TLS_VERIFY=1 to a plain port",
         {"DOCKER_HOST": tcp.url, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(pki.cert_path())}),
        ("timeout", "a port that accepts and never answers", {"DOCKER_HOST": silent.url}),
        ("unreachable", "a name that does not resolve", {"DOCKER_HOST": "tcp://no-such-engine.invalid:2375"}),
        ("remote", "-H tcp:// to this host's own non-loopback address (placed as another machine)",
         {"DOCKER_HOST": "tcp://%s:%d" % (remote.address, remote.port)}),
        ("rootless", "XDG_RUNTIME_DIR/docker.sock forwarder", {"XDG_RUNTIME_DIR": str(xdg)}),
        ("bad_context", "DOCKER_CONTEXT=nosuch", {"DOCKER_CONTEXT": "nosuch"}),
        ("npipe", "DOCKER_HOST=npipe:////./pipe/docker_engine", {"DOCKER_HOST": "npipe:////./pipe/docker_engine"}),
        ("ssh_refused", "-H ssh://127.0.0.1:1 (the real ssh client)", {"DOCKER_HOST": "ssh://127.0.0.1:1"}),
    ]
    for name, how, env in cases:
        env = dict(base, **env)
        states[name] = dict(how=how, **capture(env))
    states["permission_denied"] = dict(how="as nobody on /var/run/docker.sock (0660 root:docker)",
                                       **capture(user="nobody"))
    version = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True)
    out = {"_source": "Recorded by record_states.py against the real dockerd %s (Debian 12 docker.io) on the "
                      "project's VM; paths of temporary directories and ports as they were."
                      % version.stdout.strip(), "states": states}
    (HERE / "states.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    for name, record in states.items():
        print(name, record["docker"].get("state"), record["docker"].get("detail"))
    shutil.rmtree(str(work))


if __name__ == "__main__":
    main()

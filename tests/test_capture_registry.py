"""The capture's registry step (hostcheck/capture/registry.py) against an engine socket that
answers GET /distribution/REF/json with the bodies the real engine gave for a real registry
(tests/data/outputs/debian12-registry, SOURCES.md): through the docker SDK, and through the
stdlib client the Python 3.6 capture uses. The real engine and registry are in
tests/integration/test_image_registry.py.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostcheck.capture import registry, take
from test_capture import ENGINE, FakeEngine, validate_schema

REPO = Path(__file__).resolve().parent.parent
RECORDED = REPO / "tests" / "data" / "outputs" / "debian12-registry"
HOST = "localhost:5077"


def recorded(name):
    """(status, body) of a recorded answer: distribution_multi.200.json -> (200, bytes)."""
    (path,) = RECORDED.glob("distribution_%s.*.json" % name)
    return int(path.name.split(".")[1]), path.read_bytes().strip()


ANSWERS = {"%s/hc-rec:multi" % HOST: recorded("multi"), "%s/hc-rec:arm64" % HOST: recorded("arm64"),
           "%s/hc-rec:nope" % HOST: recorded("nope"), "localhost:5999/app:1": recorded("closed-port")}


class DistributionEngine(FakeEngine):
    """The engine's /version and /distribution/REF/json, versioned (the SDK) or not (stdlib)."""

    def _answer(self, conn):
        with conn, conn.makefile("rb") as request:
            words = request.readline().split(b" ")
            while request.readline() not in (b"\r\n", b""):
                pass                                    # the headers
            if len(words) < 2:
                return
            path = words[1].decode()
            self.requests.append(path)
            if path.startswith("/v1."):
                path = "/" + path.split("/", 2)[2]
            ref = path[len("/distribution/"):-len("/json")] if path.startswith("/distribution/") else None
            if path == "/version":
                self._send(conn, 200, json.dumps(ENGINE["responses"]["/version"]).encode())
            elif ref in ANSWERS:
                self._send(conn, *ANSWERS[ref])
            else:
                self._send(conn, 404, b'{"message":"page not found"}')


@pytest.fixture
def engine(tmp_path):
    engines = []

    def start(**kwargs):
        started = DistributionEngine(tmp_path / "docker.sock", **kwargs)
        engines.append(started)
        return started

    yield start
    for started in engines:
        started.close()


@pytest.fixture(params=["sdk", "stdlib"])
def path(request, monkeypatch):
    """Both ways of asking: the docker SDK, and the stdlib client (the SDK made unimportable)."""
    if request.param == "sdk":
        pytest.importorskip("docker")
    else:
        monkeypatch.setitem(sys.modules, "docker", None)
    return request.param


def ask(engine, *refs, timeout=3.0):
    return registry.lookup(list(refs), "unix://" + engine.path, timeout)


def test_manifest_list_is_recorded_as_the_engine_listed_it(engine, path):
    started = engine()
    answers = ask(started, HOST + "/hc-rec:multi", HOST + "/hc-rec:arm64")
    assert answers == {
        HOST + "/hc-rec:multi": {"platforms": [{"architecture": "amd64", "os": "linux"},
                                               {"architecture": "arm64", "os": "linux", "variant": "v8"}]},
        HOST + "/hc-rec:arm64": {"platforms": [{"architecture": "arm64", "os": "linux", "variant": "v8"}]}}
    asked = [p for p in started.requests if "/distribution/" in p]
    assert sorted(p.split("/distribution/")[1] for p in asked) == [
        HOST + "/hc-rec:arm64/json", HOST + "/hc-rec:multi/json"]


def test_missing_tag_and_closed_port_are_said_plainly(engine, path):
    answers = ask(engine(), HOST + "/hc-rec:nope", "localhost:5999/app:1")
    assert answers[HOST + "/hc-rec:nope"] == {
        "error": "not_found", "detail": "no such image in the registry: manifest unknown: manifest unknown"}
    closed = answers["localhost:5999/app:1"]
    assert closed["error"] == "error"
    assert closed["detail"].startswith("registry unreachable: Get \"http://localhost:5999/v2/\": dial tcp")


def test_an_engine_that_never_answers_is_a_timeout_within_the_bound(engine, path):
    started = time.monotonic()
    answers = ask(engine(silent=True), HOST + "/hc-rec:multi", timeout=1.0)
    assert time.monotonic() - started < 1.0 + 1.5
    assert answers == {HOST + "/hc-rec:multi": {
        "error": "timeout", "detail": "registry unreachable: localhost:5077 gave no answer within 1s"}}


def test_no_engine_socket_says_the_registry_cannot_be_asked(tmp_path, path):
    answers = registry.lookup([HOST + "/hc-rec:multi"], "unix://%s" % (tmp_path / "absent.sock"), 2.0)
    answer = answers[HOST + "/hc-rec:multi"]
    assert answer["error"] in ("not_found", "not_running")
    assert answer["detail"].startswith("the Docker engine does not answer, so the registry cannot be asked")


def test_what_is_not_a_reference_is_never_sent(engine):
    started = engine()
    answers = ask(started, "bad ref\r\nHost: x", "")
    assert [a["error"] for a in answers.values()] == ["error", "error"]
    assert started.requests == []


def test_take_records_the_answers_beside_the_capture(engine, monkeypatch):
    started = engine()
    monkeypatch.setenv("DOCKER_HOST", "unix://" + started.path)
    doc = take(timeout=2.0, registry_refs=[HOST + "/hc-rec:arm64", HOST + "/hc-rec:nope"])
    assert doc["docker"]["registry"][HOST + "/hc-rec:arm64"] == {
        "platforms": [{"architecture": "arm64", "os": "linux", "variant": "v8"}]}
    assert doc["docker"]["registry"][HOST + "/hc-rec:nope"]["error"] == "not_found"
    validate_schema(doc)
    # without registry references the document has no registry section at all
    assert "registry" not in take(timeout=2.0)["docker"]


@pytest.mark.parametrize("minor", ["3.6"])
def test_the_python_36_capture_asks_the_registry_with_the_stdlib(old_python, minor, engine, tmp_path):
    """`python -m hostcheck.capture --image REF` on CentOS 7's Python: no SDK, still an answer."""
    started = engine()
    output = tmp_path / "capture.json"
    env = dict(os.environ, DOCKER_HOST="unix://" + started.path, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    result = subprocess.run([str(old_python(minor)), "-m", "hostcheck.capture", "-o", str(output), "--timeout", "3",
                             "--image", HOST + "/hc-rec:multi"], cwd=str(REPO), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    doc = json.loads(output.read_text())
    assert doc["python"].startswith("3.6.")
    assert doc["docker"]["registry"] == {HOST + "/hc-rec:multi": {"platforms": [
        {"architecture": "amd64", "os": "linux"}, {"architecture": "arm64", "os": "linux", "variant": "v8"}]}}
    assert "/distribution/%s/hc-rec:multi/json" % HOST in started.requests

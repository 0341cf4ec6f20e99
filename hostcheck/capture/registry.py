"""The registry step of the capture: the platforms a registry offers for an image
reference, asked through the engine the capture read (GET /distribution/REF/json, the
Engine API call behind `docker buildx imagetools` and the SDK's `inspect_distribution`),
so the engine's own mirror and proxy settings apply.

    record(doc, ["localhost:5000/app:1.0"], timeout=5.0)
    doc["docker"]["registry"]["localhost:5000/app:1.0"]
        -> {"platforms": [{"architecture": "arm64", "os": "linux", "variant": "v8"}, ...]}
        or {"error": CODE, "detail": "registry unreachable: ..."}

`platforms` is the engine's `Platforms` list as it answered; CODE is SPEC's (not_found: no
such image or tag; permission_denied: the registry refused access; timeout: no answer
within the bound; not_running: the engine could not be asked; error: anything else, the
registry unreachable among it), with a one-line detail. Each look-up is bounded by
`timeout` (plus a second of grace), whatever the network does.

The docker SDK is used when it can be imported (Python >= 3.9 with hostcheck's
dependencies): it sends the credentials of `docker login` (config.json, credential
helpers). Without it (the stdlib capture on Python 3.6) the engine is asked directly and
without credentials: public and insecure registries answer, a private one refuses access.
"""

import re
import threading
import time

from urllib.parse import quote

from hostcheck.capture.engine_api import Endpoint, EngineClient, EngineError, resolve_endpoint

# A reference as `docker pull` takes it: host[:port]/path[:tag][@digest]; nothing else is sent.
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}$")
_UNREACHABLE = ("connection refused", "no such host", "dial tcp", "i/o timeout", "network is unreachable",
                "server misbehaving", "tls: ", "http response to https client")


def record(doc, refs, timeout=5.0, endpoint=None, host=None):
    """Ask the registry about each of `refs`; store the answers in doc["docker"]["registry"].

    endpoint: the engine_api.Endpoint the capture read; else the one -H `host` (or the
    environment, as for the capture) names.
    """
    docker = doc.setdefault("docker", {})
    answers = lookup(refs, endpoint or resolve_endpoint(host), timeout)
    docker.setdefault("registry", {}).update(answers)
    return answers


def lookup(refs, endpoint=None, timeout=5.0):
    """{ref: record} for each reference, asked in parallel, within about `timeout` seconds.

    endpoint: an engine_api.Endpoint or a URL; None: the engine resolve_endpoint() names.
    """
    if not isinstance(endpoint, Endpoint):
        endpoint = resolve_endpoint(endpoint)
    results, workers = {}, []
    for ref in dict.fromkeys(refs):          # each reference once, in order
        if not _REFERENCE.match(ref):
            results[ref] = {"error": "error", "detail": "not an image reference: %r" % ref[:80]}
            continue
        worker = threading.Thread(target=_ask, args=(ref, endpoint, timeout, results),
                                  name="hostcheck-registry", daemon=True)
        worker.start()
        workers.append((ref, worker))
    deadline = time.monotonic() + timeout + 1.0
    for ref, worker in workers:
        worker.join(max(deadline - time.monotonic(), 0.0))
    for ref, _ in workers:
        # A thread still waiting has not written its answer: say so (the dict is per call).
        results.setdefault(ref, _silent(ref, timeout))
    return dict((ref, results[ref]) for ref in dict.fromkeys(refs))


def _silent(ref, timeout):
    return {"error": "timeout", "detail": "registry unreachable: %s gave no answer within %gs"
            % (ref.split("/", 1)[0], timeout)}


def _ask(ref, endpoint, timeout, results):
    try:
        import docker  # noqa: F401 - only to know whether the SDK is there
    except ImportError:
        docker = None
    if endpoint.problem or endpoint.scheme not in ("unix", "tcp") or docker is None:
        # ssh:// through the SDK needs paramiko, which hostcheck does not require.
        answer = _ask_engine(ref, endpoint, timeout)
    else:
        answer = _ask_sdk(ref, endpoint, timeout)
    if answer.get("error") == "timeout":
        answer = _silent(ref, timeout)
    results.setdefault(ref, answer)


def _sdk_tls(endpoint):
    import docker
    tls = endpoint.tls
    if not tls:
        return False
    cert = (tls["cert"], tls["key"]) if tls.get("cert") and tls.get("key") else None
    return docker.tls.TLSConfig(client_cert=cert, ca_cert=tls.get("ca") if tls["verify"] else None,
                                verify=bool(tls["verify"]))


def _ask_sdk(ref, endpoint, timeout):
    import docker
    try:
        base_url = endpoint.url if endpoint.scheme == "unix" else "tcp://%s:%d%s" % (
            "[%s]" % endpoint.host if ":" in endpoint.host else endpoint.host,
            endpoint.port or (2376 if endpoint.tls else 2375), endpoint.base)
        client = docker.APIClient(base_url=base_url, version="auto", timeout=timeout, tls=_sdk_tls(endpoint))
        try:
            data = client.inspect_distribution(ref)
        finally:
            client.close()
    except Exception as exc:   # the SDK raises many kinds; each becomes one line
        text = " ".join(str(getattr(exc, "explanation", None) or exc).split())
        response = getattr(exc, "response", None)     # set when the engine answered (APIError)
        if "timeout" in type(exc).__name__.lower() or "timed out" in text.lower():
            return {"error": "timeout"}
        if response is None:
            return _engine_down(text)
        return _failure(text, getattr(response, "status_code", None), type(exc).__name__)
    return _answer(data)


def _ask_engine(ref, endpoint, timeout):
    client = EngineClient(endpoint, timeout=timeout, user_agent="hostcheck")
    try:
        data = client.get_json("/distribution/%s/json" % quote(ref, safe="/:@"))
    except EngineError as exc:
        if exc.code == "timeout":
            return {"error": "timeout"}
        if exc.status is None:
            return _engine_down(exc.detail, exc.code)
        # "GET /distribution/…: HTTP 404 manifest unknown": the engine's message is what counts
        return _failure(exc.detail.split(" HTTP %d " % exc.status, 1)[-1], exc.status, "EngineError")
    return _answer(data)


def _answer(data):
    platforms = (data or {}).get("Platforms") if isinstance(data, dict) else None
    if not isinstance(platforms, list):
        return {"error": "error", "detail": "the engine's answer lists no Platforms"}
    return {"platforms": [p for p in platforms if isinstance(p, dict)]}


def _engine_down(text, code="not_running"):
    return {"error": code if code in ("not_found", "permission_denied") else "not_running",
            "detail": "the Docker engine does not answer, so the registry cannot be asked: %s" % text[:200]}


def _failure(text, status, name):
    """{error, detail} for a look-up the engine answered with an error (HTTP `status`)."""
    lowered = text.lower()
    if any(word in lowered for word in _UNREACHABLE):
        return {"error": "error", "detail": "registry unreachable: %s" % text[:300]}
    if status in (401, 403) or "unauthorized" in lowered or "denied" in lowered:
        return {"error": "permission_denied", "detail": "registry refused access: %s" % text[:300]}
    if status == 404 or "manifest unknown" in lowered or "not found" in lowered:
        return {"error": "not_found", "detail": "no such image in the registry: %s" % text[:300]}
    return {"error": "error", "detail": "registry inspect failed: %s: %s" % (name, text[:300])}

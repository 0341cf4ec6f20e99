"""A registry reference's platforms, through the engine's distribution inspect (the docker
SDK's `APIClient.inspect_distribution`): the engine asks the registry, with its own
credentials and mirror settings. Bounded by the probe timeout: an unreachable registry
gives a result saying so, never a hang.

The SDK's own `RegistryData.has_platform("linux/arm64")` answers False for an arm64 **v8**
entry (INTEGRATION-ENV.md); platforms are compared here, variant-aware (platform.py).
"""

import threading

from hostcheck.image.platform import normalise


class RegistryResult(object):
    def __init__(self, ref, platforms=None, error=None, code=None):
        self.ref = ref
        self.platforms = platforms      # [Platform] when the registry answered
        self.error = error              # one line for a person when it did not
        self.code = code                # unreachable | not_found | denied | engine | error


def _classify(exc):
    """(code, one line) for an exception of the SDK, requests or the socket."""
    text = " ".join(str(getattr(exc, "explanation", None) or exc).split())
    lowered = text.lower()
    name = type(exc).__name__
    if "timeout" in name.lower() or "timed out" in lowered:
        return "unreachable", None      # worded by the caller, which knows the host and the bound
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if any(word in lowered for word in ("connection refused", "no such host", "dial tcp",
                                        "i/o timeout", "network is unreachable", "server misbehaving",
                                        "tls: ", "http response to https client")):
        return "unreachable", "registry unreachable: %s" % text[:300]
    if status in (401, 403) or "unauthorized" in lowered or "denied" in lowered:
        return "denied", "registry refused access: %s" % text[:300]
    if status == 404 or "manifest unknown" in lowered or "not found" in lowered:
        return "not_found", "no such image in the registry: %s" % text[:300]
    if name in ("ConnectionError", "DockerException") or "docker.sock" in lowered:
        return "engine", "the Docker engine does not answer, so the registry cannot be asked: %s" % text[:200]
    return "error", "registry inspect failed: %s: %s" % (name, text[:300])


def _platforms(data):
    platforms = []
    for item in (data or {}).get("Platforms") or []:
        if isinstance(item, dict):
            platform = normalise(item.get("os"), item.get("architecture"), item.get("variant"))
            if platform is not None and platform.architecture != "unknown" and platform not in platforms:
                platforms.append(platform)
    return platforms


def inspect(ref, timeout=5.0):
    """RegistryResult for `ref`, within about `timeout` seconds whatever the network does."""
    box = {}

    def ask():
        try:
            import docker
            from hostcheck.capture.engine_api import resolve_endpoint
            # The local engine, as the capture reads it (a remote DOCKER_HOST is not asked)
            client = docker.APIClient(base_url=resolve_endpoint()[1], version="auto", timeout=timeout)
            try:
                box["data"] = client.inspect_distribution(ref)
            finally:
                client.close()
        except Exception as exc:   # the SDK raises many kinds; each becomes one line
            box["error"] = exc

    worker = threading.Thread(target=ask, name="hostcheck-registry", daemon=True)
    worker.start()
    worker.join(timeout + 1.0)
    if worker.is_alive():
        return RegistryResult(ref, error="registry unreachable: %s gave no answer within %gs"
                              % (ref.split("/", 1)[0], timeout), code="unreachable")
    if "error" in box:
        code, line = _classify(box["error"])
        if line is None:
            line = "registry unreachable: %s gave no answer within %gs" % (ref.split("/", 1)[0], timeout)
        return RegistryResult(ref, error=line, code=code)
    platforms = _platforms(box.get("data"))
    if not platforms:
        return RegistryResult(ref, error="the registry lists no platform for %s" % ref, code="error")
    return RegistryResult(ref, platforms=platforms)

"""A registry reference's platforms, as the capture recorded them: docker.registry[REF],
written by the capture's registry step (hostcheck/capture/registry.py). Judging reads the
document only: a capture without an answer for REF says so, it never asks the local engine.

The SDK's own `RegistryData.has_platform("linux/arm64")` answers False for an arm64 **v8**
entry (INTEGRATION-ENV.md); platforms are compared by the judge, variant-aware.

>>> doc = {"docker": {"registry": {"localhost:5000/app:1": {"platforms": [
...     {"os": "linux", "architecture": "arm64", "variant": "v8"},
...     {"os": "unknown", "architecture": "unknown"}]}}}}
>>> [str(p) for p in recorded(doc, "localhost:5000/app:1").platforms], registry_reachable(doc)
(['linux/arm64/v8'], True)
>>> recorded(doc, "localhost:5000/other:1").error.startswith("the capture holds no registry answer")
True
>>> registry_reachable({"docker": {}}) is None
True
"""

from hostcheck.image.platform import normalise

NO_ANSWER = ("the capture holds no registry answer for %s; capture it on a host that reaches the registry"
             " (hostcheck capture --image %s -o FILE)")


class RegistryAnswer(object):
    def __init__(self, ref, platforms=None, error=None):
        self.ref = ref
        self.platforms = platforms      # [Platform] when the registry answered
        self.error = error              # one line for a person when it did not


def _answers(capture):
    docker = capture.get("docker") if isinstance(capture, dict) else None
    answers = docker.get("registry") if isinstance(docker, dict) else None
    return answers if isinstance(answers, dict) else {}


def _platforms(items):
    platforms = []
    for item in items:
        if isinstance(item, dict):
            platform = normalise(item.get("os"), item.get("architecture"), item.get("variant"))
            # attestation manifests are listed as unknown/unknown
            if platform is not None and platform.architecture != "unknown" and platform not in platforms:
                platforms.append(platform)
    return platforms


def recorded(capture, ref):
    """RegistryAnswer for `ref` from the capture document."""
    answer = _answers(capture).get(ref)
    if not isinstance(answer, dict):
        return RegistryAnswer(ref, error=NO_ANSWER % (ref, ref))
    if isinstance(answer.get("platforms"), list):
        platforms = _platforms(answer["platforms"])
        if platforms:
            return RegistryAnswer(ref, platforms=platforms)
        return RegistryAnswer(ref, error="the registry lists no platform for %s" % ref)
    detail = answer.get("detail")
    return RegistryAnswer(ref, error=str(detail) if detail else "registry look-up failed: %s" % answer.get("error"))


def registry_reachable(capture):
    """Whether a registry answered in this capture: True, False, or None when none was asked."""
    answers = [a for a in _answers(capture).values() if isinstance(a, dict)]
    if not answers:
        return None
    return any(isinstance(a.get("platforms"), list) and a["platforms"] for a in answers)

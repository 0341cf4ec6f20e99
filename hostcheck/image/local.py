"""Local engine images, as the capture recorded them (docker.images facts): find one by
the name or id a person types, as `docker image inspect` would.

>>> images = [{"id": "sha256:" + "ab" * 32, "tags": ["local/busybox:arm64", "busybox:latest"],
...            "os": "linux", "architecture": "arm64", "variant": "v8", "inspected": True}]
>>> find_image(images, "busybox")["tags"][0]
'local/busybox:arm64'
>>> find_image(images, "docker.io/library/busybox:latest") is images[0]
True
>>> find_image(images, "abab") is images[0], find_image(images, "busybox:1.36")
(True, None)
"""

import re

from hostcheck.image.platform import normalise

_HEX = re.compile(r"^(sha256:)?[0-9a-f]{4,64}$")


def normalise_ref(ref):
    """'docker.io/library/busybox' -> 'busybox:latest'; digests are kept as they are."""
    ref = ref.strip()
    if "@" in ref:
        return ref
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        ref += ":latest"
    return ref


def find_image(images, ref):
    """The image dict `ref` names (tag, full or short id), or None."""
    wanted = normalise_ref(ref)
    for image in images:
        if wanted in (normalise_ref(tag) for tag in image.get("tags") or ()):
            return image
    if _HEX.match(ref.strip()):
        hexpart = ref.strip().split(":", 1)[-1]
        matches = [i for i in images if (i.get("id") or "").split(":", 1)[-1].startswith(hexpart)]
        if len(matches) == 1:
            return matches[0]
    return None


def image_platform(image):
    """The Platform an engine image records, or None (not inspected, or no Architecture)."""
    if not image.get("inspected") or not image.get("architecture"):
        return None
    return normalise(image.get("os"), image.get("architecture"), image.get("variant"))


def image_name(image):
    """What a person calls it: its first tag, else the short id."""
    tags = image.get("tags") or []
    if tags:
        return tags[0]
    return (image.get("id") or "?").split(":", 1)[-1][:12]


def listed_images(capture):
    """[{id, tags}] of the engine's image list in a capture document (/images/json), enough
    for find_image before the capture is judged."""
    listed = ((capture.get("docker") or {}).get("responses") or {}).get("/images/json")
    return [{"id": item.get("Id"), "tags": [t for t in item.get("RepoTags") or () if isinstance(t, str)]}
            for item in listed or () if isinstance(item, dict)] if isinstance(listed, list) else []


def looks_like_registry_ref(ref):
    """A reference that names its registry host (localhost:5000/app, registry.example.com/app).

    Only those are asked of a registry: a bare `busybox` would send the engine to Docker Hub.
    """
    if "/" not in ref:
        return False
    host = ref.split("/", 1)[0]
    return host == "localhost" or "." in host or ":" in host


def engine_elsewhere(facts):
    """Why what goes through the engine is not judged against this host, or None. A remote
    engine (docker.local false) pulls and runs images on its own machine, with its CPU,
    emulators and ports: comparing them with this host's would mix two machines."""
    if facts.get("docker.local") is not False:
        return None
    return ("the Docker engine (%s) is on another machine: images run there, with its CPU, emulators "
            "and ports, not this host's; run hostcheck on that machine" % (facts.get("docker.endpoint") or "?"))

"""Image platform operators of the closed set: does an image's OCI platform run here
without an emulator? Variant-aware, the way containerd matches platforms.

Each operator is a pure function (fact value, rule value) -> (result, members); members
name the platforms that run. The wording lives in conditions.py beside the other
operators' (en and zh). hostcheck/image/platform.py asks the same function when it picks the
platform an image would run as, so that choice and the image tree's answer cannot disagree.

>>> runs_on(["linux/arm64/v8", "linux/amd64"], ["linux/amd64", "linux/386"])
(True, ['linux/amd64'])
>>> runs_on("linux/arm/v7", "linux/arm/v6")
(False, [])
"""

# containerd: an arm64 platform without a variant is v8, an arm one v7
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}


def _parts(text):
    if not isinstance(text, str) or not text.strip():
        raise ValueError("%r is not an OCI platform" % (text,))
    parts = text.strip().lower().split("/")
    if len(parts) == 1:
        parts = ["linux"] + parts
    variant = parts[2] if len(parts) > 2 and parts[2] else _DEFAULT_VARIANTS.get(parts[1])
    return parts[0], parts[1], variant


def _level(variant):
    try:
        return float((variant or "").lstrip("v"))
    except ValueError:
        return None


def platform_runs_on(image, host):
    """Does a CPU of platform `host` run binaries of platform `image` natively?

    Same OS and architecture; every amd64 level runs on amd64 (v2..v4 are CPU feature sets
    containerd does not check), every arm64 variant on arm64, an older arm variant on a
    newer one (v6 on v7, not the reverse).

    >>> platform_runs_on("linux/arm/v6", "linux/arm/v7"), platform_runs_on("linux/arm/v7", "linux/arm/v6")
    (True, False)
    >>> platform_runs_on("linux/amd64/v3", "linux/amd64"), platform_runs_on("linux/arm64", "linux/arm64/v8")
    (True, True)
    """
    image_os, image_arch, image_variant = _parts(image)
    host_os, host_arch, host_variant = _parts(host)
    if (image_os, image_arch) != (host_os, host_arch):
        return False
    if image_arch == "arm":
        image_level, host_level = _level(image_variant), _level(host_variant)
        if image_level is None or host_level is None:
            return image_variant == host_variant
        return image_level <= host_level
    return True


def _listed(value):
    return [value] if isinstance(value, str) else list(value or ())


def runs_on(images, hosts):
    """Does one of the image platforms (a string or a list) run on one of the host's?"""
    hosts = _listed(hosts)
    running = [image for image in _listed(images) if any(platform_runs_on(image, host) for host in hosts)]
    return bool(running), running


# operator -> (function, family: the kind of comparison, tests/test_catalogue_questions.py)
OPERATORS = {
    "runs_on": (runs_on, "platform"),
}

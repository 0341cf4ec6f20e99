"""The distribution: os-release and the vendors' own release files (Kylin, UOS, openEuler ...)."""

from hostcheck.combine._common import join_reasons
from hostcheck.parse import osrelease

FACTS = ("os.id", "os.name", "os.version", "os.codename", "os.service_pack", "os.like", "os.family",
         "os.package_manager")
INPUTS = tuple("file:" + path for path in osrelease.RELEASE_FILES)
PARSERS = (osrelease.identify,)


def build(view, facts):
    texts = {}
    reasons = []
    for path in osrelease.RELEASE_FILES:
        text, reason = view.file(path)
        if text is not None:
            texts[path] = text
        else:
            reasons.append(reason)
    try:
        info = osrelease.identify(texts)
    except ImportError:
        for name in FACTS:
            facts.missing(name, "release files not read: the distro library is not installed "
                                "(pip install 'distro>=1.7')")
        return
    why = join_reasons(reasons)
    for fact, key in (("os.id", "id"), ("os.name", "name"), ("os.version", "version"),
                      ("os.codename", "codename"), ("os.service_pack", "service_pack")):
        if info.get(key):
            facts.set(fact, info[key])
        else:
            facts.missing(fact, why if not texts else "%s names no %s" % (", ".join(info["sources"]),
                                                                          key.replace("_", " ")))
    if texts:
        facts.set("os.like", info.get("like") or [])
        facts.set("os.family", info["family"])
        facts.set("os.package_manager", info["package_manager"])
    else:
        for name in ("os.like", "os.family", "os.package_manager"):
            facts.missing(name, why)

"""The image trees `check` and `analyze` walk on every host (HOST_TREES): one per local
image, and one per container that exited non-zero whose image is not native or whose log
lines (the capture keeps only those matching a failure pattern) explain the exit.

A container's walk starts at the tree's `container-exit` node, with its exit code and the
failure kinds its log lines show as subject facts; the catalogue decides what they mean.
Labels only, from the capture: no archive is read here, and the cost per image is one
tree walk (microseconds), so a host with hundreds of containers stays fast.
"""

from hostcheck.capture.logmatch import LOG_KINDS, log_kinds
from hostcheck.image.judge import image_tree, subject_facts, walk_image
from hostcheck.image.local import image_name, image_platform
from hostcheck.image.registry import registry_reachable

CONTAINER_ROOT = "container-exit"
LOG_SHOWN = 3       # the last lines quoted in the evidence


def classify_log(lines):
    """The failure kinds the log lines show, in LOG_KINDS order (hostcheck.capture.logmatch:
    the same table the capture kept the lines by, matched in linear time)."""
    shown = set()
    for line in lines:
        if isinstance(line, str):
            shown.update(log_kinds(line))
    return [kind for kind, _ in LOG_KINDS if kind in shown]


def host_image_trees(capture, facts, catalogue, lang):
    images = facts.get("docker.images") or []
    containers = facts.get("docker.containers") or []
    # A remote engine's images run on its machine, not against this host's CPU and binfmt
    # (docker-engine-reachable and the report header say the engine is elsewhere).
    if (not images and not containers) or facts.get("docker.local") is False:
        return []
    logs = ((capture.get("docker") or {}).get("logs") or {}) if isinstance(capture, dict) else {}
    reachable = registry_reachable(capture)
    trees, by_id, known, walked = [], {}, {}, {}
    for image in images:
        name = image_name(image)
        platform = image_platform(image)
        by_id[image.get("id")] = (name, platform)
        trees.append(image_tree(facts, name, [platform], ref=name, lang=lang, catalogue=catalogue,
                                unknown_reason=_why_no_platform(image), registry_reachable=reachable))
    for container in containers:
        if container.get("state") != "exited" or not container.get("exit_code"):
            continue
        lines = [line for line in logs.get(container.get("id")) or [] if isinstance(line, str)]
        name, platform = by_id.get(container.get("image_id"), (container.get("image") or "?", None))
        # Containers of one image share its subject facts: computed once (hosts keep thousands
        # of exited containers).
        image_facts = known.get((name, platform))
        if image_facts is None:
            image_facts = known[(name, platform)] = subject_facts(
                facts, [platform], ref=name, unknown_reason="the image of this container is not in the capture",
                registry_reachable=reachable)
        # A walk is a pure function of the subject facts: containers of one image with the
        # same exit code and log lines walk alike, only their names differ.
        key = (name, platform, container.get("exit_code"), tuple(lines))
        if key not in walked:
            tree = container_tree(facts, container, name, image_facts, lines, catalogue, lang)
            walked[key] = tree if explains_exit(tree) else None
        elif walked[key] is not None:
            tree = _same_walk(walked[key], container_subject(container, name))
        if walked[key] is not None:
            trees.append(tree)
    return trees


def _same_walk(tree, subject):
    """A copy of a walked tree for another subject (nothing shared: a reader may edit one)."""
    verdict = dict(tree["verdict"])
    if verdict.get("remediation"):
        verdict["remediation"] = dict(verdict["remediation"], commands=list(verdict["remediation"]["commands"]))
    return {"tree": tree["tree"], "subject": subject, "path": [dict(step) for step in tree["path"]],
            "verdict": verdict}


def container_subject(container, image):
    return "container %s (%s)" % (container.get("name") or container.get("id", "?")[:12], image)


def _why_no_platform(image):
    if not image.get("inspected"):
        return "image %s was not inspected in the capture" % image_name(image)
    return "image %s records no architecture" % image_name(image)


def container_tree(facts, container, image, image_facts, lines, catalogue, lang):
    """The image tree walked from the container's exit (its code, its log's failure kinds);
    image_facts: subject_facts of its image."""
    subject = container_subject(container, image)
    more = {"subject.exit_code": container.get("exit_code"), "subject.exit_kinds": classify_log(lines)}
    if lines:
        more["subject.exit_log"] = " | ".join(lines[-LOG_SHOWN:])
    extra, reasons = image_facts
    return walk_image(facts, subject, extra, reasons, lang, catalogue, root=CONTAINER_ROOT, more=more)


def explains_exit(tree):
    """SPEC: a container's tree is reported when its log shows a known failure or its image
    is not native -- the tree's own answers to those two questions."""
    answers = dict((step["node"], step["answer"]) for step in tree["path"])
    return answers.get(CONTAINER_ROOT) == "yes" or "no" in (answers.get("platform-match"),
                                                             answers.get("container-platform-match"))

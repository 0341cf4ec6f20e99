"""The preflight trees walked over a capture document that holds a project's model.

    preflight_trees(capture, facts, catalogue, lang) -> [walked trees]

For each active service, in dependency order: the image tree (hostcheck/image/judge.py's,
not a copy) for the image it runs, or for each stage of its build; then the `preflight`
tree (subject: the service) over hostcheck/preflight/subjects.py's facts. Last, the
`preflight-project` tree (subject: the project) over the project's facts, the services'
verdicts and the host rules' findings in the areas a project leans on.
"""

from hostcheck.image.judge import SubjectFacts, image_tree
from hostcheck.image.local import image_platform
from hostcheck.image.platform import parse as parse_platform
from hostcheck.image.registry import registry_reachable
from hostcheck.judge.rules import as_facts
from hostcheck.judge.trees import walk_tree
from hostcheck.preflight import subjects as S

# Findings of these areas decide whether the host is ready for a project (and are shown
# beside the trees); emulation's rules join when a service or a build stage is not native.
HOST_AREAS = ("docker", "network", "firewall", "dns")
EMULATION_RULES = ("binfmt", "kernel-emulation-floor")
RUN_SHOWN = 4           # RUN steps named in the evidence


def _walk(catalogue, tree_id, facts, subject, lang):
    return walk_tree(catalogue.trees[tree_id], SubjectFacts(facts, subject.unknown), subject.label, lang,
                     dict(subject.values))


def _verdict(tree):
    return tree["verdict"]["id"]


def _image_facts(view, service, answers, facts, catalogue, lang, reachable):
    """(Subject with the image facts of the service, [image trees], [EXPOSE words])."""
    found = S.Subject(service["name"])
    trees, exposed = [], []
    ref = service["image"]
    local = view.local_image(ref)
    asked = parse_platform(service["platform"]) if service["platform"] else None
    if service["platform"]:
        found.set("platform_asked", service["platform"])
    if local is not None and image_platform(local):
        found.set("image_platforms", [str(image_platform(local))])
    build = (view.model.get("builds") or {}).get(service["name"]) if service["build"] else None
    found.set("build", bool(service["build"]) and local is None)
    found.set("run_verdicts", [])
    found.set("run_steps", [])
    if view.elsewhere:
        found.set("image_ref", ref or "build of service %s" % service["name"])
        found.set("image_verdict", "unknown")
        found.set("image_text", view.elsewhere)
        return found, trees, exposed
    if ref is None and not service["build"]:
        # docker compose refuses such a service (the model's error says so): no image to judge.
        why = "service %s has neither an image nor a build context" % service["name"]
        found.set("build_error", why)
        found.set("image_ref", "none")
        found.set("image_verdict", "unknown")
        found.set("image_text", why)
        return found, trees, exposed
    if local is not None or not service["build"]:
        if asked is not None:
            platforms, why = [asked], None
        else:
            platforms, why = S.image_platforms(view, ref, answers)
        tree = image_tree(facts, "%s: %s" % (service["name"], ref), platforms, ref=ref, lang=lang, catalogue=catalogue,
                          unknown_reason=why, registry_reachable=reachable)
        trees.append(tree)
        found.set("image_ref", ref)
        found.set("image_verdict", _verdict(tree))
        found.set("image_text", tree["verdict"]["text"])
        if local is not None:
            exposed = view.exposed_by_image(local)
        return found, trees, exposed
    if build is None or build.get("error"):
        why = (build or {}).get("error") or "the build was not read"
        found.set("build_error", why)
        found.set("image_ref", "build of %s" % (build or {}).get("dockerfile", "?"))
        found.set("image_verdict", "unknown")
        found.set("image_text", why)
        return found, trees, exposed
    stages = S.build_stages(view, service, build, answers)
    run_verdicts, run_steps, by_index = [], [], {}
    for stage, parsed, image in stages:
        tree = image_tree(facts, image.label, image.platforms, ref=image.ref, lang=lang, catalogue=catalogue,
                          unknown_reason=image.unknown, registry_reachable=reachable)
        trees.append(tree)
        by_index[stage["index"]] = tree
        if parsed["runs"]:
            run_verdicts.append(_verdict(tree))
            platform = str(image.platforms[0]) if image.platforms else "platform unknown"
            run_steps.extend("%s (stage %d, %s): RUN %s" % (platform, stage["index"], _verdict(tree), step["text"])
                             for step in parsed["runs"])
    found.set("run_verdicts", run_verdicts)
    found.set("run_steps", run_steps[:RUN_SHOWN] + (["(+%d more)" % (len(run_steps) - RUN_SHOWN)]
                                                    if len(run_steps) > RUN_SHOWN else []))
    final = S.final_stage(service["build"], stages)
    tree = by_index[final[0]["index"]]
    found.set("image_ref", "build FROM %s" % final[0]["image"])
    found.set("image_verdict", _verdict(tree))
    found.set("image_text", tree["verdict"]["text"])
    if final[1].get("healthcheck"):
        found.set("healthcheck", final[1]["healthcheck"])
    return found, trees, S.inherited_exposes(stages, final)


def dependency_order(services):
    """Active services, each after the ones it depends on (file order otherwise; a loop
    leaves the rest in file order)."""
    active = [s for s in services if s["active"]]
    names = set(s["name"] for s in active)
    ordered, placed = [], set()
    while len(ordered) < len(active):
        ready = [s for s in active if s["name"] not in placed
                 and all(d in placed or d not in names for d in s["depends_on"])]
        if not ready:
            ready = [s for s in active if s["name"] not in placed][:1]
        for service in ready:
            ordered.append(service)
            placed.add(service["name"])
    return ordered


def host_findings(facts, catalogue, lang, emulation):
    """(failing, warning) findings of the host rules a project leans on, as "id: title"."""
    from hostcheck.judge import judge
    areas = HOST_AREAS + (EMULATION_RULES if emulation else ())
    findings = judge(catalogue, facts, lang=lang, only=areas)
    shown = lambda f: "%s%s: %s" % (f["id"], " (%s)" % f["subject"] if f.get("subject") else "", f["title"])  # noqa: E731
    return ([shown(f) for f in findings if f["status"] in ("fail", "error")],
            [shown(f) for f in findings if f["status"] == "warn"])


def preflight_trees(capture, facts, catalogue, lang="en"):
    """Every tree of a preflight: the services' image and preflight trees, then the project's."""
    facts = as_facts(facts)
    model = capture["compose"]
    view = S.HostView(capture, facts, model)
    refs = [s["image"] for s in model["services"] if s["image"]]
    for build in (model.get("builds") or {}).values():
        refs.extend(stage["from"] for stage in (build.get("parsed") or {}).get("stages", ()))
    answers = S.registry_answers(capture, refs)
    reachable = registry_reachable(capture)
    project = S.project_subject(view, model.get("source_text") or model["source"])
    trees, image_trees, statuses, emulation = [], [], {}, False
    for service in dependency_order(model["services"]):
        image_facts, walked_images, exposed = _image_facts(view, service, answers, facts, catalogue, lang, reachable)
        image_trees.extend(walked_images)
        verdicts = [image_facts.values.get("subject.image_verdict")] + image_facts.values["subject.run_verdicts"]
        emulation = emulation or any(v in ("emulated", "needs-remediation", "impossible") for v in verdicts)
        subject = S.service_subject(view, service, image_facts, exposed, statuses, project)
        tree = _walk(catalogue, "preflight", facts, subject, lang)
        statuses[service["name"]] = tree["verdict"]["status"]
        trees.append(tree)
    S.compose_tools(project, capture.get("commands") or {}, _tools_reason(capture))
    failing, warning = host_findings(facts, catalogue, lang, emulation)
    project.set("host_failures", failing)
    project.set("host_warnings", warning)
    project.set("failing_services", ["%s (%s)" % (t["subject"], t["verdict"]["id"]) for t in trees
                                     if t["verdict"]["status"] in ("fail", "error")])
    project.set("warning_services", ["%s (%s)" % (t["subject"], t["verdict"]["id"]) for t in trees
                                     if t["verdict"]["status"] == "warn"])
    project.set("unset_variables", list(model.get("unset_variables") or []))
    return [_walk(catalogue, "preflight-project", facts, project, lang)] + trees + image_trees


def _tools_reason(capture):
    return ("docker compose version, docker-compose --version: not captured (`hostcheck capture` leaves the "
            "compose tools out; `hostcheck preflight` on the host records them)")

"""Container runtimes and their versions: the docker client, dockerd, containerd, runc, crun,
podman, and Kylin's docker-runc. The engine's /version Components answer first, the
`--version` commands where the engine did not."""

from hostcheck.combine._common import set_series
from hostcheck.parse import runtimes

FACTS = ("docker.client.version", "docker.client.series", "docker.client.podman_shim",
         "docker.dockerd.version", "runtimes.containerd.version", "runtimes.runc.version",
         "runtimes.runc.commit", "runtimes.crun.version", "runtimes.podman.version", "runtimes.installed",
         "runtimes.docker_runc.installed", "runtimes.docker_runc.version")
VERSION_COMMANDS = ("docker --version", "dockerd --version", "containerd --version", "runc --version",
                    "crun --version", "podman --version")
INPUTS = ("section:docker", "engine:/version") + tuple("command:" + key for key in VERSION_COMMANDS) \
    + ("command:docker-runc --version",)
PARSERS = (runtimes.engine_components, runtimes.parse_docker_version, runtimes.parse_containerd_version,
           runtimes.parse_runc_version, runtimes.parse_crun_version, runtimes.parse_podman_version)


def build(view, facts):
    components = runtimes.engine_components(view.responses().get("/version")) \
        if view.section("docker").get("error") is None else {}
    installed = []
    _docker_client(view, facts, installed)

    def from_engine_or_command(fact, component, key, parse):
        run = view.command(key)
        comp = components.get(component) or {}
        if run.ran or run.code == "skipped" and comp:
            installed.append(key.split()[0])
        if comp.get("version"):
            facts.set(fact, comp["version"])
            return run, comp
        if run.ok:
            value = parse(run.stdout)
            if value:
                facts.set(fact, value)
            else:
                facts.missing(fact, "%s: unexpected output %r" % (key, (run.stdout or "")[:60]))
        else:
            facts.missing(fact, run.failure())
        return run, comp

    from_engine_or_command("docker.dockerd.version", "engine", "dockerd --version",
                           lambda out: runtimes.parse_docker_version(out)["version"])
    from_engine_or_command("runtimes.containerd.version", "containerd", "containerd --version",
                           lambda out: runtimes.parse_containerd_version(out)["version"])
    run, comp = from_engine_or_command("runtimes.runc.version", "runc", "runc --version",
                                       lambda out: runtimes.parse_runc_version(out)["version"])
    commit = comp.get("commit") or (runtimes.parse_runc_version(run.stdout)["commit"] if run.ok else None)
    if commit:
        facts.set("runtimes.runc.commit", commit)
    else:
        facts.missing("runtimes.runc.commit", run.failure() or "runc --version: no commit line")
    for fact, key, parse in (("runtimes.crun.version", "crun --version", runtimes.parse_crun_version),
                             ("runtimes.podman.version", "podman --version", runtimes.parse_podman_version)):
        run = view.command(key)
        if run.ran:
            installed.append(key.split()[0])
        value = parse(run.stdout) if run.ok else None
        if value:
            facts.set(fact, value)
        else:
            facts.missing(fact, run.failure() or "%s: unexpected output %r" % (key, (run.stdout or "")[:60]))
    if installed or components or any(view.has_command(key) for key in VERSION_COMMANDS):
        facts.set("runtimes.installed", sorted(set(installed)))
    else:
        # Nothing probed is not "nothing installed": say so instead of an empty inventory.
        facts.missing("runtimes.installed", "runtime commands (docker, dockerd, containerd, runc, crun, "
                                            "podman --version): not captured")
    _docker_runc(view, facts)


def _docker_client(view, facts, installed):
    run = view.command("docker --version")
    if run.ran and run.rc == 0:
        parsed = runtimes.parse_docker_version(run.stdout, run.stderr)
        installed.append("docker")
        facts.set("docker.client.podman_shim", parsed["podman_shim"])
        if parsed["version"]:
            facts.set("docker.client.version", parsed["version"])
            set_series(facts, "docker.client.series", parsed["version"])
        else:
            facts.missing("docker.client.version", "docker --version: unexpected output %r" % run.stdout[:60])
    else:
        reason = run.failure()
        facts.missing("docker.client.version", reason)
        facts.missing("docker.client.series", reason)
        if run.code == "not_found":
            facts.set("docker.client.podman_shim", False)
        else:
            facts.missing("docker.client.podman_shim", reason)


def _docker_runc(view, facts):
    """Kylin V10 / openEuler 20.03's own runc package, docker-runc (see rule runtime-docker-runc-conflict)."""
    run = view.command("docker-runc --version")
    if run.ran:
        facts.set("runtimes.docker_runc.installed", True)
        parsed = runtimes.parse_runc_version(run.stdout) if run.ok else {}
        if parsed.get("version"):
            facts.set("runtimes.docker_runc.version", parsed["version"])
        else:
            facts.missing("runtimes.docker_runc.version", run.failure() or "docker-runc --version: no version line")
    elif run.code == "not_found":
        facts.set("runtimes.docker_runc.installed", False)
        facts.missing("runtimes.docker_runc.version", run.failure())
    else:
        facts.missing("runtimes.docker_runc.installed", run.failure())
        facts.missing("runtimes.docker_runc.version", run.failure())

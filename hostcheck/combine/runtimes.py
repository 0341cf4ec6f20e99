"""Container runtimes and their versions: the docker client, dockerd, containerd, runc, crun,
podman, and Kylin's / openEuler's docker-runc. The engine's /version Components answer first,
the `--version` commands where the engine did not (or is on another machine). Also what makes
runtime CVEs reachable: containerd's CRI plugin and the modes of its state directories, the
engine's authorization plugins."""

from hostcheck.capture import probes
from hostcheck.combine._common import set_series
from hostcheck.parse import runtimes

FACTS = ("docker.client.version", "docker.client.series", "docker.client.podman_shim",
         "docker.dockerd.version", "runtimes.containerd.version", "runtimes.runc.version",
         "runtimes.runc.commit", "runtimes.crun.version", "runtimes.podman.version", "runtimes.installed",
         "runtimes.docker_runc.installed", "runtimes.docker_runc.version",
         "runtimes.containerd.cri_enabled", "runtimes.containerd.cri_evidence",
         "runtimes.containerd.root_mode", "runtimes.containerd.cri_state_mode", "docker.authz_plugins")
VERSION_COMMANDS = ("docker --version", "dockerd --version", "containerd --version", "runc --version",
                    "crun --version", "podman --version")
CONTAINERD_CONFIG = probes.CONTAINERD_CONFIG
CONTAINERD_ROOT, CRI_STATE_DIR = probes.CONTAINERD_STATE_DIRS[:2]
INPUTS = ("section:docker", "engine:/version", "engine:/info") + tuple("command:" + key for key in VERSION_COMMANDS) \
    + ("command:docker-runc --version", "command:rpm -q docker-runc", "file:" + CONTAINERD_CONFIG,
       "stat:" + CONTAINERD_ROOT, "stat:" + CRI_STATE_DIR)
PARSERS = (runtimes.engine_components, runtimes.parse_docker_version, runtimes.parse_containerd_version,
           runtimes.parse_runc_version, runtimes.parse_crun_version, runtimes.parse_podman_version,
           runtimes.parse_rpm_package, runtimes.containerd_disabled_plugins)


def build(view, facts):
    docker = view.section("docker")
    # A remote engine's Components are the other machine's: this host's come from its commands.
    components = runtimes.engine_components(view.responses().get("/version")) \
        if docker.get("error") is None and docker.get("local") is not False else {}
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
    _containerd_cri(view, facts)
    for fact, path in (("runtimes.containerd.root_mode", CONTAINERD_ROOT),
                       ("runtimes.containerd.cri_state_mode", CRI_STATE_DIR)):
        _mode(view, facts, fact, path)
    _authz_plugins(view, facts)


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
    """Kylin V10 / openEuler's own runc package, docker-runc (see rule runtime-docker-runc-conflict).

    openEuler's docker-runc installs /usr/bin/runc (its spec's %files), so there is no
    docker-runc binary to run there: the rpm database says whether the package is installed.
    Docker 17.x's bundled docker-runc binary is the other form."""
    run = view.command("docker-runc --version")
    rpm = view.command("rpm -q docker-runc")
    package = runtimes.parse_rpm_package(rpm.stdout, rpm.stderr) if rpm.ran else {}
    if run.ran:
        facts.set("runtimes.docker_runc.installed", True)
        parsed = runtimes.parse_runc_version(run.stdout) if run.ok else {}
        if parsed.get("version"):
            facts.set("runtimes.docker_runc.version", parsed["version"])
        elif "version" in package:
            facts.set("runtimes.docker_runc.version", package["version"])
        else:
            facts.missing("runtimes.docker_runc.version", run.failure() or "docker-runc --version: no version line")
    elif "name" in package:
        facts.set("runtimes.docker_runc.installed", True)
        facts.set("runtimes.docker_runc.version", package["version"])
    elif run.code == "not_found" and (package or not view.has_command("rpm -q docker-runc")
                                      or rpm.code == "not_found"):
        # No docker-runc binary, and rpm says the package is not installed (or there is no rpm).
        facts.set("runtimes.docker_runc.installed", False)
        facts.missing("runtimes.docker_runc.version", package.get("why") or run.failure())
    else:
        reason = run.failure() if run.code != "not_found" else rpm.failure()
        facts.missing("runtimes.docker_runc.installed", reason)
        facts.missing("runtimes.docker_runc.version", reason)


def _containerd_cri(view, facts):
    """Is containerd's CRI plugin in use? Only there are the CRI-only CVEs reachable.

    A config that disables it says no (docker-ce's containerd.io ships `disabled_plugins =
    ["cri"]`); the CRI plugin's state directory says yes (it creates it when it starts; /run
    is emptied at boot), its absence no; without the directory's stat, a config that leaves
    CRI alone says yes (containerd loads every plugin it is not told to skip)."""
    text, reason = view.file(CONTAINERD_CONFIG)
    disabled = runtimes.containerd_disabled_plugins(text) if text is not None else None
    if disabled is not None and any(plugin in runtimes.CRI_PLUGIN_IDS for plugin in disabled):
        facts.set("runtimes.containerd.cri_enabled", False)
        facts.set("runtimes.containerd.cri_evidence", "%s: disabled_plugins = [%s]" % (
            CONTAINERD_CONFIG, ", ".join('"%s"' % p for p in disabled)))
        return
    state = view.stat(CRI_STATE_DIR)
    if state is not None and state.get("type") == "directory":
        facts.set("runtimes.containerd.cri_enabled", True)
        facts.set("runtimes.containerd.cri_evidence", "%s exists (the CRI plugin has run since boot)" % CRI_STATE_DIR)
    elif state is not None and state.get("error") == "not_found":
        facts.set("runtimes.containerd.cri_enabled", False)
        facts.set("runtimes.containerd.cri_evidence", "no %s: no CRI plugin has run since boot" % CRI_STATE_DIR)
    elif text is not None:
        facts.set("runtimes.containerd.cri_enabled", True)
        facts.set("runtimes.containerd.cri_evidence", "%s does not disable the CRI plugin" % CONTAINERD_CONFIG)
    else:
        why = "CRI plugin: %s; stat %s: %s" % (reason, CRI_STATE_DIR, (state or {}).get("error", "not captured"))
        facts.missing("runtimes.containerd.cri_enabled", why)
        # The evidence is known even so: why it could not be told (the rules quote it).
        facts.set("runtimes.containerd.cri_evidence", why)


def _mode(view, facts, fact, path):
    entry = view.stat(path)
    if entry is None:
        facts.missing(fact, "stat %s: not captured" % path)
    elif isinstance(entry.get("mode"), str) and entry.get("type") == "directory":
        facts.set(fact, entry["mode"])
    elif entry.get("error") == "not_found":
        facts.missing(fact, "%s: not_found (no system containerd state there)" % path)
    else:
        facts.missing(fact, "stat %s: %s" % (path, entry.get("error") or entry.get("type") or "no mode"))


def _authz_plugins(view, facts):
    """/info Plugins.Authorization: the authorization plugins dockerd asks (null when none)."""
    if view.section("docker").get("error") is not None:
        facts.missing("docker.authz_plugins", "Docker engine not readable (%s)" % view.section("docker").get("error"))
        return
    info = view.responses().get("/info")
    plugins = info.get("Plugins") if isinstance(info, dict) else None
    if not isinstance(info, dict):
        facts.missing("docker.authz_plugins", "engine /info: not captured")
    elif not isinstance(plugins, dict) or "Authorization" not in plugins:
        facts.missing("docker.authz_plugins", "engine /info: no Plugins.Authorization")
    else:
        names = plugins.get("Authorization") or []
        facts.set("docker.authz_plugins", [n for n in names if isinstance(n, str)] if isinstance(names, list) else [])

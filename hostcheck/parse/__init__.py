"""Parsers: pure functions from captured text to facts.

`build_facts(capture)` walks a capture document (format hostcheck.capture/v1) and fills
every fact of hostcheck.facts.FACTS it can; every other fact is recorded as unknown
with a reason that names the source and its CODE ("runc --version: not_found"). It never
raises, whatever the input: one area that breaks on an odd capture leaves its facts
unknown ("internal parser error ...") and the other areas go on.

One module per source: osrelease, arch, kernel, binfmt, runtimes, iptables, firewalld,
mounts, dns, net, engine. Each has a "Sample output::" block from a real system and
doctests.
"""

import re

from hostcheck.facts import FACTS, Facts
from hostcheck.parse._source import CaptureView
from hostcheck.parse import (arch, binfmt, daemon, dns, engine, firewalld, iptables, kernel, mounts,
                             osrelease, routes, runtimes)

__all__ = ["build_facts"]


def build_facts(capture):
    """Capture document (any value; a dict when sane) -> hostcheck.facts.Facts."""
    facts = Facts()
    view = CaptureView(capture)
    state = {}  # what one area learns and a later one needs (kernel version, engine arch ...)
    for area, names, builder in _AREAS:
        try:
            builder(view, facts, state)
        except Exception as exc:  # one broken area must not lose the others
            reason = "internal parser error in %s (%s: %s)" % (area, type(exc).__name__, str(exc)[:200])
            for name in FACTS:
                if name.startswith(names) and not facts.known(name):
                    facts.missing(name, reason)
    for name in FACTS:
        if not facts.known(name) and name not in facts.unknown:
            facts.missing(name, "%s: not captured" % name)
    return facts


# --- host identity --------------------------------------------------------------------

def _uname(view):
    uname = view.section("uname")
    return {k: v for k, v in uname.items() if isinstance(v, str) and v}


def _build_host(view, facts, state):
    uname = _uname(view)
    if "nodename" in uname:
        facts.set("host.hostname", uname["nodename"])
    else:
        facts.missing("host.hostname", "uname: not captured")
    root = view.root
    euid = view.section("privileges").get("euid")
    if root is None:
        facts.missing("privileges.root", "privileges: not captured")
        facts.missing("privileges.uid", "privileges: not captured")
    else:
        facts.set("privileges.root", root)
        facts.set("privileges.uid", euid)


def _build_os(view, facts, state):
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
            if name.startswith("os."):
                facts.missing(name, "release files not read: the distro library is not installed "
                                    "(pip install 'distro>=1.7')")
        return
    why = _join_reasons(reasons)
    for fact, key in (("os.id", "id"), ("os.name", "name"), ("os.version", "version"),
                      ("os.codename", "codename"), ("os.service_pack", "service_pack")):
        if info.get(key):
            facts.set(fact, info[key])
        else:
            facts.missing(fact, why if not texts else "%s names no %s" % (", ".join(info["sources"]), key.replace("_", " ")))
    if texts:
        facts.set("os.like", info.get("like") or [])
    else:
        facts.missing("os.like", why)
    if texts:
        facts.set("os.family", info["family"])
        facts.set("os.package_manager", info["package_manager"])
    else:
        facts.missing("os.family", why)
        facts.missing("os.package_manager", why)


# --- architecture ---------------------------------------------------------------------

def _build_arch(view, facts, state):
    machine = _uname(view).get("machine")
    cpuinfo, cpu_reason = view.file("/proc/cpuinfo")
    cpu = arch.parse_cpuinfo(cpuinfo)
    for fact, key in (("cpu.vendor", "vendor"), ("cpu.model", "model")):
        if cpu[key]:
            facts.set(fact, cpu[key])
        else:
            facts.missing(fact, cpu_reason or "/proc/cpuinfo: no %s field" % key)
    if not machine:
        for name in ("arch.machine", "arch.platform", "arch.architecture", "arch.variant"):
            facts.missing(name, "uname: not captured")
    else:
        facts.set("arch.machine", machine)
        version_body = _responses(view).get("/version")
        engine_arch = version_body.get("Arch") if isinstance(version_body, dict) else None
        platform = arch.refine_mips64(arch.oci_platform(machine), engine_arch, cpu["vendor"])
        if platform is None:
            reason = "uname machine %r has no OCI platform" % machine
            for name in ("arch.platform", "arch.architecture", "arch.variant"):
                facts.missing(name, reason)
        else:
            facts.set("arch.platform", platform["platform"])
            facts.set("arch.architecture", platform["architecture"])
            if platform["variant"]:
                facts.set("arch.variant", platform["variant"])
            else:
                facts.missing("arch.variant", "%s has no variant" % platform["architecture"])
        if machine == "loongarch64":
            release = _kernel_release(view)
            world = arch.loongarch_world(kernel.normalise_release(release), cpuinfo)
            if world:
                facts.set("arch.loongarch_world", world)
            else:
                facts.missing("arch.loongarch_world", "kernel release and /proc/cpuinfo: not captured")
        else:
            facts.missing("arch.loongarch_world", "not a LoongArch host (%s)" % machine)
    run = view.command("getconf PAGESIZE")
    size = arch.parse_pagesize(run.stdout) if run.ok else None
    if size:
        facts.set("arch.page_size", size)
    else:
        facts.missing("arch.page_size", run.failure() or "getconf PAGESIZE: unexpected output %r" % (run.stdout or "")[:40])


# --- kernel ---------------------------------------------------------------------------

def _kernel_release(view):
    release = _uname(view).get("release")
    if release:
        return release
    text, _ = view.file("/proc/version")
    return kernel.release_from_proc_version(text)


def _build_kernel(view, facts, state):
    release = _kernel_release(view)
    if release:
        facts.set("kernel.release", release)
        version = kernel.normalise_release(release)
        if version:
            facts.set("kernel.version", version)
        else:
            facts.missing("kernel.version", "kernel release %r does not start with a version" % release)
    else:
        facts.missing("kernel.release", "uname and /proc/version: not captured")
        facts.missing("kernel.version", "uname and /proc/version: not captured")
    # The configuration: /proc/config.gz (stored decompressed), else /boot/config-<release>.
    # A /boot/config of another installed kernel says nothing about the running one.
    candidates = ["/proc/config.gz"]
    if release:
        candidates.append("/boot/config-%s" % release)
    config = None
    codes = []
    for path in candidates:
        text, reason = view.file(path)
        if text is not None and text.strip():
            config = kernel.parse_config(text)
            facts.set("kernel.config", config)
            facts.set("kernel.config_source", path)
            break
        codes.append(reason if text is None else "%s: empty" % path)
    if config is None:
        reason = _join_reasons(codes)
        facts.missing("kernel.config", reason)
        facts.missing("kernel.config_source", reason)
        facts.missing("kernel.config_enabled", reason)
    else:
        facts.set("kernel.config_enabled", sorted(k for k, v in config.items() if v in ("y", "m")))
    text, reason = view.file("/proc/cmdline")
    if text is not None:
        facts.set("kernel.cmdline", text.split())
    else:
        facts.missing("kernel.cmdline", reason)
    value, reason = _read_int(view, "/proc/sys/user/max_user_namespaces")
    if value is not None:
        facts.set("kernel.max_user_namespaces", value)
    else:
        facts.missing("kernel.max_user_namespaces", reason)
    # /proc/modules exists exactly when the kernel has CONFIG_MODULES: its absence is the
    # kernel's answer (no module support, not an error), whatever the configuration says.
    modules_text, modules_reason = view.file("/proc/modules")
    if modules_text is not None:
        facts.set("kernel.modules_supported", True)
        facts.set("kernel.modules", kernel.parse_modules(modules_text))
    elif view.file_code("/proc/modules") == "not_found":
        facts.set("kernel.modules_supported", False)
        facts.set("kernel.modules", [])
    else:
        facts.missing("kernel.modules_supported", modules_reason)
        facts.missing("kernel.modules", modules_reason)


def _join_reasons(reasons):
    """"/proc/config.gz: not_found", "/boot/config-6.1: not_found" -> one readable line."""
    reasons = [r for r in reasons if r]
    if not reasons:
        return "not captured"
    by_code = {}
    for reason in reasons:
        path, _, code = reason.partition(": ")
        by_code.setdefault(code, []).append(path)
    return "; ".join("%s: %s" % (" and ".join(paths), code) for code, paths in by_code.items())


# --- binfmt_misc ----------------------------------------------------------------------

def _build_binfmt(view, facts, state):
    mounts_text, mounts_reason = view.file("/proc/mounts")
    mounted, automount = binfmt.mount_state(mounts_text)
    if mounted is None:
        facts.missing("binfmt.mounted", mounts_reason)
        facts.missing("binfmt.automount", mounts_reason)
    else:
        facts.set("binfmt.mounted", mounted)
        facts.set("binfmt.automount", automount)
    status_text, status_reason = view.file(binfmt.MOUNTPOINT + "/status")
    status = binfmt.parse_status(status_text)
    if status is not None:
        facts.set("binfmt.enabled", status)
    elif mounted is False:
        why = "binfmt_misc not mounted%s" % (" (systemd automount, not triggered)" if automount else "")
        facts.missing("binfmt.enabled", why)
    else:
        facts.missing("binfmt.enabled", status_reason if status_text is None
                      else "%s/status: unexpected content" % binfmt.MOUNTPOINT)
    names, dir_reason = view.dir(binfmt.MOUNTPOINT)
    if names is None:
        if mounted is False:
            # Nothing mounted means nothing registered: an empty list is the truth.
            facts.set("binfmt.entries", [])
            facts.set("binfmt.platforms", [])
        else:
            facts.missing("binfmt.entries", dir_reason)
            facts.missing("binfmt.platforms", dir_reason)
        return
    entries = []
    for name in names:
        if name in ("register", "status"):
            continue
        text, _ = view.file("%s/%s" % (binfmt.MOUNTPOINT, name))
        if text is not None:
            entries.append(binfmt.parse_entry(name, text))
    _mark_persisted(view, entries)
    facts.set("binfmt.entries", entries)
    facts.set("binfmt.platforms", binfmt.served_platforms(entries, status))


# Where a registration is re-made at boot: systemd-binfmt reads *.conf in the binfmt.d
# directories; binfmt-support keeps one file per entry in /var/lib/binfmts.
BINFMT_BOOT_DIRS = ("/etc/binfmt.d", "/run/binfmt.d", "/usr/lib/binfmt.d", "/var/lib/binfmts")


def _mark_persisted(view, entries):
    """entry["persisted"]: a boot-time file names it (qemu-aarch64.conf, qemu-aarch64-static.conf,
    /var/lib/binfmts/qemu-aarch64); None when no such directory was listed at all."""
    names, listed = [], False
    for path in BINFMT_BOOT_DIRS:
        found, _ = view.dir(path)
        if found is not None:
            listed = True
            names.extend(found)
    for entry in entries:
        name = entry.get("name") or ""
        if not listed or not name:
            entry["persisted"] = None
            continue
        entry["persisted"] = any(n == name or n.startswith(name + ".") or n.startswith(name + "-")
                                 for n in names)


# --- runtimes -------------------------------------------------------------------------

def _responses(view):
    docker = view.section("docker")
    responses = docker.get("responses")
    return responses if isinstance(responses, dict) else {}


def _build_runtimes(view, facts, state):
    responses = _responses(view)
    components = runtimes.engine_components(responses.get("/version")) \
        if view.section("docker").get("error") is None else {}
    installed = []

    docker_run = view.command("docker --version")
    if docker_run.ran and docker_run.rc == 0:
        parsed = runtimes.parse_docker_version(docker_run.stdout, docker_run.stderr)
        installed.append("docker")
        facts.set("docker.client.podman_shim", parsed["podman_shim"])
        if parsed["version"]:
            facts.set("docker.client.version", parsed["version"])
            _set_series(facts, "docker.client.series", parsed["version"])
        else:
            facts.missing("docker.client.version", "docker --version: unexpected output %r" % docker_run.stdout[:60])
    else:
        reason = docker_run.failure()
        facts.missing("docker.client.version", reason)
        facts.missing("docker.client.series", reason)
        if docker_run.code == "not_found":
            facts.set("docker.client.podman_shim", False)
        else:
            facts.missing("docker.client.podman_shim", reason)

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
    keys = ("docker --version", "dockerd --version", "containerd --version", "runc --version",
            "crun --version", "podman --version")
    if installed or components or any(view.section("commands").get(k) is not None for k in keys):
        facts.set("runtimes.installed", sorted(set(installed)))
    else:
        # Nothing probed is not "nothing installed": say so instead of an empty inventory.
        facts.missing("runtimes.installed", "runtime commands (docker, dockerd, containerd, runc, crun, "
                                            "podman --version): not captured")
    _build_runc_changelog(view, facts)
    _build_docker_runc(view, facts)


RUNC_CHANGELOGS = ("/usr/share/doc/runc/changelog.Debian.gz", "/usr/share/doc/runc/changelog.Debian")
CONTAINERD_CHANGELOGS = ("/usr/share/doc/containerd/changelog.Debian.gz",
                         "/usr/share/doc/containerd/changelog.Debian")


def _build_runc_changelog(view, facts):
    _build_changelog(view, facts, "runtimes.runc", "runc", RUNC_CHANGELOGS, "rpm -q --changelog runc")
    _build_changelog(view, facts, "runtimes.containerd", "containerd", CONTAINERD_CHANGELOGS,
                     "rpm -q --changelog containerd.io containerd")


def _build_changelog(view, facts, prefix, package, deb_paths, rpm_key):
    """<prefix>.changelog_cves / .changelog_source from the Debian changelog, else `rpm -q --changelog`.

    rpm asked for several packages prints "package X is not installed" (and exits 1) for each
    missing one, beside the changelog of the one that is there."""
    reasons = []
    for path in deb_paths:
        text, reason = view.file(path)
        if text is not None and text.strip():
            facts.set(prefix + ".changelog_cves", runtimes.changelog_cves(text))
            facts.set(prefix + ".changelog_source", path)
            return
        if view.has_file(path):
            reasons.append(reason or "%s: empty" % path)
    run = view.command(rpm_key)
    if run.ran:
        lines = (run.stdout or "").splitlines()
        missing = [line.split()[1] for line in lines if re.match(r"^package \S+ is not installed", line)]
        body = "\n".join(line for line in lines if not re.match(r"^package \S+ is not installed", line))
        if body.strip() and (run.rc == 0 or missing):
            facts.set(prefix + ".changelog_cves", runtimes.changelog_cves(body))
            facts.set(prefix + ".changelog_source", rpm_key)
            return
        if missing:
            reasons.append("%s: package %s is not installed" % (rpm_key, " and ".join(missing)))
        else:
            reasons.append(run.failure() or "%s: empty" % rpm_key)
    elif view.section("commands").get(rpm_key) is not None:
        reasons.append(run.failure())
    reason = ("no %s changelog (%s)" % (package, "; ".join(reasons)) if reasons
              else "no %s changelog captured" % package)
    facts.missing(prefix + ".changelog_cves", reason)
    facts.missing(prefix + ".changelog_source", reason)


def _build_docker_runc(view, facts):
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


# --- iptables and firewalld -----------------------------------------------------------

def _build_iptables(view, facts, state):
    run = view.command("iptables --version")
    version, backend = iptables.parse_version(run.stdout) if run.ok else (None, None)
    if version:
        facts.set("iptables.version", version)
    else:
        facts.missing("iptables.version", run.failure() or "iptables --version: unexpected output")
    save = view.command("iptables-save")
    tables = iptables.parse_save(save.stdout) if save.ok else None
    if backend is None and save.ok:
        # iptables-save's header names the backend too: "# Generated by iptables-save v1.8.9 (nf_tables)"
        if "(nf_tables)" in save.stdout:
            backend = "nf_tables"
        elif "(legacy)" in save.stdout:
            backend = "legacy"
    if backend:
        facts.set("iptables.backend", backend)
    else:
        facts.missing("iptables.backend", run.failure() or "iptables --version: no backend named")
    if tables is None:
        reason = save.failure()
        for name in ("iptables.tables", "iptables.chains", "iptables.masquerade_sources"):
            facts.missing(name, reason)
    else:
        facts.set("iptables.tables", tables)
        facts.set("iptables.chains", iptables.chain_names(tables))
        facts.set("iptables.masquerade_sources", iptables.masquerade_sources(tables))
    for fact, key in (("iptables.legacy_rule_count", "iptables-legacy-save"),
                      ("iptables.nft_rule_count", "iptables-nft-save")):
        run = view.command(key)
        if run.ok:
            facts.set(fact, iptables.rule_count(iptables.parse_save(run.stdout)))
        else:
            facts.missing(fact, run.failure())


def _build_firewalld(view, facts, state):
    run = view.command("firewall-cmd --state")
    status = None
    if run.ran:
        status = firewalld.parse_state(run.stdout)
        if status is None:
            facts.missing("firewalld.state", run.failure() or "firewall-cmd --state: unexpected output %r"
                          % (run.stdout or "")[:60])
    elif run.code == "not_found":
        status = "not_installed"
    elif run.code == "not_running":
        status = "not_running"  # answered from the process table, without running firewall-cmd
    else:
        facts.missing("firewalld.state", run.failure())
    if status:
        facts.set("firewalld.state", status)
    if status in ("not_installed", "not_running"):
        facts.set("firewalld.zones", {})
        facts.set("firewalld.docker_zone", False)
        return
    zones_run = view.command("firewall-cmd --get-active-zones")
    if zones_run.ran and (zones_run.rc == 0 or zones_run.stdout.strip()):
        zones = firewalld.parse_active_zones(zones_run.stdout)
        facts.set("firewalld.zones", zones)
        facts.set("firewalld.docker_zone", "docker" in zones)
    else:
        reason = zones_run.failure() or "firewall-cmd --get-active-zones: no output"
        facts.missing("firewalld.zones", reason)
        facts.missing("firewalld.docker_zone", reason)


# --- sysctl, network, dns -------------------------------------------------------------

def _read_int(view, path):
    text, reason = view.file(path)
    if text is None:
        return None, reason
    word = text.strip()
    if word.lstrip("-").isdigit():
        return int(word), None
    return None, "%s: unexpected content %r" % (path, word[:40])


def _build_sysctl(view, facts, state):
    value, reason = _read_int(view, "/proc/sys/net/ipv4/ip_forward")
    if value is None:
        facts.missing("sysctl.ip_forward", reason)
    else:
        facts.set("sysctl.ip_forward", value)
    path = "/proc/sys/net/bridge/bridge-nf-call-iptables"
    value, reason = _read_int(view, path)
    text, _ = view.file(path)
    if text is not None:
        facts.set("sysctl.bridge_nf_present", True)
    if value is not None:
        facts.set("sysctl.bridge_nf_call_iptables", value)
    elif view.file_code(path) == "not_found":
        facts.set("sysctl.bridge_nf_present", False)
        facts.missing("sysctl.bridge_nf_call_iptables", "br_netfilter not loaded (file absent)")
    else:
        facts.missing("sysctl.bridge_nf_call_iptables", reason)
    if not facts.known("sysctl.bridge_nf_present"):
        facts.missing("sysctl.bridge_nf_present", reason)


def _build_net(view, facts, state):
    run = view.command("ip -j route")
    table = routes.parse_ip_route(run.stdout) if run.ok else None
    if table is None:
        text, reason = view.file("/proc/net/route")
        if text is not None:
            table = routes.parse_proc_route(text)
        else:
            facts.missing("net.routes", "%s; %s" % (run.failure() or "ip -j route: not JSON", reason))
    if table is not None:
        facts.set("net.routes", table)
    run = view.command("ip -j addr")
    interfaces = routes.parse_ip_addr(run.stdout) if run.ok else None
    if interfaces is None:
        facts.missing("net.interfaces", run.failure() or "ip -j addr: not JSON (iproute2 too old for -j?)")
    else:
        facts.set("net.interfaces", interfaces)


def _build_dns(view, facts, state):
    text, reason = view.file("/etc/resolv.conf")
    if text is None:
        for name in ("dns.nameservers", "dns.stub_resolver", "dns.upstream_nameservers"):
            facts.missing(name, reason)
        return
    servers = dns.parse_nameservers(text)
    facts.set("dns.nameservers", servers)
    stub = dns.is_stub(servers)
    facts.set("dns.stub_resolver", stub)
    resolved_text, resolved_reason = view.file("/run/systemd/resolve/resolv.conf")
    if stub and resolved_text is None:
        if view.file_code("/run/systemd/resolve/resolv.conf") == "not_found":
            # Docker then copies the stub, drops it as loopback, and containers get none.
            facts.set("dns.upstream_nameservers", [])
        else:
            facts.missing("dns.upstream_nameservers", resolved_reason)
        return
    resolved = dns.parse_nameservers(resolved_text) if resolved_text is not None else None
    facts.set("dns.upstream_nameservers", dns.upstream(servers, resolved))


# --- cgroups, mounts ------------------------------------------------------------------

def _build_mounts(view, facts, state):
    text, reason = view.file("/proc/mounts")
    if text is None:
        facts.missing("mounts", reason)
        facts.missing("cgroup.mode", reason)
        return
    table = mounts.parse_mounts(text)
    facts.set("mounts", table)
    mode = mounts.cgroup_mode(table)
    if mode:
        facts.set("cgroup.mode", mode)
    else:
        facts.missing("cgroup.mode", "/proc/mounts: no cgroup or cgroup2 filesystem mounted")
    path = "/sys/fs/cgroup/cgroup.controllers"
    controllers, reason = view.file(path)
    if controllers is not None:
        facts.set("cgroup.controllers", controllers.split())
    elif view.file_code(path) == "not_found":
        facts.missing("cgroup.controllers", "not a cgroup v2 host (no %s)" % path)
    else:
        facts.missing("cgroup.controllers", reason)


# --- engine, daemon.json, socket, storage ---------------------------------------------

ENGINE_FACTS = ("docker.version", "docker.api_version", "docker.storage_driver", "docker.backing_fs",
                "docker.supports_d_type", "docker.cgroup_driver", "docker.cgroup_version",
                "docker.root_dir", "docker.security_options", "docker.warnings", "docker.containers",
                "docker.networks", "docker.images", "docker.min_api_version", "docker.series",
                "docker.swap_limit", "docker.memory_limit", "docker.live_restore", "docker.swarm_state",
                "docker.dm_loop")
# /info keys (parse.engine.parse_info) -> facts; absent keys are unknown with the reason.
INFO_FACTS = (("docker.storage_driver", "storage_driver"), ("docker.backing_fs", "backing_fs"),
              ("docker.supports_d_type", "supports_d_type"), ("docker.cgroup_driver", "cgroup_driver"),
              ("docker.cgroup_version", "cgroup_version"), ("docker.root_dir", "root_dir"),
              ("docker.security_options", "security_options"), ("docker.warnings", "warnings"),
              ("docker.swap_limit", "swap_limit"), ("docker.memory_limit", "memory_limit"),
              ("docker.live_restore", "live_restore"), ("docker.swarm_state", "swarm_state"))


def _build_engine(view, facts, state):
    docker = view.doc.get("docker")
    dockerd = view.command("dockerd --version")
    dockerd_installed = True if dockerd.ran or dockerd.code == "skipped" else \
        (False if dockerd.code == "not_found" else None)
    engine_state, reason = engine.engine_state(docker, dockerd_installed)
    if engine_state:
        facts.set("docker.state", engine_state)
    else:
        facts.missing("docker.state", reason)
    endpoint = docker.get("endpoint") if isinstance(docker, dict) else None
    if isinstance(endpoint, str) and endpoint:
        facts.set("docker.endpoint", endpoint)
    else:
        facts.missing("docker.endpoint", "Docker engine endpoint: not captured")
    if engine_state != "running":
        for name in ENGINE_FACTS:
            facts.missing(name, reason)
    else:
        _build_engine_running(view, facts, state)
    _build_daemon_json(view, facts)
    _build_daemon_setup(view, facts, engine_state, state)
    _build_socket(view, facts, endpoint)
    _build_storage(view, facts)


def _build_engine_running(view, facts, state):
    responses = _responses(view)
    version = responses.get("/version")
    if isinstance(version, dict):
        for fact, key in (("docker.version", "Version"), ("docker.api_version", "ApiVersion"),
                          ("docker.min_api_version", "MinAPIVersion")):
            if isinstance(version.get(key), str) and version[key]:
                facts.set(fact, version[key])
            else:
                facts.missing(fact, "engine /version: no %s" % key)
    else:
        for name in ("docker.version", "docker.api_version", "docker.min_api_version"):
            facts.missing(name, "engine /version: not captured")
    if facts.known("docker.version"):
        _set_series(facts, "docker.series", facts.get("docker.version"))
    else:
        facts.missing("docker.series", facts.reason("docker.version"))
    info_body = responses.get("/info")
    info = engine.parse_info(info_body)
    info.update(engine.info_settings(info_body))
    if info["dm_loop"] is not None:
        facts.set("docker.dm_loop", info["dm_loop"])
    else:
        facts.missing("docker.dm_loop", "storage driver %s, not devicemapper" % (info["storage_driver"] or "unknown"))
    for fact, key in INFO_FACTS:
        if info[key] is not None:
            facts.set(fact, info[key])
        elif not isinstance(info_body, dict):
            facts.missing(fact, "engine /info: not captured")
        else:
            facts.missing(fact, "engine /info: no %s" % key)
    state["engine_root_dir"] = info["root_dir"]
    state["logging_driver"] = info["logging_driver"]
    container_list = None
    if isinstance(responses.get("/containers/json?all=1"), list):
        container_list = engine.containers(responses)
        facts.set("docker.containers", container_list)
    else:
        facts.missing("docker.containers", "engine /containers/json?all=1: not captured")
    if isinstance(responses.get("/networks"), list):
        facts.set("docker.networks", engine.networks(responses, container_list))
    else:
        facts.missing("docker.networks", "engine /networks: not captured")
    if isinstance(responses.get("/images/json"), list):
        facts.set("docker.images", engine.images(responses))
    else:
        facts.missing("docker.images", "engine /images/json: not captured")


def _build_daemon_json(view, facts):
    path = "/etc/docker/daemon.json"
    text, reason = view.file(path)
    if text is None:
        facts.missing("docker.daemon_json", reason)
        if view.file_code(path) == "not_found":
            facts.set("docker.iptables", True)  # no file: dockerd's default manages iptables
        else:
            facts.missing("docker.iptables", reason)
        return
    config, error = engine.parse_daemon_json(text)
    if config is None:
        facts.missing("docker.daemon_json", error)
        facts.missing("docker.iptables", error)
        return
    facts.set("docker.daemon_json", config)
    value = config.get("iptables", True)
    if isinstance(value, bool):
        facts.set("docker.iptables", value)
    else:
        facts.missing("docker.iptables", "%s: \"iptables\" is %r, not true/false" % (path, value))


_API_WARNING = re.compile(r"API is accessible on (?:https?|tcp)://(\S+?) without encryption")


def _build_daemon_setup(view, facts, engine_state, state):
    """dockerd's flags (unit, drop-ins, environment files), API addresses, TLS, log settings."""
    json_code = view.file_code("/etc/docker/daemon.json")
    config = facts.get("docker.daemon_json") or {}
    json_unreadable = not facts.known("docker.daemon_json") and json_code != "not_found"
    units = [p for p in daemon.UNIT_FILES if view.has_file(p)]
    unit_texts = [view.file(p)[0] for p in units]
    unit_texts = [t for t in unit_texts if t is not None][:1]
    unit_texts += [view.file(p)[0] for p in view.files_matching(daemon.DROPIN_DIR + "/") if p.endswith(".conf")]
    env = {}
    for path in daemon.ENV_FILES:
        env.update(daemon.parse_env_file(view.file(path)[0]))
    args = daemon.dockerd_args(unit_texts, env)
    state["unit_dockerd"] = daemon.exec_start(unit_texts)
    unit_binary = (state["unit_dockerd"] or "").split()[:1]
    if args is not None:
        facts.set("docker.unit_args", args)
        facts.set("docker.unit_cmdline", daemon.join_argv(unit_binary + args))
    else:
        reason = ("no docker.service unit with an ExecStart (%s)" % ", ".join(units) if units
                  else "docker.service: not captured")
        facts.missing("docker.unit_args", reason)
        facts.missing("docker.unit_cmdline", reason)
    # The running dockerd's own command line, when the process table has it, is what is in
    # effect now: it wins over the unit (edited since, or dockerd started by hand).
    processes = view.section("processes").get("items")
    running = daemon.running_dockerd(processes if isinstance(processes, list) else [],
                                     view.section("docker").get("endpoint"), config)
    state["running_dockerd"] = running
    if running is not None:
        args = running["args"]
        facts.set("docker.daemon_args", args)
        facts.set("docker.daemon_args_source", "pid %s" % running["pid"])
        facts.set("docker.daemon_cmdline", daemon.join_argv([running["binary"]] + args))
    elif args is not None:
        facts.set("docker.daemon_args", args)
        read = [p for p in units if view.file(p)[0] is not None][:1]
        read += [p for p in view.files_matching(daemon.DROPIN_DIR + "/") if p.endswith(".conf")
                 and view.file(p)[0] is not None]
        facts.set("docker.daemon_args_source", ", ".join(read))
        facts.set("docker.daemon_cmdline", facts.get("docker.unit_cmdline"))
    else:
        reason = ("no docker.service unit with an ExecStart (%s)" % ", ".join(units) if units
                  else "docker.service: not captured")
        for name in ("docker.daemon_args", "docker.daemon_args_source", "docker.daemon_cmdline"):
            facts.missing(name, reason)
    flag_settings = daemon.settings_from_args(args or [])
    if isinstance(flag_settings.get("iptables"), bool):
        facts.set("docker.iptables", flag_settings["iptables"])
    if json_unreadable:
        reason = facts.reason("docker.daemon_json")
        for name in ("docker.tcp_hosts", "docker.tls_verify", "docker.log_driver", "docker.log_max_size",
                     "docker.daemon_settings"):
            facts.missing(name, reason)
        return
    if args is not None or facts.known("docker.daemon_json") or json_code == "not_found":
        settings = dict(config)
        settings.update(flag_settings)
        facts.set("docker.daemon_settings", settings)
    else:
        facts.missing("docker.daemon_settings", "daemon.json and dockerd's flags: not captured")
    hosts = daemon.tcp_hosts(daemon.api_hosts(config, args or [],
                                              "running dockerd -H" if running is not None else "dockerd -H"))
    seen = set((h["host"], h["port"]) for h in hosts)

    def add(host, port, source):
        if (host, port) not in seen:
            seen.add((host, port))
            hosts.append({"address": "tcp://%s:%s" % (host, port), "source": source, "host": host,
                          "port": port, "loopback": daemon.is_loopback(host)})

    listeners = view.doc.get("listeners")
    for item in listeners if isinstance(listeners, list) else []:
        if isinstance(item, dict) and item.get("name") == "dockerd" and str(item.get("proto", "")).startswith("tcp"):
            ip = item.get("ip") or "0.0.0.0"
            add("0.0.0.0" if ip == "::" else ip, item.get("port"), "dockerd listening socket")
    for warning in facts.get("docker.warnings") or []:
        match = _API_WARNING.search(warning)
        if match:
            host, _, port = match.group(1).rpartition(":")
            add(host.strip("[]") or "0.0.0.0", int(port) if port.isdigit() else None, "engine /info warning")
    if args is None and not units and not facts.known("docker.daemon_json") and json_code is None:
        facts.missing("docker.tcp_hosts", "docker.service and daemon.json: not captured")
    else:
        facts.set("docker.tcp_hosts", hosts)
    facts.set("docker.tls_verify", daemon.tls_verify(config, args or []))
    driver, max_size = daemon.log_settings(config, args or [])
    driver = (state.get("logging_driver") if engine_state == "running" else None) or driver or "json-file"
    facts.set("docker.log_driver", driver)
    facts.set("docker.log_max_size", max_size or "")


# --- security modules -----------------------------------------------------------------

APPARMOR_PARSERS = ("/sbin/apparmor_parser", "/usr/sbin/apparmor_parser")


def _build_security(view, facts, state):
    path = "/sys/fs/selinux/enforce"
    text, reason = view.file(path)
    word = text.strip() if text is not None else None
    if word in ("0", "1"):
        facts.set("security.selinux", "enforcing" if word == "1" else "permissive")
    elif view.file_code(path) == "not_found":
        facts.set("security.selinux", "disabled")    # no selinuxfs: SELinux is off or not built in
    else:
        facts.missing("security.selinux", reason or "%s: unexpected content %r" % (path, word[:20]))
    path = "/sys/module/apparmor/parameters/enabled"
    text, reason = view.file(path)
    word = text.strip() if text is not None else None
    if word in ("Y", "N"):
        facts.set("security.apparmor", word == "Y")
    elif view.file_code(path) == "not_found":
        facts.set("security.apparmor", False)       # the module is not in this kernel
    else:
        facts.missing("security.apparmor", reason or "%s: unexpected content %r" % (path, word[:20]))
    # apparmor_parser: a stat of its usual paths, or `apparmor_parser --version`.
    stats = [view.stat(p) for p in APPARMOR_PARSERS]
    run = view.command("apparmor_parser --version")
    if any(s is not None and "error" not in s for s in stats) or run.ran:
        facts.set("security.apparmor_parser", True)
    elif (all(s is not None and s.get("error") == "not_found" for s in stats)
          or run.code == "not_found"):
        facts.set("security.apparmor_parser", False)
    else:
        facts.missing("security.apparmor_parser", "apparmor_parser: not captured (no stat of %s)"
                      % " or ".join(APPARMOR_PARSERS))


def _socket_path(endpoint):
    if isinstance(endpoint, str) and endpoint.startswith("unix://"):
        return endpoint[len("unix://"):]
    return "/var/run/docker.sock"


def _build_socket(view, facts, endpoint):
    path = _socket_path(endpoint)
    entry = view.stat(path) or view.stat("/var/run/docker.sock") or view.stat("/run/docker.sock")
    if entry is None:
        reason = "stat %s: not captured" % path
    elif "error" in entry:
        reason = "stat %s: %s" % (path, entry.get("error"))
    else:
        reason = None
    mode = entry.get("mode") if entry and reason is None else None
    if isinstance(mode, str) and mode:
        facts.set("docker.socket.mode", mode)
    else:
        facts.missing("docker.socket.mode", reason or "stat %s: no mode" % path)
    gid = entry.get("gid") if entry and reason is None else None
    if isinstance(gid, int) and not isinstance(gid, bool):
        facts.set("docker.socket.gid", gid)
    else:
        facts.missing("docker.socket.gid", reason or "stat %s: no gid" % path)


STORAGE_KEYS = (("storage.root_free_bytes", "free_bytes"), ("storage.root_total_bytes", "total_bytes"),
                ("storage.root_free_inodes", "free_inodes"), ("storage.root_total_inodes", "total_inodes"))


def _build_storage(view, facts):
    root = facts.get("docker.root_dir")
    data_root = (facts.get("docker.daemon_settings") or {}).get("data-root")
    if not root and isinstance(data_root, str) and data_root.startswith("/"):
        candidates = [data_root]  # /var/lib/docker is not the Docker root then: no stand-in
    else:
        candidates = [p for p in (root, "/var/lib/docker") if p]
    entry = None
    for path in candidates:
        entry = view.statvfs(path)
        if entry is not None:
            break
    if entry is None or "error" in entry:
        reason = "statvfs %s: %s" % (candidates[0], entry.get("error") if entry else "not captured")
        for fact, _ in STORAGE_KEYS:
            facts.missing(fact, reason)
        return
    for fact, key in STORAGE_KEYS:
        value = entry.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            facts.set(fact, value)
        else:
            facts.missing(fact, "statvfs %s: no %s" % (path, key))
    for fact, source in (("storage.root_free_gib", "storage.root_free_bytes"),
                         ("storage.root_total_gib", "storage.root_total_bytes")):
        if facts.known(source):
            facts.set(fact, round(facts.get(source) / float(1 << 30), 1))
        else:
            facts.missing(fact, facts.reason(source))
    for fact, free, total, what in (("storage.root_free_percent", "storage.root_free_bytes",
                                     "storage.root_total_bytes", "size"),
                                    ("storage.root_free_inodes_percent", "storage.root_free_inodes",
                                     "storage.root_total_inodes", "inode count")):
        if facts.known(free) and facts.get(total):
            facts.set(fact, round(100.0 * facts.get(free) / facts.get(total), 1))
        elif facts.known(total):
            # btrfs and zfs report 0 inodes: they allocate them on demand.
            facts.missing(fact, "statvfs %s: the filesystem reports no %s" % (path, what))
        else:
            facts.missing(fact, facts.reason(total))


# --- processes ------------------------------------------------------------------------

def _process_names(section):
    """Names from the capture's "processes" section, in any of the shapes it may take:
    {"names": [...]}, {"list"|"processes"|"items": [{"name": ...} | "name"]},
    or {pid: {"name": ...} | "name"}."""
    names = set()

    def add(item):
        if isinstance(item, str) and item:
            names.add(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
            names.add(item["name"])

    for key in ("names", "list", "processes", "items"):
        if isinstance(section.get(key), list):
            for item in section[key]:
                add(item)
            return sorted(names)
    for key, item in section.items():
        if isinstance(key, str) and key.isdigit():
            add(item)
    return sorted(names)


def _build_processes(view, facts, state):
    section = view.doc.get("processes")
    if section is None:
        facts.missing("processes.names", "process table: not captured (psutil not available)")
        return
    if not isinstance(section, dict):
        facts.missing("processes.names", "process table: unreadable capture entry")
        return
    if "error" in section and not any(k in section for k in ("names", "list", "processes", "items")):
        facts.missing("processes.names", "process table: %s" % section.get("error"))
        return
    facts.set("processes.names", _process_names(section))


# (area, fact-name prefixes it owns, builder). Order matters where one area reads another's facts.
_AREAS = (
    ("host", ("host.", "privileges."), _build_host),
    ("os", ("os.",), _build_os),
    ("arch", ("arch.", "cpu."), _build_arch),
    ("kernel", ("kernel.",), _build_kernel),
    ("binfmt", ("binfmt.",), _build_binfmt),
    ("runtimes", ("runtimes.", "docker.client.", "docker.dockerd."), _build_runtimes),
    ("iptables", ("iptables.",), _build_iptables),
    ("firewalld", ("firewalld.",), _build_firewalld),
    ("sysctl", ("sysctl.",), _build_sysctl),
    ("net", ("net.",), _build_net),
    ("dns", ("dns.",), _build_dns),
    ("mounts", ("mounts", "cgroup."), _build_mounts),
    ("engine", ("docker.", "storage."), _build_engine),
    ("processes", ("processes.",), _build_processes),
    ("security", ("security.",), _build_security),
)


# --- helpers added with the catalogue rules ---------------------------------------------

def _set_series(facts, name, version):
    """major.minor of a version string ("20.10.24+dfsg1" -> "20.10"); unknown when it has none."""
    import re
    match = re.match(r"^v?(\d+)\.(\d+)", version or "")
    if match:
        facts.set(name, "%d.%d" % (int(match.group(1)), int(match.group(2))))
    else:
        facts.missing(name, "version %r has no major.minor" % version)


# Derived host network facts (subnet overlaps, egress MTU, dockerd's proxy, zone
# conflicts) read the facts of the areas above, so they come last.
from hostcheck.parse import installs, netcheck  # noqa: E402

_AREAS += (("installs", installs.FACTS, installs.build),)

_AREAS += (("netcheck", netcheck.FACT_PREFIXES,
            lambda view, facts, state: netcheck.build(view, facts, state, _responses(view))),)

"""The machine: uname's architecture as an OCI platform, the CPU, the page size, and which
LoongArch world (old or new ABI) the host is."""

from hostcheck.parse import arch

FACTS = ("arch.machine", "arch.platform", "arch.architecture", "arch.variant", "arch.page_size",
         "arch.loongarch_world", "cpu.vendor", "cpu.model")
INPUTS = ("section:uname", "file:/proc/cpuinfo", "engine:/version", "command:getconf PAGESIZE",
          "kernel.version")
PARSERS = (arch.parse_cpuinfo, arch.oci_platform, arch.refine_mips64, arch.loongarch_world,
           arch.parse_pagesize)


def build(view, facts):
    machine = view.uname().get("machine")
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
        _platform(view, facts, machine, cpu)
        if machine == "loongarch64":
            world = arch.loongarch_world(facts.get("kernel.version"), cpuinfo)
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
        facts.missing("arch.page_size", run.failure() or "getconf PAGESIZE: unexpected output %r"
                      % (run.stdout or "")[:40])


def _platform(view, facts, machine, cpu):
    version_body = view.responses().get("/version")
    engine_arch = version_body.get("Arch") if isinstance(version_body, dict) else None
    # uname says "mips64" for both byte orders: the engine's Arch or the CPU tells them apart.
    platform = arch.refine_mips64(arch.oci_platform(machine), engine_arch, cpu["vendor"])
    if platform is None:
        reason = "uname machine %r has no OCI platform" % machine
        for name in ("arch.platform", "arch.architecture", "arch.variant"):
            facts.missing(name, reason)
        return
    facts.set("arch.platform", platform["platform"])
    facts.set("arch.architecture", platform["architecture"])
    if platform["variant"]:
        facts.set("arch.variant", platform["variant"])
    else:
        facts.missing("arch.variant", "%s has no variant" % platform["architecture"])

"""The running kernel: release, configuration, command line, modules, user namespaces."""

from hostcheck.combine._common import join_reasons
from hostcheck.parse import kernel

FACTS = ("kernel.release", "kernel.version", "kernel.config", "kernel.config_source",
         "kernel.config_enabled", "kernel.cmdline", "kernel.max_user_namespaces",
         "kernel.modules_supported", "kernel.modules")
INPUTS = ("section:uname", "file:/proc/version", "file:/proc/config.gz", "file:/boot/config-<release>",
          "file:/proc/cmdline", "file:/proc/sys/user/max_user_namespaces", "file:/proc/modules")
PARSERS = (kernel.release_from_proc_version, kernel.normalise_release, kernel.parse_config,
           kernel.parse_modules)


def build(view, facts):
    release = view.uname().get("release")
    if not release:
        text, _ = view.file("/proc/version")
        release = kernel.release_from_proc_version(text)
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
    _config(view, facts, release)
    text, reason = view.file("/proc/cmdline")
    if text is not None:
        facts.set("kernel.cmdline", text.split())
    else:
        facts.missing("kernel.cmdline", reason)
    value, reason = view.int_file("/proc/sys/user/max_user_namespaces")
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


def _config(view, facts, release):
    # The configuration: /proc/config.gz (stored decompressed), else /boot/config-<release>.
    # A /boot/config of another installed kernel says nothing about the running one.
    candidates = ["/proc/config.gz"]
    if release:
        candidates.append("/boot/config-%s" % release)
    codes = []
    for path in candidates:
        text, reason = view.file(path)
        if text is not None and text.strip():
            config = kernel.parse_config(text)
            facts.set("kernel.config", config)
            facts.set("kernel.config_source", path)
            facts.set("kernel.config_enabled", sorted(k for k, v in config.items() if v in ("y", "m")))
            return
        codes.append(reason if text is None else "%s: empty" % path)
    reason = join_reasons(codes)
    for name in ("kernel.config", "kernel.config_source", "kernel.config_enabled"):
        facts.missing(name, reason)

"""Security modules: SELinux's mode, AppArmor in the kernel, and apparmor_parser (needed to
load docker-default)."""

from hostcheck.capture.probes import APPARMOR_PARSERS

FACTS = ("security.selinux", "security.apparmor", "security.apparmor_parser")
SELINUX_ENFORCE = "/sys/fs/selinux/enforce"
APPARMOR_ENABLED = "/sys/module/apparmor/parameters/enabled"
INPUTS = ("file:" + SELINUX_ENFORCE, "file:" + APPARMOR_ENABLED) \
    + tuple("stat:" + path for path in APPARMOR_PARSERS)
PARSERS = ()


def build(view, facts):
    text, reason = view.file(SELINUX_ENFORCE)
    word = text.strip() if text is not None else None
    if word in ("0", "1"):
        facts.set("security.selinux", "enforcing" if word == "1" else "permissive")
    elif view.file_code(SELINUX_ENFORCE) == "not_found":
        facts.set("security.selinux", "disabled")    # no selinuxfs: SELinux is off or not built in
    else:
        facts.missing("security.selinux", reason or "%s: unexpected content %r" % (SELINUX_ENFORCE, word[:20]))
    text, reason = view.file(APPARMOR_ENABLED)
    word = text.strip() if text is not None else None
    if word in ("Y", "N"):
        facts.set("security.apparmor", word == "Y")
    elif view.file_code(APPARMOR_ENABLED) == "not_found":
        facts.set("security.apparmor", False)       # the module is not in this kernel
    else:
        facts.missing("security.apparmor", reason or "%s: unexpected content %r" % (APPARMOR_ENABLED, word[:20]))
    # apparmor_parser: a stat of its usual paths.
    stats = [view.stat(p) for p in APPARMOR_PARSERS]
    if any(s is not None and "error" not in s for s in stats):
        facts.set("security.apparmor_parser", True)
    elif all(s is not None and s.get("error") == "not_found" for s in stats):
        facts.set("security.apparmor_parser", False)
    else:
        facts.missing("security.apparmor_parser", "apparmor_parser: not captured (no stat of %s)"
                      % " or ".join(APPARMOR_PARSERS))

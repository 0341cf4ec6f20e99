"""Kernel networking switches Docker depends on: IPv4 forwarding and br_netfilter."""

FACTS = ("sysctl.ip_forward", "sysctl.bridge_nf_call_iptables", "sysctl.bridge_nf_present")
BRIDGE_NF = "/proc/sys/net/bridge/bridge-nf-call-iptables"
INPUTS = ("file:/proc/sys/net/ipv4/ip_forward", "file:" + BRIDGE_NF)
PARSERS = ()


def build(view, facts):
    value, reason = view.int_file("/proc/sys/net/ipv4/ip_forward")
    if value is None:
        facts.missing("sysctl.ip_forward", reason)
    else:
        facts.set("sysctl.ip_forward", value)
    value, reason = view.int_file(BRIDGE_NF)
    text, _ = view.file(BRIDGE_NF)
    if text is not None:
        facts.set("sysctl.bridge_nf_present", True)
    if value is not None:
        facts.set("sysctl.bridge_nf_call_iptables", value)
    elif view.file_code(BRIDGE_NF) == "not_found":
        facts.set("sysctl.bridge_nf_present", False)
        facts.missing("sysctl.bridge_nf_call_iptables", "br_netfilter not loaded (file absent)")
    else:
        facts.missing("sysctl.bridge_nf_call_iptables", reason)
    if not facts.known("sysctl.bridge_nf_present"):
        facts.missing("sysctl.bridge_nf_present", reason)

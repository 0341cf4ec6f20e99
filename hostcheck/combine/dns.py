"""The host's nameservers, and the ones Docker will hand its containers (systemd-resolved's
upstream file when /etc/resolv.conf only names the 127.0.0.53 stub)."""

from hostcheck.parse import dns

FACTS = ("dns.nameservers", "dns.stub_resolver", "dns.upstream_nameservers")
RESOLVED = "/run/systemd/resolve/resolv.conf"
INPUTS = ("file:/etc/resolv.conf", "file:" + RESOLVED)
PARSERS = (dns.parse_nameservers, dns.is_stub, dns.upstream)


def build(view, facts):
    text, reason = view.file("/etc/resolv.conf")
    if text is None:
        for name in FACTS:
            facts.missing(name, reason)
        return
    servers = dns.parse_nameservers(text)
    facts.set("dns.nameservers", servers)
    stub = dns.is_stub(servers)
    facts.set("dns.stub_resolver", stub)
    resolved_text, resolved_reason = view.file(RESOLVED)
    if stub and resolved_text is None:
        if view.file_code(RESOLVED) == "not_found":
            # Docker then copies the stub, drops it as loopback, and containers get none.
            facts.set("dns.upstream_nameservers", [])
        else:
            facts.missing("dns.upstream_nameservers", resolved_reason)
        return
    resolved = dns.parse_nameservers(resolved_text) if resolved_text is not None else None
    facts.set("dns.upstream_nameservers", dns.upstream(servers, resolved))

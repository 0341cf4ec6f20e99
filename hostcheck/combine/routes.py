"""The host's routes and interfaces (ip -j route / ip -j addr; /proc/net/route without iproute2's JSON)."""

from hostcheck.parse import routes

FACTS = ("net.routes", "net.interfaces")
INPUTS = ("command:ip -j route", "file:/proc/net/route", "command:ip -j addr")
PARSERS = (routes.parse_ip_route, routes.parse_proc_route, routes.parse_ip_addr)


def build(view, facts):
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

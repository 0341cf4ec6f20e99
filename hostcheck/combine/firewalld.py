"""firewalld: whether it runs, its active zones, and whether a zone named docker exists."""

from hostcheck.parse import firewalld

FACTS = ("firewalld.state", "firewalld.zones", "firewalld.docker_zone")
INPUTS = ("command:firewall-cmd --state", "command:firewall-cmd --get-active-zones")
PARSERS = (firewalld.parse_state, firewalld.parse_active_zones)


def build(view, facts):
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

"""firewalld: whether it runs, its active zones, whether a zone named docker exists, every
zone's settings (firewall-cmd --list-all-zones) and firewalld.conf's StrictForwardPorts."""

from hostcheck.capture.probes import FIREWALLD_CONF as CONF
from hostcheck.parse import firewalld

FACTS = ("firewalld.state", "firewalld.zones", "firewalld.docker_zone", "firewalld.zone_settings",
         "firewalld.strict_forward_ports")
INPUTS = ("command:firewall-cmd --state", "command:firewall-cmd --get-active-zones",
          "command:firewall-cmd --list-all-zones", "file:" + CONF)
PARSERS = (firewalld.parse_state, firewalld.parse_active_zones, firewalld.parse_zone_list,
           firewalld.parse_conf, firewalld.strict_forward_ports)


def build(view, facts):
    _strict_forward_ports(view, facts)
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
        facts.set("firewalld.zone_settings", {})
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
    listing = view.command("firewall-cmd --list-all-zones")
    settings = firewalld.parse_zone_list(listing.stdout) if listing.ok else {}
    if settings:
        facts.set("firewalld.zone_settings", settings)
    else:
        facts.missing("firewalld.zone_settings", listing.failure() or "firewall-cmd --list-all-zones: no zone listed")


def _strict_forward_ports(view, facts):
    text, reason = view.file(CONF)
    if text is not None:
        facts.set("firewalld.strict_forward_ports", firewalld.strict_forward_ports(firewalld.parse_conf(text)))
    elif view.file_code(CONF) == "not_found":
        facts.set("firewalld.strict_forward_ports", False)     # firewalld's fallback: off
    else:
        facts.missing("firewalld.strict_forward_ports", reason)

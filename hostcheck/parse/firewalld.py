"""firewalld: daemon state, active zones, every zone's settings, and firewalld.conf.

Sample output::

    $ firewall-cmd --state; echo rc=$?        # D-Bus up, firewalld stopped
    not running
    rc=252
    [root@centos7 ~]# firewall-cmd --get-active-zones      # dockerd started under firewalld
    docker
      interfaces: docker0
    public
      interfaces: enp0s3

    [azureuser@centos79 ~]$ sudo firewall-cmd --zone=public --list-all   # firewalld/firewalld#869
    public (active)
      target: default
      icmp-block-inversion: no
      interfaces: eth0
      sources:
      services: dhcpv6-client ssh
      ports: 22222/tcp 10051/tcp
      protocols:
      masquerade: no
      forward-ports:
      source-ports:
      icmp-blocks:
      rich rules:

>>> zones = parse_active_zones("docker\\n  interfaces: docker0\\ninternal\\n  sources: 192.168.64.0/24\\n")
>>> zones["docker"], zones["internal"]["sources"]
({'interfaces': ['docker0'], 'sources': []}, ['192.168.64.0/24'])
"""


def parse_state(stdout):
    """`firewall-cmd --state` stdout -> "running" | "not_running" | None."""
    if not isinstance(stdout, str):
        return None
    word = stdout.strip().lower()
    if word == "running":
        return "running"
    if word == "not running":
        return "not_running"
    return None


def parse_active_zones(text):
    """`firewall-cmd --get-active-zones` -> {zone: {interfaces: [...], sources: [...]}}.

    Zone names start a line; their attributes are indented "key: words". Newer
    firewalld may append " (default)" to a zone name; it is dropped.
    """
    zones = {}
    if not isinstance(text, str):
        return zones
    zone = None
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if not raw[0].isspace():
            name = raw.strip().split()[0]
            zone = zones.setdefault(name, {"interfaces": [], "sources": []})
            continue
        if zone is None:
            continue
        key, sep, value = raw.strip().partition(":")
        if sep and key.strip() in ("interfaces", "sources"):
            zone[key.strip()].extend(value.split())
    return zones


# `firewall-cmd --list-all-zones` prints these "key: words" lines under each zone; the
# list-valued ones are split into words.
_ZONE_LISTS = ("interfaces", "sources", "services", "ports", "protocols", "source-ports", "icmp-blocks")


def parse_zone_list(text):
    """`firewall-cmd --list-all-zones` (or one zone's `--list-all`) -> {zone: settings}.

    settings: {target, interfaces, sources, services, ports, protocols, forward_ports,
    rich_rules, default, active}. firewalld >= 0.6 marks a zone "(default, active)"
    (src/firewall/command.py print_zone_policy_info); forward-ports and rich rules continue
    on lines of their own indented with a tab.

    >>> zones = parse_zone_list("docker (active)\\n  target: ACCEPT\\n  interfaces: br-07d0391e2b4b docker0\\n"
    ...                         "  ports: \\n  forward-ports: \\n\\tport=80:proto=tcp:toport=8080:toaddr=\\n"
    ...                         "public (default, active)\\n  services: ssh docker-swarm\\n  protocols: esp\\n")
    >>> zones["docker"]["target"], zones["docker"]["interfaces"], zones["docker"]["forward_ports"]
    ('ACCEPT', ['br-07d0391e2b4b', 'docker0'], ['port=80:proto=tcp:toport=8080:toaddr='])
    >>> zones["public"]["default"], zones["public"]["active"], zones["public"]["services"], zones["public"]["protocols"]
    (True, True, ['ssh', 'docker-swarm'], ['esp'])
    """
    zones = {}
    if not isinstance(text, str):
        return zones
    zone, continued = None, None
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if raw.startswith("\t") and zone is not None and continued:
            zone[continued].append(raw.strip())
            continue
        if not raw[0].isspace():
            words = raw.strip().split(None, 1)
            marks = words[1].strip("()").replace(",", " ").split() if len(words) > 1 else []
            zone = zones.setdefault(words[0], {
                "target": None, "interfaces": [], "sources": [], "services": [], "ports": [],
                "protocols": [], "forward_ports": [], "rich_rules": [],
                "default": "default" in marks, "active": "active" in marks})
            continued = None
            continue
        if zone is None:
            continue
        key, sep, value = raw.strip().partition(":")
        key = key.strip()
        if not sep:
            continue
        continued = None
        if key in _ZONE_LISTS:
            zone[key.replace("-", "_")] = value.split()
        elif key == "target":
            zone["target"] = value.strip() or None
        elif key in ("forward-ports", "rich rules"):
            continued = "forward_ports" if key == "forward-ports" else "rich_rules"
            if value.strip():
                zone[continued].append(value.strip())
    return zones


def parse_conf(text):
    """firewalld.conf -> {KEY: value}, read as firewalld reads it (firewalld_conf.py: "#" and
    ";" start comments, a line is KEY=VALUE with exactly one "=").

    >>> parse_conf("# StrictForwardPorts\\n# Defaults to \\"no\\".\\nStrictForwardPorts=yes\\nFirewallBackend=nftables\\n")
    {'StrictForwardPorts': 'yes', 'FirewallBackend': 'nftables'}
    """
    found = {}
    if not isinstance(text, str):
        return found
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        pair = [part.strip() for part in line.split("=")]
        if len(pair) == 2 and pair[0]:
            found[pair[0]] = pair[1]
    return found


def strict_forward_ports(conf):
    """StrictForwardPorts as firewalld 2.3+ takes it (src/firewall/core/fw.py): "no" or
    "false" (any case) is off, any other value on; absent means the fallback, off.

    >>> strict_forward_ports({"StrictForwardPorts": "yes"}), strict_forward_ports({}), strict_forward_ports({"StrictForwardPorts": "False"})
    (True, False, False)
    """
    value = (conf or {}).get("StrictForwardPorts")
    if not value:
        return False
    return value.lower() not in ("no", "false")

"""firewalld: daemon state and active zones.

Sample output::

    $ firewall-cmd --state; echo rc=$?        # D-Bus up, firewalld stopped
    not running
    rc=252
    [root@centos7 ~]# firewall-cmd --get-active-zones      # dockerd started under firewalld
    docker
      interfaces: docker0
    public
      interfaces: enp0s3

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

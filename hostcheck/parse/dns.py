"""resolv.conf: nameservers, the systemd-resolved stub, and what Docker hands containers.

Sample output::

    $ cat /etc/resolv.conf           # Ubuntu 22.04 with systemd-resolved (comments cut)
    nameserver 127.0.0.53
    options edns0 trust-ad
    search .
    $ cat /run/systemd/resolve/resolv.conf
    nameserver 10.0.2.3
    search .

>>> parse_nameservers("# comment\\r\\nnameserver 127.0.0.53\\r\\noptions edns0 trust-ad\\r\\n")
['127.0.0.53']
>>> is_stub(["127.0.0.53"]), upstream(["127.0.0.53"], ["10.0.2.3"])
(True, ['10.0.2.3'])
"""

import ipaddress

STUB = "127.0.0.53"


def parse_nameservers(text):
    """nameserver lines in file order; comments (# or ;) and junk are skipped."""
    servers = []
    if not isinstance(text, str):
        return servers
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            servers.append(words[1])
    return servers


def is_stub(nameservers):
    """/etc/resolv.conf names only systemd-resolved's stub listener."""
    return nameservers == [STUB]


def _is_loopback(address):
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def upstream(host_nameservers, resolved_nameservers=None):
    """Nameservers Docker gives containers on the default bridge.

    dockerd reads /run/systemd/resolve/resolv.conf when /etc/resolv.conf holds only the
    stub (moby libnetwork/resolvconf), then drops loopback addresses a container cannot
    reach. An empty answer means containers fall back to Docker's default public DNS.
    """
    chosen = host_nameservers
    if is_stub(host_nameservers) and resolved_nameservers is not None:
        chosen = resolved_nameservers
    return [ns for ns in chosen if not _is_loopback(ns)]

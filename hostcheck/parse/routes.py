"""Routes and interfaces: `ip -j route`, `ip -j addr`, fallback /proc/net/route.

Sample output::

    $ ip -j route                    # Debian 12 VM, before dockerd
    [{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},{"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]}]
    $ cat /proc/net/route
    Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
    eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
    eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0

>>> parse_proc_route("Iface\\tDestination\\tGateway\\tFlags\\tRefCnt\\tUse\\tMetric\\tMask\\n"
...                  "eth0\\t00000000\\t010200C0\\t0003\\t0\\t0\\t0\\t00000000\\n")
[{'dst': 'default', 'dev': 'eth0', 'gateway': '192.0.2.1', 'metric': 0}]
"""

import ipaddress
import json


def _load_json_list(text):
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def parse_ip_route(text):
    """`ip -j route` -> [{dst, dev, gateway, metric}], None when the text is not ip's JSON."""
    data = _load_json_list(text)
    if data is None:
        return None
    routes = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("dst"), str):
            continue
        metric = item.get("metric")
        routes.append({
            "dst": item["dst"],
            "dev": item.get("dev") if isinstance(item.get("dev"), str) else None,
            "gateway": item.get("gateway") if isinstance(item.get("gateway"), str) else None,
            "metric": metric if isinstance(metric, int) and not isinstance(metric, bool) else 0,
        })
    return routes


def parse_ip_addr(text):
    """`ip -j addr` -> [{name, mtu, state, addresses: ["10.0.0.2/24", ...]}], None when not JSON."""
    data = _load_json_list(text)
    if data is None:
        return None
    interfaces = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("ifname"), str):
            continue
        addresses = []
        for info in item.get("addr_info") or []:
            if isinstance(info, dict) and isinstance(info.get("local"), str) \
                    and isinstance(info.get("prefixlen"), int):
                addresses.append("%s/%d" % (info["local"], info["prefixlen"]))
        mtu = item.get("mtu")
        interfaces.append({
            "name": item["ifname"],
            "mtu": mtu if isinstance(mtu, int) and not isinstance(mtu, bool) else None,
            "state": item.get("operstate") if isinstance(item.get("operstate"), str) else None,
            "addresses": addresses,
        })
    return interfaces


def _hex_ipv4(value):
    # /proc/net/route prints addresses as host-order (little-endian on x86/arm) hex words.
    number = int(value, 16)
    return str(ipaddress.IPv4Address(int.from_bytes(number.to_bytes(4, "little"), "big")))


def parse_proc_route(text):
    """/proc/net/route -> [{dst, dev, gateway, metric}] (IPv4 only)."""
    routes = []
    if not isinstance(text, str):
        return routes
    for line in text.splitlines()[1:]:
        words = line.split()
        if len(words) < 8:
            continue
        try:
            dest, gateway, mask = _hex_ipv4(words[1]), _hex_ipv4(words[2]), _hex_ipv4(words[7])
            metric = int(words[6])
        except (ValueError, OverflowError):
            continue
        if dest == "0.0.0.0" and mask == "0.0.0.0":
            dst = "default"
        else:
            dst = str(ipaddress.ip_network("%s/%s" % (dest, mask), strict=False))
        routes.append({"dst": dst, "dev": words[0],
                       "gateway": gateway if gateway != "0.0.0.0" else None, "metric": metric})
    return routes

"""Compose `ports:` and `expose:` entries, short and long syntax, into published bindings.

Short syntax as docker reads it (go-connections' ParsePortSpec, which compose uses):
`[[HOST_IP:][HOST_PORT[-END]]:]CONTAINER_PORT[-END][/PROTOCOL]`; an IPv6 host address in
brackets (`[::1]:8080:80`); a host range with a single container port lets the engine pick one
free port of the range. Long syntax: `target`, `published`, `host_ip`, `protocol`, `mode`.

>>> [str(b) for b in parse_port("127.0.0.1:8080:80/udp")]
['127.0.0.1:8080->80/udp']
>>> [str(b) for b in parse_port("8000-8002:8000-8002")]
['0.0.0.0:8000->8000/tcp', '0.0.0.0:8001->8001/tcp', '0.0.0.0:8002->8002/tcp']
>>> [str(b) for b in parse_port({"target": 3000, "published": "80", "host_ip": "::"})]
['[::]:80->3000/tcp']
>>> [str(b) for b in parse_port("9000")], [str(b) for b in parse_port("12400-12500:1240")]
(['(ephemeral)->9000/tcp'], ['0.0.0.0:12400-12500->1240/tcp'])
>>> parse_port("8000-8001:80-82")
Traceback (most recent call last):
...
ValueError: port '8000-8001:80-82': host and container ranges differ in length
"""

import ipaddress

PROTOCOLS = ("tcp", "udp", "sctp")
MAX_BINDINGS = 1024        # one entry's range expanded no further


class Binding(object):
    """One published port: host address ('' for all), host port (None: the engine picks an
    ephemeral one) or a host range of which the engine picks one, container port, protocol."""

    __slots__ = ("host_ip", "host_port", "host_end", "target", "protocol", "text")

    def __init__(self, host_ip, host_port, target, protocol, host_end=None, text=""):
        self.host_ip, self.host_port, self.host_end = host_ip or "", host_port, host_end
        self.target, self.protocol, self.text = target, protocol, text

    @property
    def shown_ip(self):
        ip = self.host_ip or "0.0.0.0"
        return "[%s]" % ip if ":" in ip else ip

    def host_side(self):
        if self.host_port is None:
            return "%s:(ephemeral)" % self.shown_ip if self.host_ip else "(ephemeral)"
        if self.host_end is not None:
            return "%s:%d-%d" % (self.shown_ip, self.host_port, self.host_end)
        return "%s:%d" % (self.shown_ip, self.host_port)

    def __str__(self):
        return "%s->%d/%s" % (self.host_side(), self.target, self.protocol)

    def __repr__(self):
        return "Binding(%s)" % self


def _range(text, what, entry):
    text = str(text).strip()
    low, dash, high = text.partition("-")
    try:
        start = int(low)
        end = int(high) if dash else start
    except ValueError:
        raise ValueError("port %r: %r is not a %s port or range" % (entry, text, what))
    if not (0 < start <= 65535 and 0 < end <= 65535) or end < start:
        raise ValueError("port %r: %s port %r is out of range (1-65535)" % (entry, what, text))
    return start, end


def _host_ip(text, entry):
    text = (text or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not text:
        return ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError("port %r: %r is not an IP address" % (entry, text))


def _bindings(entry, host_ip, published, target, protocol):
    protocol = (protocol or "tcp").lower()
    if protocol not in PROTOCOLS:
        raise ValueError("port %r: protocol %r (expected tcp, udp or sctp)" % (entry, protocol))
    first, last = _range(target, "container", entry)
    text = str(entry)
    if published in (None, ""):
        return [Binding(host_ip, None, port, protocol, text=text) for port in range(first, last + 1)][:MAX_BINDINGS]
    low, high = _range(published, "host", entry)
    if first == last and high > low:
        return [Binding(host_ip, low, first, protocol, host_end=high, text=text)]
    if high - low != last - first:
        raise ValueError("port %r: host and container ranges differ in length" % (entry,))
    count = min(last - first + 1, MAX_BINDINGS)
    return [Binding(host_ip, low + offset, first + offset, protocol, text=text) for offset in range(count)]


def parse_port(entry):
    """[Binding] of one `ports:` entry (a string, a number or a long-syntax mapping);
    ValueError with one line when docker would refuse it."""
    if isinstance(entry, bool):
        raise ValueError("port %r is not a port" % (entry,))
    if isinstance(entry, int):
        return _bindings(entry, "", None, entry, "tcp")
    if isinstance(entry, dict):
        if entry.get("target") in (None, ""):
            raise ValueError("port %r: long syntax needs `target`" % (entry,))
        return _bindings(_long_text(entry), _host_ip(entry.get("host_ip"), entry), entry.get("published"),
                         entry["target"], entry.get("protocol"))
    if not isinstance(entry, str) or not entry.strip():
        raise ValueError("port %r is not a port" % (entry,))
    raw = entry.strip()
    body, _, protocol = raw.partition("/")
    parts = body.split(":")
    container = parts[-1]
    if len(parts) == 1:
        host_ip, published = "", None
    elif len(parts) == 2:
        host_ip, published = "", parts[0]
    elif len(parts) == 3:
        host_ip, published = parts[0], parts[1]
    else:                                    # an IPv6 address without brackets
        host_ip, published = ":".join(parts[:-2]), parts[-2]
    return _bindings(raw, _host_ip(host_ip, raw), published or None, container, protocol or "tcp")


def _long_text(entry):
    parts = [str(entry.get(key)) for key in ("host_ip", "published") if entry.get(key) not in (None, "")]
    text = ":".join(parts + [str(entry["target"])])
    return text + ("/%s" % entry["protocol"] if entry.get("protocol") else "")


def parse_expose(entry):
    """[(port, protocol)] of an `expose:` entry or an EXPOSE word: 8080, "8080/udp", "8000-8002"."""
    text = str(entry).strip()
    body, _, protocol = text.partition("/")
    protocol = (protocol or "tcp").lower()
    if protocol not in PROTOCOLS:
        raise ValueError("expose %r: protocol %r (expected tcp, udp or sctp)" % (entry, protocol))
    first, last = _range(body, "exposed", entry)
    return [(port, protocol) for port in range(first, min(last, first + MAX_BINDINGS - 1) + 1)]

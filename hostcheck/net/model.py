"""What the network trees need to know about containers, ports and rules: pure functions
of a capture document and its facts (nothing here touches the host).

Everything is read from what the capture recorded: the Engine API's lists and inspects,
iptables-save, firewall-cmd, `ip -j addr/route`, each running container's socket tables
(/proc/<pid>/net/tcp ...) and resolv.conf, and the owners of the host's listening sockets
(psutil, when the capture had it).
"""

import shlex

from hostcheck.parse import dns as dns_parse
from hostcheck.parse import sockets as sockets_parse
from hostcheck.parse._source import CaptureView

DEFAULT_BRIDGE = "bridge"
DEFAULT_MTU = 1500          # Docker's bridge MTU unless daemon.json "mtu" or a network option says otherwise
TABLES = ("tcp", "tcp6", "udp", "udp6")


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


class NetView(object):
    """The capture and its facts, indexed for the network trees."""

    def __init__(self, capture, facts):
        self.capture = CaptureView(capture)
        self.facts = facts
        self.containers = _list(facts.get("docker.containers"))
        self.networks = _list(facts.get("docker.networks"))
        self.responses = _dict(_dict(self.capture.doc.get("docker")).get("responses"))
        self.tables = _dict(facts.get("iptables.tables"))
        self.little_endian = sockets_parse.little_endian(facts.get("arch.machine"))

    # ------------------------------------------------------------ engine objects
    @property
    def engine_running(self):
        return self.facts.get("docker.state") == "running"

    def find_container(self, ref):
        """The container named `ref` (with or without '/'), or whose id starts with it; None."""
        ref = (ref or "").lstrip("/")
        if not ref:
            return None
        for container in self.containers:
            if container.get("name") == ref or container.get("id") == ref:
                return container
        matches = [c for c in self.containers if len(ref) >= 3 and (c.get("id") or "").startswith(ref)]
        return matches[0] if len(matches) == 1 else None

    def container_names(self):
        return sorted(c["name"] for c in self.containers if c.get("name"))

    def inspect(self, container):
        return _dict(self.responses.get("/containers/%s/json" % container.get("id")))

    def network(self, name_or_id):
        for network in self.networks:
            if name_or_id in (network.get("name"), network.get("id")):
                return network
        return None

    def container_networks(self, container):
        """[(endpoint, network)] of a container's endpoints (network None when not listed)."""
        return [(endpoint, self.network(endpoint.get("network_id")) or self.network(endpoint.get("name")))
                for endpoint in container.get("networks") or []]

    def container_by_ip(self, ip):
        for container in self.containers:
            for endpoint in container.get("networks") or []:
                if endpoint.get("ip") == ip:
                    return container
        return None

    # ------------------------------------------------------------ sockets
    def container_sockets(self, container):
        """(listening sockets of the container's network namespace, None) or (None, reason)."""
        pid = container.get("pid")
        if not pid:
            return None, "container %s has no process (state %s)" % (container.get("name"), container.get("state"))
        found, reasons = [], []
        for table in TABLES:
            text, reason = self.capture.file("/proc/%d/net/%s" % (pid, table))
            if text is None:
                reasons.append(reason)
                continue
            found.extend(sockets_parse.parse_table(text, table, self.little_endian))
        if reasons and len(reasons) == len(TABLES):
            return None, "; ".join(reasons)
        return found, None

    def host_sockets(self):
        """Listening sockets of the host's own namespace (/proc/net/*), None when not captured."""
        found, any_read = [], False
        for table in TABLES:
            text, _ = self.capture.file("/proc/net/%s" % table)
            if text is not None:
                any_read = True
                found.extend(sockets_parse.parse_table(text, table, self.little_endian))
        return found if any_read else None

    def listeners(self):
        """psutil's owners of listening sockets [{proto, ip, port, pid, name}], None when not captured."""
        value = self.capture.doc.get("listeners")
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else None

    def listeners_reason(self):
        error = _dict(self.capture.doc.get("listeners_error"))
        if error:
            return "owners of listening sockets: %s" % (error.get("detail") or error.get("error"))
        return "owners of listening sockets: not captured (psutil not available)"

    # ------------------------------------------------------------ resolv.conf
    def container_nameservers(self, container):
        path = container.get("resolv_conf_path")
        if not path:
            return None, "container %s: no ResolvConfPath in inspect" % container.get("name")
        text, reason = self.capture.file(path)
        if text is None:
            return None, reason
        return dns_parse.parse_nameservers(text), None

    # ------------------------------------------------------------ ports
    def port_bindings(self, container):
        """[{private, proto, host_ip, host_port}] the container asked for (HostConfig.PortBindings,
        which a container that failed to start still has), plus what the engine reports bound."""
        result, seen = [], set()

        def add(private, proto, host_ip, host_port):
            key = (private, proto, host_ip or "", host_port)
            if key not in seen:
                seen.add(key)
                result.append({"private": private, "proto": proto, "host_ip": host_ip or "",
                               "host_port": host_port})

        for port in container.get("ports") or []:
            if isinstance(port.get("public"), int):
                add(port["private"], port.get("type") or "tcp", port.get("ip"), port["public"])
        inspect = self.inspect(container)
        for key, bindings in sorted(_dict(_dict(inspect.get("HostConfig")).get("PortBindings")).items()):
            number, _, proto = key.partition("/")
            if not number.isdigit():
                continue
            for binding in _list(bindings):
                host_port = _dict(binding).get("HostPort")
                if isinstance(host_port, str) and host_port.isdigit():
                    add(int(number), proto or "tcp", _dict(binding).get("HostIp"), int(host_port))
        return result

    def exposed_ports(self, container):
        """[(port, proto)] the image or `--expose` declares (Config.ExposedPorts) and the list shows."""
        ports = set()
        inspect = self.inspect(container)
        for key in _dict(_dict(inspect.get("Config")).get("ExposedPorts")):
            number, _, proto = key.partition("/")
            if number.isdigit():
                ports.add((int(number), proto or "tcp"))
        for port in container.get("ports") or []:
            if isinstance(port.get("private"), int):
                ports.add((port["private"], port.get("type") or "tcp"))
        return sorted(ports)

    def env_keys(self, container):
        """Names of the container's environment variables (values are redacted at capture)."""
        keys = []
        for item in _list(_dict(self.inspect(container).get("Config")).get("Env")):
            if isinstance(item, str) and "=" in item:
                keys.append(item.split("=", 1)[0])
        return keys

    # ------------------------------------------------------------ iptables
    def chain_rules(self, table, chain):
        """Parsed rules of one chain ([] when the chain is absent)."""
        rules = _dict(_dict(self.tables.get(table)).get(chain)).get("rules") or []
        return [parse_rule(chain, rule) for rule in rules if isinstance(rule, str)]

    def chain_policy(self, table, chain):
        return _dict(_dict(self.tables.get(table)).get(chain)).get("policy")


_FIELDS = {"-i": "in", "--in-interface": "in", "-o": "out", "--out-interface": "out",
           "-p": "proto", "--protocol": "proto", "-s": "source", "--source": "source",
           "-d": "destination", "--destination": "destination",
           "--dport": "dport", "--destination-port": "dport", "--dports": "dport",
           "-j": "target", "--jump": "target", "-g": "target", "--goto": "target",
           "--to-destination": "to"}


def parse_rule(chain, text):
    """One iptables-save rule (the text after "-A CHAIN") -> dict; a negated word keeps its "!".

    {"chain", "rule": "-A CHAIN text", "in", "out", "proto", "source", "destination",
    "dport", "target", "to", "to_ip", "to_port"}: the words as written, None when absent
    (hostcheck/judge/netmatch.py matches them).

    >>> rule = parse_rule("DOCKER", "! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80")
    >>> rule["in"], rule["proto"], rule["dport"], rule["target"], rule["to_ip"], rule["to_port"]
    ('!docker0', 'tcp', '8080', 'DNAT', '172.17.0.2', '80')
    >>> parse_rule("DOCKER", "-p tcp --dport 8000:8100 -j DNAT --to-destination [fd00::2]:8000-8100")["to_ip"]
    'fd00::2'
    """
    text = text if isinstance(text, str) else ""
    try:
        words = shlex.split(text)
    except ValueError:          # an unbalanced quote in a --comment
        words = text.split()
    found = dict.fromkeys(("in", "out", "proto", "source", "destination", "dport", "target",
                           "to", "to_ip", "to_port"))
    found.update({"chain": chain, "rule": ("-A %s %s" % (chain, text)).strip()})
    negate = False
    for index, word in enumerate(words):
        if word == "!":
            negate = True
            continue
        field = _FIELDS.get(word)
        if field and index + 1 < len(words) and found[field] is None:
            found[field] = ("!" if negate else "") + words[index + 1]
        negate = False
    destination = found["to"]
    if destination:
        host, _, port = destination.rpartition(":")
        if host and port and (host.endswith("]") or ":" not in host):
            found["to_ip"], found["to_port"] = host.strip("[]"), port
        else:
            found["to_ip"] = destination.strip("[]")
    return found


def show_socket(sock):
    ip = sock["ip"]
    if ":" in ip:
        ip = "[%s]" % ip
    return "%s:%d/%s" % (ip, sock["port"], sock["proto"])

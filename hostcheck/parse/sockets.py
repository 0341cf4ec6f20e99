"""Socket tables of a network namespace: /proc/[pid/]net/{tcp,tcp6,udp,udp6}.

Each address is hex in the host's byte order: an IPv4 address is one 32-bit word,
an IPv6 address four of them; the port is big-endian hex. On a little-endian host
(x86_64, aarch64, loongarch64, mips64el) 0100007F:0CEA is 127.0.0.1:3306.

Sample output::

    $ cat /proc/5957/net/tcp      # a busybox httpd container on a user network (this machine)
      sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
       0: 0B00007F:9511 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 28760 1 000000007b52258b 100 0 0 10 0
    $ cat /proc/5957/net/tcp6
      sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
       0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 28411 1 00000000a007f6f5 100 0 0 10 0

>>> text = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\\n"
...         "   0: 0B00007F:9511 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 28760 1\\n")
>>> parse_table(text, "tcp")
[{'proto': 'tcp', 'ip': '127.0.0.11', 'port': 38161}]
>>> hex_address("0100007F:0CEA")
('127.0.0.1', 3306)
"""

import ipaddress

TCP_LISTEN = "0A"
UDP_UNCONNECTED = "07"  # TCP_CLOSE: a bound, unconnected UDP socket (one that receives)

# uname -m of hosts whose /proc/net hex words are big-endian.
BIG_ENDIAN_MACHINES = ("s390x", "s390", "mips64", "mips", "ppc64", "ppc", "sparc64")


def little_endian(machine):
    """True unless `machine` (uname -m) is a big-endian architecture; None/"" → True."""
    return machine not in BIG_ENDIAN_MACHINES


def _word(hex_word, little):
    raw = bytes.fromhex(hex_word)
    return raw[::-1] if little else raw


def hex_address(text, little=True):
    """"0100007F:0CEA" -> ("127.0.0.1", 3306); IPv6 (32 hex digits) likewise; ValueError when malformed."""
    address, _, port = text.partition(":")
    if len(address) == 8:
        ip = ipaddress.IPv4Address(_word(address, little))
    elif len(address) == 32:
        ip = ipaddress.IPv6Address(b"".join(_word(address[i:i + 8], little) for i in range(0, 32, 8)))
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
    else:
        raise ValueError("not a /proc/net address: %r" % text)
    return str(ip), int(port, 16)


def parse_table(text, proto, little=True):
    """Listening sockets of one table: [{proto, ip, port}] in table order, duplicates removed.

    `proto` is the table's name (tcp, tcp6, udp, udp6). TCP sockets count in state LISTEN,
    UDP sockets when bound and unconnected. Malformed lines are skipped.
    """
    wanted = TCP_LISTEN if proto.startswith("tcp") else UDP_UNCONNECTED
    sockets, seen = [], set()
    if not isinstance(text, str):
        return sockets
    for line in text.splitlines()[1:]:
        words = line.split()
        if len(words) < 4 or words[3].upper() != wanted:
            continue
        try:
            ip, port = hex_address(words[1], little)
            _, remote_port = hex_address(words[2], little)
        except ValueError:
            continue
        if proto.startswith("udp") and remote_port:
            continue
        key = (ip, port)
        if key not in seen:
            seen.add(key)
            sockets.append({"proto": proto, "ip": ip, "port": port})
    return sockets


def is_loopback(ip):
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def is_wildcard(ip):
    return ip in ("0.0.0.0", "::")

"""A network namespace's listening sockets through netlink sock_diag (stdlib, Python 3.6).

Why: reading /proc/<pid>/net/tcp (and tcp6) makes the kernel walk its whole
established-connection hash, about 5 ms each with 262144 buckets, whatever the namespace
holds, and every container has a namespace of its own: the capture paid ~10 ms per running
container. A sock_diag dump that asks for LISTEN sockets only walks the listening hash and
skips the established one (inet_diag_dump_icsk); one for unconnected UDP sockets walks the
small UDP hash. All four tables of a namespace: ~0.1 ms.

A netlink socket answers for the namespace it was created in. The socket for a container's
namespace is created by a thread that enters it (setns(2) on /proc/<pid>/ns/net, through
ctypes) and returns to its own at once; the dumps then run on that socket. Entering a
namespace changes nothing on the host, but needs CAP_SYS_ADMIN: without it (or without
ctypes or setns, or when the kernel would load a module to answer) `NetnsListeners.tables`
leaves the table out and the capture reads the /proc file as before.

The answer is written in the /proc file's own format (the kernel's header, then one line per
socket: sl, local_address, rem_address, st, tx_queue:rx_queue, tr:tm->when, retrnsmt, uid,
timeout, inode; addresses in host byte order; sl counts the lines, where the kernel's udp
tables print the hash bucket), so that every reader of /proc/net/tcp text reads it
unchanged. Only the sockets the net trees read are there: TCP in LISTEN, UDP bound and
unconnected (state 07, no remote port).
"""

import errno
import os
import socket
import struct
import sys
import threading

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN, TCP_CLOSE = 10, 7     # a bound, unconnected UDP socket is in TCP_CLOSE
CLONE_NEWNET = 0x40000000
_HEADER = struct.Struct("=IHHII")           # nlmsghdr: len, type, flags, seq, pid
_DIAG_MSG = struct.Struct("=BBBB2s2s16s16sI8sIIIII")   # inet_diag_msg
_RECV_SIZE = 65536
MAX_SOCKETS = 65536         # listening sockets of one table: more is not a sane namespace
AF_INET6 = getattr(socket, "AF_INET6", 10)

# name -> (family, protocol, the state asked for, the kernel module that answers). The first
# request loads that module (and inet_diag, sock_diag) when it is a module not loaded yet,
# and the capture never loads anything (SPEC); tcp_diag and udp_diag need inet_diag, which
# needs sock_diag: when they are there, so are those.
TABLES = {
    "tcp": (socket.AF_INET, socket.IPPROTO_TCP, TCP_LISTEN, "tcp_diag"),
    "tcp6": (AF_INET6, socket.IPPROTO_TCP, TCP_LISTEN, "tcp_diag"),
    "udp": (socket.AF_INET, socket.IPPROTO_UDP, TCP_CLOSE, "udp_diag"),
    "udp6": (AF_INET6, socket.IPPROTO_UDP, TCP_CLOSE, "udp_diag"),
}
# The /proc/net headers (net/ipv4/tcp_ipv4.c, udp.c, net/ipv6/datagram.c, tcp_ipv6.c); the
# IPv4 tables pad every line (tcp to 149 characters, udp to 127).
HEADERS = {
    "tcp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "tcp6": "  sl  local_address                         remote_address                        st tx_queue "
            "rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "udp": "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
           "inode ref pointer drops",
    "udp6": "  sl  local_address                         remote_address                        st tx_queue "
            "rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
}
_PAD = {"tcp": 149, "udp": 127}
_SL_WIDTH = {"tcp": 4, "tcp6": 4, "udp": 5, "udp6": 5}
SOURCE = "netlink sock_diag: the listening sockets only"
FAMILIES = dict((name, spec[0]) for name, spec in TABLES.items())


def modules_ready(modules_text, builtin_text, module):
    """True when the kernel answers sock_diag through `module` without loading one.

    modules_text: /proc/modules, None when absent (a kernel without loadable modules has
    them built in or not at all: nothing can be loaded); builtin_text:
    /lib/modules/<release>/modules.builtin ("" when unreadable).

    >>> modules_ready(None, "", "tcp_diag")
    True
    >>> modules_ready("tcp_diag 16384 0 - Live 0x0000000000000000\\n", "", "tcp_diag")
    True
    >>> modules_ready("xfs 1593344 1 - Live 0x0000000000000000\\n", "kernel/net/ipv4/udp_diag.ko\\n", "udp_diag")
    True
    >>> modules_ready("tcp_diag 16384 0 - Live 0x0000000000000000\\n", "", "udp_diag")
    False
    """
    if modules_text is None:
        return True
    present = set(line.split(" ", 1)[0] for line in modules_text.splitlines())
    for line in builtin_text.splitlines():
        name = line.rsplit("/", 1)[-1]
        if name.endswith(".ko"):
            present.add(name[:-3].replace("-", "_"))
    return module in present


def _read(path, absent=None, limit=4 * 1024 * 1024):
    """A small text file; `absent` when it does not exist, "" when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError as exc:
        return absent if exc.errno == errno.ENOENT else ""


def _words(raw, count, little):
    return "".join("%08X" % value for value in struct.unpack(("<" if little else ">") + "I" * count, raw[:4 * count]))


def format_table(name, sockets, little=None):
    """/proc/net/<name> text of sockets [(family, state, sport, dport, src, dst, rqueue,
    wqueue, uid, inode)] as the kernel prints them (addresses as host-order 32-bit words).

    The listener of Docker's embedded DNS in a container (hostcheck/parse/sockets.py's
    sample, read from /proc/5957/net/tcp on this machine) comes out as the kernel printed it:

    >>> dns = (2, 10, 38161, 0, bytes([127, 0, 0, 11]) + bytes(12), bytes(16), 0, 0, 0, 28760)
    >>> print(format_table("tcp", [dns], little=True).splitlines()[1].rstrip())
       0: 0B00007F:9511 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 28760
    """
    little = (sys.byteorder == "little") if little is None else little
    count = 1 if name in ("tcp", "udp") else 4
    pad = _PAD.get(name, 0)
    lines = [HEADERS[name].ljust(pad)]
    for index, (_, state, sport, dport, src, dst, rqueue, wqueue, uid, inode) in enumerate(sockets):
        # TCP prints no send queue for a listener; UDP prints its send and receive memory.
        sent = 0 if name.startswith("tcp") else wqueue
        line = "%*d: %s:%04X %s:%04X %02X %08X:%08X 00:00000000 00000000 %5u %8d %d" % (
            _SL_WIDTH[name], index, _words(src, count, little), sport, _words(dst, count, little), dport,
            state, sent, rqueue, uid, 0, inode)
        lines.append(line.ljust(pad))
    return "\n".join(lines) + "\n"


def request(name, seq=1):
    """A SOCK_DIAG_BY_FAMILY dump request for table `name`'s sockets in the state it lists."""
    family, protocol, state, _ = TABLES[name]
    body = struct.pack("=BBBBI", family, protocol, 0, 0, 1 << state) + bytes(48)
    return _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def read_answer(data, name, seq, found):
    """Add the sockets of one recv()'s netlink messages to `found`; True at the end of the
    dump, OSError for an error answer or a malformed one."""
    family, _, wanted, _ = TABLES[name]
    offset = 0
    while offset + _HEADER.size <= len(data):
        length, kind, _, answer_seq, _ = _HEADER.unpack_from(data, offset)
        if length < _HEADER.size:
            raise OSError(errno.EIO, "malformed netlink message")
        if answer_seq == seq:
            if kind == NLMSG_DONE:
                return True
            if kind == NLMSG_ERROR:
                code = -struct.unpack_from("=i", data, offset + _HEADER.size)[0]
                raise OSError(code, os.strerror(code))
            if kind == SOCK_DIAG_BY_FAMILY and length >= _HEADER.size + _DIAG_MSG.size:
                (msg_family, state, _, _, sport, dport, src, dst, _, _,
                 _, rqueue, wqueue, uid, inode) = _DIAG_MSG.unpack_from(data, offset + _HEADER.size)
                dport = struct.unpack(">H", dport)[0]
                if msg_family == family and state == wanted and not (wanted == TCP_CLOSE and dport):
                    found.append((msg_family, state, struct.unpack(">H", sport)[0], dport, src, dst,
                                  rqueue, wqueue, uid, inode))
                    if len(found) > MAX_SOCKETS:
                        raise OSError(errno.E2BIG, "more than %d listening sockets" % MAX_SOCKETS)
        offset += (length + 3) & ~3
    return False


def dump(sock, name, seq=1):
    """The sockets of table `name` (read_answer) in the namespace of netlink socket `sock`;
    OSError on failure."""
    sock.send(request(name, seq))
    found = []
    while True:
        data = sock.recv(_RECV_SIZE)
        if not data:
            raise OSError(errno.EIO, "netlink closed before the end of the dump")
        if read_answer(data, name, seq, found):
            return found


class NetnsListeners(object):
    """Listening sockets per network namespace; `tables(pid, names)` is thread-safe.

    Entering a namespace is per thread: callers run tables() in a thread that does nothing
    else between (the capture's own "netns" lane).
    """

    def __init__(self, timeout=5.0):
        self.timeout = timeout
        self.ready = None           # {module: bool}, worked out on first use
        self.lock = threading.Lock()
        self.setns = None
        self.own = None             # our namespace: None not yet opened, False unusable

    def _prepare(self):
        """Which tables sock_diag answers here without loading a module, and whether
        ctypes' setns and a descriptor of our own namespace are at hand (once)."""
        with self.lock:
            if self.ready is None:
                # No /proc/modules: a kernel without loadable modules, nothing to load.
                modules = _read("/proc/modules")
                builtin = _read("/lib/modules/%s/modules.builtin" % os.uname().release, "")
                self.ready = dict((spec[3], modules_ready(modules, builtin, spec[3])) for spec in TABLES.values())
            if self.own is None and any(self.ready.values()):
                try:
                    import ctypes
                    self.setns = ctypes.CDLL(None, use_errno=True).setns
                    self.own = os.open("/proc/thread-self/ns/net" if os.path.exists("/proc/thread-self")
                                       else "/proc/self/ns/net", os.O_RDONLY)
                except (ImportError, OSError, AttributeError):
                    self.own = False
            return bool(self.own)

    def _enter(self, fd):
        if self.setns(fd, CLONE_NEWNET) != 0:
            import ctypes
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    def _leave(self):
        try:
            self._enter(self.own)
        except OSError:
            # Still in there: this thread's later calls enter their namespace first, and
            # sock_diag is not used again (the /proc files name their namespace by path).
            self.own = False
            raise

    def socket_in(self, pid):
        """A sock_diag netlink socket in the network namespace of `pid`."""
        target = os.open("/proc/%d/ns/net" % pid, os.O_RDONLY)
        try:
            self._enter(target)
            try:
                return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
            finally:
                self._leave()   # back at once: nothing else runs in there
        finally:
            os.close(target)

    def tables(self, pid, names):
        """{name: /proc/net-format text} of the tables among `names` sock_diag answers for
        in the namespace of `pid`; the others (all, when it cannot answer) are left out."""
        if not self._prepare():
            return {}
        names = [name for name in names if self.ready.get(TABLES[name][3])]
        if not names:
            return {}
        try:
            sock = self.socket_in(pid)
        except OSError:
            return {}
        texts = {}
        try:
            sock.settimeout(self.timeout)
            for seq, name in enumerate(names, 1):
                texts[name] = format_table(name, dump(sock, name, seq))
        except (OSError, socket.timeout, struct.error):
            pass        # what was answered stands; the rest is read from the files
        finally:
            sock.close()
        return texts

"""A network namespace's listening TCP sockets through netlink sock_diag (stdlib, Python 3.6).

Why: reading /proc/<pid>/net/tcp (and tcp6) makes the kernel walk its whole
established-connection hash, about 5 ms each with 262144 buckets, whatever the namespace
holds; every container has a namespace of its own, so the capture paid ~10 ms per running
container. A sock_diag dump that asks for LISTEN sockets only walks the listening hash and
skips the established one (inet_diag_dump_icsk): ~0.02 ms.

A netlink socket answers for the namespace it was created in. The socket for a container's
namespace is created by a thread that enters it (setns(2) on /proc/<pid>/ns/net, through
ctypes) and returns to its own at once; the dump then runs on that socket. Entering a
namespace changes nothing on the host, but needs CAP_SYS_ADMIN: without it (or without
ctypes, setns, or a kernel that answers without loading a module) `NetnsListeners.table`
returns None and the capture reads the /proc file as before.

The answer is written in the /proc file's own format (the kernel's header, then one line per
listening socket: sl, local_address, rem_address, st, tx_queue:rx_queue, tr:tm->when,
retrnsmt, uid, timeout, inode; addresses in host byte order), so that every reader of
/proc/net/tcp text reads it unchanged.
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
TCP_LISTEN = 10
CLONE_NEWNET = 0x40000000
_HEADER = struct.Struct("=IHHII")           # nlmsghdr: len, type, flags, seq, pid
_DIAG_MSG = struct.Struct("=BBBB2s2s16s16sI8sIIIII")   # inet_diag_msg
_RECV_SIZE = 65536
MAX_SOCKETS = 65536         # listening sockets of one table: more is not a sane namespace
# The kernel module that answers a TCP dump: the first request loads it (and inet_diag,
# sock_diag) when it is a module not loaded yet, and the capture never loads anything (SPEC).
# tcp_diag needs inet_diag, which needs sock_diag: when it is there, so are they.
DIAG_MODULE = "tcp_diag"

# The /proc/net/tcp{,6} headers (net/ipv4/tcp_ipv4.c pads tcp's lines to 149 characters).
HEADERS = {
    "tcp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "tcp6": "  sl  local_address                         remote_address                        st tx_queue "
            "rx_queue tr tm->when retrnsmt   uid  timeout inode",
}
SOURCE = "netlink sock_diag: the listening sockets only"
FAMILIES = {"tcp": socket.AF_INET, "tcp6": getattr(socket, "AF_INET6", 10)}


def modules_ready(modules_text, builtin_text):
    """True when the kernel answers sock_diag for TCP without loading a module.

    modules_text: /proc/modules, None when absent (a kernel without loadable modules has
    them built in or not at all: nothing can be loaded); builtin_text:
    /lib/modules/<release>/modules.builtin, None when unreadable.

    >>> modules_ready(None, None)
    True
    >>> modules_ready("tcp_diag 16384 0 - Live 0x0000000000000000\\n", "")
    True
    >>> modules_ready("xfs 1593344 1 - Live 0x0000000000000000\\n", "kernel/net/ipv4/tcp_diag.ko\\n")
    True
    >>> modules_ready("xfs 1593344 1 - Live 0x0000000000000000\\n", "kernel/net/core/sock_diag.ko\\n")
    False
    """
    if modules_text is None:
        return True
    present = set(line.split(" ", 1)[0] for line in modules_text.splitlines())
    for line in (builtin_text or "").splitlines():
        name = line.rsplit("/", 1)[-1]
        if name.endswith(".ko"):
            present.add(name[:-3].replace("-", "_"))
    return DIAG_MODULE in present


def _read(path, absent=None, limit=4 * 1024 * 1024):
    """A small text file; `absent` when it does not exist, "" when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError as exc:
        return absent if exc.errno == errno.ENOENT else ""


def _word(raw, little):
    return struct.unpack("<I" if little else ">I", raw)[0]


def format_table(name, sockets, little=None):
    """/proc/net/<name> text of listening sockets [(family, state, sport, dport, src, dst,
    rqueue, uid, inode)] as the kernel prints them (addresses as host-order 32-bit words).

    The listener of Docker's embedded DNS in a container (hostcheck/parse/sockets.py's
    sample, read from /proc/5957/net/tcp on this machine) comes out as the kernel printed it:

    >>> dns = (2, 10, 38161, 0, bytes([127, 0, 0, 11]) + bytes(12), bytes(16), 0, 0, 28760)
    >>> print(format_table("tcp", [dns], little=True).splitlines()[1].rstrip())
       0: 0B00007F:9511 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 28760
    """
    little = (sys.byteorder == "little") if little is None else little
    words = 1 if name == "tcp" else 4
    lines = [HEADERS[name].ljust(149) if name == "tcp" else HEADERS[name]]
    for index, (_, state, sport, dport, src, dst, rqueue, uid, inode) in enumerate(sockets):
        local = "".join("%08X" % _word(src[i * 4:i * 4 + 4], little) for i in range(words))
        remote = "".join("%08X" % _word(dst[i * 4:i * 4 + 4], little) for i in range(words))
        line = "%4d: %s:%04X %s:%04X %02X %08X:%08X 00:00000000 00000000 %5u %8d %d" % (
            index, local, sport, remote, dport, state, 0, rqueue, uid, 0, inode)
        lines.append(line.ljust(149) if name == "tcp" else line)
    return "\n".join(lines) + "\n"


def request(family, seq=1):
    """A SOCK_DIAG_BY_FAMILY dump request for the LISTEN TCP sockets of `family`."""
    body = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN) + bytes(48)
    return _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def read_answer(data, family, seq, found):
    """Add the listening sockets of one recv()'s netlink messages to `found`; True at the
    end of the dump, OSError for an error answer or a malformed one."""
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
                 _, rqueue, _, uid, inode) = _DIAG_MSG.unpack_from(data, offset + _HEADER.size)
                if msg_family == family and state == TCP_LISTEN:
                    found.append((msg_family, state, struct.unpack(">H", sport)[0],
                                  struct.unpack(">H", dport)[0], src, dst, rqueue, uid, inode))
                    if len(found) > MAX_SOCKETS:
                        raise OSError(errno.E2BIG, "more than %d listening sockets" % MAX_SOCKETS)
        offset += (length + 3) & ~3
    return False


def dump_listening(sock, family, seq=1):
    """LISTEN sockets of `family` in the namespace of netlink socket `sock`: a list of
    (family, state, sport, dport, src, dst, rqueue, uid, inode); OSError on failure."""
    sock.send(request(family, seq))
    found = []
    while True:
        data = sock.recv(_RECV_SIZE)
        if not data:
            raise OSError(errno.EIO, "netlink closed before the end of the dump")
        if read_answer(data, family, seq, found):
            return found


class NetnsListeners(object):
    """Listening TCP sockets per network namespace; `table(pid, name)` is thread-safe.

    Entering a namespace is per thread: callers run table() in a thread that does nothing
    else between (the capture's own "netns" lane).
    """

    def __init__(self, timeout=5.0, usable=None):
        self.timeout = timeout
        self.usable = usable        # None: not known yet; False: tables() answers None
        self.lock = threading.Lock()
        self.setns = None
        self.own = None

    def _prepare(self, need_setns):
        """Whether sock_diag answers without loading a module and, for another namespace,
        ctypes' setns and a descriptor of our own namespace are at hand (worked out once)."""
        with self.lock:
            if self.usable is None:
                # No /proc/modules: a kernel without loadable modules, nothing to load.
                self.usable = modules_ready(_read("/proc/modules"),
                                            _read("/lib/modules/%s/modules.builtin" % os.uname().release, ""))
            if not need_setns or self.own is not None or not self.usable:
                return self.usable
            try:
                import ctypes
                libc = ctypes.CDLL(None, use_errno=True)
                self.setns = libc.setns
                self.own = os.open("/proc/thread-self/ns/net" if os.path.exists("/proc/thread-self")
                                   else "/proc/self/ns/net", os.O_RDONLY)
            except (ImportError, OSError, AttributeError):
                self.usable = False
            return self.usable

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
            self.usable = False
            raise

    def socket_in(self, pid):
        """A sock_diag netlink socket in the network namespace of `pid` (None: our own)."""
        if pid is None:
            return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
        target = os.open("/proc/%d/ns/net" % pid, os.O_RDONLY)
        try:
            self._enter(target)
            try:
                return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
            finally:
                self._leave()   # back at once: nothing else runs in there
        finally:
            os.close(target)

    def tables(self, pid, names=("tcp", "tcp6")):
        """{name: /proc/net-format text} for the namespace of `pid` (None: ours), or None
        when sock_diag cannot answer there (the caller reads the files)."""
        if not self._prepare(pid is not None):
            return None
        try:
            sock = self.socket_in(pid)
        except OSError:
            return None
        try:
            sock.settimeout(self.timeout)
            return dict((name, format_table(name, dump_listening(sock, FAMILIES[name], seq)))
                        for seq, name in enumerate(names, 1))
        except (OSError, socket.timeout, struct.error):
            return None
        finally:
            sock.close()

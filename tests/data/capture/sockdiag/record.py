"""Record a network namespace's TCP tables both ways, at the same moment (needs root):

    .venv-3.11/bin/python tests/data/capture/sockdiag/record.py

A child in a new network namespace (unshare -n) listens on 127.0.0.1:8080 (one connection
waiting in its accept queue), 0.0.0.0:9000 and [::]:80, holds that one established
connection, has UDP sockets bound to 0.0.0.0:5353 and [::1]:5355 and one connected UDP
socket. Written beside this file: `tcp`, `tcp6`, `udp`, `udp6` (the /proc/<pid>/net files)
and `tcp.netlink` ... `udp6.netlink` (the raw netlink sock_diag answers to
hostcheck.capture.sockdiag.request, asked in that order on one socket: seq 1 to 4).
tests/test_capture_sockdiag.py reads them.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))
from hostcheck.capture import sockdiag  # noqa: E402

CHILD = r"""
import socket, sys, time
a = socket.socket(); a.bind(("127.0.0.1", 8080)); a.listen(5)
b = socket.socket(socket.AF_INET6); b.bind(("::", 80)); b.listen(128)
c = socket.socket(); c.bind(("0.0.0.0", 9000)); c.listen(1)
d = socket.create_connection(("127.0.0.1", 8080))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 5353))
v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); v.bind(("::1", 5355))
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); w.connect(("127.0.0.1", 5353))
print("ready", flush=True)
time.sleep(30)
"""


def raw_answer(sock, name, seq):
    sock.send(sockdiag.request(name, seq))
    chunks, found = [], []
    while True:
        data = sock.recv(65536)
        chunks.append(data)
        if sockdiag.read_answer(data, name, seq, found):
            return b"".join(chunks)


def main():
    child = subprocess.Popen(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" -c "$1"',
                              sys.executable, CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        listeners = sockdiag.NetnsListeners()
        assert listeners._prepare() and all(listeners.ready.values()), "sock_diag cannot answer here"
        sock = listeners.socket_in(child.pid)
        for seq, name in enumerate(("tcp", "tcp6", "udp", "udp6"), 1):
            (HERE / (name + ".netlink")).write_bytes(raw_answer(sock, name, seq))
            (HERE / name).write_bytes(Path("/proc/%d/net/%s" % (child.pid, name)).read_bytes())
        sock.close()
    finally:
        child.kill()
        child.wait()


if __name__ == "__main__":
    main()

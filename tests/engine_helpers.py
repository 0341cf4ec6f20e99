"""Engines at other endpoints, for the engine-selection tests (tests/test_engine_select.py and
tests/integration/test_engine_live.py).

    Forwarder(target_socket, listen=("127.0.0.1", 0))        tcp -> a unix socket (the real
                                                               dockerd, or a fake engine's)
    Forwarder(target_socket, listen="/tmp/x/docker.sock")    unix -> unix (a rootless-style socket)
    Forwarder(target_socket, tls=pki.server_context())       TLS terminated here, then forwarded
    GoPlainPort()                                            a plain port that answers TLS as dockerd's does
    pki = Pki(directory)                                     a CA, a server and a client
                                                               certificate (openssl), and a second CA

The forwarder only copies bytes both ways (keep-alive and all, so the docker CLI works
through it too): the engine behind it is untouched.
"""

import os
import select
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path


class Listener(object):
    """A tcp (listen=(address, port)) or unix (listen=path) server; each connection goes to
    self.handle(conn) in a thread of its own."""

    def __init__(self, listen=("127.0.0.1", 0)):
        self.connections = 0
        if isinstance(listen, tuple):
            self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.server.bind(listen)
            self.address, self.port = self.server.getsockname()[:2]
            self.url = "tcp://127.0.0.1:%d" % self.port if listen[0] == "127.0.0.1" else \
                "tcp://%s:%d" % (listen[0], self.port)
        else:
            self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.server.bind(str(listen))
            self.address = self.port = None
            self.url = "unix://%s" % listen
        self.server.listen(64)
        self.closed = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        raise NotImplementedError

    def close(self):
        self.closed = True
        # shutdown wakes the thread blocked in accept(); a bare close() would leave that
        # accept holding the socket open, still listening on the port.
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()

class SilentPort(Listener):
    """Accepts connections and never answers (a hung engine)."""

    def __init__(self, listen=("127.0.0.1", 0)):
        self.held = []
        Listener.__init__(self, listen)

    def handle(self, conn):
        self.held.append(conn)

    def close(self):
        Listener.close(self)
        for conn in self.held:
            conn.close()


def own_port(make, attempts=5):
    """make() -> a Listener whose port really is its own: on a machine shared with other
    tests, a published container port (docker's DNAT or proxy) can take the connections
    of a port that a new listener was just given. Probed with one connection."""
    for _ in range(attempts):
        listener = make()
        before = listener.connections
        probe = socket.create_connection((listener.address, listener.port), timeout=2)
        deadline = time.monotonic() + 2
        while listener.connections == before and time.monotonic() < deadline:
            time.sleep(0.01)
        probe.close()
        if listener.connections > before:
            return listener
        listener.close()
    raise AssertionError("no port of our own after %d tries" % attempts)


class GoPlainPort(Listener):
    """A plain HTTP port answering a TLS ClientHello as Go's net/http (dockerd) does: a 400."""

    def handle(self, conn):
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     b"Connection: close\r\n\r\n400 Bad Request")
        conn.close()


class Forwarder(Listener):
    def __init__(self, target, listen=("127.0.0.1", 0), tls=None):
        self.target = str(target)
        self.tls = tls
        self.handshake_errors = []
        Listener.__init__(self, listen)

    def handle(self, conn):
        self._pump(conn)

    def _pump(self, conn):
        conn.settimeout(10)
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                self.handshake_errors.append(str(exc))
                conn.close()
                return
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.target)
        except OSError:
            conn.close()
            return
        conn.settimeout(None)
        ends = {conn: upstream, upstream: conn}
        try:
            while not self.closed:
                ready = [conn] if isinstance(conn, ssl.SSLSocket) and conn.pending() else \
                    select.select(list(ends), [], [], 30)[0]
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    ends[sock].sendall(data)
        except OSError:
            return
        finally:
            conn.close()
            upstream.close()

class Pki(object):
    """A test CA with a server certificate (127.0.0.1, localhost) and a client certificate,
    and a second, unrelated CA with its own server certificate; made with openssl."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca, self.ca_key = self._ca("ca", "hostcheck-test-ca")
        self.server_cert, self.server_key = self._leaf("server", "localhost", self.ca, self.ca_key,
                                                       "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                                       "extendedKeyUsage=serverAuth\n")
        self.client_cert, self.client_key = self._leaf("client", "hostcheck-client", self.ca, self.ca_key,
                                                       "extendedKeyUsage=clientAuth\n")
        self.other_ca, other_key = self._ca("other-ca", "some-other-ca")
        self.other_server_cert, self.other_server_key = self._leaf(
            "other-server", "localhost", self.other_ca, other_key,
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")

    def _openssl(self, *args):
        subprocess.run(["openssl"] + list(args), cwd=str(self.dir), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _ca(self, name, common_name):
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", name + "-key.pem",
                      "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + common_name,
                      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign,cRLSign")
        return self.dir / (name + ".pem"), self.dir / (name + "-key.pem")

    def _leaf(self, name, common_name, ca, ca_key, extensions):
        (self.dir / (name + ".ext")).write_text(extensions)
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", name + "-key.pem",
                      "-out", name + ".csr", "-subj", "/CN=" + common_name)
        self._openssl("x509", "-req", "-in", name + ".csr", "-CA", str(ca), "-CAkey", str(ca_key),
                      "-CAcreateserial", "-out", name + "-cert.pem", "-days", "2", "-extfile", name + ".ext")
        return self.dir / (name + "-cert.pem"), self.dir / (name + "-key.pem")

    def server_context(self, require_client_cert=True, other=False):
        """An ssl context for the forwarder: this CA's server certificate (or the other CA's),
        and client certificates of this CA required (as dockerd --tlsverify does)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if other:
            context.load_cert_chain(str(self.other_server_cert), str(self.other_server_key))
        else:
            context.load_cert_chain(str(self.server_cert), str(self.server_key))
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=str(self.ca))
        return context

    def cert_path(self, name="certs", ca=None):
        """A DOCKER_CERT_PATH directory: ca.pem (this CA, or `ca`), cert.pem, key.pem."""
        directory = self.dir / name
        directory.mkdir(exist_ok=True)
        for source, target in ((ca or self.ca, "ca.pem"), (self.client_cert, "cert.pem"),
                               (self.client_key, "key.pem")):
            (directory / target).write_bytes(Path(source).read_bytes())
        os.chmod(str(directory / "key.pem"), 0o600)
        return directory

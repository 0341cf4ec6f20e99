"""A small Docker Engine API client: HTTP/1.1 GET over a unix socket, standard library only.

Used by the capture (Python 3.6+) and later by the live `image` / `net` paths. One
connection per request ("Connection: close"), so requests may run in parallel threads;
each request is bounded by one deadline covering connect, headers and body.

    client = EngineClient("/var/run/docker.sock", timeout=5.0)
    client.get_json("/version")          # decoded JSON body
    client.get_raw("/containers/ID/logs?stdout=1&stderr=1&tail=50")  # bytes

Failures raise EngineError with `code` one of SPEC's CODEs (not_found, permission_denied,
timeout, not_running, error) and a human `detail`; an HTTP status other than 2xx raises
EngineError("error" or "not_found" for 404) with `status` set.
"""

import errno
import json
import os
import socket
import time

DEFAULT_SOCKET = "/var/run/docker.sock"
_MAX_BODY = 64 * 1024 * 1024  # an engine answer larger than this is not a sane JSON body


class EngineError(Exception):
    def __init__(self, code, detail, status=None):
        Exception.__init__(self, detail)
        self.code = code
        self.detail = detail
        self.status = status


def resolve_endpoint(environ=None):
    """(socket_path, endpoint_url, remote) for the local engine.

    DOCKER_HOST is honoured only when it is unix://; any other scheme (tcp://, ssh://) is
    returned as `remote` so that the caller can record it, and the default socket is read:
    a capture describes this host, never a remote daemon.
    """
    environ = os.environ if environ is None else environ
    docker_host = (environ.get("DOCKER_HOST") or "").strip()
    if docker_host.startswith("unix://"):
        path = docker_host[len("unix://"):] or DEFAULT_SOCKET
        return path, "unix://" + path, None
    remote = docker_host or None
    return DEFAULT_SOCKET, "unix://" + DEFAULT_SOCKET, remote


class EngineClient(object):
    def __init__(self, socket_path=DEFAULT_SOCKET, timeout=5.0, user_agent="hostcheck"):
        self.socket_path = socket_path
        self.timeout = timeout
        self.user_agent = user_agent

    def get_json(self, path):
        body = self.get_raw(path)
        try:
            return json.loads(body.decode("utf-8", "replace"))
        except ValueError as exc:
            raise EngineError("error", "GET %s: invalid JSON from the engine (%s)" % (path, exc))

    def get_raw(self, path):
        """GET `path`; returns the body bytes of a 2xx answer."""
        deadline = time.monotonic() + self.timeout
        sock = self._connect(deadline)
        try:
            request = ("GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: %s\r\n"
                       "Accept: application/json\r\nConnection: close\r\n\r\n"
                       % (path, self.user_agent))
            sock.sendall(request.encode("ascii"))
            reader = _Reader(sock, deadline)
            status, headers = _read_head(reader)
            body = _read_body(reader, headers)
        except socket.timeout:
            raise EngineError("timeout", "GET %s: no answer within %gs" % (path, self.timeout))
        except (OSError, EOFError, ValueError) as exc:
            raise EngineError("error", "GET %s: %s" % (path, _reason(exc)))
        finally:
            sock.close()
        if not 200 <= status < 300:
            message = _error_message(body)
            code = "not_found" if status == 404 else "error"
            raise EngineError(code, "GET %s: HTTP %d %s" % (path, status, message), status)
        return body

    def _connect(self, deadline):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            sock.connect(self.socket_path)
        except socket.timeout:
            sock.close()
            raise EngineError("timeout", "connect %s: no answer within %gs" % (self.socket_path, self.timeout))
        except OSError as exc:
            sock.close()
            raise EngineError(_connect_code(exc), "%s: %s" % (self.socket_path, _reason(exc)))
        return sock


def _connect_code(exc):
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "not_found"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    if exc.errno == errno.ECONNREFUSED:
        return "not_running"
    return "error"


def _reason(exc):
    return getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__


def _error_message(body):
    try:
        return str(json.loads(body.decode("utf-8", "replace")).get("message", ""))[:300]
    except (ValueError, AttributeError):
        return body[:300].decode("utf-8", "replace").strip()


class _Reader(object):
    """Buffered reads from a socket, every recv bounded by one overall deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""
        self.eof = False

    def _fill(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            self.eof = True
        self.buffer += chunk

    def read_line(self):
        while b"\r\n" not in self.buffer:
            if self.eof:
                raise EOFError("connection closed in the middle of a line")
            if len(self.buffer) > 65536:
                raise EOFError("header line too long")
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read_exact(self, size):
        while len(self.buffer) < size:
            if self.eof:
                raise EOFError("connection closed before the end of the body")
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_to_end(self):
        while not self.eof:
            if len(self.buffer) > _MAX_BODY:
                raise EOFError("body larger than %d bytes" % _MAX_BODY)
            self._fill()
        data, self.buffer = self.buffer, b""
        return data


def _read_head(reader):
    status_line = reader.read_line().decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise EOFError("not an HTTP answer: %r" % status_line[:80])
    headers = {}
    while True:
        line = reader.read_line()
        if not line:
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


def _read_body(reader, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        total = 0
        while True:
            size_line = reader.read_line().split(b";", 1)[0].strip()
            size = int(size_line, 16)
            if size == 0:
                # Trailers (if any) end with an empty line; the connection closes anyway.
                while reader.read_line():
                    pass
                return b"".join(chunks)
            total += size
            if total > _MAX_BODY:
                raise EOFError("body larger than %d bytes" % _MAX_BODY)
            chunks.append(reader.read_exact(size))
            reader.read_exact(2)  # CRLF after each chunk
    if "content-length" in headers:
        length = int(headers["content-length"])
        if length > _MAX_BODY:
            raise EOFError("body larger than %d bytes" % _MAX_BODY)
        return reader.read_exact(length)
    return reader.read_to_end()


def demultiplex(raw):
    """Split a non-TTY logs/attach stream (8-byte headers: stream, 0, 0, 0, size BE32).

    Returns the concatenated payload bytes; a stream that does not start with a valid
    header (a TTY container) is returned unchanged.
    """
    if len(raw) < 8 or raw[0] not in (0, 1, 2) or raw[1:4] != b"\x00\x00\x00":
        return raw
    out = []
    offset = 0
    while offset + 8 <= len(raw):
        size = int.from_bytes(raw[offset + 4:offset + 8], "big")
        out.append(raw[offset + 8:offset + 8 + size])
        offset += 8 + size
    return b"".join(out)

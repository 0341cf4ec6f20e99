"""Which Docker engine, and GETs to it: standard library only (Python 3.6+).

Used by the capture and the registry step. Which engine, like the docker CLI
(resolve_endpoint): `-H/--host`, then DOCKER_HOST, then DOCKER_CONTEXT, then the current
context of the docker CLI's config ($DOCKER_CONFIG or ~/.docker: config.json's
"currentContext", the context in contexts/meta/<sha256 of its name>/meta.json and its TLS
files in contexts/tls/<sha256>/docker/), then the rootless socket
$XDG_RUNTIME_DIR/docker.sock when it exists, then /var/run/docker.sock.

    endpoint = resolve_endpoint(host=None)           # an Endpoint: url, source, local, tls
    client = EngineClient(endpoint, timeout=5.0)
    client.get_json("/version")          # decoded JSON body
    client.get_raw("/containers/ID/logs?stdout=1&stderr=1&tail=50")  # bytes

Transports: unix sockets; tcp:// plain or with TLS (DOCKER_TLS_VERIFY / DOCKER_TLS,
DOCKER_CERT_PATH's ca.pem, cert.pem and key.pem, or the context's TLS files; client
certificates through the ssl module); ssh:// by running `ssh … -- HOST docker system
dial-stdio` (what the docker CLI and the SDK's use_ssh_client=True do) with BatchMode, so
that it never prompts. One connection per request ("Connection: close"), so requests may
run in parallel threads; each request is bounded by one deadline covering name resolution,
connect, TLS or ssh handshake, headers and body.

Failures raise EngineError with `code` one of SPEC's CODEs (not_found, permission_denied,
timeout, not_running, skipped, error), a finer `state` (STATES) and a human `detail`; an
HTTP status other than 2xx raises EngineError("error", or "not_found" for 404) with
`status` set.
"""

import errno
import json
import math
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

DEFAULT_SOCKET = "/var/run/docker.sock"
DEFAULT_URL = "unix://" + DEFAULT_SOCKET
_MAX_BODY = 64 * 1024 * 1024  # an engine answer larger than this is not a sane JSON body
# Levels of arrays and objects an engine answer may nest (a real one has under 10). The
# capture puts answers 3 levels down (docker.responses.PATH) and readers refuse documents
# deeper than hostcheck.files.MAX_DEPTH (64); json.dumps would recurse past ~1,000.
MAX_DEPTH = 32
_CONFIG_LIMIT = 1024 * 1024   # config.json and a context's meta.json, read at most

# How the engine's connection ended, finer than SPEC's CODEs (docker.state in the capture).
STATES = {
    "running": None,                  # the engine answered
    "not_installed": "not_found",     # no socket (default or rootless) and no dockerd binary
    "not_running": "not_running",     # no socket (default or rootless); dockerd is installed
    "socket_missing": "not_found",    # the socket -H, DOCKER_HOST or a context names does not exist
    "refused": "not_running",         # connection refused: nothing listens there
    "unreachable": "error",           # name not resolved, no route, network unreachable
    "permission_denied": "permission_denied",
    "tls_error": "error",             # handshake, certificate or TLS-versus-plain mismatch
    "timeout": "timeout",
    "ssh_error": "error",             # ssh itself failed: authentication, host key, no docker there
    "unsupported": "skipped",         # a scheme hostcheck does not speak (npipe://, fd://)
    "bad_endpoint": "error",          # unparsable URL, unknown or unreadable context
    "error": "error",                 # something answered, but not as an engine does
}

# Endpoint.source values: why this engine was asked.
FLAG, ENV_HOST, ROOTLESS, DEFAULT = "flag -H", "env DOCKER_HOST", "rootless socket", "default socket"


class EngineError(Exception):
    def __init__(self, code, detail, status=None, state=None):
        Exception.__init__(self, detail)
        self.code = code
        self.detail = detail
        self.status = status
        self.state = state or _CODE_STATES.get(code, "error")


# A CODE without a finer state: the state it most likely means.
_CODE_STATES = {"not_found": "socket_missing", "not_running": "refused", "permission_denied": "permission_denied",
                "timeout": "timeout", "skipped": "unsupported"}


def _failed(state, detail, status=None):
    return EngineError(STATES[state], detail, status=status, state=state)


# ------------------------------------------------------------------ which engine


class Endpoint(object):
    """The engine to ask: `url` and why (`source`), parsed.

    scheme: unix | tcp | ssh | other; path (unix); host, port, user (tcp, ssh); base (a path
    prefix of a tcp URL); tls None or {"verify", "ca", "cert", "key"} (paths or None);
    context: the docker CLI context it came from; problem: (state, detail) when the
    endpoint could not be worked out (nothing is asked then); notes: what was passed over
    on the way (an unreadable config.json).
    """

    def __init__(self, url, source, context=None, tls=None, problem=None, notes=()):
        self.url = url
        self.source = source
        self.context = context
        self.tls = None
        self.problem = problem
        self.notes = list(notes)
        self.scheme, self.path, self.host, self.port, self.user, self.base = "other", None, None, None, None, ""
        if problem is None:
            try:
                self._parse(url)
            except ValueError as exc:
                self.problem = ("bad_endpoint", "%s (%s): %s" % (url, source, exc))
        if self.scheme == "tcp" and tls:
            self.tls = tls

    def _parse(self, url):
        scheme, sep, rest = url.partition("://")
        if not sep:            # the docker CLI reads a bare "HOST:PORT" as tcp
            scheme, rest = "tcp", url
        scheme = scheme.lower()
        if scheme == "unix":
            self.scheme, self.path = "unix", rest or DEFAULT_SOCKET
            self.url = "unix://" + self.path
        elif scheme == "tcp":
            self.scheme = "tcp"
            self.host, self.port, self.base = _host_port(rest, default_host="127.0.0.1")
        elif scheme == "ssh":
            self.scheme = "ssh"
            userinfo, at, hostport = rest.rpartition("@")
            self.user = userinfo if at else None
            self.host, self.port, base = _host_port(hostport, default_host=None)
            if not self.host:
                raise ValueError("no host name in the ssh URL")
            if self.user is not None and not self.user:
                raise ValueError("an empty user name in the ssh URL")
        else:
            self.scheme = scheme
            self.problem = ("unsupported", "%s (%s): hostcheck cannot reach %s:// engines; "
                            "it speaks unix://, tcp:// and ssh://" % (url, self.source, scheme))

    @property
    def named(self):
        """Named by the user (flag, environment, context), not one of the default sockets."""
        return self.source not in (ROOTLESS, DEFAULT)

    @property
    def local(self):
        """True when the engine runs on this host (a unix socket, or tcp/ssh to a loopback
        address), False when it is elsewhere, None when the endpoint is not known."""
        if self.scheme == "unix":
            return True
        if self.scheme in ("tcp", "ssh") and self.host:
            return is_loopback(self.host)
        return None

    def describe(self):
        """The capture's record of this endpoint (beside docker.responses)."""
        record = {"endpoint": self.url, "endpoint_source": self.source, "local": self.local}
        if self.context:
            record["context"] = self.context
        if self.tls:
            record["tls"] = {"verify": self.tls["verify"], "ca_file": self.tls.get("ca"),
                             "client_cert": self.tls.get("cert")}
        if self.notes:
            record["endpoint_notes"] = list(self.notes)
        return record


def _host_port(text, default_host):
    """"host:port/base" -> (host, port or None, base); [v6] in brackets."""
    hostport, slash, base = text.partition("/")
    base = (slash + base).rstrip("/")
    if hostport.startswith("["):
        host, bracket, after = hostport[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise ValueError("malformed IPv6 address")
        port_text = after[1:]
    elif hostport.count(":") > 1:
        raise ValueError("put an IPv6 address in brackets: [::1]:2375")
    else:
        host, _, port_text = hostport.partition(":")
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError("invalid port %r" % port_text[:20])
        port = int(port_text)
    return host or default_host, port, base


def is_loopback(host):
    """localhost, 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z)."""
    name = host.strip("[]").lower()
    if name in ("localhost", "localhost.localdomain", "ip6-localhost") or name.endswith(".localhost"):
        return True
    import ipaddress    # tcp engines only: the unix socket path never asks
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def config_dir(environ):
    """The docker CLI's configuration directory: $DOCKER_CONFIG, else ~/.docker."""
    if environ.get("DOCKER_CONFIG"):
        return environ["DOCKER_CONFIG"]
    home = environ.get("HOME")
    if not home:
        try:
            import pwd
            home = pwd.getpwuid(os.geteuid()).pw_dir
        except (ImportError, KeyError):
            home = "/"
    return os.path.join(home, ".docker")


def resolve_endpoint(host=None, environ=None):
    """The engine to ask, as the docker CLI chooses it (see the module docstring)."""
    environ = os.environ if environ is None else environ
    if host:
        return Endpoint(host.strip(), FLAG, tls=_env_tls(environ))
    docker_host = (environ.get("DOCKER_HOST") or "").strip()
    if docker_host:
        return Endpoint(docker_host, ENV_HOST, tls=_env_tls(environ))
    directory = config_dir(environ)
    name = (environ.get("DOCKER_CONTEXT") or "").strip()
    notes = []
    if name:
        source = "env DOCKER_CONTEXT=%s" % name
    else:
        name = _current_context(directory, notes)
        source = "context %s (config.json)" % name
    if name and name != "default":       # "default" is the sockets below, as for the docker CLI
        return _from_context(name, source, directory, notes)
    runtime_dir = environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        rootless = os.path.join(runtime_dir, "docker.sock")
        if os.path.lexists(rootless):
            return Endpoint("unix://" + rootless, ROOTLESS, notes=notes)
    return Endpoint(DEFAULT_URL, DEFAULT, notes=notes)


def _env_tls(environ):
    """TLS from the environment, as the docker CLI reads it: DOCKER_TLS_VERIFY (any value)
    turns TLS on and verifies the engine; DOCKER_TLS alone turns it on without verifying;
    the files are DOCKER_CERT_PATH's (default ~/.docker) ca.pem, cert.pem and key.pem,
    each used when it exists."""
    verify = bool(environ.get("DOCKER_TLS_VERIFY"))
    if not verify and not environ.get("DOCKER_TLS"):
        return None
    directory = environ.get("DOCKER_CERT_PATH") or config_dir(environ)
    return _tls_files(directory, verify)


def _tls_files(directory, verify):
    found = dict((name, os.path.join(directory, name + ".pem")) for name in ("ca", "cert", "key"))
    tls = dict((name, path if os.path.isfile(path) else None) for name, path in found.items())
    tls["verify"] = verify
    return tls


def _read_json(path):
    """A small JSON file of the docker CLI's (bounded), or raise OSError/ValueError. Opened
    without blocking and read only when it is a regular file (a FIFO there would hang)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        data = handle.read(_CONFIG_LIMIT + 1)
    if len(data) > _CONFIG_LIMIT:
        raise ValueError("larger than %d bytes" % _CONFIG_LIMIT)
    value = json.loads(data.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _current_context(directory, notes):
    path = os.path.join(directory, "config.json")
    try:
        config = _read_json(path)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            notes.append("%s not read: %s" % (path, exc.strerror or exc))
        return None
    except (ValueError, RecursionError) as exc:
        # The docker CLI warns and goes on with its defaults; so do we.
        notes.append("%s not read: %s" % (path, exc))
        return None
    current = config.get("currentContext")
    return current.strip() if isinstance(current, str) and current.strip() else None


def _from_context(name, source, directory, notes):
    import hashlib      # loads libcrypto (~5 ms): only a named context needs it
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
    meta_path = os.path.join(directory, "contexts", "meta", digest, "meta.json")
    try:
        meta = _read_json(meta_path)
    except OSError as exc:
        why = "context not found" if exc.errno in (errno.ENOENT, errno.ENOTDIR) else exc.strerror or str(exc)
        return Endpoint("context:" + name, source, context=name, notes=notes, problem=(
            "bad_endpoint", "context %r (%s): %s: %s" % (name, source, why, meta_path)))
    except (ValueError, RecursionError) as exc:
        return Endpoint("context:" + name, source, context=name, notes=notes, problem=(
            "bad_endpoint", "context %r (%s): %s is not a context: %s" % (name, source, meta_path, exc)))
    docker = (meta.get("Endpoints") or {}).get("docker") if isinstance(meta.get("Endpoints"), dict) else None
    url = docker.get("Host") if isinstance(docker, dict) else None
    if not isinstance(url, str) or not url.strip():
        return Endpoint("context:" + name, source, context=name, notes=notes, problem=(
            "bad_endpoint", "context %r (%s) has no docker endpoint (%s)" % (name, source, meta_path)))
    skip_verify = bool(docker.get("SkipTLSVerify"))
    tls_dir = os.path.join(directory, "contexts", "tls", digest, "docker")
    tls = _tls_files(tls_dir, not skip_verify)
    # As the docker CLI: TLS when the context holds TLS files, or asks to skip verifying.
    if not any(tls[key] for key in ("ca", "cert", "key")) and not skip_verify:
        tls = None
    return Endpoint(url.strip(), source, context=name, tls=tls, notes=notes)


# ------------------------------------------------------------------ the client


class EngineClient(object):
    def __init__(self, endpoint=DEFAULT_URL, timeout=5.0, user_agent="hostcheck", path=None):
        """endpoint: an Endpoint, or a URL (unix:///…, tcp://…, ssh://…) or a socket path.
        path: the PATH to find `ssh` on (ssh:// only)."""
        if not isinstance(endpoint, Endpoint):
            text = str(endpoint)
            endpoint = Endpoint(text if "://" in text else "unix://" + text, FLAG)
        self.endpoint = endpoint
        self.timeout = timeout
        self.user_agent = user_agent
        self.search_path = path
        self._lock = threading.Lock()
        self._addresses = None
        self._tls_context = None

    @property
    def socket_path(self):
        return self.endpoint.path

    def get_json(self, path):
        body = self.get_raw(path)
        try:
            value = json.loads(body.decode("utf-8", "replace"))
        except RecursionError:
            raise EngineError("error", "answer nested deeper than %d levels" % MAX_DEPTH)
        except ValueError as exc:
            raise EngineError("error", "GET %s: invalid JSON from the engine (%s)" % (path, exc))
        if nested_deeper(value, MAX_DEPTH):
            raise EngineError("error", "answer nested deeper than %d levels" % MAX_DEPTH)
        return value

    def get_raw(self, path):
        """GET `path`; returns the body bytes of a 2xx answer."""
        if self.endpoint.problem:
            state, detail = self.endpoint.problem
            raise _failed(state, detail)
        deadline = time.monotonic() + self.timeout
        sock = self._connect(deadline)
        try:
            request = ("GET %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
                       "Accept: application/json\r\nConnection: close\r\n\r\n"
                       % (self.endpoint.base, path, self._host_header(), self.user_agent))
            sock.sendall(request.encode("ascii"))
            reader = _Reader(sock, deadline)
            status, headers = _read_head(reader)
            body = _read_body(reader, headers)
        except socket.timeout:
            raise self._explained(sock, _failed("timeout", "GET %s: no answer from %s within %gs"
                                                % (path, self.endpoint.url, self.timeout)), wait=False)
        except (OSError, EOFError, ValueError) as exc:
            if _is_tls_error(exc):
                raise _tls_failure(self.endpoint, exc)
            if self.endpoint.tls and _no_answer(exc):
                # TLS 1.3: the engine checks the client certificate after the client's side of
                # the handshake ended, and its refusal may arrive as a reset, not an alert.
                raise _failed("tls_error", "TLS with %s: the engine closed the connection without an answer "
                              "(%s)%s" % (self.endpoint.url, _reason(exc), _client_cert_hint(self.endpoint)))
            raise self._explained(sock, _failed("error", "GET %s: %s%s" % (
                path, _reason(exc), self._plain_hint(exc))))
        finally:
            sock.close()
        if not 200 <= status < 300:
            message = _error_message(body)
            if status == 400 and "https server" in message.lower():
                # Go's answer to plain HTTP on a TLS port: the engine was not reached.
                raise _failed("tls_error", "%s wants TLS (%s): set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, "
                              "or use the context or port that serves plain HTTP" % (self.endpoint.url, message))
            code = "not_found" if status == 404 else "error"
            raise EngineError(code, "GET %s: HTTP %d %s" % (path, status, message), status, state="error")
        return body

    def _host_header(self):
        if self.endpoint.scheme == "tcp":
            host = self.endpoint.host
            return ("[%s]" % host if ":" in host else host) + ":%d" % self._port()
        return "docker"

    def _port(self):
        return self.endpoint.port or (2376 if self.endpoint.tls else 2375)

    def _plain_hint(self, exc):
        if self.endpoint.scheme == "tcp" and not self.endpoint.tls and _no_answer(exc):
            return " (a TLS port answers plain HTTP like this: set DOCKER_TLS_VERIFY=1 if the engine wants TLS)"
        return ""

    @staticmethod
    def _explained(sock, error, wait=True):
        explain = getattr(sock, "explain", None)
        return explain(error, wait) if explain else error

    def _connect(self, deadline):
        scheme = self.endpoint.scheme
        if scheme == "unix":
            return self._connect_unix(deadline)
        if scheme == "tcp":
            return self._connect_tcp(deadline)
        if scheme == "ssh":
            return _SshChannel.open(self.endpoint, deadline, self.timeout, self.search_path)
        raise _failed("unsupported", "%s: hostcheck cannot reach %s:// engines" % (self.endpoint.url, scheme))

    def _connect_unix(self, deadline):
        path = self.endpoint.path
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            sock.connect(path)
        except socket.timeout:
            sock.close()
            raise _failed("timeout", "connect %s: no answer within %gs" % (path, self.timeout))
        except OSError as exc:
            sock.close()
            raise _failed(_connect_state(exc), "%s: %s" % (path, _reason(exc)))
        return sock

    def _connect_tcp(self, deadline):
        addresses = self._resolve(deadline)
        last = None
        for family, address in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                sock.connect(address)
            except socket.timeout:
                sock.close()
                raise _failed("timeout", "connect %s: no answer within %gs" % (self.endpoint.url, self.timeout))
            except OSError as exc:
                sock.close()
                last = exc
                continue
            if not self.endpoint.tls:
                return sock
            try:
                return self._tls_wrap(sock)
            except socket.timeout:
                sock.close()
                raise _failed("timeout", "TLS handshake with %s: no answer within %gs" % (self.endpoint.url, self.timeout))
            except (OSError, ValueError) as exc:
                sock.close()
                if _is_tls_error(exc):
                    raise _tls_failure(self.endpoint, exc)
                raise _failed(_connect_state(exc), "TLS handshake with %s: %s" % (self.endpoint.url, _reason(exc)))
        state = _connect_state(last) if last is not None else "unreachable"
        if state == "permission_denied":     # a local firewall or SELinux refused the connect
            state = "unreachable"
        detail = "connect %s: %s" % (self.endpoint.url, _reason(last) if last is not None else "no address")
        raise _failed(state, detail)

    def _resolve(self, deadline):
        """(family, sockaddr) of the engine's host; a name is resolved once per client, in a
        thread, so that a stuck resolver cannot outlast the deadline."""
        with self._lock:
            if self._addresses is not None:
                return self._addresses
        host, port = self.endpoint.host, self._port()
        import ipaddress
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None:
            family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            found = [(family, (host, port))]
        else:
            answer = {}

            def lookup():
                try:
                    answer["ok"] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
                except Exception as exc:
                    answer["error"] = exc

            worker = threading.Thread(target=lookup, name="hostcheck-resolve")
            worker.daemon = True
            worker.start()
            worker.join(max(deadline - time.monotonic(), 0.001))
            if worker.is_alive():
                raise _failed("timeout", "resolving %s: no answer within %gs" % (host, self.timeout))
            if "error" in answer:
                raise _failed("unreachable", "%s: cannot resolve %s (%s)" % (
                    self.endpoint.url, host, _reason(answer["error"])))
            found = [(family, sockaddr) for family, _, _, _, sockaddr in answer["ok"]]
        with self._lock:
            self._addresses = found
        return found

    def _tls_wrap(self, sock):
        with self._lock:
            if self._tls_context is None:
                self._tls_context = _tls_context(self.endpoint)
            context = self._tls_context
        return context.wrap_socket(sock, server_hostname=self.endpoint.host)


def _tls_context(endpoint):
    import ssl      # ~20 ms to import: only an engine spoken to over TLS pays it
    tls = endpoint.tls
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The docker CLI asks for TLS 1.2 at least (minimum_version from Python 3.7).
    if hasattr(context, "minimum_version"):
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    else:
        context.options |= ssl.OP_NO_TLSv1 | ssl.OP_NO_TLSv1_1
    try:
        if tls["verify"]:
            if tls.get("ca"):
                context.load_verify_locations(cafile=tls["ca"])
            else:
                context.load_default_certs()
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if tls.get("cert") and tls.get("key"):
            # A passphrase-protected key fails here instead of prompting on the terminal.
            context.load_cert_chain(tls["cert"], tls["key"], password=lambda: "")
    except (ssl.SSLError, OSError) as exc:
        raise _failed("tls_error", "%s: cannot load the TLS files (%s): %s" % (
            endpoint.url, ", ".join(v for k, v in sorted(tls.items()) if k != "verify" and v) or "none",
            _reason(exc)))
    return context


def _no_answer(exc):
    return isinstance(exc, ConnectionResetError) or str(exc) == "connection closed without an answer"


def _client_cert_hint(endpoint):
    if (endpoint.tls or {}).get("cert"):
        return ": does the engine trust the client certificate %s?" % endpoint.tls["cert"]
    return ": no client certificate was offered; an engine run with --tlsverify wants one (cert.pem and key.pem)"


def _is_tls_error(exc):
    ssl = sys.modules.get("ssl")    # never imported: no TLS was spoken, so no TLS error
    return ssl is not None and isinstance(exc, (ssl.SSLError, ssl.CertificateError))


def _tls_failure(endpoint, exc):
    import ssl
    text = _reason(exc)
    lowered = str(exc).lower()
    if "wrong_version_number" in lowered or "wrong version number" in lowered or "http_request" in lowered:
        text += " (the engine at %s speaks plain HTTP: unset DOCKER_TLS_VERIFY or use its TLS port)" % endpoint.url
    elif "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        text += " (the engine's certificate is not signed by %s)" % (
            (endpoint.tls or {}).get("ca") or "a CA this host trusts")
    elif isinstance(exc, ssl.CertificateError):
        text += " (the engine's certificate is not for %s)" % endpoint.host
    elif "certificate required" in lowered or "alert_certificate_required" in lowered or "unknown ca" in lowered \
            or "bad certificate" in lowered:
        text += _client_cert_hint(endpoint)
    return _failed("tls_error", "TLS with %s: %s" % (endpoint.url, text))


def _connect_state(exc):
    number = getattr(exc, "errno", None)
    if number in (errno.ENOENT, errno.ENOTDIR):
        return "socket_missing"
    if number in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    if number == errno.ECONNREFUSED:
        return "refused"
    if number in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.ENETDOWN, errno.EHOSTDOWN):
        return "unreachable"
    if number == errno.ETIMEDOUT:
        return "timeout"
    return "error"


def _reason(exc):
    if _is_tls_error(exc) and getattr(exc, "reason", None):
        return "%s (%s)" % (exc.reason, getattr(exc, "verify_message", None) or exc.library or "ssl")
    return getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__


def _error_message(body):
    try:
        return str(json.loads(body.decode("utf-8", "replace")).get("message", ""))[:300]
    except (ValueError, AttributeError, RecursionError):
        return body[:300].decode("utf-8", "replace").strip()


def nested_deeper(value, limit):
    """True when `value` (decoded JSON) nests arrays and objects more than `limit` levels.

    Depth-first with an explicit stack: no recursion, and it stops at the first branch
    that is too deep.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


# ------------------------------------------------------------------ ssh


class _SshChannel(object):
    """`ssh -o BatchMode=yes … -- HOST docker system dial-stdio` on one end of a socketpair.

    The other end behaves as a socket (timeouts, recv, sendall), so the HTTP reader is the
    same as for unix and tcp. Closing it ends the ssh process (its whole session).
    """

    def __init__(self, sock, proc, endpoint):
        self.sock = sock
        self.proc = proc
        self.endpoint = endpoint
        self.stderr = b""

    @classmethod
    def open(cls, endpoint, deadline, timeout, search_path=None):
        from hostcheck.capture.runner import find_executable, search_path as default_path
        ssh = find_executable("ssh", search_path or default_path())
        if ssh is None:
            raise _failed("ssh_error", "%s: the ssh client is not installed here" % endpoint.url)
        argv = [ssh, "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=%d" % max(1, int(math.ceil(max(deadline - time.monotonic(), 0.001))))]
        if endpoint.user:
            argv += ["-l", endpoint.user]
        if endpoint.port:
            argv += ["-p", str(endpoint.port)]
        argv += ["--", endpoint.host, "docker system dial-stdio"]
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["LC_ALL"] = "C"
        try:
            proc = subprocess.Popen(argv, stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=subprocess.PIPE,
                                    env=env, cwd="/", start_new_session=True)
        except OSError as exc:
            ours.close()
            raise _failed("ssh_error", "%s: cannot run ssh: %s" % (endpoint.url, _reason(exc)))
        finally:
            theirs.close()
        return cls(ours, proc, endpoint)

    def settimeout(self, seconds):
        self.sock.settimeout(seconds)

    def sendall(self, data):
        self.sock.sendall(data)

    def recv(self, size):
        return self.sock.recv(size)

    def close(self):
        self.sock.close()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.returncode is not None:     # dead: its stderr ends
            try:
                self.stderr = self.proc.stderr.read(4096)
            except OSError:
                pass
        self.proc.stderr.close()

    def explain(self, error, wait=True):
        """The error to report for a request that failed: ssh's own last words, when it said any."""
        if self.proc.poll() is None:
            if not wait:
                return error
            try:
                self.proc.wait(timeout=0.5)     # give it a moment to say why it gave up
            except subprocess.TimeoutExpired:
                return error
        try:
            said = self.proc.stderr.read(4096)
        except OSError:
            said = b""
        lines = [line.strip() for line in said.decode("utf-8", "replace").splitlines() if line.strip()]
        if not lines:
            return error
        last = lines[-1][:300]
        lowered = last.lower()
        if "connection refused" in lowered:
            state = "refused"
        elif "could not resolve" in lowered or "no route to host" in lowered or "network is unreachable" in lowered:
            state = "unreachable"
        elif "timed out" in lowered:
            state = "timeout"
        elif "permission denied while trying to connect to the docker" in lowered:
            state = "permission_denied"
        elif "cannot connect to the docker daemon" in lowered:
            state = "refused"
        else:
            state = "ssh_error"
        return _failed(state, "%s: ssh said: %s" % (self.endpoint.url, last))


# ------------------------------------------------------------------ HTTP


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
                raise EOFError("connection closed in the middle of a line" if self.buffer else
                               "connection closed without an answer")
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

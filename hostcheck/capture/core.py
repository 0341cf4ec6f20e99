"""The capture: read this host (files, dirs, commands, Engine API) into SPEC's document.

Every probe runs in a worker thread of one of three lanes (file reads, commands, engine
requests), all under one overall deadline; a probe that has not answered by then is
recorded as `timeout`. Probes that depend on an earlier answer (inspects after the lists,
the version commands after /version, firewall-cmd after the process scan) are submitted
by the probe they depend on. Nothing here writes to the host.
"""

import errno
import gzip
import os
import queue
import re
import signal
import stat
import sys
import threading
import time

import hostcheck
from hostcheck.capture.redact import pseudonymise, scrub_argv, scrub_secrets
from hostcheck.capture.engine_api import STATES, EngineClient, EngineError, demultiplex, resolve_endpoint
from hostcheck.capture.logmatch import log_kinds
from hostcheck.capture import FORMAT  # noqa: F401 (read from here too)
from hostcheck.capture.runner import find_executable, run_command, search_path
from hostcheck.capture.probes import (  # noqa: F401 (names other modules read from here)
    BINFMT_DIR, CHANGELOG_LIMIT, COMMANDS, DAEMON_NAMES, DEB_CHANGELOGS, DIRS, DOCKER_DROPIN_DIR,
    ENGINE_LISTS, ENGINE_VERSION_COMMANDS, FILE_LIMIT, FILES, FIREWALL_COMMANDS, KERNEL_CONFIG, BOOT_CONFIG,
    LOG_TAIL, ROOT_ONLY, RPM_CHANGELOG_COMMANDS, RPM_DATABASE_DIRS, RPM_DATABASE_FILES, RPM_OWNER_COMMANDS,
    SOCKET_TABLES, STAT_PATHS, binfmt_mount_state)

_PERMISSION_HINT = r"permission denied|you must be root|operation not permitted"


def _error_code(exc):
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "not_found"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "permission_denied"
    return "error"


def _failure(exc):
    record = {"error": _error_code(exc)}
    if record["error"] == "error":
        record["detail"] = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    return record


def read_text(path, limit=FILE_LIMIT, compressed=False):
    """A file record: {"content": TEXT} (+ "decoded", "truncated") or {"error": CODE}."""
    try:
        if compressed:
            with gzip.open(path, "rb") as handle:
                data = handle.read(limit + 1)
        else:
            # Read in modest chunks: a /proc/sys handler allocates a kernel buffer of the
            # size asked for, and one multi-MiB read there fails with ENOMEM.
            chunks, size = [], 0
            with open(path, "rb", buffering=0) as handle:
                while size <= limit:
                    chunk = handle.read(min(65536, limit + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
            data = b"".join(chunks)
    except (OSError, EOFError) as exc:
        return _failure(exc)
    record = {"content": data[:limit].decode("utf-8", "replace")}
    if compressed:
        record["decoded"] = "gzip"
    if len(data) > limit:
        record["truncated"] = True
    return record


def list_dir(path):
    try:
        return {"entries": sorted(os.listdir(path))}
    except OSError as exc:
        return _failure(exc)


_FILE_TYPES = ((stat.S_ISSOCK, "socket"), (stat.S_ISREG, "file"), (stat.S_ISDIR, "directory"),
               (stat.S_ISLNK, "symlink"), (stat.S_ISCHR, "char"), (stat.S_ISBLK, "block"),
               (stat.S_ISFIFO, "fifo"))


def stat_path(path):
    try:
        info = os.stat(path)
    except OSError as exc:
        return _failure(exc)
    kind = next((name for test, name in _FILE_TYPES if test(info.st_mode)), "other")
    return {"mode": "0%03o" % stat.S_IMODE(info.st_mode), "uid": info.st_uid, "gid": info.st_gid,
            "type": kind}


def statvfs_path(path):
    try:
        info = os.statvfs(path)
    except OSError as exc:
        return _failure(exc)
    return {"free_bytes": info.f_bavail * info.f_frsize, "total_bytes": info.f_blocks * info.f_frsize,
            "free_inodes": info.f_favail, "total_inodes": info.f_files}


def binfmt_state(mounts_text):
    """(mounted, autofs_only) for /proc/sys/fs/binfmt_misc (probes.binfmt_mount_state)."""
    mounted, automount = binfmt_mount_state(mounts_text, BINFMT_DIR)
    return bool(mounted), bool(automount)


def matching_log_lines(text):
    """The log lines worth keeping (nothing else leaves the host): failures at exec and page
    size (hostcheck.capture.logmatch)."""
    return [line.rstrip("\r") for line in text.split("\n") if log_kinds(line)]


class _Lane(object):
    """A queue served by up to `size` daemon threads, started on demand."""

    def __init__(self, name, size):
        self.name = name
        self.size = size
        self.queue = queue.Queue()
        self.lock = threading.Lock()
        self.workers = 0
        self.idle = 0

    def push(self, task):
        # `idle` counts waiting workers minus queued tasks; a new worker starts only when
        # none is free and the lane is not full.
        with self.lock:
            start = self.idle == 0 and self.workers < self.size
            if start:
                self.workers += 1
            else:
                self.idle -= 1  # one idle worker will take it
        self.queue.put(task)
        if start:
            self._start_thread()

    def start_workers(self, count):
        """Start up to `count` idle workers before a burst of pushes: Thread.start() waits for
        the new thread to run, which is slow once other workers hold the GIL (fork)."""
        with self.lock:
            count = min(count, self.size - self.workers)
            self.workers += count
            self.idle += count
        for _ in range(count):
            self._start_thread()

    def _start_thread(self):
        thread = threading.Thread(target=self._work, name="hostcheck-" + self.name)
        thread.daemon = True  # a probe stuck past the deadline must not keep us alive
        thread.start()

    def _work(self):
        while True:
            task = self.queue.get()
            task()
            with self.lock:
                self.idle += 1


class Capture(object):
    def __init__(self, timeout=5.0, environ=None, sockets=True, host=None, running_inspects=True):
        self.timeout = float(timeout)
        self.sockets = sockets
        self.running_inspects = running_inspects    # False: running containers' inspects left out (take)
        self.host = host            # -H/--host: the engine the user named, before DOCKER_HOST & co
        self.endpoint = None        # engine_api.Endpoint, once engine_probes has worked it out
        self.environ = os.environ if environ is None else environ
        self.started = time.monotonic()
        self.deadline = self.started + max(3 * self.timeout, self.timeout + 1.0)
        self.path = search_path(self.environ)
        self.euid = os.geteuid()
        self.cond = threading.Condition()
        self.closed = False
        self.pending = {}
        self.next_id = 0
        self.processes_live = set()
        self.spawned = set()  # pids of our own probes: not part of the host's process table
        # Every command can start at once (they mostly wait on their children, and the
        # version commands the engine's answer decides on must not queue behind the rest).
        self.lanes = {"io": _Lane("io", 4), "cmd": _Lane("cmd", 16), "engine": _Lane("engine", 6),
                      # One thread that enters containers' network namespaces and nothing else.
                      "netns": _Lane("netns", 1)}
        self.sections = {"files": {}, "dirs": {}, "commands": {}, "stat": {}, "statvfs": {}}
        self.docker = {"endpoint": None, "responses": {}, "logs": {}, "errors": {}, "error": None}
        self.extra = {}
        self.engine = None
        self.held = []  # the first burst of tasks, queued until release()
        self.netns_tables = {}  # (network namespace, table) -> the one read of it
        self.listening = None   # sockdiag.NetnsListeners, made on the first running container

    # ------------------------------------------------------------ bookkeeping
    def put(self, section, key, value):
        with self.cond:
            if not self.closed:
                self._target(section)[key] = value

    def _target(self, section):
        if section == "docker":
            return self.docker
        if section.startswith("docker."):
            return self.docker[section[len("docker."):]]
        if section == "extra":
            return self.extra
        return self.sections[section]

    def submit(self, lane, on_timeout, function, *args):
        """Run function(*args) in `lane`; on_timeout = (section, key, record), or a list of
        them, used when it has not finished by the deadline (or raised)."""
        keys = on_timeout if isinstance(on_timeout, list) else [on_timeout]
        with self.cond:
            if self.closed:
                return
            task_id = self.next_id
            self.next_id += 1
            self.pending[task_id] = keys

        def task():
            try:
                function(*args)
            except Exception as exc:  # a probe that breaks is recorded, the rest goes on
                for section, key, _ in keys:
                    self.put(section, key, {"error": "error", "detail": "%s: %s" % (exc.__class__.__name__, exc)})
            finally:
                with self.cond:
                    self.pending.pop(task_id, None)
                    self.cond.notify_all()

        if self.held is not None:
            self.held.append((lane, task))
        else:
            self.lanes[lane].push(task)

    def release(self):
        """Start the workers the first burst needs, then hand them its tasks."""
        held, self.held = self.held, None
        # The engine first: lists, then inspects, then logs make the longest chain. Its
        # workers are all started now, for the inspects that follow the lists.
        self.lanes["engine"].start_workers(self.lanes["engine"].size if self.engine else 0)
        for name in ("io", "cmd"):
            self.lanes[name].start_workers(sum(1 for lane_name, _ in held if lane_name == name))
        for lane_name, task in held:
            self.lanes[lane_name].push(task)

    def remaining(self):
        return max(self.deadline - time.monotonic(), 0.01)

    def probe_timeout(self):
        return min(self.timeout, self.remaining())

    def wait(self):
        if self.held is not None:
            self.release()
        with self.cond:
            while self.pending:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            self.closed = True
            late = list(self.pending.values())
            live = list(self.processes_live)
        for keys in late:
            for section, key, record in keys:
                self._target(section)[key] = record
        for proc in live:  # a command still running at the deadline is cut
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass

    # ------------------------------------------------------------ probes
    def file(self, path, **options):
        self.submit("io", ("files", path, {"error": "timeout"}), self._read_file, path, options)

    def _read_file(self, path, options):
        self.put("files", path, read_text(path, **options))

    def command(self, argv, max_output=None):
        key = " ".join(argv)
        if argv[0] in ROOT_ONLY and self.euid != 0:
            self.put("commands", key, {"argv": list(argv), "error": "permission_denied", "detail": "needs root"})
            return
        self.submit("cmd", ("commands", key, {"argv": list(argv), "error": "timeout"}),
                    self._run, key, argv, max_output)

    def _run(self, key, argv, max_output):
        record = run_command(argv, timeout=self.probe_timeout(), path=self.path, max_output=max_output,
                             on_start=self._track)
        if argv[0] in ROOT_ONLY and record.get("rc") and re.search(_PERMISSION_HINT, record.get("stderr", ""), re.I):
            record = {"argv": list(argv), "error": "permission_denied",
                      "detail": record["stderr"].strip().splitlines()[0][:200]}
        self.put("commands", key, record)

    def _track(self, proc, running):
        with self.cond:
            if running:
                self.processes_live.add(proc)
                self.spawned.add(proc.pid)
            else:
                self.processes_live.discard(proc)

    def known(self, argv, code, detail):
        self.put("commands", " ".join(argv), {"argv": list(argv), "error": code, "detail": detail})

    # ------------------------------------------------------------ host
    def process_probes(self):
        self.submit("io", ("extra", "processes", {"error": "timeout"}), self._processes)

    def host_probes(self, mounts):
        self.put("files", "/proc/mounts", mounts)
        if self.sockets:
            self.socket_tables()
        for path in FILES:
            self.file(path)
        self.submit("io", ("files", KERNEL_CONFIG, {"error": "timeout"}), self._kernel_config)
        for path in DEB_CHANGELOGS:
            self.file(path, limit=CHANGELOG_LIMIT, compressed=True)
        for path in DIRS:
            self.submit("io", ("dirs", path, {"error": "timeout"}), self._list, path)
        self.submit("io", ("dirs", DOCKER_DROPIN_DIR, {"error": "timeout"}), self._dropins)
        for path in STAT_PATHS:
            self.put("stat", path, stat_path(path))
        if "content" in mounts:
            self._binfmt(mounts["content"])
        else:  # whether binfmt_misc is an automount is unknown: do not go near it
            record = {"error": "skipped", "detail": "/proc/mounts unreadable; not touching binfmt_misc"}
            self.put("dirs", BINFMT_DIR, record)
            self.put("files", BINFMT_DIR + "/status", dict(record))

    def socket_tables(self, pid=None):
        """/proc/[pid/]net/{tcp,tcp6,udp,udp6}: the host's, or a container's network namespace
        (container_probes).

        Reading a tcp table walks the kernel's whole established-connection hash (about
        5 ms with 262144 buckets, whatever the namespace holds), so each namespace is read
        once: containers sharing one (pods, --network host, container:ID) get the same text.
        """
        if pid is not None:
            self.container_probes(pid, None)
            return
        try:
            namespace = os.readlink("/proc/self/ns/net")
        except OSError:
            namespace = "/proc/net/"  # no way to tell: read this one on its own
        for name in SOCKET_TABLES:
            self.submit("io", ("files", "/proc/net/" + name, {"error": "timeout"}),
                        self._read_socket_table, "/proc/net/" + name, (namespace, name))

    def container_probes(self, pid, resolv):
        """A running container's socket tables (with `sockets`) and its resolv.conf file
        (`resolv`, None: not read), in one task of the netns lane."""
        base = "/proc/%d/net/" % pid
        names = SOCKET_TABLES if self.sockets else ()
        keys = [("files", path, {"error": "timeout"}) for path in [base + name for name in names] + [resolv] if path]
        if keys:
            self.submit("netns", keys, self._container_probes, pid, base, names, resolv)

    def _container_probes(self, pid, base, names, resolv):
        if names:
            self._container_tables(pid, base, names)
        if resolv:
            self.put("files", resolv, read_text(resolv))

    def _container_tables(self, pid, base, names):
        """The socket tables of a container's namespace: netlink sock_diag's answer, once per
        namespace (hostcheck/capture/sockdiag.py: its listening sockets in the file's format,
        ~0.1 ms for the four), else each file itself."""
        from hostcheck.capture import sockdiag   # only a capture with running containers needs it
        try:
            namespace = os.readlink("/proc/%d/ns/net" % pid)
        except OSError:
            namespace = base  # no way to tell: read this one on its own
        slot = self._slot((namespace, "sock_diag"))
        with slot["lock"]:
            if slot["record"] is None:
                if self.listening is None:
                    self.listening = sockdiag.NetnsListeners(timeout=self.probe_timeout())
                # A table the kernel lacks (IPv6 disabled: tcp6 and udp6) stays the file
                # read's not_found.
                ipv6 = os.path.exists(base + "tcp6")
                present = [name for name in names if ipv6 or not name.endswith("6")]
                texts = self.listening.tables(pid, present) if present else {}
                slot["record"] = dict((name, {"content": text, "source": sockdiag.SOURCE})
                                      for name, text in texts.items())
            records = slot["record"]
        for name in names:
            if name in records:
                self.put("files", base + name, dict(records[name]))
            else:   # no answer from sock_diag for this one: the file, as for the host's
                self._read_socket_table(base + name, (namespace, name))

    def _slot(self, slot_key):
        with self.cond:
            slot = self.netns_tables.get(slot_key)
            if slot is None:
                slot = self.netns_tables[slot_key] = {"lock": threading.Lock(), "record": None}
            return slot

    def _read_socket_table(self, path, slot_key):
        slot = self._slot(slot_key)
        with slot["lock"]:
            if slot["record"] is None or "error" in slot["record"]:  # e.g. that process exited
                slot["record"] = read_text(path)
        self.put("files", path, dict(slot["record"]))

    def _list(self, path):
        self.put("dirs", path, list_dir(path))

    def _kernel_config(self):
        record = read_text(KERNEL_CONFIG, compressed=True)
        self.put("files", KERNEL_CONFIG, record)
        if record.get("error") == "not_found":
            path = BOOT_CONFIG % os.uname().release
            self.put("files", path, read_text(path))

    def _dropins(self):
        listing = list_dir(DOCKER_DROPIN_DIR)
        self.put("dirs", DOCKER_DROPIN_DIR, listing)
        for name in listing.get("entries", ()):
            if name.endswith(".conf"):
                path = DOCKER_DROPIN_DIR + "/" + name
                self.put("files", path, read_text(path))

    def _binfmt(self, mounts_text):
        mounted, autofs_only = binfmt_state(mounts_text)
        status = BINFMT_DIR + "/status"
        if mounted:
            self.submit("io", ("dirs", BINFMT_DIR, {"error": "timeout"}), self._binfmt_entries)
            return
        if autofs_only:
            record = {"error": "skipped", "detail": "autofs: binfmt_misc not mounted; not triggering the automount"}
        else:
            record = {"error": "not_found", "detail": "binfmt_misc not mounted"}
        self.put("dirs", BINFMT_DIR, record)
        self.put("files", status, dict(record))

    def _binfmt_entries(self):
        listing = list_dir(BINFMT_DIR)
        self.put("dirs", BINFMT_DIR, listing)
        for name in listing.get("entries", ()):
            path = BINFMT_DIR + "/" + name
            if name == "register":
                self.put("files", path, {"error": "skipped", "detail": "write-only control file"})
                continue
            record = read_text(path)
            self.put("files", path, record)
            for line in record.get("content", "").splitlines():
                if line.startswith("interpreter "):  # does the emulator still exist?
                    interpreter = line.split(" ", 1)[1].strip()
                    self.put("stat", interpreter, stat_path(interpreter))

    def _processes(self):
        """The process table (/proc/*/comm, with psutil's names when it is importable), then
        firewalld and the owners of listening sockets (psutil).

        Without `sockets`, psutil is not even imported: it costs ~30 ms to import and its
        net_connections walks every /proc/<pid>/fd, work only the socket owners need.
        """
        psutil = None
        if self.sockets:
            try:
                import psutil
            except ImportError:
                pass
        # psutil's table, read as psutil reads it (its names) but without its per-process
        # objects: psutil.process_iter cost ~0.3 ms per running container here.
        items = _proc_table(long_names=psutil is not None)
        with self.cond:
            own = set(self.spawned)
        # Our own probes (`podman --version` …) are not the host's processes.
        items = [item for item in items if item["pid"] not in own and not (
            item["name"] in DAEMON_NAMES and _parent(item["pid"]) == os.getpid())]
        for item in items:
            # The engine daemons' own flags (-H tcp://…, --iptables=false) may come from
            # nowhere else the capture reads (a wrapper script, a hand-started dockerd).
            if item["name"] in DAEMON_NAMES:
                item["cmdline"] = _redact_args(_proc_cmdline(item["pid"]).split("\0")[:64])
        self.put("extra", "processes", {"source": "psutil" if psutil is not None else "proc", "items": items})
        self._firewall(any(_is_firewalld(item["name"], lambda p=item["pid"]: _proc_cmdline(p))
                           for item in items))
        if psutil is not None:
            self._listeners(psutil, items)

    def _firewall(self, running):
        for argv in FIREWALL_COMMANDS:
            if running:
                self.command(argv)
            else:
                self.known(argv, "not_running", "no firewalld process")

    def _listeners(self, psutil, items):
        names = dict((item["pid"], item["name"]) for item in items)
        try:
            connections = psutil.net_connections(kind="inet")
        except Exception as exc:  # AccessDenied for a non-root user on some systems
            # "listeners" is a list in the schema: say why it is absent beside it.
            self.put("extra", "listeners_error", {"error": "permission_denied", "detail": str(exc)[:200]})
            return
        import socket
        listeners = []
        for conn in connections:
            tcp = conn.type == socket.SOCK_STREAM
            if (tcp and conn.status != psutil.CONN_LISTEN) or (not tcp and conn.raddr):
                continue
            proto = ("tcp" if tcp else "udp") + ("6" if conn.family == socket.AF_INET6 else "")
            listeners.append({"proto": proto, "ip": conn.laddr[0], "port": conn.laddr[1],
                              "pid": conn.pid, "name": names.get(conn.pid)})
        listeners.sort(key=lambda item: (item["proto"], item["port"], item["ip"]))
        self.put("extra", "listeners", listeners)

    def run_commands(self, extra=()):
        for argv in COMMANDS + tuple(extra):
            self.command(argv)
        has_rpm = find_executable("rpm", self.path)
        has_database = any(os.path.isfile(os.path.join(directory, name))
                           for directory in RPM_DATABASE_DIRS for name in RPM_DATABASE_FILES)
        for argv in RPM_CHANGELOG_COMMANDS + RPM_OWNER_COMMANDS:
            if not has_rpm:
                self.known(argv, "not_found", "rpm is not installed")
            elif not has_database:
                self.known(argv, "skipped", "no rpm database in %s: not an RPM-based host"
                           % " or ".join(RPM_DATABASE_DIRS))
            else:
                self.command(argv, max_output=CHANGELOG_LIMIT)

    # ------------------------------------------------------------ engine
    def engine_probes(self):
        """Work out the engine (-H, DOCKER_HOST, DOCKER_CONTEXT, the CLI's current context, the
        rootless and default sockets: engine_api.resolve_endpoint), record which one and why,
        and queue its five list requests. Nothing here can hang: a stat, small config files."""
        endpoint = self.endpoint = resolve_endpoint(self.host, self.environ)
        for key, value in endpoint.describe().items():
            self.put("docker", key, value)
        if endpoint.problem:
            self._engine_down(*endpoint.problem)
            return
        if endpoint.scheme == "unix" and not self._socket_present(endpoint):
            return
        self.engine = EngineClient(endpoint, timeout=self.probe_timeout(),
                                   user_agent="hostcheck/" + hostcheck.__version__, path=self.path)
        for path in ENGINE_LISTS:
            self.get(path, self._on_list)

    def _socket_present(self, endpoint):
        """Is the unix socket there? If not, say which state that is and return False."""
        socket_path = endpoint.path
        if socket_path != "/var/run/docker.sock":
            self.put("stat", socket_path, stat_path(socket_path))
        try:
            os.stat(socket_path)
        except OSError as exc:
            code = _error_code(exc)
            if code == "permission_denied":     # e.g. another user's /run/user/UID (mode 0700)
                self._engine_down("permission_denied", "%s: %s" % (socket_path, exc.strerror))
            elif code != "not_found":
                self._engine_down("error", "%s: %s" % (socket_path, exc.strerror))
            elif endpoint.named:
                self._engine_down("socket_missing", "no socket at %s (named by %s)" % (socket_path, endpoint.source))
            elif find_executable("dockerd", self.path):
                self._engine_down("not_running", "socket absent: dockerd is installed but not running (%s)" % socket_path)
            else:
                self._engine_down("not_installed", "Docker is not installed (no %s, no dockerd)" % socket_path)
            return False
        return True

    def local_engine(self):
        """The engine runs on this host: its container pids, paths and root are this host's."""
        return self.endpoint is None or self.endpoint.local is True

    def _engine_down(self, state, detail):
        with self.cond:
            if self.closed or self.docker["error"] is not None:
                return
            self.docker["error"] = STATES[state]
            self.docker["state"] = state
            self.docker["detail"] = detail
        self._version_commands()
        if self.local_engine():   # the pre-install case: room for Docker's root on this host
            self.submit("io", ("statvfs", "/var/lib/docker", {"error": "timeout"}), self._statvfs, "/var/lib/docker")

    def _version_commands(self):
        for argv in ENGINE_VERSION_COMMANDS:
            self.command(argv)

    def _statvfs(self, path):
        self.put("statvfs", path, statvfs_path(path))

    def get(self, path, handler):
        self.submit("engine", ("docker.errors", path, {"error": "timeout"}), self._get, path, handler)

    def _get(self, path, handler):
        try:
            body = self.engine.get_json(path)
        except EngineError as exc:
            self.put("docker.errors", path, {"error": exc.code, "detail": exc.detail})
            handler(path, None, exc)
            return
        self.put("docker.responses", path, body)
        handler(path, body, None)

    def _on_list(self, path, body, exc):
        if path == "/version":
            if exc is None and self.local_engine():
                for argv in ENGINE_VERSION_COMMANDS:
                    self.known(argv, "skipped", "engine /version")
            elif exc is not None and exc.status is None:  # the engine could not be reached at all
                self._engine_down(exc.state, _ENGINE_DETAIL.get(exc.state, "") + exc.detail)
            else:   # a remote engine's components are not this host's
                self._version_commands()
        elif path == "/info" and self.local_engine():
            root = (body or {}).get("DockerRootDir") if isinstance(body, dict) else None
            root = root or "/var/lib/docker"
            self.submit("io", ("statvfs", root, {"error": "timeout"}), self._statvfs, root)
        elif exc is None and isinstance(body, list):
            for item in body:
                object_id = item.get("Id") if isinstance(item, dict) else None
                if not object_id:
                    continue
                if path.startswith("/containers/"):
                    if self.running_inspects or item.get("State") != "running":
                        self.get("/containers/%s/json" % object_id, self._on_container)
                elif path == "/images/json":
                    self.get("/images/%s/json" % object_id, _ignore)
                elif path == "/networks":
                    self.get("/networks/%s" % object_id, _ignore)

    def _on_container(self, path, body, exc):
        if exc is not None or not isinstance(body, dict):
            return
        state = body.get("State") or {}
        container_id = body.get("Id") or path.split("/")[2]
        pid = state.get("Pid") or 0
        # A remote engine's pids and paths name nothing on this host: read them only here.
        local = self.local_engine()
        resolv = body.get("ResolvConfPath")
        resolv = resolv if local and isinstance(resolv, str) and resolv.startswith("/") else None
        if local and state.get("Running") and isinstance(pid, int) and pid > 0:
            self.container_probes(pid, resolv)
        elif resolv:
            self.file(resolv)
        if state.get("Status") == "exited" and state.get("ExitCode"):
            tty = bool((body.get("Config") or {}).get("Tty"))
            path = "/containers/%s/logs?stdout=1&stderr=1&tail=%d" % (container_id, LOG_TAIL)
            self.submit("engine", ("docker.errors", path, {"error": "timeout"}), self._logs, path, container_id, tty)

    def _logs(self, path, container_id, tty):
        try:
            raw = self.engine.get_raw(path)
        except EngineError as exc:
            self.put("docker.errors", path, {"error": exc.code, "detail": exc.detail})
            return
        text = (raw if tty else demultiplex(raw)).decode("utf-8", "replace")
        self.put("docker.logs", container_id, matching_log_lines(text))

    # ------------------------------------------------------------ document
    def document(self):
        uname = os.uname()
        doc = {
            "format": FORMAT,
            "tool": {"name": "hostcheck", "version": hostcheck.__version__},
            "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "python": "%d.%d.%d" % sys.version_info[:3],
            "privileges": {"uid": os.getuid(), "euid": self.euid, "gid": os.getgid(), "egid": os.getegid(),
                           "groups": sorted(os.getgroups())},
            "uname": {"sysname": uname.sysname, "nodename": uname.nodename, "release": uname.release,
                      "version": uname.version, "machine": uname.machine},
        }
        # Sorted keys: threads finish in any order, a reader (or a diff) wants a stable one.
        for name, section in self.sections.items():
            doc[name] = dict(sorted(section.items()))
        docker = dict(self.docker)
        docker["responses"] = dict(sorted(docker["responses"].items()))
        if "state" not in docker:
            _settle_state(docker)
        if not docker["errors"]:
            del docker["errors"]
        doc["docker"] = docker
        doc.update(self.extra)
        doc["capture"] = {"timeout": self.timeout,
                          "duration_ms": round((time.monotonic() - self.started) * 1000, 1)}
        return doc


_ENGINE_DETAIL = {
    "permission_denied": "permission denied: ",
    "timeout": "the engine did not answer: ",
}


def _settle_state(docker):
    """docker.state once every request has ended, when no connection failure set it: running
    when /version or /info answered, else what the /version request met."""
    responses = docker["responses"]
    if isinstance(responses.get("/version"), dict) or isinstance(responses.get("/info"), dict):
        docker["state"] = "running"
        return
    failure = docker["errors"].get("/version") or docker["errors"].get("/info")
    if failure is None:     # not asked (no endpoint), or the deadline came first
        return
    docker["state"] = "timeout" if failure.get("error") == "timeout" else "error"
    if docker.get("error") is None:
        docker["error"] = STATES[docker["state"]]
        docker["detail"] = failure.get("detail") or "the engine answered /version with an error"


def _ignore(path, body, exc):
    return None


def _proc_table(long_names=False):
    """[{pid, name}] from /proc/*/comm, with the standard library alone.

    long_names: a name the kernel cut at 15 characters becomes the basename of the command
    line's first word when that starts with it, psutil's rule (psutil.Process.name): the
    table psutil.process_iter gives, without its objects (~0.14 ms a process on first use).
    """
    items = []
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        pids = []
    for pid in sorted(pids):
        # os.open/os.read: a host may run thousands of processes, file objects cost more.
        try:
            fd = os.open("/proc/%d/comm" % pid, os.O_RDONLY)
        except OSError:
            continue  # gone meanwhile
        try:
            name = os.read(fd, 64).decode("utf-8", "replace").rstrip("\n")
        except OSError:
            continue
        finally:
            os.close(fd)
        if long_names and len(name) >= 15:
            name = _long_name(pid, name)
        items.append({"pid": pid, "name": name})
    return items


def _long_name(pid, name):
    """psutil's name of a process whose comm is cut: its cmdline split as psutil splits it
    (NULs; spaces when a process rewrote it so), then the first word's basename."""
    data = _proc_cmdline(pid)
    if not data:        # a kernel thread, a zombie, or gone
        return name
    sep = "\0" if data.endswith("\0") else " "
    if data.endswith(sep):
        data = data[:-1]
    words = data.split(sep)
    if sep == "\0" and len(words) == 1 and " " in data:
        words = data.split(" ")
    extended = os.path.basename(words[0])
    return extended if extended.startswith(name) else name


def _redact_args(args):
    # Redacted here already (take() scrubs the whole document again): --password VALUE
    # as two arguments needs the list, not each argument alone.
    return scrub_argv([arg for arg in args if arg])


def _parent(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            # "pid (comm) state ppid …": comm may hold spaces and parentheses.
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


# Python's own options that take the next argument as their value.
_PYTHON_VALUE_OPTIONS = frozenset(("-W", "-X", "--check-hash-based-pycs"))


def _is_firewalld(name, cmdline):
    """firewalld is a Python program: started by its shebang its comm is "firewalld", started
    as `python3 [-s] /usr/sbin/firewalld` it is "python3". Only the script Python runs
    counts: `pytest -k firewalld` or `hostcheck --only firewall-firewalld-state` is not it."""
    if name == "firewalld":
        return True
    if not name.startswith("python"):
        return False
    args = cmdline().split("\0")
    skip_value = False
    for arg in args[1:]:
        if skip_value:
            skip_value = False
        elif arg in _PYTHON_VALUE_OPTIONS:
            skip_value = True
        elif arg in ("-c", "-m", "-", ""):     # a command, a module or stdin: no script path
            return False
        elif not arg.startswith("-"):
            return os.path.basename(arg) == "firewalld"
    return False


def take(timeout=5.0, redact=False, sockets=True, registry_refs=(), extra_commands=(), host=None,
         running_inspects=None):
    """Capture this host; returns the capture document (a dict). Never changes the host.

    sockets=False leaves out what only the network trees read — socket tables (the
    host's and each running container's) and the owners of listening sockets — for a
    faster `check`: on this kernel each of the host's tcp tables costs ~5 ms to read. The
    documents `capture` writes and `net` judges always have them (SPEC).
    running_inspects=False (None: as `sockets`) leaves out /containers/ID/json, and so the
    resolv.conf, of each container the list shows running: only the trees of `net`, `image`
    and `preflight` read them; `check` judges none of it (its image trees look at exited
    containers, docker.networks takes the gateways the list shows), ~0.5 ms per container.
    registry_refs: image references whose registry is asked, through the engine, which
    platforms it offers (docker.registry; hostcheck/capture/registry.py).
    extra_commands: more read-only argv tuples, run beside COMMANDS (preflight adds the
    compose tools' version commands, hostcheck/capture/compose.py).
    host: the engine the user named with -H/--host (before DOCKER_HOST, DOCKER_CONTEXT and the
    docker CLI's current context; engine_api.resolve_endpoint).
    """
    # No cyclic garbage collection meanwhile: the document is a tree of some 100,000 objects
    # (300 running containers) that the collector would walk again and again for nothing.
    import gc
    collecting = gc.isenabled()
    gc.disable()
    try:
        capture = Capture(timeout, sockets=sockets, host=host,
                          running_inspects=sockets if running_inspects is None else running_inspects)
        mounts = read_text("/proc/mounts")
        # The slow starters first: engine lists, the process scan (firewall-cmd waits on it),
        # the commands; file reads are quick and go last.
        capture.engine_probes()
        capture.process_probes()
        capture.run_commands(extra_commands)
        capture.host_probes(mounts)
        capture.wait()
        doc = capture.document()
        if registry_refs:
            from hostcheck.capture import registry  # only when asked: it is not needed otherwise
            registry.record(doc, registry_refs, timeout, endpoint=capture.endpoint)
        # Every string of the document: files (/proc and /usr/share/doc too), command output,
        # engine answers, registry answers, the process table, logs, /proc/cmdline.
        doc = scrub_secrets(doc)
        if redact:
            doc = pseudonymise(doc)
            doc["redacted"] = True
        return doc
    finally:
        if collecting:
            gc.enable()

"""Run one allow-listed, read-only command: argv list, never a shell, LC_ALL=C, a timeout.

The result is the capture document's command record: {"argv", "rc", "stdout", "stderr",
"duration_ms"} or {"argv", "error": CODE, "detail"?}.
"""

import errno
import os
import signal
import subprocess
import time

# A non-root user's PATH often lacks the sbin directories where iptables-save & co live.
EXTRA_PATH = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def search_path(environ=None):
    environ = os.environ if environ is None else environ
    parts = [p for p in (environ.get("PATH") or "/usr/local/bin:/usr/bin:/bin").split(":") if p]
    for extra in EXTRA_PATH:
        if extra not in parts:
            parts.append(extra)
    return ":".join(parts)


def find_executable(name, path):
    """Absolute path of `name` on the ':'-separated `path`, or None (no exec, just stat)."""
    if "/" in name:
        return name if os.access(name, os.X_OK) else None
    for directory in path.split(":"):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def command_env(path):
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env["PATH"] = path
    env["PAGER"] = "cat"
    # `docker --version` reads no daemon, but keep a remote DOCKER_HOST out of every probe.
    if not env.get("DOCKER_HOST", "unix://").startswith("unix://"):
        del env["DOCKER_HOST"]
    return env


def _decode(data):
    return data.decode("utf-8", "replace")


def run_command(argv, timeout=5.0, path=None, max_output=None, on_start=None):
    """Run argv (a list) and return its record. Kills the whole process group on timeout.

    max_output: keep only the first N bytes of stdout (the record then has "truncated": true).
    on_start(proc, running): told when the process starts (True) and ends (False), so that
    a caller with an overall deadline can kill what is still running.
    """
    record = {"argv": list(argv)}
    path = path or search_path()
    executable = find_executable(argv[0], path)
    if executable is None:
        record["error"] = "not_found"
        return record
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            [executable] + list(argv[1:]), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=command_env(path), cwd="/", start_new_session=True)
    except OSError as exc:
        record["error"] = "permission_denied" if exc.errno in (errno.EACCES, errno.EPERM) else "error"
        record["detail"] = exc.strerror or str(exc)
        return record
    if on_start is not None:
        on_start(proc, True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        record["error"] = "timeout"
        record["detail"] = "no answer within %gs; killed" % timeout
        return record
    finally:
        if on_start is not None:
            on_start(proc, False)
    record["rc"] = proc.returncode
    if max_output is not None and len(stdout) > max_output:
        stdout = stdout[:max_output]
        record["truncated"] = True
    record["stdout"] = _decode(stdout)
    record["stderr"] = _decode(stderr)
    record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return record


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.kill()
    except OSError:
        pass
    try:
        # Reap it; a grandchild that left the group may still hold the pipes open, so
        # do not wait for them to close.
        proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        pass
    for pipe in (proc.stdout, proc.stderr):
        try:
            pipe.close()
        except OSError:
            pass

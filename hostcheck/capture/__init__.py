"""The capture: the only part of hostcheck that touches the host (read-only, stdlib only).

    take(timeout=5.0, redact=False, sockets=True, registry_refs=(), host=None) -> dict   the document
    python -m hostcheck.capture -o FILE [-H URL] [--timeout S] [--redact] [--image REF]...

Runs on Python 3.6+ with the standard library alone; psutil adds the process table's
source and the listening sockets' owners when it can be imported.

Top-level keys: SPEC's format, tool, captured_at, python, privileges (also gid, egid),
uname, files, dirs, commands, docker (endpoint, responses, logs, error, detail; which engine
and why: endpoint_source, local, context, tls, endpoint_notes, and its finer `state`
(engine_api.STATES); `registry` {REF: {platforms} | {error, detail}} when
take(registry_refs=...) asked (registry.py); also `errors` {path: {error, detail}} for
requests that failed while the engine answered), stat, statvfs; and beside them
`processes` {"source": "psutil"|"proc", "items": [{"pid", "name"}]}, `listeners`
[{"proto", "ip", "port", "pid", "name"}] (psutil only; `listeners_error` when psutil was
refused), `capture` {"timeout", "duration_ms"}, and `redacted: true` after --redact.
"""

FORMAT = "hostcheck.capture/v1"


def take(*args, **kwargs):
    """hostcheck.capture.core.take: imported on first use, so that `analyze`, which needs only
    the redaction of this package, does not pay for the capture's modules (~30 ms)."""
    from hostcheck.capture import core
    return core.take(*args, **kwargs)


__all__ = ["FORMAT", "take"]

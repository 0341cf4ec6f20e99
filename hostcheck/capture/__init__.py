"""The capture: the only part of hostcheck that touches the host (read-only, stdlib only).

    take(timeout=5.0, redact=False) -> dict   the `hostcheck.capture/v1` document
    python -m hostcheck.capture -o FILE [--timeout S] [--redact]

Runs on Python 3.6+ with the standard library alone; psutil adds the process table's
source and the listening sockets' owners when it can be imported.
"""

from hostcheck.capture.core import FORMAT, take

__all__ = ["FORMAT", "take"]

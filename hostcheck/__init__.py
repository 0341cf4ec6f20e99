"""hostcheck: read-only diagnostics for Linux hosts that run containers.

This module must stay importable on Python 3.6 (the capture runs there):
no `from __future__ import annotations`, no walrus, no f-string `=`.
"""

__version__ = "0.1.0"

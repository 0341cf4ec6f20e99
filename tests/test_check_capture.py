"""`check` captures less than `capture` writes: no socket tables, no owners of listening
sockets, and no inspect (nor resolv.conf) of a running container (hostcheck.capture.take,
sockets=False). Its report must be the one `analyze` gives of the whole capture: here every
real capture in tests/data, judged whole and as `check` would have captured it.
"""

import copy
import json
from pathlib import Path

import pytest

from hostcheck.report import build_report

DATA = Path(__file__).resolve().parent / "data"
CAPTURES = sorted(path for pattern in ("captures/*.json", "systems/*.json", "net/*.json", "preflight/capture-live.json")
                  for path in DATA.glob(pattern)
                  if isinstance(json.loads(path.read_text()).get("docker"), dict))


def as_checks_capture(capture):
    """The capture without what take(sockets=False) leaves out."""
    doc = copy.deepcopy(capture)
    responses = doc["docker"].get("responses") or {}
    for item in responses.get("/containers/json?all=1") or []:
        if isinstance(item, dict) and item.get("State") == "running":
            inspect = responses.pop("/containers/%s/json" % item.get("Id"), None) or {}
            doc["files"].pop(inspect.get("ResolvConfPath"), None)
            pid = (inspect.get("State") or {}).get("Pid")
            for name in ("tcp", "tcp6", "udp", "udp6"):
                doc["files"].pop("/proc/%s/net/%s" % (pid, name), None)
    for name in ("tcp", "tcp6", "udp", "udp6"):
        doc["files"].pop("/proc/net/" + name, None)
    doc.pop("listeners", None)
    doc.pop("listeners_error", None)
    return doc


def test_the_captures_hold_running_containers():
    running = 0
    for path in CAPTURES:
        listed = json.loads(path.read_text())["docker"].get("responses", {}).get("/containers/json?all=1") or []
        running += sum(1 for item in listed if item.get("State") == "running")
    assert len(CAPTURES) >= 8 and running >= 10


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
def test_report_of_checks_capture_is_the_whole_captures(path):
    capture = json.loads(path.read_text())
    whole, _ = build_report(capture)
    checked, _ = build_report(as_checks_capture(capture))
    whole["generated_at"] = checked["generated_at"] = None
    assert json.dumps(checked, sort_keys=True) == json.dumps(whole, sort_keys=True)

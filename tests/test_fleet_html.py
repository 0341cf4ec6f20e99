"""The fleet page rendered for real in headless Chromium (Debian's `chromium` package;
tests/lib.sh installs it): a screenshot of the page over the real fixture reports must
show red FAIL cells and green PASS cells, and the DOM after the page's own script ran must
hold one matrix row per host. No network: the page is a file:// URL, and Chromium is told
not to reach out on its own (no background networking, component updates, sync, QUIC)."""

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib

import pytest

from test_fleet import SYSTEMS, judge, run  # noqa: F401  (the module fixture's helpers)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; "
                                                         "tests/lib.sh installs it for tests/run)")
WIDTH, HEIGHT = 1400, 1000
# The page's colours (hostcheck/fleet/html.py: --fail, --pass).
FAIL_RGB, PASS_RGB = (0xC6, 0x28, 0x28), (0x2E, 0x7D, 0x32)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fleet-page")
    reports = folder / "reports"
    reports.mkdir()
    hostnames = set()
    for capture in SYSTEMS:
        hostnames.add(judge(capture, reports / os.path.basename(capture))["host"]["hostname"] or "?")
    path = folder / "fleet.html"
    result = run("fleet", str(reports), "--json", "--html", str(path))
    assert result.exit_code == 1, result.stderr
    return path, len(SYSTEMS), hostnames


def chromium(*args):
    profile = tempfile.mkdtemp(prefix="hc-fleet-chromium-")
    try:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + profile] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def read_png(path):
    """(width, height, rows of RGB tuples) from an 8-bit RGB/RGBA PNG, with zlib alone."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:    # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = previous[i], previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        previous = line
    return width, height, [[tuple(r[x:x + 3]) for x in range(0, stride, channels)] for r in rows]


def near(pixel, rgb, tolerance=24):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb))


def test_screenshot_shows_red_fail_and_green_pass_cells(page, tmp_path):
    path, _, _ = page
    shot = tmp_path / "fleet.png"
    result = chromium("--screenshot=%s" % shot, "--window-size=%d,%d" % (WIDTH, HEIGHT), path.as_uri())
    assert shot.exists(), result.stderr[-2000:]
    width, height, pixels = read_png(str(shot))
    assert (width, height) == (WIDTH, HEIGHT)
    counts = {"fail": 0, "pass": 0, "white": 0, "other": 0}
    for row in pixels:
        for pixel in row:
            if near(pixel, FAIL_RGB):
                counts["fail"] += 1
            elif near(pixel, PASS_RGB):
                counts["pass"] += 1
            elif min(pixel) > 240:
                counts["white"] += 1
            else:
                counts["other"] += 1
    # several status cells' worth of each (a cell is ~40x20 px), and not a blank page
    assert counts["fail"] > 2000, counts
    assert counts["pass"] > 1000, counts
    assert counts["white"] < width * height * 0.97, counts
    keep = os.environ.get("HOSTCHECK_FLEET_SCREENSHOT")
    if keep:  # for a person to look at: HOSTCHECK_FLEET_SCREENSHOT=/tmp/fleet.png pytest …
        shutil.copy(str(shot), keep)


def test_rendered_dom_has_a_row_per_host_and_every_section(page):
    path, hosts, hostnames = page
    result = chromium("--dump-dom", path.as_uri())
    dom = result.stdout
    assert "</html>" in dom, result.stderr[-2000:]
    matrix = dom[dom.index('<table id="matrix"'):dom.index("</table>", dom.index('<table id="matrix"'))]
    assert len(re.findall(r"<tr data-rank=", matrix)) == hosts
    for hostname in hostnames:
        assert ">%s</a>" % hostname in matrix
    for section in ('id="rules"', 'id="groups"', 'class="host"'):
        assert section in dom
    assert dom.count('class="st s-fail"') >= 3 and dom.count('class="st s-pass"') >= 1

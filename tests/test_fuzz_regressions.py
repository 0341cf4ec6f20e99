"""What the fuzz suite found, each as its minimal input: the fix stays proven without a fuzz run.

Each test names the target that found it (tests/test_fuzz_*.py) and the module fixed.
"""

import io
import json
import os
import tarfile
import time

import pytest

from test_cli import runner
from hostcheck.cli import cli

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIVE_CAPTURE = os.path.join(REPO, "tests", "data", "preflight", "capture-live.json")
SMALL_CAPTURE = os.path.join(REPO, "tests", "data", "systems", "openeuler2203-x86_64.json")


# ---------------------------------------------------------------- image --archive (tarstream.Source)

def _docker_save(path, pax=None):
    """A one-image `docker save` archive; `pax`: records on its first member's pax header."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        info = tarfile.TarInfo("etc/hostname")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"x\n"))
    members = [("config.json", json.dumps({"architecture": "amd64", "os": "linux"}).encode()),
               ("layer/layer.tar", layer.getvalue()),
               ("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["x:1"],
                                              "Layers": ["layer/layer.tar"]}]).encode())]
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT if pax else tarfile.GNU_FORMAT) as tar:
        for number, (name, data) in enumerate(members):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            if pax and number == 0:
                info.pax_headers = dict(pax)
            tar.addfile(info, io.BytesIO(data))
    return path


def _with_size_field(path, value):
    """The archive with its first header's size field replaced (checksum recomputed)."""
    data = bytearray(open(path, "rb").read())
    data[124:136] = value
    data[148:156] = b"%06o\0 " % (sum(data[:148]) + 8 * 32 + sum(data[156:512]))
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    return path


@pytest.mark.parametrize("make", [
    # test_fuzz_image: {'base': 'docker-save', 'pax': {'size': '99999999999999999999'}} -> ValueError
    # "cannot fit 'int' into an offset-sized integer" from seek(): `internal error`, exit 3 with a traceback's words
    lambda path: _docker_save(path, pax={"size": "9" * 20}),
    # the same through a GNU base-256 size field (2**88)
    lambda path: _with_size_field(_docker_save(path), b"\x80" + b"\xff" * 11),
], ids=["pax size of 20 digits", "base-256 size 2**88"])
def test_a_member_larger_than_the_file_is_a_truncated_archive(tmp_path, make):
    from hostcheck.image import archive
    path = make(str(tmp_path / "forged.tar"))
    with pytest.raises(archive.ArchiveError, match="truncated or corrupt"):
        archive.read_archive(path)
    result = runner().invoke(cli, ["image", "--archive", path, "--capture", SMALL_CAPTURE])
    assert result.exit_code == 3 and result.exception.__class__ is SystemExit
    assert result.stderr.count("\n") == 1 and "truncated or corrupt" in result.stderr


def test_the_same_member_read_from_a_pipe(tmp_path):
    path = _docker_save(str(tmp_path / "forged.tar"), pax={"size": "9" * 20})
    with open(path, "rb") as handle:
        result = runner().invoke(cli, ["image", "--archive", "-", "--capture", SMALL_CAPTURE], input=handle.read())
    assert result.exit_code == 3 and "truncated" in result.stderr


# ---------------------------------------------------------------- --redact (capture/redact.Pseudonymiser)

def test_pseudonymising_a_forged_two_mib_hostname_is_quick():
    # test_fuzz_analyze: ('repeat', ('uname', 'nodename'), 1048576) with --redact took 13.4 s
    # on a loaded machine (3.2 s CPU alone), all of it compiling a name pattern of 2 MiB
    # (re.compile); now 0.04 s CPU.
    from hostcheck.capture.redact import pseudonymise
    with open(SMALL_CAPTURE, encoding="utf-8") as handle:
        capture = json.load(handle)
    forged = "node-" + "a" * (2 << 20)
    capture["uname"]["nodename"] = forged
    capture["files"]["/etc/hostname"] = {"content": forged + "\n"}
    started = time.process_time()
    out = pseudonymise(capture)
    assert time.process_time() - started < 2.0
    assert out["uname"]["nodename"].startswith("host-") and len(out["uname"]["nodename"]) == 13
    assert forged not in json.dumps(out)


def test_names_dns_allows_are_still_replaced_inside_text():
    from hostcheck.capture.redact import pseudonymise
    name = "n" + "a" * 252          # 253 characters: the longest DNS name
    out = pseudonymise({"uname": {"nodename": name}, "text": "ping %s ok" % name})
    assert name not in json.dumps(out) and out["text"].startswith("ping host-")


# ---------------------------------------------------------------- preflight (compose.py, walk.py, yamlload.py)

def preflight(tmp_path, compose_text, *args):
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(compose_text, encoding="utf-8")
    result = runner().invoke(cli, ["preflight", str(project), "--capture", LIVE_CAPTURE, "--own-parser"] + list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_a_service_with_neither_image_nor_build(tmp_path):
    # test_fuzz_preflight: the shop's compose file without `services` beside its override
    # (`front` with ports only) -> TypeError in image.local.looks_like_registry_ref(None).
    result = preflight(tmp_path, "services:\n  web:\n    ports: ['8080:80']\n", "--json")
    assert result.exit_code == 1, result.stderr
    trees = {(t["tree"], t["subject"]): t["verdict"] for t in json.loads(result.stdout)["trees"]}
    assert trees[("preflight", "web")]["id"] == "file-rejected"
    assert "neither an image nor a build context" in trees[("preflight", "web")]["text"]


def test_a_control_character_in_a_compose_file(tmp_path):
    # test_fuzz_preflight: '\x1b[2J\x1b[H' as the live compose file's first line -> yaml
    # ReaderError out of the loader's constructor, outside the try that turns YAML errors
    # into one line.
    result = preflight(tmp_path, "\x1b[2J\x1b[H\nservices:\n  web:\n    image: busybox\n", "--no-color")
    assert result.exit_code == 1
    assert "special characters are not allowed" in result.stdout and "\x1b" not in result.stdout


@pytest.mark.parametrize("text, words", [
    # test_fuzz_preflight: ('raw', ('services',), '1' + '0' * 5000) -> ValueError (Python's
    # 4,300-digit limit on int()) out of the YAML constructor.
    ("x: 1" + "0" * 5000, "cannot be read as int"),
    ("x: !!int abc", "cannot be read as int"),
    ("x: !!float abc", "cannot be read as float"),
    ("x: !!bool maybe", "cannot be read as bool"),
    ("x: !!timestamp nope", "cannot be read as timestamp"),
    ("x: [{a: !!float b}]", "cannot be read as float"),
])
def test_a_scalar_its_tag_does_not_fit_is_a_yaml_error(text, words):
    from hostcheck.preflight.yamlload import YamlError, load
    with pytest.raises(YamlError, match=words):
        load(text)


def test_a_5000_digit_port_is_refused_by_compose_rules(tmp_path):
    result = preflight(tmp_path, "services:\n  web:\n    image: busybox\n    ports: [1%s]\n" % ("0" * 5000), "--json")
    assert result.exit_code == 1 and "cannot be read as int" in result.stdout


def test_a_numeric_captured_at_never_makes_the_report_invalid_json(tmp_path):
    """Found by the fuzz suite: "captured_at": 1e999 parses as Infinity and was copied into
    the report, whose JSON then held `Infinity` (not JSON)."""
    with open(SMALL_CAPTURE) as handle:
        text = handle.read()
    document = json.loads(text)
    document["captured_at"] = "PLACEHOLDER"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document).replace('"PLACEHOLDER"', "1e999"))
    result = runner().invoke(cli, ["analyze", str(forged), "--json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output, parse_constant=lambda name: pytest.fail("report JSON holds " + name))
    assert report["captured_at"] is None

"""No parser is worse than linear on its input (the capture allows 8 MiB files).

Two kinds of proof, neither timing anything:
* the libraries that are quadratic (shlex, and distro through it) never see more than a
  fixed amount of text at once, whatever the capture holds — counted by wrapping them;
* every captured text of a real capture replaced by 1 MiB of adversarial text (one long
  line, deep quotes, brackets, a huge ExecStart) goes through `build_facts` in a
  subprocess under a guard of GUARD_SECONDS. Measured on the loaded 2-core VM: ~1 s per
  case now; before, one such os-release alone took 26-60 s, /etc/default/docker 60 s.
"""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hostcheck.image.report import classify_log
from hostcheck.parse import daemon, osrelease

REPO = Path(__file__).resolve().parent.parent
SYSTEMS = REPO / "tests" / "data" / "systems"
MiB = 1 << 20
GUARD_SECONDS = 45

ADVERSARIAL = {
    "long-line": "A=" + "x" * MiB,
    "deep-quotes": 'NAME="' + 'a\\"b\'c' * (MiB // 6),
    "brackets": "(['\"{" * (MiB // 5),
    "exec-start": "ExecStart=/usr/bin/dockerd " + "x" * MiB,
    "quoted-lines": 'A="\n' * (MiB // 4),
}


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def test_every_captured_text_at_1_mib_under_a_guard(kind):
    code = """if 1:
        import json, sys
        from hostcheck.combine import build_facts
        from hostcheck.parse import daemon, osrelease
        capture = json.load(open(sys.argv[1]))
        text = sys.stdin.read()
        paths = set(capture.get("files", {})) | set(osrelease.RELEASE_FILES) | set(daemon.ENV_FILES)
        paths |= set(daemon.UNIT_FILES) | {daemon.DROPIN_DIR + "/override.conf"}
        capture["files"] = {path: {"content": text} for path in paths}
        capture["commands"] = {key: dict(entry, rc=0, stdout=text, stderr=text)
                               for key, entry in capture.get("commands", {}).items() if isinstance(entry, dict)}
        facts = build_facts(capture)
        print(json.dumps({"known": sum(1 for name in facts.values)}))
    """
    result = subprocess.run([sys.executable, "-c", code, str(SYSTEMS / "kylin-v10-sp3-arm64.json")],
                            input=ADVERSARIAL[kind], capture_output=True, text=True, cwd=str(REPO),
                            timeout=GUARD_SECONDS)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["known"] > 0


# --------------------------------------------------------------- distro (shlex inside)

def test_distro_never_sees_more_than_the_release_file_limit(monkeypatch):
    seen = []
    real = osrelease._read_with_distro

    def counting(distro, present):
        seen.extend(present.values())
        return real(distro, present)

    monkeypatch.setattr(osrelease, "_read_with_distro", counting)
    for text in ADVERSARIAL.values():
        osrelease.identify({path: text for path in osrelease.RELEASE_FILES})
    assert seen and max(len(text) for text in seen) <= osrelease.RELEASE_FILE_LIMIT
    assert max(len(line) for text in seen for line in text.split("\n")) <= osrelease.RELEASE_LINE_LIMIT


def test_a_real_os_release_survives_a_junk_tail():
    real = (SYSTEMS / "kylin-v10-sp3-arm64" / "parts" / "files" / "etc" / "os-release").read_text()
    assert osrelease.bounded(real) == real
    info = osrelease.identify({"/etc/os-release": real + "JUNK=" + "x" * (8 * MiB) + "\n" + "Z=1\n" * MiB})
    assert (info["id"], info["version"], info["service_pack"]) == ("kylin", "V10", "SP3-2403")
    assert info == dict(osrelease.identify({"/etc/os-release": real}))


# --------------------------------------------------------------- shlex in unit and env files

@pytest.fixture
def shlex_inputs(monkeypatch):
    lengths = []
    real = shlex.split

    def counting(text, *args, **kwargs):
        lengths.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(daemon.shlex, "split", counting)
    return lengths


def test_shlex_never_sees_more_than_its_limits(shlex_inputs):
    for text in ADVERSARIAL.values():
        for env_file in (text, "OPTIONS=" + text):
            del shlex_inputs[:]
            daemon.parse_env_file(env_file)
            assert sum(length + daemon.SHLEX_CALL_COST for length in shlex_inputs) <= daemon.SHLEX_BUDGET
            assert max(shlex_inputs or [0]) <= daemon.SHLEX_LIMIT
        daemon.dockerd_args(["[Service]\nExecStart=/usr/bin/dockerd " + text], {})
        assert max(shlex_inputs or [0]) <= daemon.SHLEX_LIMIT


def test_quoting_is_still_read_where_it_matters(shlex_inputs):
    # CentOS 7's docker package: /etc/sysconfig/docker
    env = daemon.parse_env_file("# /etc/sysconfig/docker\n\n# Modify these options if you want to change "
                                "the way the docker daemon runs\nOPTIONS='--selinux-enabled --log-driver=journald "
                                "--signature-verification=false'\nif [ -z \"${DOCKER_CERT_PATH}\" ]; then\n"
                                "    DOCKER_CERT_PATH=/etc/docker\nfi\n")
    assert env["OPTIONS"] == "--selinux-enabled --log-driver=journald --signature-verification=false"
    unit = '[Service]\nExecStart=/usr/bin/dockerd -H fd:// --label "env=prod east" $OPTIONS\n'
    assert daemon.dockerd_args([unit], env) == ["-H", "fd://", "--label", "env=prod east", "--selinux-enabled",
                                                "--log-driver=journald", "--signature-verification=false"]
    assert shlex_inputs     # the quoted lines went through shlex


# --------------------------------------------------------------- container log lines

def test_log_classification_is_two_finds_not_backtracking():
    lines = ["exec " * (MiB // 5), "no such file or directory " * 1000 + "x", "EXEC /app: No Such File Or Directory"]
    assert classify_log(lines) == ["no_such_file"]
    code = "from hostcheck.image.report import classify_log; classify_log(['exec ' * %d])" % (4 * MiB // 5)
    subprocess.run([sys.executable, "-c", code], cwd=str(REPO), check=True, timeout=GUARD_SECONDS)

"""Planted secrets, each form a case: none survives the capture, the JSON or the text report.

The corpus (tests/data/secrets/, see its SOURCES.md) holds real file layouts and two
container bodies recorded from a real dockerd; `planted_capture()` puts them where the
capture records them -- files, the drop-in listing, engine answers, the process table,
container logs, a command's stderr -- on top of a real capture of this machine, as the
capture holds them before its redaction pass. The pass (scrub_secrets, what `capture`
applies to every document) must remove every planted value and keep the key and the shape
around it; `hostcheck analyze` of the result must show none of them either.
"""

import base64
import copy
import inspect
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hostcheck.capture.redact import REDACTED, pseudonymise, scrub_secrets
from hostcheck.cli import cli
from hostcheck.combine import build_facts

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "secrets"
BASE = DATA / "captures" / "debian12-this-machine.json"
DROPINS = "/etc/systemd/system/docker.service.d"
CONTAINERS = json.loads((CORPUS / "containers.json").read_text())
APP_ID, DB_ID = sorted(CONTAINERS["inspect"], key=lambda i: CONTAINERS["inspect"][i]["Name"])
JWT = re.search(r"eyJ[\w.-]+", json.dumps(CONTAINERS)).group(0)
DOCKERD_ARGV = ["/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock",
                "--log-driver=splunk", "--log-opt", "splunk-token=DaemonFlagTok-Corpus",
                "--log-opt", "splunk-url=https://splunk.example.com:8088"]

# (form, a planted value, what must stay around it in the capture)
CASES = [
    ("drop-in URL password", "Pr0xy%40Pass-Corpus",
     'Environment="HTTP_PROXY=http://proxyuser:<redacted>@proxy.corp.example:3128/"'),
    ("drop-in nested assignment with spaces", "Pw With Spaces-Corpus", 'Environment="SOME_PASSWORD=<redacted>"'),
    ("drop-in second assignment of a line", "DropInTok-Corpus", 'Environment=REGION=cn-north-1 "REGISTRY_TOKEN=<redacted>"'),
    ("ExecStart --log-opt splunk-token", "DaemonFlagTok-Corpus", "--log-opt splunk-token=<redacted> --log-opt"),
    ("DOCKER_OPTS mirror credentials", "MirrorPw-Corpus", "--registry-mirror=https://mirror:<redacted>@mirror.corp.example"),
    ("exported proxy in /etc/default/docker", "Pr0xyDefault-Corpus",
     'export http_proxy="http://proxyuser:<redacted>@proxy.corp.example:3128/"'),
    ("PEM private key body", "PemBodyCorpusLine2", "-----BEGIN RSA PRIVATE KEY-----\n<redacted>\n-----END RSA PRIVATE KEY-----"),
    ("daemon.json log-opts splunk-token", "DaemonJsonTok0Corpus", '"splunk-token": "<redacted>"'),
    ("daemon.json proxy password", "DaemonJsonProxyPw-Corpus", '"http-proxy": "http://proxyuser:<redacted>@proxy.corp.example:3128"'),
    ("dracut netroot=iscsi:user:pass@", "IscsiChap-Corpus", "netroot=iscsi:<redacted>@192.168.50.1::3260::iqn.2009-06.dracut:target0"),
    ("dracut rd.iscsi.password", "IscsiPw-Corpus", "rd.iscsi.password=<redacted>"),
    ("rd.luks.key", "LuksKeyPath-Corpus", "rd.luks.key=<redacted> swapaccount=1"),
    ("config.json auths auth", base64.b64encode(b"ci-bot:ConfigJsonPw-Corpus").decode(), '"auth": "<redacted>"'),
    ("config.json identitytoken", "IdentityTok-Corpus", '"identitytoken": "<redacted>"'),
    ("config.json proxies", "ConfigProxyPw-Corpus", '"httpProxy": "http://u:<redacted>@proxy.corp.example:3128"'),
    ("Entrypoint option, value first in Cmd", "JoinedPw-Corpus", '"--registry-password", "<redacted>"'),
    ("URL password holding / and @", "Pass@word-Corpus", "postgresql://app:<redacted>@db.internal:5432/app"),
    ("--token VALUE, two arguments", "TwoArgTok-Corpus", '"--token", "<redacted>"'),
    ("--token VALUE, two words of Command", "TwoArgTok-Corpus", "--registry-password <redacted> --db-url"),
    ("--api-key=VALUE", "EqKey-Corpus", "--api-key=<redacted>"),
    ("container Env", "EnvPw-Corpus", "REGISTRY_PASSWORD=<redacted>"),
    ("label named password", "LabelPw-Corpus", '"com.example.db.password": "<redacted>"'),
    ("label named token", "LabelTok-Corpus", '"com.example.api_token": "<redacted>"'),
    ("label named secret", "LabelSecret-Corpus", '"com.example.backup.secret": "<redacted>"'),
    ("token as URL user in a label", "LabelUrlTok0Corpus1x", "https://gitlab-ci-token:"),
    ("Bearer JWT in a CMD-SHELL healthcheck", JWT, "--header 'Authorization: Bearer <redacted>' http://127.0.0.1:8080/healthz"),
    ("log-driver option", "SplunkTok0Corpus", '"splunk-url": "https://splunk.example.com:8088"'),
    ("mysqladmin -pPASS in an exec-form healthcheck", "HcMyPw-Corpus", '"-uroot", "-p<redacted>"'),
    ("database Env", "DbEnvPw-Corpus", "MYSQL_ROOT_PASSWORD=<redacted>"),
    ("dockerd command line, --log-opt as two arguments", "DaemonFlagTok-Corpus", '"--log-opt", "splunk-token=<redacted>"'),
    ("podman login -p PASS in the process table", "PodmanLoginPw-Corpus", '"-p", "<redacted>"'),
    ("container log line", "LogPw-Corpus", "exec /app/entrypoint.sh --db-password=<redacted> exec format error"),
    ("command stderr", "PodmanStderrPw-Corpus", "https://ci:<redacted>@registry.corp.example"),
]
# Every planted value holds "Corpus", but for these shapes.
OTHER_SECRETS = [base64.b64encode(b"deploy:ConfigJsonPw2-Corpus").decode(), JWT.split(".")[0], JWT.split(".")[1]]


def planted_capture():
    """A capture of this machine with the corpus where the capture records each piece."""
    doc = json.loads(BASE.read_text())
    files = doc["files"]
    for name in ("http-proxy.conf", "override.conf"):
        files[DROPINS + "/" + name] = {"content": (CORPUS / name).read_text()}
    doc["dirs"][DROPINS] = {"entries": ["http-proxy.conf", "override.conf"]}
    files["/etc/default/docker"] = {"content": (CORPUS / "default-docker").read_text()}
    files["/etc/sysconfig/docker"] = {"content": (CORPUS / "sysconfig-docker").read_text()}
    files["/etc/docker/daemon.json"] = {"content": (CORPUS / "daemon.json").read_text()}
    files["/proc/cmdline"] = {"content": (CORPUS / "proc-cmdline").read_text()}
    files["/root/.docker/config.json"] = {"content": (CORPUS / "docker-config.json").read_text()}
    responses = doc["docker"]["responses"]
    for container_id, body in CONTAINERS["inspect"].items():
        responses["/containers/%s/json" % container_id] = copy.deepcopy(body)
    responses["/containers/json?all=1"] = responses["/containers/json?all=1"] + copy.deepcopy(CONTAINERS["list"])
    doc["docker"]["logs"][APP_ID] = ["exec /app/entrypoint.sh --db-password=LogPw-Corpus: exec format error"]
    doc["commands"]["podman --version"]["stderr"] = (
        'time="2026-12-06T10:00:00Z" level=warning msg="Failed to decode the keys [\\"mirror\\"] from '
        '\\"/etc/containers/registries.conf\\"; using https://ci:PodmanStderrPw-Corpus@registry.corp.example"\n')
    # One dockerd (the unit's), and a `podman login` caught running.
    items = [i for i in doc["processes"]["items"] if i["pid"] not in (13769, 13790)]
    for item in items:
        if item["name"] == "dockerd":
            item["cmdline"] = list(DOCKERD_ARGV)
    items.append({"pid": 31337, "name": "podman", "cmdline": [
        "podman", "login", "-u", "ci", "-p", "PodmanLoginPw-Corpus", "registry.corp.example"]})
    doc["processes"]["items"] = items
    return doc


@pytest.fixture(scope="module")
def raw():
    return planted_capture()


@pytest.fixture(scope="module")
def scrubbed(raw):
    return scrub_secrets(raw)


def _strings(value):
    stack, out = [value], []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            out.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            out.append(item)
    return out


@pytest.fixture(scope="module")
def capture_text(scrubbed):
    """The document as JSON (argument lists read '"--token", "<redacted>"'), then each of its
    strings as it is (file contents with their real quotes and newlines)."""
    return json.dumps(scrubbed, ensure_ascii=False) + "\n" + "\n".join(_strings(scrubbed))


def _runner():
    if "mix_stderr" in inspect.signature(CliRunner).parameters:  # click 8.1
        return CliRunner(mix_stderr=False)
    return CliRunner()


@pytest.fixture(scope="module")
def reports(scrubbed, tmp_path_factory):
    """`hostcheck analyze` of the redacted capture: JSON, text, and JSON with --redact."""
    path = tmp_path_factory.mktemp("secrets") / "capture.json"
    path.write_text(json.dumps(scrubbed, ensure_ascii=False), encoding="utf-8")
    out = {}
    for name, args in (("json", ["--json"]), ("text", ["--no-color"]), ("redact", ["--json", "--redact"])):
        result = _runner().invoke(cli, ["analyze", str(path)] + args, catch_exceptions=False)
        assert result.exit_code in (0, 1), result.stderr
        out[name] = result.stdout
    return out


def _all_planted():
    return sorted(set(secret for _, secret, _ in CASES) | set(OTHER_SECRETS))


def test_the_corpus_is_planted(raw):
    """The test can fail: every planted value is in the document before the pass."""
    text = json.dumps(raw, ensure_ascii=False)
    for secret in _all_planted():
        assert secret in text, secret


@pytest.mark.parametrize("form, secret, kept", CASES, ids=[c[0] for c in CASES])
def test_planted_secret_is_redacted_and_its_shape_kept(capture_text, form, secret, kept):
    assert secret not in capture_text
    assert kept in capture_text


def test_nothing_planted_survives_anywhere(capture_text, reports):
    for where, text in [("capture", capture_text)] + sorted(reports.items()):
        assert "Corpus" not in text, where
        for secret in _all_planted():
            assert secret not in text, (where, secret)


def test_reports_still_explain_with_the_shape(reports):
    # The daemon's command line is quoted in the report, redacted where it held the token.
    assert "splunk-token=" + REDACTED in reports["json"]
    assert "splunk-token=" + REDACTED in reports["text"]


def test_facts_the_rules_need_are_kept(scrubbed):
    facts = build_facts(scrubbed)
    assert "swapaccount=1" in facts.get("kernel.cmdline")
    assert "ro" in facts.get("kernel.cmdline") and "crashkernel=auto" in facts.get("kernel.cmdline")
    daemon_json = facts.get("docker.daemon_json")
    assert daemon_json["log-driver"] == "splunk"
    assert daemon_json["insecure-registries"] == ["10.20.30.40:5000"]
    assert daemon_json["registry-mirrors"] == ["https://mirror.corp.example"]
    # The unit's ExecStart (text) and the running dockerd (argument list) are redacted alike,
    # so "dockerd runs as docker.service starts it" still holds.
    assert facts.get("docker.daemon_args") == facts.get("docker.unit_args")
    assert "--log-driver=splunk" in facts.get("docker.daemon_args")
    assert "splunk-token=" + REDACTED in facts.get("docker.daemon_args")


def test_the_pass_is_idempotent_and_pseudonymising_keeps_it(scrubbed):
    assert scrub_secrets(scrubbed) == scrubbed
    text = json.dumps(pseudonymise(scrubbed, key=b"k" * 32), ensure_ascii=False)
    assert "Corpus" not in text and "splunk-token=" + REDACTED in text

"""Fuzz: mutated compose files, override and .env files and Dockerfiles through `preflight`.

The projects are the real ones of tests/data/preflight (the runbook's shop with its ARM
JDK 8 Dockerfile, the live scenario, the other project), plus an override and a .env file
beside the shop. Each example mutates one file: a compose file as data (tests/fuzzing.py's
mutations, written back as YAML or as JSON, which compose also reads) or as text (lines an
attacker or a confused colleague would write: alias bombs, deep flow nesting, Python tags,
interpolation edge cases, paths to devices and outside the project, odd port syntax), a
Dockerfile or .env file as text; or replaces a file the project names with a symlink to a
device, a FIFO or a directory. Then `hostcheck preflight DIR --capture capture-live.json
--own-parser` runs in process (JSON or text; --own-parser: no compose tool is run).

Allowed: exit 0, 1 or 3 with one line on stderr. A failure: any other exception, "internal
error", a hang, a control character in the text, JSON that does not parse.
"""

import os

import yaml
from hypothesis import strategies as st

import fuzzing
from test_cli import runner
from hostcheck.cli import cli

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "tests", "data", "preflight")
CAPTURE = os.path.join(DATA, "capture-live.json")


def _read(*parts):
    with open(os.path.join(DATA, *parts), encoding="utf-8") as handle:
        return handle.read()


# Each project: {relative path: text}; the first file is the compose file (or Dockerfile) named.
PROJECTS = {
    "shop": {"docker-compose.yml": _read("shop", "docker-compose.yml"),
             "order/Dockerfile": _read("shop", "order", "Dockerfile"),
             "docker-compose.override.yml": "services:\n  front:\n    ports: ['8443:443']\n",
             ".env": "FRONT_PORT=80\nMYSQL_ROOT_PASSWORD=example\nFRONT_TAG=1.1\n"},
    "live": {"compose.yaml": _read("live", "compose.yaml")},
    "other": {"compose.yaml": _read("other", "compose.yaml")},
    "dockerfile": {"Dockerfile": _read("shop", "order", "Dockerfile")},
}
YAML_FILES = [(project, name) for project, files in sorted(PROJECTS.items()) for name in files
              if name.endswith((".yml", ".yaml"))]
DOCUMENTS = [(project, name, fuzzing.paths_of(yaml.safe_load(PROJECTS[project][name])))
             for project, name in YAML_FILES]
TEXT_FILES = [(project, name) for project, files in sorted(PROJECTS.items()) for name in files]

COMPOSE_LINES = [
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]",
    "x: " + "[" * 70 + "]" * 70, "x: " + "[" * 5000 + "]" * 5000, "x: " + "{a: " * 70 + "1" + "}" * 70,
    "x: !!python/object/apply:os.system ['id']", "x: !!binary aGVsbG8=", "x: !custom 1", "<<: *nowhere",
    "\tservices: {}", "services:\n  web:\n    image: ${X:?boom}", "    image: ${X:-${Y:-${Z:-${W}}}}",
    "    image: $${X}", "    image: ${", "    image: ${X", "    image: ${X:+alt}${1BAD}",
    "    ports: ['99999:80', '-1:80', '0:0', '1-65536:80', '127.0.0.1:abc:80', '[::1]:80:80/sctp', '80/xyz']",
    "    ports: [{target: -1, published: 'x'}, {target: 80, published: 65536, protocol: 1}]",
    "    build: ../../../../etc", "    build: {context: /dev, dockerfile: zero}", "    env_file: /dev/zero",
    "    extends: {file: /proc/self/environ, service: x}", "    extends: {service: web}",
    "    extends: {file: ../../../../etc/passwd, service: root}", "include: [/etc/passwd]",
    "    network_mode: service:web", "    network_mode: container:" + "x" * 300,
    "networks: {default: {external: true}}", "    networks: {backend: {ipv4_address: 999.1.1.1}}",
    "      config: [{subnet: 10.0.0.0/33}, {subnet: '::/0'}, {subnet: not-a-net}]",
    "    platform: linux/\x1b[2J", "    profiles: [[debug]]", "    depends_on: {db: {condition: 7}}",
    "name: \u202eevil", "version: '3.9'", "services: ~", "services: []", "---\n---", "... \n%YAML 1.1",
    "x: 0o999", "x: 0x", "x: .inf", "x: -.nan", "x: 2001-01-01", "x: 1_000", "key: |\n  \x00",
    "x: !!float abc", "x: !!timestamp nope", "    image: !!binary aGVsbG8=", "    ports: !!set {80: null}",
    "    environment: !!omap [{a: 1}]", "    image: !!int 12", "    expose: !!pairs [{a: 1}]",
]
DOCKERFILE_LINES = [
    "FROM --platform=$BUILDPLATFORM ${BASE:-alpine} AS x", "RUN <<EOF\nx\nEOF", "FROM scratch\nFROM x AS x\nFROM x",
    "ARG A=${A}", "ARG", "FROM", "FROM \\", "\\", "EXPOSE 99999/udp 1-65535 $P 80/sctp -1", "# syntax=docker/dockerfile:1",
    "ONBUILD FROM x", "FROM " + "a" * 100000, "FROM ${" * 50, "FROM $" + "{A:-" * 300 + "x" + "}" * 300,
    "COPY --from=../../etc / /", "FROM --platform=linux/\u202e64 busybox", "FROM busybox AS \x1b[2J",
    "ARG BASE_IMAGE=\nFROM ${BASE_IMAGE}", "FROM $NOPE", "FROM x@sha256:../../etc", "EXPOSE " + "8 " * 20000,
]
ENV_LINES = ["FRONT_PORT=\x00", "FRONT_PORT", "=x", "export FRONT_TAG=2", "FRONT_TAG='unterminated",
             'FRONT_TAG="a\\"b', "FRONT_TAG=${FRONT_TAG}${FRONT_TAG}", "X=" + "y" * 300000, "\ufeffA=1"]
LINK_TARGETS = ["/dev/zero", "/dev/stdin", "/etc/shadow", "fifo", "directory", "/proc/self/environ"]


@st.composite
def examples(draw):
    kind = draw(st.sampled_from(["data", "data", "text", "text", "link"]))
    example = {"kind": kind, "json": draw(st.booleans()), "as_json": draw(st.booleans())}
    if kind == "data":
        project, name, (strings, every) = draw(st.sampled_from(DOCUMENTS))
        example.update(project=project, file=name,
                       ops=draw(fuzzing.mutations(strings, every, extra_payloads=COMPOSE_LINES + LINK_TARGETS)))
    elif kind == "text":
        project, name = draw(st.sampled_from(TEXT_FILES))
        lines = DOCKERFILE_LINES if "Dockerfile" in name else ENV_LINES if name == ".env" else COMPOSE_LINES
        example.update(project=project, file=name, lines=draw(st.lists(
            st.tuples(fuzzing.fractions, st.one_of(st.sampled_from(lines), fuzzing.payloads)), min_size=1, max_size=3)))
    else:
        project, name = draw(st.sampled_from(TEXT_FILES))
        example.update(project=project, file=name, target=draw(st.sampled_from(LINK_TARGETS)))
    return example


class _YamlRaw(yaml.SafeDumper):
    pass


_YamlRaw.add_representer(fuzzing.Raw, lambda dumper, raw: dumper.represent_str(raw.text))


def mutated_text(example):
    text = PROJECTS[example["project"]][example["file"]]
    if example["kind"] == "data":
        doc = fuzzing.apply(yaml.safe_load(text), example["ops"])
        if example["json"]:
            return fuzzing.dumps(doc, ensure_ascii=True)
        return yaml.dump(doc, Dumper=_YamlRaw, allow_unicode=True)
    if example["kind"] == "text":
        lines = text.split("\n")
        for at, line in example["lines"]:
            lines.insert(int(at * len(lines)), line)
        return "\n".join(lines)
    return text


def write_project(example, where):
    root = os.path.join(where, example["project"])
    for name, text in PROJECTS[example["project"]].items():
        path = os.path.join(root, *name.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if name == example["file"] and example["kind"] == "link":
            target = example["target"]
            if target == "fifo":
                os.mkfifo(path)
            elif target == "directory":
                os.mkdir(path)
            else:
                os.symlink(target, path)
            continue
        if name == example["file"]:
            text = mutated_text(example)
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
    return root


def preflight_example(example, where, target):
    root = write_project(example, where)
    args = ["preflight", root, "--capture", CAPTURE, "--own-parser", "-p", "hc-fuzz"]
    args += ["--json"] if example["as_json"] else ["--no-color"]
    fuzzing.check_cli_result(runner().invoke(cli, args), target, where, example["as_json"], "preflight")


def test_fuzz_preflight(tmp_path):
    target = fuzzing.Target("preflight")
    target.run_in_directories(examples(), lambda example, where: preflight_example(example, where, target), tmp_path)
    assert target.examples > 0

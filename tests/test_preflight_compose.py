"""hostcheck's own reading of compose projects and Dockerfiles (hostcheck/preflight/), on the
runbook's shop (tests/data/preflight/shop: a front end published on 80, an order service built
on an ARM JDK 8 base and MySQL on an internal 10.5.0.0/24, the database not published), and
on small projects written here for each rule of the compose specification. Where
docker-compose is installed, its own `config` is the oracle the model is compared with.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostcheck.preflight import compose
from hostcheck.preflight.dockerfile import DockerfileError, parse, resolve_from, substitute
from hostcheck.preflight.files import ProjectFileError
from hostcheck.preflight.ports import parse_port
from hostcheck.preflight.project import ProjectError, read_project
from hostcheck.preflight.yamlload import YamlBoundError, load as load_yaml

DATA = Path(__file__).resolve().parent / "data" / "preflight"
SHOP = DATA / "shop"
BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + ["%s: &%s [%s]" % (name, name, ",".join(["*" + prev] * 9))
       for prev, name in zip("abcdefgh", "bcdefghi")]) + "\nservices: {web: {image: x, labels: *i}}\n"


def model_of(path, environ=None, profiles=(), name=None):
    return compose.load(compose.locate(str(path)), environ or {}, profiles, name)


def write(directory, files):
    for name, text in files.items():
        path = Path(directory) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Path(directory)


def services(model):
    return dict((s["name"], s) for s in model["services"])


def bindings(service):
    return sorted("%s:%s->%s/%s" % (b["host_ip"] or "*", b["host_port"], b["target"], b["protocol"])
                  for b in service["ports"])


# ---------------------------------------------------------------- the shop

def test_the_shop_as_hostcheck_reads_it():
    model = model_of(SHOP)
    assert model["error"] is None and model["kind"] == "compose" and model["project"] == "shop"
    shop = services(model)
    assert bindings(shop["front"]) == ["*:80->3000/tcp", "127.0.0.1:9229->9229/udp"]
    assert shop["db"]["ports"] == [] and shop["db"]["networks"] == {"backend": {"ipv4_address": "10.5.0.10"}}
    assert shop["order"]["expose"] == ["8080/tcp"] and shop["order"]["depends_on"] == ["db"]
    assert shop["order"]["build"]["context"] == str(SHOP / "order")
    assert shop["order"]["build"]["args"] == {"JAR_FILE": "target/order-0.0.1-SNAPSHOT.jar"}
    assert shop["front"]["image"] == "shop/front:1.0"           # ${FRONT_TAG:-1.0}
    assert not shop["adminer"]["active"]                         # profiles: [debug]
    backend = model["networks"]["backend"]
    assert backend == {"name": "shop_backend", "external": False, "internal": True, "driver": "bridge",
                       "subnets": ["10.5.0.0/24"], "used_by": ["front", "order", "db"]}
    assert model["networks"]["public"]["used_by"] == ["front"]
    # environment values never enter the model
    assert "not-a-real-password" not in repr(model)


def test_profiles_wake_services_up():
    assert services(model_of(SHOP, profiles=["debug"]))["adminer"]["active"]
    assert services(model_of(SHOP, {"COMPOSE_PROFILES": "debug,other"}))["adminer"]["active"]
    assert model_of(SHOP, profiles=["debug"])["networks"]["public"]["used_by"] == ["front", "adminer"]


def test_the_environment_wins_over_env_file():
    model = model_of(SHOP, {"FRONT_PORT": "8088", "FRONT_TAG": "2.1"})
    front = services(model)["front"]
    assert bindings(front)[0] == "*:8088->3000/tcp" and front["image"] == "shop/front:2.1"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (v1) is not installed")
def test_hostcheck_and_docker_compose_read_the_shop_alike():
    """docker-compose 1.29's own `config` (run here) gives the same model."""
    output = subprocess.run(["docker-compose", "--profile", "debug", "config"], cwd=str(SHOP),
                            capture_output=True, text=True, timeout=60)
    assert output.returncode == 0, output.stderr
    location = compose.locate(str(SHOP))
    theirs = compose.normalise(load_yaml(output.stdout), location, ["debug"], None, "docker-compose config")
    ours = model_of(SHOP, profiles=["debug"])
    for name, service in services(ours).items():
        other = services(theirs)[name]
        for key in ("image", "platform", "network_mode", "networks", "expose", "depends_on", "active"):
            assert service[key] == other[key], (name, key)
        assert bindings(service) == bindings(other), name
    for networks in (ours["networks"], theirs["networks"]):
        for network in networks.values():
            network["used_by"].sort()          # v1 prints services sorted by name
    assert ours["networks"] == theirs["networks"]


def test_recorded_docker_compose_v1_output_normalises_like_our_reading():
    """tests/data/preflight/shop-config-v1.yaml: `docker-compose config` 1.29.2 of the shop."""
    theirs = compose.normalise(load_yaml((DATA / "shop-config-v1.yaml").read_text()), compose.locate(str(SHOP)))
    ours = model_of(SHOP)
    assert [s["name"] for s in theirs["services"]] == ["adminer", "db", "front", "order"]   # v1 sorts them
    for name in ("front", "order", "db"):
        assert bindings(services(theirs)[name]) == bindings(services(ours)[name])
        assert services(theirs)[name]["networks"] == services(ours)[name]["networks"]
    assert os.path.basename(services(theirs)["order"]["build"]["context"]) == "order"
    assert theirs["networks"]["backend"]["subnets"] == ["10.5.0.0/24"]


def test_docker_compose_v2_json_normalises_too():
    """`docker compose config --format json` (v2) prints ports in long form with `published`
    as a string and names every network; the model is the same."""
    config = {"name": "shop", "services": {
        "front": {"image": "shop/front:1.0", "networks": {"public": None, "backend": None},
                  "ports": [{"mode": "ingress", "target": 3000, "published": "80", "protocol": "tcp"},
                            {"mode": "ingress", "host_ip": "127.0.0.1", "target": 9229, "published": "9229",
                             "protocol": "udp"}]},
        "db": {"image": "mysql:5.7", "networks": {"backend": {"ipv4_address": "10.5.0.10"}}}},
        "networks": {"public": {"name": "shop_public", "ipam": {}},
                     "backend": {"name": "shop_backend", "internal": True,
                                 "ipam": {"config": [{"subnet": "10.5.0.0/24"}]}}}}
    model = compose.normalise(config, compose.locate(str(SHOP)), (), None, "docker compose config")
    assert bindings(services(model)["front"]) == ["*:80->3000/tcp", "127.0.0.1:9229->9229/udp"]
    assert model["networks"]["backend"]["name"] == "shop_backend" and model["project"] == "shop"


# ---------------------------------------------------------------- the specification's rules

def test_interpolation_forms(tmp_path):
    project = write(tmp_path / "app", {
        "compose.yaml": "services:\n  web:\n    image: \"${REG-reg.example}/web:${TAG:-latest}\"\n"
                        "    ports: ['${PORT}:80', '${DEBUG:+9229:9229}']\n"
                        "    command: echo $$HOME ${UNSET_ONE}\n",
        ".env": "PORT=8080\nDEBUG=\nREG=\n"})
    model = model_of(project)
    web = services(model)["web"]
    assert web["image"] == "/web:latest"            # REG set but empty: `-` keeps it empty
    assert bindings(web) == ["*:8080->80/tcp"] or model["error"]
    assert model["unset_variables"] == ["UNSET_ONE"]


def test_a_required_variable_without_value_is_the_files_error(tmp_path):
    project = write(tmp_path / "app", {"compose.yaml": "services:\n  db:\n    image: mysql\n"
                                                        "    environment: {P: \"${DB_PASSWORD:?set it in .env}\"}\n"})
    model = model_of(project)
    assert "required variable DB_PASSWORD is missing a value: set it in .env" in model["error"]
    assert model["services"] == []


def test_extends_in_the_same_file_and_another(tmp_path):
    project = write(tmp_path / "app", {
        "compose.yaml": "services:\n"
                        "  base:\n    image: app:1\n    ports: ['8000:8000']\n    expose: ['9000']\n"
                        "  web:\n    extends: base\n    ports: ['8080:80']\n"
                        "  worker:\n    extends: {file: common/worker.yml, service: worker}\n",
        "common/worker.yml": "services:\n  worker:\n    build: ./src\n    platform: linux/arm64\n"})
    model = services(model_of(project))
    assert bindings(model["web"]) == ["*:8000->8000/tcp", "*:8080->80/tcp"]
    assert model["web"]["image"] == "app:1" and model["web"]["expose"] == ["9000/tcp"]
    assert model["worker"]["build"]["context"] == str(project / "common" / "src")  # relative to its file
    assert model["worker"]["platform"] == "linux/arm64"


def test_extends_loops_and_unknown_bases_are_errors(tmp_path):
    looping = write(tmp_path / "a", {"compose.yaml": "services:\n  a: {extends: b, image: x}\n  b: {extends: a}\n"})
    assert "extends loops" in model_of(looping)["error"]
    missing = write(tmp_path / "b", {"compose.yaml": "services:\n  a: {extends: nope, image: x}\n"})
    assert "no service 'nope' to extend" in model_of(missing)["error"]


def test_override_file_is_read_beside_the_main_one(tmp_path):
    project = write(tmp_path / "app", {"compose.yaml": "services:\n  web: {image: app:1, ports: ['80:80']}\n",
                                       "compose.override.yaml": "services:\n  web: {ports: ['443:443']}\n"})
    location = compose.locate(str(project))
    assert [os.path.basename(f) for f in location.files] == ["compose.yaml", "compose.override.yaml"]
    assert bindings(services(model_of(project))["web"]) == ["*:443->443/tcp", "*:80->80/tcp"]


def test_the_directory_search_order(tmp_path):
    project = write(tmp_path / "app", {"docker-compose.yml": "services: {a: {image: x}}\n",
                                       "compose.yml": "services: {b: {image: x}}\n", "Dockerfile": "FROM x\n"})
    assert compose.locate(str(project)).files == [str(project / "compose.yml")]
    only_dockerfile = write(tmp_path / "b", {"Dockerfile": "FROM x\n"})
    assert compose.locate(str(only_dockerfile)).kind == "dockerfile"
    assert compose.locate(str(project / "Dockerfile")).kind == "dockerfile"
    with pytest.raises(ProjectFileError, match="holds no compose file"):
        compose.locate(str(write(tmp_path / "c", {"README": "x"})))


@pytest.mark.parametrize("entry, expected", [
    ("80:3000", ["*:80->3000/tcp"]),
    ("127.0.0.1:8080:80/udp", ["127.0.0.1:8080->80/udp"]),
    ("8000-8002:8000-8002", ["*:8000->8000/tcp", "*:8001->8001/tcp", "*:8002->8002/tcp"]),
    ("[::1]:6001:6001", ["::1:6001->6001/tcp"]),
    ("127.0.0.1::5000", ["127.0.0.1:None->5000/tcp"]),
    ("9000", ["*:None->9000/tcp"]),
    (3000, ["*:None->3000/tcp"]),
    ({"target": 80, "published": "8080", "host_ip": "127.0.0.1", "protocol": "udp", "mode": "host"},
     ["127.0.0.1:8080->80/udp"]),
    ({"target": "8000-8001", "published": "9000-9001"}, ["*:9000->8000/tcp", "*:9001->8001/tcp"]),
])
def test_port_syntaxes(entry, expected):
    model = compose.binding_record
    assert sorted("%s:%s->%s/%s" % (b["host_ip"] or "*", b["host_port"], b["target"], b["protocol"])
                  for b in (model(x) for x in parse_port(entry))) == expected


@pytest.mark.parametrize("entry, message", [
    ("8000-8001:80-82", "ranges differ in length"), ("99999:80", "out of range"),
    ("80:80/icmp", "protocol 'icmp'"), ("1.2.3:80:80", "not an IP address"), ({"published": 80}, "needs `target`"),
])
def test_ports_docker_refuses(entry, message):
    with pytest.raises(ValueError, match=message):
        parse_port(entry)


def test_yaml_reads_ports_as_compose_v2_does(tmp_path):
    # YAML 1.1 (PyYAML's default) reads 53:53 as the base-60 number 3233.
    project = write(tmp_path / "dns", {"compose.yaml": "services:\n  dns:\n    image: coredns\n    ports:\n"
                                                       "      - 53:53/udp\n      - 53:53\n"})
    assert bindings(services(model_of(project))["dns"]) == ["*:53->53/tcp", "*:53->53/udp"]


@pytest.mark.parametrize("text, error", [
    ("services:\n  a: {image: x, network_mode: host, networks: [n]}\nnetworks: {n: {}}\n",
     "'network_mode' and 'networks' cannot be combined"),
    ("services:\n  a: {image: x, networks: [nowhere]}\n", "refers to undefined network nowhere"),
    ("services:\n  a: {image: x, ports: ['80:80:80:80']}\n", "is not an IP address"),
    ("services: {}\n", "no services"),
    ("services:\n  a: {image: x}\n  a: {image: y}\n", "written twice"),
    ("services: [a, b]\n", "`services` is not a mapping"),
    ("services:\n  a: {image: x\n", "line 3"),
])
def test_what_compose_refuses_is_the_models_error(tmp_path, text, error):
    project = write(tmp_path / "p", {"compose.yaml": text})
    assert error in model_of(project)["error"]


def test_external_and_named_networks(tmp_path):
    project = write(tmp_path / "p", {"compose.yaml":
        "name: My-Shop\nservices:\n  a: {image: x, networks: [shared, legacy, named]}\n"
        "networks:\n  shared: {external: true, name: shared-net}\n  legacy: {external: {name: old-net}}\n"
        "  named: {name: fixed-name, driver: macvlan}\n  unused: {}\n"})
    model = model_of(project)
    networks = model["networks"]
    assert (networks["shared"]["name"], networks["shared"]["external"]) == ("shared-net", True)
    assert (networks["legacy"]["name"], networks["legacy"]["external"]) == ("old-net", True)
    assert (networks["named"]["name"], networks["named"]["driver"]) == ("fixed-name", "macvlan")
    assert "unused" not in networks and any("unused" in w for w in model["warnings"])
    assert model["project"] == "my-shop"
    assert model_of(project, name="Other")["project"] == "other"


# ---------------------------------------------------------------- bounds

def test_a_billion_laughs_file_is_refused_before_it_is_walked(tmp_path):
    project = write(tmp_path / "lol", {"compose.yaml": BILLION_LAUGHS})
    with pytest.raises(YamlBoundError, match="billion laughs"):
        model_of(project)
    with pytest.raises(ProjectError, match="billion laughs"):
        read_project(str(project), {}, find_tool=lambda: pytest.fail("no compose tool may see the file"))


def test_special_files_are_refused(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "compose.yaml").symlink_to("/dev/zero")
    with pytest.raises(ProjectError, match="a character device, not a regular file"):
        read_project(str(project), {})
    fifo = tmp_path / "q" / "docker-compose.yml"
    fifo.parent.mkdir()
    os.mkfifo(str(fifo))
    with pytest.raises(ProjectError, match="a FIFO, not a regular file"):
        read_project(str(fifo.parent), {})


def test_size_and_nesting_are_bounded(tmp_path):
    big = write(tmp_path / "big", {"compose.yaml": "services: {}\n" + "#" * (1024 * 1024 + 1)})
    with pytest.raises(ProjectError, match="larger than 1 MiB, the limit for a project file"):
        read_project(str(big), {})
    deep = write(tmp_path / "deep", {"compose.yaml": "services: " + "[" * 200 + "]" * 200 + "\n"})
    with pytest.raises(ProjectError, match="nested deeper than 64"):
        read_project(str(deep), {})
    huge = write(tmp_path / "huge", {"compose.yaml": "services:\n  a:\n    image: x\n    labels: [\"${A}${A}${A}${A}\"]\n"})
    model = read_project(str(huge), {"A": "x" * 20000}, find_tool=None)
    assert "longer than 64 KiB" in model["error"]


def test_a_dockerfile_that_is_a_device_is_the_builds_error(tmp_path):
    project = write(tmp_path / "p", {"compose.yaml": "services:\n  a: {build: ./src}\n"})
    (project / "src").mkdir()
    (project / "src" / "Dockerfile").symlink_to("/dev/zero")
    model = read_project(str(project), {}, find_tool=None)
    assert "not a regular file" in model["builds"]["a"]["error"]


# ---------------------------------------------------------------- Dockerfiles

def test_the_runbooks_spring_boot_dockerfile():
    parsed = parse((SHOP / "order" / "Dockerfile").read_text())
    assert parsed["directives"] == {"syntax": "docker/dockerfile:1"}
    assert parsed["global_args"] == [{"name": "BASE_IMAGE", "default": "arm64v8/openjdk:8-jdk-oraclelinux7"}]
    stage, = parsed["stages"]
    assert stage["from"] == "${BASE_IMAGE}" and stage["expose"] == ["8080"]
    assert stage["runs"] == [{"line": 7, "text": "yum install -y curl tzdata && yum clean all"}]
    assert stage["healthcheck"] == "CMD curl -fs http://localhost:8080/actuator/health || exit 1"
    resolved, = resolve_from(parsed, {}, {})
    assert resolved["image"] == "arm64v8/openjdk:8-jdk-oraclelinux7"
    assert resolve_from(parsed, {"BASE_IMAGE": "eclipse-temurin:8"}, {})[0]["image"] == "eclipse-temurin:8"


def test_multi_stage_with_build_and_target_platforms():
    parsed = parse("ARG GO=1.22\n"
                   "FROM --platform=$BUILDPLATFORM golang:${GO} AS build\n"
                   "ARG TARGETARCH\nRUN GOARCH=$TARGETARCH go build -o /out/app .\n"
                   "FROM --platform=${TARGETPLATFORM} alpine:3.19\nRUN apk add ca-certificates\n"
                   "FROM build AS test\nRUN go test ./...\n")
    stages = resolve_from(parsed, {}, {"BUILDPLATFORM": "linux/amd64", "TARGETPLATFORM": "linux/arm64"})
    assert [(s["image"], s["platform"], s["base_stage"]) for s in stages] == [
        ("golang:1.22", "linux/amd64", None), ("alpine:3.19", "linux/arm64", None), ("build", None, 0)]


def test_dockerfile_lexing():
    parsed = parse("# escape=`\nFROM alpine AS a\nRUN echo a `\n  # a comment inside\n  && echo b\n\n"
                   "RUN <<EOT\napk add curl\nEOT\nrun [\"yum\", \"install\", \"-y\", \"java\"]\n"
                   "EXPOSE 8080/tcp 9000/udp\nFROM a\n")
    first, second = parsed["stages"]
    assert [r["text"] for r in first["runs"]] == ["echo a && echo b", "<<EOT\napk add curl",
                                                  '["yum", "install", "-y", "java"]']
    assert first["expose"] == ["8080/tcp", "9000/udp"] and second["from"] == "a"
    assert substitute("${A:-x}-${B:+y}-$C-\\$D", {"B": "1", "C": "c"}) == "x-y-c-$D"


@pytest.mark.parametrize("text, message", [
    ("RUN echo\nFROM x\n", "RUN before the first FROM"), ("# nothing\n", "no FROM"),
    ("FROM\n", "FROM names no image"), ("FROM a b c d\n", "FROM takes IMAGE"),
])
def test_dockerfiles_the_builder_refuses(text, message):
    with pytest.raises(DockerfileError, match=message):
        parse(text)

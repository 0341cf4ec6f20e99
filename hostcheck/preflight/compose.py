"""A compose project as preflight judges it: found, read, interpolated, merged, normalised.

    locate(path)                       -> Location (compose files or a Dockerfile)
    load(location, environ, profiles)  -> the project model (plain data, below)
    normalise(config, ...)             -> the same model from a normalised config, as
                                          `docker compose config` prints it (v2 JSON, v1 YAML)

hostcheck's own reading follows the compose specification: `.env` beside the files and the
environment (which wins) for ${VAR} interpolation, override files, `extends` (in the same
file or another one, relative paths kept relative to the file that wrote them), profiles
(a service with `profiles:` is inactive unless one of them is asked for, by --profile or
COMPOSE_PROFILES), short and long port syntax, `expose:`, networks (external, internal, ipam
subnets, driver), `network_mode`, `platform`, `build` (context, dockerfile, args, target).

The model (recorded in the capture document as `compose`, so judging stays a pure
function of the document; environment values are never kept, build args whose name
looks like a secret are redacted):

    {"kind": "compose" | "dockerfile", "project": NAME, "directory": DIR, "files": [...],
     "profiles": [...], "source": "hostcheck" | "docker compose config" | "docker-compose config",
     "services": [{"name", "active", "profiles", "image", "platform", "network_mode",
                   "networks": {KEY: {"ipv4_address"}}, "ports": [binding], "expose": ["8080/tcp"],
                   "depends_on": [...], "build": {"context", "dockerfile", "args", "target"} | None}],
     "networks": {KEY: {"name", "external", "internal", "driver", "subnets", "used_by"}},
     "error": None | "one line", "warnings": [...]}
"""

import os
import re

from hostcheck.capture.redact import REDACTED, is_secret_key, scrub_text
from hostcheck.preflight import dockerfile as dockerfile_parser
from hostcheck.preflight import files as project_files
from hostcheck.preflight.interpolate import InterpolationError, Interpolator, parse_env_file
from hostcheck.preflight.ports import parse_expose, parse_port
from hostcheck.preflight.yamlload import YamlBoundError, YamlError, load as load_yaml

# docker compose's search order in a directory, and the override files it adds.
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_NAMES = ("compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml",
                  "docker-compose.override.yml")
DOCKERFILE_NAMES = ("Dockerfile", "Containerfile", "dockerfile")
MAX_EXTENDS = 16
# Lists that extends / override files merge (keeping each entry once) instead of replacing.
UNION_KEYS = ("ports", "expose", "dns", "dns_search", "tmpfs", "external_links", "profiles")
# Lists written as mappings too: normalised to mappings before merging.
MAPPING_KEYS = ("networks", "depends_on", "environment", "labels", "args")


class ComposeError(ValueError):
    """The compose file is not one docker compose would accept: one line."""


class Location(object):
    def __init__(self, kind, files, directory):
        self.kind = kind                # "compose" | "dockerfile"
        self.files = files              # compose files (main first), or [the Dockerfile]
        self.directory = directory      # the project directory / build context


def _is_dockerfile(name):
    return name in DOCKERFILE_NAMES or name.endswith((".Dockerfile", ".dockerfile", ".Containerfile")) \
        or name.startswith(("Dockerfile.", "Containerfile."))


def locate(path):
    """What PATH names: a compose file, a Dockerfile, or a directory holding one (compose
    files first, in docker compose's order). ProjectFileError when there is nothing."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        for name in COMPOSE_NAMES:
            candidate = os.path.join(path, name)
            if project_files.exists(candidate):
                overrides = [os.path.join(path, o) for o in OVERRIDE_NAMES if project_files.exists(os.path.join(path, o))]
                return Location("compose", [candidate] + overrides[:1], path)
        for name in DOCKERFILE_NAMES:
            candidate = os.path.join(path, name)
            if project_files.exists(candidate):
                return Location("dockerfile", [candidate], path)
        raise project_files.ProjectFileError("%s holds no compose file (%s) and no Dockerfile"
                                             % (path, ", ".join(COMPOSE_NAMES)))
    if not project_files.exists(path):
        raise project_files.ProjectFileError("%s does not exist" % path)
    directory = os.path.dirname(path)
    if _is_dockerfile(os.path.basename(path)):
        return Location("dockerfile", [path], directory)
    return Location("compose", [path], directory)


def project_name(raw):
    """docker compose's normalisation: lower case, only a-z 0-9 _ -, starting with a letter or digit.

    >>> project_name("My Shop.v2")
    'myshopv2'
    """
    return re.sub(r"[^a-z0-9_-]", "", (raw or "").lower()).lstrip("_-")


# ---------------------------------------------------------------- reading files

def _read_mapping(path, interpolator):
    """A compose file as an interpolated mapping. ProjectFileError / YamlBoundError (bounds)
    go up; YAML and interpolation errors become ComposeError naming the file."""
    text = project_files.read_text(path, project_files.COMPOSE_LIMIT)
    try:
        data = load_yaml(text)
    except YamlBoundError as exc:
        raise YamlBoundError("%s: %s" % (path, exc))
    except YamlError as exc:
        raise ComposeError("%s: %s" % (path, exc))
    if data is None:
        raise ComposeError("%s is empty" % path)
    if not isinstance(data, dict):
        raise ComposeError("%s: the top level is not a mapping" % path)
    try:
        data = interpolator.tree(data)
    except InterpolationError as exc:
        raise ComposeError("%s: %s" % (path, exc))
    services = data.get("services") or {}
    if not isinstance(services, dict):
        raise ComposeError("%s: `services` is not a mapping" % path)
    for service in services.values():
        if isinstance(service, dict):
            _anchor_build(service, os.path.dirname(path))
    return data


def _anchor_build(service, directory):
    """Make a service's build context absolute, relative to the file that wrote it."""
    build = service.get("build")
    if isinstance(build, str):
        build = service["build"] = {"context": build}
    if isinstance(build, dict):
        context = str(build.get("context") or ".")
        if not re.match(r"^[a-z][a-z0-9+.-]*://|^git@", context):
            build["context"] = os.path.normpath(os.path.join(directory, context))


def _as_mapping(key, value):
    """networks / depends_on / environment / labels / args in their mapping form."""
    if isinstance(value, dict):
        return dict((str(k), v) for k, v in value.items())
    if isinstance(value, list):
        out = {}
        for item in value:
            text = str(item)
            if key in ("environment", "labels", "args") and "=" in text:
                name, _, rest = text.partition("=")
                out[name] = rest
            else:
                out[text] = None
        return out
    return value


def merge(base, override):
    """Compose's merge of one service definition over another (extends, override files)."""
    merged = dict(base)
    for key, value in override.items():
        if key in MAPPING_KEYS:
            value = _as_mapping(key, value)
        old = merged.get(key)
        if key in MAPPING_KEYS:
            old = _as_mapping(key, old)
        if key == "build" and isinstance(old, dict) and isinstance(value, dict):
            merged[key] = merge(old, value)
        elif isinstance(old, dict) and isinstance(value, dict):
            combined = dict(old)
            combined.update(value)
            merged[key] = combined
        elif key in UNION_KEYS and isinstance(old, list) and isinstance(value, list):
            merged[key] = old + [item for item in value if item not in old]
        else:
            merged[key] = value
    return merged


class _Loader(object):
    """Reads the project's files once each, within the budget of one interpolator."""

    def __init__(self, interpolator):
        self.interpolator = interpolator
        self.cache = {}

    def file(self, path):
        path = os.path.abspath(path)
        if path not in self.cache:
            self.cache[path] = _read_mapping(path, self.interpolator)
        return self.cache[path]

    def service(self, path, services, name, chain=()):
        """The service `name` of `services` (read from `path`) with its extends resolved."""
        if (path, name) in chain:
            raise ComposeError("extends loops: %s" % " -> ".join("%s" % n for _, n in chain + ((path, name),)))
        if len(chain) >= MAX_EXTENDS:
            raise ComposeError("extends chains more than %d services" % MAX_EXTENDS)
        service = services.get(name)
        if not isinstance(service, dict):
            where = "%s: " % os.path.basename(path)
            if service is None and name in services:
                return {}
            raise ComposeError("%sno service %r to extend" % (where, name) if chain else
                               "%sservice %r is not a mapping" % (where, name))
        extends = service.get("extends")
        if not extends:
            return service
        if isinstance(extends, str):
            extends = {"service": extends}
        if not isinstance(extends, dict) or not extends.get("service"):
            raise ComposeError("service %r: extends needs a service" % name)
        base_path = path
        base_services = services
        if extends.get("file"):
            base_path = os.path.normpath(os.path.join(os.path.dirname(path), str(extends["file"])))
            base_services = self.file(base_path).get("services") or {}
        base = self.service(base_path, base_services, str(extends["service"]), chain + ((path, name),))
        own = dict((k, v) for k, v in service.items() if k != "extends")
        return merge(base, own)


def load(location, environ, profiles=(), name=None):
    """The model of the project at `location` read by hostcheck itself. ProjectFileError and
    YamlBoundError (files beyond the bounds) go up; anything docker compose would reject
    becomes the model's `error`."""
    env = dict(environ)
    warnings = []
    dotenv = os.path.join(location.directory, ".env")
    if location.kind == "compose" and project_files.exists(dotenv):
        try:
            env = dict(parse_env_file(project_files.read_text(dotenv, project_files.ENV_LIMIT), environ), **environ)
        except InterpolationError as exc:
            return _failed(location, str(exc), name, environ)
    if location.kind == "dockerfile":
        return dockerfile_model(location, name)
    interpolator = Interpolator(env)
    loader = _Loader(interpolator)
    try:
        config = {}
        for path in location.files:
            data = loader.file(path)
            services = {}
            for service_name in data.get("services") or {}:
                services[service_name] = loader.service(path, data["services"], service_name)
            config = _merge_files(config, dict(data, services=services))
    except ComposeError as exc:
        return _failed(location, str(exc), name, env)
    for variable in interpolator.unset:
        warnings.append("the %s variable is not set: an empty string is used" % variable)
    wanted = profiles or [p for p in (env.get("COMPOSE_PROFILES") or "").split(",") if p.strip()]
    model = normalise(config, location, wanted, name or env.get("COMPOSE_PROJECT_NAME"), "hostcheck")
    model["warnings"] = warnings + model["warnings"]
    model["unset_variables"] = list(interpolator.unset)
    return model


def _merge_files(config, data):
    merged = dict(config)
    for key, value in data.items():
        if key == "services" and isinstance(merged.get("services"), dict):
            services = dict(merged["services"])
            for service_name, service in value.items():
                services[service_name] = merge(services[service_name], service) \
                    if isinstance(services.get(service_name), dict) else service
            merged["services"] = services
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = dict(merged[key], **value)
        else:
            merged[key] = value
    return merged


def _base_model(location, name, source):
    return {"kind": location.kind, "project": project_name(name or os.path.basename(location.directory)) or "default",
            "directory": location.directory, "files": list(location.files), "profiles": [],
            "source": source, "services": [], "networks": {}, "error": None, "warnings": []}


def _failed(location, error, name, env):
    model = _base_model(location, name or env.get("COMPOSE_PROJECT_NAME"), "hostcheck")
    model["error"] = error
    return model


def dockerfile_model(location, name=None):
    """A Dockerfile on its own: one build, named after the file, run as `docker run` would
    (network_mode bridge: the default bridge)."""
    model = _base_model(location, name, "hostcheck")
    model["services"] = [_service_record(os.path.basename(location.files[0]), {
        "build": {"context": location.directory, "dockerfile": location.files[0]},
        "network_mode": "bridge"}, [], [])]
    return model


# ---------------------------------------------------------------- the model

def normalise(config, location, profiles=(), name=None, source="hostcheck"):
    """The model (module docstring) of a merged, interpolated compose config: hostcheck's
    own reading, or what `docker compose config` printed."""
    model = _base_model(location, config.get("name") if isinstance(config.get("name"), str) and not name else name,
                        source)
    model["profiles"] = list(profiles)
    errors = []
    services = config.get("services") or {}
    if not isinstance(services, dict) or not services:
        model["error"] = "no services defined"
        return model
    declared = config.get("networks") or {}
    if not isinstance(declared, dict):
        errors.append("`networks` is not a mapping")
        declared = {}
    for service_name, service in services.items():
        if not isinstance(service, dict):
            errors.append("service %r is not a mapping" % service_name)
            continue
        model["services"].append(_service_record(str(service_name), service, profiles, errors))
    for service in model["services"]:
        if not service["active"]:
            continue
        for key in service["networks"]:
            if key != "default" and key not in declared:
                errors.append("service %s refers to undefined network %s" % (service["name"], key))
                continue
            network = model["networks"].get(key)
            if network is None:
                network = model["networks"][key] = _network_record(key, declared.get(key), model["project"], errors)
            network["used_by"].append(service["name"])
    unused = sorted(set(str(key) for key in declared) - set(model["networks"]))
    if unused:
        model["warnings"].append("networks defined but not used by an active service: %s" % ", ".join(unused))
    if errors:
        model["error"] = "; ".join(errors[:3]) + ("; and %d more" % (len(errors) - 3) if len(errors) > 3 else "")
    return model


def _strings(value):
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [str(value)] if value not in (None, "") else []


def _service_record(name, service, profiles, errors):
    own_profiles = _strings(service.get("profiles"))
    active = not own_profiles or "*" in profiles or any(p in profiles for p in own_profiles)
    network_mode = service.get("network_mode")
    networks = _as_mapping("networks", service.get("networks"))
    if network_mode and networks and set(networks) != {"default"}:
        errors.append("service %s: 'network_mode' and 'networks' cannot be combined" % name)
    if network_mode:
        networks = {}
    elif not isinstance(networks, dict) or not networks:
        networks = {"default": None}
    ports, expose = [], []
    for entry in service.get("ports") or []:
        try:
            ports.extend(binding_record(b) for b in parse_port(entry))
        except ValueError as exc:
            errors.append("service %s: %s" % (name, exc))
    for entry in service.get("expose") or []:
        try:
            expose.extend("%d/%s" % pair for pair in parse_expose(entry))
        except ValueError as exc:
            errors.append("service %s: %s" % (name, exc))
    build = service.get("build")
    if isinstance(build, str):
        build = {"context": build}
    if service.get("image") in (None, "") and not isinstance(build, dict):
        errors.append("service %s has neither an image nor a build context specified" % name)   # compose v2's words
    return {
        "name": name,
        "active": active,
        "profiles": own_profiles,
        "image": str(service["image"]) if service.get("image") not in (None, "") else None,
        "platform": str(service["platform"]) if service.get("platform") else None,
        "network_mode": str(network_mode) if network_mode else None,
        "networks": dict((str(key), {"ipv4_address": (value or {}).get("ipv4_address")
                                     if isinstance(value, dict) else None})
                         for key, value in networks.items()),
        "ports": ports,
        "expose": expose,
        "depends_on": sorted(_as_mapping("depends_on", service.get("depends_on")) or {}),
        "build": _build_record(build) if isinstance(build, dict) else None,
    }


def binding_record(binding):
    return {"host_ip": binding.host_ip, "host_port": binding.host_port, "host_end": binding.host_end,
            "target": binding.target, "protocol": binding.protocol, "text": binding.text}


def _build_record(build):
    args = _as_mapping("args", build.get("args")) or {}
    return {
        "context": str(build.get("context") or "."),
        "dockerfile": str(build["dockerfile"]) if build.get("dockerfile") else "Dockerfile",
        # read (and dropped) by read_builds: the model keeps the parsed stages only
        "inline": build["dockerfile_inline"] if isinstance(build.get("dockerfile_inline"), str) else None,
        "args": dict((str(key), REDACTED if is_secret_key(str(key)) else (None if value is None else str(value)))
                     for key, value in args.items()),
        "target": str(build["target"]) if build.get("target") else None,
        "platforms": _strings(build.get("platforms")),
    }


def _network_record(key, declared, project, errors):
    declared = declared if isinstance(declared, dict) else {}
    external = declared.get("external")
    named = declared.get("name")
    if isinstance(external, dict):             # compose file format 2/3: external: {name: x}
        named = named or external.get("name")
        external = True
    subnets = []
    ipam = declared.get("ipam") if isinstance(declared.get("ipam"), dict) else {}
    for entry in ipam.get("config") or []:
        if isinstance(entry, dict) and entry.get("subnet"):
            subnets.append(str(entry["subnet"]))
    name = str(named) if named else (key if external else "%s_%s" % (project, key))
    return {"name": name, "external": bool(external), "internal": bool(declared.get("internal")),
            "driver": str(declared.get("driver") or "bridge"), "subnets": subnets, "used_by": []}


# ---------------------------------------------------------------- builds

RUN_SHOWN = 160     # characters of a RUN step kept for the report


def read_builds(model):
    """Read and parse the Dockerfile of each active service with a `build:` into
    model["builds"][SERVICE] = {"dockerfile", "parsed"} or {"dockerfile", "error"}. RUN steps
    are kept shortened, with secrets scrubbed (they are shown in the report)."""
    builds = model.setdefault("builds", {})
    for service in model["services"]:
        build = service.get("build")
        if not build:
            continue
        inline = build.pop("inline", None)
        if not service["active"]:
            continue
        context = build["context"]
        if inline is not None:
            path, text, error = "(dockerfile_inline)", inline, None
        elif re.match(r"^[a-z][a-z0-9+.-]*://|^git@", context):
            builds[service["name"]] = {"dockerfile": context, "error": "a remote build context is not read"}
            continue
        else:
            path = build["dockerfile"] if os.path.isabs(build["dockerfile"]) else os.path.join(context, build["dockerfile"])
            try:
                text, error = project_files.read_text(path, project_files.DOCKERFILE_LIMIT), None
            except project_files.ProjectFileError as exc:
                text, error = None, str(exc)
        if text is not None:
            try:
                parsed = dockerfile_parser.parse(text)
            except dockerfile_parser.DockerfileError as exc:
                error = "%s: %s" % (path, exc)
        if error:
            builds[service["name"]] = {"dockerfile": path, "error": error}
            continue
        for stage in parsed["stages"]:
            for step in stage["runs"]:
                text = " ".join(scrub_text(step["text"]).split())
                step["text"] = text if len(text) <= RUN_SHOWN else text[:RUN_SHOWN - 1] + "…"
        builds[service["name"]] = {"dockerfile": path, "parsed": parsed}
    return model

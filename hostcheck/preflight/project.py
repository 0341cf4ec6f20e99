"""The project's model as judged: hostcheck's own reading, or the normalised truth of
`docker compose config` / `docker-compose config` when one is installed where hostcheck
runs (hostcheck/capture/compose.py runs it). Which one was used is said in `source_text`.

    read_project(path, environ, profiles, name, tool, timeout) -> model (compose.py's shape)

Bounds come first: the file is read by hostcheck's bounded loader before any compose tool
sees it, so a file beyond the bounds (too large, a device, a "billion laughs" document) is
refused here and never handed to `config`.
"""

import json

from hostcheck.preflight import compose
from hostcheck.preflight.files import ProjectFileError
from hostcheck.preflight.yamlload import YamlBoundError, YamlError, load as load_yaml


class ProjectError(Exception):
    """No report can be produced for this PATH (missing, unreadable, beyond the bounds)."""


def _oracle_model(location, record, tool, profiles, name):
    """(model, None) from `config`'s output, or (None, why it is unusable)."""
    if record.get("error"):
        return None, "%s did not run: %s" % (tool["name"], record.get("detail") or record["error"])
    if record.get("rc") != 0:
        lines = [line.strip() for line in (record.get("stderr") or record.get("stdout") or "").splitlines()
                 if line.strip() and not line.lower().startswith("warning")]
        return None, " ".join(lines[-3:])[:400] or "%s config exited %s" % (tool["name"], record.get("rc"))
    if record.get("truncated"):
        return None, "%s config printed more than hostcheck reads" % tool["name"]
    text = record.get("stdout") or ""
    try:
        config = json.loads(text) if tool["major"] >= 2 else load_yaml(text)
    except (ValueError, YamlError) as exc:
        return None, "%s config printed what hostcheck cannot read: %s" % (tool["name"], str(exc)[:200])
    if not isinstance(config, dict):
        return None, "%s config printed no mapping" % tool["name"]
    return compose.normalise(config, location, profiles, name, "%s config" % tool["name"]), None


def read_project(path, environ, profiles=(), name=None, find_tool=None, run_config=None):
    """The model of the project at `path` (compose.py's shape, builds read).

    find_tool() -> the compose tool to ask (capture/compose.choose_tool) or None when there is
    none; find_tool None: hostcheck's own parser only (--own-parser).
    run_config(tool, location, name, profiles) -> the command record of `config`.
    ProjectError when PATH cannot be read within the bounds.
    """
    try:
        location = compose.locate(path)
        own = compose.load(location, environ, profiles, name)
    except (ProjectFileError, YamlBoundError) as exc:
        raise ProjectError(str(exc))
    model = own
    tool = find_tool() if find_tool is not None and location.kind == "compose" else None
    if location.kind != "compose":
        model["source_text"] = "hostcheck's own reading of the Dockerfile"
    elif find_tool is None:
        model["source_text"] = "hostcheck's own parser (--own-parser)"
    elif tool is None:
        model["source_text"] = "hostcheck's own parser (no docker compose or docker-compose where hostcheck runs)"
    else:
        record = run_config(tool, location, name, list(profiles))
        asked = "%s config %s" % (tool["name"], tool["version"])
        oracle, why = _oracle_model(location, record, tool, list(profiles) or list(own["profiles"]), name)
        if oracle is not None:
            oracle["source_text"] = asked
            oracle["warnings"] = own["warnings"] + oracle["warnings"]
            if own.get("error"):
                oracle["warnings"].append("hostcheck's own parser disagreed: %s" % own["error"])
            model = oracle
        else:
            model["source_text"] = asked
            model["error"] = why
            if own.get("error"):
                model["warnings"].append("hostcheck's own parser: %s" % own["error"])
        model["tool"] = {"name": tool["name"], "version": tool["version"], "argv": record.get("argv"),
                         "rc": record.get("rc"), "duration_ms": record.get("duration_ms")}
    model["unset_variables"] = list(own.get("unset_variables") or [])
    return compose.read_builds(model)

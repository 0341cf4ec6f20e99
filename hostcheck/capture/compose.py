"""The compose tools of this machine, and `config` asked of the one that would run `up`.

    VERSION_COMMANDS                      the probes a preflight capture adds (take(extra_commands=...)):
                                          `docker compose version` (the v2 plugin) and
                                          `docker-compose --version` (v1, or v2 installed standalone)
    choose_tool(records)                  -> the tool `up` would be run with, from those records
    run_config(tool, files, ...)          -> the command record of `<tool> -f FILE... config`

`config` prints the project as compose itself reads it (interpolated, extends and override
files merged, defaults filled in): the normalised truth hostcheck then judges. v2 prints
JSON (`--format json`); v1 (1.29, Debian 12's docker-compose) prints YAML only. The record's
stdout holds environment values; the caller keeps only the model it builds from it
(hostcheck/preflight/compose.py), never the text.

Nothing here writes: `config` only reads the project's files. Standard library only.
"""

import re

from hostcheck.capture.runner import run_command

VERSION_COMMANDS = (("docker", "compose", "version"), ("docker-compose", "--version"))
CONFIG_LIMIT = 4 * 1024 * 1024
_VERSION = re.compile(r"version\s+v?(\d+)\.(\d+)(?:\.(\d+))?\S*", re.I)


def version_of(record):
    """(major, version text) printed by a successful version command, else None.

    >>> version_of({"rc": 0, "stdout": "Docker Compose version v2.20.2\\n"})
    (2, '2.20.2')
    >>> version_of({"rc": 0, "stdout": "docker-compose version 1.29.2, build unknown\\n"})
    (1, '1.29.2')
    >>> version_of({"rc": 1, "stdout": "", "stderr": "docker: 'compose' is not a docker command."}) is None
    True
    """
    if not isinstance(record, dict) or record.get("rc") != 0:
        return None
    match = _VERSION.search(record.get("stdout") or "")
    if not match:
        return None
    text = match.group(0).split(None, 1)[1].lstrip("vV").rstrip(",")
    return int(match.group(1)), text


def choose_tool(records):
    """The compose tool `up` would use, from the version records ({command key: record}):
    the v2 plugin first, then docker-compose (v1, or v2 standalone). None when neither answers.

    >>> choose_tool({"docker compose version": {"rc": 1, "stdout": ""},
    ...              "docker-compose --version": {"rc": 0, "stdout": "docker-compose version 1.29.2, build unknown"}})
    {'argv': ['docker-compose'], 'name': 'docker-compose', 'version': '1.29.2', 'major': 1}
    """
    for argv in VERSION_COMMANDS:
        found = version_of(records.get(" ".join(argv)))
        if found:
            command = list(argv[:-1])
            return {"argv": command, "name": " ".join(command), "version": found[1], "major": found[0]}
    return None


def detect(timeout=5.0):
    """{command key: record} of VERSION_COMMANDS, run on this machine."""
    return dict((" ".join(argv), run_command(list(argv), timeout=timeout)) for argv in VERSION_COMMANDS)


def config_argv(tool, files, directory, project=None, profiles=()):
    argv = list(tool["argv"])
    for path in files:
        argv += ["-f", path]
    argv += ["--project-directory", directory]
    if project:
        argv += ["-p", project]
    for profile in profiles:
        argv += ["--profile", profile]
    argv.append("config")
    if tool["major"] >= 2:
        argv += ["--format", "json"]
    return argv


def run_config(tool, files, directory, project=None, profiles=(), timeout=5.0):
    """The command record of `config` (stdout bounded to CONFIG_LIMIT bytes)."""
    return run_command(config_argv(tool, files, directory, project, profiles), timeout=timeout,
                       max_output=CONFIG_LIMIT)

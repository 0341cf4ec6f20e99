#!/usr/bin/env python3
"""Build tests/data/systems/<name>.json (hostcheck.capture/v1) from <name>/parts/.

Every text under parts/ is a real output (see <name>/SOURCES.md); this script only
files each one under its capture key, so the assembly is reproducible:

    parts/uname.json                  the uname fields that are known (absent ones stay absent)
    parts/files/<absolute path>       files[path] = {"content": text}
    parts/commands/<key>.stdout       commands[key] = {"argv": key.split(), "rc": 0, "stdout": text, "stderr": ""}
                                      (<key> is the command line with spaces written as "_"
                                      and slashes as "%2F"; no captured command line contains
                                      "_" or "%2F")
    parts/commands/<key>.stderr       stderr of that command, when it printed one
    parts/docker/info.txt             `docker info` text -> docker.responses["/info"]
    parts/docker/version.txt          `docker version` text -> docker.responses["/version"]
    parts/capture.json                a whole capture taken by `python3 -m hostcheck.capture`
                                      on a real host, used as it is

The two docker texts are turned into Engine API bodies field by field (only the fields the
text shows, under the Engine API's own names); nothing else is added. A key with no part is
left out of the document: for readers an absent key means "not captured".

Usage: python3 tests/data/systems/assemble.py [--check]   (--check: fail if a .json is stale)
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# A fixed stamp: these documents are assembled, not captured at one moment.
ASSEMBLED_AT = "2026-11-29T00:00:00Z"


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


# --- `docker info` text -> /info body ------------------------------------------------

# Top-level "Key: value" lines of `docker info` and the /info field each one prints.
_INFO_FIELDS = {
    "Server Version": "ServerVersion", "Storage Driver": "Driver", "Logging Driver": "LoggingDriver",
    "Cgroup Driver": "CgroupDriver", "Cgroup Version": "CgroupVersion", "Kernel Version": "KernelVersion",
    "Operating System": "OperatingSystem", "OSType": "OSType", "Architecture": "Architecture",
    "Name": "Name", "ID": "ID", "Docker Root Dir": "DockerRootDir", "Default Runtime": "DefaultRuntime",
    "Init Binary": "InitBinary",
}
_COMMITS = {"containerd version": "ContainerdCommit", "runc version": "RuncCommit", "init version": "InitCommit"}


def info_body(text):
    """`docker info` (18.09 flat layout or 20.10+ "Server:" section) -> /info fields."""
    lines = text.splitlines()
    if any(line.strip() == "Server:" for line in lines):
        start = [i for i, line in enumerate(lines) if line.strip() == "Server:"][0] + 1
        lines = lines[start:]
    body, warnings = {}, []
    base = None  # indentation of the top-level keys of the server section
    section = None
    security = []
    for line in lines:
        if not line.strip():
            continue
        if line.startswith("WARNING: "):
            warnings.append(line[len("WARNING: "):].strip())
            continue
        indent = len(line) - len(line.lstrip(" "))
        if base is None:
            base = indent
        key, sep, value = line.strip().partition(":")
        value = value.strip()
        if indent == base:
            section = key
            if key in _INFO_FIELDS and value:
                body[_INFO_FIELDS[key]] = value
            elif key in _COMMITS:
                body[_COMMITS[key]] = {"ID": value}
            elif key == "CPUs":
                body["NCPU"] = int(value)
            continue
        if section == "Storage Driver" and sep:
            body.setdefault("DriverStatus", []).append([key, value])
        elif section == "Security Options":
            if not sep:  # an option name: seccomp, apparmor, cgroupns, rootless
                security.append({"name": key})
            elif security and key == "Profile":
                security[-1]["profile"] = value
    if security or "Security Options" in text:
        body["SecurityOptions"] = [",".join("%s=%s" % kv for kv in option.items()) for option in security]
    if warnings:
        body["Warnings"] = warnings
    return body


# --- `docker version` text -> /version body -------------------------------------------

def version_body(text):
    """The Server section of `docker version` -> /version fields and Components."""
    lines = text.splitlines()
    start = [i for i, line in enumerate(lines) if line.startswith("Server")]
    if not start:
        return {}
    header = lines[start[0]]
    body = {}
    if ":" in header and header.split(":", 1)[1].strip():
        body["Platform"] = {"Name": header.split(":", 1)[1].strip()}
    components, current = [], None
    for line in lines[start[0] + 1:]:
        if not line.strip():
            break
        key, _, value = line.strip().partition(":")
        value = value.strip()
        if not value:  # "Engine:", "containerd:", "runc:", "docker-init:"
            current = {"Name": key, "Details": {}}
            components.append(current)
            continue
        if current is None:
            continue
        if key == "Version":
            current["Version"] = value
        elif key == "API version":
            api, _, rest = value.partition(" ")
            current["Details"]["ApiVersion"] = api
            if "minimum version" in rest:
                current["Details"]["MinAPIVersion"] = rest.strip("()").split()[-1]
        elif key == "Go version":
            current["Details"]["GoVersion"] = value
        elif key in ("Git commit", "GitCommit"):
            current["Details"]["GitCommit"] = value
        elif key == "OS/Arch":
            current["Details"]["Os"], _, current["Details"]["Arch"] = value.partition("/")
        elif key == "Experimental":
            current["Details"]["Experimental"] = value == "true"
    for comp in components:
        if comp["Name"] == "Engine":
            details = comp["Details"]
            body["Version"] = comp.get("Version")
            for field in ("ApiVersion", "MinAPIVersion", "GitCommit", "GoVersion", "Os", "Arch"):
                if field in details:
                    body[field] = details[field]
    body["Components"] = components
    return body


# --- one system -----------------------------------------------------------------------

def assemble(name):
    parts = os.path.join(HERE, name, "parts")
    whole = os.path.join(parts, "capture.json")
    if os.path.exists(whole):
        return json.loads(_read(whole))
    doc = {"format": "hostcheck.capture/v1",
           "tool": {"name": "hostcheck", "version": "assembled"},
           "captured_at": ASSEMBLED_AT,
           "assembled_from": "tests/data/systems/%s/SOURCES.md" % name}
    if os.path.exists(os.path.join(parts, "uname.json")):
        doc["uname"] = json.loads(_read(os.path.join(parts, "uname.json")))
    files_root = os.path.join(parts, "files")
    files = {}
    for dirpath, _, names in os.walk(files_root):
        for fname in names:
            full = os.path.join(dirpath, fname)
            files["/" + os.path.relpath(full, files_root)] = {"content": _read(full)}
    if files:
        doc["files"] = dict(sorted(files.items()))
    commands = {}
    cmd_root = os.path.join(parts, "commands")
    for fname in sorted(os.listdir(cmd_root)) if os.path.isdir(cmd_root) else []:
        if not fname.endswith(".stdout"):
            continue
        key = fname[:-len(".stdout")].replace("_", " ").replace("%2F", "/")
        stderr_path = os.path.join(cmd_root, fname[:-len(".stdout")] + ".stderr")
        commands[key] = {"argv": key.split(" "), "rc": 0, "stdout": _read(os.path.join(cmd_root, fname)),
                         "stderr": _read(stderr_path) if os.path.exists(stderr_path) else ""}
    if commands:
        doc["commands"] = commands
    responses = {}
    docker_root = os.path.join(parts, "docker")
    if os.path.exists(os.path.join(docker_root, "version.txt")):
        responses["/version"] = version_body(_read(os.path.join(docker_root, "version.txt")))
    if os.path.exists(os.path.join(docker_root, "info.txt")):
        responses["/info"] = info_body(_read(os.path.join(docker_root, "info.txt")))
    if responses:
        doc["docker"] = {"endpoint": "unix:///var/run/docker.sock", "responses": responses, "error": None}
    return doc


def systems():
    return sorted(d for d in os.listdir(HERE) if os.path.isdir(os.path.join(HERE, d, "parts")))


def main(argv):
    stale = []
    for name in systems():
        text = json.dumps(assemble(name), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        target = os.path.join(HERE, name + ".json")
        current = _read(target) if os.path.exists(target) else None
        if current != text:
            stale.append(name)
            if "--check" not in argv:
                with open(target, "w", encoding="utf-8") as handle:
                    handle.write(text)
    if "--check" in argv and stale:
        print("stale: %s (run tests/data/systems/assemble.py)" % ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

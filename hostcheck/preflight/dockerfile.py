"""A Dockerfile's line grammar: what preflight needs to know about a build.

Parser directives at the top (`# syntax=`, `# escape=`), comments, line continuations (the
escape character at the end of a line; comment and empty lines inside a continuation are
dropped), heredocs (`RUN <<EOF` ... `EOF`), and the instructions that decide where a build
runs: `ARG` (before the first FROM: usable in FROM lines), `FROM [--platform=P] IMAGE [AS NAME]`,
`RUN`, `EXPOSE`, `HEALTHCHECK`. Other instructions are kept as counted lines only.

The result is plain data (it is recorded beside the capture): parse(text) ->
{"directives", "global_args": [{"name", "default"}], "stages": [{"index", "name", "from",
"platform", "line", "runs": [{"line", "text"}], "expose": [...], "healthcheck"}]}.
`resolve_from(parsed, build_args, platforms)` then fills FROM lines' variables the way the
builder does: global ARGs (a build arg overrides the default) and the automatic platform
ARGs (TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT, BUILDPLATFORM, ...).

>>> parsed = parse('''# syntax=docker/dockerfile:1
... ARG BASE=arm64v8/openjdk:8-jdk
... FROM --platform=$BUILDPLATFORM maven:3 AS build
... RUN mvn -q \\\\
...     package
... FROM ${BASE}
... EXPOSE 8080
... HEALTHCHECK --interval=30s CMD curl -f http://localhost:8080/actuator/health || exit 1
... ''')
>>> [(s["from"], s["platform"], s["name"]) for s in parsed["stages"]]
[('maven:3', '$BUILDPLATFORM', 'build'), ('${BASE}', None, None)]
>>> parsed["stages"][0]["runs"]
[{'line': 4, 'text': 'mvn -q package'}]
>>> [(s["image"], s["platform"]) for s in resolve_from(parsed, {}, {"BUILDPLATFORM": "linux/amd64"})]
[('maven:3', 'linux/amd64'), ('arm64v8/openjdk:8-jdk', None)]
"""

import re

MAX_INSTRUCTIONS = 5000
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
# Automatic platform ARGs of BuildKit, usable in FROM lines without being declared.
PLATFORM_ARGS = ("TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
                 "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT")


class DockerfileError(ValueError):
    """A Dockerfile the builder would refuse at once: one line naming the line."""


def _logical_lines(text):
    """(directives, escape character, [(line number, text)]) of the instructions."""
    lines = text.splitlines()
    directives, index = {}, 0
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index])
        if not match or match.group(1).lower() in directives:
            break
        directives[match.group(1).lower()] = match.group(2)
        index += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError("line %d: escape directive must be \\ or `, not %r" % (index, escape))
    result, pieces, start = [], None, 0
    while index < len(lines):
        raw = lines[index]
        index += 1
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and pieces is None):
            continue                       # comments (also inside a continuation), blank lines
        if pieces is None:
            pieces, start = [], index
        body = raw.rstrip()
        if body.endswith(escape):
            pieces.append(body[:-1].strip())
            continue
        pieces.append(stripped)
        current = " ".join(piece for piece in pieces if piece)
        pieces = None
        heredoc = _HEREDOC.search(current)
        if heredoc and current.split(None, 1)[0].upper() in ("RUN", "COPY", "ADD"):
            body_lines, strip_tabs, word = [], heredoc.group(1) == "-", heredoc.group(3)
            while index < len(lines):
                line = lines[index]
                index += 1
                if (line.lstrip("\t") if strip_tabs else line) == word:
                    break
                body_lines.append(line)
            current += "\n" + "\n".join(body_lines)
        result.append((start, current))
        if len(result) > MAX_INSTRUCTIONS:
            raise DockerfileError("more than %d instructions" % MAX_INSTRUCTIONS)
    if pieces:
        result.append((start, " ".join(piece for piece in pieces if piece)))
    return directives, escape, result


def _flags(words):
    """({flag: value}, the words after the leading --flags)."""
    flags = {}
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name.lower()] = value
    return flags, words


def _arg_pairs(text):
    """ARG a=1 b="two" c -> [(name, default or None)]."""
    pairs = []
    for match in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?", text):
        value = match.group(2)
        if value is not None and value[:1] in ("'", '"'):
            value = value[1:-1]
        pairs.append({"name": match.group(1), "default": value})
    return pairs


def parse(text):
    """The Dockerfile's directives, global ARGs and stages (module docstring); DockerfileError."""
    directives, _escape, instructions = _logical_lines(text)
    global_args, stages = [], []
    for line, instruction in instructions:
        keyword, _, rest = instruction.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "FROM":
            flags, words = _flags(rest.split())
            if not words:
                raise DockerfileError("line %d: FROM names no image" % line)
            name = None
            if len(words) >= 3 and words[1].lower() == "as":
                name = words[2].lower()
            elif len(words) != 1:
                raise DockerfileError("line %d: FROM takes IMAGE [AS NAME], not %r" % (line, rest[:80]))
            stages.append({"index": len(stages), "name": name, "from": words[0], "platform": flags.get("platform"),
                           "line": line, "runs": [], "expose": [], "healthcheck": None, "args": []})
            continue
        if not stages:
            if keyword == "ARG":
                global_args.extend(_arg_pairs(rest))
                continue
            raise DockerfileError("line %d: %s before the first FROM (only ARG may come before it)" % (line, keyword))
        stage = stages[-1]
        if keyword == "RUN":
            _flags_, words = _flags(rest.split(" "))
            stage["runs"].append({"line": line, "text": " ".join(words).strip()})
        elif keyword == "EXPOSE":
            stage["expose"].extend(rest.split())
        elif keyword == "HEALTHCHECK":
            _flags_, words = _flags(rest.split())
            stage["healthcheck"] = " ".join(words)
        elif keyword == "ARG":
            stage["args"].extend(pair["name"] for pair in _arg_pairs(rest))
    if not stages:
        raise DockerfileError("no FROM instruction: nothing to build")
    return {"directives": directives, "global_args": global_args, "stages": stages}


_VARIABLE = re.compile(r"\\\$|\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def substitute(text, scope):
    """Dockerfile variables in `text` from `scope` ({name: value}); unknown ones are empty.

    >>> substitute("${REPO:-library}/app:${TAG:+v}$TAG \\\\$HOME", {"TAG": "2"})
    'library/app:v2 $HOME'
    """
    def fill(match):
        if match.group(0) == "\\$":
            return "$"
        name = match.group(1) or match.group(4)
        value = scope.get(name)
        operator, word = match.group(2), match.group(3) or ""
        if operator is None:
            return value or ""
        holds = bool(value) if operator.startswith(":") else value is not None
        if operator.endswith("-"):
            return value if holds else word
        return word if holds else ""
    return _VARIABLE.sub(fill, text or "")


def resolve_from(parsed, build_args, platform_args):
    """Each stage's base as the builder reads its FROM line: [{"index", "name", "image",
    "platform" (None when not asked), "base_stage" (index of an earlier stage or None)}].

    build_args: {name: value} of the build; platform_args: the automatic platform ARGs.
    """
    scope = dict(platform_args)
    for arg in parsed.get("global_args") or ():
        value = build_args.get(arg["name"], arg["default"])
        if value is not None:
            scope[arg["name"]] = value
    stages, names = [], {}
    for stage in parsed.get("stages") or ():
        image = substitute(stage["from"], scope).strip()
        platform = substitute(stage["platform"], scope).strip() if stage.get("platform") else None
        base = names.get(image.lower())
        stages.append({"index": stage["index"], "name": stage["name"], "image": image,
                       "platform": platform or None, "base_stage": base})
        if stage["name"]:
            names[stage["name"]] = stage["index"]
    return stages

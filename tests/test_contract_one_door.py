"""One door to the host (issue 10): only hostcheck/capture/ opens sockets, runs commands or
uses the docker SDK. Every other module of the package is read as source (an AST scan, so
an import inside a function counts too) and may not import socket, subprocess, http.client,
urllib or docker, nor run a command through os (system, popen, spawn*, exec*, fork).
Judging a capture is then a pure function of the document: it cannot reach the engineer's
own engine by accident.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hostcheck"
DOOR = PACKAGE / "capture"
FORBIDDEN = ("socket", "subprocess", "http.client", "urllib", "docker")
OS_COMMANDS = ("system", "popen", "fork", "forkpty")
OS_COMMAND_PREFIXES = ("spawn", "exec")


def _forbidden(module):
    module = module or ""
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def host_access(source, filename="<source>"):
    """[(line, what)] for each way this source reaches the host directly."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, "import %s" % a.name) for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            if _forbidden(node.module):
                found.append((node.lineno, "from %s import ..." % node.module))
            elif node.module == "http" and any(a.name == "client" for a in node.names):
                found.append((node.lineno, "from http import client"))
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name) \
                    and function.value.id == "os" and (function.attr in OS_COMMANDS
                                                       or function.attr.startswith(OS_COMMAND_PREFIXES)):
                found.append((node.lineno, "os.%s()" % function.attr))
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name in ("import_module", "__import__") and node.args \
                    and isinstance(node.args[0], ast.Constant) and _forbidden(str(node.args[0].value)):
                found.append((node.lineno, "%s(%r)" % (name, node.args[0].value)))
    return found


def modules_outside_the_door():
    return sorted(path for path in PACKAGE.rglob("*.py") if DOOR not in path.parents)


def test_the_scan_reads_the_whole_package():
    modules = modules_outside_the_door()
    names = {str(path.relative_to(PACKAGE)) for path in modules}
    assert {"cli.py", "image/cli.py", "image/registry.py", "image/judge.py", "judge/trees.py"} <= names
    assert not any(name.startswith("capture/") for name in names)
    assert len(modules) >= 40


def test_no_module_outside_capture_reaches_the_host():
    offenders = []
    for path in modules_outside_the_door():
        for line, what in host_access(path.read_text(encoding="utf-8"), str(path)):
            offenders.append("%s:%d %s" % (path.relative_to(PACKAGE.parent), line, what))
    assert offenders == [], "only hostcheck/capture/ may touch the host:\n" + "\n".join(offenders)


@pytest.mark.parametrize("source, what", [
    ("import socket", "import socket"),
    ("def f():\n    import docker.errors", "import docker.errors"),
    ("from urllib.parse import quote", "from urllib.parse import ..."),
    ("from http import client", "from http import client"),
    ("import http.client as h", "import http.client"),
    ("from subprocess import run", "from subprocess import ..."),
    ("import os\nos.system('id')", "os.system()"),
    ("import os\nos.execvp('id', ['id'])", "os.execvp()"),
    ("import importlib\nimportlib.import_module('socket')", "import_module('socket')"),
])
def test_the_scan_sees_each_way_in(source, what):
    assert [found for _, found in host_access(source)] == [what]


def test_the_scan_leaves_what_does_not_reach_the_host():
    assert host_access("import os\nimport json\nfrom hostcheck.capture import take\n"
                       "os.path.join('a', 'b')\nfrom . import socket_names\nimport socketserver_like") == []

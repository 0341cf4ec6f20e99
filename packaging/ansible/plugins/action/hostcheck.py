# Copyright: hostcheck contributors
# Apache License 2.0 (see the hostcheck project)
"""The `hostcheck` action: capture on the target with its own python3, judge on the controller.

ansible-core's modules need Python >= 3.8 on the target (2.17+), but the hosts hostcheck
cares most about run 3.6 (CentOS 7) and 3.7 (Kylin V10, UOS 20). So this action does not
use the module machinery: it pipes one self-contained, standard-library-only script (the
controller's own hostcheck.capture sources, packed inside it) into `python3 -` on the
target through the connection's raw command channel, reads the capture document back from
stdout, and judges it here with hostcheck's engine. Nothing is written on the target; only
when the connection cannot feed stdin is the script copied into the temporary directory
Ansible makes for the task, which is removed afterwards.

The controller needs hostcheck importable by the Python that runs ansible
(`pip install hostcheck-containers`, or hostcheck.pyz on PYTHONPATH).

Like `fetch`: a relative `dest` is relative to the playbook's directory; `changed` says
whether the report file on the controller changed (check mode: would change, and writes
nothing).
"""

from __future__ import absolute_import, division, print_function

import base64
import json
import os
import shlex
import sys
import tempfile
import zlib

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

FAIL_ON = ("info", "warn", "fail")
LANGS = ("en", "zh")
# Lines around the JSON on the target's stdout: a login banner or a profile script's
# chatter before it must not break the parse.
BEGIN_MARK = "----- hostcheck capture begin -----"
END_MARK = "----- hostcheck capture end -----"

ARGUMENT_SPEC = {
    "fail_on": {"type": "str", "default": "fail", "choices": list(FAIL_ON)},
    "lang": {"type": "str", "default": "en", "choices": list(LANGS)},
    "only": {"type": "list", "elements": "str", "default": []},
    "skip": {"type": "list", "elements": "str", "default": []},
    "timeout": {"type": "float", "default": 5.0},
    "redact": {"type": "bool", "default": False},
    "dest": {"type": "path"},
    "capture": {"type": "path"},
    "return_report": {"type": "bool", "default": True},
}

# The distribution's name on the package index (`hostcheck` there is another project).
DISTRIBUTION = "hostcheck-containers"
HOSTCHECK_MISSING = (
    "the hostcheck action judges on the controller and needs the hostcheck package "
    "importable by the Python that runs Ansible (%s): `%s -m pip install " + DISTRIBUTION + "`, "
    "or put hostcheck.pyz on PYTHONPATH (%s)"
)
# A generation time alone is no change: judging the same capture again leaves the file as it was.
VOLATILE_KEYS = ("generated_at",)
# A file at dest larger than this is not read back: it is not a report of ours, so it changes.
REPORT_READ_LIMIT = 256 << 20
# Ids named in a failed task's one-line message; the rest are counted.
MSG_NAMES = 8

# Runs on the target, read from stdin by `python3 -`. It must stay parseable by any
# python3 (and say something useful under python2): no f-strings here. The capture
# modules travel as compressed source and are imported from memory, ahead of any
# hostcheck the target may have installed (the controller's version captures).
BOOTSTRAP = r'''
import sys
if sys.version_info < (3, 6):
    sys.stderr.write("hostcheck: the capture needs Python 3.6 or newer on the target; %s is %s\n"
                     % (sys.executable, sys.version.split()[0]))
    sys.exit(3)
import base64, importlib.abc, importlib.util, json, zlib

SOURCES = json.loads(zlib.decompress(base64.b64decode(PAYLOAD)).decode("utf-8"))


class MemoryImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name in SOURCES:
            return importlib.util.spec_from_loader(name, self, is_package=SOURCES[name][0])
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        is_package, source = SOURCES[module.__name__]
        filename = "<hostcheck bundle>/" + module.__name__.replace(".", "/") + (
            "/__init__.py" if is_package else ".py")
        exec(compile(source, filename, "exec"), module.__dict__)


sys.meta_path.insert(0, MemoryImporter())
try:
    from hostcheck.capture import take
    doc = take(timeout=TIMEOUT, redact=REDACT)
    text = json.dumps({"executable": sys.executable, "capture": doc}, ensure_ascii=False)
except KeyboardInterrupt:
    sys.exit(130)
except Exception as exc:  # one line for the controller, never a traceback
    sys.stderr.write("hostcheck: capture failed on the target: %s: %s\n" % (exc.__class__.__name__, exc))
    sys.exit(3)
# Bytes: Python 3.6 in the C locale has an ASCII stdout, and a capture may hold
# non-ASCII text (os-release of UOS or Kylin, container names).
sys.stdout.flush()
sys.stdout.buffer.write((BEGIN_MARK + "\n" + text + "\n" + END_MARK + "\n").encode("utf-8"))
sys.stdout.buffer.flush()
'''


class HostcheckError(Exception):
    """The task cannot produce a report: one line for the user."""


def capture_sources():
    """{module name: [is_package, source]} for hostcheck and hostcheck.capture.*, read
    through the import system so that a zipped hostcheck (the pyz) works too."""
    import pkgutil

    import hostcheck.capture

    def source(resource):
        data = pkgutil.get_data("hostcheck", resource)
        if data is None:
            raise HostcheckError("cannot read hostcheck/%s from the controller's hostcheck" % resource)
        return data.decode("utf-8")

    sources = {
        "hostcheck": [True, source("__init__.py")],
        "hostcheck.capture": [True, source("capture/__init__.py")],
    }
    for module in pkgutil.iter_modules(hostcheck.capture.__path__):
        if not module.ispkg and module.name != "__main__":
            sources["hostcheck.capture." + module.name] = [False, source("capture/%s.py" % module.name)]
    return sources


def capture_script(timeout, redact):
    """The whole program the target's python3 runs, as ASCII text."""
    payload = base64.b64encode(zlib.compress(json.dumps(capture_sources()).encode("utf-8"), 9))
    head = "PAYLOAD = %r\nTIMEOUT = %r\nREDACT = %r\nBEGIN_MARK = %r\nEND_MARK = %r\n" % (
        payload.decode("ascii"), float(timeout), bool(redact), BEGIN_MARK, END_MARK)
    return head + BOOTSTRAP


def parse_capture_output(stdout):
    """(capture document, interpreter path) from the target's stdout, or HostcheckError."""
    start = stdout.find(BEGIN_MARK)
    end = stdout.rfind(END_MARK)
    if start < 0 or end < start:
        raise HostcheckError("the target printed no capture (stdout began: %r)" % stdout[:200])
    try:
        envelope = json.loads(stdout[start + len(BEGIN_MARK):end])
    except ValueError as exc:
        raise HostcheckError("the target's capture is not valid JSON (%s)" % exc)
    return envelope["capture"], envelope.get("executable")


def interpreter_command(interpreter):
    """The shell command running the capture script from stdin (or from `script_path`)."""
    if interpreter:
        # ansible_python_interpreter may hold arguments ("/usr/bin/env python3").
        return " ".join(shlex.quote(part) for part in shlex.split(interpreter))
    return None


def run_command(interpreter, script_path="-", environment=""):
    """`environment`: the task's `environment` as NAME=VALUE words (quoted), e.g. a
    DOCKER_HOST for a rootless engine; passed through env(1) so it reaches the capture."""
    quoted_script = shlex.quote(script_path)
    command = interpreter_command(interpreter)
    with_env = "env %s " % environment if environment else ""
    if command:
        return "%s%s %s" % (with_env, command, quoted_script)
    # No interpreter set: the target's python3 on PATH, whatever version it is.
    return ('if command -v python3 >/dev/null 2>&1; then exec %spython3 %s; '
            'else echo "hostcheck: no python3 on the target\'s PATH; install python3 (3.6 or newer) '
            'or set ansible_python_interpreter" >&2; exit 127; fi' % (with_env, quoted_script))


def failing(report, fail_on):
    """The findings and tree verdicts that reach `fail_on` (SPEC's exit code 1), in short form."""
    from hostcheck.report import STATUS_RANK

    threshold = STATUS_RANK[fail_on]
    findings = [
        {key: finding[key] for key in ("id", "area", "status", "title", "subject") if finding.get(key)}
        for finding in report.get("findings", [])
        if STATUS_RANK.get(finding.get("status"), 0) >= threshold
    ]
    trees = [
        {"tree": tree.get("tree"), "subject": tree.get("subject"),
         "verdict": tree["verdict"].get("id"), "status": tree["verdict"].get("status")}
        for tree in report.get("trees", [])
        if tree.get("verdict") and STATUS_RANK.get(tree["verdict"].get("status"), 0) >= threshold
    ]
    return findings, trees


def report_bytes(document):
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def same_report(path, document):
    """True when the file at `path` holds `document` but for VOLATILE_KEYS."""
    try:
        if os.stat(path).st_size > REPORT_READ_LIMIT:
            return False
        with open(path, "r", encoding="utf-8") as handle:
            current = json.load(handle)
    except (OSError, ValueError):
        return False
    if not isinstance(current, dict):
        return False
    # Through JSON and back, so that tuples compare equal to the lists the file holds.
    new = json.loads(report_bytes(document).decode("utf-8"))
    return without_volatile(current) == without_volatile(new)


def without_volatile(document):
    return {key: value for key, value in document.items() if key not in VOLATILE_KEYS}


def write_json(path, document):
    """Write atomically: a reader (hostcheck fleet) never sees half a report."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".hostcheck-", suffix=".json", dir=directory)
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(report_bytes(document))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def summary_line(findings, trees, fail_on, worst):
    """The task's one-line message."""
    if not findings and not trees:
        return "hostcheck: nothing reaches fail_on=%s (worst: %s)" % (fail_on, worst)
    names = [f["id"] + ("(%s)" % f["subject"] if f.get("subject") else "") for f in findings]
    names += ["%s tree %s: %s" % (t["tree"], t["subject"], t["verdict"]) for t in trees]
    counts = []
    if findings:
        counts.append("%d finding%s" % (len(findings), "" if len(findings) == 1 else "s"))
    if trees:
        counts.append("%d tree verdict%s" % (len(trees), "" if len(trees) == 1 else "s"))
    shown = ", ".join(names[:MSG_NAMES])
    if len(names) > MSG_NAMES:
        shown += " and %d more" % (len(names) - MSG_NAMES)
    return "hostcheck: %s reach fail_on=%s: %s" % (" and ".join(counts), fail_on, " ".join(shown.split()))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    # Read-only on the target: check mode runs exactly the same capture.
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result["changed"] = False
        try:
            result.update(self._hostcheck(args, task_vars))
        except HostcheckError as exc:
            result["failed"] = True
            result["msg"] = "hostcheck: %s" % exc
        return result

    def _hostcheck(self, args, task_vars):
        if not args["timeout"] > 0:
            raise HostcheckError("timeout must be more than 0 seconds (got %s)" % args["timeout"])
        try:
            from hostcheck.capture.redact import pseudonymise
            from hostcheck.report import CaptureError, build_report, check_capture, exit_code, worst_status
        except ImportError as exc:
            raise HostcheckError(HOSTCHECK_MISSING % (sys.executable, sys.executable, exc))

        out = {"changed": False}
        if args["capture"]:
            path = self._controller_file(args["capture"])
            doc = self._read_capture_file(path)
            if args["redact"] and not doc.get("redacted"):
                doc = pseudonymise(doc)
            out["captured_from"] = path
        else:
            doc, executable = self._capture_on_target(args, self._python_interpreter(task_vars))
            out["captured_from"] = "target"
            out["interpreter"] = executable
        try:
            doc = check_capture(doc, origin=out["captured_from"])
        except CaptureError as exc:
            raise HostcheckError(str(exc))

        try:
            report, _facts = build_report(doc, lang=args["lang"], only=tuple(args["only"]),
                                          skip=tuple(args["skip"]))
        except Exception as exc:  # the judge broke: one line, as the CLI's exit 3
            raise HostcheckError("cannot judge the capture: %s: %s" % (exc.__class__.__name__, exc))

        # Where the capture came from, beside SPEC's keys (readers ignore unknown keys):
        # which hosts were captured with which Python is worth seeing across a fleet.
        report["captured_with"] = {
            "via": "ansible",
            # The report's hostname is the host's own; the inventory may know it by another name.
            "inventory_hostname": task_vars.get("inventory_hostname"),
            "python": doc.get("python"),
            "interpreter": out.get("interpreter"),
            "file": None if out["captured_from"] == "target" else out["captured_from"],
            "tool": doc.get("tool"),
        }

        if args["dest"]:
            out["dest"] = dest = self._controller_dest(args["dest"])
            out["changed"] = not same_report(dest, report)
            if out["changed"] and not self._task.check_mode:
                try:
                    write_json(dest, report)
                except OSError as exc:
                    raise HostcheckError("cannot write %s: %s" % (dest, exc.strerror or exc))

        findings, trees = failing(report, args["fail_on"])
        reached = bool(exit_code(report, args["fail_on"]))
        out.update({
            "python": doc.get("python"),
            "host": report.get("host"),
            "summary": report.get("summary"),
            "worst": worst_status(report),
            "failed_findings": findings,
            "failed_trees": trees,
            "fail_on_reached": reached,
            "msg": summary_line(findings, trees, args["fail_on"], worst_status(report)),
        })
        if args["return_report"]:
            out["report"] = report
        if reached:
            out["failed"] = True
        return out

    # ------------------------------------------------------------------ controller side

    def _controller_file(self, path):
        """A capture file named in the task: absolute, or found like `copy`'s src
        (the role's or playbook's files/ directory, then the playbook directory)."""
        if os.path.isabs(path):
            return path
        try:
            return self._find_needle("files", path)
        except AnsibleError:
            return os.path.abspath(path)

    def _controller_dest(self, dest):
        """Where the report goes: like fetch's dest, a relative path is relative to the
        playbook's directory (the loader's base directory)."""
        dest = os.path.expanduser(dest)
        if not os.path.isabs(dest):
            dest = self._loader.path_dwim(dest)
        return os.path.normpath(dest)

    @staticmethod
    def _read_capture_file(path):
        try:
            with open(path, "r", encoding="utf-8") as handle:
                return json.load(handle)
        except OSError as exc:
            raise HostcheckError("cannot read %s: %s" % (path, exc.strerror or exc))
        except ValueError as exc:
            raise HostcheckError("%s is not a hostcheck capture (not valid JSON: %s)" % (path, exc))

    def _python_interpreter(self, task_vars):
        """ansible_python_interpreter when set to a path; None means the target's python3."""
        value = task_vars.get("ansible_python_interpreter")
        if value is None:
            return None
        value = str(self._templar.template(value)).strip()
        # `auto`, `auto_silent`, `auto_legacy`...: Ansible's discovery, which only knows
        # interpreters its modules accept (3.8+); hostcheck takes any python3.
        if not value or value.startswith("auto"):
            return None
        return value

    # ------------------------------------------------------------------ target side

    def _capture_on_target(self, args, interpreter):
        script = capture_script(args["timeout"], args["redact"]).encode("ascii")
        environment = self._compute_environment_string().strip()
        if getattr(self._connection, "has_pipelining", False):
            response = self._low_level_execute_command(run_command(interpreter, "-", environment), in_data=script)
        else:
            response = self._run_from_temporary_file(script, interpreter, environment)
        if response.get("rc") != 0:
            stderr = (response.get("stderr") or "").strip()
            raise HostcheckError("the capture on the target ended with rc=%s: %s" % (
                response.get("rc"), stderr.splitlines()[-1] if stderr else "(no message)"))
        return parse_capture_output(response.get("stdout") or "")

    def _run_from_temporary_file(self, script, interpreter, environment):
        """For connections that cannot feed stdin: the script goes into Ansible's own
        temporary directory on the target, which is removed afterwards."""
        tmpdir = self._make_tmp_path()
        try:
            remote = self._connection._shell.join_path(tmpdir, "hostcheck_capture.py")
            self._transfer_data(remote, script)
            return self._low_level_execute_command(run_command(interpreter, remote, environment))
        finally:
            self._remove_tmp_path(tmpdir, force=True)

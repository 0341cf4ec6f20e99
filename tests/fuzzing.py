"""Shared machinery of the fuzz suite (tests/test_fuzz_*.py, bench/fuzz.sh).

Every target starts from real documents (captures of real hosts, reports judged from
them, archives and compose projects built like the real ones) and applies a short list of
mutations drawn by hypothesis. A mutation list is plain data — ("set", path, value),
("insert", path, at, payload), ... — so a failing example prints as the minimal input to
paste into a regression test.

Budget: each target runs until HOSTCHECK_FUZZ_SECONDS (default 8) of its own time are
spent (`analyze`, the slowest examples over the most inputs, 1.5 times that), with a
fixed seed (HOSTCHECK_FUZZ_SEED, default 20261129): the same examples in the same order
on every run of the same code and test modules (hypothesis also draws constants it finds
in them). bench/fuzz.sh gives minutes per target. In tests/run the four targets add
about 45 s per Python; their summaries are printed at the end (tests/conftest.py).

What counts: an exception out of hostcheck's in-process API (or exit 3 saying "internal
error", or a traceback), a hang (HOSTCHECK_FUZZ_HANG seconds for one example), an
unescaped control character in text for a terminal, ill-formed JSON or XML. Findings and
verdicts with status `error` are allowed: each target lists them (in pytest's terminal
summary; HOSTCHECK_FUZZ_SUMMARY=DIR also writes it to DIR/<target>.txt).
"""

import copy
import json
import math
import os
import re
import shutil
import signal
import time
from contextlib import contextmanager

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

# Hypothesis keeps a cache of constants it read (no example database: database=None) in
# .hypothesis/ of the working directory unless told otherwise: .cache/ is git-ignored.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "hypothesis"))

SECONDS = float(os.environ.get("HOSTCHECK_FUZZ_SECONDS", "8"))
SEED = int(os.environ.get("HOSTCHECK_FUZZ_SEED", "20261129"))
HANG_SECONDS = int(os.environ.get("HOSTCHECK_FUZZ_HANG", "60"))
# Examples slower than this are listed (the shared 2-core machine makes a failure of it flaky).
SLOW_SECONDS = float(os.environ.get("HOSTCHECK_FUZZ_SLOW", "3"))

# Anything a terminal acts on but a newline (tests/test_terminal_safety.py's rule), lone
# surrogates included; with colour, every ESC must start an SGR sequence.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                         "\u2066-\u2069\ud800-\udfff]")
NOT_SGR = re.compile(r"\x1b(?!\[[0-9;]*m)")
RAW_CONTROL_NO_ESC = re.compile("[\x00-\x09\x0b-\x1a\x1c-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                                "\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# Strings an attacker would plant: terminal sequences, bidi, surrogates, markup, paths,
# numbers as text, shell and format metacharacters.
PAYLOADS = [
    "\x1b[2J\x1b[H", "\x1b]8;;file:///etc/passwd\x1b\\click\x1b]8;;\x1b\\", "\x1b]52;c;cm0gLXJmIH4K\x07",
    "ok\rFAIL", "\u202egnp.exe", "\u2066\u200f", "\x00", "\x7f", "\x9b31m", "\x85", "\u2028", "\ufeff",
    "\ud800", "\udfff", "a\ud83dz",
    "[link=file:///etc/passwd]x[/link]", "[/]", "[bold red]", "[", "]]", "[/bold]",
    "<script>alert(1)</script>", "&amp;<>\"'", "]]><x/>",
    "../../../etc/shadow", "sha256:../../../etc/shadow", "/dev/zero", "/proc/self/environ",
    "NaN", "Infinity", "-1", "1e309", "99999999999999999999999", "0x10", "", " ", "\n", "\t",
    "%s%n%x", "{}", "{0}", "$(touch /tmp/hc-fuzz-pwned)", "`id`", "x; reboot", "'\"", "\\",
    "中文 · 主机", "😀", "e\u0301" * 40, "A" * 300,
]
# Whole values of another JSON type.
SCALARS = [None, True, False, 0, -1, 1, 2 ** 31, 2 ** 63, -(2 ** 63), 10 ** 400,
           float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 0.5]
# JSON text put in place of a value (json.dumps could not write these).
RAW_VALUES = ["1" + "0" * 5000, "1e999", "-1e999", "NaN", "-Infinity", '{"a": 1, "a": [2]}']
# Examples drawn (not run) before a target's clock starts: hypothesis's caches filled.
WARM_UP_DRAWS = 30
# Each target's summary, for tests/conftest.py's pytest_terminal_summary.
SUMMARIES = []
DEPTHS = [2, 62, 63, 64, 65, 66, 200, 999, 5000]


def nested_text(depth, kind, leaf='"x"'):
    """JSON text of `depth` nested arrays or objects around `leaf`."""
    if kind == "list":
        return "[" * depth + leaf + "]" * depth
    return '{"a":' * depth + leaf + "}" * depth


# ------------------------------------------------------------------ paths of a document

def paths_of(doc, max_depth=14, limit=60000, leave_out=()):
    """Every path (tuple of keys) below the root, breadth first, but those under the
    top-level keys `leave_out`; (strings, all)."""
    strings, every = [], []
    level = [((), {key: value for key, value in doc.items() if key not in leave_out}
              if isinstance(doc, dict) else doc)]
    depth = 0
    while level and depth < max_depth and len(every) < limit:
        below = []
        for path, value in level:
            if isinstance(value, dict):
                children = value.items()
            elif isinstance(value, list):
                children = enumerate(value)
            else:
                continue
            for key, child in children:
                child_path = path + (key,)
                every.append(child_path)
                if isinstance(child, str):
                    strings.append(child_path)
                below.append((child_path, child))
        level = below
        depth += 1
    return strings, every


def _parent(doc, path):
    """(container, key) for `path` in `doc`, or (None, None) when it is gone."""
    node = doc
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None, None
    if isinstance(node, dict) and path[-1] in node:
        return node, path[-1]
    if isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node):
        return node, path[-1]
    return None, None


def _get(doc, path):
    parent, key = _parent(doc, path)
    return (True, parent[key]) if parent is not None else (False, None)


class Raw(object):
    """A value written as this JSON text."""

    def __init__(self, text):
        self.text = text


# ------------------------------------------------------------------ mutations

def _bounded(value, limit):
    if isinstance(value, str) and len(value) > limit:
        return value[:limit]
    return value


def apply(doc, ops):
    """A mutated copy of `doc` (a plain JSON document; ops as drawn by `mutations`).

    Raw values stay Raw until `dumps`. The copy goes through json's C code (a tenth of
    deepcopy's time on a 200 KB capture)."""
    doc = json.loads(json.dumps(doc))
    for op in ops:
        kind, path = op[0], op[1]
        parent, key = _parent(doc, path)
        if parent is None:
            continue
        value = parent[key]
        if kind == "set":
            parent[key] = copy.deepcopy(op[2])
        elif kind == "raw":
            parent[key] = Raw(op[2])
        elif kind == "del":
            del parent[key]
        elif kind == "insert" and isinstance(value, str):
            at = int(op[2] * len(value))
            parent[key] = value[:at] + op[3] + value[at:]
        elif kind == "line" and isinstance(value, str):
            lines = value.split("\n")
            at = int(op[2] * len(lines))
            parent[key] = "\n".join(lines[:at] + [op[3]] + lines[at:])
        elif kind == "repeat":
            if isinstance(value, str) and value:
                parent[key] = value * max(1, min(op[2], (2 << 20) // len(value)))
            elif isinstance(value, list) and value:
                parent[key] = value * max(1, min(op[2], 3000 // len(value)))
        elif kind == "truncate" and isinstance(value, (str, list)):
            parent[key] = value[:int(op[2] * len(value))]
        elif kind == "key" and isinstance(parent, dict):
            del parent[key]
            parent[op[2]] = value
        elif kind == "swap":
            found, other = _get(doc, op[2])
            if found:
                parent[key] = copy.deepcopy(other)
        elif kind == "numstr":
            if isinstance(value, bool):
                parent[key] = "true" if value else "false"
            elif isinstance(value, (int, float)):
                parent[key] = str(value)
            elif isinstance(value, str) and re.match(r"-?\d{1,300}\Z", value.strip()):
                parent[key] = int(value.strip())
    return doc


def dumps(doc, ensure_ascii=True):
    """JSON text of a mutated document (NaN and Infinity as Python writes them; Raw as is)."""
    raws = {}

    def default(value):
        if isinstance(value, Raw):
            marker = "\x00raw%d\x00" % len(raws)
            raws[json.dumps(marker)] = value.text
            return marker
        raise TypeError(type(value).__name__)

    text = json.dumps(doc, ensure_ascii=ensure_ascii, default=default)
    for marker, raw in raws.items():
        text = text.replace(marker, raw, 1)
    return text


def encode(text, ensure_ascii):
    # A lone surrogate written raw is not UTF-8: readers must refuse it with one line.
    return text.encode("utf-8", "surrogatepass")


payloads = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=24),
                     st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3000), max_size=8))
scalars = st.one_of(st.sampled_from(SCALARS), payloads, st.integers(min_value=-(2 ** 70), max_value=2 ** 70))


def _containers(inner):
    return st.one_of(st.lists(inner, max_size=3), st.dictionaries(payloads, inner, max_size=3))


junk = st.recursive(scalars, _containers, max_leaves=6)
raw_values = st.one_of(st.sampled_from(RAW_VALUES),
                       st.builds(nested_text, st.sampled_from(DEPTHS), st.sampled_from(["list", "dict"])))
fractions = st.sampled_from([0.0, 0.25, 0.5, 0.999, 1.0])


# Built once per document: a new sampled_from over a capture's ~10,000 paths is validated
# again on every draw (half a second per example of the fleet target).
_MUTATIONS = {}


def mutations(strings, every, extra_payloads=(), max_ops=4):
    """A strategy for a short list of mutations of a document whose paths are given."""
    key = (id(strings), id(every), tuple(extra_payloads), max_ops)
    if key not in _MUTATIONS:
        # (the lists are kept with it: their ids stay theirs)
        _MUTATIONS[key] = (strings, every, _mutations(strings, every, extra_payloads, max_ops))
    return _MUTATIONS[key][2]


def _mutations(strings, every, extra_payloads, max_ops):
    texts = st.one_of(payloads, st.sampled_from(list(extra_payloads))) if extra_payloads else payloads
    any_path = st.sampled_from(every)
    string_path = st.sampled_from(strings) if strings else any_path
    op = st.one_of(
        st.tuples(st.just("set"), any_path, junk),
        st.tuples(st.just("insert"), string_path, fractions, texts),
        st.tuples(st.just("line"), string_path, fractions, texts),
        st.tuples(st.just("set"), string_path, texts),
        st.tuples(st.just("del"), any_path),
        st.tuples(st.just("raw"), any_path, raw_values),
        st.tuples(st.just("repeat"), any_path, st.sampled_from([2, 50, 5000, 1 << 20])),
        st.tuples(st.just("truncate"), any_path, fractions),
        st.tuples(st.just("key"), any_path, texts),
        st.tuples(st.just("swap"), any_path, any_path),
        st.tuples(st.just("numstr"), any_path),
    )
    return st.lists(op, min_size=1, max_size=max_ops)


# ------------------------------------------------------------------ budget and summary

def _warm_up(strategy):
    """What hypothesis computes on first use (and caches under its storage directory), done
    before a target's clock starts, so that the budget goes to examples: the Unicode tables
    of text strategies (16 s of cProfile on a cold cache, 1 s warm) and (6.131+) the
    constants of every local module imported, hostcheck's and the tests'. Examples are
    drawn, not run."""
    @settings(max_examples=WARM_UP_DRAWS, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @seed(SEED)
    @given(strategy)
    def draw_only(example):
        pass

    draw_only()
    try:
        from hypothesis.internal.conjecture.providers import _get_local_constants
    except ImportError:
        return
    _get_local_constants()


class _BudgetSpent(BaseException):
    """Raised inside a hypothesis test when its time is up (not an Exception: hypothesis
    lets it through instead of shrinking it as a failure)."""


class _Hang(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Hang("one example ran over %d s (HOSTCHECK_FUZZ_HANG)" % HANG_SECONDS)


class Target(object):
    """One fuzz target: its budget, counts, the `error` statuses and slow examples seen."""

    def __init__(self, name, share=1.0):
        self.name = name
        self.seconds = SECONDS * share
        self.examples = 0
        self.outcomes = {}
        self.errors = {}           # "rule-or-verdict id: evidence" -> count
        self.notes = {}            # other listed (allowed) oddities
        self.slowest = (0.0, None)
        self.failed = False
        self.started = None
        self.spent = 0.0
        self.warmup = 0.0

    def count(self, outcome):
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def error_status(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1

    def note(self, what):
        self.notes[what] = self.notes.get(what, 0) + 1

    @contextmanager
    def example(self, value):
        """Time one example, bound it by HANG_SECONDS, stop the run when the budget is spent."""
        # (the first example always runs: a target that ran none proved nothing)
        if self.examples and not self.failed and time.monotonic() - self.started > self.seconds:
            raise _BudgetSpent()
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(HANG_SECONDS)
        t0 = time.monotonic()
        try:
            yield
        except BaseException:
            self.failed = True      # shrinking goes on past the budget
            raise
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            took = time.monotonic() - t0
            self.examples += 1
            if took > self.slowest[0] or took > SLOW_SECONDS:
                text = _short_repr(value)
                if took > self.slowest[0]:
                    self.slowest = (took, text)
                if took > SLOW_SECONDS:
                    self.note("slow example (%.1f s): %s" % (took, text))
                    self._keep_slow(took, value)

    def _keep_slow(self, took, value):
        """The whole of a slow example, to replay (HOSTCHECK_FUZZ_SUMMARY=DIR: DIR/<target>-slow.txt)."""
        directory = os.environ.get("HOSTCHECK_FUZZ_SUMMARY")
        if directory:
            os.makedirs(directory, exist_ok=True)
            with open(os.path.join(directory, self.name + "-slow.txt"), "a", encoding="utf-8") as handle:
                handle.write("%.1f s: %s\n" % (took, ascii(value)))

    def run(self, strategy, check):
        """Run `check(example)` on examples of `strategy` until the budget is spent."""
        @settings(max_examples=10 ** 9, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), print_blob=True)
        @seed(SEED)
        @given(strategy)
        def body(example):
            with self.example(example):
                check(example)

        t0 = time.monotonic()
        _warm_up(strategy)
        self.started = time.monotonic()
        self.warmup = self.started - t0
        try:
            body()
        except _BudgetSpent:
            pass
        finally:
            self.spent = time.monotonic() - self.started
            self.report()

    def run_in_directories(self, strategy, check, parent):
        """run(), `check(example, directory)` given a new directory under `parent` each time
        (removed after it)."""
        counter = [0]

        def in_directory(example):
            counter[0] += 1
            where = os.path.join(str(parent), str(counter[0]))
            os.mkdir(where)
            try:
                check(example, where)
            finally:
                shutil.rmtree(where, ignore_errors=True)

        self.run(strategy, in_directory)

    def summary(self):
        rate = self.examples / self.spent if self.spent else 0.0
        lines = ["fuzz target %s: %d examples in %.1f s (%.1f/s), seed %d; before them %.1f s of "
                 "hypothesis's warm-up" % (self.name, self.examples, self.spent, rate, SEED, self.warmup)]
        lines.append("  outcomes: " + ", ".join("%s %d" % item for item in sorted(self.outcomes.items())))
        lines.append("  slowest example: %.2f s (%s)" % (self.slowest[0], self.slowest[1]))
        if self.errors:
            lines.append("  status `error` (allowed, listed): %d distinct" % len(self.errors))
            for what, count in sorted(self.errors.items(), key=lambda item: -item[1])[:40]:
                lines.append("    %5d x %s" % (count, what))
        if self.notes:
            lines.append("  listed: %d distinct" % len(self.notes))
            for what, count in sorted(self.notes.items(), key=lambda item: -item[1])[:40]:
                lines.append("    %5d x %s" % (count, what))
        return "\n".join(lines) + "\n"

    def report(self):
        text = self.summary()
        SUMMARIES.append(text)        # printed at the end of the run (tests/conftest.py)
        directory = os.environ.get("HOSTCHECK_FUZZ_SUMMARY")
        if directory:
            os.makedirs(directory, exist_ok=True)
            with open(os.path.join(directory, self.name + ".txt"), "w", encoding="utf-8") as handle:
                handle.write(text)


def _short_repr(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# ------------------------------------------------------------------ output checks

def check_plain_text(text, where):
    """Text for a terminal without colour: no control character but newline, no ESC."""
    match = RAW_CONTROL.search(text)
    assert match is None, "%s: raw %r at %d: %r" % (where, match.group(), match.start(),
                                                     text[max(0, match.start() - 60):match.start() + 20])


def check_colour_text(text, where):
    """Text for a colour terminal: every ESC starts an SGR sequence, no other control."""
    match = NOT_SGR.search(text)
    assert match is None, "%s: ESC not starting SGR at %d: %r" % (where, match.start(),
                                                                 text[max(0, match.start() - 60):match.start() + 20])
    match = RAW_CONTROL_NO_ESC.search(text)
    assert match is None, "%s: raw %r at %d" % (where, match.group(), match.start())


def check_one_line(message, where):
    assert message and "\n" not in message.rstrip("\n"), "%s: not one line: %r" % (where, message[:300])
    assert "Traceback" not in message and "internal error" not in message, "%s: %r" % (where, message[:300])
    check_plain_text(message.rstrip("\n"), where)


def finite_json(text):
    """json.loads that also refuses NaN/Infinity (a report must be standard JSON)."""
    def constant(name):
        raise AssertionError("report JSON holds %s" % name)
    return json.loads(text, parse_constant=constant)


def is_nan(value):
    return isinstance(value, float) and math.isnan(value)


def check_cli_result(result, target, where, as_json, command):
    """A `hostcheck COMMAND` run in process (click's runner, temporary directory `where`):
    exit 0 or 1 with a report that passes the checks, or exit 3 with one line (listed)."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1, 3), (result.exit_code, result.stderr)
    if result.exit_code == 3:
        check_one_line(result.stderr, command + " exit 3")
        target.count("exit 3")
        target.note("exit 3: " + result.stderr.replace(where, "DIR").strip()[:110])
        return
    target.count("exit %d" % result.exit_code)
    if as_json:
        report = finite_json(result.stdout)
        for tree in report["trees"]:
            if tree["verdict"]["status"] == "error":
                target.error_status("%s %s: %s" % (tree["tree"], tree["verdict"]["id"],
                                                   tree["verdict"].get("text", "")[:120]))
    else:
        check_plain_text(result.stdout, command + " text")

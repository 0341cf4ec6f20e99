"""The combiners' contract (hostcheck/combine/): every registered fact has exactly one
producer, which declares it; a combiner writes only the facts it declares and reads only
the facts it declares as inputs, the capture keys it declares and the parsers it declares
(recorded while build_facts runs on every real capture under tests/data); the run order
follows the declarations; a broken combiner loses only its own facts."""

import fnmatch
import functools
import importlib
import inspect
import json
import pathlib
import pkgutil

import pytest

import hostcheck.combine as combine
import hostcheck.parse
from hostcheck.combine import COMBINERS, PRODUCERS, CombinerError, Combiner, run
from hostcheck.facts import FACTS
from hostcheck.parse._source import CaptureView

DATA = pathlib.Path(__file__).parent / "data"


def _captures():
    """Every capture document under tests/data (the systems, the parse captures, the net scenarios)."""
    found = {}
    for path in sorted(DATA.rglob("*.json")):
        if path.stat().st_size > 8 << 20:
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and str(doc.get("format", "")).startswith("hostcheck.capture"):
            found[str(path.relative_to(DATA))] = doc
    return found


CAPTURES = _captures()
OUTPUTS = DATA / "outputs"


def _variants():
    """The machine capture with what no capture under tests/data holds, from real texts:
    binfmt_misc mounted with qemu entries (tests/data/outputs/debian12-binfmt), the drop-in
    and a daemon.json of Docker's docs, dockerd listening on TCP, CentOS 7's /proc/modules, no
    `ip` (/proc/net/route)."""
    base = CAPTURES["captures/debian12-this-machine.json"]
    doc = json.loads(json.dumps(base))
    recorded = OUTPUTS / "debian12-binfmt"
    files = doc["files"]
    files["/proc/mounts"] = {"content": files["/proc/mounts"]["content"]
                             + (recorded / "proc_mounts_binfmt_lines.txt").read_text()}
    doc["dirs"]["/proc/sys/fs/binfmt_misc"] = {"entries": ["qemu-aarch64", "qemu-arm", "register", "status"]}
    for name in ("status", "qemu-aarch64", "qemu-arm"):
        files["/proc/sys/fs/binfmt_misc/" + name] = {"content": (recorded / name).read_text()}
    files["/etc/systemd/system/docker.service.d/override.conf"] = {
        "content": "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://127.0.0.1:2375\n"}
    files["/etc/docker/daemon.json"] = {"content": '{"log-driver": "json-file", "log-opts": {"max-size": "10m"}}'}
    files["/proc/modules"] = {"content": "br_netfilter 22256 0 - Live 0xffffffffc04e7000\n"
                                         "bridge 151336 1 br_netfilter, Live 0xffffffffc04b5000\n"}
    doc["listeners"].append({"proto": "tcp6", "ip": "::", "port": 2375, "pid": 5209, "name": "dockerd"})
    doc["commands"]["ip -j route"] = {"argv": ["ip", "-j", "route"], "error": "not_found"}
    files["/proc/net/route"] = {"content": (OUTPUTS / "debian12-nodocker" / "proc_net_route.txt").read_text()}
    # A kubelet beside Docker: `kubelet --version` as it prints, and the KubeletConfiguration
    # patch public kind/kubeadm setups on cgroup v1 hosts carry (failCgroupV1: false).
    doc["commands"]["kubelet --version"] = {"argv": ["kubelet", "--version"], "rc": 0,
                                            "stdout": "Kubernetes v1.35.0\n", "stderr": ""}
    files["/var/lib/kubelet/config.yaml"] = {"content": "kind: KubeletConfiguration\nfailCgroupV1: false\n"}
    return {"variant: machine with binfmt, drop-in, daemon.json, modules, no ip": doc}


CORPUS = dict(CAPTURES, **_variants())


def test_the_corpus_is_there():
    assert len(CAPTURES) >= 10, sorted(CAPTURES)


# --- declarations --------------------------------------------------------------------

def test_every_fact_has_exactly_one_producer_which_declares_it():
    declared = {}
    for combiner in COMBINERS:
        for name in combiner.facts:
            declared.setdefault(name, []).append(combiner.name)
    problems = []
    for name, entry in FACTS.items():
        producer = entry[2] if len(entry) > 2 else None
        if declared.get(name) != [producer]:
            problems.append("%s: registry names %r, declared by %s" % (name, producer, declared.get(name)))
    problems += ["%s is declared by %s but not registered" % (n, d) for n, d in declared.items() if n not in FACTS]
    assert not problems, "\n".join(problems)


def test_declarations_are_well_formed():
    parser_modules = {"hostcheck.parse." + m.name for m in pkgutil.iter_modules(hostcheck.parse.__path__)}
    for combiner in COMBINERS:
        module = combiner.module
        assert (module.__doc__ or "").strip(), "%s has no docstring" % combiner.name
        assert combiner.facts and len(set(combiner.facts)) == len(combiner.facts), combiner.name
        assert not set(combiner.needs) & set(combiner.facts), "%s reads its own facts as inputs" % combiner.name
        for key in combiner.capture:
            kind, _, what = key.partition(":")
            assert kind in ("file", "dir", "command", "engine", "stat", "statvfs", "section") and what, key
        for parser in combiner.parsers:
            assert inspect.isfunction(parser) and parser.__module__ in parser_modules, (combiner.name, parser)


def test_order_follows_the_declared_inputs():
    position = {c.name: i for i, c in enumerate(COMBINERS)}
    for combiner in COMBINERS:
        for name in combiner.needs:
            assert position[PRODUCERS[name].name] < position[combiner.name], (combiner.name, name)
    assert sorted(position) == sorted(m.__name__.rsplit(".", 1)[1] for m in combine.MODULES)


class _Module(object):
    """A stand-in combiner module for the ordering tests."""

    def __init__(self, name, facts, inputs):
        self.__name__ = "hostcheck.combine." + name
        self.FACTS, self.INPUTS, self.PARSERS = facts, inputs, ()
        self.build = None


def test_order_refuses_a_cycle_a_second_producer_and_an_input_nobody_produces():
    a = Combiner(_Module("a", ("a.x",), ("b.x",)))
    b = Combiner(_Module("b", ("b.x",), ("a.x",)))
    with pytest.raises(CombinerError, match="cycle"):
        combine._ordered([a, b])
    with pytest.raises(CombinerError, match="produced by both"):
        combine._ordered([Combiner(_Module("a", ("x",), ())), Combiner(_Module("b", ("x",), ()))])
    with pytest.raises(CombinerError, match="no combiner produces"):
        combine._ordered([Combiner(_Module("a", ("x",), ("y",)))])
    order, _ = combine._ordered([Combiner(_Module("late", ("l",), ("e",))),
                                 Combiner(_Module("early", ("e",), ("file:/x",)))])
    assert [c.name for c in order] == ["early", "late"]


# --- what each combiner really reads and writes ------------------------------------------

class Record(object):
    """Per combiner: facts read, capture keys read, parsers called (top level only)."""

    def __init__(self):
        self.current = None
        self.depth = 0
        self.facts = {}
        self.capture = {}
        self.parsers = {}

    def add(self, kind, value):
        if self.current is not None:
            getattr(self, kind).setdefault(self.current, set()).add(value)


RECORD = Record()


class RecordingDict(dict):
    """The engine responses: each path asked for is a capture key."""

    def get(self, key, default=None):
        RECORD.add("capture", "engine:%s" % key)
        return dict.get(self, key, default)

    def __getitem__(self, key):
        RECORD.add("capture", "engine:%s" % key)
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        RECORD.add("capture", "engine:%s" % key)
        return dict.__contains__(self, key)


class RecordingView(CaptureView):
    def section(self, key):
        RECORD.add("capture", "section:%s" % key)
        return CaptureView.section(self, key)

    def value(self, key):
        RECORD.add("capture", "section:%s" % key)
        return CaptureView.value(self, key)

    def uname(self):
        RECORD.add("capture", "section:uname")
        return CaptureView.uname(self)

    def responses(self):
        return RecordingDict(CaptureView.responses(self))

    @property
    def root(self):
        RECORD.add("capture", "section:privileges")
        return CaptureView.root.fget(self)


def _recording(kind, method):
    @functools.wraps(method)
    def wrapper(self, key, *args):
        RECORD.add("capture", "%s:%s" % (kind, key))
        return method(self, key, *args)
    return wrapper


for _name, _kind in (("file", "file"), ("has_file", "file"), ("file_code", "file"), ("int_file", "file"),
                     ("dir", "dir"), ("command", "command"), ("has_command", "command"),
                     ("stat", "stat"), ("statvfs", "statvfs")):
    setattr(RecordingView, _name, _recording(_kind, getattr(CaptureView, _name)))


class RecordingOutput(combine.Output):
    def __init__(self, shared, combiner):
        super().__init__(shared, combiner)
        RECORD.current = combiner.name

    def known(self, name):
        RECORD.add("facts", name)
        return super().known(name)

    def get(self, name, default=None):
        RECORD.add("facts", name)
        return super().get(name, default)

    def reason(self, name):
        RECORD.add("facts", name)
        return super().reason(name)


def _parser_functions():
    for info in pkgutil.iter_modules(hostcheck.parse.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module("hostcheck.parse." + info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                yield module, name, value


def _recording_parser(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if RECORD.depth == 0:
            RECORD.add("parsers", function)
        RECORD.depth += 1
        try:
            return function(*args, **kwargs)
        finally:
            RECORD.depth -= 1
    return wrapper


@pytest.fixture(scope="module")
def recorded():
    """build_facts over every capture under tests/data and the variants, with every read recorded."""
    patch = pytest.MonkeyPatch()
    global RECORD
    RECORD = Record()
    patch.setattr(combine, "CaptureView", RecordingView)
    patch.setattr(combine, "Output", RecordingOutput)
    for module, name, function in _parser_functions():
        patch.setattr(module, name, _recording_parser(function))
    failures = {}
    try:
        for label, doc in CORPUS.items():
            _, failed = run(doc)
            for name, why in failed.items():
                failures["%s in %s" % (name, label)] = why
            RECORD.current = None
    finally:
        patch.undo()
    return RECORD, failures


def _declared(pattern):
    """A declared capture key as an fnmatch pattern: <...> stands for any text."""
    out, depth = [], 0
    for char in pattern:
        if char == "<":
            depth += 1
            if depth == 1:
                out.append("*")
        elif char == ">":
            depth -= 1
        elif depth == 0:
            out.append("[[]" if char == "[" else char)
    return "".join(out)


def test_no_combiner_breaks_on_a_real_capture(recorded):
    _, failures = recorded
    assert not failures, failures


def test_combiners_read_only_the_facts_they_declare(recorded):
    record, _ = recorded
    problems = []
    for combiner in COMBINERS:
        read = record.facts.get(combiner.name, set()) - set(combiner.facts)
        undeclared = sorted(read - set(combiner.needs))
        unused = sorted(set(combiner.needs) - read)
        if undeclared:
            problems.append("%s reads undeclared facts %s" % (combiner.name, undeclared))
        if unused:
            problems.append("%s declares inputs it never reads: %s" % (combiner.name, unused))
    assert not problems, "\n".join(problems)


def test_combiners_read_only_the_capture_keys_they_declare(recorded):
    record, _ = recorded
    problems = []
    for combiner in COMBINERS:
        patterns = [_declared(p) for p in combiner.capture]
        used = record.capture.get(combiner.name, set())
        undeclared = sorted(k for k in used if not any(fnmatch.fnmatchcase(k, p) for p in patterns))
        unused = sorted(p for p, pattern in zip(combiner.capture, patterns)
                        if not any(fnmatch.fnmatchcase(k, pattern) for k in used))
        if undeclared:
            problems.append("%s reads undeclared capture keys %s" % (combiner.name, undeclared))
        if unused:
            problems.append("%s declares capture keys no capture of the corpus makes it read: %s"
                            % (combiner.name, unused))
    assert not problems, "\n".join(problems)


def test_combiners_call_only_the_parsers_they_declare(recorded):
    record, _ = recorded
    problems = []
    for combiner in COMBINERS:
        called = record.parsers.get(combiner.name, set())
        undeclared = sorted("%s.%s" % (f.__module__, f.__name__) for f in called - set(combiner.parsers))
        unused = sorted("%s.%s" % (f.__module__, f.__name__) for f in set(combiner.parsers) - called)
        if undeclared:
            problems.append("%s calls undeclared parsers %s" % (combiner.name, undeclared))
        if unused:
            problems.append("%s declares parsers it never calls: %s" % (combiner.name, unused))
    assert not problems, "\n".join(problems)


def test_the_recorder_sees_a_read_nobody_declared(monkeypatch):
    """The recording above can fail: a combiner that peeks at another's fact is caught."""
    global RECORD
    saved, RECORD = RECORD, Record()
    try:
        monkeypatch.setattr(combine, "Output", RecordingOutput)
        dns = PRODUCERS["dns.nameservers"]
        original = dns.build

        def peeking(view, facts):
            facts.get("kernel.version")
            original(view, facts)

        monkeypatch.setattr(dns, "build", peeking)
        run(CAPTURES["captures/debian12-this-machine.json"])
        assert "kernel.version" in RECORD.facts["dns"] - set(dns.needs)
    finally:
        RECORD = saved


# --- failures stay inside their combiner -------------------------------------------------

def test_a_broken_combiner_loses_only_its_own_facts(monkeypatch):
    doc = CAPTURES["captures/debian12-this-machine.json"]
    kernel = PRODUCERS["kernel.version"]

    def broken(view, facts):
        facts.set("kernel.release", "half-done")
        raise RuntimeError("boom")

    monkeypatch.setattr(kernel, "build", broken)
    facts, failures = run(doc)
    assert failures == {"kernel": "RuntimeError: boom"}
    for name in kernel.facts:      # nothing it set before breaking survives
        assert not facts.known(name)
        assert facts.reason(name) == "internal error in kernel (RuntimeError: boom)"
    assert facts.get("arch.platform") == "linux/amd64"          # arch reads kernel.version and goes on
    assert facts.get("docker.state") == "running"
    assert not any("internal error" in r for n, r in facts.unknown.items() if n not in kernel.facts)


def test_a_combiner_cannot_write_another_ones_fact(monkeypatch):
    doc = CAPTURES["captures/debian12-this-machine.json"]
    dns = PRODUCERS["dns.nameservers"]
    monkeypatch.setattr(dns, "build", lambda view, facts: facts.set("kernel.version", "9.9.9"))
    facts, failures = run(doc)
    assert failures == {"dns": "CombinerError: dns sets kernel.version, which it does not declare"}
    assert facts.get("kernel.version") == "6.18.44"
    assert facts.reason("dns.nameservers").startswith("internal error in dns (CombinerError")

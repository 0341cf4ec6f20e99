"""Combiners: a capture document -> hostcheck.facts.Facts, one small module per area.

Each combiner module declares what it reads and what it writes, and nothing else passes
between them:

    FACTS    the facts it produces (each names this module as its producer in
             hostcheck.facts.FACTS)
    INPUTS   what it reads: capture keys ("file:/proc/cpuinfo", "command:iptables-save",
             "engine:/info", "stat:/var/run/docker.sock", "section:uname"; <...> stands for
             a part known only at run time) and facts of other combiners ("kernel.version")
    PARSERS  the pure functions of hostcheck.parse it calls (text -> structure)
    build(view, facts)   view: hostcheck.parse._source.CaptureView; facts: where it sets
             or explains (missing) its FACTS and reads its input facts

The run order follows the declared inputs (a combiner runs after the producers of the
facts it reads), so nothing is ordered by hand. `build_facts(capture)` never raises: a
combiner that breaks leaves its own facts unknown ("internal error in <combiner> ...")
and the others go on; `run(capture)` also says which combiners broke.
"""

from hostcheck.facts import FACTS, Facts
from hostcheck.parse._source import CaptureView
from hostcheck.combine import (arch, binfmt, cgroup, changelogs, dns, docker_client, docker_daemon, docker_engine,
                               docker_installs, docker_socket, docker_storage, firewalld, host, iptables,
                               kernel, network, os_release, processes, routes, runtimes, security, swarm, sysctl)

__all__ = ["build_facts", "run", "COMBINERS", "PRODUCERS"]

# Which combiners exist. Their order is computed below from what each one reads.
MODULES = (arch, binfmt, cgroup, changelogs, dns, docker_client, docker_daemon, docker_engine, docker_installs,
           docker_socket, docker_storage, firewalld, host, iptables, kernel, network, os_release,
           processes, routes, runtimes, security, swarm, sysctl)


def is_capture_key(name):
    """"file:/proc/mounts" is a capture key, "kernel.version" a fact."""
    return ":" in name


class Combiner(object):
    """One combiner module's declarations, as `rules show --trace` and the run use them."""

    def __init__(self, module):
        self.module = module
        self.name = module.__name__.rsplit(".", 1)[-1]
        self.facts = tuple(module.FACTS)
        self.needs = tuple(n for n in module.INPUTS if not is_capture_key(n))
        self.capture = tuple(n for n in module.INPUTS if is_capture_key(n))
        self.parsers = tuple(module.PARSERS)
        self.build = module.build

    def __repr__(self):
        return "<combiner %s>" % self.name


class CombinerError(Exception):
    """A combiner broke its own declarations (a programming error; the run goes on)."""


class Output(object):
    """The facts one combiner sees: its own (which it alone writes) and the facts of others
    (read-only). Merged into the run's Facts when the combiner finishes without error."""

    def __init__(self, shared, combiner):
        self.shared = shared
        self.combiner = combiner
        self.own = Facts()
        self._mine = frozenset(combiner.facts)

    def _source(self, name):
        return self.own if name in self._mine else self.shared

    def set(self, name, value):
        if name not in self._mine:
            raise CombinerError("%s sets %s, which it does not declare" % (self.combiner.name, name))
        self.own.set(name, value)

    def missing(self, name, reason):
        if name not in self._mine:
            raise CombinerError("%s explains %s, which it does not declare" % (self.combiner.name, name))
        self.own.missing(name, reason)

    def known(self, name):
        return self._source(name).known(name)

    def get(self, name, default=None):
        return self._source(name).get(name, default)

    def reason(self, name):
        return self._source(name).reason(name)


def _ordered(combiners):
    """Producers before their readers; among combiners free to run, by name (stable)."""
    producer = {}
    for combiner in combiners:
        for name in combiner.facts:
            if name in producer:
                raise CombinerError("%s is produced by both %s and %s" % (name, producer[name].name, combiner.name))
            producer[name] = combiner
    after = {}
    for combiner in combiners:
        missing = [n for n in combiner.needs if n not in producer]
        if missing:
            raise CombinerError("%s reads %s, which no combiner produces" % (combiner.name, ", ".join(missing)))
        after[combiner.name] = set(producer[n].name for n in combiner.needs) - {combiner.name}
    order, done = [], set()
    pending = sorted(combiners, key=lambda c: c.name)
    while pending:
        ready = [c for c in pending if after[c.name] <= done]
        if not ready:
            raise CombinerError("combiners read each other's facts in a cycle: %s"
                                % ", ".join(c.name for c in pending))
        for combiner in ready:
            order.append(combiner)
            done.add(combiner.name)
        pending = [c for c in pending if c.name not in done]
    return tuple(order), producer


COMBINERS, PRODUCERS = _ordered([Combiner(module) for module in MODULES])


def _run_one(combiner, view, facts):
    """Run one combiner into `facts`; None, or why it broke ("KeyError: 'x'")."""
    output = Output(facts, combiner)
    try:
        combiner.build(view, output)
    except Exception as exc:  # one broken combiner must not lose the others
        why = "%s: %s" % (type(exc).__name__, str(exc)[:200])
        reason = "internal error in %s (%s)" % (combiner.name, why)
        for name in combiner.facts:
            facts.missing(name, reason)
        return why
    for name in combiner.facts:
        if output.own.known(name):
            facts.set(name, output.own.get(name))
        elif name in output.own.unknown:
            facts.missing(name, output.own.unknown[name])
        else:
            facts.missing(name, "%s: not captured" % name)
    return None


def run(capture):
    """(Facts, {combiner name: why it broke}) for a capture document (any value)."""
    facts = Facts()
    failures = {}
    view = CaptureView(capture)
    for combiner in COMBINERS:
        why = _run_one(combiner, view, facts)
        if why is not None:
            failures[combiner.name] = why
    for name in FACTS:      # a registered fact no combiner declares (the contract test forbids it)
        if not facts.known(name) and name not in facts.unknown:
            facts.missing(name, "%s: not captured" % name)
    return facts, failures


def build_facts(capture):
    """Capture document (any value; a dict when sane) -> hostcheck.facts.Facts. Never raises."""
    return run(capture)[0]

"""Why can't this container talk? The net-egress, net-port and net-reach decision trees.

    from hostcheck.net import walk_egress, walk_port, walk_reach
    trees = walk_port(capture, facts, "web:80/tcp", lang="en")

Each walk is a pure function of a capture document and its facts: the subject facts
(hostcheck/net/subjects.py) come from what the capture recorded — engine inspects,
iptables-save, firewall-cmd, routes, and each container's own socket tables and
resolv.conf read from the host. They are neutral; every question is asked of them in
the trees (rules/trees/net-*.yaml) with the catalogue's operators.
"""

from hostcheck.facts import Facts
from hostcheck.net.model import NetView
from hostcheck.net import subjects

__all__ = ["walk_egress", "walk_port", "walk_reach", "parse_port_spec", "parse_destination"]

parse_port_spec = subjects.parse_port_spec
parse_destination = subjects.parse_destination


def _walk(tree_id, facts, subject, catalogue, lang):
    from hostcheck.judge import load_catalogue, walk_tree
    catalogue = catalogue or load_catalogue()
    values = dict(facts.values)
    values.update(subject.values)
    unknown = dict(facts.unknown)
    unknown.update(subject.unknown)
    return walk_tree(catalogue.trees[tree_id], Facts(values, unknown), subject.label, lang)


def walk_egress(capture, facts, container=None, catalogue=None, lang="en"):
    """net-egress for one container, or for every running container when `container` is None
    (with none running, one walk for "(all)": the tree says why there is nothing to judge)."""
    view = NetView(capture, facts)
    if container is not None:
        return [_walk("net-egress", facts, subjects.egress(view, container), catalogue, lang)]
    running = [c.get("name") or c["id"] for c in view.containers if c.get("state") == "running"]
    if not view.engine_running or not running:
        return [_walk("net-egress", facts, subjects.egress(view, subjects.EVERY_CONTAINER), catalogue, lang)]
    return [_walk("net-egress", facts, subjects.egress(view, ref), catalogue, lang) for ref in running]


def walk_port(capture, facts, spec, catalogue=None, lang="en"):
    """net-port for a PortSpec (or its text: "8080", "web:80/tcp")."""
    if isinstance(spec, str):
        spec = subjects.parse_port_spec(spec)
    view = NetView(capture, facts)
    return [_walk("net-port", facts, subjects.port(view, spec), catalogue, lang)]


def walk_reach(capture, facts, src, dst, catalogue=None, lang="en"):
    """net-reach from container `src` to `dst` (a container, IP or IP:PORT; text or parsed)."""
    if isinstance(dst, str):
        dst = subjects.parse_destination(dst)
    view = NetView(capture, facts)
    return [_walk("net-reach", facts, subjects.reach(view, src, dst), catalogue, lang)]

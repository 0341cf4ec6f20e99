"""YAML for compose files: PyYAML's safe loader, bounded, read the way docker compose reads.

Bounds: nesting depth, the number of aliases, and the size of the document once every alias
is expanded (a "billion laughs" file is a few lines whose aliases expand to 10^9 nodes: it is
refused after composing, before anything walks it). Only the safe tags: no Python objects.

Scalars follow YAML 1.2's core schema, as compose-go (docker compose v2) reads them, not
PyYAML's YAML 1.1: `53:53` stays the string a port list means (YAML 1.1 reads a base-60
integer, 3233), `yes`/`on` stay strings, `0755` is decimal, `0o755` octal; timestamps stay
strings. A key written twice in one mapping is an error, as in compose v2.

>>> load("ports:\\n  - 53:53/udp\\n  - 8080\\nenabled: yes\\nmode: 0o644\\n")
{'ports': ['53:53/udp', 8080], 'enabled': 'yes', 'mode': 420}
>>> load("a: &x [1, 2]\\nb: *x\\n")
{'a': [1, 2], 'b': [1, 2]}
>>> try:
...     load("a: 1\\na: 2\\n")
... except YamlError as exc:
...     print(exc)
line 2 column 1: key 'a' is written twice in one mapping
"""

import re

MAX_DEPTH = 64               # compose files nest a handful of levels
MAX_ALIASES = 10000
MAX_NODES = 200000           # nodes of the document with every alias expanded


class YamlError(ValueError):
    """Invalid YAML, or a document beyond the bounds: one line."""


class YamlBoundError(YamlError):
    """A document beyond the bounds (size through aliases, depth): refused before it is walked."""


def _classes():
    """The loader class, built on first use (PyYAML is imported only when a file is read)."""
    if _CACHE:
        return _CACHE[0]
    import yaml
    from yaml.composer import Composer
    from yaml.constructor import ConstructorError, SafeConstructor
    from yaml.events import AliasEvent
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.resolver import BaseResolver
    from yaml.scanner import Scanner

    class Resolver(BaseResolver):
        """YAML 1.2 core schema (compose-go's reading)."""

    Resolver.add_implicit_resolver("tag:yaml.org,2002:bool",
                                   re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    Resolver.add_implicit_resolver("tag:yaml.org,2002:int",
                                   re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
                                   list("-+0123456789"))
    Resolver.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+0123456789."))
    Resolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"),
                                   ["~", "n", "N", ""])
    Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])

    class Constructor(SafeConstructor):
        def construct_object(self, node, deep=False):
            try:
                return SafeConstructor.construct_object(self, node, deep=deep)
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
                # A scalar its tag does not fit (`!!float abc`, `!!bool maybe`, `!!timestamp x`)
                # or an integer over Python's 4,300 digits: a YAML error, not a crash.
                value = node.value if isinstance(node.value, str) else ""
                raise ConstructorError(None, None, "%r cannot be read as %s" % (
                    value[:40] + ("..." if len(value) > 40 else ""), node.tag.rsplit(":", 1)[-1]), node.start_mark)

        def construct_yaml_int(self, node):
            text = self.construct_scalar(node)
            sign = -1 if text.startswith("-") else 1
            text = text.lstrip("+-")
            if text.startswith("0o"):
                return sign * int(text[2:], 8)
            if text.startswith("0x"):
                return sign * int(text[2:], 16)
            return sign * int(text)

        def construct_mapping(self, node, deep=False):
            if isinstance(node, MappingNode):
                seen = set()
                for key_node, _ in node.value:
                    if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                        if key_node.value in seen:
                            raise ConstructorError(None, None, "key %r is written twice in one mapping"
                                                   % key_node.value[:80], key_node.start_mark)
                        seen.add(key_node.value)
            return SafeConstructor.construct_mapping(self, node, deep=deep)

    Constructor.add_constructor("tag:yaml.org,2002:int", Constructor.construct_yaml_int)

    class Loader(Reader, Scanner, Parser, Composer, Constructor, Resolver):
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            Constructor.__init__(self)
            Resolver.__init__(self)
            self.depth = 0
            self.aliases = 0

        def compose_node(self, parent, index):
            if self.check_event(AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise YamlBoundError("more than %d aliases" % MAX_ALIASES)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise YamlBoundError("nested deeper than %d levels" % MAX_DEPTH)
            try:
                return Composer.compose_node(self, parent, index)
            finally:
                self.depth -= 1

    _CACHE.append((Loader, yaml.YAMLError, (MappingNode, SequenceNode)))
    return _CACHE[0]


_CACHE = []


def expanded_size(root, collections, limit=MAX_NODES):
    """Nodes of the composed graph with every alias expanded (each shared node counted each
    time it is used), computed once per node; YamlBoundError past `limit` or on a node that
    contains itself. `collections`: (MappingNode, SequenceNode)."""
    sizes, state = {}, {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if not isinstance(node, collections):
            sizes[key] = 1
            continue
        # a mapping's value is [(key node, value node)], a sequence's [node]
        children = [part for pair in node.value for part in pair] if isinstance(node, collections[0]) \
            else node.value
        if children_done:
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > limit:
                raise YamlBoundError("aliases expand it to more than %d nodes (a \"billion laughs\" document?)"
                                     % limit)
            sizes[key] = total
            state[key] = "done"
            continue
        if state.get(key) == "done":
            continue
        if state.get(key) == "open":
            raise YamlBoundError("an alias refers to a node that contains it")
        state[key] = "open"
        stack.append((node, True))
        stack.extend((child, False) for child in children if state.get(id(child)) != "done")
    return sizes[id(root)]


def _one_line(exc):
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = "line %d column %d: " % (mark.line + 1, mark.column + 1) if mark is not None else ""
    return where + " ".join(str(problem).split())


def load(text):
    """The single document in `text` as Python data (None for an empty one); YamlError."""
    loader_class, yaml_error, collections = _classes()
    loader = None
    try:
        try:
            # (inside the try: PyYAML's Reader refuses control characters as it is made)
            loader = loader_class(text)
            node = loader.get_single_node()
            if node is None:
                return None
            expanded_size(node, collections)
            return loader.construct_document(node)
        except YamlError:
            raise
        except yaml_error as exc:
            raise YamlError(_one_line(exc)) from None
        except RecursionError:
            raise YamlBoundError("nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()

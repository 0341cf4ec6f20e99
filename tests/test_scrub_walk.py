"""scrub_secrets walks a document by recursion down to _FAST_DEPTH levels (a container's
inspect, twice as fast) and iteratively below; the copy must be the one the iterative walk
(rebuild_json over _secret_entries) gives, on real documents and on the awkward cases."""

import json
from pathlib import Path

import pytest

from hostcheck.capture import redact

DATA = Path(__file__).resolve().parent / "data"
DOCUMENTS = sorted(p for p in DATA.rglob("*.json") if p.stat().st_size < 4 * 1024 * 1024)


def iterative(doc):
    return redact.rebuild_json(doc, redact._secret_entries, redact._scrub_leaf)


def same(a, b):
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False)


def test_every_json_document_in_tests_data():
    checked = 0
    for path in DOCUMENTS:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        assert same(redact.scrub_secrets(doc), iterative(doc)), path
        checked += 1
    assert checked > 30


def test_two_keys_that_scrub_to_one():
    # The second key's value is redacted as a whole (final); the first is walked: the
    # iterative walk lets the walked one win, whatever the order.
    for doc in ({"PASSWORD=abc": {"x": "1"}, "PASSWORD=xyz": "v"},
                {"PASSWORD=xyz": "v", "PASSWORD=abc": {"x": "1"}},
                {"outer": [{"token=aaa1": "1", "token=bbb2": "2"}]}):
        assert same(redact.scrub_secrets(doc), iterative(doc))
        assert len(json.dumps(redact.scrub_secrets(doc))) < len(json.dumps(doc)) + 40


def test_deeper_than_the_recursive_walk():
    deep = "PASSWORD=s3cr3t"
    for level in range(redact._FAST_DEPTH * 3):
        deep = {"k": deep} if level % 2 else [deep, {"Env": ["A=b"]}]
    scrubbed = redact.scrub_secrets(deep)
    assert same(scrubbed, iterative(deep)) and "s3cr3t" not in json.dumps(scrubbed)


@pytest.mark.parametrize("value", [None, 0, 1.5, True, "", "abc", [], {}, [[]], {"Args": ["-p", "x"], "Path": "mysql"}])
def test_small_values(value):
    assert same(redact.scrub_secrets(value), iterative(value))

"""Names in scope from tree-sitter (`context.scope`): scoping rules, names the generated text
binds, a superset of Jedi's answer on a real project, and the names monitor asking Jedi nothing."""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from typing import Any

import jedi
import markers

from typehole.base import syntax
from typehole.context import scope
from typehole.context.scope import generated_bindings, names_in_scope, visible_names
from typehole.monitors import MonitorSettings, Session, build_monitors
from typehole.monitors.facts import Facts


def names_at(doc: str, generated: str = "") -> set[str]:
    marked = markers.parse(doc)
    return set(visible_names(marked.prefix, marked.suffix, generated))


def test_locals_of_enclosing_functions_only() -> None:
    doc = (
        "import os.path as osp, sys\nfrom x import (y, z as w)\nTOP = 1\n"
        "def other(q):\n    hidden = 1\n\n"
        "def outer(a, *rest, k=1, **kw):\n    b = 2\n"
        "    def inner(c):\n        return ┃\n"
        "    after = 3\n"
        "class K:\n    attr = 1\n"
    )
    names = names_at(doc)
    assert {"osp", "sys", "y", "w", "TOP", "other", "outer", "K", "attr"} <= names
    assert {"a", "rest", "k", "kw", "b", "inner", "c", "after", "len", "__name__"} <= names
    assert not {"q", "hidden", "z", "x", "os"} & names


def test_cursor_on_a_fresh_line_after_the_body_is_still_inside() -> None:
    names = names_at("def f(value):\n    x = 1\n    ┃\n")
    assert {"value", "x", "f"} <= names


def test_lambda_comprehension_walrus_with_except_global_match() -> None:
    doc = (
        "def g():\n    global G\n    G = 1\n"
        "def f(items):\n"
        "    fn = lambda la, lb=1: la\n"
        "    [c for c in items if (d := c)]\n"
        "    with open('p') as fh, open('q') as (h1, h2):\n        pass\n"
        "    try:\n        pass\n    except OSError as err:\n        pass\n"
        "    for i, (j, *rest) in items:\n        pass\n"
        "    match items:\n        case [m1, *ms] | {'k': m2}:\n            pass\n"
        "    return ┃\n"
    )
    names = names_at(doc)
    assert {"G", "fn", "c", "d", "fh", "h1", "h2", "err", "i", "j", "rest", "m1", "ms",
            "m2"} <= names
    assert not {"la", "lb"} & names  # lambda parameters live inside the lambda
    assert {"la", "lb"} <= names_at("f = lambda la, lb: ┃la\n")


def test_generated_text_binds() -> None:
    generated = ("x = 1\na, b = 2, 3\ndef h(p, q: int = 0):\n    for i in p:\n"
                 "        with f() as fh:\n            y: int = 0\n            z += 1\n"
                 "import os.path as osp\n(w := 1)\n")
    bound = set(generated_bindings(generated))
    assert {"x", "a", "b", "h", "p", "q", "i", "fh", "y", "z", "osp", "w"} <= bound
    assert "nope" not in names_at("def f():\n    ┃\n", "v = nope")
    assert "v" in names_at("def f():\n    ┃\n", "v = 1\n    ")


def test_superset_of_jedi_inside_functions_on_httpx(httpx_root: Path) -> None:
    skip = set(keyword.kwlist) | set(keyword.softkwlist) | {"AbstractSet", "ellipsis", "function"}
    checked = 0
    for path in sorted((httpx_root / "httpx").glob("_[a-t]*.py"))[:6]:
        text = path.read_text(encoding="utf-8")
        for m in list(re.finditer(r"^( {8}|    )return ", text, re.M))[:3]:
            offset = m.end()
            line, col = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset) - 1
            jedi_names = {c.name for c in jedi.Script(text, path=str(path)).complete(line, col)}
            ours = set(visible_names(text[:offset], text[offset:], ""))
            assert not jedi_names - ours - skip, (path.name, line, jedi_names - ours - skip)
            checked += 1
    assert checked >= 10


class _NoJedi(Facts):
    def complete(self, text: str, offset: int) -> None:  # type: ignore[override]
        raise AssertionError("the names monitor asked Jedi")


def test_names_monitor_does_not_ask_jedi() -> None:
    doc = "def f(value: int):\n    return "
    monitors = build_monitors(MonitorSettings(dereference=False, imports=False), doc, len(doc))
    session = Session(doc, "\n", monitors, _NoJedi())
    state = session.start()
    assert session.allows(state, "value + 1")
    assert session.allows(state, "len([])")
    assert not session.allows(state, "undefined_thing")
    assert not session.allows(state, "value + nope")


def scope_at(doc: str) -> list[tuple[str, str | None, str]]:
    offset = doc.index("┃")
    data = doc.replace("┃", "").encode()
    byte = len(doc[:offset].encode())
    return [(b.name, b.type, b.kind) for b in names_in_scope(syntax.parse_bytes(data), data, byte)]


def test_names_in_scope_follow_python_rules_nearest_first() -> None:
    doc = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from m import Thing\n"
        "LIMIT: int = 3\n"
        "class Box:\n    size = 1\n"
        "    def fill(self, items: list[str], *extra: int) -> tuple[dict[str, int], Box]:\n"
        "        total: float = 0\n        first = last = None\n"
        "        squares = [n * n for n in items]\n"
        "        def helper() -> int: ...\n"
        "        f = lambda q: q\n"
        "        ┃\n        late = 1\n"
    )
    found = scope_at(doc)
    names = [n for n, _, _ in found]
    assert names[:6] == ["f", "helper", "squares", "last", "first", "total"]
    assert ("total", "float", "local") in found and ("items", "list[str]", "param") in found
    assert ("extra", "int", "param") in found and ("self", "Box", "param") in found
    assert ("helper", "Callable[..., int]", "function") in found
    assert ("Thing", None, "import") in found and ("LIMIT", "int", "global") in found
    # Not readable here: a comprehension's variable, a lambda's parameter, a class attribute,
    # a local bound after the cursor, and names in a return annotation (they bind nothing).
    assert not {"n", "q", "size", "late", "dict", "str"} & set(names)


def test_names_in_scope_inside_a_lambda_and_before_a_binding() -> None:
    assert [n for n, _, _ in scope_at("g = lambda a, b=1: a + ┃b\n")][:2] == ["a", "b"]
    assert "x" not in [n for n, _, _ in scope_at("def f():\n    x = ┃\n")][1:]


_MODULE = (
    "import os\n"
    "from typing import TYPE_CHECKING\n"
    "if TYPE_CHECKING:\n    from m import Thing\n    def helper(x: int) -> int: ...\n"
    "LIMIT: int = 3\n"
    "@decorate(flag := True)\n"
    "class Box:\n"
    "    size = 1\n"
    "    key = lambda self, item: item┃\n"
    "    def fill(self, items: list[str]) -> None:\n"
    "        global COUNTER\n"
    "        total = 0\n"
    "        def inner(depth: int):\n"
    "            nonlocal total\n"
    "            ┃\n"
    "        squares = [n * n for n in items]\n"
    "        ┃\n"
    "    def empty(self, spare):\n"
    "        other = (lambda q: q ┃)(spare)\n"
    "        ┃\n"
    "def top(a, *rest, **named) -> str:\n"
    "    local_one = a\n"
    "    for i, (j, k) in enumerate(rest):\n"
    "        with open(a) as handle:\n"
    "            ┃\n"
    "    ┃\n"
    "COUNTER = 0\n"
    "late = top\n"
    "┃"
)


def _scope_both_ways(data: bytes, byte: int) -> tuple[list[Any], list[Any]]:
    """`names_in_scope` from the whole document's bindings and from its ranges alone."""
    tree = syntax.parse_bytes(data)
    scope._MEMO.clear()
    region = names_in_scope(tree, data, byte)
    whole = scope.bindings_of(data, tree)
    assert scope._MEMO.get(scope._key(data)) is whole
    full = names_in_scope(tree, data, byte)
    scope._MEMO.clear()
    return full, region


def test_names_in_scope_read_from_the_cursor_s_ranges_are_the_whole_file_s() -> None:
    # At each marked cursor, and with the text cut there (a file being written): the same
    # names, types and kinds in the same order as from every binding of the document.
    text = _MODULE.replace("┃", "")
    cursors = [len(part) for part in _accumulate(_MODULE.split("┃"))]
    for byte in cursors:
        for data in (text.encode(), text[:byte].encode()):
            full, region = _scope_both_ways(data, byte)
            assert full == region and full, (byte, data[-40:])
    full, _ = _scope_both_ways(text.encode(), cursors[2])  # in `fill`, after `squares`
    names = [b.name for b in full]
    assert {"squares", "total", "items", "self", "COUNTER", "Thing", "helper", "flag",
            "top", "Box", "os"} <= set(names)
    assert names[:3] == ["squares", "inner", "total"]
    assert not {"depth", "spare", "other", "local_one", "size", "key", "n", "q"} & set(names)


def _accumulate(parts: list[str]) -> list[str]:
    return ["".join(parts[:i + 1]) for i in range(len(parts) - 1)]


def test_scope_ranges_leave_out_the_other_functions_bodies() -> None:
    text = _MODULE.replace("┃", "")
    data = text.encode()
    byte = len(_MODULE.split("┃")[0]) + len(_MODULE.split("┃")[1]) + len(
        _MODULE.split("┃")[2])  # in `fill`
    ranges = scope.scope_ranges(syntax.parse_bytes(data), data, byte)
    covered = b"".join(data[start:end] for start, end in ranges)
    assert b"squares = " in covered and b"LIMIT: int" in covered and b"global COUNTER" in covered
    assert b"other = " not in covered and b"local_one" not in covered
    assert b"size = 1" not in covered  # a class body's attributes are not in scope

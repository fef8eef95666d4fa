"""The type oracle with a real `ty server` child: ty's answers, and Jedi's when ty cannot answer.

Each test starts its own child on a small workspace written to a temporary folder. Waits are
for events (the child's state changes); timeouts are hang guards only.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from typehole.base.scan import LexState
from typehole.context import oracle as registry
from typehole.context.hole import analyse_hole
from typehole.context.oracle import TyOracle, Unavailable, close_brackets, find_ty, known_members
from typehole.context.oracle.ty import python_type, refused_paths, signatures_of_detail
from typehole.monitors import facts as facts_module
from typehole.monitors.base import View
from typehole.monitors.calls import CallArgumentsMonitor
from typehole.monitors.facts import Facts
from typehole.monitors.members import DereferenceMonitor

pytestmark = pytest.mark.skipif(find_ty() is None, reason="ty is not installed")

GUARD_S = 120.0  # hang guard for the child to start or restart on a busy machine
ASK_S = 60.0  # hang guard for one question

SHELF = '''class Shelf:
    """Books on a shelf."""

    def __init__(self) -> None:
        self.books: list[str] = []

    def add(self, title: str) -> None:
        self.books.append(title)

    def count(self) -> int:
        return len(self.books)
'''
MAIN = '''from shelf import Shelf

shelf = Shelf()
shelf.add("x")
total = shelf.count()
'''


@pytest.fixture(autouse=True)
def _fresh_memo() -> None:
    facts_module._MEMO.clear()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "shelf.py").write_text(SHELF, encoding="utf-8")
    (tmp_path / "main.py").write_text(MAIN, encoding="utf-8")
    return tmp_path


@pytest.fixture
def ty(workspace: Path) -> Iterator[TyOracle]:
    oracle = TyOracle(workspace)
    assert oracle.wait_ready(GUARD_S), f"ty did not start: {oracle.state}"
    yield oracle
    oracle.close()


def _deadline() -> float:
    return time.monotonic() + ASK_S


def _view(text: str, path: Path, facts: Facts) -> View:
    """The view of a completion whose prompt is `text` (the cursor at its end)."""
    return View(text, "", "\n", LexState.of_prefix(text), facts)


def test_members_of_a_receiver_come_from_ty(ty: TyOracle, workspace: Path) -> None:
    text = MAIN + "shelf."
    found = ty.members(text, len(text), str(workspace / "main.py"), _deadline())
    assert found is not None and {"add", "count", "books"} <= set(found)


def test_the_dereference_monitor_asks_ty(ty: TyOracle, workspace: Path) -> None:
    path = workspace / "main.py"
    facts = Facts(path=str(path), engine="ty", ty=ty, timeout_s=ASK_S)
    text = MAIN + "shelf."
    constraint = DereferenceMonitor().pre(_view(text, path, facts))
    assert constraint is not None and constraint.words is not None
    assert {"add", "count", "books"} <= set(constraint.words)
    assert facts.answered_by == ["ty"]


def test_the_rest_of_the_line_is_not_sent(ty: TyOracle, workspace: Path) -> None:
    # ty answers nothing for `x.|upper()`: the question is about the line up to the dot.
    text = MAIN + "shelf.count()\n"
    dot = text.rindex(".") + 1
    found = ty.members(text, dot, str(workspace / "main.py"), _deadline())
    assert found is not None and "count" in found


def test_members_defined_below_the_cursor_are_known(ty: TyOracle, workspace: Path) -> None:
    text = ("class Lamp:\n    def on(self) -> None:\n        self.\n\n"
            "    def later(self) -> int:\n        return 1\n")
    dot = text.index("self.\n") + len("self.")
    found = ty.members(text, dot, str(workspace / "lamp.py"), _deadline())
    assert found is not None and {"on", "later"} <= set(found)


def test_an_attribute_assigned_on_the_cursors_line_is_a_member(
        ty: TyOracle, workspace: Path) -> None:
    # `self.|equal = equal`: the line is cut at the dot, but what it assigns still exists.
    text = ("class C:\n    def __init__(self, equal: int) -> None:\n        self.other = 1\n"
            "        self.equal: int = equal\n        self.other == 2\n"
            "        self.left, self.right = 1, 2\n")
    path = str(workspace / "main.py")
    dot = text.index("self.equal") + len("self.")
    found = ty.members(text, dot, path, _deadline())
    assert found is not None and {"other", "equal"} <= set(found)
    dot = text.index("self.right") + len("self.")
    found = ty.members(text, dot, path, _deadline())
    assert found is not None and {"left", "right"} <= set(found)
    dot = text.index("self.left") + len("self.")
    found = ty.members(text, dot, path, _deadline())
    assert found is not None and {"left", "right"} <= set(found)
    # A comparison defines nothing.
    compared = text.replace("self.equal: int = equal\n", "")
    dot = compared.index("self.other ==") + len("self.")
    found = ty.members(compared.replace("other == 2", "third == 2"), dot, path, _deadline())
    assert found is not None and "other" in found and "third" not in found


def test_open_brackets_are_closed(ty: TyOracle, workspace: Path) -> None:
    assert close_brackets("f(x[a.", 6) == "])"
    assert close_brackets("f({'k': [a.", 11) == "]})"
    assert close_brackets("f('a.", 5) is None  # in a string: nothing to ask about
    text = MAIN + "print(len([shelf.\nvalue = 1\n"
    dot = text.index("shelf.\n") + len("shelf.")
    found = ty.members(text, dot, str(workspace / "main.py"), _deadline())
    assert found is not None and "add" in found
    # The monitors pass the closers their lexical state knows.
    path = workspace / "main.py"
    facts = Facts(path=str(path), engine="ty", ty=ty, timeout_s=ASK_S)
    constraint = DereferenceMonitor().pre(_view(MAIN + "print(len([shelf.", path, facts))
    assert constraint is not None and "add" in (constraint.words or ())


def test_brackets_are_found_after_a_long_docstring() -> None:
    # The scan's window starts inside the docstring: it must not read the code as a string.
    text = 'def f(x):\n    """Doc.\n' + "    more\n" * 100 + '    """\n    return g(x.'
    assert close_brackets(text, len(text)) == ")"


def test_a_dunder_only_answer_is_unknown(ty: TyOracle, workspace: Path) -> None:
    path = workspace / "main.py"
    text = "def f(x):\n    return x."
    # ty itself lists `object`'s dunders for a receiver it cannot type...
    raw = ty._complete(text, len(text), str(path), _deadline())
    assert raw and all(n.startswith("__") for n in raw)
    # ...which the oracle reads as "unknown", and the monitor then constrains nothing.
    assert ty.members(text, len(text), str(path), _deadline()) is None
    assert known_members(["__init__", "__doc__"]) is None
    assert known_members(["__init__", "add"]) == ["__init__", "add"]
    facts = Facts(path=str(path), engine="ty", ty=ty, timeout_s=ASK_S)
    assert DereferenceMonitor().pre(_view(text, path, facts)) is None


def test_module_and_slotted_receivers_are_constrained(ty: TyOracle, workspace: Path) -> None:
    # Every module has typeshed's `ModuleType.__getattr__`; ty lists slot attributes itself.
    path = workspace / "main.py"
    facts = Facts(path=str(path), engine="ty", ty=ty, timeout_s=ASK_S)
    constraint = DereferenceMonitor().pre(_view("import os\nos.", path, facts))
    assert constraint is not None and "getcwd" in (constraint.words or ())
    text = ("class Pin:\n    __slots__ = ('pos',)\n\n    def __init__(self) -> None:\n"
            "        self.pos = 1\n\nPin().")
    constraint = DereferenceMonitor().pre(_view(text, path, facts))
    assert constraint is not None and {"pos", "__slots__"} <= set(constraint.words or ())
    # A class of its own with `__getattr__` takes any name: nothing is constrained.
    text = "class Any:\n    def __getattr__(self, name: str) -> int:\n        return 1\n\nAny()."
    assert DereferenceMonitor().pre(_view(text, path, facts)) is None


def test_columns_are_utf16(ty: TyOracle, workspace: Path) -> None:
    # Two characters outside the BMP before the dot: four UTF-16 units, two code points.
    text = MAIN + 'mark = "😀😀"; shelf.'
    found = ty.members(text, len(text), str(workspace / "main.py"), _deadline())
    assert found is not None and "add" in found


def test_configuration_reaches_ty_without_touching_the_workspace(
        ty: TyOracle, workspace: Path) -> None:
    before = sorted(p.name for p in workspace.iterdir())
    # `python-platform = "all"`: a module only Windows has is reachable on any host.
    text = "import sys\nif sys.platform == 'win32':\n    import winreg\n    winreg."
    found = ty.members(text, len(text), str(workspace / "main.py"), _deadline())
    assert found is not None and "OpenKey" in found
    # Return types of unannotated functions are inferred.
    text = "def make():\n    return 'x'\n\nmake()."
    found = ty.members(text, len(text), str(workspace / "main.py"), _deadline())
    assert found is not None and "upper" in found
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_signatures_and_types_from_ty(ty: TyOracle, workspace: Path) -> None:
    path = str(workspace / "main.py")
    text = "def put(a, /, b: int, *rest, c, d=1, **kw): ...\nput("
    (params,) = ty.signatures(text, len(text), path, _deadline()) or [None]
    assert params is not None
    assert [(p.name, p.kind, p.has_default) for p in params] == [
        ("a", "POSITIONAL_ONLY", False), ("b", "POSITIONAL_OR_KEYWORD", False),
        ("rest", "VAR_POSITIONAL", False), ("c", "KEYWORD_ONLY", False),
        ("d", "KEYWORD_ONLY", True), ("kw", "VAR_KEYWORD", False)]
    assert ty.type_at(MAIN, MAIN.index("shelf =") + len("shelf"), path, _deadline()) == "Shelf"
    (where,) = ty.definition(MAIN, MAIN.index("Shelf()") + 5, path, _deadline()) or [None]
    assert where is not None and Path(where.path).name == "shelf.py" and where.line == 1


CALLS = MAIN + """
def put(count: int, *, into: Shelf) -> None: ...
def loose(*args, **kwargs): ...
"""


def test_gradual_and_unknown_signatures_are_unknown(ty: TyOracle, workspace: Path) -> None:
    # ty lists `(...)` for a callee it cannot type and for unannotated `*args, **kwargs`:
    # that says nothing about the arguments, so it is no signature (not one without parameters).
    path = str(workspace / "main.py")
    for call in ("loose(", "nowhere(", "shelf.nothing("):
        text = CALLS + call
        assert ty.signatures(text, len(text), path, _deadline()) is None, call
    text = CALLS + "object("
    assert ty.signatures(text, len(text), path, _deadline()) == [[]]


def test_the_call_monitor_asks_ty(ty: TyOracle, workspace: Path) -> None:
    # Inside another call, after a line with characters outside the BMP (two UTF-16 units
    # each): the brackets open at the `(` are closed, the column counted in UTF-16.
    path = workspace / "main.py"
    facts = Facts(path=str(path), engine="ty", ty=ty, timeout_s=ASK_S)
    text = CALLS + 'print("\U0001f600\U0001f600", put(1, '
    constraint = CallArgumentsMonitor().pre(_view(text, path, facts))
    assert constraint is not None and constraint.words == ("into",)
    assert ")" in constraint.banned  # `into` is required
    assert facts.signatures_by == ["ty"]


def test_a_call_in_the_text_ty_has_is_signed_without_a_new_analysis(
        ty: TyOracle, workspace: Path) -> None:
    # A member question inside a call, then the call's signature: the text ty has differs from
    # the signature question's only after the `(`, on its line, so it is asked as it is.
    path = str(workspace / "main.py")
    uri = (workspace / "main.py").resolve().as_uri()
    text = CALLS + "put(1, into=shelf.\nx = 1\n"
    dot = text.index("shelf.\nx") + len("shelf.")
    assert "add" in (ty.members(text, dot, path, _deadline()) or [])
    version = ty._sent[uri][0]
    opener = text.index("put(1") + len("put(")
    (params,) = ty.signatures(text, opener, path, _deadline()) or [None]
    assert params is not None and [p.name for p in params] == ["count", "into"]
    assert ty._sent[uri][0] == version
    # Another line after the cursor's: a new text (what follows may change the meaning).
    other = text.replace("x = 1", "x = 2")
    assert ty.signatures(other, opener, path, _deadline()) == [params]
    assert ty._sent[uri][0] == version + 1


def test_jedi_signs_what_ty_does_not_know_under_auto(ty: TyOracle, workspace: Path) -> None:
    path = workspace / "main.py"
    text = CALLS + "loose("
    alone = Facts(path=str(path), engine="ty", ty=ty, timeout_s=ASK_S)
    assert _view(text, path, alone).signatures(len(text) - 1) is None
    assert alone.signatures_by == ["none"]
    facts_module._MEMO.clear()
    auto = Facts(path=str(path), engine="auto", ty=ty, timeout_s=ASK_S)
    (params,) = _view(text, path, auto).signatures(len(text) - 1) or [None]
    assert params is not None and [p.kind for p in params] == ["VAR_POSITIONAL", "VAR_KEYWORD"]
    assert auto.signatures_by == ["jedi"]


def test_signatures_from_jedi_when_ty_cannot_answer(workspace: Path) -> None:
    starting = TyOracle(workspace, start=False)  # never started: as if still starting
    path = workspace / "main.py"
    facts = Facts(path=str(path), engine="ty", ty=starting)
    text = CALLS + "put(1, "
    constraint = CallArgumentsMonitor().pre(_view(text, path, facts))
    assert constraint is not None and constraint.words == ("into",)
    assert facts.signatures_by == ["jedi"]


def _symbols(ty: TyOracle, uri: str) -> object:
    child = ty._child
    assert child is not None
    found = child.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, ASK_S)
    return json.loads(json.dumps(found).replace(json.dumps(uri)[1:-1], "<uri>"))


def test_incremental_changes_leave_ty_with_our_text(ty: TyOracle, workspace: Path) -> None:
    # Each question's text goes to ty as the span that differs from the last one: after edits
    # across line ends (`\r\n` too) and characters of two UTF-16 units, ty's document is ours:
    # its symbols are those of the same text opened afresh.
    path = workspace / "main.py"
    texts = [
        MAIN,
        MAIN.replace("shelf = Shelf()", "shelf = Shelf()  # \U0001f4da\U0001f4da\ndef one(): ..."),
        "# \U0001f600\r\n" + MAIN.replace("\n", "\r\n") + "def two(): ...\r\n",
        "# \U0001f600\r\n" + MAIN.replace("\n", "\r\n").replace("total", "sum_") + "class T: ...\n",
        "x = 1\r\rdef three(): ...\n",
        "x = 1\r\ndef three(): ...\n\U0001f600 = 2\n",
        "x = 1\rdef four(): ...\n\U0001f600 = 2\n",  # into a `\r\n`: its `\n` removed
        "x = 1\r\n\ndef four(): ...\r\n\U0001f600 = 2\n",
    ]
    uri = path.resolve().as_uri()
    for i, text in enumerate(texts):
        ty.type_at(text, 1, str(path), _deadline())  # sends the text (as a change after the first)
        fresh = workspace / f"fresh{i}.py"
        ty.type_at(text, 1, str(fresh), _deadline())  # the same text, opened afresh
        assert _symbols(ty, uri) == _symbols(ty, fresh.resolve().as_uri()), repr(text)


def test_jedi_answers_when_ty_is_missing(workspace: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="typehole.context.oracle.ty")
    missing = TyOracle(workspace, executable=str(workspace / "no-such-ty"))
    assert not missing.wait_ready(GUARD_S) and missing.state == "missing"
    path = workspace / "main.py"
    facts = Facts(path=str(path), engine="auto", ty=missing)
    for _ in range(2):
        words = DereferenceMonitor().pre(_view(MAIN + "shelf.", path, facts))
        assert words is not None and {"add", "count"} <= set(words.words or ())
        facts_module._MEMO.clear()
    assert facts.answered_by == ["jedi", "jedi"]
    assert len([r for r in caplog.records if "not installed" in r.message]) == 1


def test_a_killed_child_is_restarted_and_jedi_answers_meanwhile(
        ty: TyOracle, workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="typehole.context.oracle.ty")
    path = workspace / "main.py"
    facts = Facts(path=str(path), engine="auto", ty=ty, timeout_s=ASK_S)
    assert DereferenceMonitor().pre(_view(MAIN + "shelf.", path, facts)) is not None
    first = ty.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    # The next question, right away: ty cannot answer it, Jedi does.
    text = MAIN + "total = shelf.count()\nshelf."
    words = DereferenceMonitor().pre(_view(text, path, facts))
    assert words is not None and {"add", "count"} <= set(words.words or ())
    assert facts.answered_by == ["ty", "jedi"]
    assert ty.wait_restarted(first, GUARD_S) and ty.pid != first
    facts_module._MEMO.clear()
    again = Facts(path=str(path), engine="auto", ty=ty, timeout_s=ASK_S)
    text = MAIN + "shelf.add('y')\nshelf."
    assert DereferenceMonitor().pre(_view(text, path, again)) is not None
    assert again.answered_by == ["ty"]
    stopped = [r for r in caplog.records if "ty stopped" in r.message]
    assert len(stopped) == 1 and "Jedi answers" in stopped[0].message


def test_a_hung_child_is_noticed_at_the_deadline_and_restarted(workspace: Path) -> None:
    oracle = TyOracle(workspace, hang_s=1.0)
    try:
        assert oracle.wait_ready(GUARD_S)
        first = oracle.pid
        assert first is not None
        os.kill(first, signal.SIGSTOP)  # alive, but answers nothing
        path = str(workspace / "main.py")
        with pytest.raises(Unavailable):
            oracle.members(MAIN + "shelf.", len(MAIN) + 6, path, time.monotonic() + 0.5)
        assert oracle.wait_restarted(first, GUARD_S)
        found = oracle.members(MAIN + "shelf.", len(MAIN) + 6, path, _deadline())
        assert found is not None and "add" in found
    finally:
        oracle.close()


GARBAGE = '''import sys
sys.stdin.buffer.readline()
sys.stdout.buffer.write(b"Content-Length: 9\\r\\n\\r\\nnot json!")
sys.stdout.buffer.flush()
sys.stdin.buffer.read()
'''


def test_a_child_that_writes_garbage_is_not_trusted(workspace: Path, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("garbage")
    script = folder / "ty"
    script.write_text(f"#!{sys.executable}\n{GARBAGE}", encoding="utf-8")
    script.chmod(0o755)
    oracle = TyOracle(workspace, executable=str(script))
    try:
        with oracle._changed:
            assert oracle._changed.wait_for(lambda: oracle.restarts >= 1, GUARD_S)
        assert not oracle.ready
        path = workspace / "main.py"
        with pytest.raises(Unavailable):
            oracle.members(MAIN + "shelf.", len(MAIN) + 6, str(path), _deadline())
        facts = Facts(path=str(path), engine="auto", ty=oracle)
        words = DereferenceMonitor().pre(_view(MAIN + "shelf.", path, facts))
        assert words is not None and "add" in (words.words or ())
        assert facts.answered_by == ["jedi"]
    finally:
        oracle.close()


def test_one_child_per_workspace_found_by_its_files(workspace: Path) -> None:
    try:
        assert registry.start_ty(workspace, "jedi") is None
        assert registry.engine_for(str(workspace / "main.py")) == "jedi"
        first = registry.start_ty(workspace, "auto")
        assert first is not None and registry.start_ty(workspace, "auto") is first
        assert registry.ty_for(str(workspace / "main.py")) is first
        assert registry.ty_for(str(workspace.parent / "elsewhere.py")) is None
        assert registry.engine_for(str(workspace.parent / "elsewhere.py")) == "jedi"
        facts = Facts(path=str(workspace / "main.py"))
        assert (facts.engine, facts.ty) == ("auto", first)
        assert registry.start_ty(workspace, "jedi") is None  # switched off: the child stops
        assert first.state == "stopped" and registry.ty_for(str(workspace / "main.py")) is None
    finally:
        registry.stop_all()


def test_typed_holes_ask_ty(ty: TyOracle, workspace: Path) -> None:
    path = str(workspace / "main.py")
    text = MAIN + "def put(count: int, into: Shelf) -> None: ...\n\nput(total, "
    hole = analyse_hole(text, len(text), path, None, ty, "ty")
    assert (hole.kind, hole.expected_type) == ("call_argument", "Shelf")
    text = MAIN + "if total == "
    hole = analyse_hole(text, len(text), path, None, ty, "ty")
    assert (hole.kind, hole.expected_type) == ("comparison", "int")


def test_one_analysis_answers_a_typed_hole(ty: TyOracle, workspace: Path) -> None:
    # The expected type at the cursor and the types of the locals before it are asked of one
    # text (the cursor's line cut, its brackets closed): ty analyses the file once.
    path = workspace / "work.py"
    text = ("from shelf import Shelf\n\ndef put(count: int, into: Shelf) -> None: ...\n\n"
            "def work() -> None:\n    shelf = Shelf()\n    total = shelf.count()\n"
            "    put(total, ")
    hole = analyse_hole(text, len(text), str(path), None, ty, "ty")
    assert (hole.kind, hole.expected_type) == ("call_argument", "Shelf")
    types = {n.name: n.type for n in hole.scope}
    assert types["shelf"] == "Shelf" and types["total"] == "int"
    assert ty._sent[path.resolve().as_uri()][0] == 1  # opened once, never changed


def test_a_local_ty_cannot_type_stays_untyped_under_auto(ty: TyOracle, workspace: Path) -> None:
    # Jedi types `y` from the call below (`int`); ty does not infer unannotated parameters from
    # call sites. Under auto the local stays untyped rather than costing Jedi's inference.
    text = "def helper(x):\n    y = x\n    return y\n\nhelper(1)\n"
    offset = text.index("return y") + len("return ")
    path = str(workspace / "loc.py")
    assert {n.name: n.type for n in analyse_hole(text, offset, path).scope}["y"] == "int"
    hole = analyse_hole(text, offset, path, None, ty, "auto")
    assert {n.name: n.type for n in hole.scope}["y"] is None


def test_typed_holes_ask_jedi_when_ty_cannot_answer(workspace: Path) -> None:
    missing = TyOracle(workspace, executable=str(workspace / "no-such-ty"))
    assert not missing.wait_ready(GUARD_S)
    text = MAIN + "if total == "
    hole = analyse_hole(text, len(text), str(workspace / "main.py"), None, missing, "ty")
    assert (hole.kind, hole.expected_type) == ("comparison", "int")


def test_no_question_waits_on_a_child_still_starting(workspace: Path) -> None:
    starting = TyOracle(workspace, start=False)  # never started: as if still starting
    path = workspace / "main.py"
    with pytest.raises(Unavailable):
        starting.members(MAIN + "shelf.", len(MAIN) + 6, str(path), None)  # no deadline at all
    facts = Facts(path=str(path), engine="ty", ty=starting)
    words = DereferenceMonitor().pre(_view(MAIN + "shelf.", path, facts))
    assert words is not None and "add" in (words.words or ())
    assert facts.answered_by == ["jedi"] and starting.counts["not_ready"] == 2


def test_ty_is_held_to_the_read_policy(tmp_path: Path) -> None:
    root = tmp_path / "W"
    root.mkdir()
    (root / ".gitignore").write_text("private/\n")
    (root / "private").mkdir()
    (root / "private" / "keys.py").write_text("KEY = 'x'\n")
    (root / "gen").mkdir()
    (root / "gen" / "made.py").write_text("x = 1\n")
    (root / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    os.symlink("id_rsa", root / "key_alias.py")
    (root / "app.py").write_text("x = 1\n")
    found = set(refused_paths(root, ("gen/",)))
    assert {"private", "gen", "key_alias.py"} <= found
    assert not found & {"app.py", "id_rsa"}  # ty reads no `id_rsa` by itself: no need to say


def test_ty_types_are_written_as_a_python_user_would() -> None:
    # ty names a type variable's scope and variance, shows callables as arrows and literal
    # types of inferred values: none of that is something a user writes in an annotation.
    assert python_type("Self@remove (invariant)") == "Self"
    assert python_type("dict[K@Box (covariant), list[T@get]]") == "dict[K, list[T]]"
    assert python_type("(int, /) -> str") == "Callable[[int], str]"
    assert python_type("bound method Box[int].get(default: int) -> int") == (
        "Callable[[int], int]")
    assert python_type("(x: int, y: str = 'a') -> None") == "Callable[..., None]"
    assert python_type("<class 'Box'>") == "type[Box]"
    assert python_type("tuple[Literal[1], Literal['a, ]b']] | Literal[2]") == (
        "tuple[int, str] | int")
    assert python_type("Literal[Color.RED, Color.BLUE] | None") == "Color | None"
    assert python_type("list[Unknown]") == "list[Any]"
    assert python_type("Unknown") is None
    assert python_type("Overload[() -> str, () -> int]") is None
    # A declared annotation keeps its literal values.
    assert python_type('Literal["left", "right"]', literals=False) == 'Literal["left", "right"]'


def test_typed_holes_get_python_types_from_ty(ty: TyOracle, workspace: Path) -> None:
    path = str(workspace / "box.py")
    text = ("from typing import Self\n\nclass Box:\n    def remove(self) -> Self:\n"
            "        me = self\n        n = 3\n        return me\n")
    assert ty.type_at(text, text.index("me =") + 2, path, _deadline()) == "Self"
    assert ty.type_at(text, text.index("n =") + 1, path, _deadline()) == "int"


def test_member_signatures_are_read_from_ty_details() -> None:
    (params,) = signatures_of_detail(
        "bound method Literal['(x'].count(sub: str, start: int | None = None, /) -> int") or [None]
    assert params is not None and [(p.name, p.kind, p.has_default) for p in params] == [
        ("sub", "POSITIONAL_ONLY", False), ("start", "POSITIONAL_ONLY", True)]
    (params,) = signatures_of_detail("def put(a, /, b: int, *rest, c, d=1, **kw) -> None") or [None]
    assert params is not None and [p.kind for p in params] == [
        "POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "VAR_POSITIONAL", "KEYWORD_ONLY",
        "KEYWORD_ONLY", "VAR_KEYWORD"]
    overloads = signatures_of_detail("Overload[() -> str, (width: int, /) -> str]")
    assert overloads is not None and [[p.name for p in s] for s in overloads] == [[], ["width"]]
    generic = signatures_of_detail(
        "Overload[[_C](maybe_cls: _C, *, slots: bool = ...) -> _C, (*, slots: bool = ...) -> Any]")
    assert generic is not None and [[p.kind for p in s] for s in generic] == [
        ["POSITIONAL_OR_KEYWORD", "KEYWORD_ONLY"], ["KEYWORD_ONLY"]]
    for unsigned in ("int", "type[Box]", "(...) -> Unknown", "list[(int) -> str]"):
        assert signatures_of_detail(unsigned) is None, unsigned


def test_a_member_the_model_calls_is_signed_without_a_new_analysis(
        ty: TyOracle, workspace: Path) -> None:
    # `shelf.` at the cursor asks ty for the members, with their details; the model then
    # writes `add(`: the call's signature is the detail's, and ty is sent no new text.
    path = workspace / "main.py"
    uri = path.resolve().as_uri()
    facts = Facts(path=str(path), engine="ty", ty=ty, timeout_s=ASK_S)
    prompt = MAIN + "shelf."
    assert DereferenceMonitor().pre(_view(prompt, path, facts)) is not None
    version = ty._sent[uri][0]
    generated = "add("
    lex = LexState.of_prefix(prompt + generated)
    view = View(prompt, generated, "\n", lex, facts)
    constraint = CallArgumentsMonitor().pre(view)
    assert constraint is not None and ")" in constraint.banned  # `title` is required
    assert facts.signatures_by == ["ty"]
    assert ty._sent[uri][0] == version


def test_under_auto_jedi_is_not_asked_of_a_new_text_where_ty_does_not_know(
        ty: TyOracle, workspace: Path) -> None:
    # ty does not type `z` (from an unannotated parameter); Jedi does from the call below, but
    # only by analysing the text with the generated code in it: under auto that is not asked
    # (it cost up to seconds on real code), the monitor fails open. At the cursor, in the
    # document as it is, Jedi still answers.
    path = workspace / "helper.py"
    prompt = "def helper(x):\n    "
    suffix = "\n\nhelper('a')\n"
    generated = "z = x\n    z."
    facts = Facts(path=str(path), engine="auto", ty=ty, timeout_s=ASK_S)
    lex = LexState.of_prefix(prompt + generated)
    view = View(prompt, generated, suffix, lex, facts)
    assert view.members(len(prompt + generated)) is None
    assert facts.answered_by == ["none"]
    facts_module._MEMO.clear()
    prompt = "def helper(x):\n    z = x\n    z."
    facts = Facts(path=str(path), engine="auto", ty=ty, timeout_s=ASK_S)
    view = View(prompt, "", suffix, LexState.of_prefix(prompt), facts)
    assert "upper" in (view.members(len(prompt)) or [])
    assert facts.answered_by == ["jedi"]


@pytest.mark.parametrize("prompt", [
    "def helper(x):\n    x.",  # a parameter
    "def helper(x, *rest):\n    for a, b in rest:\n        b.",  # a loop's target
    "def helper(x):\n    return [len(y) for y in x if y.",  # a comprehension's target
])
def test_under_auto_jedi_is_not_asked_where_a_parameter_ty_does_not_know_starts_the_receiver(
        ty: TyOracle, workspace: Path, prompt: str) -> None:
    # ty read the parameter (or typed the iterable) and found nothing: Jedi would search the
    # call sites (seconds on real code) and guess; the monitor fails open without asking it.
    path = workspace / "helper.py"
    suffix = "]\n\nhelper(['a'])\n" if "[" in prompt else "\n\nhelper('a', ('b', 'c'))\n"
    facts = Facts(path=str(path), engine="auto", ty=ty, timeout_s=ASK_S)
    view = View(prompt, "", suffix, LexState.of_prefix(prompt), facts)
    constraint = DereferenceMonitor().pre(view)
    assert constraint is None and view.members(len(prompt)) is None
    assert facts.answered_by == ["none", "none"]
    assert len(facts.query_ms) == 1  # ty's question only (the second was memoised)


def test_under_auto_jedi_does_not_sign_a_callee_a_parameter_ty_does_not_know_starts(
        ty: TyOracle, workspace: Path) -> None:
    # The same rule for a call: `x.upper(` with `x` an unannotated parameter is unknown to ty;
    # Jedi is not asked (it would search the call sites), the call monitor fails open.
    path = workspace / "helper.py"
    prompt = "def helper(x):\n    return x.upper("
    suffix = ")\n\nhelper('a')\n"
    facts = Facts(path=str(path), engine="auto", ty=ty, timeout_s=ASK_S)
    view = View(prompt, "", suffix, LexState.of_prefix(prompt), facts)
    assert CallArgumentsMonitor().pre(view) is None
    assert facts.signatures_by == ["none"] and len(facts.query_ms) == 1
    # A callee that starts with any other name is still signed by Jedi where ty cannot.
    facts_module._MEMO.clear()
    text = CALLS + "loose("
    auto = Facts(path=str(workspace / "main.py"), engine="auto", ty=ty, timeout_s=ASK_S)
    assert _view(text, workspace / "main.py", auto).signatures(len(text) - 1) is not None
    assert auto.signatures_by == ["jedi"]

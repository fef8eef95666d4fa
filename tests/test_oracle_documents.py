"""The editor's document in ty stays the editor's text: other texts go to a hidden sibling, and
receivers written in the editor's text are answered from it through a small probe document.

A real `ty server` child per test, on a small package written to a temporary folder; timeouts
are hang guards only.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from typehole.base.scan import LexState
from typehole.context.oracle import TyOracle, Unavailable, find_ty
from typehole.context.oracle.documents import (
    absolute_imports,
    enclosing_class,
    module_of,
    package_of,
    probe_text,
    sibling_path,
    submodules,
)
from typehole.monitors import facts as facts_module
from typehole.monitors.base import View
from typehole.monitors.facts import Facts
from typehole.monitors.members import DereferenceMonitor

GUARD_S = 120.0  # hang guard for the child to start on a busy machine
ASK_S = 60.0  # hang guard for one question

needs_ty = pytest.mark.skipif(find_ty() is None, reason="ty is not installed")

SHELF = '''class Shelf:
    """Books on a shelf."""

    def __init__(self) -> None:
        self.books: list[str] = []
        self.label: str | None = None

    def add(self, title: str) -> None:
        self.books.append(title)

    def count(self) -> int:
        return len(self.books)
'''
# The editor's text of pkg/main.py: the cursor after `shelf.` on the line `shelf.add("x")`.
MAIN = '''import os.path

from .shelf import Shelf

shelf = Shelf()
shelf.add("x")
here = os.path.dirname(__file__)
make = Shelf.count


class Room:
    def __init__(self) -> None:
        self.shelf = Shelf()

    def tidy(self) -> None:
        self.shelf.add("y")
        if self.shelf.label is not None:
            self.shelf.label.upper()


def loose(thing):
    return thing.name
'''


@pytest.fixture(autouse=True)
def _fresh_memo() -> None:
    facts_module._MEMO.clear()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "shelf.py").write_text(SHELF, encoding="utf-8")
    (package / "main.py").write_text(MAIN, encoding="utf-8")
    return tmp_path


@pytest.fixture
def ty(workspace: Path) -> Iterator[TyOracle]:
    oracle = TyOracle(workspace)
    assert oracle.wait_ready(GUARD_S), f"ty did not start: {oracle.state}"
    path = str(workspace / "pkg" / "main.py")
    oracle.update(path, MAIN)  # what the editor has
    assert oracle.warm(path, MAIN)  # as the server does once typing pauses
    yield oracle
    oracle.close()


def _deadline() -> float:
    return time.monotonic() + ASK_S


def _after(text: str, marker: str) -> int:
    """The offset just after the first `marker` in `text`."""
    return text.index(marker) + len(marker)


def _documents(ty: TyOracle) -> dict[str, str]:
    """The documents the child has open: file name -> text."""
    return {Path(uri).name: text for uri, (_, text) in ty._sent.items()}


@needs_ty
def test_receivers_in_the_editors_text_are_answered_without_a_new_text(
        ty: TyOracle, workspace: Path) -> None:
    path = str(workspace / "pkg" / "main.py")
    cases = [
        ("\nshelf.", {"add", "count", "books"}),  # an instance of an imported class
        ("def tidy(self) -> None:\n        self.", {"shelf", "tidy"}),  # `self`: its class
        ("        self.shelf.", {"add", "books"}),  # an attribute of `self`
        ("= os.", {"path", "getcwd"}),  # a module
        ("= Shelf.", {"add", "count"}),  # a class
    ]
    for asked, (marker, expected) in enumerate(cases, 1):
        found = ty.members(MAIN, _after(MAIN, marker), path, _deadline())
        assert found is not None and expected <= set(found), (marker, found)
        assert ty.counts["from_editor"] == asked
    documents = _documents(ty)
    assert documents["main.py"] == MAIN  # the editor's text, sent once, never replaced
    assert sibling_path(Path(path)).name not in documents  # no other text of the file


@needs_ty
def test_a_narrowed_attribute_has_its_narrowed_type(ty: TyOracle, workspace: Path) -> None:
    path = str(workspace / "pkg" / "main.py")
    dot = _after(MAIN, "            self.shelf.label.")
    found = ty.members(MAIN, dot, path, _deadline())
    assert found is not None and "upper" in found  # `str`, not `str | None`
    assert ty.counts["from_editor"] == 1


@needs_ty
def test_a_receiver_ty_cannot_type_is_unknown_without_a_new_text(
        ty: TyOracle, workspace: Path) -> None:
    path = str(workspace / "pkg" / "main.py")
    assert ty.members(MAIN, _after(MAIN, "return thing."), path, _deadline()) is None
    assert sibling_path(Path(path)).name not in _documents(ty)


@needs_ty
def test_other_texts_go_to_a_sibling_whose_imports_resolve(
        ty: TyOracle, workspace: Path) -> None:
    path = workspace / "pkg" / "main.py"
    # The model wrote a new receiver: a text that is not the editor's.
    text = MAIN + "spare = Shelf()\nspare."
    found = ty.members(text, len(text), str(path), _deadline())
    assert found is not None and {"add", "count", "books"} <= set(found)  # `.shelf` resolved
    documents = _documents(ty)
    assert documents["main.py"] == MAIN
    sibling = documents[sibling_path(path).name]
    assert "from pkg.shelf import Shelf" in sibling and sibling.endswith("spare.")
    # Where a name of that text is defined: the file, not its sibling.
    text = MAIN + "spare = Shelf()\nspare"
    found_at = ty.definition(text, len(text), str(path), _deadline())
    assert found_at is not None and [(loc.path, loc.line) for loc in found_at] == [
        (str(path.resolve()), MAIN.count("\n") + 1)]


@needs_ty
def test_a_chain_the_model_continues_is_asked_in_the_probe(
        ty: TyOracle, workspace: Path) -> None:
    path = workspace / "pkg" / "main.py"
    dot = _after(MAIN, "\nshelf.")  # the cursor; the model writes after it
    text = MAIN[:dot] + "books." + MAIN[dot:]
    found = ty.members(text, dot + len("books."), str(path), _deadline())
    assert found is not None and {"append", "extend"} <= set(found)
    text = MAIN[:dot] + "books.append(" + MAIN[dot:]
    signatures = ty.signatures(text, dot + len("books.append("), str(path), _deadline())
    assert signatures is not None and [[p.name for p in s] for s in signatures] == [["object"]]
    assert ty.counts["from_editor"] == 2
    assert sibling_path(path).name not in _documents(ty)


def test_relative_imports_are_made_absolute_in_their_package(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for folder in ("pkg", "pkg/sub"):
        (tmp_path / folder / "__init__.py").write_text("")
    module = tmp_path / "pkg" / "sub" / "mod.py"
    assert module_of(module) == ("pkg", "sub", "mod")
    assert module_of(tmp_path / "pkg" / "__init__.py") == ("pkg",)
    assert package_of(module) == ("pkg", "sub")
    assert package_of(tmp_path / "pkg" / "sub" / "__init__.py") == ("pkg", "sub")
    assert package_of(tmp_path / "script.py") is None
    text = ("from . import a\nfrom .b import c\n  from ..d.e import f\nfrom ... import g\n"
            "from os import path\n")
    assert absolute_imports(text, ("pkg", "sub")) == (
        "from pkg.sub import a\nfrom pkg.sub.b import c\n  from pkg.d.e import f\n"
        "from ... import g\nfrom os import path\n")  # past the top: left as it is
    assert absolute_imports(text, None) == text


def test_self_is_an_instance_of_its_module_level_class() -> None:
    text = ("class A:\n    x = 1\n\n    def f(self):\n        if x:\n            self.\n"
            "\n\ndef g():\n    class B:\n        def h(self):\n            self.\n")
    assert enclosing_class(text, _after(text, "            self")) == "A"
    assert enclosing_class(text, text.rindex("self.")) is None  # nested: not importable
    assert enclosing_class("def f(self):\n    self.", 21) is None


def test_probes_import_what_they_ask_about() -> None:
    assert probe_text(("os",), None, False, submodules("import os.path\n", "os")) == (
        "import os\nimport os.path\n", "os")
    header, receiver = probe_text(("pkg", "shelf"), "Shelf", True)
    assert header.startswith("from pkg.shelf import Shelf as ") and receiver in header
    header, receiver = probe_text(("pkg", "shelf"), "Shelf", False)
    assert header == f"from pkg.shelf import Shelf as {receiver}\n"


@needs_ty
def test_a_child_killed_under_the_editors_way_is_unavailable_then_back(
        ty: TyOracle, workspace: Path) -> None:
    path = str(workspace / "pkg" / "main.py")
    dot = _after(MAIN, "\nshelf.")
    pid = ty.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(Unavailable):  # the caller asks Jedi
        ty.members(MAIN, dot, path, _deadline())
    assert ty.wait_restarted(pid, GUARD_S)
    assert ty.warm(path, MAIN)
    found = ty.members(MAIN, dot, path, _deadline())  # the editor's text is sent again
    assert found is not None and "add" in found and ty.counts["from_editor"] == 1


@needs_ty
def test_self_the_model_writes_is_an_instance_of_the_editors_class(
        ty: TyOracle, workspace: Path) -> None:
    path = workspace / "pkg" / "main.py"
    cursor = _after(MAIN, '        self.shelf.add("y")')
    text = MAIN[:cursor] + "\n        self.shelf." + MAIN[cursor:]
    found = ty.members(text, cursor + len("\n        self.shelf."), str(path), _deadline())
    assert found is not None and {"add", "books"} <= set(found)
    assert ty.counts["from_editor"] == 1
    assert sibling_path(path).name not in _documents(ty)


@needs_ty
def test_an_editors_text_ty_has_not_typed_yet_is_asked_about_without_a_probe(
        ty: TyOracle, workspace: Path) -> None:
    # Typing goes on: the new text is not warmed yet, so the question is asked about the text
    # (a hover there costs as much, and the probe would come on top): the editor's own where
    # the cut text is it, the sibling where it is not.
    path = workspace / "pkg" / "main.py"
    typed = MAIN + "shelf.\n"
    ty.update(str(path), typed)
    found = ty.members(typed, len(typed) - 1, str(path), _deadline())
    assert found is not None and "add" in found and ty.counts["from_editor"] == 0
    assert sibling_path(path).name not in _documents(ty)
    typed = MAIN + "shelf.co\n"
    ty.update(str(path), typed)
    found = ty.members(typed, len(typed) - 3, str(path), _deadline())
    assert found is not None and "add" in found and ty.counts["from_editor"] == 0
    documents = _documents(ty)
    assert documents["main.py"] == typed
    assert documents[sibling_path(path).name].endswith("shelf.\n")


@needs_ty
def test_a_dot_in_open_brackets_ending_the_editors_line_is_asked_about_as_the_cut_text(
        ty: TyOracle, workspace: Path) -> None:
    # `print(shelf.` then a new line: ty's parser joins that line onto the dot in the editor's
    # text, but not in the cut text, whose brackets are closed.
    path = str(workspace / "pkg" / "main.py")
    typed = MAIN.replace('shelf.add("x")\n', "print(shelf.\n")
    ty.update(path, typed)
    assert ty.warm(path, typed)
    found = ty.members(typed, _after(typed, "print(shelf."), path, _deadline())
    assert found is not None and "add" in found and ty.counts["from_editor"] == 0


@needs_ty
def test_the_dereference_monitor_is_answered_from_the_editors_text(
        ty: TyOracle, workspace: Path) -> None:
    path = str(workspace / "pkg" / "main.py")
    dot = _after(MAIN, "\nshelf.")
    facts = Facts(path=path, engine="ty", ty=ty, timeout_s=ASK_S)
    prefix, suffix = MAIN[:dot], MAIN[dot:]
    view = View(prefix, "", suffix, LexState.of_prefix(prefix), facts, original=MAIN)
    constraint = DereferenceMonitor().pre(view)
    assert constraint is not None and constraint.words is not None
    assert {"add", "count", "books"} <= set(constraint.words)
    assert facts.answered_by == ["ty"] and ty.counts["from_editor"] == 1

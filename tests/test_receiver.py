"""A receiver written by the model is evaluated at the cursor, on the document's own Script.

Each case compares with what Jedi says about the new text (the document with the generated code
in it), which is what the monitors asked before; and checks that code which could change the
receiver's meaning makes the monitor ask about the new text instead.
"""

from __future__ import annotations

import pytest

from typehole.base.scan import LexState
from typehole.context import jedistate
from typehole.context.receiver import Link, parse_chain, receiver_members, receiver_signatures
from typehole.monitors.base import View
from typehole.monitors.facts import Facts

DOC = '''import os


class Shelf:
    def __init__(self) -> None:
        self.books: list[str] = []
        self.owner = os.getcwd()

    def first(self) -> str:
        return self.books[0]

    def count(self) -> int:
        total = len(self.books)
        return total
'''
CURSOR = DOC.index("        return total")  # the start of that line


def _jedi_on_new_text(generated: str) -> set[str]:
    text = DOC[:CURSOR] + generated + DOC[CURSOR:]
    offset = CURSOR + len(generated)
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset) - 1
    return {c.name for c in jedistate.script(text, "/tmp/shelf.py", None).complete(line, column)}


@pytest.mark.parametrize("chain", ["self", "self.books", "self.owner", "os.path", "self.first()",
                                   "total"])
def test_same_members_as_jedi_on_the_new_text(chain: str) -> None:
    line = DOC.count("\n", 0, CURSOR) + 1
    links = parse_chain(chain)
    assert links is not None
    script = jedistate.script(DOC, "/tmp/shelf.py", None)
    found = receiver_members(script, line, 8, links)
    assert found is not None
    assert set(found) == _jedi_on_new_text("        " + chain + ".")


def test_chains_with_anything_but_names_and_empty_calls_are_refused() -> None:
    assert parse_chain("a.b().c") == [Link("a"), Link("b", True), Link("c")]
    for text in ("a[0].b", "a(1).b", "'s'.join", "a. b", "1.real", ""):
        assert parse_chain(text) is None


def _view(generated: str) -> View:
    prefix, suffix = DOC[:CURSOR], DOC[CURSOR:]
    lex = LexState.of_prefix(prefix)
    for ch in generated:
        lex.feed(ch)
    return View(prefix, generated, suffix, lex, Facts(path="/tmp/shelf.py"))


def test_view_answers_from_the_document_for_a_plain_receiver() -> None:
    view = _view("        self.books.")
    assert set(view.receiver_members(view.offset) or ()) == _jedi_on_new_text("        self.books.")


@pytest.mark.parametrize("generated", [
    "        self.books = {}\n        self.books.",  # rebinds what the receiver reads
    "        total = 'x'\n        total.",
    "        for total in []:\n            total.",
    "    def other(self):\n        self.",  # leaves the block
    "        f = lambda self: self.",
    "        if isinstance(total, str):\n            total.",
])
def test_view_asks_about_the_new_text_when_the_meaning_may_change(generated: str) -> None:
    view = _view(generated)
    assert view.receiver_members(view.offset) is None


def test_view_asks_about_the_new_text_when_the_document_narrows_the_root() -> None:
    prefix = "def f(x: object) -> None:\n    if isinstance(x, str):\n"
    generated = "        x."
    lex = LexState.of_prefix(prefix)
    for ch in generated:
        lex.feed(ch)
    view = View(prefix, generated, "\n", lex, Facts(path="/tmp/narrow.py"))
    assert view.receiver_members(view.offset) is None


@pytest.mark.parametrize("chain", ["os.path.join", "Shelf", "self.first", "len", "os.getcwd"])
def test_same_signatures_as_jedi_on_the_new_text(chain: str) -> None:
    generated = "        " + chain + "("
    text = DOC[:CURSOR] + generated + DOC[CURSOR:]
    expected = Facts(path="/tmp/shelf.py").signatures(text, CURSOR + len(generated))
    line = DOC.count("\n", 0, CURSOR) + 1
    script = jedistate.script(DOC, "/tmp/shelf.py", None)
    links = parse_chain(chain)
    assert links is not None and expected
    assert receiver_signatures(script, line, 8, links) == expected


@pytest.mark.parametrize("document", ["names = {a.name for a in items}\n",
                                      "f = lambda a: a.name\n"])
def test_no_answer_inside_a_comprehension_or_lambda(document: str) -> None:
    # The document binds `a` after the cursor there; evaluated at the cursor it would not.
    text = "a = 1\nitems = []\n" + document
    cursor = text.index("a.name")
    line = text.count("\n", 0, cursor) + 1
    column = cursor - text.rfind("\n", 0, cursor) - 1
    script = jedistate.script(text, "/tmp/comprehension.py", None)
    assert receiver_members(script, line, column, [Link("a")]) is None


def test_a_lambda_that_binds_other_names_does_not_stop_the_answer() -> None:
    text = "items = [1]\nf = lambda value: items.\n"
    cursor = text.index("items.")
    script = jedistate.script(text, "/tmp/lambda_other.py", None)
    found = receiver_members(script, 2, cursor - text.index("f = "), [Link("items")])
    assert found is not None and "append" in found


def test_isinstance_in_another_function_does_not_stop_the_answer() -> None:
    prefix = ("def other(x: object) -> None:\n    if isinstance(x, str):\n        pass\n\n\n"
              "def f(\n    x: str,\n) -> None:\n    ")
    generated = "x."
    lex = LexState.of_prefix(prefix)
    for ch in generated:
        lex.feed(ch)
    view = View(prefix, generated, "\n    return\n", lex, Facts(path="/tmp/narrow_other.py"))
    assert "upper" in (view.receiver_members(view.offset) or ())

"""Facts: one Script for the queries on one text; an edit is never answered stale."""

from __future__ import annotations

import pytest

from typehole.context import jedistate
from typehole.monitors import facts as facts_module
from typehole.monitors.facts import Facts

_CLASS = "class A:\n    def keep(self): ...\n    def gone(self): ...\n\n"


@pytest.fixture(autouse=True)
def _fresh_memo() -> None:
    facts_module._MEMO.clear()


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    real = jedistate.jedi.Script

    def counting(code: str, **kw: object) -> object:
        made.append(code)
        return real(code, **kw)

    monkeypatch.setattr(jedistate.jedi, "Script", counting)
    return made


def _names(facts: Facts, text: str, offset: int) -> set[str]:
    return {n.name for n in facts.complete(text, offset) or []}


def test_removed_method_is_not_offered_after_edit() -> None:
    facts = Facts(path="/tmp/stale.py")
    before = _CLASS + "A()."
    assert {"keep", "gone"} <= _names(facts, before, len(before))
    after = before.replace("    def gone(self): ...\n", "")
    names = _names(facts, after, len(after))
    assert "keep" in names and "gone" not in names


def test_two_queries_on_one_text_share_a_script(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _counting(monkeypatch)
    text = "def f(a, b=1): ...\nx = 1\nf(x.\n"
    facts = Facts(path="/tmp/share.py")
    dot = text.index("x.") + 2
    assert facts.complete(text, dot)
    assert facts.signatures(text, text.index("(") + 1) is not None
    assert len(made) == 1

"""Facts caches: a Script is reused only for the very same text; an edit is never answered stale."""

from __future__ import annotations

from typehole.monitors import facts as facts_module
from typehole.monitors.facts import Facts, _script

_CLASS = "class A:\n    def keep(self): ...\n    def gone(self): ...\n\n"


def test_script_reused_for_same_text_only() -> None:
    text = _CLASS + "A().\n"
    first = _script(text, "/tmp/reuse.py", None)
    assert _script(text, "/tmp/reuse.py", None) is first
    assert _script(text + "\n", "/tmp/reuse.py", None) is not first
    assert _script(text, "/tmp/other.py", None) is not first


def test_removed_method_is_not_offered_after_edit() -> None:
    facts = Facts(path="/tmp/stale.py")
    before = _CLASS + "A()."
    names = {n.name for n in facts.complete(before, len(before)) or []}
    assert {"keep", "gone"} <= names
    after = before.replace("    def gone(self): ...\n", "")
    names = {n.name for n in facts.complete(after, len(after)) or []}
    assert "keep" in names and "gone" not in names


def test_two_queries_on_one_text_share_a_script(monkeypatch) -> None:
    made: list[str] = []
    real = facts_module.jedi.Script

    def counting(code: str, **kw: object) -> object:
        made.append(code)
        return real(code, **kw)

    monkeypatch.setattr(facts_module.jedi, "Script", counting)
    text = "def f(a, b=1): ...\nx = 1\nf(x.\n"
    facts = Facts(path="/tmp/share.py")
    dot = text.index("x.") + 2
    assert facts.complete(text, dot)
    assert facts.signatures(text, text.index("(") + 1) is not None
    assert len(made) == 1


def test_scripts_kept_are_bounded() -> None:
    for i in range(facts_module._SCRIPTS_SIZE + 3):
        _script(f"x = {i}\n", "/tmp/bound.py", None)
    assert len(facts_module._SCRIPTS) <= facts_module._SCRIPTS_SIZE

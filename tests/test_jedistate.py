"""Jedi Scripts share a warm state, yet an edit (here or in an imported file) is never stale."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import jedi

from typehole.context import jedistate
from typehole.monitors.facts import Facts

_CLASS = "class A:\n    def keep(self): ...\n\n"


def test_script_reused_for_same_text_only() -> None:
    text = _CLASS + "A().\n"
    first = jedistate.script(text, "/tmp/reuse.py", None)
    assert jedistate.script(text, "/tmp/reuse.py", None) is first
    assert jedistate.script(text + "\n", "/tmp/reuse.py", None) is not first
    assert jedistate.script(text, "/tmp/other.py", None) is not first


def test_new_text_starts_from_the_warm_state() -> None:
    first = jedistate.script("import os\nos.\n", "/tmp/warm.py", None)
    second = jedistate.script("import os\nos.p\n", "/tmp/warm.py", None)
    assert second._inference_state is first._inference_state


def test_each_thread_has_its_own_state() -> None:
    here = jedistate.script("x = 1\n", "/tmp/thread.py", None)
    there: list[jedi.Script] = []
    worker = threading.Thread(
        target=lambda: there.append(jedistate.script("x = 2\n", "/tmp/thread.py", None)))
    worker.start()
    worker.join()
    assert there[0]._inference_state is not here._inference_state


def test_imported_file_changed_on_disk_is_seen_after_invalidate(workspace: Path) -> None:
    (workspace / "shapes.py").write_text("class Box:\n    def width(self): ...\n")
    main = str(workspace / "main.py")
    text = "from shapes import Box\nBox()."
    facts = Facts(path=main)
    assert "width" in {n.name for n in facts.complete(text, len(text)) or []}
    (workspace / "shapes.py").write_text("class Box:\n    def height(self): ...\n")
    jedistate.invalidate()
    names = {n.name for n in facts.complete(text, len(text)) or []}
    assert "height" in names and "width" not in names


def test_scripts_and_state_uses_are_bounded() -> None:
    for i in range(jedistate._STATE_USES + 3):
        jedistate.script(f"x = {i}\n", "/tmp/bound.py", None)
    assert len(jedistate._LOCAL.scripts) <= jedistate._SCRIPTS_SIZE
    assert all(w.uses <= jedistate._STATE_USES for w in jedistate._LOCAL.states.values())


def test_imported_file_changed_on_disk_is_seen_without_being_told(workspace: Path) -> None:
    shapes = workspace / "shapes2.py"
    shapes.write_text("class Box:\n    def width(self): ...\n")
    main = str(workspace / "main.py")
    text = "from shapes2 import Box\nBox()."
    names = {c.name for c in jedistate.script(text, main, None).complete(2, 6)}
    assert "width" in names
    shapes.write_text("class Box:\n    def height(self): ...\n")
    os.utime(shapes, (time.time() + 1, time.time() + 1))  # surely later than the state
    edited = text + "\n"  # a new version of the document: a new Script
    names = {c.name for c in jedistate.script(edited, main, None).complete(2, 6)}
    assert "height" in names and "width" not in names


_SHOP = ("from dataclasses import dataclass\n\n\n@dataclass\nclass Item:\n    price: float\n\n\n"
         "def total(items: list[Item]) -> float:\n    return sum(i.price for i in items)\n")


def test_a_script_is_not_reused_after_another_version_of_its_file_was_parsed() -> None:
    # Parso's diff parser builds the new tree partly out of the old one's nodes: the old
    # Script would then answer with the other version's members (`cost`).
    line, column = 10, _SHOP.splitlines()[9].index("i.price") + 2
    first = jedistate.script(_SHOP, "/tmp/shop.py", None)
    jedistate.script(_SHOP.replace("price", "cost"), "/tmp/shop.py", None)
    again = jedistate.script(_SHOP, "/tmp/shop.py", None)
    names = {c.name for c in again.complete(line, column)}
    assert again is not first
    assert "price" in names and "cost" not in names


def test_a_script_is_not_reused_after_anyone_parsed_its_file_again() -> None:
    line, column = 10, _SHOP.splitlines()[9].index("i.price") + 2
    first = jedistate.script(_SHOP, "/tmp/shop3.py", None)
    jedi.Script(_SHOP.replace("price", "cost"), path="/tmp/shop3.py")  # not through jedistate
    again = jedistate.script(_SHOP, "/tmp/shop3.py", None)
    names = {c.name for c in again.complete(line, column)}
    assert again is not first
    assert "price" in names and "cost" not in names


def test_a_script_is_not_reused_after_its_file_was_parsed_away_and_back() -> None:
    first = jedistate.script(_SHOP, "/tmp/shop4.py", None)
    jedi.Script(_SHOP.replace("price", "cost"), path="/tmp/shop4.py")
    jedi.Script(_SHOP, path="/tmp/shop4.py")  # the same text again, but a new tree underneath
    assert jedistate.script(_SHOP, "/tmp/shop4.py", None) is not first


def test_many_versions_on_one_warm_state_still_get_answers(monkeypatch) -> None:
    # Jedi stops inferring a node after 300 inferences in one state; a warm state outlives
    # many Scripts, so the count must start again with each. How many versions it takes to
    # lose the answer without that restart is measured first; then that many and more must
    # all be answered, on one warm state.
    body = "def f(items: list[int]):\n    for a in items:\n        a.\n"

    def answered(version: int) -> tuple[bool, object]:
        made = jedistate.script(body + f"# {version}\n", "/tmp/counts.py", None)
        return "bit_length" in {c.name for c in made.complete(3, 10)}, made._inference_state

    jedistate.invalidate()  # a new warm state, not one earlier tests used
    with monkeypatch.context() as m:
        m.setattr(jedistate, "_fresh_limits", lambda made, deadline: None)
        lost = next((v for v in range(jedistate._STATE_USES) if not answered(v)[0]), None)
    assert lost is not None, "Jedi's limit is never reached: the test shows nothing"
    jedistate.invalidate()
    versions = lost + 10
    assert versions <= jedistate._STATE_USES
    results = [answered(v) for v in range(versions)]
    assert [v for v, (ok, _) in enumerate(results) if not ok] == []
    assert len({id(state) for _, state in results}) == 1


def test_inference_gives_up_past_the_deadline_and_says_so() -> None:
    text = "import os\nos.path."
    late = jedistate.script(text, "/tmp/deadline.py", None, deadline=time.monotonic() - 1)
    late.complete(2, 8)
    assert jedistate.ran_out(late)
    again = jedistate.script(text, "/tmp/deadline.py", None)  # Jedi memoised the give-ups
    assert again is not late and again._inference_state is not late._inference_state
    assert "join" in {c.name for c in again.complete(2, 8)}


def test_a_query_past_its_deadline_is_unknown_not_a_partial_answer(monkeypatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from typehole.monitors import facts as facts_module

    # Jedi's own deadline already passed, though the caller would still wait: its incomplete
    # answer must read as unknown.
    monkeypatch.setattr(facts_module, "ABANDON_AFTER_S", -60.0)
    with ThreadPoolExecutor(1) as analysis:
        text = "import os\nos.path."
        facts = facts_module.Facts(analysis, "/tmp/deadline2.py", timeout_s=30)
        assert facts.complete(text, len(text)) is None
        assert facts.timeouts == 1

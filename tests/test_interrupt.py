"""SQLite work bounded by deadlines: one interrupting thread, and an interrupt between a
search's steps losing only that search."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from trees import write_tree

from typehole.context.engine import ContextEngine
from typehole.context.index import Index
from typehole.context.interrupt import Interrupter, bounded

_ENDLESS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"


def _no_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a thread started per search")

    monkeypatch.setattr(threading, "Timer", refuse)


def test_one_thread_interrupts_every_deadline_in_its_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _no_timers(monkeypatch)
    interrupter = Interrupter()
    conns = [sqlite3.connect(":memory:", check_same_thread=False) for _ in range(3)]
    errors: list[str] = []
    ended: dict[int, float] = {}

    def run(i: int, after: float) -> None:
        try:
            with bounded(conns[i], time.monotonic() + after, interrupter):
                conns[i].execute(_ENDLESS).fetchone()
        except sqlite3.OperationalError as exc:
            errors.append(str(exc))
        ended[i] = time.monotonic()

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i, after))
               for i, after in enumerate((0.6, 0.1, 0.3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == ["interrupted"] * 3
    assert ended[1] < ended[2] < ended[0] and ended[1] - started >= 0.1
    first = interrupter.thread
    # Disarmed deadlines are never sent, and the same thread serves the next ones.
    for _ in range(50):
        with bounded(conns[0], time.monotonic() + 0.01, interrupter):
            pass
    time.sleep(0.05)
    with bounded(conns[0], time.monotonic() + 0.2, interrupter):
        assert conns[0].execute("SELECT 1").fetchone() == (1,)
    assert interrupter.thread is first and first is not None and first.is_alive()


def test_searches_with_deadlines_start_no_thread_each(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "ws", {f"pkg/m{i}.py": f"value_{i} = helper_{i % 3}(rare_{i})\n" * 10
                                 for i in range(6)})
    index = Index(tmp_path / "ws", tmp_path / "cache")
    index.build()
    _no_timers(monkeypatch)
    before = threading.active_count()
    for i in range(20):
        found = index.window_search(f"total = helper_{i % 3}(rare_{i % 6})",
                                    deadline=time.monotonic() + 30)
        assert found.hits and found.note == ""
    assert threading.active_count() <= before + 1


def test_an_interrupt_between_the_search_steps_loses_only_the_search(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "ws", {
        "pkg/__init__.py": "", "pkg/models.py": "class Todo:\n    def done(self) -> bool: ...\n",
        **{f"pkg/m{i}.py": f"value_{i} = helper_{i % 3}(rare_{i})\n" * 10 for i in range(6)}})
    text = "from pkg.models import Todo\n\n\ndef f(todo: Todo) -> None:\n    helper_1(rare_3)\n    "
    engine = ContextEngine(tmp_path / "ws", tmp_path / "cache")
    engine.build()
    index = engine.index
    count = Index.window_total

    def hung(self: Index) -> int:
        # A step of the search the deadline's interrupt lands in (any statement run then).
        self.store.conn.execute(_ENDLESS).fetchone()
        return count(self)

    monkeypatch.setattr(Index, "window_total", hung)
    lost = index.window_search("total = helper_1(rare_3)", deadline=time.monotonic() + 0.1)
    assert lost.hits == [] and lost.note.startswith("deadline: interrupted")
    # The same in a request: the search is lost, the request answers with the rest.
    result = engine.gather(text, len(text), "pkg/use.py", 1024, lambda s: len(s) // 4,
                           deadline_ms=1500)
    assert result.skipped["analogy"].startswith("deadline: interrupted")
    assert any(s.path == "pkg/models.py" for s in result.snippets)
    monkeypatch.undo()
    # Nothing is left interrupted on the shared connection.
    assert index.window_search("total = helper_1(rare_3)").hits[0][0] == "pkg/m3.py"
    assert index.top_level("pkg.models", "Todo")


def test_a_connection_closed_while_armed_leaves_the_thread_serving() -> None:
    interrupter = Interrupter()
    closed = sqlite3.connect(":memory:", check_same_thread=False)
    interrupter.arm(closed, time.monotonic() + 0.05)
    first = interrupter.thread
    closed.close()
    time.sleep(0.2)
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    started = time.monotonic()
    with bounded(conn, time.monotonic() + 0.1, interrupter), \
            pytest.raises(sqlite3.OperationalError, match="interrupted"):
        conn.execute(_ENDLESS).fetchone()
    assert time.monotonic() - started < 30
    assert interrupter.thread is first and first is not None and first.is_alive()

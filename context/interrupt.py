"""SQLite work bounded by a deadline: one long-lived thread interrupts connections at theirs.

`bounded(conn, deadline)` arms an interrupt of `conn` at `deadline` for as long as the block
runs; SQLite checks for it inside its loops and raises `sqlite3.OperationalError`
("interrupted"). A progress handler would take the GIL every few thousand steps, and with the
server's other threads busy each take waited milliseconds (a 10 ms search took 50); a timer per
block started a thread per search, and on busy cores its start was late (an interrupt due at
60 ms sent at 145). One thread, started once and waiting on the earliest armed deadline, costs
neither.
"""

from __future__ import annotations

import heapq
import itertools
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["Armed", "Interrupter", "bounded", "interrupted"]


@dataclass(eq=False)
class Armed:
    """One armed interrupt: `conn` is interrupted at `deadline` (`time.monotonic()`) unless
    disarmed first; `fired` says whether it was."""

    conn: sqlite3.Connection
    deadline: float
    active: bool = True
    fired: bool = False
    order: int = field(default=0, repr=False)


class Interrupter:
    """Interrupts connections at their deadlines from one thread, started on first use.

    Arming and disarming take the same lock the thread interrupts under, so a block left
    (disarmed) is never interrupted afterwards: nobody else's statement on the shared
    connection is hit. A statement begun after the interrupt was sent, with none running then,
    is not interrupted (SQLite clears it): callers look at the clock before each step.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Armed]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, conn: sqlite3.Connection, deadline: float) -> Armed:
        """Interrupt `conn` at `deadline` unless `disarm`ed before."""
        armed = Armed(conn, deadline, order=next(self._order))
        with self._cond:
            heapq.heappush(self._heap, (deadline, armed.order, armed))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-interrupter",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()
        return armed

    def disarm(self, armed: Armed) -> None:
        """No interrupt for `armed` from now on (it stays in the heap until its turn)."""
        with self._cond:
            armed.active = False

    @property
    def thread(self) -> threading.Thread | None:
        """The interrupting thread (None before the first `arm`)."""
        return self._thread

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and not self._heap[0][2].active:
                    heapq.heappop(self._heap)  # disarmed: dropped at its turn
                if not self._heap:
                    self._cond.wait()
                    continue
                left = self._heap[0][0] - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                _, _, armed = heapq.heappop(self._heap)
                armed.fired = True
                try:
                    armed.conn.interrupt()
                except sqlite3.ProgrammingError:
                    pass  # closed meanwhile (the index closed under a search): nothing runs


_INTERRUPTER = Interrupter()


@contextmanager
def bounded(conn: sqlite3.Connection, deadline: float | None,
            interrupter: Interrupter = _INTERRUPTER) -> Iterator[Armed | None]:
    """SQLite's loops on `conn` are interrupted (`sqlite3.OperationalError`) at `deadline`
    (`time.monotonic()`; None: never) while inside; hold the connection's lock meanwhile (it is
    shared). Yields the armed interrupt (None without a deadline)."""
    if deadline is None:
        yield None
        return
    armed = interrupter.arm(conn, deadline)
    try:
        yield armed
    finally:
        interrupter.disarm(armed)


def interrupted(exc: sqlite3.OperationalError, deadline: float | None) -> bool:
    """Whether `exc` is `bounded`'s interrupt at `deadline` (anything else is a real error)."""
    return deadline is not None and "interrupted" in str(exc)

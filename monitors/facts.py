"""Analysis facts monitors ask for (names completable at a point, call signatures), via Jedi.

Jedi is not thread-safe, so every query runs on the one analysis thread: from that thread (marked
by `on_analysis_thread`) a query runs inline; from any other thread it is submitted to the
analysis executor and awaited with a timeout, after which the monitor fails open. Results are
memoised per (path, text, offset), so asking again for the same virtual-document state is free.
Scripts come from `context.jedistate`: a second query on the same text reuses its Script, and a
new text starts from the warm inference state of the previous one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TypeVar

import jedi

from typehole.base.positions import UTF32, position_at
from typehole.context.jedistate import digest, generation, ran_out, script
from typehole.context.limits import Unanalysable
from typehole.context.receiver import Link, Parameter, receiver_members, receiver_signatures

__all__ = ["Facts", "Name", "Param", "on_analysis_thread"]

_T = TypeVar("_T")
_MEMO: OrderedDict[tuple[object, ...], object] = OrderedDict()
_MEMO_SIZE = 2048  # answers are small (names); a completion asks a handful of them
ABANDON_AFTER_S = 1.0  # how long a query may go on after its completion stopped waiting
_LOCAL = threading.local()


@dataclass(frozen=True)
class Name:
    """A completable name.

    Only the text: Jedi's `Completion.type` infers the name (it resolves `from m import x` to
    load `m`), which doubled the cost of a completion query and no monitor read it.
    """

    name: str


Param = Parameter  # a signature parameter: name, `inspect.Parameter` kind name, has a default


def on_analysis_thread(fn: Callable[..., _T]) -> Callable[..., _T]:
    """Wrap `fn` so that, while it runs, queries from its thread run inline (no self-deadlock)."""

    def run(*args: object, **kwargs: object) -> _T:
        before = getattr(_LOCAL, "inline", False)
        _LOCAL.inline = True
        try:
            return fn(*args, **kwargs)
        finally:
            _LOCAL.inline = before

    return run


class Facts:
    """Jedi queries for one document (`path`, `project`) on the analysis executor."""

    def __init__(self, analysis: Executor | None = None, path: str | None = None,
                 project: jedi.Project | None = None, timeout_s: float = 0.5) -> None:
        self.analysis, self.path, self.project, self.timeout_s = analysis, path, project, timeout_s
        self.query_ms: list[float] = []  # wall time of every query that missed the memo
        self.timeouts = 0
        self._last_digest: tuple[str, bytes] | None = None  # the document's, asked again and again

    def complete(self, text: str, offset: int) -> list[Name] | None:
        """Names Jedi completes at `offset` with nothing typed there; None when it fails."""
        return self._memo("complete", text, offset, _complete)

    def signatures(self, text: str, offset: int) -> list[list[Param]] | None:
        """Parameters of each signature of the call whose `(` ends just before `offset`."""
        return self._memo("signatures", text, offset, _signatures)

    def members(self, text: str, offset: int, chain: tuple[Link, ...]) -> list[Name] | None:
        """Members of the receiver `chain` as it means at `offset` of `text` (no new parse)."""
        return self._memo("members", text, offset, _members, chain)

    def signatures_of(self, text: str, offset: int,
                      chain: tuple[Link, ...]) -> list[list[Param]] | None:
        """Signatures of calling `chain` as it means at `offset` of `text` (no new parse)."""
        return self._memo("signatures_of", text, offset, _signatures_of, chain)

    def _memo(self, kind: str, text: str, offset: int, fn: Callable[..., _T],
              *extra: object) -> _T | None:
        key = (kind, self.path, self._digest(text), offset, generation(), *extra)
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]  # type: ignore[return-value]
        started = time.perf_counter()
        timeouts = self.timeouts
        result = self._call(fn, text, offset, self.path, self.project, *extra)
        self.query_ms.append((time.perf_counter() - started) * 1000)
        if self.timeouts != timeouts:
            return result  # out of time is not an answer: ask again next time
        _MEMO[key] = result
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
        return result

    def _digest(self, text: str) -> bytes:
        last = self._last_digest
        if last is not None and last[0] is text:
            return last[1]
        self._last_digest = (text, digest(text))
        return self._last_digest[1]

    def _call(self, fn: Callable[..., _T], *args: object) -> _T | None:
        if self.analysis is None or getattr(_LOCAL, "inline", False):
            try:
                return fn(*args)
            except _OutOfTime:  # cannot happen without a deadline; kept for symmetry
                return None
        # `timeout_s` bounds all queries of one completion together, not each one: a completion
        # with many triggers must not make the editor wait many times over.
        remaining = self.timeout_s - sum(self.query_ms) / 1000
        if remaining <= 0:
            self.timeouts += 1
            return None
        # Work nobody waits for goes on (what Jedi learns stays in its warm state) but not for
        # ever: past the grace Jedi gives up, which costs the warm state (`jedistate.ran_out`).
        deadline = time.monotonic() + remaining + ABANDON_AFTER_S
        future = self.analysis.submit(on_analysis_thread(fn), *args, deadline=deadline)
        try:
            return future.result(timeout=remaining)
        except (FutureTimeout, _OutOfTime):
            # A slow query must not stall decoding: constrain nothing this time.
            future.cancel()
            self.timeouts += 1
            return None


class _OutOfTime(Exception):
    """Jedi gave up at the query's deadline: whatever it found may be incomplete."""


def _ask(text: str, offset: int, path: str | None, project: jedi.Project | None,
         deadline: float | None, question: Callable[[jedi.Script, int, int], _T]) -> _T | None:
    """`question(script, line, column)` at `offset` of `text`; None when Jedi fails on it."""
    row, col = position_at(text, offset, UTF32)
    try:
        made = script(text, path, project, deadline)
    except Unanalysable:  # nested deeper than Python allows: nothing to constrain with
        return None
    try:
        answer: _T | None = question(made, row + 1, col)
    except Exception:  # noqa: BLE001 - parso/Jedi errors on half-written code: fail open
        answer = None
    if ran_out(made):
        raise _OutOfTime
    return answer


def _complete(text: str, offset: int, path: str | None, project: jedi.Project | None,
              deadline: float | None = None) -> list[Name] | None:
    return _ask(text, offset, path, project, deadline,
                lambda s, line, col: [Name(c.name) for c in s.complete(line, col)])


def _members(text: str, offset: int, path: str | None, project: jedi.Project | None,
             chain: tuple[Link, ...], deadline: float | None = None) -> list[Name] | None:
    def ask(s: jedi.Script, line: int, col: int) -> list[Name] | None:
        found = receiver_members(s, line, col, list(chain))
        return None if found is None else [Name(n) for n in found]

    return _ask(text, offset, path, project, deadline, ask)


def _signatures_of(text: str, offset: int, path: str | None, project: jedi.Project | None,
                   chain: tuple[Link, ...],
                   deadline: float | None = None) -> list[list[Param]] | None:
    return _ask(text, offset, path, project, deadline,
                lambda s, line, col: receiver_signatures(s, line, col, list(chain)))


def _signatures(text: str, offset: int, path: str | None, project: jedi.Project | None,
                deadline: float | None = None) -> list[list[Param]] | None:
    return _ask(text, offset, path, project, deadline,
                lambda s, line, col: [[Param(p.name, p.kind.name, "=" in p.to_string())
                                       for p in sig.params]
                                      for sig in s.get_signatures(line, col)])

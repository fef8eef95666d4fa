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

from typehole.context.jedistate import digest, generation, script
from typehole.context.positions import UTF32, position_at
from typehole.context.receiver import Link, Parameter, receiver_members, receiver_signatures

__all__ = ["Facts", "Name", "Param", "on_analysis_thread"]

_T = TypeVar("_T")
_MEMO: OrderedDict[tuple[object, ...], object] = OrderedDict()
_MEMO_SIZE = 512
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

    def run(*args: object) -> _T:
        before = getattr(_LOCAL, "inline", False)
        _LOCAL.inline = True
        try:
            return fn(*args)
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
        key = (kind, self.path, digest(text), offset, generation(), *extra)
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

    def _call(self, fn: Callable[..., _T], *args: object) -> _T | None:
        if self.analysis is None or getattr(_LOCAL, "inline", False):
            return fn(*args)
        # `timeout_s` bounds all queries of one completion together, not each one: a completion
        # with many triggers must not make the editor wait many times over.
        remaining = self.timeout_s - sum(self.query_ms) / 1000
        if remaining <= 0:
            self.timeouts += 1
            return None
        future = self.analysis.submit(on_analysis_thread(fn), *args)
        try:
            return future.result(timeout=remaining)
        except FutureTimeout:
            # A slow query must not stall decoding: constrain nothing this time.
            future.cancel()
            self.timeouts += 1
            return None


def _complete(text: str, offset: int, path: str | None,
              project: jedi.Project | None) -> list[Name] | None:
    row, col = position_at(text, offset, UTF32)
    try:
        found = script(text, path, project).complete(row + 1, col)
        return [Name(c.name) for c in found]
    except Exception:  # parso/Jedi internal errors on half-written code: fail open
        return None


def _members(text: str, offset: int, path: str | None, project: jedi.Project | None,
             chain: tuple[Link, ...]) -> list[Name] | None:
    row, col = position_at(text, offset, UTF32)
    found = receiver_members(script(text, path, project), row + 1, col, list(chain))
    return None if found is None else [Name(n) for n in found]


def _signatures_of(text: str, offset: int, path: str | None, project: jedi.Project | None,
                   chain: tuple[Link, ...]) -> list[list[Param]] | None:
    row, col = position_at(text, offset, UTF32)
    return receiver_signatures(script(text, path, project), row + 1, col, list(chain))


def _signatures(text: str, offset: int, path: str | None,
                project: jedi.Project | None) -> list[list[Param]] | None:
    row, col = position_at(text, offset, UTF32)
    try:
        sigs = script(text, path, project).get_signatures(row + 1, col)
        return [[Param(p.name, p.kind.name, "=" in p.to_string()) for p in s.params]
                for s in sigs]
    except Exception:  # as above: unknown means unconstrained
        return None

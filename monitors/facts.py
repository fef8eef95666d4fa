"""Analysis facts monitors ask for (members, names completable at a point, call signatures), from
the type oracle (`context.oracle`): ty's language server where the workspace runs one and it
answers, Jedi otherwise.

Jedi is not thread-safe, so every Jedi query runs on the one analysis thread: from that thread
(marked by `on_analysis_thread`) a query runs inline; from any other thread it is submitted to
the analysis executor and awaited with a timeout, after which the monitor fails open. ty's
client is thread-safe: its questions run on the caller's thread, bounded by `TY_SHARE` of the
time left, and when ty cannot answer (still starting, crashed, out of time) Jedi is asked in the
rest. Results are memoised per (engine, path, text, offset), so asking again for the same
virtual-document state is free. Jedi Scripts come from `context.jedistate`: a second query on
the same text reuses its Script, and a new text starts from the warm inference state of the
previous one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TypeVar, cast

import jedi
from cachetools import LRUCache

from typehole.context.jedistate import digest, generation
from typehole.context.oracle import (
    Engine,
    JediOracle,
    OutOfTime,
    Parameter,
    TyOracle,
    Unavailable,
    engine_for,
    ty_for,
)
from typehole.context.receiver import Link

__all__ = ["Facts", "Name", "Param", "on_analysis_thread"]

_T = TypeVar("_T")
# Answers by (kind, path, text digest, offset, generation, ...): small (names), a completion asks
# a handful of them. Read and written from the decoding threads, so behind `_MEMO_LOCK`.
_MEMO: LRUCache[tuple[object, ...], object] = LRUCache(maxsize=2048)
_MEMO_LOCK = threading.Lock()
ABANDON_AFTER_S = 1.0  # how long a query may go on after its completion stopped waiting
# ty's share of the time left: what remains when it cannot answer is Jedi's.
TY_SHARE = 2 / 3
_LOCAL = threading.local()


@dataclass(frozen=True)
class Name:
    """A completable name.

    Only the text: Jedi's `Completion.type` infers the name (it resolves `from m import x` to
    load `m`), which doubled the cost of a completion query and no monitor read it.
    """

    name: str
    detail: str = ""  # ty's detail: the member's type, or a method's signature


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
    """Oracle queries for one document (`path`, `project`) within one time budget.

    `engine` and `ty` default to what the workspace of `path` registered (`context.oracle`):
    `jedi` outside any workspace. `timeout_s` bounds all queries of one completion together.
    """

    def __init__(self, analysis: Executor | None = None, path: str | None = None,
                 project: jedi.Project | None = None, timeout_s: float = 0.5,
                 engine: Engine | None = None, ty: TyOracle | None = None) -> None:
        self.analysis, self.path, self.project, self.timeout_s = analysis, path, project, timeout_s
        self.engine: Engine = engine if engine is not None else engine_for(path)
        self.ty = None if self.engine == "jedi" else ty if ty is not None else ty_for(path)
        self.jedi = JediOracle(project)
        self.query_ms: list[float] = []  # wall time of every query that missed the memo
        self.timeouts = 0
        self.answered_by: list[str] = []  # the engine of each member answer (benchmarks)
        self.signatures_by: list[str] = []  # the engine of each signature answer (benchmarks)
        self._last_digest: tuple[str, bytes] | None = None  # the document's, asked again and again
        # ty's members by where their `.` is (`View.site`): their details sign a call of one.
        self._details: dict[tuple[int, str], dict[str, str]] = {}

    def complete(self, text: str, offset: int) -> list[Name] | None:
        """Names Jedi completes at `offset` with nothing typed there; None when it fails."""
        return self._memo("complete", text, offset, _named(self.jedi.names))

    def signatures(self, text: str, offset: int) -> list[list[Param]] | None:
        """Parameters of each signature of the call whose `(` ends just before `offset`."""
        return self._memo("signatures", text, offset, self.jedi.signatures)

    def members(self, text: str, offset: int, chain: tuple[Link, ...]) -> list[Name] | None:
        """Members of the receiver `chain` as it means at `offset` of `text` (Jedi, no new
        parse)."""
        return self._memo("members", text, offset, _named(self.jedi.receiver_members), chain)

    def signatures_of(self, text: str, offset: int,
                      chain: tuple[Link, ...]) -> list[list[Param]] | None:
        """Signatures of calling `chain` as it means at `offset` of `text` (no new parse)."""
        return self._memo("signatures_of", text, offset, self.jedi.receiver_signatures, chain)

    def ty_members(self, text: str, offset: int, closers: str | None = None) -> list[Name] | None:
        """ty's members after the `.` that ends at `offset` of `text` (None: ty does not know);
        `closers` close the brackets open there.

        Raises `Unavailable` when this document has no ty, or ty cannot answer now: then Jedi
        is asked (`members`, `complete`).
        """
        found = cast(list[tuple[str, str]] | None, self._ty("ty_members", text, offset, closers))
        return None if found is None else [Name(n, detail) for n, detail in found]

    def note_members(self, site: tuple[int, str], found: list[Name]) -> None:
        """Keep ty's `found` members of the receiver at `site` with their details."""
        self._details[site] = {n.name: n.detail for n in found if n.detail}

    def member_detail(self, site: tuple[int, str], name: str) -> str | None:
        """ty's detail of member `name` of the receiver at `site`, when it was asked."""
        return self._details.get(site, {}).get(name)

    def ty_signatures(self, text: str, offset: int,
                      closers: str | None = None) -> list[list[Param]] | None:
        """ty's signatures of the call whose `(` ends just before `offset` of `text` (None: ty
        does not know); `closers` close the brackets open there (that `(` included).

        Raises `Unavailable` as `ty_members` does: then Jedi is asked (`signatures`).
        """
        return self._ty("ty_signatures", text, offset, closers)  # type: ignore[return-value]

    def _ty(self, kind: str, text: str, offset: int, closers: str | None) -> object:
        """ty's answer to `kind` (memoised), in its share of the time left."""
        ty = self.ty
        if ty is None:
            raise Unavailable("no ty for this document")
        key = (kind, self.path, self._digest(text), offset, generation())
        found_before = _recall(key, _MISSING)
        if found_before is not _MISSING:
            return found_before  # what this key stored
        remaining = self.timeout_s - sum(self.query_ms) / 1000
        if remaining <= 0:
            self.timeouts += 1
            raise Unavailable("out of time")
        ask = ty.member_items if kind == "ty_members" else ty.signatures
        started = time.perf_counter()
        try:
            found = ask(text, offset, self.path, time.monotonic() + remaining * TY_SHARE, closers)
        finally:
            self.query_ms.append((time.perf_counter() - started) * 1000)
        _remember(key, found)
        return found

    def _memo(self, kind: str, text: str, offset: int, fn: Callable[..., _T],
              *extra: object) -> _T | None:
        key = (kind, self.path, self._digest(text), offset, generation(), *extra)
        found_before = _recall(key, _MISSING)
        if found_before is not _MISSING:
            return cast(_T | None, found_before)  # what `fn`, the same for this key, answered
        started = time.perf_counter()
        timeouts = self.timeouts
        result = self._call(fn, text, offset, self.path, *extra)
        self.query_ms.append((time.perf_counter() - started) * 1000)
        if self.timeouts != timeouts:
            return result  # out of time is not an answer: ask again next time
        _remember(key, result)
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
            except OutOfTime:  # cannot happen without a deadline; kept for symmetry
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
        except (FutureTimeout, OutOfTime):
            # A slow query must not stall decoding: constrain nothing this time.
            future.cancel()
            self.timeouts += 1
            return None


_MISSING = object()


def _recall(key: tuple[object, ...], default: object) -> object:
    with _MEMO_LOCK:
        return _MEMO.get(key, default)


def _remember(key: tuple[object, ...], result: object) -> None:
    with _MEMO_LOCK:
        _MEMO[key] = result


def _named(fn: Callable[..., list[str] | None]) -> Callable[..., list[Name] | None]:
    """`fn` answering `Name`s instead of strings (Jedi's completions and members)."""

    def run(*args: object, **kwargs: object) -> list[Name] | None:
        found = fn(*args, **kwargs)
        return None if found is None else [Name(n) for n in found]

    return run

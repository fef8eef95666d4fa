"""Monitor-guided decoding for every backend: the one entry the completion pipeline calls.

- Embedded model (`complete_guided`): exact masking; each token is checked before it is chosen.
- llama.cpp (`grammar`) / vLLM (`regex`): the constraint at the start of each round is compiled
  into the request; the rest of the output is checked as below.
- Any backend: generate, check with the monitors, cut at the first violation, force the best
  legal continuation (the monitor's ranking, closest to what the model tried first), and continue
  with a new request; at most `max_rounds` extra requests, after which the last round streams on
  unchecked (fail open: a backend that ignores constraints must not turn into an endless loop of
  requests). A violation with no legal word to force (a premature `)`, a stray closer) ends the
  completion there.

Each round's request extends the last one's prompt by the text accepted since, so a server with
a prompt cache (llama.cpp `cache_prompt`) evaluates only that; `GuidedResult.round_costs` says
what each round cost as the server reports it. `GuidedResult.unguided` keeps what the model wrote
before the monitors first changed anything: the caller falls back to it when the repaired text
comes to nothing.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import TypeVar

from typehole.models.base import Backend, Chunk, CompletionRequest, Timings
from typehole.monitors.constraint import is_ident_char
from typehole.monitors.facts import Facts
from typehole.monitors.settings import MonitorSettings, build_monitors
from typehole.monitors.tracker import Session, State

from .compile import request_extra

__all__ = ["GuidedResult", "RoundCost", "guided"]

_T = TypeVar("_T")


@dataclass
class RoundCost:
    """One request to the backend: its wall time and the server's own count of its work."""

    ms: float = 0.0
    prompt_tokens: int | None = None  # evaluated for this round (None: not reported)
    cached_tokens: int | None = None  # reused from the server's prompt cache
    generated_tokens: int | None = None
    cut: str = ""  # what the monitors cut from this round's text (the violation on)
    forced: str | None = None  # the legal word forced in its place (None: none)

    def took(self, started: float, timings: Timings | None) -> None:
        """Record the round's end: its wall time since `started` and the last timings seen."""
        self.ms = (time.perf_counter() - started) * 1000
        if timings is not None:
            self.prompt_tokens = timings.prompt_tokens
            self.cached_tokens = timings.cached_tokens
            self.generated_tokens = timings.generated_tokens


@dataclass
class GuidedResult:
    """What monitors did to one completion."""

    corrected: bool = False  # the text differs from what the model wrote unguided
    rounds: int = 0  # requests made to the backend
    round_costs: list[RoundCost] = field(default_factory=list)
    # What the model wrote before the monitors first changed it (up to the first violation);
    # None while they changed nothing.
    unguided: str | None = None
    violations_prevented: int = 0  # candidate tokens masked, or violations cut and repaired
    strategy: str = "off"  # mask | grammar | regex | check | off
    trigger_ms: list[float] = field(default_factory=list)  # each boundary the monitors judged
    query_ms: list[float] = field(default_factory=list)  # each analysis (Jedi) query among them
    check_ms: float = 0.0  # time spent checking characters, triggers included
    chars: int = 0


_IDENTIFIER = re.compile(r"\w+")


class _Guide:
    """Adapts a monitor `Session` to the embedded model's `TokenGuide`."""

    def __init__(self, session: Session, state: State, result: GuidedResult) -> None:
        self.session, self.state, self.result = session, state, result

    @property
    def done(self) -> bool:
        return self.state.stop_at is not None

    def allows(self, text: str) -> bool:
        ok = self.session.allows(self.state, text) and self._completes_name(text)
        self.result.violations_prevented += not ok
        return ok

    def _completes_name(self, text: str) -> bool:
        """Under a name constraint, an all-identifier token must finish an allowed name.

        The embedded model's lexer emits whole identifiers, so a token that stops inside a
        name (`a` for `add`) could never be continued and would end the completion there.
        """
        if not _IDENTIFIER.fullmatch(text):
            return True
        constraint, partial = self.session.constraint(self.state)
        return constraint is None or constraint.is_word(partial + text)

    def advance(self, text: str) -> None:
        if self.session.feed(self.state, text) is not None:
            self.state.stop_at = len(self.session.generated(self.state))

    def proposals(self) -> Sequence[str]:
        constraint, partial = self.session.constraint(self.state)
        if constraint is None or constraint.words is None:
            return ()
        return [w for w in constraint.words if w.startswith(partial)]


async def guided(backend: Backend, request: CompletionRequest, document_text: str,
                 cursor_offset: int, analysis: Executor | None, *, settings: MonitorSettings,
                 enabled: bool = True, path: str | None = None,
                 result: GuidedResult | None = None) -> AsyncIterator[Chunk]:
    """Stream `backend`'s completion of `request` under the monitors (plain when not `enabled`).

    `document_text[:cursor_offset]` and the rest form the virtual document with what is
    generated; the request's prompt may be a budgeted cut of it. `settings` are the user's
    (`monitors` section; a batch caller passes a longer trigger timeout). `result` is filled in.
    """
    result = result if result is not None else GuidedResult()
    monitors = build_monitors(settings, document_text, cursor_offset)
    if not enabled or not settings.enabled or not monitors:
        result.rounds = 1
        async with aclosing(_measured(backend.complete(request), result)) as stream:
            async for chunk in stream:
                yield chunk
        return
    facts = Facts(analysis, path, timeout_s=settings.trigger_timeout_ms / 1000)
    session = Session(document_text[:cursor_offset], document_text[cursor_offset:], monitors,
                      facts)
    loop = asyncio.get_running_loop()

    def on_analysis(fn: Callable[..., _T], *args: object) -> asyncio.Future[_T]:
        # Not on the analysis thread itself: from a plain worker thread, every Jedi query goes
        # through `Facts`, which bounds the completion's total analysis time and fails open.
        return loop.run_in_executor(None, fn, *args)

    state = await on_analysis(session.start)
    try:
        complete_guided = getattr(backend, "complete_guided", None)
        if complete_guided is not None:
            result.strategy, result.rounds = "mask", 1
            emitted = 0
            guide = _Guide(session, state, result)
            async with aclosing(_measured(complete_guided(request, guide), result)) as s:
                async for chunk in s:
                    text = chunk.text
                    if state.stop_at is not None:
                        text = text[: max(state.stop_at - emitted, 0)]
                    emitted += len(text)
                    if text:
                        yield Chunk(text, chunk.logprob)
                    if state.stop_at is not None and emitted >= state.stop_at:
                        return
            return
        capabilities = frozenset(getattr(backend, "capabilities", frozenset()))
        if not settings.check_unconstrained and not capabilities & {"grammar", "regex"}:
            result.rounds = 1
            async with aclosing(_measured(backend.complete(request), result)) as stream:
                async for chunk in stream:
                    yield chunk
            return
        # Closed with this generator, not left to the garbage collector: closing is what hangs
        # up on the server and stops its generation.
        rounds = _rounds(backend, request, session, state, settings, result, on_analysis)
        async with aclosing(rounds) as chunks:
            async for chunk in chunks:
                yield chunk
    finally:
        result.trigger_ms = session.trigger_ms
        result.query_ms = facts.query_ms
        result.check_ms = session.check_s * 1000
        result.chars = session.chars


async def _rounds(backend: Backend, request: CompletionRequest, session: Session, state: State,
                  settings: MonitorSettings, result: GuidedResult,
                  on_analysis: Callable[..., asyncio.Future[object]]) -> AsyncIterator[Chunk]:
    """Generate, check, cut at a violation, force a legal word, continue (bounded)."""
    capabilities = frozenset(getattr(backend, "capabilities", frozenset()))
    accepted = ""
    result.strategy = "check"
    for round_ in range(settings.max_rounds + 1):
        last = round_ == settings.max_rounds
        constraint, partial = await on_analysis(session.constraint, state)  # type: ignore[misc]
        extra = request_extra(capabilities, constraint, partial)
        if extra:
            result.strategy = "grammar" if "grammar" in extra else "regex"
        req = replace(request, prefix=request.prefix + accepted,
                      extra={**request.extra, **extra})
        result.rounds += 1
        violation: tuple[str, str] | None = None  # (text before the violation, the rest)
        async with aclosing(_measured(backend.complete(req), result)) as stream:
            async for chunk in stream:
                if last and violation is None and result.corrected:
                    yield chunk  # out of rounds: unchecked from here on
                    continue
                before = len(session.generated(state))
                bad = await on_analysis(session.feed, state, chunk.text)
                if state.stop_at is not None:
                    keep = chunk.text[: max(state.stop_at - before, 0)]
                    if keep:
                        yield Chunk(keep, chunk.logprob)
                    return
                if bad is None:
                    accepted += chunk.text
                    yield chunk
                    continue
                assert isinstance(bad, int)
                violation = (chunk.text[:bad], chunk.text[bad:])
                if result.unguided is None:
                    result.unguided = accepted + violation[0]
                result.round_costs[-1].cut = violation[1]
                if not last:
                    break
                result.corrected = True
                yield chunk
        if violation is None or last:
            return
        good, rest = violation
        result.corrected = True
        result.violations_prevented += 1
        if good:
            accepted += good
            yield Chunk(good)
        forced = await on_analysis(_force, session, state, rest)
        if forced is None:
            return  # nothing legal to force (a premature `)`): the completion ends here
        assert isinstance(forced, str)
        result.round_costs[-1].forced = forced
        if forced:
            accepted += forced
            yield Chunk(forced)


async def _measured(stream_of: AsyncIterator[Chunk],
                    result: GuidedResult) -> AsyncIterator[Chunk]:
    """`stream_of`'s chunks, recording the request's cost as a new round of `result`."""
    cost = RoundCost()
    result.round_costs.append(cost)
    started = time.perf_counter()
    last: Timings | None = None
    try:
        async with aclosing(stream_of) as stream:
            async for chunk in stream:
                last = chunk.timings or last
                yield chunk
    finally:
        cost.took(started, last)


def _force(session: Session, state: State, attempted: str) -> str | None:
    """The legal continuation closest to what the model `attempted`, fed into `state`."""
    constraint, partial = session.constraint(state)
    if constraint is None or constraint.words is None:
        return None
    tried = partial + _identifier_start(attempted)
    words = [w for w in constraint.words if w.startswith(partial)]
    if not tried.startswith("_"):
        # A dunder is never the repair of a name the model did not start with `_`: closest
        # by letters (`__ne__` for `new_attr`) is not closest by meaning.
        words = [w for w in words if not w.startswith("__")]
    if not words:
        return None
    order = {w: i for i, w in enumerate(words)}

    def score(word: str) -> tuple[int, float, int]:
        common = len(_common_prefix(word, tried)) if tried else 0
        ratio = difflib.SequenceMatcher(None, word, tried).ratio() if tried else 0.0
        return (-common, -ratio, order[word])

    best = min(words, key=score)[len(partial):]
    if session.feed(state, best) is not None:
        return None
    return best


def _identifier_start(text: str) -> str:
    end = 0
    while end < len(text) and is_ident_char(text[end]):
        end += 1
    return text[:end]


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]

"""Monitor-guided decoding for every backend: the one entry the completion pipeline calls.

- A backend that declares exact masks (`exact_masks`, `GuidedBackend.complete_guided`): each
  token is checked before it is chosen.
- Any backend: generate, check with the monitors, cut at the first violation, repair, and
  continue with a new request; at most `max_rounds` extra requests, after which the last round
  streams on unchecked (fail open: a backend that ignores constraints must not turn into an
  endless loop of requests). The repair forces the legal word closest by letters to what the
  model tried when that is a near miss. Otherwise the model chooses among the legal words
  itself: a backend that lists its likeliest next tokens (`top_tokens`) is asked for them at
  the violation, one token's cost, and the likeliest that starts a legal word is forced (the
  whole word when only one starts so); where none of them does, a backend that takes
  constraints (llama.cpp and the embedded engine `grammar`, vLLM `regex`) gets the next round
  with the constraint at the violation compiled in, and others get the closest word forced. A
  violation with no legal word to force (a premature `)`, a stray closer) ends the completion
  there. Constraints are compiled only where the model's own text was illegal, so
  `GuidedResult.corrected` holds whenever a grammar shaped the text. The round after a forced
  word asks the backend not to heal the prompt's end (`at_token_end`): the word is whole.

The monitors' first analysis (the constraint at the cursor: the receiver's members at `obj.`) runs
while the first request's prompt is evaluated, not before the request is sent.

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
from collections.abc import AsyncGenerator, Callable, Sequence
from concurrent.futures import Executor
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from typehole.models.base import (
    Backend,
    Chunk,
    CompletionRequest,
    GuidedBackend,
    Timings,
    TokenChoice,
    TopTokens,
)
from typehole.models.errors import ModelError
from typehole.monitors.constraint import is_ident_char
from typehole.monitors.facts import Facts
from typehole.monitors.settings import MonitorSettings, build_monitors
from typehole.monitors.tracker import Session, State

from .compile import request_extra

__all__ = ["TOP_TOKENS", "GuidedResult", "RoundCost", "guided", "legal_token"]

_T = TypeVar("_T")


class _OnAnalysis(Protocol):
    """Runs one step of the monitors' analysis on a worker thread, for the event loop to await."""

    def __call__(self, fn: Callable[..., _T], *args: object) -> asyncio.Future[_T]: ...


@dataclass
class RoundCost:
    """One request to the backend: its wall time and the server's own count of its work."""

    ms: float = 0.0
    prompt_tokens: int | None = None  # evaluated for this round (None: not reported)
    cached_tokens: int | None = None  # reused from the server's prompt cache
    generated_tokens: int | None = None
    cut: str = ""  # what the monitors cut from this round's text (the violation on)
    forced: str | None = None  # the legal word forced in its place (None: none)
    probe: bool = False  # a one-token request for the likeliest next tokens (`top_tokens`)

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
                 result: GuidedResult | None = None) -> AsyncGenerator[Chunk, None]:
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

    # The monitors' first analysis (the state at the cursor and the constraint after it: the
    # receiver's members at `obj.`) starts now, on a worker thread; where the model's text is
    # checked only once it comes, it runs while the engine evaluates the prompt, which takes
    # far longer on a CPU, instead of before the request or after its first token.
    masks = "exact_masks" in backend.capabilities and isinstance(backend, GuidedBackend)
    checked = masks or settings.check_unconstrained or backend.capabilities & {"grammar", "regex"}
    ready = on_analysis(_prepared, session) if checked else None
    try:
        if ready is None:
            result.rounds = 1
            async with aclosing(_measured(backend.complete(request), result)) as stream:
                async for chunk in stream:
                    yield chunk
            return
        if masks:
            assert isinstance(backend, GuidedBackend)
            state = await ready
            result.strategy, result.rounds = "mask", 1
            emitted = 0
            guide = _Guide(session, state, result)
            masked = backend.complete_guided(request, guide)
            async with aclosing(_measured(masked, result)) as s:
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
        # Closed with this generator, not left to the garbage collector: closing is what hangs
        # up on the server and stops its generation.
        rounds = _rounds(backend, request, session, ready, settings, result, on_analysis)
        async with aclosing(rounds) as chunks:
            async for chunk in chunks:
                yield chunk
    finally:
        if ready is not None:
            # Left behind when no round read a chunk (the model failed, the caller stopped):
            # its outcome is not wanted, but is consumed so that nothing reports it unread.
            ready.add_done_callback(_consumed)
        result.trigger_ms = session.trigger_ms
        result.query_ms = facts.query_ms
        result.check_ms = session.check_s * 1000
        result.chars = session.chars


def _prepared(session: Session) -> State:
    """The state at the cursor, with the constraint that governs what follows it computed (and
    memoised by the session) ahead of the model's first character."""
    state = session.start()
    session.constraint(state)
    return state


def _consumed(future: asyncio.Future[State]) -> None:
    """Mark `future`'s exception, if any, as seen."""
    if not future.cancelled():
        future.exception()


async def _rounds(backend: Backend, request: CompletionRequest, session: Session,
                  ready: asyncio.Future[State], settings: MonitorSettings, result: GuidedResult,
                  on_analysis: _OnAnalysis) -> AsyncGenerator[Chunk, None]:
    """Generate, check, cut at a violation, repair, continue (bounded).

    The model writes freely first: where what it wrote is legal, nothing changes and nothing is
    compiled. At a violation the closest legal word by letters is forced when it is a near miss
    (`cls` -> `_cls`); otherwise, on a backend that takes constraints, the next round lets the
    model choose among the legal words itself under a grammar (or regex): a grammar from the
    start makes a greedy model commit to a legal word's first token that it cannot finish well
    (`raw_` of `raw_headers` becomes `raw_auth`).

    A constrained name (and the `.` before a member) is passed on only once it is finished:
    until then a repair may replace it whole, so a name whose first letters happen to start a
    legal word (`raw_` of `raw_headers`, where only `raw_auth` starts so) is repaired to the
    legal word closest to all of it (`headers`), not only among the words that start with
    those letters; and where no member can follow, the `.` is left out.
    """
    capabilities = backend.capabilities
    state: State | None = None  # the monitors' state once `ready` (at the first chunk)
    accepted = ""
    held = ""  # the end of `accepted` not passed on yet: the constrained name being written
    result.strategy = "check"
    constrain_next: tuple[str, ...] | None = None  # the next round's legal words (a grammar)
    forced_last = False  # the prompt ends in a word a repair forced: at a token boundary
    for round_ in range(settings.max_rounds + 1):
        last = round_ == settings.max_rounds
        extra: dict[str, object] = {}
        if constrain_next is not None:
            assert state is not None
            constraint, partial = await on_analysis(session.constraint, state)
            if constraint is not None and constraint.words is not None:
                constraint = replace(constraint, words=constrain_next)
            extra = request_extra(capabilities, constraint, partial)
            result.strategy = "grammar" if "grammar" in extra else "regex"
        constrain_next = None
        req = replace(request, prefix=request.prefix + accepted, at_token_end=forced_last,
                      extra={**request.extra, **extra})
        forced_last = False
        result.rounds += 1
        violation: tuple[str, str] | None = None  # (text before the violation, the rest)
        async with aclosing(_measured(backend.complete(req), result)) as stream:
            async for chunk in stream:
                if last and violation is None and result.corrected:
                    if held:
                        yield Chunk(held)
                        held = ""
                    yield chunk  # out of rounds: unchecked from here on
                    continue
                if state is None:
                    state = await ready
                before = len(session.generated(state))
                bad = await on_analysis(session.feed, state, chunk.text)
                if state.stop_at is not None:
                    keep = (held + chunk.text)[: max(state.stop_at - before + len(held), 0)]
                    if keep:
                        yield Chunk(keep, chunk.logprob)
                    return
                if bad is None:
                    accepted += chunk.text
                    held += chunk.text
                    if state.active is None and not held.endswith("."):
                        yield Chunk(held, chunk.logprob)
                        held = ""
                    continue
                assert isinstance(bad, int)
                violation = (chunk.text[:bad], chunk.text[bad:])
                if result.unguided is None:
                    result.unguided = accepted + violation[0]
                result.round_costs[-1].cut = violation[1]
                if not last:
                    break
                result.corrected = True
                yield Chunk(held + chunk.text, chunk.logprob)
                held = ""
        if state is None:  # the model wrote nothing: still, a name typed may want its end
            state = await ready
        ended_inside_name = violation is None and not last and _unfinished(session, state)
        if ended_inside_name:
            # The stream ended inside a name no legal word is (`field` of `fields`, the line's
            # end a stop string the server does not send): a violation at the end.
            violation = ("", "")
            if result.unguided is None:
                result.unguided = accepted
        if violation is None or last:
            if held:
                yield Chunk(held)
            return
        good, rest = violation
        result.corrected = True
        result.violations_prevented += 1
        accepted += good
        held += good
        found = await on_analysis(_repair, session, state, rest, len(held))
        if found is None:
            # Nothing legal to force (a premature `)`, a receiver with no member the model
            # could mean): the completion ends here, without a `.` no member can follow.
            if is_ident_char(rest[:1]):
                held = held.removesuffix(".")
            if held:
                yield Chunk(held)
            return
        assert isinstance(found, _Repair)
        if found.back:
            # The name is replaced whole: the text before it, then the repair, as if the model
            # had written that.
            accepted, held = accepted[: -found.back], held[: -found.back]
            kept = session.generated(state)[: -found.back]
            state = await on_analysis(_replayed, session, kept)
        word = found.word
        # A far miss, or a whole name the model tried to go on with (`handle_request_`): the
        # model's own next choice that is legal, where the backend can list its choices.
        if not found.near or not word:
            partial = session.constraint(state)[1]
            chosen = None
            if "top_tokens" in capabilities and isinstance(backend, TopTokens):
                chosen = await _probe(backend, replace(request, prefix=request.prefix + accepted),
                                      partial, found.words, ended_inside_name, result)
            if chosen is not None:
                word = chosen
            elif not found.near and request_extra(capabilities, *session.constraint(state)):
                constrain_next = found.words
                continue
        if session.feed(state, word) is not None or not word:
            if held:
                yield Chunk(held)
            return  # nothing to add: the model would only write the same again
        result.round_costs[-1].forced = word
        accepted += word
        forced_last = True
        yield Chunk(held + word)
        held = ""
        if ended_inside_name:
            return  # the model had finished: the name was all that was missing


async def _measured(stream_of: AsyncGenerator[Chunk, None],
                    result: GuidedResult) -> AsyncGenerator[Chunk, None]:
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


# Candidates asked for at a far miss (`top_tokens`): enough that a legal member among the
# model's choices is seldom missed, few enough to cost nothing next to the token itself.
TOP_TOKENS = 40


async def _probe(backend: TopTokens, request: CompletionRequest, partial: str,
                 words: Sequence[str], whole: bool, result: GuidedResult) -> str | None:
    """The model's own choice at a far miss, for one token: the likeliest of its `TOP_TOKENS`
    next tokens after `request`'s prompt that continues `partial` towards one of `words` (see
    `legal_token`); None when none does, or the backend could not answer. A round of `result`."""
    cost = RoundCost(probe=True)
    result.round_costs.append(cost)
    result.rounds += 1
    started = time.perf_counter()
    try:
        found = await backend.top_tokens(request, TOP_TOKENS)
    except ModelError:
        cost.took(started, None)
        return None  # the grammar round, as without the capability
    cost.took(started, found.timings)
    return legal_token(found.choices, partial, words, whole=whole)


def legal_token(choices: Sequence[TokenChoice], partial: str, words: Sequence[str], *,
                whole: bool = False) -> str | None:
    """What to write after `partial`: the first of `choices` (most probable first) that is all
    identifier characters and, after `partial`, starts one of `words` (best ranked first), or,
    when `partial` is one of `words`, that starts with no identifier character (the name ends
    there). The rest of the word when it is the only one that starts so, or with `whole`; else
    the token (the model goes on from it, checked as ever). None when no choice is legal."""
    for choice in choices:
        if partial in words and choice.text and not is_ident_char(choice.text[0]):
            return choice.text
        if not _IDENTIFIER.fullmatch(choice.text):
            continue  # a space, an operator: no name goes on with it
        name = partial + choice.text
        starting = [w for w in words if w.startswith(name)]
        if not starting:
            continue
        if len(starting) == 1 or (whole and name not in starting):
            return starting[0][len(partial):]
        return choice.text
    return None


# A repair by letters is trusted when the legal word is this similar to the attempted one
# (difflib ratio: `cls` -> `_cls` 0.86, `raw_headers` -> `headers` 0.78, `value` -> `values` 0.91).
NEAR_MISS = 0.7


@dataclass(frozen=True)
class _Repair:
    """How to go on after a violation: force `word` (the rest of the legal word closest to what
    the model tried) after taking back the last `back` characters (the start of the name), or,
    when it is no near miss, let the model choose among `words` under a grammar."""

    word: str
    near: bool
    back: int = 0
    words: tuple[str, ...] = ()


def _repair(session: Session, state: State, attempted: str, retractable: int) -> _Repair | None:
    """The repair at `state` of what the model `attempted` there; None when no word is legal.

    The legal words are the constraint's, those that start with what the name already has; but
    when those letters are among the last `retractable` characters written (not yet passed on)
    and no such word is a near miss, the name is taken back: any legal word closest to the whole
    name (`headers` for `raw_headers` after `raw_`), or the model's own choice among all of them
    (`get_` of `get_params` is no reason to choose among `get_*`). A
    dunder is never the repair of a name the model did not start with `_`: closest by letters
    (`__ne__` for `new_attr`) is not closest by meaning, nor is a grammar's first legal token
    (`__hash__` for `headers`). Not fed into `state`.
    """
    constraint, partial = session.constraint(state)
    if constraint is None or constraint.words is None:
        return None
    tried = partial + _identifier_start(attempted)
    words = [w for w in constraint.words if tried.startswith("_") or not w.startswith("__")]
    extending = [w for w in words if w.startswith(partial)]
    if not extending:
        return None
    best, near = _closest(extending, tried)
    if partial and not near and len(partial) <= retractable:
        # The letters the name has are the start of a word no legal one is: the model chooses
        # again from the name's start, among all the legal words.
        whole, whole_near = _closest(words, tried)
        return _Repair(whole, whole_near, back=len(partial), words=tuple(words))
    return _Repair(best[len(partial):], near, words=tuple(extending))


def _closest(words: list[str], tried: str) -> tuple[str, bool]:
    """The word of `words` (not empty, best ranked first) closest to `tried` by letters, and
    whether it is a near miss (`NEAR_MISS`)."""
    order = {w: i for i, w in enumerate(words)}

    def ratio(word: str) -> float:
        return difflib.SequenceMatcher(None, word, tried).ratio() if tried else 0.0

    def score(word: str) -> tuple[float, int, int]:
        common = len(_common_prefix(word, tried)) if tried else 0
        return (-ratio(word), -common, order[word])

    best = min(words, key=score)
    return best, ratio(best) >= NEAR_MISS


def _replayed(session: Session, generated: str) -> State:
    """A fresh state at the cursor advanced over `generated` (legal text: the monitors' answers
    for it are memoised, so no analysis runs again)."""
    state = session.start()
    session.feed(state, generated)
    return state


def _unfinished(session: Session, state: State) -> bool:
    """Whether `state` is inside a constrained name that is not yet one of its legal words."""
    constraint, partial = session.constraint(state)
    return bool(partial) and constraint is not None and not constraint.is_word(partial)


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

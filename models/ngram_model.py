"""The `ngram` model: an interpolated n-gram model over the workspace's own code, in-process.

This is not a neural model and knows nothing beyond the files it was trained on: it predicts each
lexer token (see `base.lexer`) from the `order - 1` before it with the counts of `models.ngram`.
In exchange it needs no weights, trains in about a second on a mid-sized project, retrains a file
incrementally as it changes, is deterministic, and exposes its exact next-token distribution (so
monitors can mask decoding exactly). It is an explicit choice (`model = "ngram"`) for what it is
good at: instant, deterministic, exact masks in tests. The fill-in-the-middle suffix is ignored:
the model only reads text to the left. This module is the backend: the async API, decoding
(greedy or sampled, guided by a `TokenGuide`) and prompt healing; `models.decoding` holds one
completion's state, its stop strings and loop detection.

Thread safety: every read and write of the counts holds one lock; the async API runs all work on a
dedicated single-thread executor, off the event loop, in small batches so cancellation is prompt.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
from collections.abc import AsyncGenerator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from typehole.base.lexer import lex, lex_tail

from .base import Chunk, CompletionRequest, NextTokens, TokenChoice
from .decoding import DecodeState, TokenGuide, looping, release
from .errors import ModelConfigError, ModelUnavailable
from .ngram import BOS_ID, MAX_ID, START, NgramCounts

__all__ = ["NgramModel", "START", "TokenGuide"]

_T = TypeVar("_T")

_STEPS_PER_HOP = 8  # decoding steps per executor call: small, so cancelling stops work promptly
_GUIDED_SAMPLE = 64  # a sampled guided step draws among the likeliest allowed tokens


class NgramModel:
    """The n-gram backend: a `Backend`, a `GuidedBackend` (exact masks) and a `WorkspaceLearner`.

    `order` is the n-gram order (4: a token is predicted from the three before it).
    Memory is bounded by the caps: files longer than `max_tokens_per_file` tokens are trained on
    their first `max_tokens_per_file` tokens only (generated or minified files), and when the
    model holds more than `max_total_tokens` tokens the least recently trained files are dropped.
    The default cap of 4M tokens is roughly a 300k-line Python project: 300k lines of Python
    (3.1M tokens) measured about 320 MB of resident memory at order 4, most of it the table of
    three-token contexts, and about 8 s to train from scratch.
    """

    name = "ngram"
    # Exact masks through `complete_guided`; its exact next-token ranking (`top_tokens`); its own
    # lexer counts tokens; no prose, no FIM.
    capabilities = frozenset({"exact_masks", "top_tokens", "tokenizer", "learns_workspace"})

    def __init__(
        self,
        order: int = 4,
        max_tokens_per_file: int = 200_000,
        max_total_tokens: int = 4_000_000,
    ) -> None:
        if not 1 <= order <= 8:
            raise ModelConfigError(f"n-gram model order must be between 1 and 8, not {order}")
        if max_tokens_per_file < 1 or max_total_tokens < 1:
            raise ModelConfigError("n-gram model token caps must be positive")
        if max_total_tokens + max_tokens_per_file >= MAX_ID:
            raise ModelConfigError(f"n-gram model caps must stay below {MAX_ID} tokens")
        self.order = order
        self.max_tokens_per_file = min(max_tokens_per_file, max_total_tokens)
        self.max_total_tokens = max_total_tokens
        self._counts = NgramCounts(order, max_total_tokens)
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="typehole-ngram")
        self._closed = False

    # ----------------------------------------------------------------------------------- training

    def train(self, path: str, text: str) -> None:
        """Add `path`'s tokens, replacing what the model learnt from an earlier version of it.

        Only the n-grams around the changed region are updated, so retraining after an edit costs
        time proportional to the edit (plus one pass comparing the token lists).
        """
        tokens = lex(text)[: self.max_tokens_per_file]
        with self._lock:
            self._counts.train(path, tokens)

    def remove(self, path: str) -> None:
        """Forget everything learnt from `path` (no-op when it was never trained)."""
        with self._lock:
            self._counts.remove(path)

    async def atrain(self, path: str, text: str) -> None:
        """`train` on the model's executor, off the event loop."""
        await self._run(self.train, path, text)

    async def aremove(self, path: str) -> None:
        """`remove` on the model's executor, off the event loop."""
        await self._run(self.remove, path)

    @property
    def files(self) -> list[str]:
        """Paths the model currently holds, least recently trained first."""
        with self._lock:
            return list(self._counts.files)

    def stats(self) -> dict[str, int]:
        """Sizes for status reports: files, tokens, vocabulary, contexts per order, evictions."""
        with self._lock:
            return self._counts.stats()

    # ------------------------------------------------------------------------------ distributions

    def tokenize(self, text: str) -> list[str]:
        """The model's tokens for `text` (the lexer's)."""
        return lex(text)

    def token_probability(self, context: Sequence[str], token: str) -> float:
        """P(token | context) under the model; every token gets a positive probability.

        Tokens never seen share one add-one bucket. `START` in the context marks a file's start.
        """
        with self._lock:
            return self._counts.token_probability(context, token)

    def next_token_distribution(
        self, context: Sequence[str], limit: int | None = None
    ) -> dict[str, float]:
        """Exact probabilities of the likeliest next tokens, most likely first.

        The candidates are every token seen after any suffix of `context` plus the most frequent
        tokens overall; any other token is no likelier than the least likely frequent one, so the
        top of this list is the model's true top. `limit` keeps only the first `limit` entries.
        """
        with self._lock:
            return self._counts.ranked(context, limit)

    async def top_tokens(self, request: CompletionRequest, n: int) -> NextTokens:
        """The `n` likeliest next tokens after `request.context + request.prefix`, exactly
        (`next_token_distribution`), the prompt's last token taken as whole (no healing)."""
        return await self._run(self._top_tokens, request, n)

    def _top_tokens(self, request: CompletionRequest, n: int) -> NextTokens:
        pad = max(self.order - 1, 0)
        tail = lex_tail(request.context + request.prefix, pad)
        ranked = self.next_token_distribution([START] * (pad - len(tail)) + tail)
        choices = [TokenChoice(t, math.log(p)) for t, p in ranked.items() if t != START]
        return NextTokens(tuple(choices[:n]))

    # --------------------------------------------------------------------------------- completion

    def count_tokens(self, text: str) -> int:
        """Number of the model's tokens in `text` (exact: its own lexer)."""
        return len(lex(text))

    async def complete(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        """Stream a continuation of `request.context + request.prefix`, about one chunk per token.

        Greedy (ties broken by token text) at temperature 0; otherwise sampled with a generator
        seeded by `request.extra["seed"]` (default 0). Stops at `max_tokens`, at the first stop
        string (text before it is yielded, the stop itself is not), or on a degenerate loop.
        """
        async for chunk in self._decode(request, None):
            yield chunk

    async def complete_guided(
        self, request: CompletionRequest, guide: TokenGuide
    ) -> AsyncGenerator[Chunk, None]:
        """`complete`, picking only tokens `guide` allows (exact masking of the distribution).

        At each step the likeliest allowed token wins (or is sampled among the allowed ones);
        tokens the guide proposes that the model never saw get the unseen-token probability.
        The completion ends when no candidate is allowed or the guide is done.
        """
        async for chunk in self._decode(request, guide):
            yield chunk

    async def _decode(
        self, request: CompletionRequest, guide: TokenGuide | None
    ) -> AsyncGenerator[Chunk, None]:
        state = await self._run(self._start, request, guide)
        while True:
            # Runs once even when `_start` finished the completion, to release its pending text.
            chunks = await self._run(self._steps, state, _STEPS_PER_HOP)
            for chunk in chunks:
                yield chunk
            if state.done:
                return

    async def aclose(self) -> None:
        """Stop the executor; queued work is cancelled and later calls raise ModelUnavailable."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        if self._closed:
            raise ModelUnavailable("the n-gram model is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except RuntimeError as exc:  # submitting after shutdown
            if self._closed:
                raise ModelUnavailable("the n-gram model is closed") from exc
            raise

    def _start(self, request: CompletionRequest, guide: TokenGuide | None = None) -> DecodeState:
        n = max(self.order - 1, 0) + 1  # one more: the last token may be healed
        text = request.context + request.prefix
        tail = lex_tail(text, n)
        context = [START] * (n - len(tail)) + tail
        # A prompt that ends in a name a repair wrote in full ends at a token boundary.
        healable = request.prefix and not request.at_token_end and context[-1] != START
        partial = context.pop() if healable else None
        temperature = max(request.temperature, 0.0)
        seed = request.extra.get("seed", 0)
        state = DecodeState(
            context=context[-(self.order - 1) :] if self.order > 1 else [],
            partial=partial,
            max_tokens=request.max_tokens,
            stops=tuple(s for s in request.stop if s),
            temperature=temperature,
            rng=random.Random(seed if isinstance(seed, int | str) else 0),
            guide=guide,
        )
        if partial is None:
            state.seen.add(tuple(state.context))
        with self._lock:
            if self._counts.total == 0 or request.max_tokens <= 0:
                state.done = True
            elif partial is not None:
                self._heal(state, partial)
        return state

    def _heal(self, state: DecodeState, partial: str) -> None:
        """Let the first token extend the prompt's last token, which may be half typed.

        The prompt "def __in" ends in the token "__in", which the model never saw; instead the
        context stops before it, and the first generated token must start with "__in".
        """
        counts = self._counts
        ids = [counts.lookup(t) for t in state.context]
        probs = counts.distribution(ids)
        strings = counts.strings
        levels = counts.levels(ids)
        best = (counts.probability(levels, counts.lookup(partial)), partial)
        options = [(p, strings[tid]) for tid, p in probs.items()]
        guide = state.guide
        if guide is not None:
            options += [
                (counts.probability(levels, counts.lookup(w)), w) for w in guide.proposals()
            ]
        for p, text in options:
            if text.startswith(partial) and (p > best[0] or (p == best[0] and text < best[1])):
                if guide is None or guide.allows(text[len(partial) :]):
                    best = (p, text)
        if best[1] == partial:
            self._push(state, partial)
            state.seen.add(tuple(state.context))
        else:
            self._emit(state, best[1], best[1][len(partial) :], math.log(best[0]))

    def _push(self, state: DecodeState, token: str) -> None:
        if self.order > 1:
            state.context.append(token)
            del state.context[: -(self.order - 1)]

    def _steps(self, state: DecodeState, n: int) -> list[Chunk]:
        """Run up to `n` decoding steps; return the chunks they release."""
        out: list[Chunk] = []
        with self._lock:
            for _ in range(n):
                if state.done or (state.guide is not None and state.guide.done):
                    state.done = True
                    break
                if len(state.generated) >= state.max_tokens:
                    state.done = True
                    break
                picked = self._pick(state)
                if picked is None:
                    state.done = True
                    break
                token, p = picked
                self._emit(state, token, token, math.log(p))
                if looping(state):
                    state.done = True
                chunk = release(state)
                if chunk is not None:
                    out.append(chunk)
            if state.done and state.pending:
                out.append(Chunk(state.pending, state.pending_logprob))
                state.pending = ""
        return out

    def _pick(self, state: DecodeState) -> tuple[str, float] | None:
        counts = self._counts
        ids = [counts.lookup(t) for t in state.context]
        if state.guide is not None:
            return self._pick_guided(state, ids, state.guide)
        if state.temperature == 0.0:
            best = counts.argmax(ids)
            return None if best is None else (counts.strings[best[0]], best[1])
        probs = counts.distribution(ids)
        if not probs:
            return None
        ordered = sorted(probs.items(), key=lambda item: counts.strings[item[0]])
        # exp((log p - log p_max) / T) is p ** (1 / T) rescaled, without underflowing to all zeros.
        top = math.log(max(probs.values()))
        weights = [math.exp((math.log(p) - top) / state.temperature) for _, p in ordered]
        tid, p = state.rng.choices(ordered, weights=weights)[0]
        return counts.strings[tid], p

    def _pick_guided(
        self, state: DecodeState, ids: list[int], guide: TokenGuide
    ) -> tuple[str, float] | None:
        """The best (or a sampled) token among those `guide` allows; None when none is."""
        counts = self._counts
        strings = counts.strings
        if state.temperature == 0.0:
            best = counts.argmax(ids)
            if best is not None and guide.allows(strings[best[0]]):
                return strings[best[0]], best[1]  # the common case: no full ranking needed
        levels = counts.levels(ids)
        probs = counts.distribution(ids)
        options = {strings[tid]: p for tid, p in probs.items() if tid != BOS_ID}
        for word in guide.proposals():
            if word and word not in options:
                options[word] = counts.probability(levels, counts.lookup(word))
        ranked = sorted(options.items(), key=lambda item: (-item[1], item[0]))
        if state.temperature == 0.0:
            return next(((t, p) for t, p in ranked if guide.allows(t)), None)
        allowed = [(t, p) for t, p in ranked[:_GUIDED_SAMPLE] if guide.allows(t)]
        if not allowed:
            return next(((t, p) for t, p in ranked if guide.allows(t)), None)
        top = math.log(allowed[0][1])
        weights = [math.exp((math.log(p) - top) / state.temperature) for _, p in allowed]
        return state.rng.choices(allowed, weights=weights)[0]

    def _emit(self, state: DecodeState, token: str, text: str, logprob: float) -> None:
        """Record a generated token and queue its text; a stop string ends the completion."""
        state.generated.append(token)
        self._push(state, token)
        if state.guide is not None and text:
            state.guide.advance(text)
        state.pending += text
        state.pending_logprob += logprob
        cut = min((i for i in (state.pending.find(s) for s in state.stops) if i >= 0), default=-1)
        if cut >= 0:
            state.pending = state.pending[:cut]
            state.done = True

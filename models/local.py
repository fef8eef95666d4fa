"""The embedded default model `local`: an interpolated n-gram model over the workspace's own code.

This is not a neural model and knows nothing beyond the files it was trained on. It counts, for
each run of up to `order - 1` lexer tokens (see `models.lexer`), which token followed it in the
workspace, and predicts with Witten-Bell interpolation down to an add-one unigram. In exchange it
needs no weights, trains in about a second on a mid-sized project, retrains a file incrementally as
it changes, is deterministic, and exposes its exact next-token distribution (so monitors can mask
decoding exactly). The fill-in-the-middle suffix is ignored: the model only reads text to the left.

Thread safety: every read and write of the counts holds one lock; the async API runs all work on a
dedicated single-thread executor, off the event loop, in small batches so cancellation is prompt.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import random
import threading
from array import array
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from .base import Chunk, CompletionRequest
from .errors import ModelConfigError, ModelUnavailable
from .lexer import lex, lex_tail

__all__ = ["LocalModel", "START", "TokenGuide"]

_T = TypeVar("_T")

START = ""
"""The token standing for the start of a file in contexts (the lexer never produces "")."""

# Contexts of up to `order - 1` token ids are packed into one int, `_BITS` bits per id: one int
# key is far smaller than a tuple of ints in a dict with millions of entries.
_BITS = 24
_MAX_ID = (1 << _BITS) - 1
_BOS = 0  # id of START; real tokens get ids from 1
_UNKNOWN = -2  # id of a token never seen (not -1, which is `_TOTAL`)
# A context's follower dict also stores the context's total count under this key, which saves a
# second dict of millions of entries; no token id is negative.
_TOTAL = -1
_TOP_UNIGRAMS = 8
_STEPS_PER_HOP = 8  # decoding steps per executor call: small, so cancelling stops work promptly
_SORTED_CACHE = 256
_SORTED_KEEP = 32  # cached head of a one-token context's ranking; deeper walks rescan
# A sampled (temperature > 0) completion stops when its last tokens are one cycle of at most
# `_CYCLE_MAX` tokens repeated `_CYCLE_REPEATS` times.
_CYCLE_MAX = 8
_CYCLE_REPEATS = 4
_GUIDED_SAMPLE = 64  # a sampled guided step draws among the likeliest allowed tokens


class _Counts:
    """N-gram count tables keyed by token ids; not thread safe (LocalModel holds the lock)."""

    def __init__(self, order: int) -> None:
        self.order = order
        self.ids: dict[str, int] = {}
        self.strings: list[str] = [START]
        self.free: list[int] = []
        self.unigram: list[int] = [0]
        self.total = 0
        # followers[k][packed context of k + 1 ids] -> {next id: count, _TOTAL: sum of counts}
        self.followers: list[dict[int, dict[int, int]]] = [{} for _ in range(order - 1)]
        self.version = 0  # bumped on every change; invalidates caches derived from the counts

    def lookup(self, token: str) -> int:
        """Id of `token`, `_BOS` for START, `_UNKNOWN` when it was never seen."""
        if token == START:
            return _BOS
        return self.ids.get(token, _UNKNOWN)

    def intern(self, token: str) -> int:
        tid = self.ids.get(token)
        if tid is None:
            if self.free:
                tid = self.free.pop()
                self.strings[tid] = token
            else:
                tid = len(self.strings)
                if tid > _MAX_ID:
                    raise ModelConfigError("local model vocabulary exceeds its id space")
                self.strings.append(token)
                self.unigram.append(0)
            self.ids[token] = tid
        return tid

    def release_unused(self, ids: Iterable[int]) -> None:
        """Forget tokens no file contains any more, so edits do not grow the vocabulary forever."""
        for tid in set(ids):
            if tid != _BOS and self.unigram[tid] == 0 and self.strings[tid] in self.ids:
                del self.ids[self.strings[tid]]
                self.strings[tid] = START
                self.free.append(tid)

    def apply(self, padded: Sequence[int], lo: int, hi: int, delta: int) -> None:
        """Add (`delta` 1) or subtract (-1) the n-grams ending at `padded[lo:hi]`.

        `padded` is a file's ids after `order - 1` START ids, so every position has a full context.
        """
        lo = max(lo, self.order - 1)
        if hi <= lo:
            return
        self.version += 1
        unigram = self.unigram
        followers = self.followers
        for j in range(lo, hi):
            w = padded[j]
            unigram[w] += delta
            key = 0
            for k, table in enumerate(followers):
                key |= padded[j - 1 - k] << (_BITS * k)
                counts = table.get(key)
                if delta > 0:
                    if counts is None:
                        table[key] = {_TOTAL: 1, w: 1}
                    else:
                        counts[_TOTAL] += 1
                        counts[w] = counts.get(w, 0) + 1
                else:
                    assert counts is not None
                    if counts[_TOTAL] == 1:
                        del table[key]
                        continue
                    counts[_TOTAL] -= 1
                    c = counts[w] - 1
                    if c:
                        counts[w] = c
                    else:
                        del counts[w]
        self.total += delta * (hi - lo)

    def levels(self, context: Sequence[int]) -> list[dict[int, int]]:
        """Follower tables of the seen suffixes of `context`, shortest (order 2) first."""
        out: list[dict[int, int]] = []
        key = 0
        n = len(context)
        for k, table in enumerate(self.followers):
            if k >= n:
                break
            tid = context[n - 1 - k]
            if tid < 0:
                break
            key |= tid << (_BITS * k)
            counts = table.get(key)
            if counts is None:
                break  # a longer context is unseen when its suffix is
            out.append(counts)
        return out

    def unigram_scale(self) -> float:
        """1 / (tokens + vocabulary + 1): the add-one unigram's normaliser (one unseen bucket)."""
        return 1.0 / (self.total + len(self.ids) + 1)

    def probability(self, levels: list[dict[int, int]], tid: int) -> float:
        """Witten-Bell: P_k(w) = (c(h,w) + T(h) P_{k-1}(w)) / (c(h) + T(h))."""
        if tid < 0:
            tid = _BOS  # never counted, never a follower: the unseen bucket
        p = (self.unigram[tid] + 1) * self.unigram_scale()
        for counts in levels:
            total = counts[_TOTAL]
            distinct = len(counts) - 1
            p = (counts.get(tid, 0) + distinct * p) / (total + distinct)
        return p


class TokenGuide(Protocol):
    """Constrains decoding exactly (monitors): which token texts may come next.

    Called on the model's thread with its lock held, so it must be quick or fail open.
    """

    @property
    def done(self) -> bool:
        """True once the guide wants the completion to end."""
        ...

    def allows(self, text: str) -> bool:
        """Whether `text` may be emitted next."""
        ...

    def advance(self, text: str) -> None:
        """`text` was emitted."""
        ...

    def proposals(self) -> Sequence[str]:
        """Tokens the guide allows that the model may never have seen (e.g. member names)."""
        ...


@dataclass
class _Decode:
    """One completion's state between executor hops."""

    context: list[str]
    partial: str | None
    max_tokens: int
    stops: tuple[str, ...]
    temperature: float
    rng: random.Random
    generated: list[str] = field(default_factory=list)
    seen: set[tuple[str, ...]] = field(default_factory=set)
    pending: str = ""
    pending_logprob: float = 0.0
    done: bool = False
    guide: TokenGuide | None = None


class LocalModel:
    """The embedded n-gram backend (`Backend` and `TokenDistributionModel`).

    `order` is the n-gram order (4: a token is predicted from the three before it).
    Memory is bounded by the caps: files longer than `max_tokens_per_file` tokens are trained on
    their first `max_tokens_per_file` tokens only (generated or minified files), and when the
    model holds more than `max_total_tokens` tokens the least recently trained files are dropped.
    The default cap of 4M tokens is roughly a 300k-line Python project: 300k lines of Python
    (3.1M tokens) measured about 320 MB of resident memory at order 4, most of it the table of
    three-token contexts, and about 8 s to train from scratch.
    """

    name = "local"

    def __init__(
        self,
        order: int = 4,
        max_tokens_per_file: int = 200_000,
        max_total_tokens: int = 4_000_000,
    ) -> None:
        if not 1 <= order <= 8:
            raise ModelConfigError(f"local model order must be between 1 and 8, not {order}")
        if max_tokens_per_file < 1 or max_total_tokens < 1:
            raise ModelConfigError("local model token caps must be positive")
        if max_total_tokens + max_tokens_per_file >= _MAX_ID:
            raise ModelConfigError(f"local model caps must stay below {_MAX_ID} tokens")
        self.order = order
        self.max_tokens_per_file = min(max_tokens_per_file, max_total_tokens)
        self.max_total_tokens = max_total_tokens
        self._counts = _Counts(order)
        # path -> ids of the file after `order - 1` START ids, least recently trained first.
        self._files: OrderedDict[str, array[int]] = OrderedDict()
        self._evicted = 0
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="typehole-local")
        self._closed = False
        self._cache_version = -1
        self._top: list[int] = []
        self._sorted: OrderedDict[int, list[int]] = OrderedDict()

    # ----------------------------------------------------------------------------------- training

    def train(self, path: str, text: str) -> None:
        """Add `path`'s tokens, replacing what the model learnt from an earlier version of it.

        Only the n-grams around the changed region are updated, so retraining after an edit costs
        time proportional to the edit (plus one pass comparing the token lists).
        """
        tokens = lex(text)[: self.max_tokens_per_file]
        with self._lock:
            counts = self._counts
            pad = self.order - 1
            old = self._files.pop(path, None)
            if old is None:
                old = array("I", [_BOS] * pad)
            # Compare by id without interning, so a token that disappears can be released.
            new_known = [counts.lookup(t) for t in tokens]
            start, old_end, new_end = _changed_region(old, new_known, pad)
            # n-grams ending within order - 1 tokens after the change read changed context.
            counts.apply(old, start, min(len(old), old_end + pad), -1)
            new = array("I", old[:start])
            new.extend(counts.intern(t) for t in tokens[start - pad :])
            counts.apply(new, start, min(len(new), new_end + pad), 1)
            counts.release_unused(old[start : old_end + pad])
            self._files[path] = new
            self._evict(keep=path)

    def remove(self, path: str) -> None:
        """Forget everything learnt from `path` (no-op when it was never trained)."""
        with self._lock:
            old = self._files.pop(path, None)
            if old is not None:
                self._counts.apply(old, 0, len(old), -1)
                self._counts.release_unused(old)

    def _evict(self, keep: str) -> None:
        while self._counts.total > self.max_total_tokens and len(self._files) > 1:
            path, ids = next(iter(self._files.items()))
            if path == keep:
                break
            del self._files[path]
            self._counts.apply(ids, 0, len(ids), -1)
            self._counts.release_unused(ids)
            self._evicted += 1

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
            return list(self._files)

    def stats(self) -> dict[str, int]:
        """Sizes for status reports: files, tokens, vocabulary, contexts per order, evictions."""
        with self._lock:
            out = {
                "files": len(self._files),
                "tokens": self._counts.total,
                "vocabulary": len(self._counts.ids),
                "evicted_files": self._evicted,
            }
            for k, table in enumerate(self._counts.followers):
                out[f"contexts_{k + 1}"] = len(table)
            return out

    # ------------------------------------------------------------------------------ distributions

    def tokenize(self, text: str) -> list[str]:
        """The model's tokens for `text` (the lexer's)."""
        return lex(text)

    def token_probability(self, context: Sequence[str], token: str) -> float:
        """P(token | context) under the model; every token gets a positive probability.

        Tokens never seen share one add-one bucket. `START` in the context marks a file's start.
        """
        with self._lock:
            counts = self._counts
            levels = counts.levels(self._ids(context))
            tid = counts.lookup(token) if token != START else _UNKNOWN
            return counts.probability(levels, tid)

    def next_token_distribution(
        self, context: Sequence[str], limit: int | None = None
    ) -> dict[str, float]:
        """Exact probabilities of the likeliest next tokens, most likely first.

        The candidates are every token seen after any suffix of `context` plus the most frequent
        tokens overall; any other token is no likelier than the least likely frequent one, so the
        top of this list is the model's true top. `limit` keeps only the first `limit` entries.
        """
        with self._lock:
            probs = self._candidates(self._ids(context))
            strings = self._counts.strings
            ranked = sorted(probs.items(), key=lambda item: (-item[1], strings[item[0]]))
            if limit is not None:
                ranked = ranked[:limit]
            return {strings[tid]: p for tid, p in ranked}

    def _ids(self, context: Sequence[str]) -> list[int]:
        if self.order == 1:
            return []
        return [self._counts.lookup(t) for t in context[-(self.order - 1) :]]

    def _refresh(self) -> None:
        """Drop caches derived from counts that have changed since."""
        counts = self._counts
        if self._cache_version != counts.version:
            self._cache_version = counts.version
            self._sorted.clear()
            live = (tid for tid in counts.ids.values())
            self._top = heapq.nsmallest(
                _TOP_UNIGRAMS, live, key=lambda t: (-counts.unigram[t], counts.strings[t])
            )

    def _candidates(self, context: Sequence[int]) -> dict[int, float]:
        """id -> exact probability for the followers of `context`'s suffixes and top unigrams.

        All tokens share the factor T/(c+T) at each level, so probabilities are kept as
        `scale * value` and only the followers' values are touched: cost is the number of
        followers, not the vocabulary.
        """
        self._refresh()
        counts = self._counts
        z = counts.unigram_scale()
        unigram = counts.unigram
        values = {tid: (unigram[tid] + 1) * z for tid in self._top}
        scale = 1.0
        for table in counts.levels(context):
            total = table[_TOTAL]
            distinct = len(table) - 1
            scale *= distinct / (total + distinct)
            inv = 1.0 / ((total + distinct) * scale)
            for tid, c in table.items():
                if tid != _TOTAL:
                    base = values.get(tid)
                    if base is None:
                        base = (unigram[tid] + 1) * z
                    values[tid] = base + c * inv
        return {tid: v * scale for tid, v in values.items()}

    def _argmax(self, context: Sequence[int]) -> tuple[int, float] | None:
        """The likeliest next id (ties: smallest text) and its probability, without a full pass.

        Below the shortest context's level, a token's value depends only on that context, so its
        candidates are sorted once per model version; the longer contexts' followers are few.
        """
        self._refresh()
        counts = self._counts
        if not self._top:
            return None
        levels = counts.levels(context)
        if not levels:
            tid = self._top[0]
            return tid, counts.probability(levels, tid)
        strings = counts.strings
        upper: set[int] = set()
        for table in levels[1:]:
            upper.update(table)
        upper.discard(_TOTAL)
        best: tuple[float, str, int] | None = None
        for tid in upper:
            p = counts.probability(levels, tid)
            if best is None or p > best[0] or (p == best[0] and strings[tid] < best[1]):
                best = (p, strings[tid], tid)
        lower = self._first_level_best(context[-1], levels[0], upper)
        if lower is not None:
            p = counts.probability(levels, lower)
            if best is None or p > best[0] or (p == best[0] and strings[lower] < best[1]):
                best = (p, strings[lower], lower)
        assert best is not None
        return best[2], best[0]

    def _first_level_best(self, last: int, table: dict[int, int], skip: set[int]) -> int | None:
        """The best id outside `skip` by its probability under the one-token context alone.

        Candidates are that context's followers plus the top unigrams (any other token is below
        those). The head of each ranking is cached until the counts change.
        """
        counts = self._counts
        strings = counts.strings
        level = [table]

        def rank(tid: int) -> tuple[float, str]:
            return (-counts.probability(level, tid), strings[tid])

        head = self._sorted.get(last)
        if head is None:
            ids = set(table)
            ids.discard(_TOTAL)
            ids.update(self._top)
            head = heapq.nsmallest(_SORTED_KEEP, ids, key=rank)
            self._sorted[last] = head
            if len(self._sorted) > _SORTED_CACHE:
                self._sorted.popitem(last=False)
        for tid in head:
            if tid not in skip:
                return tid
        rest = [tid for tid in table if tid != _TOTAL and tid not in skip]
        rest.extend(tid for tid in self._top if tid not in skip)
        return min(rest, key=rank) if rest else None

    # --------------------------------------------------------------------------------- completion

    async def count_tokens(self, text: str) -> int:
        """Number of the model's tokens in `text`."""
        return len(lex(text))

    async def complete(self, request: CompletionRequest) -> AsyncIterator[Chunk]:
        """Stream a continuation of `request.context + request.prefix`, about one chunk per token.

        Greedy (ties broken by token text) at temperature 0; otherwise sampled with a generator
        seeded by `request.extra["seed"]` (default 0). Stops at `max_tokens`, at the first stop
        string (text before it is yielded, the stop itself is not), or on a degenerate loop.
        """
        async for chunk in self._decode(request, None):
            yield chunk

    async def complete_guided(
        self, request: CompletionRequest, guide: TokenGuide
    ) -> AsyncIterator[Chunk]:
        """`complete`, picking only tokens `guide` allows (exact masking of the distribution).

        At each step the likeliest allowed token wins (or is sampled among the allowed ones);
        tokens the guide proposes that the model never saw get the unseen-token probability.
        The completion ends when no candidate is allowed or the guide is done.
        """
        async for chunk in self._decode(request, guide):
            yield chunk

    async def _decode(
        self, request: CompletionRequest, guide: TokenGuide | None
    ) -> AsyncIterator[Chunk]:
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
            raise ModelUnavailable("the local model is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except RuntimeError as exc:  # submitting after shutdown
            if self._closed:
                raise ModelUnavailable("the local model is closed") from exc
            raise

    def _start(self, request: CompletionRequest, guide: TokenGuide | None = None) -> _Decode:
        n = max(self.order - 1, 0) + 1  # one more: the last token may be healed
        text = request.context + request.prefix
        tail = lex_tail(text, n)
        context = [START] * (n - len(tail)) + tail
        partial = context.pop() if request.prefix and context[-1] != START else None
        temperature = max(request.temperature, 0.0)
        seed = request.extra.get("seed", 0)
        state = _Decode(
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

    def _heal(self, state: _Decode, partial: str) -> None:
        """Let the first token extend the prompt's last token, which may be half typed.

        The prompt "def __in" ends in the token "__in", which the model never saw; instead the
        context stops before it, and the first generated token must start with "__in".
        """
        counts = self._counts
        ids = [counts.lookup(t) for t in state.context]
        probs = self._candidates(ids)
        strings = counts.strings
        levels = counts.levels(ids)
        best = (counts.probability(levels, counts.lookup(partial)), partial)
        options = [(p, strings[tid]) for tid, p in probs.items()]
        guide = state.guide
        if guide is not None:
            options += [(counts.probability(levels, counts.lookup(w)), w)
                        for w in guide.proposals()]
        for p, text in options:
            if text.startswith(partial) and (p > best[0] or (p == best[0] and text < best[1])):
                if guide is None or guide.allows(text[len(partial) :]):
                    best = (p, text)
        if best[1] == partial:
            self._push(state, partial)
            state.seen.add(tuple(state.context))
        else:
            self._emit(state, best[1], best[1][len(partial) :], math.log(best[0]))

    def _push(self, state: _Decode, token: str) -> None:
        if self.order > 1:
            state.context.append(token)
            del state.context[: -(self.order - 1)]

    def _steps(self, state: _Decode, n: int) -> list[Chunk]:
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
                if self._looping(state):
                    state.done = True
                chunk = self._release(state)
                if chunk is not None:
                    out.append(chunk)
            if state.done and state.pending:
                out.append(Chunk(state.pending, state.pending_logprob))
                state.pending = ""
        return out

    def _pick(self, state: _Decode) -> tuple[str, float] | None:
        counts = self._counts
        ids = [counts.lookup(t) for t in state.context]
        if state.guide is not None:
            return self._pick_guided(state, ids, state.guide)
        if state.temperature == 0.0:
            best = self._argmax(ids)
            return None if best is None else (counts.strings[best[0]], best[1])
        probs = self._candidates(ids)
        if not probs:
            return None
        ordered = sorted(probs.items(), key=lambda item: counts.strings[item[0]])
        # exp((log p - log p_max) / T) is p ** (1 / T) rescaled, without underflowing to all zeros.
        top = math.log(max(probs.values()))
        weights = [math.exp((math.log(p) - top) / state.temperature) for _, p in ordered]
        tid, p = state.rng.choices(ordered, weights=weights)[0]
        return counts.strings[tid], p

    def _pick_guided(
        self, state: _Decode, ids: list[int], guide: TokenGuide
    ) -> tuple[str, float] | None:
        """The best (or a sampled) token among those `guide` allows; None when none is."""
        counts = self._counts
        strings = counts.strings
        if state.temperature == 0.0:
            best = self._argmax(ids)
            if best is not None and guide.allows(strings[best[0]]):
                return strings[best[0]], best[1]  # the common case: no full ranking needed
        levels = counts.levels(ids)
        probs = self._candidates(ids)
        options = {strings[tid]: p for tid, p in probs.items() if tid != _BOS}
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

    def _emit(self, state: _Decode, token: str, text: str, logprob: float) -> None:
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

    def _looping(self, state: _Decode) -> bool:
        """Whether the rest of the completion would only repeat itself.

        At temperature 0 the next token is a function of the last `order - 1` tokens, so once
        such a context recurs, the output from there on is the same cycle forever. A sampled
        completion is only stopped once a short cycle has visibly repeated.
        """
        if state.done:
            return False
        if state.temperature == 0.0:
            key = tuple(state.context)
            if key in state.seen:
                return True
            state.seen.add(key)
            return False
        gen = state.generated
        for period in range(1, _CYCLE_MAX + 1):
            span = period * _CYCLE_REPEATS
            if len(gen) >= span and all(
                gen[-i] == gen[-i - period] for i in range(1, span - period + 1)
            ):
                return True
        return False

    def _release(self, state: _Decode) -> Chunk | None:
        """Take the pending text that cannot be the start of a stop string."""
        if state.done:
            return None
        keep = 0
        text = state.pending
        for stop in state.stops:
            for k in range(min(len(stop) - 1, len(text)), keep, -1):
                if text.endswith(stop[:k]):
                    keep = k
                    break
        ready = text[: len(text) - keep]
        if not ready:
            return None
        chunk = Chunk(ready, state.pending_logprob)
        state.pending = text[len(text) - keep :]
        state.pending_logprob = 0.0
        return chunk


def _changed_region(old: Sequence[int], new: Sequence[int], pad: int) -> tuple[int, int, int]:
    """Where `new` (unpadded, -1 for unknown tokens) differs from `old` (padded).

    Returns (start, old_end, new_end) as positions in the padded lists: `old[start:old_end]` was
    replaced by the padded new list's `[start:new_end]`; both share what lies outside.
    """
    n_old, n_new = len(old), len(new) + pad
    start = pad
    limit = min(n_old, n_new)
    while start < limit and old[start] == new[start - pad]:
        start += 1
    common = 0
    while common < limit - start and old[n_old - 1 - common] == new[n_new - 1 - common - pad]:
        common += 1
    return start, n_old - common, n_new - common

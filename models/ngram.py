"""N-gram statistics of the embedded `local` model: per-file token ids, counts, probabilities.

`NgramCounts` counts, for each run of up to `order - 1` lexer tokens (see `models.lexer`), which
token followed it in the files it holds, and predicts with Witten-Bell interpolation down to an
add-one unigram. A file is retrained incrementally (only the n-grams around the changed region),
tokens no file contains any more leave the vocabulary, and past a token cap the least recently
trained files are evicted. Plain data structures only: no locks, no asyncio, no executor; the
caller serialises access (`models.ngram_model.NgramModel` holds one lock around every call).
"""

from __future__ import annotations

import heapq
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from cachetools import FIFOCache

from .errors import ModelConfigError

__all__ = ["BOS_ID", "MAX_ID", "NgramCounts", "START", "UNKNOWN_ID"]

START = ""
"""The token standing for the start of a file in contexts (the lexer never produces "")."""

# Contexts of up to `order - 1` token ids are packed into one int, `_BITS` bits per id: one int
# key is far smaller than a tuple of ints in a dict with millions of entries.
_BITS = 24
MAX_ID = (1 << _BITS) - 1
"""The largest token id; the model's token caps must stay below it."""
BOS_ID = 0
"""Id of START; real tokens get ids from 1."""
UNKNOWN_ID = -2
"""Id of a token never seen (not -1, which is `_TOTAL`)."""
# A context's follower dict also stores the context's total count under this key, which saves a
# second dict of millions of entries; no token id is negative.
_TOTAL = -1
_TOP_UNIGRAMS = 8
_SORTED_CACHE = 256
_SORTED_KEEP = 32  # cached head of a one-token context's ranking; deeper walks rescan


class NgramCounts:
    """N-gram count tables over token ids for a set of files; not thread safe.

    `order` is the n-gram order; when the files hold more than `max_total_tokens` tokens, the
    least recently trained files are dropped (never the one just trained).
    """

    def __init__(self, order: int, max_total_tokens: int) -> None:
        self.order = order
        self.max_total_tokens = max_total_tokens
        self.ids: dict[str, int] = {}
        self.strings: list[str] = [START]  # id -> token text
        self.free: list[int] = []
        self.unigram: list[int] = [0]
        self.total = 0
        # followers[k][packed context of k + 1 ids] -> {next id: count, _TOTAL: sum of counts}
        self.followers: list[dict[int, dict[int, int]]] = [{} for _ in range(order - 1)]
        self.version = 0  # bumped on every change; invalidates caches derived from the counts
        # path -> ids of the file after `order - 1` START ids, least recently trained first.
        self.files: OrderedDict[str, array[int]] = OrderedDict()
        self.evicted = 0
        self._cache_version = -1
        self._top: list[int] = []
        self._sorted: FIFOCache[int, list[int]] = FIFOCache(maxsize=_SORTED_CACHE)

    # ----------------------------------------------------------------------------------- training

    def train(self, path: str, tokens: Sequence[str]) -> None:
        """Hold `tokens` as `path`'s content, replacing an earlier version of it.

        Only the n-grams around the changed region are updated, so retraining after an edit costs
        time proportional to the edit (plus one pass comparing the token lists).
        """
        pad = self.order - 1
        old = self.files.pop(path, None)
        if old is None:
            old = array("I", [BOS_ID] * pad)
        # Compare by id without interning, so a token that disappears can be released.
        new_known = [self.lookup(t) for t in tokens]
        start, old_end, new_end = _changed_region(old, new_known, pad)
        # n-grams ending within order - 1 tokens after the change read changed context.
        self._apply(old, start, min(len(old), old_end + pad), -1)
        new = array("I", old[:start])
        new.extend(self._intern(t) for t in tokens[start - pad :])
        self._apply(new, start, min(len(new), new_end + pad), 1)
        self._release_unused(old[start : old_end + pad])
        self.files[path] = new
        self._evict(keep=path)

    def remove(self, path: str) -> None:
        """Forget everything learnt from `path` (no-op when it was never trained)."""
        old = self.files.pop(path, None)
        if old is not None:
            self._apply(old, 0, len(old), -1)
            self._release_unused(old)

    def _evict(self, keep: str) -> None:
        while self.total > self.max_total_tokens and len(self.files) > 1:
            path, ids = next(iter(self.files.items()))
            if path == keep:
                break
            del self.files[path]
            self._apply(ids, 0, len(ids), -1)
            self._release_unused(ids)
            self.evicted += 1

    def stats(self) -> dict[str, int]:
        """Sizes for status reports: files, tokens, vocabulary, contexts per order, evictions."""
        out = {
            "files": len(self.files),
            "tokens": self.total,
            "vocabulary": len(self.ids),
            "evicted_files": self.evicted,
        }
        for k, table in enumerate(self.followers):
            out[f"contexts_{k + 1}"] = len(table)
        return out

    def lookup(self, token: str) -> int:
        """Id of `token`, `BOS_ID` for START, `UNKNOWN_ID` when it was never seen."""
        if token == START:
            return BOS_ID
        return self.ids.get(token, UNKNOWN_ID)

    def _intern(self, token: str) -> int:
        tid = self.ids.get(token)
        if tid is None:
            if self.free:
                tid = self.free.pop()
                self.strings[tid] = token
            else:
                tid = len(self.strings)
                if tid > MAX_ID:
                    raise ModelConfigError("local model vocabulary exceeds its id space")
                self.strings.append(token)
                self.unigram.append(0)
            self.ids[token] = tid
        return tid

    def _release_unused(self, ids: Iterable[int]) -> None:
        """Forget tokens no file contains any more, so edits do not grow the vocabulary forever."""
        for tid in set(ids):
            if tid != BOS_ID and self.unigram[tid] == 0 and self.strings[tid] in self.ids:
                del self.ids[self.strings[tid]]
                self.strings[tid] = START
                self.free.append(tid)

    def _apply(self, padded: Sequence[int], lo: int, hi: int, delta: int) -> None:
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

    # ------------------------------------------------------------------------------ probabilities

    def token_probability(self, context: Sequence[str], token: str) -> float:
        """P(token | context); tokens never seen (and START) share the add-one unseen bucket."""
        levels = self.levels(self._context_ids(context))
        tid = self.lookup(token) if token != START else UNKNOWN_ID
        return self.probability(levels, tid)

    def ranked(self, context: Sequence[str], limit: int | None = None) -> dict[str, float]:
        """`distribution` by token text, most likely first (ties: smallest text), `limit` long."""
        probs = self.distribution(self._context_ids(context))
        strings = self.strings
        ranked = sorted(probs.items(), key=lambda item: (-item[1], strings[item[0]]))
        if limit is not None:
            ranked = ranked[:limit]
        return {strings[tid]: p for tid, p in ranked}

    def _context_ids(self, context: Sequence[str]) -> list[int]:
        """Ids of the last `order - 1` tokens of `context` (the part the model reads)."""
        if self.order == 1:
            return []
        return [self.lookup(t) for t in context[-(self.order - 1) :]]

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
            tid = BOS_ID  # never counted, never a follower: the unseen bucket
        p = (self.unigram[tid] + 1) * self.unigram_scale()
        for counts in levels:
            total = counts[_TOTAL]
            distinct = len(counts) - 1
            p = (counts.get(tid, 0) + distinct * p) / (total + distinct)
        return p

    def _refresh(self) -> None:
        """Drop caches derived from counts that have changed since."""
        if self._cache_version != self.version:
            self._cache_version = self.version
            self._sorted.clear()
            live = (tid for tid in self.ids.values())
            self._top = heapq.nsmallest(
                _TOP_UNIGRAMS, live, key=lambda t: (-self.unigram[t], self.strings[t])
            )

    def distribution(self, context: Sequence[int]) -> dict[int, float]:
        """id -> exact probability for the followers of `context`'s suffixes and top unigrams.

        Any other token is no likelier than the least likely top unigram. All tokens share the
        factor T/(c+T) at each level, so probabilities are kept as `scale * value` and only the
        followers' values are touched: cost is the number of followers, not the vocabulary.
        """
        self._refresh()
        z = self.unigram_scale()
        unigram = self.unigram
        values = {tid: (unigram[tid] + 1) * z for tid in self._top}
        scale = 1.0
        for table in self.levels(context):
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

    def argmax(self, context: Sequence[int]) -> tuple[int, float] | None:
        """The likeliest next id (ties: smallest text) and its probability, without a full pass.

        Below the shortest context's level, a token's value depends only on that context, so its
        candidates are sorted once per model version; the longer contexts' followers are few.
        """
        self._refresh()
        if not self._top:
            return None
        levels = self.levels(context)
        if not levels:
            tid = self._top[0]
            return tid, self.probability(levels, tid)
        strings = self.strings
        upper: set[int] = set()
        for table in levels[1:]:
            upper.update(table)
        upper.discard(_TOTAL)
        best: tuple[float, str, int] | None = None
        for tid in upper:
            p = self.probability(levels, tid)
            if best is None or p > best[0] or (p == best[0] and strings[tid] < best[1]):
                best = (p, strings[tid], tid)
        lower = self._first_level_best(context[-1], levels[0], upper)
        if lower is not None:
            p = self.probability(levels, lower)
            if best is None or p > best[0] or (p == best[0] and strings[lower] < best[1]):
                best = (p, strings[lower], lower)
        assert best is not None
        return best[2], best[0]

    def _first_level_best(self, last: int, table: dict[int, int], skip: set[int]) -> int | None:
        """The best id outside `skip` by its probability under the one-token context alone.

        Candidates are that context's followers plus the top unigrams (any other token is below
        those). The head of each ranking is cached until the counts change.
        """
        strings = self.strings
        level = [table]

        def rank(tid: int) -> tuple[float, str]:
            return (-self.probability(level, tid), strings[tid])

        head = self._sorted.get(last)
        if head is None:
            ids = set(table)
            ids.discard(_TOTAL)
            ids.update(self._top)
            head = heapq.nsmallest(_SORTED_KEEP, ids, key=rank)
            self._sorted[last] = head
        for tid in head:
            if tid not in skip:
                return tid
        rest = [tid for tid in table if tid != _TOTAL and tid not in skip]
        rest.extend(tid for tid in self._top if tid not in skip)
        return min(rest, key=rank) if rest else None


def _changed_region(old: Sequence[int], new: Sequence[int], pad: int) -> tuple[int, int, int]:
    """Where `new` (unpadded, `UNKNOWN_ID` for unknown tokens) differs from `old` (padded).

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

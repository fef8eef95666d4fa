"""Per-term BM25 scores of the index's windows, remembered per index generation.

FTS5's bm25() of an OR query is the sum over its terms of each term's own score (each term's
IDF counts the windows matching that term alone; a window without the term adds nothing), so a
query is scored term by term and the terms' scores added: typing on changes one term of the
query at a time, and only that term's windows are read again. Any write to the index changes
the IDFs and the average window length, so scores are kept for one generation of the index.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ScoreMemo", "TermScores", "best", "idf"]

# Rows remembered at most, all terms together (16 bytes each: a few MB).
MAX_REMEMBERED_ROWS = 400_000


@dataclass(frozen=True)
class TermScores:
    """One term's windows and their bm25() for the term alone (FTS5's sign: negative, lower is
    better)."""

    rowids: array  # 'q'
    scores: array  # 'd'

    @classmethod
    def of(cls, rows: Iterable[tuple[int, float]]) -> TermScores:
        """From (rowid, score) rows."""
        rowids, scores = array("q"), array("d")
        for rowid, score in rows:
            rowids.append(rowid)
            scores.append(score)
        return cls(rowids, scores)

    def __len__(self) -> int:
        return len(self.rowids)


class ScoreMemo:
    """Terms' scores at one generation of the index, least recently used forgotten first once
    they hold more than `max_rows` rows. Not thread-safe: used under the index's lock."""

    def __init__(self, max_rows: int = MAX_REMEMBERED_ROWS) -> None:
        self.max_rows = max_rows
        self.generation = -1
        self._terms: OrderedDict[str, TermScores] = OrderedDict()
        self._rows = 0

    def get(self, term: str, generation: int) -> TermScores | None:
        """`term`'s scores read at `generation`, or None."""
        if generation != self.generation:
            return None
        found = self._terms.get(term)
        if found is not None:
            self._terms.move_to_end(term)
        return found

    def put(self, term: str, generation: int, scores: TermScores) -> None:
        """Remember `term`'s scores read at `generation` (a newer one forgets all older)."""
        if generation != self.generation:
            self._terms.clear()
            self._rows = 0
            self.generation = generation
        old = self._terms.pop(term, None)
        if old is not None:
            self._rows -= len(old)
        if len(scores) > self.max_rows:
            return
        self._terms[term] = scores
        self._rows += len(scores)
        while self._rows > self.max_rows:
            _, gone = self._terms.popitem(last=False)
            self._rows -= len(gone)

    def __len__(self) -> int:
        return len(self._terms)


def best(parts: Iterable[TermScores], excluded: set[int], limit: int) -> list[tuple[int, float]]:
    """The `limit` windows with the lowest summed score over `parts` (the best in FTS5's
    sign), outside `excluded`: (rowid, summed score), best first; ties by rowid."""
    total: dict[int, float] = {}
    get = total.get
    for part in parts:
        for rowid, score in zip(part.rowids, part.scores, strict=True):
            total[rowid] = get(rowid, 0.0) + score
    for rowid in excluded:
        total.pop(rowid, None)
    return heapq.nsmallest(limit, total.items(), key=lambda kv: (kv[1], kv[0]))


def idf(holding: int, total: int) -> float:
    """FTS5 bm25()'s IDF of a term in `holding` of `total` windows (at least 1e-6, as FTS5's:
    a term in over half the windows weighs next to nothing)."""
    return max(math.log((total - holding + 0.5) / (holding + 0.5)), 1e-6)

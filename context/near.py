"""The similar-code search's neighbourhood: the windows of the files next to the cursor's file in
the import graph (what it imports, what imports it), searched first and with every query term
that weighs something in BM25, whatever its number of windows in the whole repository.

A term in thousands of windows of a large repository is left out of the search over all of it
(`Index.window_search` scores a bounded number of windows), yet inside the neighbourhood it
matches a few dozen: there it is read at a cost bounded by the neighbourhood's size, not the
repository's. FTS5 scores no set of rows cheaply: a `rowid IN (...)` constraint is one full-text
lookup per row, and each statement's bm25() first counts its term's windows in the whole table
(4 ms for `self` on the monorepo). So the neighbourhood is read as a few ranges of window ids,
one statement per term and range, without bm25(): the rows between its windows are dropped
here, and a window holding the term scores the term's IDF, the number of windows holding it
estimated from the neighbourhood's share of them (the term counted once, its length taken as
the average: bm25()'s score for such a window).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from .termscores import TermScores, idf

__all__ = ["MAX_GAP", "MAX_NEAR_WINDOWS", "MAX_RANGES", "Neighbourhood", "neighbourhood",
           "ranges_of", "read_near"]

# The most windows a neighbourhood holds (the nearest files' first): Django's `query.py`
# imports and is imported by 27 modules, 6,400 windows.
MAX_NEAR_WINDOWS = 1000
# The most id ranges read per term, one statement each (30-100 us); beyond, the ranges at most
# `MAX_GAP` ids apart are joined (the windows between them read and dropped), then the largest
# kept.
MAX_RANGES = 12
MAX_GAP = 64


@dataclass(frozen=True)
class Neighbourhood:
    """Windows of the files near the cursor's file: their ids and the ranges covering them."""

    rowids: frozenset[int]
    ranges: tuple[tuple[int, int], ...]
    files: int  # files whose windows are in
    left_out: int = 0  # files near it left out over `MAX_NEAR_WINDOWS`
    scattered: int = 0  # windows of the files taken left out, in runs beyond `MAX_RANGES`

    def __bool__(self) -> bool:
        return bool(self.rowids)


EMPTY = Neighbourhood(frozenset(), (), 0)


def neighbourhood(conn: sqlite3.Connection, modules: Sequence[str], exclude_path: str | None,
                  max_windows: int = MAX_NEAR_WINDOWS,
                  max_ranges: int = MAX_RANGES) -> Neighbourhood:
    """The windows of `modules`' files (nearest first; files of the same module together), but
    `exclude_path`'s, while they fit `max_windows`: a file that does not fit is left out and the
    next ones still tried."""
    if not modules:
        return EMPTY
    # Each file's span of window ids first (its windows are written together, those of its
    # later edits after all others': the span is at least their number), a step each for its
    # max() and min() in the index on `wins.file_id` (one per subquery: SQLite finds a lone
    # min() or max() so, and both together by scanning); the ids of the files taken only.
    sizes = conn.execute(
        "SELECT f.module, f.id, (SELECT max(id) FROM wins WHERE file_id = f.id) "
        "- (SELECT min(id) FROM wins WHERE file_id = f.id) + 1 FROM files f "
        "WHERE f.module IN (SELECT value FROM json_each(?)) AND f.path IS NOT ?",
        (json.dumps(list(modules)), exclude_path)).fetchall()
    rank = {m: i for i, m in enumerate(modules)}
    taken: list[int] = []
    windows = left_out = 0
    for _, file_id, size in sorted(sizes, key=lambda r: (rank[r[0]], r[1])):
        if size is None:
            continue  # no windows
        if windows + size > max_windows:
            left_out += 1
            continue
        taken.append(file_id)
        windows += size
    ids = sorted(r[0] for r in conn.execute(
        "SELECT id FROM wins WHERE file_id IN (SELECT value FROM json_each(?))",
        (json.dumps(taken),)))
    ranges = ranges_of(ids, max_ranges)
    inside = frozenset(i for i in ids if any(first <= i <= last for first, last in ranges))
    return Neighbourhood(inside, ranges, len(taken), left_out, len(ids) - len(inside))


def ranges_of(ids: Sequence[int], max_ranges: int,
              max_gap: int = MAX_GAP) -> tuple[tuple[int, int], ...]:
    """At most `max_ranges` (first, last) ranges covering the sorted `ids`, or as many as fit:
    runs of consecutive ids, those at most `max_gap` apart joined (the nearest first) while
    there are more than `max_ranges`; then the ranges holding the most ids are kept (a
    common term's windows are read over the whole of a range: a wide one costs as much as
    the repository's part it spans)."""
    runs: list[list[int]] = []  # first, last, ids held
    for i in ids:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
            runs[-1][2] += 1
        else:
            runs.append([i, i, 1])
    while len(runs) > max_ranges:
        gap, k = min((runs[k][0] - runs[k - 1][1], k) for k in range(1, len(runs)))
        if gap > max_gap:
            break
        runs[k - 1:k + 1] = [[runs[k - 1][0], runs[k][1], runs[k - 1][2] + runs[k][2]]]
    if len(runs) > max_ranges:
        runs = sorted(sorted(runs, key=lambda r: -r[2])[:max_ranges])
    return tuple((first, last) for first, last, _ in runs)


def read_near(conn: sqlite3.Connection, term: str, near: Neighbourhood, total: int,
              known: int = 0) -> TermScores:
    """`term`'s windows inside `near`, each scored (FTS5's sign) the term's IDF among `total`
    windows: the windows holding it `known` or more, as many as its share of `near`'s windows
    says."""
    rowids: list[int] = []
    for first, last in near.ranges:
        rowids.extend(r for (r,) in conn.execute(
            "SELECT rowid FROM wins_fts WHERE wins_fts MATCH ? AND rowid BETWEEN ? AND ?",
            (f'"{term}"', first, last)) if r in near.rowids)
    if not rowids:
        return TermScores.of(())
    holding = max(known, round(len(rowids) / len(near.rowids) * total))
    score = -idf(holding, total)
    return TermScores.of((rowid, score) for rowid in rowids)

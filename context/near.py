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

__all__ = ["MAX_NEAR_WINDOWS", "MAX_RANGES", "Neighbourhood", "neighbourhood", "ranges_of",
           "read_near"]

# The most windows a neighbourhood holds (the nearest files' first): Django's `query.py`
# imports and is imported by 27 modules, 6,400 windows.
MAX_NEAR_WINDOWS = 1000
# The most id ranges read per term, one statement each (30-100 us); beyond, the ranges nearest
# each other are joined, the windows between them read and dropped.
MAX_RANGES = 12


@dataclass(frozen=True)
class Neighbourhood:
    """Windows of the files near the cursor's file: their ids and the ranges covering them."""

    rowids: frozenset[int]
    ranges: tuple[tuple[int, int], ...]
    files: int  # files whose windows are in
    left_out: int = 0  # files near it left out over `MAX_NEAR_WINDOWS`

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
    return Neighbourhood(frozenset(ids), ranges_of(ids, max_ranges), len(taken), left_out)


def ranges_of(ids: Sequence[int], max_ranges: int) -> tuple[tuple[int, int], ...]:
    """At most `max_ranges` (first, last) ranges covering the sorted `ids`: runs of consecutive
    ids, the runs with the smallest gaps between them joined first."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    if len(runs) > max_ranges:
        gaps = sorted(range(1, len(runs)), key=lambda k: (runs[k][0] - runs[k - 1][1], k))
        # The largest gaps stay gaps between the ranges kept.
        cuts = sorted(gaps[len(gaps) - (max_ranges - 1):]) if max_ranges > 1 else []
        joined, start = [], 0
        for cut in [*cuts, len(runs)]:
            joined.append([runs[start][0], runs[cut - 1][1]])
            start = cut
        runs = joined
    return tuple((first, last) for first, last in runs)


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

"""Cross-file retrieval in two channels (RepoFuse's rationale + analogy).

Rationale: the definitions of the cross-file symbols the code around the cursor uses, resolved
through the file's imports; symbols used closer to the cursor rank higher, and imported symbols not
used nearby follow at a lower weight (the next line often uses a name imported long ago).
Analogy: BM25 over the index's 10-line windows of other files, queried with the last lines before
the cursor (CrossCodeEval's retrieval, the baseline the rationale channel is meant to beat).
"""

from __future__ import annotations

import re

from .index import MAX_SCORED_ROWS, Index
from .ranking import DEFAULT_WEIGHTS, RankingWeights
from .records import Snippet
from .resolve import FileFacts, definition_stub, resolve_name

__all__ = ["analogy", "rationale"]

_USE = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")
_LOOKBACK_LINES = 60
_QUERY_LINES = 10


def rationale(index: Index, facts: FileFacts, text: str, offset: int,
              weights: RankingWeights = DEFAULT_WEIGHTS, limit: int = 64,
              max_members: int = 12) -> list[Snippet]:
    """Definitions of imported workspace symbols, ranked by how close to the cursor they're used."""
    if not facts.imports:
        return []
    start = offset
    for _ in range(_LOOKBACK_LINES):
        start = text.rfind("\n", 0, start)
        if start <= 0:
            start = 0
            break
    window = text[start:offset]
    lines_total = window.count("\n")
    distance: dict[str, int] = {}
    for m in _USE.finditer(window):
        dotted = m.group(1)
        head = dotted.split(".")[0]
        if head not in facts.imports:
            continue
        # Lines between the use and the cursor; the latest use wins.
        distance[dotted] = lines_total - window.count("\n", 0, m.start())
    scored: dict[tuple[str, int], Snippet] = {}
    for dotted, d_lines in distance.items():
        # A use far away is still worth at least an import that is not used at all.
        score = max(weights.rationale / (1 + d_lines / weights.proximity_lines),
                    weights.rationale_unused)
        _add(index, facts, dotted, score, scored, max_members)
    for alias, imp in facts.imports.items():
        if alias not in distance and imp.name and imp.name != "*":
            _add(index, facts, alias, weights.rationale_unused, scored, max_members)
    return sorted(scored.values(), key=lambda s: -s.score)[:limit]


def _last_lines(text: str, offset: int, count: int) -> list[str]:
    """`text[:offset].splitlines()[-count:]`, splitting only the last lines (the whole text
    before the cursor took milliseconds per request on a large file)."""
    start = offset
    for _ in range(count + 1):  # one more: a last line that is empty is no line
        start = text.rfind("\n", 0, start)
        if start < 0:
            break
    return text[start + 1:offset].splitlines()[-count:]


def _add(index: Index, facts: FileFacts, dotted: str, score: float,
         scored: dict[tuple[str, int], Snippet], max_members: int) -> None:
    d = resolve_name(index, facts, dotted)
    if d is None or d.path == facts.path:
        return
    key = (d.path, d.line)
    if key in scored and scored[key].score >= score:
        return
    # Symbols not used nearby get a compact stub (header and docstring line): many of them fit
    # the budget, and the next line is as likely to use any of them.
    members = max_members if score > DEFAULT_WEIGHTS.rationale_unused else 0
    stub = definition_stub(index, d, max_members=members)
    scored[key] = Snippet(d.path, d.line, d.end_line, stub, "rationale", score)


def analogy(index: Index, path: str | None, text: str, offset: int,
            weights: RankingWeights = DEFAULT_WEIGHTS, limit: int = 5,
            max_rows: int = MAX_SCORED_ROWS, notes: dict[str, str] | None = None) -> list[Snippet]:
    """Windows of other files most similar (BM25) to the last lines before the cursor.

    At most about `max_rows` windows are scored (`Index.window_search`); when that leaves
    query terms out, or no term at all fits, `notes["analogy"]` says so.
    """
    lines = _last_lines(text, offset, _QUERY_LINES)
    search = index.window_search("\n".join(lines), exclude_path=path, limit=limit * 3,
                                 max_rows=max_rows)
    if search.note and notes is not None:
        notes["analogy"] = search.note
    hits = search.hits
    if not hits:
        return []
    best = hits[0][4] or 1.0
    out: list[Snippet] = []
    taken: list[tuple[str, int, int]] = []
    for hit_path, start, end, chunk, score in hits:
        # Windows overlap (stride 5): keep one of each overlapping pair, the better one.
        if any(p == hit_path and s <= end and start <= e for p, s, e in taken):
            continue
        taken.append((hit_path, start, end))
        out.append(Snippet(hit_path, start, end, chunk, "analogy",
                           weights.analogy * score / best))
        if len(out) >= limit:
            break
    return out

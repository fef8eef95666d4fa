"""The similar-code search scored term by term: FTS5's scores, remembered per index generation,
and the new windows a search may read."""

from __future__ import annotations

import sqlite3
import time
from array import array
from pathlib import Path

import pytest
from trees import write_tree

from typehole.context.index import CARRY_SHARE, FRESH_SHARE, Index
from typehole.context.termscores import ScoreMemo, TermScores, best


def _index(tmp_path: Path, files: dict[str, str]) -> Index:
    write_tree(tmp_path / "ws", files)
    index = Index(tmp_path / "ws", tmp_path / "cache")
    index.build()
    return index


def _scoring(index: Index) -> list[str]:
    """The statements that score windows (bm25) from now on, as SQLite ran them."""
    seen: list[str] = []
    index.store.conn.set_trace_callback(lambda sql: seen.append(sql) if "bm25(" in sql else None)
    return seen


def test_terms_scored_alone_and_added_are_fts5s_score_of_the_whole_query(tmp_path: Path) -> None:
    # Terms t0..t22 spread unevenly over windows of files of different lengths.
    files = {f"pkg/m{i}.py": "".join(f"v_{j} = f(t{(i * 7 + j * j * 3) % 23})\n"
                                     for j in range(8 + 3 * i)) for i in range(14)}
    index = _index(tmp_path, files)
    query = "total = t1(t5, t9) + t17"
    search = index.window_search(query, exclude_path="pkg/m4.py", limit=8)
    hits = search.hits
    assert set(search.terms) == {"total", "t1", "t5", "t9", "t17"}
    whole = index.store.conn.execute(
        "SELECT f.path, w.start_line, bm25(wins_fts) AS s FROM wins_fts JOIN wins w "
        "ON w.id = wins_fts.rowid JOIN files f ON f.id = w.file_id WHERE wins_fts MATCH ? "
        "AND f.path IS NOT 'pkg/m4.py' ORDER BY s LIMIT 8",
        (" OR ".join(f'"{t}"' for t in search.terms),)).fetchall()
    assert len(hits) == 8
    assert [h[4] for h in hits] == pytest.approx([-r[2] for r in whole], rel=1e-9)
    assert {(h[0], h[1]) for h in hits if h[4] > hits[-1][4]} == \
        {(r[0], r[1]) for r in whole if -r[2] > hits[-1][4]}
    assert all(h[0] != "pkg/m4.py" for h in hits)


def test_typing_on_reads_only_the_windows_of_the_terms_it_adds(tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": f"value_{i} = helper_{i % 3}(rare_{i}, extra_{i % 2})\n" * 10
             for i in range(8)}
    index = _index(tmp_path, files)
    seen = _scoring(index)
    first = index.window_search("total = helper_1(rare_3)", exclude_path="pkg/m0.py")
    assert first.hits[0][0] == "pkg/m3.py"
    assert len(seen) == 3  # total (in no window), helper_1, rare_3: each alone
    seen.clear()
    more = index.window_search("total = helper_1(rare_3)\nextra_1", exclude_path="pkg/m0.py")
    assert seen == ["SELECT rowid, bm25(wins_fts) FROM wins_fts WHERE wins_fts MATCH "
                    "'\"extra_1\"'"]
    assert more.hits[0][0] == "pkg/m3.py" and "extra_1" in more.terms
    # Another exclusion, the same terms: nothing read again.
    seen.clear()
    index.window_search("total = helper_1(rare_3)\nextra_1", exclude_path="pkg/m3.py")
    assert seen == []
    # An edit changes every term's weight: the scores are read again.
    index.update_file(tmp_path / "ws" / "pkg" / "m5.py", "x = helper_1(rare_3, extra_1)\n" * 10)
    changed = index.window_search("total = helper_1(rare_3)\nextra_1",
                                  exclude_path="pkg/m0.py")
    assert len(seen) == 4 and changed.hits[0][0] == "pkg/m5.py"


def test_a_search_reads_new_windows_for_its_share_of_the_deadline(tmp_path: Path) -> None:
    # `alpha` in 2 windows, `beta`, `gamma` and `delta` in 3 each, 40 windows of filler.
    files = {f"pkg/f{i}.py": f"filler = {i}\n" * 10 for i in range(40)}
    for word, n in (("alpha", 2), ("beta", 3), ("gamma", 3), ("delta", 3)):
        files |= {f"pkg/{word}{i}.py": f"{word} = {i}\n" * 10 for i in range(n)}
    index = _index(tmp_path, files)
    query = "alpha + beta + gamma + delta"
    full = index.window_search(query)
    index = Index(tmp_path / "ws", tmp_path / "cache")  # nothing remembered
    index.rows_per_ms = 1.0
    budget = 10.0  # 3.5 new windows the first time (FRESH_SHARE), 3 carrying on (CARRY_SHARE)
    assert int(budget * FRESH_SHARE) == 3 and int(budget * CARRY_SHARE) == 3
    first = index.window_search(query, budget_ms=budget)
    # The rarest term read, the others left out and said so.
    assert first.terms == ("alpha",) and set(first.dropped) == {"beta", "gamma", "delta"}
    assert "3 terms' windows not read, over this search's 3 new windows" in first.note
    assert {h[0] for h in first.hits} == {"pkg/alpha0.py", "pkg/alpha1.py"}
    # Each search after it carries on: one more term's windows, the rest still left out.
    terms = [index.window_search(query, budget_ms=budget).terms for _ in range(3)]
    assert [len(t) for t in terms] == [2, 3, 4]
    # Then all are remembered: the answer is the unbounded one, with nothing to say.
    done = index.window_search(query, budget_ms=budget)
    assert done.hits == full.hits and done.note == "" and set(done.terms) == set(full.terms)


def test_remembered_scores_are_kept_per_generation_and_bounded_in_rows() -> None:
    memo = ScoreMemo(max_rows=5)
    two = TermScores(array("q", [1, 2]), array("d", [-1.0, -2.0]))
    three = TermScores(array("q", [3, 4, 5]), array("d", [-1.0, -1.0, -1.0]))
    memo.put("a", 1, two)
    memo.put("b", 1, three)
    assert memo.get("a", 1) is two and memo.get("a", 2) is None
    memo.put("c", 1, two)  # 7 rows: the least recently used ("b") goes
    assert memo.get("b", 1) is None and len(memo) == 2
    memo.put("d", 2, three)  # a new generation forgets the old one's
    assert memo.get("a", 2) is None and memo.get("c", 1) is None and len(memo) == 1
    assert best([two, three], {2}, 3) == [(1, -1.0), (3, -1.0), (4, -1.0)]
    assert best([two, TermScores(array("q", [1]), array("d", [-0.5]))], set(), 1) == \
        [(2, -2.0)]
    assert best([two, TermScores(array("q", [1]), array("d", [-1.5]))], set(), 1) == \
        [(1, -2.5)]


def test_an_interrupted_search_keeps_the_terms_it_scored(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"pkg/m{i}.py": f"value_{i} = helper_{i % 3}(rare_{i})\n" * 10 for i in range(6)}
    index = _index(tmp_path, files)
    read = Index._read_term

    def interrupted_at_helper(self: Index, term: str) -> TermScores:
        if term == "helper_1":  # the deadline's interrupt, as SQLite raises it
            raise sqlite3.OperationalError("interrupted")
        return read(self, term)

    monkeypatch.setattr(Index, "_read_term", interrupted_at_helper)
    cut = index.window_search("total = helper_1(rare_3)", deadline=time.monotonic() + 60)
    # The rarest term, scored first, stands; the note says what was left out.
    assert [h[0] for h in cut.hits] == ["pkg/m3.py"] and "helper_1" in cut.dropped
    assert cut.note.startswith("deadline: scoring interrupted by it")
    assert cut.note.endswith("left out: helper_1")
    monkeypatch.undo()
    # Not remembered as a complete answer: the next search scores the term.
    again = index.window_search("total = helper_1(rare_3)", deadline=time.monotonic() + 60)
    assert {h[0] for h in again.hits} == {"pkg/m1.py", "pkg/m3.py", "pkg/m4.py"}
    assert again.note == ""

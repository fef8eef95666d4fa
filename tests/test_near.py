"""The similar-code search's import neighbourhood: searched first, with the terms too common to
read in the whole index, and the search as before when there is none."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from trees import write_tree

from typehole.context import engine as engine_module
from typehole.context.engine import ContextEngine
from typehole.context.index import Index
from typehole.context.near import neighbourhood, ranges_of
from typehole.context.retrieval import analogy
from typehole.context.termscores import idf

# Every term of the query is in hundreds of windows: a search over the whole index bounded to
# 100 windows reads none of them.
_QUERY = "value = fetch_record(shared_helper(item))\n"


def _workspace(tmp_path: Path) -> Path:
    common = "value = fetch_record(shared_helper(item))\n"
    files = {
        "app/__init__.py": "",
        # The import far enough above the query's lines not to be in them.
        "app/main.py": "from lib.near_mod import load\n" + "x = 1\n" * 12 + _QUERY,
        "lib/__init__.py": "",
        # The window like the query's in the file the cursor's file imports.
        "lib/near_mod.py": "def load(item):\n    value = fetch_record(shared_helper(item))\n"
                           "    return value\n",
    }
    # Far files: the same line in about 300 windows, and filler so that it is in fewer than
    # half of them (a term in more weighs nothing).
    files |= {f"far/f{i}.py": common * 500 for i in range(3)}
    files |= {f"far/filler{i}.py": "other = thing(stuff)\n" * 1000 for i in range(2)}
    return write_tree(tmp_path / "ws", files)


def _index(tmp_path: Path) -> Index:
    index = Index(_workspace(tmp_path), tmp_path / "cache")
    index.build()
    return index


def test_a_window_of_an_imported_file_is_found_first(tmp_path: Path) -> None:
    index = _index(tmp_path)
    alone = index.window_search(_QUERY, "app/main.py", max_rows=100)
    # Over the whole index the common terms do not fit: nothing is scored.
    assert alone.hits == [] and alone.near_terms == ()
    near = index.window_search(_QUERY, "app/main.py", max_rows=100, near=["lib.near_mod"])
    assert near.hits[0][0] == "lib/near_mod.py"
    assert {"fetch_record", "shared_helper"} <= set(near.near_terms)
    assert not set(near.near_terms) & set(near.dropped)
    # Scored as bm25() scores a window holding each term once, its IDF estimated from the
    # neighbourhood's share of windows holding it (here all of them: the most it can be).
    total = index.window_total()
    assert near.hits[0][4] == sum(idf(total, total) for _ in near.near_terms)
    # Through the similar-code channel too.
    found = analogy(index, "app/main.py", _QUERY, len(_QUERY), max_rows=100,
                    near=["lib.near_mod"])
    assert found[0].path == "lib/near_mod.py"


def test_the_engine_searches_the_neighbourhood_of_the_cursors_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The search over the whole index bounded as a large repository's is.
    monkeypatch.setattr(engine_module, "analogy", functools.partial(analogy, max_rows=100))
    engine = ContextEngine(_workspace(tmp_path), tmp_path / "cache")
    engine.build()
    text = (tmp_path / "ws" / "app" / "main.py").read_text()
    result = engine.gather(text, len(text), tmp_path / "ws" / "app" / "main.py", 4000, len)
    analogies = [s for s in result.snippets if s.source == "analogy"]
    assert analogies and analogies[0].path == "lib/near_mod.py"


def test_without_a_neighbourhood_the_search_is_the_whole_indexs(tmp_path: Path) -> None:
    index = _index(tmp_path)
    for max_rows in (100, 4000):
        alone = index.window_search(_QUERY, "app/main.py", max_rows=max_rows)
        # No module, one not indexed, and one whose only file is excluded: the same answer.
        for near in ([], ["no.such.module"], ["app.main"]):
            found = index.window_search(_QUERY, "app/main.py", max_rows=max_rows, near=near)
            assert found == alone
    whole = index.window_search(_QUERY, "app/main.py")
    assert whole.hits and whole.near_terms == () and whole.note == ""


def test_what_the_neighbourhood_leaves_out_is_said(tmp_path: Path) -> None:
    index = _index(tmp_path)
    # No time for it: its terms are named as not read, the rest of the search goes on.
    late = index.window_search(_QUERY, "app/main.py", max_rows=100, near=["lib.near_mod"],
                               budget_ms=1e-6)
    assert late.near_terms == () and "neighbourhood: 4 terms not read" in late.note
    # Files over its window cap are left out, the nearest kept (`far/` is no package).
    conn = index.store.conn
    hood = neighbourhood(conn, ["lib.near_mod", "f0", "f1"], "app/main.py",
                         max_windows=150)
    assert hood.files == 2 and hood.left_out == 1
    paths = {r[0] for r in conn.execute(
        "SELECT DISTINCT f.path FROM wins w JOIN files f ON f.id = w.file_id "
        "WHERE w.id IN (SELECT value FROM json_each(?))", (str(sorted(hood.rowids)),))}
    assert paths == {"lib/near_mod.py", "far/f0.py"}
    assert all(any(a <= r <= b for a, b in hood.ranges) for r in hood.rowids)


def test_id_ranges_join_the_nearest_runs_first_and_never_far_ones() -> None:
    ids = [1, 2, 3, 7, 8, 20, 21, 40]
    assert ranges_of(ids, 10) == ((1, 3), (7, 8), (20, 21), (40, 40))
    assert ranges_of(ids, 3) == ((1, 8), (20, 21), (40, 40))
    assert ranges_of(ids, 2) == ((1, 21), (40, 40))
    assert ranges_of(ids, 1) == ((1, 40),)
    assert ranges_of([], 3) == ()
    # Runs further apart than `max_gap` stay apart: the ranges holding the most ids are kept.
    assert ranges_of(ids, 2, max_gap=5) == ((1, 8), (20, 21))
    assert ranges_of(ids, 1, max_gap=5) == ((1, 8),)

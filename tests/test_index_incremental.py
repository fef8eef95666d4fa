"""Re-indexing an edited file redoes only what the edit touched, and stores what a fresh index
of the same text stores: checked after random edits of a real file."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from realproject import real_project

from typehole.base.positions import split_lines
from typehole.base.syntax import parse_bytes
from typehole.context.index import Index, _edit_span, _relines, _windows

Rows = dict[str, object]
OpenIndex = Callable[..., Index]


@pytest.fixture
def open_index(tmp_path: Path) -> Iterator[OpenIndex]:
    """Writes files into a workspace and opens its index (not built), closed after the test."""
    opened: list[Index] = []

    def open_(files: dict[str, str], **options: int) -> Index:
        root = tmp_path / "ws"
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        index = Index(root, tmp_path / "cache", **options)
        opened.append(index)
        return index

    yield open_
    for index in opened:
        index.close()


@pytest.fixture(scope="module")
def real_source() -> str:
    return (real_project("httpx", "0.28.1") / "httpx" / "_models.py").read_text("utf-8")


def _rows(index: Index, rel: str) -> Rows:
    """Everything the index stores about one file, without row ids."""
    conn = index.store.conn
    (fid, *file_row), = conn.execute(
        "SELECT id, module, is_package, hash, lines FROM files WHERE path=?", (rel,)).fetchall()
    return {
        "file": file_row,
        "defs": sorted(conn.execute(
            "SELECT name, qualname, parent, kind, line, end_line, signature, doc, annotation "
            "FROM defs WHERE file_id=?", (fid,)).fetchall()),
        "returns": sorted(conn.execute(
            "SELECT d.qualname, d.kind, r.type_name FROM returns r JOIN defs d ON d.id = r.def_id "
            "WHERE d.file_id=?", (fid,)).fetchall()),
        "imports": conn.execute("SELECT module, name, alias, line FROM imports WHERE file_id=? "
                                "ORDER BY rowid", (fid,)).fetchall(),
        "windows": sorted(conn.execute(
            "SELECT w.start_line, w.end_line, wins_fts.text FROM wins w JOIN wins_fts "
            "ON wins_fts.rowid = w.id WHERE w.file_id=?", (fid,)).fetchall()),
        "window_total": index.window_total(),
        "fts_rows": conn.execute("SELECT count(*) FROM wins_fts").fetchone()[0],
    }


def _unhashed(rows: Rows) -> Rows:
    """`rows` without the file's hash, which an edit leaves out until the file is let go."""
    module, is_package, _, lines = rows["file"]  # type: ignore[misc]
    return {**rows, "file": [module, is_package, lines]}


def _settled(rows: Rows, index: Index, rel: str = "models.py") -> Rows:
    """`_unhashed(rows)`, and while the file's last edits left a syntax error whose statement
    keeps its last tags (`_Recent.good`), without the tags: the text's rows only."""
    rows = _unhashed(rows)
    if index._trees[rel].good is None:
        return rows
    return {key: rows[key] for key in ("file", "windows", "window_total", "fts_rows")}


def _defs(rows: Rows) -> list[tuple[object, ...]]:
    """The definitions' rows of `_rows`: name, qualname, parent, kind, line, end_line, ..."""
    defs = rows["defs"]
    assert isinstance(defs, list)
    return defs


def _fresh(tmp_path: Path, rel: str, text: str) -> Rows:
    root = tmp_path / "fresh"
    root.mkdir(exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")
    index = Index(root, tmp_path / "fresh-cache")
    try:
        index.build()
        return _rows(index, rel)
    finally:
        index.close()


def _edit(rng: random.Random, text: str) -> str:
    """One random edit of the kinds typing makes: a character, a line, a pasted block, a cut,
    a new definition, an unbalanced bracket, a blank line (which moves window anchors)."""
    lines = text.splitlines(keepends=True)
    at = rng.randrange(len(lines))
    kind = rng.choice(["type", "newline", "paste", "cut", "define", "bracket", "blank",
                       "import"])
    if kind == "type":
        line = lines[at]
        col = rng.randrange(len(line.rstrip("\n")) + 1)
        lines[at] = line[:col] + rng.choice(["x", "_y", ".", " = 1", ", z"]) + line[col:]
    elif kind == "newline":
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        lines.insert(at, indent + "value = compute(value)\n")
    elif kind == "paste":
        start = rng.randrange(len(lines))
        lines[at:at] = lines[start:start + rng.randint(2, 30)]
    elif kind == "cut":
        del lines[at:at + rng.randint(1, 12)]
    elif kind == "define":
        lines.insert(at, f"\n\ndef added_{at}(a: int) -> Response:\n    return a\n\n")
    elif kind == "bracket":
        lines[at] = lines[at].rstrip("\n") + " (\n"
    elif kind == "blank":
        lines.insert(at, "\n")
    else:
        lines.insert(at, f"from httpx._types import RequestContent as Content{at}\n")
    return "".join(lines) or "x = 1\n"


# Seed 5's edits leave the file parsing into a root ERROR node at step 28, where tags read
# under `module` must not be reused.
@pytest.mark.parametrize("seed", [18, 5])
def test_incremental_reindex_equals_a_fresh_index_after_random_edits(
        tmp_path: Path, real_source: str, seed: int, open_index: OpenIndex) -> None:
    index = open_index({"models.py": real_source})
    root = index.root
    rng = random.Random(seed)
    index.build()
    assert not index.update_file(root / "models.py", real_source)  # opened: kept, unchanged
    assert "models.py" in index._trees
    text = real_source
    for step in range(40):
        text = _edit(rng, text)
        assert index.update_file(root / "models.py", text)
        if step % 4 == 0 or step < 4:  # a fresh index per edit costs; most edits still checked
            assert _settled(_rows(index, "models.py"), index) == _settled(
                _fresh(tmp_path, "models.py", text), index), step
    # An edit does not hash the whole text; letting the file go writes its hash.
    assert _rows(index, "models.py")["file"][2] is None  # type: ignore[index]
    # Closing the file forgets what the next edit would start from: it is re-indexed whole.
    index.forget_tree(root / "models.py")
    assert _rows(index, "models.py") == _fresh(tmp_path, "models.py", text)
    assert not index.update_file(root / "models.py", text)  # reopened: the hash matches
    index.forget_tree(root / "models.py")
    text = _edit(rng, text)
    assert index.update_file(root / "models.py", text)
    assert _rows(index, "models.py") == _fresh(tmp_path, "models.py", text)


def test_windows_restart_at_top_level_paragraphs_and_end_at_the_file_end() -> None:
    lines = split_lines("a = 1\n" * 12 + "\n" + "def f():\n" + "    pass\n" * 12)
    starts = [w[0] for w in _windows(lines)]
    # Grid 1, 6, 11 from the file start; a blank line then `def` (line 14) restarts it; the
    # last window is the last 10 lines (17-26), off the grid.
    assert starts == [1, 6, 11, 14, 17]
    assert all(w[1] - w[0] + 1 == 10 for w in _windows(lines))


def test_an_edit_rewrites_only_the_windows_near_it(
        tmp_path: Path, real_source: str, open_index: OpenIndex) -> None:
    index = open_index({"models.py": real_source})
    root = index.root
    index.build()
    index.update_file(root / "models.py", real_source)
    before = dict(index.store.conn.execute("SELECT id, start_line FROM wins").fetchall())
    lines = real_source.splitlines(keepends=True)
    middle = len(lines) // 2
    edited = "".join(lines[:middle] + ["        added = 1\n"] + lines[middle:])
    assert index.update_file(root / "models.py", edited)
    after = dict(index.store.conn.execute("SELECT id, start_line FROM wins").fetchall())
    kept = before.keys() & after.keys()
    # All but the few windows around the new line keep their rows; those after it moved.
    assert len(after) - len(kept) <= 4
    assert any(after[i] == before[i] + 1 for i in kept)
    assert any(after[i] == before[i] for i in kept)


def test_a_new_line_moves_the_local_imports_after_it_in_place(
        tmp_path: Path, open_index: OpenIndex) -> None:
    body = "".join(f"def f{i}():\n    from os import path as p{i}\n    return p{i}\n\n\n"
                   for i in range(6))
    text = "import sys\n\n\n" + body
    index = open_index({"mod.py": text})
    root = index.root
    index.build()
    # Another file's imports after them: rows written again would get new row ids.
    (root / "other.py").write_text("import json\n", encoding="utf-8")
    assert index.update_file(root / "other.py", "import json\n")
    index.update_file(root / "mod.py", text)
    conn = index.store.conn
    before = conn.execute("SELECT i.rowid, alias, line FROM imports i JOIN files f ON "
                          "f.id = i.file_id WHERE f.path='mod.py' ORDER BY i.rowid").fetchall()
    lines = text.splitlines(keepends=True)
    edited = "".join([*lines[:9], "    value = compute(value)\n", *lines[9:]])  # in f1
    assert index.update_file(root / "mod.py", edited)
    after = conn.execute("SELECT i.rowid, alias, line FROM imports i JOIN files f ON "
                         "f.id = i.file_id WHERE f.path='mod.py' ORDER BY i.rowid").fetchall()
    # The rows are kept: those above the new line as they were, those below one line down.
    assert [(r, a) for r, a, _ in after] == [(r, a) for r, a, _ in before]
    assert [line for _, _, line in after] == [
        line + (line > 9) for _, _, line in before]
    mine = ("file", "defs", "returns", "imports", "windows")  # not other.py's
    got, fresh = _unhashed(_rows(index, "mod.py")), _unhashed(_fresh(tmp_path, "mod.py",
                                                                       edited))
    assert {k: got[k] for k in mine} == {k: fresh[k] for k in mine}


def test_a_file_opened_is_edited_without_reading_its_rows_again(
        tmp_path: Path, real_source: str, open_index: OpenIndex) -> None:
    index = open_index({"models.py": real_source})
    root = index.root
    index.build()
    assert not index.update_file(root / "models.py", real_source)  # opened
    statements: list[str] = []
    index.store.conn.set_trace_callback(statements.append)
    lines = real_source.splitlines(keepends=True)
    middle = len(lines) // 2
    edited = "".join(lines[:middle] + ["        added = 1\n"] + lines[middle:])
    assert index.update_file(root / "models.py", edited)
    index.store.conn.set_trace_callback(None)
    # The rows were read when the file was opened: its first edit only writes.
    assert statements
    assert not [s for s in statements if s.startswith("SELECT")
                and ("FROM defs" in s or "FROM imports" in s)]
    assert _unhashed(_rows(index, "models.py")) == _unhashed(
        _fresh(tmp_path, "models.py", edited))


def test_a_new_line_in_a_class_keeps_every_definitions_row(
        tmp_path: Path, open_index: OpenIndex) -> None:
    def methods(indent: str) -> str:
        return "".join(f"{indent}def m{i}(self) -> int:\n{indent}    return {i}\n\n"
                       for i in range(40))

    text = f"class Outer:\n    class Inner:\n{methods(' ' * 8)}\n{methods(' ' * 4)}"
    index = open_index({"mod.py": text})
    root = index.root
    index.build()
    index.update_file(root / "mod.py", text)
    conn = index.store.conn
    before = dict(conn.execute("SELECT id, qualname FROM defs").fetchall())
    lines = text.splitlines(keepends=True)
    at = lines.index("            return 20\n")  # in Inner.m20, inside Outer
    edited = "".join([*lines[:at], "            value = compute(value)\n", *lines[at:]])
    assert index.update_file(root / "mod.py", edited)
    # The classes around the new line end one line further down, the methods after it
    # start one further down: all keep their rows.
    assert dict(conn.execute("SELECT id, qualname FROM defs").fetchall()) == before
    assert _unhashed(_rows(index, "mod.py")) == _unhashed(_fresh(tmp_path, "mod.py",
                                                                 edited))
    assert index.update_file(root / "mod.py", text)  # the line removed again
    assert dict(conn.execute("SELECT id, qualname FROM defs").fetchall()) == before
    assert _unhashed(_rows(index, "mod.py")) == _unhashed(_fresh(tmp_path, "mod.py", text))


def test_an_edit_over_the_size_limit_in_bytes_is_not_indexed(
        tmp_path: Path, open_index: OpenIndex) -> None:
    text = "def f():\n    return 1\n"
    index = open_index({"mod.py": text}, max_bytes=420)
    root = index.root
    index.build()
    assert not index.update_file(root / "mod.py", text)  # opened
    # 250 characters, 500 bytes in UTF-8: over the limit only once encoded.
    wide = f"{text}def g():\n    return '{'é' * 250}'\n"
    assert len(wide) <= 420 < len(wide.encode("utf-8"))
    assert not index.update_file(root / "mod.py", wide)
    assert [d.name for d in index.definitions_in("mod.py")] == ["f"]
    assert index.update_file(root / "mod.py", text + "def h():\n    return 2\n")
    assert [d.name for d in index.definitions_in("mod.py")] == ["f", "h"]


def test_an_index_with_windows_cut_otherwise_is_read_again(
        tmp_path: Path, real_source: str, open_index: OpenIndex) -> None:
    index = open_index({"models.py": real_source, "notes.md": "# Notes\n\nsome text\n"})
    assert index.build().indexed == 2
    assert index.build().indexed == 0  # nothing changed
    expected = _rows(index, "models.py")
    conn = index.store.conn
    conn.execute("UPDATE meta SET value='10/5' WHERE key='windows'")  # an older typehole's
    conn.execute("DELETE FROM wins_fts WHERE rowid IN (SELECT min(id) FROM wins)")
    conn.execute("DELETE FROM wins WHERE id = (SELECT min(id) FROM wins)")
    index._window_total = None
    assert index.build().indexed == 2
    assert _rows(index, "models.py") == expected


def test_lines_after_an_edit_are_those_of_the_new_text_whatever_the_line_ends() -> None:
    rng = random.Random(7)
    pieces = ["a", "bc", " ", "\n", "\r\n", "\r", "(", "x\n", "\r\r\n"]
    for _ in range(3000):
        old = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        start = rng.randint(0, len(old))
        old_end = rng.randint(start, len(old))
        inserted = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 3)))
        new = old[:start] + inserted + old[old_end:]
        span = _edit_span(old, new)
        assert _relines(old, split_lines(old), new, *span) == split_lines(new), (old, new)
        # Any description of the edit that covers the change gives the same lines.
        assert _relines(old, split_lines(old), new, start, old_end,
                        start + len(inserted)) == split_lines(new), (old, new)


def test_an_edit_after_a_build_rewrote_the_file_matches_a_fresh_index(
        tmp_path: Path, real_source: str, open_index: OpenIndex) -> None:
    index = open_index({"models.py": real_source})
    path = index.root / "models.py"
    rng = random.Random(1)
    index.build()
    index.update_file(path, real_source)  # opened
    text = _edit(rng, real_source)
    assert index.update_file(path, text)  # kept with its rows for the next edit
    # Saved elsewhere meanwhile (another tool, a checkout): the build re-reads the file.
    path.write_text(real_source[: len(real_source) // 2], encoding="utf-8")
    assert index.build().indexed == 1
    text = _edit(rng, text)
    assert index.update_file(path, text)
    assert _unhashed(_rows(index, "models.py")) == _unhashed(
        _fresh(tmp_path, "models.py", text))


def test_edits_tagged_from_their_statements_alone_index_as_a_fresh_index(
        tmp_path: Path, real_source: str, open_index: OpenIndex) -> None:
    index = open_index({"models.py": real_source})
    root = index.root
    rng = random.Random(11)
    index.build()
    index.update_file(root / "models.py", real_source)
    text, unparsed = real_source, 0
    for step in range(24):
        edited = _edit(rng, text)
        while parse_bytes(edited.encode()).root_node.has_error:  # code that stays valid
            edited = _edit(rng, text)
        text = edited
        assert index.update_file(root / "models.py", text)
        # The file's tree left as it was: its statements around the edit sufficed.
        unparsed += index._trees["models.py"].tree_data is not None
        if step % 3 == 0:
            assert _unhashed(_rows(index, "models.py")) == _unhashed(
                _fresh(tmp_path, "models.py", text)), step
    assert unparsed > 6
    index.forget_tree(root / "models.py")
    assert _rows(index, "models.py") == _fresh(tmp_path, "models.py", text)


def test_a_syntax_error_typed_keeps_its_statements_last_tags_until_it_parses(
        tmp_path: Path, real_source: str, open_index: OpenIndex) -> None:
    index = open_index({"models.py": real_source})
    path = index.root / "models.py"
    at = "        return len(self._list)\n"  # in `Headers.__len__`: a `return` after the new line
    assert real_source.count(at) == 1

    def typed(line: str, more: str = "") -> str:
        return real_source.replace(at, f"{more}        value = compute(value){line}\n{at}")

    index.build()
    index.update_file(path, real_source)
    good = typed("")
    assert index.update_file(path, good)
    tags = _rows(index, "models.py")
    # A `.` typed: the statement does not parse, and the rest of the file is as it was.
    broken = typed(".")
    assert parse_bytes(broken.encode()).root_node.has_error
    assert index.update_file(path, broken)
    assert index._trees["models.py"].good is not None  # held, not tagged
    held = _rows(index, "models.py")
    assert {k: held[k] for k in ("defs", "returns", "imports")} == {
        k: tags[k] for k in ("defs", "returns", "imports")}
    assert _settled(held, index) == _settled(_fresh(tmp_path, "models.py", broken), index)
    # A line more above it in the same method, still broken: the definitions after move.
    longer = typed(".", "        other = 1\n")
    assert index.update_file(path, longer)
    assert index._trees["models.py"].good is not None
    lines = {d[1]: d[4:6] for d in _defs(_rows(index, "models.py"))}
    fresh = {d[1]: d[4:6] for d in _defs(_fresh(tmp_path, "models.py", longer))}
    assert lines["Headers.__eq__"] == fresh["Headers.__eq__"] != (
        {d[1]: d[4:6] for d in _defs(held)}["Headers.__eq__"])
    assert lines["Headers"] == fresh["Headers"]  # the class ends a line further down
    # Typing on until it parses: the index is a fresh index's of the text.
    fixed = typed(".strip()", "        other = 1\n")
    assert index.update_file(path, fixed)
    assert index._trees["models.py"].good is None
    assert _unhashed(_rows(index, "models.py")) == _unhashed(
        _fresh(tmp_path, "models.py", fixed))
    # Broken again, then let go (closed): tagged whole, as a fresh index of what it holds.
    assert index.update_file(path, typed(".", "        other = 1\n"))
    assert index._trees["models.py"].good is not None
    index.forget_tree(path)
    assert _rows(index, "models.py") == _fresh(tmp_path, "models.py", longer)


def _wide_edit(rng: random.Random, text: str) -> str:
    """`_edit`, or a non-ASCII character typed into or cut from a comment or a string."""
    if rng.random() < 0.5:
        return _edit(rng, text)
    spots = [m.end() for m in re.finditer(r"# |\"", text)]
    at = rng.choice(spots)
    if rng.random() < 0.3 and not text[at].isascii():
        return text[:at] + text[at + 1:]
    return text[:at] + rng.choice(["é", "—", "𝔘", "ß"]) + text[at:]


def test_edits_of_a_text_with_non_ascii_characters_index_as_a_fresh_index(
        tmp_path: Path, real_source: str, open_index: OpenIndex) -> None:
    # One- to four-byte characters through the file; the edits add and cut more of them.
    lines = real_source.splitlines(keepends=True)
    wide = "".join(line + ("# café — 𝔘 ünïcode\n" if i % 40 == 0 else "")
                   for i, line in enumerate(lines))
    index = open_index({"models.py": wide})
    root = index.root
    rng = random.Random(3)
    index.build()
    assert not index.update_file(root / "models.py", wide)
    text = wide
    for step in range(40):
        text = _wide_edit(rng, text)
        assert index.update_file(root / "models.py", text)
        # The bytes are the previous ones with the edit's put in: the text's, exactly.
        assert index._trees["models.py"].data == text.encode("utf-8"), step
        if step % 5 == 0:
            assert _settled(_rows(index, "models.py"), index) == _settled(
                _fresh(tmp_path, "models.py", text), index), step

"""The workspace index: definitions, imports and 10-line windows of every file, in SQLite + FTS5.

Built once in the background (`build`, with progress and cancellation), kept current per file
(`update_file`, `remove_file`; unchanged files are skipped by mtime+size, then by content hash),
and persisted under a versioned cache folder so a restart is warm (see `store.py`).
Python files get definitions and imports (JavaScript/TypeScript, Java, Go and Rust too, at the
syntax level, through their grammar wheels); every indexed file gets windows for lexical retrieval.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachetools import LRUCache

from typehole.base.affix import common_prefix, common_suffix
from typehole.base.limits import MAX_NESTING, nesting, utf8_over
from typehole.base.positions import split_lines
from typehole.base.syntax import SUFFIXES, Tree, language_of, parse_bytes, reparse, supported

from .cache import DEFAULT_CAP_MB
from .interrupt import bounded, interrupted
from .near import EMPTY, Neighbourhood, neighbourhood, read_near
from .records import Definition, Import
from .store import Store
from .tags import FileTags, UnitMemo, extract_tags, local_tags
from .termscores import ScoreMemo, TermScores, best
from .walk import may_read, read_text, workspace_files

__all__ = ["BuildStats", "Index", "MAX_SCORED_ROWS", "WINDOW_LINES", "WINDOW_STRIDE",
           "WindowSearch", "type_names"]

WINDOW_LINES = 10  # CrossCodeEval's window size, the baseline the analogy channel is held to
WINDOW_STRIDE = 5
# A paragraph starting at most this indented (a top-level or class-level definition, after a
# blank line) restarts the window grid, so an edit shifts the windows after the next such
# paragraph instead of changing all of them.
_ANCHOR_INDENT = 4
# How windows are cut, stored with the index: an index cut otherwise re-reads every file.
_WINDOW_SCHEME = f"{WINDOW_LINES}/{WINDOW_STRIDE}, anchors at indent <= {_ANCHOR_INDENT}"
# A window search scores at most this many windows: FTS5's bm25() costs a few microseconds per
# matching window, so the query keeps its rarest terms up to this many matches and the cost does
# not grow with the repository (Django's 135k windows: a query of every term scored 30-100k).
MAX_SCORED_ROWS = 4000
MAX_QUERY_TERMS = 16
_QUERY_TOKENS = 48  # identifiers of the query text considered (the last ones, nearest the cursor)
# Every term's window count is probed up to this many (cheap); only a few common terms nearest the
# cursor are counted further, while the row budget still has room for them.
_RARE_BELOW = 256
# With a deadline, a search reads at most this share of the request's deadline (`budget_ms`) in
# new rows (terms whose scores are not remembered, at the measured rate): the first request at a
# place, whose hole and imports take the rest...
FRESH_SHARE = 0.35
# ... and a search carrying on an earlier one (some of its terms remembered: typing on, whose
# target is half the first request's) this share; what does not fit is read by the next ones.
CARRY_SHARE = 0.3
# A search with a neighbourhood (`near`) reads its terms there first, for at most this share of
# the request's deadline, taken from the whole index's share (`FRESH_SHARE`, `CARRY_SHARE`):
# the search as a whole reads no longer than without one.
NEAR_SHARE = 0.05
# ... reading at most this many terms there, the nearest the cursor (each costs 0.3-2 ms at
# first: a range of a common term's windows is found in its list of them).
NEAR_TERMS = 4
_COMMON_PROBES = 8
_TERM_COUNTS = 4096  # terms whose (capped) window count is remembered between queries
_RECENT_TREES = 8  # files whose last text, tree and tags are kept (the ones being edited)
_RESOLVED_PATHS = 4096  # paths `relpath` resolved through links, kept (then forgotten at once)
PYTHON_SUFFIXES = (".py", ".pyi")
# Other source files get windows (for analogy); those with a grammar (`syntax.SUFFIXES`) get tags.
TEXT_SUFFIXES = PYTHON_SUFFIXES + (".js", ".jsx", ".ts", ".tsx", ".java", ".go", ".rs", ".md",
                                   ".rst", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".txt")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEF_COLUMNS = "f.path, f.module, d.name, d.qualname, d.kind, d.line, d.end_line, d.signature, " \
               "d.doc, d.annotation, d.parent"

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


def type_names(annotation: str) -> list[str]:
    """Identifiers of a type expression, last dotted part: `t.Optional[m.R]` -> [Optional, R]."""
    return [m.rsplit(".", 1)[-1] for m in re.findall(r"[A-Za-z_][\w.]*", annotation)]


def _tagged_languages() -> str:
    """The languages whose files get tags here; a cache built with fewer re-reads those files."""
    return ",".join(sorted({lang for lang in SUFFIXES.values() if supported(lang)}))


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _relines(old: str, old_lines: list[str], new: str, start: int, old_end: int,
             new_end: int) -> list[str]:
    """`split_lines(new)`, from the lines of `old` and the edit that made `new` of it (the
    characters `old[start:old_end]` became `new[start:new_end]`): only the lines the edit
    touches are split again.

    The lines re-split run from the last `\\n` before the edit to the first one after it: a
    `\\n` always ends a line (alone or after `\\r`), so both ends are line starts in both texts.
    A text with a lone `\\r` (a line end too) before the edit is split whole.
    """
    begin = old.rfind("\n", 0, start) + 1
    if "\r" in old[:begin] and old.count("\r", 0, begin) != old.count("\r\n", 0, begin):
        return split_lines(new)
    first = old.count("\n", 0, begin)  # lines before `begin`
    stop = old.find("\n", old_end)
    old_stop = len(old) if stop < 0 else stop + 1
    new_stop = old_stop - old_end + new_end
    touched = len(split_lines(old[begin:old_stop]))
    return [*old_lines[:first], *split_lines(new[begin:new_stop]),
            *old_lines[first + touched:]]


def _edit_span(old: str | bytes, new: str | bytes) -> tuple[int, int, int]:
    """(start, old_end, new_end): `old[start:old_end]` became `new[start:new_end]`, the rest is
    their common prefix and suffix."""
    limit = min(len(old), len(new))
    start = common_prefix(old, new, limit)
    tail = common_suffix(old, new, limit - start)
    return start, len(old) - tail, len(new) - tail


def _brackets(text: str, kinds: str) -> int:
    return sum(text.count(c) for c in kinds)


def _anchor(lines: Sequence[str], i: int) -> bool:
    """Whether the window grid restarts at line `i`: the file's start, or a non-blank line at
    most `_ANCHOR_INDENT` deep after a blank one."""
    if i == 0:
        return True
    line = lines[i]
    body = line.lstrip()
    return bool(body) and not lines[i - 1].strip() and len(line) - len(body) <= _ANCHOR_INDENT


def _windows(lines: Sequence[str], lo: int = 0,
             hi: int | None = None) -> Iterable[tuple[int, int, str]]:
    """The windows starting at lines `lo`..`hi` (0-based; all by default), as (first line,
    last line, text), 1-based.

    `WINDOW_LINES` lines every `WINDOW_STRIDE`, the grid restarting at each anchor line; the
    last window ends at the file's end; windows of blank lines only are left out. A window
    depends only on its lines and the lines back to the anchor before it, so an edit changes
    only the windows from the anchor before it to the next anchor after it.
    """
    n = len(lines)
    hi = n if hi is None else min(hi, n)
    tail = max(n - WINDOW_LINES, 0)  # the last window's start; the grid stops there
    if lo >= hi:
        return
    anchor = lo
    while not _anchor(lines, anchor):
        anchor -= 1
    starts = []
    for i in range(lo, min(hi, tail)):
        if i > anchor and _anchor(lines, i):
            anchor = i
        if (i - anchor) % WINDOW_STRIDE == 0:
            starts.append(i)
    if lo <= tail < hi:
        starts.append(tail)
    for start in starts:
        chunk = lines[start:start + WINDOW_LINES]
        if any(line.strip() for line in chunk):
            yield start + 1, start + len(chunk), "\n".join(chunk)


def _moved_after(old: Sequence[tuple[str, str, str, int]],
                 new: Sequence[tuple[str, str, str, int]]) -> tuple[int, int]:
    """(line, delta) when the imports `new` are `old` (row order, the line last) but for
    those from `line` on, all moved `delta` lines, and no import before them is on or after
    that line (so one `line>=` statement moves exactly them); (0, 0) otherwise."""
    head = common_prefix(old, new)
    if len(old) != len(new) or head == len(old):
        return 0, 0
    start, delta = old[head][3], new[head][3] - old[head][3]
    if any(r[3] >= start for r in old[:head]) or not all(
            a[:3] == b[:3] and a[3] + delta == b[3] and a[3] >= start
            for a, b in zip(old[head:], new[head:], strict=True)):
        return 0, 0
    return start, delta


def _def_key(d: Definition) -> tuple[object, ...]:
    """Everything of a definition's row but its lines (`_DefRow`'s first part)."""
    return (d.name, d.qualname, d.parent, d.kind, d.signature, d.doc, d.annotation)


def _definitions(rows: list[Any]) -> list[Definition]:
    """`Definition`s of rows of `_DEF_COLUMNS`."""
    return [Definition(path=r[0], module=r[1], name=r[2], qualname=r[3], kind=r[4], line=r[5],
                       end_line=r[6], signature=r[7], doc=r[8] or "", annotation=r[9] or "",
                       parent=r[10] or "") for r in rows]


# A definition as `_write_definitions` compares it: everything but its lines, then its row id,
# first line and last line.
_DefRow = tuple[tuple[object, ...], int, int, int]


@dataclass
class _Recent:
    """What is kept of a file being edited, so that its next edit redoes only what changed."""

    text: str
    data: bytes
    lines: list[str]
    tree: Tree | None
    memo: UnitMemo  # its top-level statements' tags
    module: tuple[str, bool]  # what the memo was made for
    # At least the deepest bracket nesting of `text` (exact after a count; each edit adds the
    # brackets it could deepen by), so the file is counted again only when it could be too deep.
    depth: int = 0
    defs: list[_DefRow] | None = None  # its definitions' rows in the index (None: ask it)
    count: int = 0  # `text.count("\n") + 1`, the `lines` column
    hashed: bool = True  # whether the index's row has the hash of `text` (edits leave it out)
    # The bytes the last edit changed, `[start, old_end)` of the text before it became `[start,
    # new_end)` of `data` (see `extract_tags`); None: not an edit of the text `memo` was made of.
    changed: tuple[int, int, int] | None = None
    # The text `tree` was parsed from when an edit since was tagged without parsing the whole
    # file (`local_tags`); None: `data`. The next whole parse starts from it.
    tree_data: bytes | None = None
    # The text `memo` describes when it is not `data`: the edits since left a syntax error in
    # one statement, whose last tags the index keeps meanwhile (`local_tags`' `hold`). The next
    # edit is tagged as an edit of it; a file let go so is tagged whole (`_settle`).
    good: bytes | None = None
    # The tags the index's rows hold for `text` (None: not known here): the next edit's that
    # equal them (a keystroke inside a statement, the same objects) are not compared row by row.
    tags: FileTags | None = None


@dataclass(frozen=True)
class WindowSearch:
    """A bounded BM25 search: best windows first, the terms it ran with, those it left out."""

    hits: list[tuple[str, int, int, str, float]]
    terms: tuple[str, ...] = ()
    # Terms left out: matching too many windows for the row budget, or not read in time
    dropped: tuple[str, ...] = ()
    rows: int = 0  # windows scored (the scored terms' windows, counted once per term)
    note: str = ""  # why terms were dropped or the search skipped; empty when nothing was
    near_terms: tuple[str, ...] = ()  # terms scored in the neighbourhood's windows alone


@dataclass(frozen=True)
class BuildStats:
    """What a `build` did."""

    files: int
    indexed: int
    removed: int
    seconds: float
    cancelled: bool = False


def _past(deadline: float | None) -> bool:
    """Whether `deadline` (`time.monotonic()`; None: none) has passed."""
    return deadline is not None and time.monotonic() >= deadline


class Index:
    """The index of one workspace root. Thread-safe: every database use holds the store's lock."""

    def __init__(self, root: str | os.PathLike[str],
                 cache_dir: str | os.PathLike[str] | None = None,
                 exclude: Sequence[str] = (), max_bytes: int = 1_000_000,
                 cache_max_mb: float = DEFAULT_CAP_MB) -> None:
        self.root = Path(root).resolve()
        self.exclude = tuple(exclude)
        self.max_bytes = max_bytes
        self.store = Store(self.root, cache_dir, cache_max_mb)
        self._packages: dict[str, bool] = {}
        # The files opened or edited last, for incremental re-indexing; under the lock.
        self._trees: OrderedDict[str, _Recent] = OrderedDict()  # least recently kept first
        self._claims: dict[str, object] = {}  # the latest update of each file (`_claim`)
        self.generation = 0  # bumped on every change, so callers can cache derived data
        self.imports_generation = 0  # bumped when some file's imports change (the import graph)
        # Modules whose imports changed since `graph_changes` was last asked, or None when the
        # set of modules changed too (a file added or removed: others' edges may resolve anew).
        self._graph_changes: set[str] | None = None
        # term -> number of windows it occurs in (capped at the value stored with it), under the
        # lock; refreshed by `build`, kept across single-file edits (they move counts a little).
        self._term_rows: LRUCache[str, tuple[int, int]] = LRUCache(maxsize=_TERM_COUNTS)
        # Windows read and scored per millisecond, measured on past searches (sizes the new
        # windows a search reads). Read term by term into Python, 150-230 on the monorepo at
        # load 7: the first searches start from there, not from an idle core's rate.
        self.rows_per_ms = 200.0
        self._window_total: int | None = None  # kept by every write; None: count on next use
        self._resolved: dict[str, str] = {}  # `relpath` of paths outside `root` as spelled
        # The last searches, by (the query's terms that match some window, excluded file,
        # limit, generation): typing on repeats them (`window_search`).
        self._searched: LRUCache[tuple[tuple[str, ...], str | None, int, tuple[str, ...], int],
                                 tuple[int, WindowSearch]] = LRUCache(maxsize=32)
        # Each term's windows and bm25() scores at the current generation (`_term_scores`).
        self._scores = ScoreMemo()
        # The same inside a neighbourhood, by (term, neighbourhood), and the neighbourhoods.
        self._near_scores = ScoreMemo(max_rows=100_000)
        self._hoods: LRUCache[tuple[tuple[str, ...], str | None, int], Neighbourhood] = \
            LRUCache(maxsize=8)
        # Reads of definitions, modules and imports by (query, arguments), with the generation
        # they were read at (`_read`): typing on asks the same again, and the next file opened
        # many of the same (each read waits for the lock and SQLite: the imports' definitions
        # cost 7 ms a request on rich on an idle core, 30 ms at p95 on busy ones).
        self._reads: LRUCache[tuple[object, ...], tuple[int, list[Any]]] = \
            LRUCache(maxsize=4096)
        self._reads_lock = threading.Lock()

    @property
    def warnings(self) -> list[str]:
        """Problems the user should hear about once (corrupt cache, memory fallback)."""
        return self.store.warnings

    # -- paths and modules -------------------------------------------------------------------

    def relpath(self, path: str | os.PathLike[str]) -> str:
        """Workspace-relative POSIX path of `path` (absolute or already relative).

        A path outside `root` as spelled (the workspace opened through a link) is resolved
        once: the links it goes through are taken as they were when it was first asked, as
        resolving it costs a system call per folder and it is asked on every edit."""
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.relative_to(self.root)
            except ValueError:
                key = str(p)
                rel = self._resolved.get(key)
                if rel is None:
                    if len(self._resolved) >= _RESOLVED_PATHS:
                        self._resolved.clear()
                    rel = Path(os.path.relpath(os.path.realpath(p), self.root)).as_posix()
                    self._resolved[key] = rel
                return rel
        return p.as_posix()

    def _is_package_dir(self, rel_dir: str) -> bool:
        if rel_dir not in self._packages:
            self._packages[rel_dir] = (self.root / rel_dir / "__init__.py").is_file()
        return self._packages[rel_dir]

    def module_of(self, rel: str) -> tuple[str, bool]:
        """Dotted module name of a Python file and whether it is a package's `__init__`."""
        parts = rel.split("/")
        stem = parts[-1].rsplit(".", 1)[0]
        is_package = stem == "__init__"
        names = [] if is_package else [stem]
        dirs = parts[:-1]
        # Climb while the folder is a package: `src/` layouts and sdist roots stop the climb.
        while dirs and self._is_package_dir("/".join(dirs)):
            names.insert(0, dirs.pop())
        return ".".join(names), is_package

    # -- writing -----------------------------------------------------------------------------

    def _write(self, rel: str, text: str, mtime_ns: int, size: int,
               data: bytes | None = None, tree: Tree | None = None,
               lines: list[str] | None = None, old_lines: list[str] | None = None,
               memo: UnitMemo | None = None, edit: _Recent | None = None,
               tags: FileTags | None = None, digest: str | None = None,
               last: FileTags | None = None) -> list[_DefRow]:
        """Store one file's row, tags and windows, in place when it is already indexed.

        An indexed file keeps its row; of its definitions, imports and windows only those that
        changed are rewritten, and the others' lines shifted. `old_lines` (the text last
        indexed, as lines) bounds the windows to compare to those the edit can have changed;
        `memo` (the file's top-level statements' tags, see `extract_tags`) bounds the parse
        tree queried. `edit` (what is kept of the file, already describing `text`) spares passes
        over the whole text: its line count, nesting and definitions' rows are taken from there,
        and after an edit the hash is left out of the row (`_Recent.hashed`). The rows are the same
        as a fresh index of `text` writes. `tags` and `digest` (its hash), when given, were made
        of `text` already (outside the lock); `last`, the tags the rows hold now (those of the
        text before an edit). Returns the definitions' rows.
        """
        conn = self.store.conn
        python = rel.endswith(PYTHON_SUFFIXES)
        module, is_package = self.module_of(rel) if python else ("", False)
        count = edit.count if edit is not None else text.count("\n") + 1
        if digest is None and (edit is None or edit.hashed):
            digest = _hash(text)
        if tags is None:
            tags = self._tags(rel, text, data, tree, memo, edit)
        fields = (module, int(is_package), mtime_ns, size, digest, count)
        row = conn.execute("SELECT id FROM files WHERE path=?", (rel,)).fetchone()
        known = row is not None
        if not known:
            inserted = conn.execute(
                "INSERT INTO files(module, is_package, mtime_ns, size, hash, lines, path) "
                "VALUES(?,?,?,?,?,?,?)", (*fields, rel)).lastrowid
            assert inserted is not None  # an INSERT always has a row id
            file_id: int = inserted
            self._graph_changes = None  # a new module
        else:
            file_id = row[0]
            conn.execute("UPDATE files SET module=?, is_package=?, mtime_ns=?, size=?, hash=?, "
                         "lines=? WHERE id=?", (*fields, file_id))
        old_rows = edit.defs if edit is not None and known else None
        if old_rows is not None and last is not None and tags.definitions == last.definitions:
            rows = old_rows  # as they are
        else:
            rows = self._write_definitions(
                file_id, tags.definitions, python, known, old_rows,
                last.definitions if last is not None and old_rows is not None else None)
        if last is None or not known or tags.imports != last.imports:
            self._write_imports(file_id, tags.imports, known,
                                last.imports if last is not None else None)
        self._write_windows(file_id, split_lines(text) if lines is None else lines, old_lines,
                            known)
        return rows

    def _tags(self, rel: str, text: str, data: bytes | None, tree: Tree | None,
              memo: UnitMemo | None, edit: _Recent | None) -> FileTags:
        """The definitions and imports `_write` stores for `text` (see there); no database use."""
        python = rel.endswith(PYTHON_SUFFIXES)
        module, is_package = self.module_of(rel) if python else ("", False)
        language = "python" if python else language_of(rel)
        if language is None or not (python or supported(language)) \
                or (edit is not None and edit.depth > MAX_NESTING):
            if memo is not None:  # made of another text than the next edit's `changed` starts at
                memo.reset()
            return FileTags((), ())
        if data is None:
            data = text.encode("utf-8", "surrogatepass")
        return extract_tags(data, module, rel, is_package, tree=tree, language=language,
                            memo=memo if python else None, nesting_checked=edit is not None,
                            changed=edit.changed if edit is not None else None)

    def _write_definitions(self, file_id: int, definitions: Sequence[Definition], python: bool,
                           known: bool, old_rows: list[_DefRow] | None = None,
                           last: Sequence[Definition] | None = None) -> list[_DefRow]:
        """Replace a file's definitions: unchanged ones stay, moved ones get their new lines.

        `old_rows`: the file's rows in line order as the last write returned them (None: read
        from the index); `last`, the definitions that write stored (`old_rows[i]` is
        `last[i]`'s row). The definitions before an edit (and among them those whose lines
        alone changed: the classes around the edit, which end further down) and those after
        it (moved by as many lines as the last one was) are told apart by list comparisons;
        only those between are matched one by one, and those after move in one statement.
        Returns the rows now stored, in the order of `definitions` (line order).
        """
        if old_rows is None:
            old_rows = self._def_rows(file_id) if known else []
        limit = min(len(old_rows), len(definitions))
        old_seq: Sequence[object]
        new_seq: Sequence[object]
        if last is not None and len(last) == len(old_rows):
            # The definitions before an edit are the objects the last write stored (the tags
            # reuse the records of the statements it did not touch): compared by identity, in C.
            old_seq, new_seq = last, definitions
        else:
            old_seq = [(key, line, end_line) for key, _, line, end_line in old_rows]
            new_seq = [(_def_key(d), d.line, d.end_line) for d in definitions]
        head = 0
        relined: list[int] = []  # in the head, but for their last lines
        while True:
            head += common_prefix(old_seq[head:], new_seq[head:])
            if head >= limit or old_rows[head][2] != definitions[head].line \
                    or old_rows[head][0] != _def_key(definitions[head]):
                break  # not one that starts where it did and ends elsewhere
            relined.append(head)
            head += 1
        room = limit - head
        delta = definitions[-1].line - old_rows[-1][2] if room > 0 else 0
        tail = 0  # from the end, those moved `delta` lines and otherwise as they were
        while tail < room:
            d = definitions[-1 - tail]
            key, _, line, end = old_rows[-1 - tail]
            if d.line != line + delta or d.end_line != end + delta or _def_key(d) != key:
                break
            tail += 1
        moved, stays = len(old_rows) - tail, len(definitions) - tail  # where the tails start
        if tail and delta:  # first: the rows inserted below may start on the lines it moves
            self._move_definitions(file_id, old_rows, moved, delta)
        rows: list[_DefRow] = list(old_rows[:head])
        if relined:
            for i in relined:
                d = definitions[i]
                rows[i] = (rows[i][0], rows[i][1], d.line, d.end_line)
            self.store.conn.executemany("UPDATE defs SET line=?, end_line=? WHERE id=?",
                                        [(rows[i][2], rows[i][3], rows[i][1]) for i in relined])
        rows.extend(self._match_definitions(file_id, definitions[head:stays],
                                            old_rows[head:moved], python))
        rows.extend((key, def_id, line + delta, end + delta)
                    for key, def_id, line, end in old_rows[moved:])
        return rows

    def _def_rows(self, file_id: int) -> list[_DefRow]:
        """A file's definitions' rows, in line order."""
        return [(r[:7], r[7], r[8], r[9]) for r in self.store.conn.execute(
            "SELECT name, qualname, parent, kind, signature, doc, annotation, id, line, "
            "end_line FROM defs WHERE file_id=? ORDER BY line, id", (file_id,))]

    def _import_rows(self, file_id: int) -> list[tuple[str, str, str, int]]:
        """A file's imports' rows (module, name, alias, line), in row order."""
        return self.store.conn.execute("SELECT module, name, alias, line FROM imports "
                                       "WHERE file_id=? ORDER BY rowid", (file_id,)).fetchall()

    def _move_definitions(self, file_id: int, old_rows: list[_DefRow], first: int,
                          delta: int) -> None:
        """Move the rows `old_rows[first:]` (line order) `delta` lines: in one statement when no
        earlier row starts on their first line."""
        conn = self.store.conn
        start = old_rows[first][2]
        if first == 0 or old_rows[first - 1][2] < start:
            conn.execute("UPDATE defs SET line=line+?, end_line=end_line+? WHERE file_id=? "
                         "AND line>=?", (delta, delta, file_id, start))
        else:
            conn.executemany("UPDATE defs SET line=line+?, end_line=end_line+? WHERE id=?",
                             [(delta, delta, r[1]) for r in old_rows[first:]])

    def _match_definitions(self, file_id: int, definitions: Sequence[Definition],
                           old_rows: list[_DefRow], python: bool) -> list[_DefRow]:
        """Store `definitions` in place of `old_rows`: a definition whose all but lines match an
        old row keeps it (moved if need be), the rest are inserted, the unmatched old deleted."""
        conn = self.store.conn
        # Everything but the lines: a definition the edit only moved keeps its row (and returns).
        old: dict[tuple[object, ...], list[tuple[int, int, int]]] = {}
        for key, def_id, line, end_line in reversed(old_rows):
            old.setdefault(key, []).append((def_id, line, end_line))
        moved: list[tuple[int, int, int]] = []
        added: list[int] = []
        rows: list[_DefRow] = []
        for d in definitions:
            key = _def_key(d)
            same = old.get(key)
            if not same:
                added.append(len(rows))
                rows.append((key, 0, d.line, d.end_line))
                continue
            kept = same.pop()  # the first in line order (other languages may repeat a key)
            if kept[1:] != (d.line, d.end_line):
                moved.append((d.line, d.end_line, kept[0]))
            rows.append((key, kept[0], d.line, d.end_line))
        gone = [(v[0],) for rest in old.values() for v in rest]
        if gone:
            conn.executemany("DELETE FROM returns WHERE def_id=?", gone)
            conn.executemany("DELETE FROM defs WHERE id=?", gone)
        if moved:
            conn.executemany("UPDATE defs SET line=?, end_line=? WHERE id=?", moved)
        if not added:
            return rows
        first = (conn.execute("SELECT max(id) FROM defs").fetchone()[0] or 0) + 1
        for k, at in enumerate(added):
            rows[at] = (rows[at][0], first + k, rows[at][2], rows[at][3])
        new = [(first + k, definitions[at]) for k, at in enumerate(added)]
        conn.executemany(
            "INSERT INTO defs(id, file_id, name, qualname, parent, kind, line, end_line, "
            "signature, doc, annotation) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            [(i, file_id, d.name, d.qualname, d.parent, d.kind, d.line, d.end_line,
              d.signature, d.doc, d.annotation) for i, d in new])
        if python:
            conn.executemany("INSERT INTO returns VALUES(?, ?)", [
                (i, n) for i, d in new
                if d.kind in ("function", "method") and d.annotation
                for n in set(type_names(d.annotation))])
        return rows

    def _write_imports(self, file_id: int, imports: Sequence[Import], known: bool,
                       last: Sequence[Import] | None = None) -> None:
        """Replace a file's imports when they changed (the import graph's too, if names did).

        `last`: the imports the rows hold (in row order), when known (else they are read).
        When the new ones are those but for the lines after an edit (a line written or removed
        above local imports), the rows after it move in one statement, keeping their order.
        """
        conn = self.store.conn
        rows = [(i.module, i.name, i.alias, i.line) for i in imports]
        if not known:
            old = []
        elif last is not None:
            old = [(i.module, i.name, i.alias, i.line) for i in last]
        else:
            old = self._import_rows(file_id)
        if old == rows:
            return
        start, delta = _moved_after(old, rows)
        if delta:
            conn.execute("UPDATE imports SET line=line+? WHERE file_id=? AND line>=?",
                         (delta, file_id, start))
            return
        if old:
            conn.execute("DELETE FROM imports WHERE file_id=?", (file_id,))
        conn.executemany("INSERT INTO imports VALUES(?,?,?,?,?)",
                         [(file_id, *r) for r in rows])
        if {r[:3] for r in old} != {r[:3] for r in rows}:
            if self._graph_changes is not None:
                self._graph_changes.add(conn.execute("SELECT module FROM files WHERE id=?",
                                                     (file_id,)).fetchone()[0])
            self.imports_generation += 1

    def _write_windows(self, file_id: int, lines: list[str], old_lines: list[str] | None,
                       known: bool) -> None:
        """Replace a file's windows: those whose lines and text stay keep their rows; with
        `old_lines`, only the windows between the anchors around the edit are compared, and
        those after it are shifted by the lines it added or removed."""
        conn = self.store.conn
        lo, hi, old_hi, delta = 0, len(lines), None, 0
        if known and old_lines is not None:
            limit = min(len(old_lines), len(lines))
            same_head = common_prefix(old_lines, lines, limit)
            same_tail = common_suffix(old_lines, lines, limit - same_head)
            delta = len(lines) - len(old_lines)
            # Windows starting before the anchor at or before `same_head - WINDOW_LINES` hold
            # unchanged lines only; those from the first anchor inside the unchanged tail on
            # are the old ones, moved by `delta`.
            lo = max(same_head - WINDOW_LINES, 0)
            while not _anchor(lines, lo):
                lo -= 1
            hi = next((i for i in range(len(lines) - same_tail + 1, len(lines))
                       if _anchor(lines, i)), len(lines))
            old_hi = hi - delta
        old: dict[tuple[int, int, str], int] = {}
        if known:
            where = "w.file_id=?"
            args: tuple[int, ...] = (file_id,)
            if old_hi is not None:
                where, args = "w.file_id=? AND w.start_line BETWEEN ? AND ?", (
                    file_id, lo + 1, old_hi)
            old = {(r[1], r[2], r[3]): r[0] for r in conn.execute(
                "SELECT w.id, w.start_line, w.end_line, wins_fts.text FROM wins w "
                f"JOIN wins_fts ON wins_fts.rowid = w.id WHERE {where}", args)}
            if old_hi is not None and delta:
                conn.execute("UPDATE wins SET start_line=start_line+?, end_line=end_line+? "
                             "WHERE file_id=? AND start_line>?", (delta, delta, file_id, old_hi))
        fresh = [w for w in _windows(lines, lo, hi) if old.pop(w, None) is None]
        if self._window_total is not None:
            self._window_total += len(fresh) - len(old)
        if old:
            gone = [(i,) for i in old.values()]
            conn.executemany("DELETE FROM wins_fts WHERE rowid=?", gone)
            conn.executemany("DELETE FROM wins WHERE id=?", gone)
        if fresh:
            first = (conn.execute("SELECT max(id) FROM wins").fetchone()[0] or 0) + 1
            conn.executemany("INSERT INTO wins(id, file_id, start_line, end_line) VALUES(?,?,?,?)",
                             [(first + k, file_id, start, end)
                              for k, (start, end, _) in enumerate(fresh)])
            conn.executemany("INSERT INTO wins_fts(rowid, text) VALUES(?, ?)",
                             [(first + k, chunk) for k, (_, _, chunk) in enumerate(fresh)])

    def _delete(self, rel: str) -> bool:
        conn = self.store.conn
        row = conn.execute("SELECT id FROM files WHERE path=?", (rel,)).fetchone()
        if row is None:
            return False
        fid = row[0]
        self.imports_generation += 1  # the file's module leaves the graph
        self._graph_changes = None
        if self._window_total is not None:
            self._window_total -= conn.execute("SELECT count(*) FROM wins WHERE file_id=?",
                                               (fid,)).fetchone()[0]
        conn.execute("DELETE FROM returns WHERE def_id IN (SELECT id FROM defs WHERE file_id=?)",
                     (fid,))
        conn.execute("DELETE FROM defs WHERE file_id=?", (fid,))
        conn.execute("DELETE FROM imports WHERE file_id=?", (fid,))
        conn.execute("DELETE FROM wins_fts WHERE rowid IN (SELECT id FROM wins WHERE file_id=?)",
                     (fid,))
        conn.execute("DELETE FROM wins WHERE file_id=?", (fid,))
        conn.execute("DELETE FROM files WHERE id=?", (fid,))
        return True

    def _indexable(self, rel: str) -> bool:
        return rel.endswith(TEXT_SUFFIXES)

    def update_file(self, path: str | os.PathLike[str], text: str) -> bool:
        """Re-index one file from the editor's text; returns False when nothing changed.

        Text over `max_bytes` is not indexed, as the walk does not read such a file. The text
        of an unchanged file (an editor opening it) is kept with its parse tree and its tags,
        so that the edits after it redo only what they touched: the parse (tree-sitter's
        incremental parse of the edited bytes), the lines around the edit, the tags of the
        statements it touched, the windows between the anchors around it. Nothing passes over
        the whole text but the comparison that finds the edit and the text's encoding.
        """
        rel = self.relpath(path)
        if not self._indexable(rel) or rel.startswith("../") or len(text) > self.max_bytes:
            return False
        with self.store.lock:
            previous = self._trees.get(rel)
        if previous is not None:  # kept since it passed `may_read`
            if previous.text == text:
                return False
            return self._edit(rel, previous, text)  # its size in bytes checked once encoded
        if utf8_over(text, self.max_bytes):
            return False
        # An open document's text joins the index only when the walk would have read its file.
        if may_read(self.root / rel, self.root, self.exclude) is not None:
            return False
        mtime_ns, size = self._stat(rel)
        digest = _hash(text)
        with self.store.lock:
            row = self.store.conn.execute("SELECT hash FROM files WHERE path=?", (rel,)).fetchone()
        if row is not None and row[0] == digest:
            # Outside the lock: parsing a large file must not hold up requests.
            recent, tags = self._prepare(rel, text)
            with self.store.lock:
                self._adopt(rel, recent, tags)
                self._keep(rel, recent)
            return False
        data = text.encode("utf-8", "surrogatepass")
        module = self.module_of(rel) if rel.endswith(PYTHON_SUFFIXES) else ("", False)
        tree = parse_bytes(data) if rel.endswith(PYTHON_SUFFIXES) else None
        recent = _Recent(text, data, split_lines(text), tree, UnitMemo(), module, nesting(data),
                         None, text.count("\n") + 1)
        with self.store.lock:
            claim = self._claim(rel)
        # Parsed and tagged outside the lock: requests meanwhile read the index as it was.
        tags = self._tags(rel, text, data, tree, recent.memo, recent)
        with self.store.lock:
            if self._claims.get(rel) is not claim:  # a later update of the file won
                return False
            self._trees.pop(rel, None)
            recent.defs = self._transaction(lambda: self._write(
                rel, text, mtime_ns, size, data, tree, recent.lines, None, recent.memo, recent,
                tags, digest))
            recent.tags = tags
            self._keep(rel, recent)
            self.generation += 1
        return True

    def _edit(self, rel: str, previous: _Recent, text: str) -> bool:
        """Re-index an edit of a file kept in `_trees` (see `update_file`)."""
        mtime_ns, size = self._stat(rel)
        start, old_end, new_end = _edit_span(previous.text, text)
        removed, inserted = previous.text[start:old_end], text[start:new_end]
        # The deepest nesting grows at most by the openers written and the closers removed.
        depth = previous.depth + _brackets(inserted, "([{") + _brackets(removed, ")]}")
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > self.max_bytes:  # as `update_file`'s `utf8_over`, without encoding twice
            return False
        if depth > MAX_NESTING:
            depth = nesting(data)
        python = rel.endswith(PYTHON_SUFFIXES)
        module = self.module_of(rel) if python else ("", False)
        memo = previous.memo if previous.module == module else UnitMemo()
        with self.store.lock:
            if self._trees.get(rel) is not previous:  # another edit got there first
                self._trees.pop(rel, None)
                return self.update_file(self.root / rel, text)
            del self._trees[rel]  # ours now: its tree is edited in place below
            claim = self._claim(rel)
        # Parsed and tagged outside the lock: requests meanwhile read the index as it was.
        base = previous.good if previous.good is not None else previous.data
        if base is previous.data and text.isascii() and previous.text.isascii():
            # A character is a byte: the text's edit is the bytes' (no second comparison of
            # the whole file, a third of finding the edit in a 300 KB one).
            changed = (start, old_end, new_end)
        else:
            changed = _edit_span(base, data)  # of the text the memo describes
        count = previous.count + inserted.count("\n") - removed.count("\n")
        tags = None
        tree = previous.tree
        tree_data = previous.tree_data if previous.tree_data is not None else previous.data
        if python and depth <= MAX_NESTING and memo is previous.memo:
            # The statements around the edit alone, when that is the same as the whole file;
            # a syntax error inside the statement edited keeps its last tags until it parses.
            tags = local_tags(data, module[0], rel, module[1], memo, changed, count - 1,
                              hold=True)
        if python and tags is None:
            # The tree of the previous parse lets tree-sitter re-parse only what changed.
            tree = reparse(tree_data, tree, data) if tree is not None else parse_bytes(data)
        lines = _relines(previous.text, previous.lines, text, start, old_end, new_end)
        recent = _Recent(text, data, lines, tree, memo, module, depth, previous.defs, count,
                         hashed=False, changed=changed,
                         tree_data=tree_data if tags is not None else None,
                         good=base if tags is not None and memo.held else None)
        if tags is None:
            tags = self._tags(rel, text, data, tree, memo, recent)
        with self.store.lock:
            if self._claims.get(rel) is not claim:  # a later update of the file won
                return False
            recent.defs = self._transaction(lambda: self._write(
                rel, text, mtime_ns, size, data, tree, lines, previous.lines, memo, recent, tags,
                last=previous.tags))
            recent.tags = tags
            self._keep(rel, recent)
            self.generation += 1
        return True

    def _claim(self, rel: str) -> object:
        """Mark an update of `rel` as the latest one (under the lock): an earlier update that is
        still parsing outside the lock finds it superseded and writes nothing."""
        claim = self._claims[rel] = object()
        return claim

    def _stat(self, rel: str) -> tuple[int, int]:
        try:
            st = os.stat(self.root / rel)
            return st.st_mtime_ns, st.st_size
        except OSError:  # unsaved new buffer: no stat yet, the hash still guards re-indexing
            return 0, -1

    def _transaction(self, write: Callable[[], list[_DefRow]]) -> list[_DefRow]:
        """Run `write` in one transaction (under the lock)."""
        self.store.conn.execute("BEGIN")
        try:
            rows = write()
            self.store.conn.execute("COMMIT")
        except BaseException:
            self.store.conn.execute("ROLLBACK")
            self._window_total = None
            raise
        return rows

    def _keep(self, rel: str, recent: _Recent) -> None:
        """Keep `recent` for the next edit of `rel` (under the lock); the file it pushes out of
        `_trees` gets its hash written (see `_settle`)."""
        self._trees.pop(rel, None)
        self._trees[rel] = recent
        while len(self._trees) > _RECENT_TREES:
            self._settle(*self._trees.popitem(last=False))

    def _settle(self, rel: str, recent: _Recent) -> None:
        """Write the hash an edit left out of `rel`'s row, as `recent` is no longer kept (under
        the lock); unless the row was rewritten since (another text, another hash). A file whose
        last edits were not tagged (`_Recent.good`) is tagged whole first, so that its rows are
        those a fresh index of its text has."""
        if recent.good is not None:
            self._retag(rel, recent)
            return
        if recent.hashed:
            return
        self.store.conn.execute("UPDATE files SET hash=? WHERE path=? AND hash IS NULL",
                                (_hash(recent.text), rel))

    def _retag(self, rel: str, recent: _Recent) -> None:
        """Tag `recent`'s text whole and write its rows and hash (under the lock)."""
        tree = recent.tree
        if tree is not None:
            tree_data = recent.tree_data if recent.tree_data is not None else recent.data
            tree = reparse(tree_data, tree, recent.data)
        tags = self._tags(rel, recent.text, recent.data, tree, recent.memo, recent)
        mtime_ns, size = self._stat(rel)
        self._transaction(lambda: self._write(
            rel, recent.text, mtime_ns, size, recent.data, tree, recent.lines, recent.lines,
            recent.memo, recent, tags, _hash(recent.text)))
        self.generation += 1

    def _prepare(self, rel: str, text: str) -> tuple[_Recent, FileTags | None]:
        """What the next edit of `rel` starts from when `text` is what the index holds, and
        the tags of `text` (None: not tagged here)."""
        data = text.encode("utf-8", "surrogatepass")
        tree: Tree | None = None
        memo = UnitMemo()
        module = ("", False)
        tags = None
        if rel.endswith(PYTHON_SUFFIXES):
            module = self.module_of(rel)
            tree = parse_bytes(data)
            tags = extract_tags(data, module[0], rel, module[1], tree=tree, memo=memo)
        return _Recent(text, data, split_lines(text), tree, memo, module, nesting(data), None,
                       text.count("\n") + 1), tags

    def _adopt(self, rel: str, recent: _Recent, tags: FileTags | None) -> None:
        """Take `tags` as those the rows of `rel` hold (`_Recent.tags`, with the definitions'
        rows) when they are (under the lock): the rows may have been written by another
        version of the tagging. Read when the file is opened, so that its first edit need not
        read them."""
        if tags is None:
            return
        row = self.store.conn.execute("SELECT id FROM files WHERE path=?", (rel,)).fetchone()
        if row is None:
            return
        rows = self._def_rows(row[0])
        if [(key, line, end) for key, _, line, end in rows] == [
                (_def_key(d), d.line, d.end_line) for d in tags.definitions] \
                and self._import_rows(row[0]) == [
                    (i.module, i.name, i.alias, i.line) for i in tags.imports]:
            recent.defs, recent.tags = rows, tags

    def forget_tree(self, path: str | os.PathLike[str]) -> None:
        """Drop what is kept for re-indexing a file's next edit (it was closed)."""
        with self.store.lock:
            rel = self.relpath(path)
            recent = self._trees.pop(rel, None)
            if recent is not None:
                self._settle(rel, recent)

    def remove_file(self, path: str | os.PathLike[str]) -> bool:
        """Forget a deleted file; returns False when it was not indexed."""
        with self.store.lock:
            self._trees.pop(self.relpath(path), None)
            self._claim(self.relpath(path))  # an update still parsing it writes nothing
            removed = self._delete(self.relpath(path))
            self.generation += removed
        return removed

    def build(self, progress: Progress | None = None, cancelled: Cancelled | None = None,
              batch: int = 64) -> BuildStats:
        """Index the workspace: new and changed files are (re)read, vanished files dropped.

        `progress(done, total)` is called as files are processed; `cancelled()` is polled between
        files and stops the build early (what was indexed stays valid). Files deleted while the
        build runs are skipped.
        """
        started = time.perf_counter()
        paths = [p for p in workspace_files(self.root, self.exclude, self.max_bytes)
                 if self._indexable(self.relpath(p))]
        with self.store.lock:
            known = {row[0]: (row[1], row[2]) for row in self.store.conn.execute(
                "SELECT path, mtime_ns, size FROM files")}
            row = self.store.conn.execute(
                "SELECT value FROM meta WHERE key='tagged'").fetchone()
            scheme = self.store.conn.execute(
                "SELECT value FROM meta WHERE key='windows'").fetchone()
        tagged = _tagged_languages()
        if row is None or row[0] != tagged:  # built when fewer languages had tags: re-read those
            known = {rel: (-1, -1) if not rel.endswith(PYTHON_SUFFIXES)
                     and language_of(rel) else stat for rel, stat in known.items()}
        if scheme is None or scheme[0] != _WINDOW_SCHEME:  # windows cut otherwise: re-read all
            known = dict.fromkeys(known, (-1, -1))
        self._packages.clear()
        total, indexed, seen = len(paths), 0, set()
        pending: list[tuple[str, str, int, int]] = []
        for done, path in enumerate(paths, 1):
            if cancelled is not None and cancelled():
                self._flush(pending)
                return BuildStats(total, indexed, 0, time.perf_counter() - started, True)
            rel = self.relpath(path)
            seen.add(rel)
            try:
                st = os.stat(path)
            except OSError:
                continue
            if known.get(rel) != (st.st_mtime_ns, st.st_size):
                text = read_text(path, self.max_bytes)
                if text is not None:
                    pending.append((rel, text, st.st_mtime_ns, st.st_size))
                    indexed += 1
            if len(pending) >= batch:
                self._flush(pending)
            if progress is not None and (done % 16 == 0 or done == total):
                progress(done, total)
        self._flush(pending)
        removed = 0
        with self.store.lock:
            for rel in set(known) - seen:
                removed += self._delete(rel)
            self.store.conn.execute("INSERT OR REPLACE INTO meta VALUES('tagged', ?)", (tagged,))
            self.store.conn.execute("INSERT OR REPLACE INTO meta VALUES('windows', ?)",
                                    (_WINDOW_SCHEME,))
            self._term_rows.clear()
            self.generation += 1
        self.store.evict(when_due=True)  # the index has grown: the cache may be over its cap now
        return BuildStats(total, indexed, removed, time.perf_counter() - started)

    def _flush(self, pending: list[tuple[str, str, int, int]]) -> None:
        if not pending:
            return
        with self.store.lock:
            conn = self.store.conn
            conn.execute("BEGIN")
            try:
                for rel, text, mtime_ns, size in pending:
                    # What was kept of the file for its next edit no longer describes its rows.
                    self._trees.pop(rel, None)
                    self._claim(rel)
                    self._write(rel, text, mtime_ns, size)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                self._window_total = None
                raise
            self.generation += 1
        pending.clear()

    # -- reading -----------------------------------------------------------------------------

    def _read(self, sql: str, args: Sequence[object],
              convert: Callable[[list[Any]], list[Any]] = list) -> list[Any]:
        """The records `convert` makes of the rows of `sql`, remembered at the index's
        generation (`_reads`): a write in between makes them read again. Each caller gets a
        list of its own (the records themselves are frozen)."""
        key = (sql, *args)
        with self._reads_lock:
            hit = self._reads.get(key)
        if hit is not None and hit[0] == self.generation:
            return list(hit[1])
        with self.store.lock:
            generation = self.generation  # what the rows are, read under the same lock
            rows = self.store.conn.execute(sql, tuple(args)).fetchall()
        # Records, not rows: making them again on each request cost more than the read saved
        # (6 ms a request on rich, 1,600 lists of definitions over 40 requests).
        records = convert(rows)
        with self._reads_lock:
            self._reads[key] = (generation, records)
        return list(records)

    def _defs(self, where: str, args: Sequence[object]) -> list[Definition]:
        return self._read(f"SELECT {_DEF_COLUMNS} FROM defs d JOIN files f ON f.id = d.file_id "
                          f"WHERE {where}", args, _definitions)

    def file_count(self) -> int:
        """Number of indexed files."""
        with self.store.lock:
            return self.store.conn.execute("SELECT count(*) FROM files").fetchone()[0]

    def module_path(self, module: str) -> str | None:
        """Workspace path of a module (a package's `__init__` for packages)."""
        rows = self._read("SELECT path FROM files WHERE module=? "
                          "ORDER BY path LIKE '%.pyi' DESC LIMIT 1", (module,))
        return str(rows[0][0]) if rows else None

    def definitions_in(self, path: str, parent: str | None = None) -> list[Definition]:
        """Definitions of one file, in line order; only members of `parent` when given."""
        where = "f.path=?" + (" AND d.parent=?" if parent is not None else "")
        args = (path, parent) if parent is not None else (path,)
        return self._defs(where + " ORDER BY d.line", args)

    def top_level(self, module: str, name: str) -> list[Definition]:
        """Module-level definitions of `name` in `module`."""
        return self._defs("f.module=? AND d.name=? AND d.parent=''", (module, name))

    def named(self, name: str, kinds: Sequence[str] = ("class",)) -> list[Definition]:
        """Definitions named `name` of the given kinds anywhere in the workspace."""
        marks = ",".join("?" * len(kinds))
        return self._defs(f"d.name=? AND d.kind IN ({marks})", (name, *kinds))

    def returning(self, names: Sequence[str], limit: int = 200) -> list[Definition]:
        """Functions and methods whose return annotation mentions any of `names`."""
        if not names:
            return []
        marks = ",".join("?" * len(names))
        return self._defs(
            f"d.id IN (SELECT def_id FROM returns WHERE type_name IN ({marks})) LIMIT ?",
            (*names, limit))

    def imports_of(self, path: str) -> list[Import]:
        """Imports of an indexed file."""
        return self._read("SELECT i.module, i.name, i.alias, i.line FROM imports i JOIN files f "
                          "ON f.id = i.file_id WHERE f.path=?", (path,),
                          lambda rows: [Import(*r) for r in rows])

    def graph_changes(self) -> set[str] | None:
        """The modules whose imports changed since the last call (their edges in
        `import_graph` are to be asked again), or None when the whole graph is: the first call,
        and after a file was added or removed."""
        with self.store.lock:
            changes, self._graph_changes = self._graph_changes, set()
            return changes

    def import_graph(self, sources: Iterable[str] | None = None) -> dict[str, set[str]]:
        """Module -> modules it imports (workspace modules only); with `sources`, only the
        edges from those modules (asked by name, not by a pass over every import)."""
        conn = self.store.conn
        with self.store.lock:
            if sources is None:
                rows = conn.execute(
                    "SELECT f.module, i.module, i.name FROM imports i JOIN files f "
                    "ON f.id=i.file_id WHERE i.module IN (SELECT module FROM files) OR "
                    "i.module || '.' || i.name IN (SELECT module FROM files)").fetchall()
                modules = {r[0] for r in conn.execute("SELECT module FROM files")}
            else:
                rows = conn.execute(
                    "SELECT f.module, i.module, i.name FROM files f JOIN imports i "
                    "ON i.file_id=f.id WHERE f.module IN (SELECT value FROM json_each(?))",
                    (json.dumps(sorted(sources)),)).fetchall()
                named = sorted({t for _, t, _ in rows} | {f"{t}.{n}" for _, t, n in rows})
                modules = {r[0] for r in conn.execute(
                    "SELECT module FROM files WHERE module IN (SELECT value FROM json_each(?))",
                    (json.dumps(named),))}
        graph: dict[str, set[str]] = {}
        for src, target, name in rows:
            full = f"{target}.{name}"
            if full in modules or target in modules:
                graph.setdefault(src, set()).add(full if full in modules else target)
        return graph

    def window_total(self) -> int:
        """Number of indexed windows (counted once, then kept by every write)."""
        with self.store.lock:
            if self._window_total is None:
                self._window_total = self.store.conn.execute(
                    "SELECT count(*) FROM wins").fetchone()[0]
            return self._window_total

    def _matching(self, term: str, cap: int) -> int:
        """Windows containing `term`, counted up to `cap` (a count at `cap` means "or more").

        Counting stops at `cap` (FTS5 walks the term's list lazily), so this costs at most `cap`
        steps; counts are remembered, since the lines before the cursor change little per key.
        Raises `sqlite3.OperationalError` when the deadline (`interrupt.bounded`) interrupts it.
        """
        cached = self._term_rows.get(term)
        if cached is not None and (cached[0] < cached[1] or cached[1] >= cap):
            return min(cached[0], cap)
        count = self.store.conn.execute(
            "SELECT count(*) FROM (SELECT rowid FROM wins_fts WHERE wins_fts MATCH ? LIMIT ?)",
            (f'"{term}"', cap)).fetchone()[0]
        self._term_rows[term] = (count, cap)
        return count

    def _counted(self, term: str, cap: int, deadline: float | None) -> int | None:
        """`_matching`, or None when the deadline has passed before or while counting (a term
        whose count is remembered is answered however late: it costs nothing)."""
        cached = self._term_rows.get(term)
        if cached is not None and (cached[0] < cached[1] or cached[1] >= cap):
            return min(cached[0], cap)
        if deadline is not None and time.monotonic() >= deadline:
            return None
        try:
            return self._matching(term, cap)
        except sqlite3.OperationalError as exc:
            if interrupted(exc, deadline):
                return None
            raise

    def window_search(self, query: str, exclude_path: str | None = None, limit: int = 10,
                      max_rows: int = MAX_SCORED_ROWS, max_terms: int = MAX_QUERY_TERMS,
                      deadline: float | None = None, budget_ms: float | None = None,
                      near: Sequence[str] = ()) -> WindowSearch:
        """BM25 over 10-line windows, bounded: at most about `max_rows` windows are scored.

        The query's identifiers are taken rarest first (the highest BM25 weight) while their
        window counts add up to no more than `max_rows`, at most `max_terms` of them; then, while
        there is room, a few common ones nearest the cursor. The common ones left out weigh little
        in BM25 and would cost the most; counting a term's windows stops at what could still fit,
        so choosing costs a bounded number of steps too. Terms in more than half the windows weigh
        nothing in FTS5's bm25() and are not queried when others are; `note` names the others
        left out. Hits are (path, start_line, end_line, text, score), best first.

        Each term is scored alone and the terms' scores added (FTS5's bm25() of the OR query,
        `termscores`); a term's scores are remembered until the index changes, so typing on
        reads only the windows of the terms it adds. With `budget_ms` (the request's deadline)
        at most `FRESH_SHARE` of it goes to reading new terms' windows at the measured rate
        (`CARRY_SHARE` when some of the query's terms are remembered), the rarest first; the
        terms that do not fit are left out of this answer and said so in `note` (the next
        search at the place reads them).

        `deadline` (`time.monotonic()`): no step outlives it. The index's lock is waited for
        until then, terms are counted nearest the cursor first while there is time (those not
        counted are left out), and SQLite's own loops are interrupted at it (`interrupt`): the
        terms scored by then stand; an interrupt landing in any other step loses this search
        only. `note` begins with "deadline: " and says what was left out.
        With `near` (modules, nearest first: those the cursor's file imports and imports it,
        then theirs) the windows of their files (`near.neighbourhood`) are searched first, with
        every term of the query that weighs something, each read inside them alone; the search
        over the whole index then reads its rare terms while the deadline leaves time. The
        neighbourhood's windows are scored with all those terms, the others with the terms
        read whole, so a window near the cursor's file ranks above an equal one far from it.
        The neighbourhood's reads take `NEAR_SHARE` of `budget_ms` from the whole index's.
        `near_terms` names the terms read in the neighbourhood alone, and `note` what it left
        out (none of `near`'s files indexed: the search runs over the whole index only).

        A complete search is remembered by the query's terms that match some window (with the
        excluded file, `limit`, `near` and the index's generation) and answers again for a row
        budget no larger than its own.
        """
        tokens = list(dict.fromkeys(t.lower() for t in _IDENT.findall(query)))[-_QUERY_TOKENS:]
        if not tokens:
            return WindowSearch([])
        if deadline is not None and time.monotonic() >= deadline:
            return WindowSearch([], dropped=tuple(tokens),
                                note="deadline: passed before the search began")
        if not self._lock_by(deadline):
            return WindowSearch([], dropped=tuple(tokens),
                                note="deadline: the index was busy (being written) until it")
        try:
            with bounded(self.store.conn, deadline):
                return self._window_search(tokens, exclude_path, limit, max_rows, max_terms,
                                           deadline, budget_ms, tuple(near))
        except sqlite3.OperationalError as exc:
            if not interrupted(exc, deadline):
                raise
            # Sent as a step ended, the interrupt hit the next one (any of them): this search
            # is lost, the terms it scored stay remembered, the request goes on.
            return WindowSearch([], dropped=tuple(tokens),
                                note="deadline: interrupted by it between the search's steps")
        finally:
            self.store.lock.release()

    def _lock_by(self, deadline: float | None) -> bool:
        """Take the store's lock, waiting at most until `deadline` (None: for as long as it
        takes); False when it was not had in time."""
        if deadline is None:
            return self.store.lock.acquire()
        left = deadline - time.monotonic()
        return left > 0 and self.store.lock.acquire(timeout=left)

    def _window_search(self, tokens: list[str], exclude_path: str | None, limit: int,
                       max_rows: int, max_terms: int, deadline: float | None,
                       budget_ms: float | None, near: tuple[str, ...]) -> WindowSearch:
        """`window_search` under the store's lock and the deadline's interrupt."""
        # First every term up to `_RARE_BELOW` windows: the rare ones are known exactly. The
        # nearest the cursor first, so that a deadline leaves out the farthest.
        counts: dict[str, int] = {}
        for t in reversed(tokens):
            count = self._counted(t, _RARE_BELOW, deadline)
            if count is None:
                break
            counts[t] = count
        uncounted = [t for t in tokens if t not in counts]
        counted = [t for t in tokens if t in counts]
        if not counted:
            return WindowSearch([], dropped=tuple(tokens), note=(
                f"deadline: none of the {len(tokens)} query terms counted before it"))
        # Terms that match no window change nothing: typing on within a line mostly adds such
        # (an identifier's prefix), and the last answer for the others stands.
        key = (tuple(sorted(t for t in counted if counts[t])), exclude_path, limit, near,
               self.generation)
        found = self._searched.get(key)
        if not uncounted and found is not None and found[0] >= max_rows:
            return found[1]  # searched with at least this row budget
        kept, exact = self._kept(tokens, counted, counts, max_rows, max_terms, deadline)
        weighty = self._weighty(counted, counts)
        dropped = tuple(sorted((t for t in counted if t not in kept),
                               key=lambda t: (counts[t], -tokens.index(t)))) + tuple(uncounted)
        dropped_weighty = [t for t in dropped if t in weighty]
        notes = []
        if uncounted:
            notes.append(f"deadline: {len(uncounted)} of {len(tokens)} query terms not counted "
                         f"before it (the farthest from the cursor)")
        if dropped_weighty:
            notes.append(f"query cut to {len(kept)} of {len(tokens)} terms (at most {max_rows} "
                         f"windows scored); left out: "
                         + ", ".join(f"{t} ({counts[t]}{'' if exact[t] else '+'})"
                                     for t in dropped_weighty[:6])
                         + (" ..." if len(dropped_weighty) > 6 else ""))
        hood = self._hood(near, exclude_path)
        # The neighbourhood first, with every weighty term but the rare ones (read whole next,
        # at about the cost of reading them there); the rarest first.
        # Typing on (some terms read whole and remembered) reads nothing new there: the first
        # search at the place read it, and a read of a common term costs 1-10 ms at first.
        carry = any(self._scores.get(t, self.generation) is not None for t in kept)
        near_scores, near_note = self._near_term_scores(
            hood, near, exclude_path, [t for t in weighty if counts[t] >= _RARE_BELOW], counts,
            deadline, None if carry else budget_ms, read=not carry)
        if hood.left_out or hood.scattered:
            notes.append(f"neighbourhood: {hood.left_out} files near it left out (over "
                         f"{len(hood.rowids)} windows of {hood.files} files), "
                         f"{hood.scattered} windows scattered beyond its id ranges")
        if near_note:
            notes.append(near_note)
        scores, unread = self._term_scores(kept, counts, self._fresh_cap(
            kept, deadline, budget_ms, NEAR_SHARE if hood else 0.0), deadline)
        if unread:
            notes.append(unread)
        # A term read whole holds the neighbourhood's windows too: its part there is not added.
        near_only = {t: s for t, s in near_scores.items() if t not in scores}
        hits = self._best({**scores, **near_only}, exclude_path, limit)
        if not hits and dropped and not uncounted and not unread \
                and self.window_total() <= max_rows:
            # The kept terms matched only the excluded file (rare terms often are the
            # document's own); an index this small is scored whole at once.
            kept, dropped, near_only = tokens, (), {}
            scores, unread = self._term_scores(kept, counts, None, deadline)
            hits = self._best(scores, exclude_path, limit)
        terms = tuple(t for t in kept if t in scores)
        left_out = tuple(t for t in kept if t not in scores)
        search = WindowSearch(hits, terms, tuple(t for t in left_out + dropped
                                                 if t not in near_only),
                              sum(len(s) for s in scores.values())
                              + sum(len(s) for s in near_only.values()), "; ".join(notes),
                              tuple(near_only))
        if not uncounted and not unread:
            self._searched[key] = (max_rows, search)
        return search

    def _hood(self, near: tuple[str, ...], exclude_path: str | None) -> Neighbourhood:
        """The windows of `near`'s files (`near.neighbourhood`), kept for the generation."""
        if not near:
            return EMPTY
        key = (near, exclude_path, self.generation)
        found = self._hoods.get(key)
        if found is None:
            found = self._hoods[key] = neighbourhood(self.store.conn, near, exclude_path)
        return found

    def _near_term_scores(self, hood: Neighbourhood, near: tuple[str, ...],
                          exclude_path: str | None, terms: list[str], counts: dict[str, int],
                          deadline: float | None, budget_ms: float | None,
                          read: bool = True) -> tuple[dict[str, TermScores], str]:
        """`terms`' scores inside `hood`'s windows (those read whole and remembered are not
        read here), nearest the cursor first, for at most `NEAR_SHARE` of `budget_ms` and not
        after `deadline` (none but those remembered unless `read`); and a note naming the terms
        left out for the deadline ("" when none was)."""
        if not hood:
            return {}, ""
        generation = self.generation
        total = self.window_total()
        spent_by = None
        if budget_ms is not None:
            spent_by = time.perf_counter() + budget_ms * NEAR_SHARE / 1000
        where = "\0".join((*near, exclude_path or ""))
        scores: dict[str, TermScores] = {}
        late: list[str] = []
        for term in list(reversed(terms))[:NEAR_TERMS]:
            if self._scores.get(term, generation) is not None:
                continue  # read whole: the search over the whole index has it at no cost
            key = f"{term}\0{where}"
            memo = self._near_scores.get(key, generation)
            if memo is not None:
                scores[term] = memo
                continue
            if late or not read or _past(deadline) or (spent_by is not None
                                                       and time.perf_counter() >= spent_by):
                late.append(term)
                continue
            try:
                found = read_near(self.store.conn, term, hood, total, counts[term])
            except sqlite3.OperationalError as exc:
                if not interrupted(exc, deadline):
                    raise
                late.append(term)
                continue
            self._near_scores.put(key, generation, found)
            scores[term] = found
        if not late:
            return scores, ""
        why = "within its share of the deadline" if read else "typing on (read at the first " \
            "search at the place only)"
        return scores, (f"neighbourhood: {len(late)} terms not read in it {why}: "
                        + ", ".join(late[:6]) + (" ..." if len(late) > 6 else ""))

    def _weighty(self, counted: list[str], counts: dict[str, int]) -> list[str]:
        """Terms in at most half the windows (the others weigh nothing in bm25()), or all of
        `counted` when none is (a tiny index)."""
        half = self.window_total() / 2
        return [t for t in counted if counts[t] <= half] or counted

    def _kept(self, tokens: list[str], counted: list[str], counts: dict[str, int],
              max_rows: int, max_terms: int,
              deadline: float | None) -> tuple[list[str], dict[str, bool]]:
        """The terms to score (rarest first, then the common ones nearest the cursor while
        `max_rows` has room) and, per term, whether its count is exact; the common terms'
        counts are completed in `counts`."""
        exact = {t: counts[t] < _RARE_BELOW for t in counted}
        half = self.window_total() / 2
        weighty = self._weighty(counted, counts)
        # Rarest first; among equals the later token (nearer the cursor) first.
        rare = sorted((t for t in weighty if exact[t]),
                      key=lambda t: (counts[t], -tokens.index(t)))
        kept: list[str] = []
        rows = 0
        full = False
        for term in rare:
            if len(kept) >= max_terms or rows + counts[term] > max_rows:
                full = True
                break
            kept.append(term)
            rows += counts[term]
        # Then the common ones nearest the cursor, while the budget has room for them.
        common = [t for t in reversed(weighty) if not exact[t]][:_COMMON_PROBES]
        for term in common if not full else ():
            left = max_rows - rows
            if len(kept) >= max_terms or left < _RARE_BELOW:
                break
            count = self._counted(term, left + 1, deadline)
            if count is None:
                break
            counts[term] = count
            exact[term] = counts[term] <= left
            if exact[term] and counts[term] <= half:
                kept.append(term)
                rows += counts[term]
        return kept, exact

    def _fresh_cap(self, kept: list[str], deadline: float | None, budget_ms: float | None,
                   given: float = 0.0) -> int | None:
        """The most windows this search may read for terms whose scores are not remembered
        (None: no cap): its share of `budget_ms` less the share `given` to its neighbourhood,
        no more than the time left before `deadline`, at the measured rate."""
        if budget_ms is None:
            return None
        carry = any(self._scores.get(t, self.generation) is not None for t in kept)
        ms = budget_ms * ((CARRY_SHARE if carry else FRESH_SHARE) - given)
        if deadline is not None:
            ms = min(ms, (deadline - time.monotonic()) * 1000)
        return max(int(ms * self.rows_per_ms), 0)

    def _term_scores(self, kept: list[str], counts: dict[str, int], cap: int | None,
                     deadline: float | None) -> tuple[dict[str, TermScores], str]:
        """The scores of `kept`'s terms: remembered ones as they are, the others read (the
        rarest first) while their windows fit `cap` and the deadline; and a note naming those
        left out ("" when none was)."""
        generation = self.generation
        scores: dict[str, TermScores] = {}
        over_cap: list[str] = []
        late: list[str] = []
        read = 0
        spent_ms = 0.0
        for term in kept:
            memo = self._scores.get(term, generation)
            if memo is not None:
                scores[term] = memo
                continue
            if late or _past(deadline):
                late.append(term)
                continue
            if cap is not None and read + counts[term] > cap:
                over_cap.append(term)
                continue
            started = time.perf_counter()
            try:
                found = self._read_term(term)
            except sqlite3.OperationalError as exc:
                if not interrupted(exc, deadline):
                    raise
                late.append(term)
                continue
            spent_ms += (time.perf_counter() - started) * 1000
            read += len(found)
            self._scores.put(term, generation, found)
            scores[term] = found
        if read >= 500 and spent_ms > 0:  # small reads measure overhead, not the rate
            self.rows_per_ms = 0.8 * self.rows_per_ms + 0.2 * read / spent_ms
        notes = []
        if over_cap:
            notes.append(f"{len(over_cap)} terms' windows not read, over this search's "
                         f"{cap} new windows (a share of the deadline; {read} read): "
                         + ", ".join(f"{t} ({counts[t]})" for t in over_cap[:6])
                         + (" ..." if len(over_cap) > 6 else ""))
        if late:
            notes.insert(0, f"deadline: scoring interrupted by it, {len(scores)} of "
                         f"{len(kept)} terms scored (the rarest first); left out: "
                         + ", ".join(late[:6]) + (" ..." if len(late) > 6 else ""))
        return scores, "; ".join(notes)

    def _read_term(self, term: str) -> TermScores:
        """Every window holding `term`, with its bm25() for the term alone."""
        return TermScores.of(self.store.conn.execute(
            "SELECT rowid, bm25(wins_fts) FROM wins_fts WHERE wins_fts MATCH ?",
            (f'"{term}"',)))

    def _best(self, scores: dict[str, TermScores], exclude_path: str | None,
              limit: int) -> list[tuple[str, int, int, str, float]]:
        """The best `limit` windows by the terms' summed scores, outside `exclude_path`:
        (path, start_line, end_line, text, score), best first, the score higher-is-better."""
        if not scores:
            return []
        excluded: set[int] = set()
        if exclude_path is not None:
            excluded = {r[0] for r in self.store.conn.execute(
                "SELECT w.id FROM wins w JOIN files f ON f.id = w.file_id WHERE f.path = ?",
                (exclude_path,))}
        top = best(scores.values(), excluded, limit)
        rows = {r[0]: r[1:] for r in self.store.conn.execute(
            "SELECT w.id, f.path, w.start_line, w.end_line, t.text FROM wins w "
            "JOIN files f ON f.id = w.file_id JOIN wins_fts t ON t.rowid = w.id "
            "WHERE w.id IN (SELECT value FROM json_each(?))",
            (json.dumps([rowid for rowid, _ in top]),))}
        # FTS5's bm25() is lower-is-better and negative; flip it so higher is better.
        return [(*rows[rowid], -score) for rowid, score in top if rowid in rows]

    def phrase_windows(self, words: Sequence[str], exclude_path: str | None = None,
                       limit: int = 20) -> list[tuple[str, int, int, str]]:
        """Windows holding `words` (identifiers and numbers, in this order, nothing else of
        those between them): (path, start_line, end_line, text), outside `exclude_path`.
        One FTS5 phrase query: a few index steps per word however large the workspace."""
        terms = [w.lower() for w in words if w]
        if not terms:
            return []
        phrase = '"' + " ".join(terms) + '"'
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT f.path, w.start_line, w.end_line, wins_fts.text "
                "FROM wins_fts JOIN wins w ON w.id = wins_fts.rowid JOIN files f "
                "ON f.id = w.file_id WHERE wins_fts MATCH ? AND f.path IS NOT ? LIMIT ?",
                (phrase, exclude_path, limit)).fetchall()
        return [tuple(r) for r in rows]

    def search_windows(self, query: str, exclude_path: str | None = None,
                       limit: int = 10) -> list[tuple[str, int, int, str, float]]:
        """BM25 over 10-line windows: (path, start_line, end_line, text, score), best first
        (`window_search` with its default bounds)."""
        return self.window_search(query, exclude_path, limit).hits

    def close(self) -> None:
        """Release the database."""
        self.store.close()

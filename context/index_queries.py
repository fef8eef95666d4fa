"""The workspace index's read queries: definitions, imports, the import graph, BM25 windows.

A base of `index.Index`, which writes the same tables; every query holds the store's lock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .records import Definition, Import
from .store import Store

__all__ = ["IndexQueries"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEF_COLUMNS = "f.path, f.module, d.name, d.qualname, d.kind, d.line, d.end_line, d.signature, " \
               "d.doc, d.annotation, d.parent"


class IndexQueries:
    """Read queries over an index `store` (see `index.Index`)."""

    store: Store

    def _defs(self, where: str, args: Sequence[object]) -> list[Definition]:
        with self.store.lock:
            rows = self.store.conn.execute(
                f"SELECT {_DEF_COLUMNS} FROM defs d JOIN files f ON f.id = d.file_id "
                f"WHERE {where}", tuple(args)).fetchall()
        return [Definition(path=r[0], module=r[1], name=r[2], qualname=r[3], kind=r[4],
                           line=r[5], end_line=r[6], signature=r[7], doc=r[8] or "",
                           annotation=r[9] or "", parent=r[10] or "") for r in rows]

    def file_count(self) -> int:
        """Number of indexed files."""
        with self.store.lock:
            return self.store.conn.execute("SELECT count(*) FROM files").fetchone()[0]

    def module_path(self, module: str) -> str | None:
        """Workspace path of a module (a package's `__init__` for packages)."""
        with self.store.lock:
            row = self.store.conn.execute(
                "SELECT path FROM files WHERE module=? ORDER BY path LIKE '%.pyi' DESC LIMIT 1",
                (module,)).fetchone()
        return row[0] if row else None

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
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT i.module, i.name, i.alias, i.line FROM imports i JOIN files f "
                "ON f.id = i.file_id WHERE f.path=?", (path,)).fetchall()
        return [Import(*r) for r in rows]

    def import_graph(self) -> dict[str, set[str]]:
        """Module -> modules it imports (workspace modules only)."""
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT f.module, i.module, i.name FROM imports i JOIN files f ON f.id=i.file_id "
                "WHERE i.module IN (SELECT module FROM files) OR "
                "i.module || '.' || i.name IN (SELECT module FROM files)").fetchall()
            modules = {r[0] for r in self.store.conn.execute("SELECT module FROM files")}
        graph: dict[str, set[str]] = {}
        for src, target, name in rows:
            full = f"{target}.{name}"
            graph.setdefault(src, set()).add(full if full in modules else target)
        return graph

    def search_windows(self, query: str, exclude_path: str | None = None,
                       limit: int = 10) -> list[tuple[str, int, int, str, float]]:
        """BM25 over 10-line windows: (path, start_line, end_line, text, score), best first."""
        tokens = list(dict.fromkeys(_IDENT.findall(query)))[-48:]
        if not tokens:
            return []
        match = " OR ".join(f'"{t}"' for t in tokens)
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT f.path, w.start_line, w.end_line, wins_fts.text, bm25(wins_fts) AS s "
                "FROM wins_fts JOIN wins w ON w.id = wins_fts.rowid JOIN files f "
                "ON f.id = w.file_id WHERE wins_fts MATCH ? AND f.path IS NOT ? "
                "ORDER BY s LIMIT ?", (match, exclude_path, limit)).fetchall()
        # FTS5's bm25() is lower-is-better and negative; flip it so higher is better.
        return [(r[0], r[1], r[2], r[3], -r[4]) for r in rows]

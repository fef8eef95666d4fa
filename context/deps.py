"""Headers of installed dependencies the workspace imports: a separate, cached, read-only table.

`DependencyIndex.refresh` (run after a build, off the keystroke path) takes the top-level module
names the workspace's files import, drops the workspace's own modules and the standard library,
and finds each remaining one in the site-packages folders (the workspace's `.venv`/`venv` first,
then the environment typehole runs in, then the source folders of editable installs their `.pth`
files name, such as the other projects of a monorepo) with
`importlib.machinery.PathFinder.find_spec`, which locates a module without importing it. Only
the package's own files are read, at most `max_files` of them per package (shallow files first)
and `max_packages` packages; their public module-level functions and public classes' public
methods are stored with signatures and return types in the `dep_*` tables. A package is re-read
only when its origin's stamp (path, mtime, size) changes, so a restart is warm. Readers
(`returning`) never write.
"""

from __future__ import annotations

import glob
import importlib.machinery
import logging
import os
import site
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

from .index import Index, type_names
from .records import Definition
from .tags import extract_tags
from .walk import SKIP_DIRS, read_text

__all__ = ["DependencyIndex", "environment_site_dirs", "pth_dirs", "workspace_site_dirs"]

log = logging.getLogger(__name__)

_SKIP_PARTS = frozenset({"tests", "test", "testing", "_vendor", "vendor", "examples", "docs",
                         "benchmarks"}) | SKIP_DIRS
_COLUMNS = "p.name, d.path, d.module, d.name, d.qualname, d.kind, d.line, d.end_line, " \
           "d.signature, d.doc, d.annotation, d.parent"


def workspace_site_dirs(root: str | os.PathLike[str]) -> list[str]:
    """site-packages of a virtualenv at `<root>/.venv` or `<root>/venv`, when there is one."""
    found: list[str] = []
    for venv in (".venv", "venv"):
        base = os.path.join(os.fspath(root), venv)
        found += sorted(glob.glob(os.path.join(glob.escape(base), "lib", "python3*",
                                               "site-packages")))
        found += [p for p in [os.path.join(base, "Lib", "site-packages")] if os.path.isdir(p)]
    return found


def environment_site_dirs() -> list[str]:
    """site-packages folders of the interpreter typehole runs in (never the working folder)."""
    dirs: list[str] = []
    try:
        dirs += site.getsitepackages()
    except AttributeError:  # old virtualenv's site module
        pass
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    dirs += [sysconfig.get_paths().get(k, "") for k in ("purelib", "platlib")]
    return [d for d in dict.fromkeys(dirs) if d and os.path.isdir(d)]


def pth_dirs(site_dirs: Sequence[str], outside: str | os.PathLike[str] | None = None,
             max_bytes: int = 65_536) -> list[str]:
    """Folders the `.pth` files of `site_dirs` add to the import path: editable installs
    (`pip install -e`, uv and Poetry workspace members) of packages whose source lives elsewhere,
    such as the other projects of a monorepo. `import` lines are never run; folders inside
    `outside` (the workspace, already indexed) are left out."""
    skip = os.path.realpath(outside) if outside is not None else None
    found: list[str] = []
    for site_dir in site_dirs:
        for pth in sorted(glob.glob(os.path.join(glob.escape(site_dir), "*.pth"))):
            try:
                with open(pth, encoding="utf-8", errors="replace") as f:
                    lines = f.read(max_bytes).splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                folder = os.path.realpath(os.path.join(site_dir, line))
                if os.path.isdir(folder) and not (
                        skip is not None and (folder == skip or folder.startswith(skip + os.sep))):
                    found.append(folder)
    return list(dict.fromkeys(found))


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return ""
    return f"{path}:{st.st_mtime_ns}:{st.st_size}"


class DependencyIndex:
    """Public function and method headers of the imported installed packages of one workspace.

    Shares the workspace index's SQLite store (and its lock) but only its own `dep_*` tables.
    """

    def __init__(self, index: Index, site_dirs: Sequence[str] | None = None,
                 max_packages: int = 24, max_files: int = 40,
                 max_bytes: int = 400_000) -> None:
        self.index = index
        self._site_dirs = list(site_dirs) if site_dirs is not None else None
        self._search: list[str] | None = None
        self.max_packages = max_packages
        self.max_files = max_files
        self.max_bytes = max_bytes

    @property
    def site_dirs(self) -> list[str]:
        """Where packages are looked for, in order (the workspace's virtualenv first), then the
        folders their `.pth` files add (editable installs, see `pth_dirs`)."""
        if self._search is None:
            sites = self._site_dirs if self._site_dirs is not None else (
                workspace_site_dirs(self.index.root) + environment_site_dirs())
            self._search = list(dict.fromkeys(sites + pth_dirs(sites, self.index.root)))
        return self._search

    def imported_packages(self) -> list[str]:
        """Top-level names the workspace imports that are neither its own modules nor stdlib."""
        store = self.index.store
        with store.lock:
            imported = [r[0] for r in store.conn.execute(
                "SELECT i.module, count(*) AS n FROM imports i JOIN files f ON f.id = i.file_id "
                "WHERE f.path LIKE '%.py' OR f.path LIKE '%.pyi' "
                "GROUP BY i.module ORDER BY n DESC, i.module")]
            own = {r[0].split(".")[0] for r in store.conn.execute(
                "SELECT DISTINCT module FROM files WHERE module != ''")}
        out: list[str] = []
        for module in imported:
            top = (module or "").split(".")[0]
            if (top and top.isidentifier() and top not in own and top not in out
                    and top not in sys.stdlib_module_names and top != "__future__"):
                out.append(top)
        return out

    def _locate(self, name: str) -> tuple[str, list[str]] | None:
        """(origin to stamp, the package's own Python files) without importing anything."""
        try:
            spec = importlib.machinery.PathFinder.find_spec(name, self.site_dirs)
        except (ImportError, ValueError, OSError):
            return None
        if spec is None:
            return None
        root = str(self.index.root)
        if spec.submodule_search_locations:
            folders = [str(p) for p in spec.submodule_search_locations]
            if not folders or any(f == root or f.startswith(root + os.sep)
                                  and not self._in_site_dir(f) for f in folders):
                return None
            files = self._package_files(folders[0], name)
            return _stamp(spec.origin or folders[0]), files
        origin = spec.origin or ""
        if not origin.endswith((".py", ".pyi")) or not self._in_site_dir(origin):
            return None  # an extension module, or something outside site-packages
        return _stamp(origin), [origin]

    def _in_site_dir(self, path: str) -> bool:
        return any(path.startswith(d.rstrip(os.sep) + os.sep) for d in self.site_dirs)

    def _package_files(self, folder: str, name: str) -> list[str]:
        found: list[tuple[int, bool, str, str]] = []
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_PARTS
                                 and not d.startswith(".") and d.isidentifier())
            depth = os.path.relpath(dirpath, folder).count(os.sep) + (dirpath != folder)
            for f in filenames:
                if f.endswith((".py", ".pyi")) and not f.startswith(("test_", "conftest")):
                    # Public modules before private ones at the same depth.
                    found.append((depth, f.startswith("_") and f != "__init__.py", f,
                                  os.path.join(dirpath, f)))
        found.sort()
        # A stub beside its module says the same thing more precisely: keep the stub.
        paths = [p for *_, p in found]
        stubs = {p[:-1] for p in paths if p.endswith(".pyi")}
        return [p for p in paths if p not in stubs][:self.max_files]

    def refresh(self) -> int:
        """Index the imported packages whose files changed; returns how many were (re)read."""
        wanted = self.imported_packages()[:self.max_packages * 2]
        store = self.index.store
        with store.lock:
            known = dict(store.conn.execute("SELECT name, stamp FROM dep_packages").fetchall())
        read = 0
        kept: list[str] = []
        for name in wanted:
            if len(kept) >= self.max_packages:
                break
            located = self._locate(name)
            if located is None:
                continue
            kept.append(name)
            stamp, files = located
            if known.get(name) == stamp:
                continue
            rows = self._read_package(name, files)
            self._store(name, stamp, rows)
            read += 1
        with store.lock:
            for name in set(known) - set(kept):
                self._forget(name)
        return read

    def _read_package(self, name: str, files: list[str]) -> list[Definition]:
        out: list[Definition] = []
        for path in files:
            text = read_text(path, self.max_bytes)
            if text is None:
                continue
            rel = self._site_relative(path)
            parts = Path(rel).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            module = ".".join(parts[:-1] if is_package else parts)
            tags = extract_tags(text.encode("utf-8", "surrogatepass"), module, rel, is_package)
            public_classes = {d.qualname for d in tags.definitions
                              if d.kind == "class" and not d.parent
                              and not d.name.startswith("_")}
            out += [d for d in tags.definitions
                    if d.kind in ("function", "method") and not d.name.startswith("_")
                    and (not d.parent or d.parent in public_classes)]
        return out

    def _site_relative(self, path: str) -> str:
        for d in self.site_dirs:
            prefix = d.rstrip(os.sep) + os.sep
            if path.startswith(prefix):
                return Path(path[len(prefix):]).as_posix()
        return Path(path).name

    def _forget(self, name: str) -> None:
        conn = self.index.store.conn
        conn.execute("DELETE FROM dep_returns WHERE def_id IN "
                     "(SELECT id FROM dep_defs WHERE package=?)", (name,))
        conn.execute("DELETE FROM dep_defs WHERE package=?", (name,))
        conn.execute("DELETE FROM dep_packages WHERE name=?", (name,))

    def _store(self, name: str, stamp: str, defs: list[Definition]) -> None:
        store = self.index.store
        with store.lock:
            conn = store.conn
            conn.execute("BEGIN")
            try:
                self._forget(name)
                for d in defs:
                    def_id = conn.execute(
                        "INSERT INTO dep_defs(package, path, module, name, qualname, parent, "
                        "kind, line, end_line, signature, doc, annotation) "
                        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                        (name, d.path, d.module, d.name, d.qualname, d.parent, d.kind, d.line,
                         d.end_line, d.signature, d.doc, d.annotation)).lastrowid
                    if d.annotation:
                        conn.executemany("INSERT INTO dep_returns VALUES(?, ?)",
                                         [(def_id, n) for n in set(type_names(d.annotation))])
                conn.execute("INSERT INTO dep_packages VALUES(?, ?, ?)", (name, stamp, len(defs)))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def packages(self) -> list[str]:
        """Names of the packages in the table."""
        with self.index.store.lock:
            return [r[0] for r in self.index.store.conn.execute(
                "SELECT name FROM dep_packages ORDER BY name")]

    def returning(self, names: Sequence[str], limit: int = 100) -> list[Definition]:
        """Dependency functions and methods whose return annotation mentions any of `names`."""
        if not names:
            return []
        marks = ",".join("?" * len(names))
        with self.index.store.lock:
            rows = self.index.store.conn.execute(
                f"SELECT {_COLUMNS} FROM dep_defs d JOIN dep_packages p ON p.name = d.package "
                f"WHERE d.id IN (SELECT def_id FROM dep_returns WHERE type_name IN ({marks})) "
                "LIMIT ?", (*names, limit)).fetchall()
        return [Definition(path=r[1], module=r[2], name=r[3], qualname=r[4], kind=r[5],
                           line=r[6], end_line=r[7], signature=r[8], doc=r[9] or "",
                           annotation=r[10] or "", parent=r[11] or "") for r in rows]

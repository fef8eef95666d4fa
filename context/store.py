"""The index's SQLite storage: where it lives, its schema, validation, and the in-memory fallback.

The cache file is `<cache>/typehole/index-v<FORMAT>/<hash of root>.sqlite`: the format version is
part of the path, so an old typehole never reads a new layout and vice versa. On open the file is
validated (format, root, SQLite integrity); a corrupt or foreign file is rebuilt with one warning,
and a folder that cannot be written makes the index run in memory, again with one warning.
While open, the index is leased (`cache.Lease`) so that no eviction removes it, and the cache is
brought under its cap (`cache.evict`) when the index is opened and after it is built.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from pathlib import Path

from .cache import DEFAULT_CAP_MB, Eviction, Lease, evict, eviction_due

__all__ = ["CACHE_DIR_ENV", "FORMAT", "Store", "default_cache_dir", "index_folder", "index_path"]

log = logging.getLogger(__name__)

FORMAT = 1
# Where the index cache lives for one process when `context.cacheDir` is not set (tests, CI).
CACHE_DIR_ENV = "TYPEHOLE_CACHE_DIR"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, module TEXT, is_package INT,
    mtime_ns INT, size INT, hash TEXT, lines INT);
CREATE INDEX IF NOT EXISTS files_module ON files(module);
CREATE TABLE IF NOT EXISTS defs(
    id INTEGER PRIMARY KEY, file_id INT NOT NULL, name TEXT, qualname TEXT, parent TEXT,
    kind TEXT, line INT, end_line INT, signature TEXT, doc TEXT, annotation TEXT);
CREATE INDEX IF NOT EXISTS defs_name ON defs(name);
CREATE INDEX IF NOT EXISTS defs_file ON defs(file_id, parent);
CREATE TABLE IF NOT EXISTS returns(def_id INT NOT NULL, type_name TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS returns_name ON returns(type_name);
CREATE INDEX IF NOT EXISTS returns_def ON returns(def_id);
CREATE TABLE IF NOT EXISTS imports(file_id INT NOT NULL, module TEXT, name TEXT, alias TEXT,
    line INT);
CREATE INDEX IF NOT EXISTS imports_file ON imports(file_id);
CREATE TABLE IF NOT EXISTS wins(id INTEGER PRIMARY KEY, file_id INT NOT NULL, start_line INT,
    end_line INT);
CREATE INDEX IF NOT EXISTS wins_file ON wins(file_id);
CREATE TABLE IF NOT EXISTS dep_packages(name TEXT PRIMARY KEY, stamp TEXT, defs INT);
CREATE TABLE IF NOT EXISTS dep_defs(
    id INTEGER PRIMARY KEY, package TEXT NOT NULL, path TEXT, module TEXT, name TEXT,
    qualname TEXT, parent TEXT, kind TEXT, line INT, end_line INT, signature TEXT, doc TEXT,
    annotation TEXT);
CREATE INDEX IF NOT EXISTS dep_defs_package ON dep_defs(package);
CREATE TABLE IF NOT EXISTS dep_returns(def_id INT NOT NULL, type_name TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dep_returns_name ON dep_returns(type_name);
CREATE INDEX IF NOT EXISTS dep_returns_def ON dep_returns(def_id);
CREATE VIRTUAL TABLE IF NOT EXISTS wins_fts USING fts5(text, tokenize="unicode61 tokenchars '_'");
"""


def default_cache_dir() -> Path:
    """`$TYPEHOLE_CACHE_DIR`, else `$XDG_CACHE_HOME`, else `~/.cache` (the folder that holds
    `typehole/`)."""
    base = os.environ.get(CACHE_DIR_ENV) or os.environ.get("XDG_CACHE_HOME")
    return Path(base) if base else Path.home() / ".cache"


def index_folder(cache_dir: str | os.PathLike[str] | None) -> Path:
    """The folder of this format's indexes under `cache_dir` (None: `default_cache_dir()`)."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return base / "typehole" / f"index-v{FORMAT}"


def index_path(cache_dir: str | os.PathLike[str] | None, root: str | os.PathLike[str]) -> Path:
    """Where the index of `root` is cached; the format version is part of the path."""
    digest = hashlib.sha256(os.fsencode(os.path.realpath(root))).hexdigest()[:20]
    return index_folder(cache_dir) / f"{digest}.sqlite"


class Store:
    """One SQLite connection shared by the index's callers; every use holds `lock`.

    `persistent` is False when the index runs in memory; `warnings` says why, once, for the user.
    """

    def __init__(self, root: Path, cache_dir: str | os.PathLike[str] | None,
                 cap_mb: float = DEFAULT_CAP_MB) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.warnings: list[str] = []
        self.cap_bytes = int(cap_mb * 2**20)
        self.path: Path | None = index_path(cache_dir, root)
        self._lease: Lease | None = None
        conn = self._open_file(self.path)
        if conn is None:
            self.path = None
            conn = self._connect(":memory:")
            self._init(conn)
        self.conn: sqlite3.Connection = conn
        self.evict(when_due=True)

    def evict(self, when_due: bool = False) -> Eviction | None:
        """Bring the cache under its cap (this index is leased, so it stays); None in memory,
        and `when_due` when the cache is under its cap and was cleaned lately (`eviction_due`).

        Never raises: a cache that cannot be cleaned is logged, the index works on.
        """
        if self.path is None:
            return None
        self._checkpoint()
        try:
            if when_due and not eviction_due(self.path.parent, self.cap_bytes):
                return None
            result = evict(self.path.parent, self.cap_bytes)
        except (OSError, sqlite3.Error) as exc:
            log.warning("typehole: could not clean the index cache %s (%s)", self.path.parent, exc)
            return None
        if result.over_cap:
            log.warning("typehole: the indexes in use hold %.0f MB, over the cache cap of %.0f MB "
                        "(context.cacheMaxMb)", result.total / 2**20, self.cap_bytes / 2**20)
        return result

    def _checkpoint(self) -> None:
        """Move the write-ahead log into the database and truncate it, so that the size on disk
        is what the index holds (a build leaves a log as large as what it wrote).

        A connection of its own, never waiting: the shared one stays free for the editor's
        requests, and when a reader is busy the log is simply left for later.
        """
        assert self.path is not None
        try:
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        except sqlite3.Error as exc:
            log.debug("index checkpoint skipped: %s", exc)

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self.warnings.append(message)

    @staticmethod
    def _connect(target: str) -> sqlite3.Connection:
        # Callers from the Jedi worker and the indexing thread share it behind `lock`.
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA temp_store=MEMORY")
        return conn

    def _init(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_SCHEMA)
        conn.execute("INSERT OR REPLACE INTO meta VALUES('format', ?)", (str(FORMAT),))
        conn.execute("INSERT OR REPLACE INTO meta VALUES('root', ?)",
                     (os.path.realpath(self.root),))

    def _valid(self, conn: sqlite3.Connection) -> str | None:
        """None when the file is a usable index of this root, else why not."""
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("format") != str(FORMAT):
                return f"format {meta.get('format')} is not {FORMAT}"
            if meta.get("root") != os.path.realpath(self.root):
                return "it indexes another folder"
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                return "SQLite reports corruption"
        except sqlite3.DatabaseError as exc:
            return f"unreadable ({exc})"
        return None

    def _open_file(self, path: Path) -> sqlite3.Connection | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lease = Lease(path, os.path.realpath(self.root))
            existed = path.exists()
            conn: sqlite3.Connection | None = None
            try:
                conn = self._connect(str(path))
                problem = self._valid(conn) if existed else None
            except sqlite3.DatabaseError as exc:  # not a database at all
                problem = f"unreadable ({exc})"
            if conn is None or problem is not None:
                if conn is not None:
                    conn.close()
                self._warn(f"typehole: index cache {path} is unusable ({problem}); rebuilding")
                path.unlink()
                conn = self._connect(str(path))
            conn.execute("PRAGMA journal_mode=WAL")
            self._init(conn)  # also proves the file is writable
            return conn
        except (OSError, sqlite3.Error) as exc:
            if self._lease is not None:
                self._lease.release()
                self._lease = None
            self._warn(f"typehole: cannot store the index under {path.parent} ({exc}); "
                       "indexing in memory, so the next start will index again")
            return None

    def close(self) -> None:
        """Close the connection (the cache file stays for the next start)."""
        with self.lock:
            self.conn.close()
            if self._lease is not None:
                self._lease.release()
                self._lease = None

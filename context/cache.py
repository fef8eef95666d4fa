"""The index cache across workspaces: who is using which index, what it holds, what to evict.

Each workspace's index is `<digest>.sqlite` (with SQLite's `-wal`/`-shm` while open) in the
versioned cache folder (`store.index_path`), next to `<digest>.lock`, a small file that
- holds the workspace root the index belongs to (so listing needs no database),
- is the index's last use: its modification time is set when the index is opened and closed,
- is held with a shared `flock` for as long as a process has the index open (`Lease`).

Eviction (`evict`) runs when an index is opened and after it is built, unless it ran less than
`EVICT_INTERVAL_S` ago and the cache is under its cap (`eviction_due`: a listing of file sizes,
nothing opened): it removes indexes whose workspace no longer exists, indexes of workspaces under
the system temp folder not used for a while, the indexes of older formats (`index-v<N>` folders
beside this one: no typehole of this version reads them), then the least recently used (temp
roots first) until the cache fits its cap. An index is
removed only under an exclusive, non-blocking `flock` of its lock file, so an index another
process (or this one) has open is never removed, and two evicting processes never race on one.
Where `flock` does not exist (Windows) the open file itself refuses to be deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: an open database cannot be deleted there, which protects it
    fcntl = None  # type: ignore[assignment]

__all__ = ["CachedIndex", "DEFAULT_CAP_MB", "EVICT_INTERVAL_S", "Eviction", "Lease",
           "TEMP_IDLE_S", "evict", "eviction_due", "list_indexes", "remove_index"]

log = logging.getLogger(__name__)

DEFAULT_CAP_MB = 1024.0
# An index of a workspace under the system temp folder (a test, a scratch checkout) not used for
# this long is removed whatever the cap: such workspaces rarely come back.
TEMP_IDLE_S = 15 * 60
# A full eviction (which opens every index's lock file) runs at most this often per cache folder
# while the cache is under its cap; over the cap it runs whenever an index is opened or built.
EVICT_INTERVAL_S = 10 * 60
_SIDECARS = ("-wal", "-shm", "-journal")
_STAMP = "evicted"  # in the cache folder: its modification time is the last full eviction's
_FORMAT_FOLDER = re.compile(r"index-v(\d+)")


def _lock_path(db: Path) -> Path:
    return db.with_suffix(".lock")


def _files(db: Path) -> list[Path]:
    """The index's database and SQLite's files beside it (those that exist)."""
    return [p for p in (db, *(Path(f"{db}{s}") for s in _SIDECARS)) if p.exists()]


def _size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


class Lease:
    """This process uses the index at `db` (of `root`): a shared lock on its lock file.

    While a lease is held no `evict` or `remove_index` deletes the index. `release` records the
    last use and lets go. Raises OSError when the lock file cannot be created.
    """

    def __init__(self, db: Path, root: str) -> None:
        self.path = _lock_path(db)
        self._fd: int | None = None
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while an evictor deletes it
                # An evictor may have deleted the file between our open and our lock: then the
                # lock is on a file nobody else sees, and we start over with a new one.
                if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
                    raise FileNotFoundError(self.path)
            except FileNotFoundError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            break
        self._fd = fd
        if os.fstat(fd).st_size == 0:
            os.write(fd, os.fsencode(root))
        self.touch()

    def touch(self) -> None:
        """Record a use of the index now."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.utime(self._fd)

    def release(self) -> None:
        """Record the last use and let go of the lock (idempotent)."""
        if self._fd is not None:
            self.touch()
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def _exclusive(db: Path) -> Iterator[bool]:
    """Hold the index's lock exclusively if nobody uses it; yields False when it is in use."""
    lock = _lock_path(db)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield False
        return
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                yield False
                return
        yield True
    finally:
        os.close(fd)


@dataclass(frozen=True)
class CachedIndex:
    """One workspace's index in the cache."""

    path: Path  # the `.sqlite` file
    root: str | None  # the workspace it indexes; None when the file says nothing readable
    size: int  # bytes on disk, SQLite's `-wal`/`-shm` included
    last_used: float  # seconds since the epoch
    in_use: bool  # a process holds it open now

    @property
    def root_exists(self) -> bool:
        """Whether the workspace folder is still there."""
        return self.root is not None and os.path.isdir(self.root)

    @property
    def temporary(self) -> bool:
        """Whether the workspace lies under the system temp folder."""
        return self.root is not None and _under(self.root, _temp_dir())


def _temp_dir() -> str:
    return os.path.realpath(tempfile.gettempdir())


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _read_root(db: Path) -> str | None:
    """The root recorded in the lock file, else (an index from before lock files) in the
    database's `meta` table; None when neither says."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = _lock_path(db).read_bytes().decode("utf-8", "surrogateescape")
        if text:
            return text
    try:
        # `immutable`: a read-only open of a WAL database would leave `-wal`/`-shm` files behind.
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?immutable=1", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='root'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _in_use(db: Path) -> bool:
    if not _lock_path(db).exists():
        return False
    with _exclusive(db) as free:
        return not free


def list_indexes(folder: Path) -> list[CachedIndex]:
    """The indexes in the versioned cache folder `folder`, most recently used first."""
    try:
        dbs = sorted(folder.glob("*.sqlite"))
    except OSError:
        return []
    found = []
    for db in dbs:
        files = _files(db)
        if not files:  # removed while we looked
            continue
        stamps = []
        for path in [*files, _lock_path(db)]:
            with contextlib.suppress(OSError):
                stamps.append(path.stat().st_mtime)
        found.append(CachedIndex(path=db, root=_read_root(db), size=_size(files),
                                 last_used=max(stamps, default=0.0), in_use=_in_use(db)))
    return sorted(found, key=lambda entry: entry.last_used, reverse=True)


def remove_index(db: Path) -> bool:
    """Delete the index at `db` unless a process uses it; False when it is in use."""
    with _exclusive(db) as free:
        if not free:
            return False
        try:
            for path in _files(db):
                path.unlink(missing_ok=True)
        except PermissionError:  # Windows: open in another process
            return False
        _lock_path(db).unlink(missing_ok=True)  # still under our lock, see `Lease`
    return True


@dataclass
class Eviction:
    """What one `evict` did."""

    removed: list[CachedIndex] = field(default_factory=list)
    kept: list[CachedIndex] = field(default_factory=list)
    total: int = 0  # bytes left in the cache
    cap: int = 0

    @property
    def over_cap(self) -> bool:
        """Whether indexes in use alone hold more than the cap."""
        return self.total > self.cap


def _reason_to_remove(entry: CachedIndex, now: float) -> str | None:
    if entry.root is None:
        return "it names no workspace (unreadable)"
    if not entry.root_exists:
        return "its workspace no longer exists"
    if entry.temporary and now - entry.last_used > TEMP_IDLE_S:
        return "its workspace is a temporary folder unused for a while"
    return None


def _folder_bytes(folder: Path) -> int:
    """The bytes of the indexes in `folder`, SQLite's files beside them included (sizes only)."""
    total = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if ".sqlite" in entry.name:
                with contextlib.suppress(OSError):
                    total += entry.stat().st_size
    return total


def eviction_due(folder: Path, cap_bytes: int, now: float | None = None) -> bool:
    """Whether `evict` has work worth its cost: the cache is over `cap_bytes`, or the last full
    eviction in `folder` is `EVICT_INTERVAL_S` old (or never ran)."""
    now = time.time() if now is None else now
    if _folder_bytes(folder) > cap_bytes:
        return True
    try:
        last = (folder / _STAMP).stat().st_mtime
    except OSError:
        return True
    return not 0 <= now - last < EVICT_INTERVAL_S


def _old_formats(folder: Path) -> list[Path]:
    """The cache folders of formats older than `folder`'s (`index-v<N>` beside it)."""
    mine = _FORMAT_FOLDER.fullmatch(folder.name)
    if mine is None:
        return []
    try:
        siblings = list(folder.parent.iterdir())
    except OSError:
        return []
    return sorted(p for p in siblings if p.is_dir() and (m := _FORMAT_FOLDER.fullmatch(p.name))
                  and int(m.group(1)) < int(mine.group(1)))


def _evict_old_formats(folder: Path, result: Eviction) -> None:
    """Remove the indexes of older formats that no process uses, and their folders once empty."""
    for old in _old_formats(folder):
        for entry in list_indexes(old):
            if not entry.in_use and remove_index(entry.path):
                log.info("index cache: removed %s (an index of an older format, %s)",
                         entry.root or entry.path, old.name)
                result.removed.append(entry)
        _remove_orphans(old)
        with contextlib.suppress(OSError):
            (old / _STAMP).unlink(missing_ok=True)
            old.rmdir()  # only when empty: an index still in use keeps it


def evict(folder: Path, cap_bytes: int, now: float | None = None) -> Eviction:
    """Bring the cache folder `folder` under `cap_bytes` and drop indexes nobody will use again.

    Indexes of missing workspaces and idle temporary ones go first, whatever the cap; then the
    least recently used (temporary workspaces before others) until the total fits. Indexes in use
    are never removed: if they alone exceed the cap, the result says `over_cap`. Orphan lock
    files and SQLite files without their database are removed too.
    """
    now = time.time() if now is None else now
    _remove_orphans(folder)
    entries = list_indexes(folder)
    result = Eviction(cap=cap_bytes)
    _evict_old_formats(folder, result)
    survivors = []
    for entry in entries:
        reason = _reason_to_remove(entry, now)
        if reason is not None and not entry.in_use and remove_index(entry.path):
            log.info("index cache: removed %s (%s)", entry.root or entry.path, reason)
            result.removed.append(entry)
        else:
            survivors.append(entry)
    for entry in survivors:
        _adopt(entry)
    total = sum(entry.size for entry in survivors)
    # Oldest first, temporary workspaces before the others.
    for entry in sorted(survivors, key=lambda e: (not e.temporary, e.last_used)):
        if total <= cap_bytes:
            break
        if not entry.in_use and remove_index(entry.path):
            log.info("index cache: removed %s (least recently used, cache over %d MB)",
                     entry.root or entry.path, cap_bytes // 2**20)
            result.removed.append(entry)
            total -= entry.size
    removed = {entry.path for entry in result.removed}
    result.kept = [entry for entry in survivors if entry.path not in removed]
    result.total = total
    with contextlib.suppress(OSError):
        (folder / _STAMP).touch()
    return result


def _adopt(entry: CachedIndex) -> None:
    """Give an index from before lock files its lock file (its root and last use), so that the
    next listing does not open the database again."""
    lock = _lock_path(entry.path)
    if entry.root is None or lock.exists():
        return
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:  # created meanwhile by a process opening the index: it writes the root
        return
    try:
        os.write(fd, os.fsencode(entry.root))
        os.utime(fd, (entry.last_used, entry.last_used))
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_orphans(folder: Path) -> None:
    """Lock files and `-wal`/`-shm` files whose database is gone (a crash, a manual delete)."""
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            name = path.name
            if name.endswith(".lock"):
                db = path.with_suffix(".sqlite")
            elif name.endswith(tuple(f".sqlite{s}" for s in _SIDECARS)):
                db = folder / name[:name.index(".sqlite") + len(".sqlite")]
            else:
                continue
            if not db.exists():
                remove_index(db)

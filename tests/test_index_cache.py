"""The index cache across workspaces: the cap, least-recently-used eviction, indexes in use,
missing and temporary workspaces, several processes at once, and `typehole cache`.

Everything is real: SQLite indexes built from files in temp folders, other typehole processes
started with `subprocess`. The "system temp folder" is pointed at a folder of the test (Python's
`tempfile.tempdir`, `TMPDIR` for children) so that the test's own workspaces count as ordinary.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from trees import PYPROJECT, write_tree

from typehole.cli.main import main
from typehole.context.cache import (
    EVICT_INTERVAL_S,
    TEMP_IDLE_S,
    evict,
    eviction_due,
    list_indexes,
    remove_index,
)
from typehole.context.index import Index
from typehole.context.store import FORMAT, index_folder, index_path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock")

# A child that opens (and builds) one index with a cap, says so, and keeps it open until told.
HOLDER = """
import sys
from typehole.context.index import Index
index = Index(sys.argv[1], sys.argv[2], cache_max_mb=float(sys.argv[3]))
index.build()
print("open", index.file_count(), flush=True)
sys.stdin.readline()
print("still", index.file_count(), flush=True)
index.close()
"""


@pytest.fixture
def systemp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temp folder as typehole sees it, in this process and in its children."""
    folder = tmp_path / "systemp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def _workspace(root: Path, files: int = 20) -> Path:
    write_tree(root, {"pyproject.toml": PYPROJECT, **{
        f"pkg/mod{i}.py": "".join(f"def f{i}_{k}(x: int) -> int:\n    return x * {k}\n\n"
                                  for k in range(40)) for i in range(files)}})
    return root


def _build(root: Path, cache: Path, cap_mb: float = 1024.0) -> None:
    index = Index(root, cache, cache_max_mb=cap_mb)
    index.build()
    index.close()


def _used(cache: Path, root: Path, when: float) -> None:
    """Make `root`'s index look last used at `when`."""
    os.utime(index_path(cache, root).with_suffix(".lock"), (when, when))
    os.utime(index_path(cache, root), (when, when))


def _roots(cache: Path) -> set[str]:
    return {e.root for e in list_indexes(index_folder(cache)) if e.root}


def _total(cache: Path) -> int:
    return sum(e.size for e in list_indexes(index_folder(cache)))


def test_the_cap_holds_and_least_recently_used_indexes_go_first(tmp_path: Path,
                                                                 systemp: Path) -> None:
    cache = tmp_path / "cache"
    roots = [_workspace(tmp_path / f"ws{i}") for i in range(6)]
    for root in roots:
        _build(root, cache)
    now = time.time()
    for age, root in enumerate(reversed(roots)):  # ws5 most recent, ws0 the oldest
        _used(cache, root, now - 3600 * (age + 1))
    sizes = {e.root: e.size for e in list_indexes(index_folder(cache))}
    assert len(sizes) == 6 and all(size > 0 for size in sizes.values())
    # Room for about three and a half of them: the three oldest must go.
    cap = int(3.5 * max(sizes.values()))
    index = Index(roots[5], cache, cache_max_mb=cap / 2**20)
    try:
        assert _roots(cache) == {str(r) for r in roots[3:]}
        assert _total(cache) <= cap
        # The index keeps working, and rebuilding it (which evicts again) keeps the cap.
        assert index.build().indexed == 0 and index.file_count() == 21
        assert _total(cache) <= cap
    finally:
        index.close()
    # Growing past the cap: opening one more evicts the least recently used of the rest.
    _build(_workspace(tmp_path / "ws6"), cache, cap / 2**20)
    assert _roots(cache) == {str(tmp_path / "ws4"), str(tmp_path / "ws5"),
                             str(tmp_path / "ws6")} and _total(cache) <= cap


def test_an_index_open_in_another_process_is_never_evicted(tmp_path: Path,
                                                           systemp: Path) -> None:
    cache = tmp_path / "cache"
    held, other = _workspace(tmp_path / "held"), _workspace(tmp_path / "other")
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(held), str(cache), "1024"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().split() == ["open", "21"]
        _used(cache, held, time.time() - 10 * 86400)  # the oldest by far
        tiny = 0.01  # MB: smaller than any one index
        index = Index(other, cache, cache_max_mb=tiny)
        result = index.store.evict()
        assert result is not None and result.over_cap and not result.removed
        assert _roots(cache) == {str(held), str(other)}
        entries = {e.root: e for e in list_indexes(index_folder(cache))}
        assert entries[str(held)].in_use and entries[str(other)].in_use
        assert not remove_index(index_path(cache, held))
        # `typehole cache clear ROOT` refuses, says why, and exits 1.
        code = main(["cache", "clear", str(held), "--cache-dir", str(cache)])
        assert code == 1 and index_path(cache, held).exists()
        child.stdin.write("go on\n")
        child.stdin.flush()
        assert child.stdout.readline().split() == ["still", "21"]  # its index was intact
        assert child.wait(timeout=120) == 0
        # Closed now: the next eviction takes it (and keeps the one open here).
        result = index.store.evict()
        assert result is not None and [e.root for e in result.removed] == [str(held)]
        assert _roots(cache) == {str(other)}
        index.close()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_an_index_open_in_this_process_is_kept_too(tmp_path: Path, systemp: Path) -> None:
    cache = tmp_path / "cache"
    first = Index(_workspace(tmp_path / "a"), cache)
    first.build()
    _used(cache, tmp_path / "a", time.time() - 86400)
    second = Index(_workspace(tmp_path / "b"), cache, cache_max_mb=0.01)
    second.build()
    assert _roots(cache) == {str(tmp_path / "a"), str(tmp_path / "b")}
    assert first.file_count() == 21 and first.update_file(tmp_path / "a" / "new.py", "x = 1\n")
    first.close()
    second.close()
    # Both closed: a third index with the same tiny cap leaves only itself.
    _build(_workspace(tmp_path / "c"), cache, 0.01)
    assert _roots(cache) == {str(tmp_path / "c")}


def test_missing_and_idle_temporary_workspaces_are_removed(tmp_path: Path,
                                                           systemp: Path) -> None:
    cache = tmp_path / "cache"
    gone, kept = _workspace(tmp_path / "gone", 2), _workspace(tmp_path / "kept", 2)
    idle, fresh = _workspace(systemp / "idle", 2), _workspace(systemp / "fresh", 2)
    for root in (gone, kept, idle, fresh):
        _build(root, cache)
    shutil.rmtree(gone)
    now = time.time()
    _used(cache, kept, now - 30 * 86400)  # old, but its workspace is there: kept under the cap
    _used(cache, idle, now - 2 * TEMP_IDLE_S)
    _used(cache, fresh, now - 60)
    folder = index_folder(cache)
    shown = {e.root: e for e in list_indexes(folder)}
    assert not shown[str(gone)].root_exists and shown[str(idle)].temporary
    assert not shown[str(kept)].temporary
    result = evict(folder, 2**30, now)
    assert {e.root for e in result.removed} == {str(gone), str(idle)}
    assert _roots(cache) == {str(kept), str(fresh)}
    # Over the cap, a temporary workspace goes before an older ordinary one.
    result = evict(folder, _total(cache) - 1, now)
    assert [e.root for e in result.removed] == [str(fresh)]
    assert _roots(cache) == {str(kept)}


def test_orphans_and_indexes_from_before_lock_files(tmp_path: Path, systemp: Path) -> None:
    cache = tmp_path / "cache"
    old = _workspace(tmp_path / "old", 2)
    _build(old, cache)
    db = index_path(cache, old)
    db.with_suffix(".lock").unlink()  # as typehole left it before lock files
    os.utime(db, (1_000_000, 1_000_000))
    folder = index_folder(cache)
    stray = [folder / "0123456789abcdef0123.sqlite-wal", folder / "0123456789abcdef0123.lock",
             folder / "fedcba9876543210fedc.sqlite-shm"]
    for path in stray:
        path.write_bytes(b"left by a crash")
    (entry,) = list_indexes(folder)
    assert entry.root == str(old) and entry.last_used == 1_000_000 and not entry.in_use
    assert sorted(p.name for p in folder.iterdir()
                  if p.suffix != ".sqlite" and p.name != "evicted") == sorted(
        p.name for p in stray)  # listing wrote nothing (`evicted`: when the last eviction ran)
    result = evict(folder, 2**30)
    assert not result.removed and not any(path.exists() for path in stray)
    lock = db.with_suffix(".lock")
    assert lock.read_text() == str(old) and lock.stat().st_mtime == 1_000_000


def test_several_processes_share_one_capped_cache(tmp_path: Path, systemp: Path) -> None:
    cache = tmp_path / "cache"
    roots = [_workspace(tmp_path / f"p{i}") for i in range(4)]
    _build(roots[0], cache)
    cap = int(2.5 * _total(cache))
    children = [subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root), str(cache), str(cap / 2**20)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for root in roots]
    outputs = [child.communicate("done\n", timeout=300) for child in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert out.split() == ["open", "21", "still", "21"]
        assert "unusable" not in err and "in memory" not in err
    # Whatever order they ran in, the next open leaves the cache under its cap, and every index
    # left is a valid one (reopened without a warning).
    _build(roots[0], cache, cap / 2**20)
    assert 1 <= len(_roots(cache)) <= 2 and _total(cache) <= cap
    for root in _roots(cache):
        index = Index(root, cache, cache_max_mb=cap / 2**20)
        assert not index.warnings and index.file_count() == 21
        index.close()


def test_typehole_cache_show_and_clear(tmp_path: Path, systemp: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    a, b, gone = (_workspace(tmp_path / n, 2) for n in ("a", "b", "gone"))
    for root in (a, b, gone):
        _build(root, cache)
    shutil.rmtree(gone)
    args = ["--cache-dir", str(cache), "--json"]
    assert main(["cache", *args]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["folder"] == str(index_folder(cache)) and shown["cap_bytes"] == 1024 * 2**20
    assert {e["root"]: e["root_exists"] for e in shown["indexes"]} == {
        str(a): True, str(b): True, str(gone): False}
    assert shown["total_bytes"] == sum(e["bytes"] for e in shown["indexes"]) > 0
    assert main(["cache", "clear", "--missing", *args]) == 0
    cleared = json.loads(capsys.readouterr().out)
    assert [e["root"] for e in cleared["removed"]] == [str(gone)] and not cleared["in_use"]
    assert main(["cache", "clear", str(a), "--cache-dir", str(cache)]) == 0
    assert "removed" in capsys.readouterr().out and _roots(cache) == {str(b)}
    # Mistakes: a clear error, exit status 2, nothing removed.
    assert main(["cache", "clear", str(a), "--cache-dir", str(cache)]) == 2
    assert f"no index of {a}" in capsys.readouterr().err
    assert main(["cache", "clear", "--cache-dir", str(cache)]) == 2
    assert "exactly one of" in capsys.readouterr().err
    assert main(["cache", "clear", "--all", str(b), "--cache-dir", str(cache)]) == 2
    assert _roots(cache) == {str(b)}
    assert main(["cache", "clear", "--all", "--cache-dir", str(cache)]) == 0
    capsys.readouterr()
    assert _roots(cache) == set()


def test_typehole_cache_command_line(tmp_path: Path, systemp: Path) -> None:
    """The installed command, with the cache folder and cap from the project's settings (they
    win over the environment), and a bad cap reported while the default applies."""
    cache = tmp_path / "cache"
    root = _workspace(tmp_path / "ws", 2)
    _build(root, cache)
    project = write_tree(tmp_path / "here", {"pyproject.toml": (
        f"[tool.typehole.context]\ncacheDir = {json.dumps(str(cache))}\ncacheMaxMb = 64\n")})
    env = {**os.environ, "TYPEHOLE_CACHE_DIR": str(tmp_path / "elsewhere")}
    run = subprocess.run([sys.executable, "-m", "typehole", "cache"], capture_output=True,
                         text=True, env=env, cwd=project, timeout=120)
    assert run.returncode == 0, run.stderr
    head, line = run.stdout.splitlines()
    assert head.startswith(f"index cache {index_folder(cache)}: 1 index,")
    assert head.endswith("of 64.0 MB") and line.strip().endswith(str(root))
    (project / "pyproject.toml").write_text("[tool.typehole.context]\ncacheMaxMb = 0\n")
    run = subprocess.run([sys.executable, "-m", "typehole", "cache", "--json"],
                         capture_output=True, text=True, env=env, cwd=project, timeout=120)
    assert run.returncode == 0 and "context.cacheMaxMb" in run.stderr
    shown = json.loads(run.stdout)
    assert shown["cap_bytes"] == 1024 * 2**20 and shown["indexes"] == []
    assert shown["folder"] == str(index_folder(tmp_path / "elsewhere"))


def test_eviction_runs_when_due_and_whenever_the_cache_is_over_its_cap(
        tmp_path: Path, systemp: Path) -> None:
    cache = tmp_path / "cache"
    gone, kept = _workspace(tmp_path / "gone", 2), _workspace(tmp_path / "kept", 2)
    _build(gone, cache)
    shutil.rmtree(gone)
    folder = index_folder(cache)
    stamp = folder / "evicted"
    assert stamp.exists() and not eviction_due(folder, 2**30)
    # Cleaned a moment ago and under the cap: opening another index does not list the cache.
    _build(kept, cache)
    assert _roots(cache) == {str(gone), str(kept)}
    # Once the interval has passed, the next open cleans up.
    old = time.time() - EVICT_INTERVAL_S - 1
    os.utime(stamp, (old, old))
    assert eviction_due(folder, 2**30)
    _build(kept, cache)
    assert _roots(cache) == {str(kept)}
    # Over the cap it is due at once, however lately it ran.
    assert not eviction_due(folder, 2**30) and eviction_due(folder, _total(cache) - 1)


def test_indexes_of_older_formats_are_removed_and_newer_ones_left(tmp_path: Path,
                                                                  systemp: Path) -> None:
    cache = tmp_path / "cache"
    root = _workspace(tmp_path / "ws", 2)
    folder = index_folder(cache)
    older, newer = folder.parent / f"index-v{FORMAT - 1}", folder.parent / f"index-v{FORMAT + 1}"
    for other in (older, newer):
        _build(root, cache)
        shutil.copytree(folder, other, dirs_exist_ok=True)  # an index as another version left it
    shutil.rmtree(folder)
    _build(root, cache)
    assert not older.exists()
    assert [e.root for e in list_indexes(newer)] == [str(root)]
    assert _roots(cache) == {str(root)}


def test_typehole_cache_into_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    """`typehole cache --json | head`: the reader is gone before the command writes."""
    _build(_workspace(tmp_path / "ws", 2), tmp_path / "cache")
    read, write = os.pipe()
    os.close(read)  # every write to the pipe now fails with EPIPE
    try:
        run = subprocess.run([sys.executable, "-m", "typehole", "cache", "--json", "--cache-dir",
                              str(tmp_path / "cache")], stdout=write, stderr=subprocess.PIPE,
                             text=True, timeout=120)
    finally:
        os.close(write)
    assert run.returncode == 141 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr == ""

"""The type oracle (`base.Oracle`): Jedi in-process and ty's language server, one per workspace.

A workspace's ty child is started once (`start_ty`) by whoever opens the workspace (the server
at start-up, a benchmark) and found again by any file in it (`ty_for`), so the layers that ask
questions (monitors, typed-hole context) need no handle passed down to them. `engine_for`
says which engine a file's questions go to first.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .base import (
    Engine,
    Location,
    Oracle,
    Parameter,
    Unavailable,
    close_brackets,
    known_members,
)
from .jedi import JediOracle, OutOfTime, type_of_names
from .ty import EventListener, TyOracle, find_ty, python_type, signatures_of_detail

__all__ = [
    "Engine", "JediOracle", "Location", "Oracle", "OutOfTime", "Parameter", "TyOracle",
    "Unavailable", "close_brackets", "engine_for", "find_ty", "known_members", "python_type",
    "set_engine", "signatures_of_detail", "start_ty", "stop", "stop_all", "ty_for",
    "type_of_names",
]

_LOCK = threading.Lock()
_WORKSPACES: dict[Path, tuple[TyOracle | None, Engine]] = {}


def start_ty(root: str | os.PathLike[str], engine: Engine = "auto",
             executable: str | None = None, on_event: EventListener | None = None,
             exclude: tuple[str, ...] = (), warm_files: int = 0) -> TyOracle | None:
    """Register workspace `root` with `engine`, starting its ty child in the background unless
    the engine is Jedi alone; `exclude`: the user's exclude globs (typehole's read policy, which
    the child is held to); `warm_files`: how many workspace files the child analyses in the
    background once ready (`warming`; 0: none). A root already registered keeps its child when
    the engine still wants one. Returns the child's oracle (None for `jedi`)."""
    key = Path(root).resolve()
    with _LOCK:
        oracle, _ = _WORKSPACES.get(key, (None, engine))
        if engine == "jedi":
            if oracle is not None:
                oracle.close()
            oracle = None
        elif oracle is None or oracle.state == "stopped":
            oracle = TyOracle(key, executable=executable, on_event=on_event, exclude=exclude,
                              warm_files=warm_files)
        _WORKSPACES[key] = (oracle, engine)
        return oracle


def set_engine(root: str | os.PathLike[str], engine: Engine) -> None:
    """Change which engine answers first for a registered workspace, keeping its child
    (benchmarks compare engines on the same sites with one child)."""
    key = Path(root).resolve()
    with _LOCK:
        oracle, _ = _WORKSPACES[key]
        _WORKSPACES[key] = (oracle, engine)


def stop(root: str | os.PathLike[str]) -> None:
    """Forget workspace `root` and stop its child."""
    with _LOCK:
        oracle, _ = _WORKSPACES.pop(Path(root).resolve(), (None, "jedi"))
    if oracle is not None:
        oracle.close()


def stop_all() -> None:
    """Stop every workspace's child (server shutdown, end of a benchmark)."""
    with _LOCK:
        entries = list(_WORKSPACES.values())
        _WORKSPACES.clear()
    for oracle, _ in entries:
        if oracle is not None:
            oracle.close()


def _workspace(path: str | None) -> tuple[TyOracle | None, Engine]:
    if not _WORKSPACES:
        return None, "jedi"
    if path is None:
        # An unsaved buffer: the one workspace, when there is exactly one.
        return next(iter(_WORKSPACES.values())) if len(_WORKSPACES) == 1 else (None, "jedi")
    resolved = Path(path).resolve()
    best: tuple[int, tuple[TyOracle | None, Engine]] | None = None
    for root, entry in list(_WORKSPACES.items()):
        if resolved.is_relative_to(root) and (best is None or len(root.parts) > best[0]):
            best = (len(root.parts), entry)
    return best[1] if best is not None else (None, "jedi")


def ty_for(path: str | None) -> TyOracle | None:
    """The ty oracle of the workspace that holds `path` (None: no ty for it)."""
    return _workspace(path)[0]


def engine_for(path: str | None) -> Engine:
    """Which engine answers questions about `path` first (`jedi` outside any workspace)."""
    return _workspace(path)[1]

"""`jedi.Script`s that share one warm inference state per project, per thread.

A fresh `jedi.Script` starts a fresh `InferenceState`: every module the code imports is found,
parsed and inferred again, for each new version of the document. Here each new Script takes over
the inference state of the previous one for the same project (Jedi replaces the document's own
module in that state's module cache), so only the document itself is inferred anew; on httpx's
`_client.py` that halves a completion after `self.headers.`. The Script of a path's latest
text is also kept, so several queries on one text reuse one Script.

What a warm state remembers about other files goes stale when they change on disk: a state is
dropped as soon as a module file it has read has a new modification time (checked on each new
Script, a stat per module), and the server calls `invalidate()` on the changes it is told of,
which also resets the caches of Jedi answers keyed by `generation()`. A state is also dropped
after `_STATE_USES` Scripts, because each keeps some memo entries of its document's old versions
alive (about 0.3 MB a Script).
Jedi is not thread-safe, so all of this is per thread: in the server every Jedi query runs on
the one analysis thread and shares its state.

Text nested deeper than Python allows is refused (`limits.Unanalysable`): parso takes seconds
and hundreds of megabytes on 100,000 `(`. `forget(path)` drops what is kept of a closed
document: its Scripts and parso's cached tree of it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jedi
import parso.cache
from cachetools import LRUCache

from typehole.base.limits import Unanalysable, check_nesting

__all__ = ["digest", "forget", "generation", "invalidate", "preload", "ran_out", "script"]

_SCRIPTS_SIZE = 2  # a Script holds its parse tree and inference results: keep few
_STATE_USES = 200


@dataclass
class _Warm:
    state: Any  # jedi's InferenceState (not public API)
    uses: int = 0
    born: float = field(default_factory=time.time)

    def still_fresh(self, own_path: str | None) -> bool:
        """Whether no module file this state has read changed on disk since it was created.

        Every module in the state was read after `born`, so a file modified later may have
        been read before its change: the state is dropped rather than risk a stale answer.
        """
        paths = _module_paths(self.state)
        if paths is None:  # Jedi's internals moved: never share rather than be stale
            return False
        return not any(path != own_path and _mtime(path) > self.born for path in paths)


def _module_paths(state: Any) -> set[str] | None:
    """The files of the modules a Jedi inference state holds; None when that cannot be read."""
    try:
        modules = list(state.module_cache._name_cache.values())
    except AttributeError:
        return None
    paths = set()
    for values in modules:
        for value in values:
            if path := str(getattr(getattr(value, "file_io", None), "path", "") or ""):
                paths.add(path)
    return paths


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return float("inf")  # gone: whatever was read from it is stale


_ProjectKey = tuple[str, tuple[str, ...]]


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.generation = -1
        self.states: dict[_ProjectKey, _Warm] = {}
        # (path, text digest, project) -> (Script, parso's cache entry of its parse)
        self.scripts: LRUCache[tuple[str | None, bytes, _ProjectKey],
                               tuple[jedi.Script, object]] = LRUCache(maxsize=_SCRIPTS_SIZE)


_LOCAL = _PerThread()
_GENERATION = 0
_GENERATION_LOCK = threading.Lock()


def digest(text: str) -> bytes:
    """A short digest of `text` for cache keys (lone surrogates allowed)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def invalidate() -> None:
    """Forget every thread's warm state and Scripts: files Jedi may have read have changed."""
    global _GENERATION
    with _GENERATION_LOCK:
        _GENERATION += 1


def generation() -> int:
    """Counts `invalidate()` calls: part of the key of any cache of Jedi answers."""
    return _GENERATION


def script(text: str, path: str | None, project: jedi.Project | None,
           deadline: float | None = None) -> jedi.Script:
    """The Script for exactly this (path, text, project), on this thread's warm state.

    Keyed on the full text: any edit anywhere gets a fresh Script (on the warm state), so a
    reused Script never answers for code that has changed. Projects count as the same when
    their folder and added sys.path are; None is the project Jedi would find for `path`.
    Past `deadline` (`time.monotonic()`), inference on it gives up (see `ran_out`).
    Raises `limits.Unanalysable` for text nested deeper than Python allows.
    """
    local = _LOCAL
    if local.generation != _GENERATION:
        local.generation = _GENERATION
        local.states.clear()
        local.scripts.clear()
    if project is None:
        project = _default_project(os.path.dirname(path) if path else None)
    key = (path, digest(text), _project_key(project))
    found = local.scripts.get(key)
    # Parso's diff parser (process-wide, per path) turns the previous version's tree into the
    # next version's in place, whoever asks for it: a Script is reused only while no parse of
    # its file happened since its own, or it would answer from a mix of versions.
    if found is not None and _parse_of(found[0]) is found[1] and not _spoilt(found[0]):
        _fresh_limits(found[0], deadline)
        return found[0]
    check_nesting(text)
    made = jedi.Script(text, path=path, project=project)
    _adopt_warm_state(made, local.states)
    _fresh_limits(made, deadline)
    local.scripts[key] = (made, _parse_of(made))
    return made


def forget(path: str | os.PathLike[str], warm_state: bool = False) -> None:
    """Drop this thread's Scripts of `path` and parso's cached parse of it (a closed document).

    `warm_state` also drops the warm states holding the document's module (its trees and what
    was inferred on them): all of its memory goes, and the next Script starts cold. Call it on
    the thread that made the Scripts (in the server, the analysis thread).
    """
    own = os.path.abspath(path)
    scripts = _LOCAL.scripts
    for key in [k for k in scripts if k[0] is not None and os.path.abspath(k[0]) == own]:
        del scripts[key]
    for by_path in list(parso.cache.parser_cache.values()):
        for cached in [p for p in by_path if p is not None and os.path.abspath(p) == own]:
            by_path.pop(cached, None)
    if warm_state:
        states = _LOCAL.states
        for state_key, warm in list(states.items()):
            paths = _module_paths(warm.state)
            if paths is None or own in {os.path.abspath(p) for p in paths}:
                del states[state_key]


def ran_out(made: jedi.Script) -> bool:
    """Whether inference on `made` gave up at its deadline since it was last handed out: its
    answers may be missing names, so they must not be used."""
    counts = made._inference_state.inferred_element_counts
    return isinstance(counts, _Counts) and counts.ran_out


def _spoilt(made: jedi.Script | Any) -> bool:
    """Whether a Script's (or a state's) inference ever gave up at a deadline: Jedi memoised
    the empty answers it got then, so neither is used again."""
    state = getattr(made, "_inference_state", made)
    return bool(getattr(state, _SPOILT, False))


def _fresh_limits(made: jedi.Script, deadline: float | None) -> None:
    """Restart Jedi's per-node inference counts, as a fresh Script would have them.

    Jedi gives up on a node inferred more than 300 times in one state (its guard against
    runaway inference); counted over many Scripts and queries, busy nodes would soon give
    nothing at all.
    """
    made._inference_state.inferred_element_counts = _Counts(deadline, made._inference_state)


class _Counts(dict[Any, int]):
    """Jedi's per-node inference counts, which also end inference past a deadline.

    Jedi stops inferring a node once its count passes its limit; past the deadline every count
    reads as over the limit, so a query nobody waits for any more unwinds in milliseconds
    instead of holding the one analysis thread for hundreds.
    """

    def __init__(self, deadline: float | None, state: Any) -> None:
        super().__init__()
        self.deadline = deadline
        self.ran_out = False
        self.state = state

    def __getitem__(self, key: Any) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            if not self.ran_out:
                self.ran_out = True
                setattr(self.state, _SPOILT, True)
            return _OVER_ANY_LIMIT
        return super().__getitem__(key)


_OVER_ANY_LIMIT = 1 << 40
_SPOILT = "_typehole_spoilt"  # set on an InferenceState whose inference gave up once


def _parse_of(made: jedi.Script) -> object:
    """Parso's cache entry for `made`'s file: a new one is made by every parse of that file."""
    if made.path is None:
        return None  # no diff cache without a path: nothing else touches this tree
    grammar: str = getattr(made._inference_state.grammar, "_hashed", "")
    return parso.cache.parser_cache.get(grammar, {}).get(made.path)


@functools.lru_cache(maxsize=64)
def _default_project(folder: str | None) -> jedi.Project:
    # Jedi looks for the project's root (pyproject, setup.py, VCS folder) on every Script.
    return jedi.get_default_project(folder)


def _project_key(project: jedi.Project) -> _ProjectKey:
    return (str(project.path), tuple(str(p) for p in project.added_sys_path or ()))


def _adopt_warm_state(made: jedi.Script, states: dict[_ProjectKey, _Warm]) -> None:
    fresh = made._inference_state
    key = _project_key(fresh.project)
    warm = states.get(key)
    own = str(made.path) if made.path else None
    if (warm is None or warm.uses >= _STATE_USES or _spoilt(warm.state)
            or not warm.still_fresh(own)):
        states[key] = _Warm(fresh)
        return
    warm.uses += 1
    made._inference_state = warm.state


def preload(text: str, path: str | None, project: jedi.Project | None) -> Iterator[str]:
    """Warm this thread's state for a document: its Script, then each name it imports.

    A generator, one step per `next()` (the Script, then one imported name each, the name
    yielded), so a caller can stop or interleave other work between steps. Text that cannot
    be analysed (`limits.Unanalysable`) has nothing to warm.
    """
    try:
        made = script(text, path, project)
        names = made.get_names(all_scopes=False, definitions=True, references=False)
    except Unanalysable:
        return
    except Exception:  # noqa: BLE001 - parso/Jedi errors on odd code (a KeyError in Jedi's
        return  # tree cache was seen on a real commit): warming is best effort, nothing to warm
    yield ""
    for name in names:
        try:
            if name.type != "module" and not _is_import(name):
                continue
            for value in name.infer():
                value.defined_names()
        except Exception:  # noqa: BLE001 - as above: an import Jedi cannot follow stays cold
            pass
        yield name.name


def _is_import(name: Any) -> bool:
    tree_name = getattr(name, "_name", None)
    node = getattr(getattr(tree_name, "tree_name", None), "parent", None)
    while node is not None and node.type not in ("import_from", "import_name", "file_input"):
        node = node.parent
    return node is not None and node.type != "file_input"

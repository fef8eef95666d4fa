"""Every ranking weight `context/` uses, as named fields of one dataclass, and the shared helpers.

Scores from the channels (relevant types, relevant headers, rationale, analogy) land on one scale
so that assembly can rank them together and pack the best into the token budget.
"""

from __future__ import annotations

import collections.abc
import typing
from collections import deque
from dataclasses import dataclass

from typehole.base.builtin_names import BUILTIN_NAMES

__all__ = ["DEFAULT_WEIGHTS", "NON_USER_TYPES", "RankingWeights", "distances_from",
           "import_distance", "undirected"]


@dataclass(frozen=True)
class RankingWeights:
    """Weights of the context ranking. Each field has a test that shows what it changes."""

    # Channel base scores: what a perfect item of each channel is worth.
    expected_type: float = 1.0  # the definition of the expected type itself
    scope_type: float = 0.55  # definitions of the types of names in scope
    transitive_decay: float = 0.7  # per step away from the expected type through annotations
    header: float = 0.6  # a function returning the expected type
    rationale: float = 0.8  # a cross-file symbol used by the code around the cursor
    # A cross-file symbol imported but not used near the cursor: below the best similar-code
    # window (`analogy`), whose lines show how the file's names are used, not only declared
    # (with a prefix-only model, stubs of unused imports above similar code scored lower), and
    # above the other windows: the next line uses one of the file's imports more often than
    # it repeats a window's lines (at 0.2, on 40 sites each of httpx, rich and attrs, the
    # used definition was in 1,024 tokens at 0.43-0.75 of the sites).
    rationale_unused: float = 0.29
    analogy: float = 0.3  # a similar window (scaled by its BM25 score relative to the best)
    # The same last lines elsewhere and what followed them: the strongest single hint of the
    # next line there is (it was the next line at 12 of 60 sites where one was found).
    continuation: float = 0.9

    # Relevant headers.
    header_exact: float = 1.0  # return annotation is exactly the expected type
    header_optional: float = 0.85  # returns `T | None` / `Optional[T]`
    header_contains: float = 0.6  # returns a type that contains T (`list[T]`, `Iterator[T]`)
    header_builtin: float = 0.4  # the expected type is builtin (weak evidence of relevance)
    same_module: float = 0.3  # closeness bonus: the header lives in the current module
    closeness: float = 0.2  # bonus for a module one import away, halved per further step
    private_penalty: float = 0.15  # `_name`: usable, but less likely what the user wants
    test_penalty: float = 0.25  # definitions in test files are rarely what production code calls
    # A header from an installed package the workspace imports, times its match: below the
    # workspace's own headers (0.6 * 0.5 = 0.3 at best, a workspace `list[T]` gets 0.36).
    dependency: float = 0.5

    # Rationale proximity: a use `d` lines before the cursor scores 1 / (1 + d / proximity).
    proximity_lines: float = 12.0


DEFAULT_WEIGHTS = RankingWeights()

# Names whose definitions the model already knows: never looked up as workspace types.
NON_USER_TYPES = frozenset(
    BUILTIN_NAMES | set(typing.__all__) | set(collections.abc.__all__)
    | {"typing", "t", "collections", "abc", "None", "Self", "TypeAlias", "Literal", "Any",
       "dataclass", "Enum", "IntEnum", "Path", "PurePath", "datetime", "date", "timedelta",
       "Decimal", "UUID", "Pattern", "Match", "TracebackType", "ModuleType", "deque",
       "defaultdict", "OrderedDict", "Counter", "ChainMap", "NotRequired", "Required",
       "Unpack", "ParamSpec", "Concatenate", "TypeGuard", "Never", "LiteralString"})


def undirected(graph: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    """Each module's neighbours in the import graph, both ways (who it imports, who imports it),
    in sorted order (so a walk that stops early stops at the same modules every time)."""
    neighbours: dict[str, set[str]] = {}
    for src, targets in graph.items():
        for dst in targets:
            neighbours.setdefault(src, set()).add(dst)
            neighbours.setdefault(dst, set()).add(src)
    return {module: tuple(sorted(near)) for module, near in neighbours.items()}


def distances_from(neighbours: dict[str, tuple[str, ...]], start: str, limit: int = 3,
                   max_modules: int = 1000) -> dict[str, int]:
    """Steps from `start` to each module within `limit` steps (`neighbours`: `undirected`).

    At most `max_modules` modules, the nearest: three steps from a module every file imports
    reach most of a large repository, and the far ones change no ranking much.
    """
    out = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if out[node] >= limit:
            continue
        for nxt in neighbours.get(node, ()):
            if nxt not in out:
                if len(out) >= max_modules:
                    return out
                out[nxt] = out[node] + 1
                queue.append(nxt)
    return out


def import_distance(graph: dict[str, set[str]], start: str, limit: int = 3) -> dict[str, int]:
    """Steps from `start` to each module in the (undirected) import graph, up to `limit`."""
    return distances_from(undirected(graph), start, limit)

"""`ContextEngine`: the one object the server, CLI and completion pipeline use for context.

It owns the workspace index and the Jedi project. `gather` runs the stages in order (hole, relevant
types, relevant headers, rationale, analogy, assembly), times each, and when a deadline is given
skips the stages that would start after it, so the context is assembled from what is ready.
Call `gather` from the single thread that owns Jedi; `build`/`update_file` may run elsewhere.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jedi
from cachetools import LRUCache

from .assemble import assemble, blocks_for
from .cache import DEFAULT_CAP_MB
from .deps import DependencyIndex
from .hole import analyse_hole
from .hole import prepare as prepare_hole
from .index import BuildStats, Cancelled, Index, Progress
from .oracle import engine_for, ty_for
from .ranking import DEFAULT_WEIGHTS, RankingWeights, distances_from, undirected
from .records import (
    ContextResult,
    Definition,
    Hole,
    Import,
    RelevantHeader,
    RelevantType,
    Snippet,
)
from .relevant import relevant_headers, relevant_types
from .resolve import FileFacts
from .retrieval import analogy, at_line_start, continuations, rationale
from .tags import extract_tags

__all__ = ["ContextEngine"]

_HOLE_SHARE = 0.5  # of a deadline: the most the typed-hole analysis may take
# The similar-code search's neighbourhood: at most this many modules next to the file's in the
# import graph (what it imports and what imports it), their windows capped too
# (`near.MAX_NEAR_WINDOWS`; theirs in turn cost more to gather than they were worth).
_NEAR_MODULES = 32


class ContextEngine:
    """Static context for one workspace root."""

    def __init__(self, root: str | os.PathLike[str],
                 cache_dir: str | os.PathLike[str] | None = None, exclude: Sequence[str] = (),
                 weights: RankingWeights = DEFAULT_WEIGHTS,
                 site_dirs: Sequence[str] | None = None,
                 cache_max_mb: float = DEFAULT_CAP_MB) -> None:
        self.root = Path(root).resolve()
        self.index = Index(self.root, cache_dir, exclude, cache_max_mb=cache_max_mb)
        # Headers of installed packages the workspace imports; `site_dirs` None: the workspace's
        # `.venv`/`venv` and the environment typehole runs in.
        self.deps = DependencyIndex(self.index, site_dirs)
        self.weights = weights
        self.project = jedi.Project(self.root)
        # The import graph's neighbours, rebuilt only when some file's imports changed (an edit
        # that keeps them costs nothing), and the distances asked of it last.
        self._graph: tuple[int, dict[str, tuple[str, ...]]] = (-1, {})
        self._imports: dict[str, set[str]] = {}  # the import graph `_graph` was made from
        self._distance_memo: LRUCache[str, dict[str, int]] = LRUCache(maxsize=16)
        # Token counts of the blocks packed lately, by (counter, text) (`_remembered`).
        self._token_counts: LRUCache[tuple[Callable[[str], int], str], int] = \
            LRUCache(maxsize=1024)

    @property
    def warnings(self) -> list[str]:
        """Problems to tell the user once (corrupt or unwritable index cache)."""
        return self.index.warnings

    def build(self, progress: Progress | None = None,
              cancelled: Cancelled | None = None) -> BuildStats:
        """Index the workspace (incremental after the first time); see `Index.build`.

        Then the imported installed packages' headers (`DependencyIndex.refresh`): cached by
        package, so only a new or upgraded dependency costs time after the first build; and the
        import graph that ranks by closeness.
        """
        stats = self.index.build(progress, cancelled)
        if not stats.cancelled and not (cancelled is not None and cancelled()):
            self.deps.refresh()
            # The import graph now, not in the first request's facts (0.5 s on a 1M-line
            # monorepo); edits after it re-read only the edges of files whose imports changed.
            self._distances("")
        return stats

    def update_file(self, path: str | os.PathLike[str], text: str) -> bool:
        """Re-index one file from the editor's text (cheap when unchanged)."""
        return self.index.update_file(path, text)

    def remove_file(self, path: str | os.PathLike[str]) -> bool:
        """Forget a deleted file."""
        return self.index.remove_file(path)

    def forget(self, path: str | os.PathLike[str]) -> None:
        """Drop what is kept for editing one file (it was closed); its index rows stay."""
        self.index.forget_tree(path)

    def close(self) -> None:
        """Release the index."""
        self.index.close()

    def _distances(self, module: str) -> dict[str, int]:
        generation, neighbours = self._graph
        if generation != self.index.imports_generation:
            generation = self.index.imports_generation  # before the changes: none is lost
            neighbours = self._patched(self.index.graph_changes())
            self._graph = (generation, neighbours)
            self._distance_memo.clear()
        if (hit := self._distance_memo.get(module)) is None:
            hit = self._distance_memo[module] = distances_from(neighbours, module)
        return hit

    def _patched(self, changes: set[str] | None) -> dict[str, tuple[str, ...]]:
        """The undirected import graph after `changes` (`Index.graph_changes`): only the
        changed modules' edges are asked again (the whole graph costs 50-150 ms on Django)."""
        if changes is None:
            self._imports = self.index.import_graph()
            return undirected(self._imports)
        neighbours = dict(self._graph[1])
        fresh = self.index.import_graph(changes)
        touched = set(changes)  # the modules whose neighbours may differ
        for module in changes:
            touched |= self._imports.pop(module, set()) ^ fresh.get(module, set())
            if module in fresh:
                self._imports[module] = fresh[module]
        # A touched module's neighbours: what it imports and who imports it (as `undirected`).
        near: dict[str, set[str]] = {m: set(self._imports.get(m, ())) for m in touched}
        for src, targets in self._imports.items():
            for dst in targets & touched:
                near[dst].add(src)
        for module, found in near.items():
            if found:
                neighbours[module] = tuple(sorted(found))
            else:
                neighbours.pop(module, None)
        return neighbours

    def _remembered(self, count_tokens: Callable[[str], int]) -> Callable[[str], int]:
        """`count_tokens`, its counts of the texts counted lately remembered: typing on, the
        same blocks are packed again (counting them all cost up to 19 ms at p95 on busy cores)."""
        def counted(text: str) -> int:
            key = (count_tokens, text)
            found = self._token_counts.get(key)
            if found is None:
                found = self._token_counts[key] = count_tokens(text)
            return found
        return counted

    def facts(self, rel: str, text: str) -> FileFacts:
        """Imports and module-level definitions of the file being edited.

        The index's copy is used when it has one (imports rarely change while typing, and the
        server re-indexes on change in the background); otherwise the text is read directly.
        """
        module, is_package = self.index.module_of(rel)
        imports: list[Import] = self.index.imports_of(rel)
        definitions: list[Definition] = [d for d in self.index.definitions_in(rel)
                                         if not d.parent]
        if not imports and not definitions:
            tags = extract_tags(text.encode("utf-8", "surrogatepass"), module, rel, is_package)
            imports, definitions = list(tags.imports), [d for d in tags.definitions
                                                        if not d.parent]
        return FileFacts(rel, module, {i.alias: i for i in imports if i.alias != "*"},
                         {d.name: d for d in definitions})

    def _absolute(self, path: str | os.PathLike[str] | None) -> str | None:
        return str(self.root / self.index.relpath(path)) if path is not None else None

    def prepare(self, text: str, path: str | os.PathLike[str] | None) -> None:
        """Do the work of a request in a document just opened that does not depend on the
        cursor (`hole.prepare`), so the first request reuses it. Call from the thread that
        calls `gather`."""
        prepare_hole(text, self._absolute(path))

    def hole(self, text: str, offset: int, path: str | os.PathLike[str] | None,
             deadline: float | None = None, notes: dict[str, str] | None = None) -> Hole:
        """Typed-hole analysis only (the ChatLSP `expectedType` request); the workspace's type
        oracle answers (`context.oracle`). With a `deadline` (`time.monotonic()`) no question
        outlives it and `notes` gets what was left out (see `hole.analyse_hole`)."""
        absolute = self._absolute(path)
        where = absolute if absolute is not None else str(self.root / "<unsaved>.py")
        return analyse_hole(text, offset, absolute, self.project, ty_for(where),
                            engine_for(where), deadline, notes)

    def gather(self, text: str, offset: int, path: str | os.PathLike[str] | None,
               budget_tokens: int, count_tokens: Callable[[str], int],
               deadline_ms: float | None = None,
               free_tokens: int | None = None) -> ContextResult:
        """All context for the cursor at `offset` (code points), packed into `budget_tokens`.

        With `free_tokens` (less than `budget_tokens`: the rest is a prefix-only prompt's reserve,
        paid for with the code's farthest lines), a context at the start of a line without a
        continuation (the same last lines elsewhere and what followed them) holds only the
        definitions of the imported names used near the cursor.

        `prompt` in the result is the text to put before the code prefix; it is at most
        `budget_tokens` long as measured by `count_tokens`. `timings_ms` has one entry per stage
        and `total`; stages skipped for the deadline (all but the used imports' definitions,
        `rationale`) appear as `skipped_<stage>`, and `skipped` says why, as it does for work
        a stage left out (query terms too common to score in time).
        The similar-code search reads new windows for a share of the deadline at the measured
        rate (the terms it remembers cost nothing), and nothing after the deadline.
        """
        started = time.perf_counter()
        timings: dict[str, float] = {}
        rel = self.index.relpath(path) if path is not None else "<unsaved>.py"
        clock = [started]

        def lap(stage: str) -> None:
            now = time.perf_counter()
            timings[stage] = (now - clock[0]) * 1000
            clock[0] = now

        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000

        def late() -> bool:
            return deadline_ms is not None and elapsed() > deadline_ms

        def similar_code() -> list[Snippet]:
            # New windows read only for a share of the deadline at the measured rate, and no
            # step of the search after it (`Index.window_search`).
            by = None
            if deadline_ms is not None:
                by = time.monotonic() + (deadline_ms - elapsed()) / 1000
            near = [m for m, steps in distances.items() if steps == 1][:_NEAR_MODULES]
            return analogy(self.index, rel, text, offset, self.weights, notes=skipped,
                           deadline=by, budget_ms=deadline_ms, near=near)

        skipped: dict[str, str] = {}
        # The typed hole gets a share of the deadline: the stages after it find the used
        # definitions (the imports used nearby, similar code), which matter more to recall
        # than the types of the names in scope.
        deadline = (time.monotonic() + deadline_ms * _HOLE_SHARE / 1000
                    if deadline_ms is not None else None)
        hole = self.hole(text, offset, path, deadline, skipped)
        lap("hole")
        facts = self.facts(rel, text)
        distances = self._distances(facts.module)
        lap("facts")
        # The definitions of the imported names used nearby first: on CrossCodeEval-style
        # sites they hold the used definition (18 of 20 on Django; similar code 2, both also
        # found by them).
        stages: dict[str, Callable[[], list[Any]]] = {
            "rationale": lambda: rationale(self.index, facts, text, offset, self.weights),
            "continuation": lambda: continuations(self.index, rel, text, offset, self.weights),
            "relevant_types": lambda: relevant_types(self.index, facts, hole, distances,
                                                     self.weights),
            "relevant_headers": lambda: relevant_headers(self.index, facts, hole, distances,
                                                         self.weights, deps=self.deps),
            "analogy": similar_code,
        }
        found: dict[str, list] = {}
        for stage, run in stages.items():
            # The definitions of the imported names used nearby are the context's core: a few
            # index lookups per import whatever the workspace's size (1-20 ms), never skipped.
            if late() and stage not in ("rationale", "continuation"):
                timings[f"skipped_{stage}"] = 0.0
                skipped[stage] = f"deadline: {elapsed():.0f} ms of {deadline_ms:.0f} ms spent " \
                    "before it could start"
                found[stage] = []
                continue
            found[stage] = run()
            lap(stage)
        preamble, blocks = blocks_for(hole, found["relevant_types"], found["relevant_headers"],
                                      found["continuation"] + found["rationale"]
                                      + found["analogy"])
        if (free_tokens is not None and budget_tokens > free_tokens
                and at_line_start(text, offset) and not found["continuation"]):
            # The reserve is paid for with the code's farthest lines: at the start of a line
            # without a continuation only the definitions of the names used near the cursor are
            # worth them (stubs of unused imports, types in scope and similar windows moved the
            # next line down as often as up), so then they alone are packed. Mid-line (after
            # `obj.`) the types keep it.
            blocks = [b for b in blocks if isinstance(b.item, Snippet) and b.item.source ==
                      "rationale" and b.item.score > self.weights.rationale_unused]
        prompt, tokens, chosen = assemble(preamble, blocks, budget_tokens,
                                          self._remembered(count_tokens))
        lap("assemble")
        timings["total"] = (time.perf_counter() - started) * 1000
        # Report exactly what went into the prompt, best first.
        items = [b.item for b in chosen]
        # The only line the cursor's last lines went on with elsewhere (every place found
        # agrees), where they stand at the cursor's column: `ContextResult.next_line`.
        next_line = (found["continuation"][0].next_line
                     if len(found["continuation"]) == 1 else None)
        return ContextResult(
            next_line=next_line,
            hole=hole,
            relevant_types=tuple(i for i in items if isinstance(i, RelevantType)),
            relevant_headers=tuple(i for i in items if isinstance(i, RelevantHeader)),
            snippets=tuple(i for i in items if isinstance(i, Snippet)),
            prompt=prompt, tokens=tokens, timings_ms=timings, skipped=skipped)

"""`typehole bench next-edit`: predict maintainers' next edit from their previous ones.

Cases come from consecutive releases of real projects (two pinned sdists from PyPI): each Python
file whose change has 2-8 line hunks is replayed hunk by hunk, in file order; with the first k
hunks applied as the edit history, the engines predict the next one (hunk k+1).

Metrics (over all cases unless said otherwise):
- hit@1 / hit@3: a top-1 / top-3 suggestion's line range overlaps the true next hunk's lines;
- exact: applying the top suggestion yields exactly the text after the true hunk;
- ES: edit similarity (difflib ratio) of the top suggestion's result to the truth, over the span
  both touch, averaged over cases with a suggestion;
- precision: share of top suggestions that hit the hunk and move the text toward the truth
  (their result is more similar to it than the unedited text);
- eventual: share of top suggestions that bring the file closer to the new release (line diff),
  even when the maintainer made that edit later than the next hunk (propagations are unordered);
- silent: share of cases with no suggestion (staying silent is a feature, not a failure).

The follow-on engine (imports) looks names up in an index of the *older* release, the workspace
as it was before the maintainers' edits: nothing from the future leaks into a prediction.
Replayed in file order, an import hunk comes before the code that needs it, so the main table
can never credit it; a second table replays every other hunk first and asks for the top-level
import hunk last (the order in which a type checker demands it): recall is the share of those
hunks whose import line(s) a suggestion reproduces, exact the share where the top import
suggestion alone yields the new file, precision the share of import suggestions that are right.

With `--model NAME` the model step runs where the static engines are silent, as in the server
with `nextEdit.modelStep` on (prompt format `--format`, default the `nextEdit.format` setting's);
its suggestions count under the engine `model`.

Run: typehole bench next-edit [--pairs click==8.3.2:8.3.3,...] [--max-cases N] [--no-index]
     [--model embedded] [--format zeta|zeta2|sweep]

With `--git DIR` (repeatable; a clone with its full history, bare or not) the cases are real
commits of that history instead (`bench/next_edit_commits.py` says how they are made and scored):
typehole bench next-edit --git CLONE [--git CLONE ...] [--max-cases N] [--seed S] [--tolerance L]
[--sources rename,undefined,...] [--show N] [--dump FILE] [--model embedded [--format F]]
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import re
import tempfile
import time
from collections import Counter
from collections.abc import Sequence

from typehole.app.hub import ModelHub
from typehole.app.settings import Settings
from typehole.bench.projects import real_project
from typehole.context.index import Index
from typehole.features.next_edit import (
    FORMATS,
    Event,
    IndexLookup,
    Suggestion,
    apply,
    events_between,
    model_suggestions,
    static_suggestions,
)
from typehole.models.base import Backend, LoadsInBackground

PAIRS = "click==8.3.2:8.3.3,attrs==25.3.0:25.4.0,httpx==0.28.0:0.28.1,jinja2==3.1.5:3.1.6"


def cases(name: str, old: str, new: str) -> list[tuple[str, list[Event]]]:
    """(relative path, hunk events) for each changed file with 2-8 hunks."""
    a, b = real_project(name, old), real_project(name, new)
    out = []
    for path in sorted(b.rglob("*.py")):
        rel = path.relative_to(b)
        before_path = a / rel
        if not before_path.is_file():
            continue
        before = before_path.read_text(encoding="utf-8", errors="replace")
        after = path.read_text(encoding="utf-8", errors="replace")
        if before == after:
            continue
        events = events_between(before, after)
        if 2 <= len(events) <= 8:
            out.append((str(rel), events))
    return out


_IMPORT = re.compile(r"(import|from)\s")


def import_cases(name: str, old: str, new: str) -> list[tuple[str, str, list[Event], str]]:
    """(path, text without the import hunk, the other hunks, new text) per top-level import hunk."""
    a, b = real_project(name, old), real_project(name, new)
    out = []
    for path in sorted(b.rglob("*.py")):
        rel = path.relative_to(b)
        if not (a / rel).is_file():
            continue
        before = (a / rel).read_text(encoding="utf-8", errors="replace")
        after = path.read_text(encoding="utf-8", errors="replace")
        events = events_between(before, after) if before != after else []
        if not 2 <= len(events) <= 8:
            continue
        for event in events:
            change = event.change
            if change.end != change.start:
                continue  # the hunk replaced something: not a plain new import
            # Hunks come in file order, so later ones never move this one's offset.
            without = after[: change.start] + after[change.start + len(change.new_text) :]
            added = Counter(after.splitlines()) - Counter(without.splitlines())
            if added and all(_IMPORT.match(line) for line in added):  # top level: unindented
                out.append((str(rel), without, events_between(before, without), after))
    return out


def _lines(text: str, start: int, end: int) -> tuple[int, int]:
    return text.count("\n", 0, start), text.count("\n", 0, max(start, end))


def _hit(state: str, s: Suggestion, truth: Event) -> bool:
    a = _lines(state, s.start, s.end)
    b = _lines(state, truth.change.start, truth.change.end)
    return a[0] <= b[1] and b[0] <= a[1]


def _similarity(state: str, s: Suggestion | None, truth: Event) -> float:
    lo = min(truth.change.start, s.start if s else truth.change.start)
    hi = max(truth.change.end, s.end if s else truth.change.end)
    predicted = apply(state, s) if s else state
    got = predicted[lo : hi + (s.new_text.__len__() - (s.end - s.start) if s else 0)]
    gold = truth.after[lo : hi + truth.change.delta]
    return difflib.SequenceMatcher(None, got, gold, autojunk=False).ratio()


def _closer(state: str, s: Suggestion, final: str) -> bool:
    """Whether applying `s` makes `state` more like `final`, line by line."""
    goal = final.splitlines()

    def ratio(text: str) -> float:
        return difflib.SequenceMatcher(None, text.splitlines(), goal, autojunk=False).ratio()

    return ratio(apply(state, s)) > ratio(state)


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(prog="typehole bench next-edit",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=PAIRS, help="NAME==OLD:NEW,...")
    parser.add_argument("--max-cases", type=int, default=None,
                        help="cases per release pair (400) or per repository (100)")
    parser.add_argument("--no-index", action="store_true",
                        help="no workspace index (follow-on imports from the stdlib table only)")
    parser.add_argument("--model", help="also run the model step on this model where the static "
                        "engines are silent")
    parser.add_argument("--format", choices=sorted(FORMATS), default=None,
                        help="the model step's prompt format (default: nextEdit.format's)")
    parser.add_argument("--git", action="append", metavar="DIR",
                        help="replay commits of this git history instead of release pairs")
    parser.add_argument("--seed", type=int, default=0, help="commit shuffle seed (--git)")
    parser.add_argument("--tolerance", type=int, default=1,
                        help="lines a suggestion may be off a hunk and still land (--git)")
    parser.add_argument("--sources", metavar="A,B",
                        help="count only these sources' suggestions: rename,undefined (--git)")
    parser.add_argument("--cold", action="store_true",
                        help="time every analysis a case needs, none done ahead as the server "
                        "does when a document opens or settles (--git)")
    parser.add_argument("--show", type=int, default=0, metavar="N",
                        help="print N cases with their top suggestion (--git)")
    parser.add_argument("--dump", metavar="FILE",
                        help="write every case as a JSON line: the top suggestion, old and new "
                        "text, landed, exact, the hunk it landed on (--git)")
    args = parser.parse_args(argv)
    if args.git:
        return _commits_main(args, argv)
    args.max_cases = 400 if args.max_cases is None else args.max_cases
    loop = asyncio.new_event_loop()
    hub = ModelHub()
    backend = loop.run_until_complete(_open_model(hub, args.model)) if args.model else None
    fmt = FORMATS[args.format or Settings().next_edit.format]
    totals: Counter[str] = Counter()
    by_engine: Counter[str] = Counter()
    good_by_engine: Counter[str] = Counter()
    similarity: list[float] = []
    times: list[float] = []
    rows = []
    for pair in args.pairs.split(","):
        name, versions = pair.split("==")
        old, new = versions.split(":")
        counts: Counter[str] = Counter()
        index = None
        if not args.no_index:
            index = Index(real_project(name, old), tempfile.mkdtemp(prefix="typehole-bench-"))
            index.build()
        for rel, events in cases(name, old, new):
            lookup = IndexLookup(index, rel) if index is not None else None
            for k in range(1, len(events)):
                if counts["cases"] >= args.max_cases:
                    break
                history, truth = events[:k], events[k]
                state = truth.before
                t0 = time.perf_counter()
                found = static_suggestions(state, history, rel, lookup=lookup)
                if not found and backend is not None:
                    cursor = history[-1].change.inserted_end
                    found = loop.run_until_complete(
                        model_suggestions(backend, state, cursor, history, rel, fmt=fmt,
                                          timeout_s=120.0))
                times.append((time.perf_counter() - t0) * 1000)
                counts["cases"] += 1
                if not found:
                    counts["silent"] += 1
                    continue
                top = found[0]
                hit = _hit(state, top, truth)
                counts["hit1"] += hit
                counts["hit3"] += any(_hit(state, s, truth) for s in found[:3])
                counts["exact"] += apply(state, top) == truth.after
                es = _similarity(state, top, truth)
                similarity.append(es)
                good = hit and es > _similarity(state, None, truth)
                counts["good"] += good
                counts["eventual"] += _closer(state, top, events[-1].after)
                by_engine[top.source] += 1
                good_by_engine[top.source] += good
        if index is not None:
            index.close()
        rows.append((pair, counts))
        totals.update(counts)
    print(__doc__.split("Metrics")[0].strip().splitlines()[0])
    columns = ("hit@1", "hit@3", "exact", "prec.", "event.", "silent")
    header = f"{'pair':<28}{'cases':>6}" + "".join(f"{c:>8}" for c in columns)
    print(header)
    for pair, c in [*rows, ("all", totals)]:
        n = max(c["cases"], 1)
        made = max(c["cases"] - c["silent"], 1)
        print(f"{pair:<28}{c['cases']:>6}{c['hit1'] / n:>8.3f}{c['hit3'] / n:>8.3f}"
              f"{c['exact'] / n:>8.3f}{c['good'] / made:>8.3f}{c['eventual'] / made:>8.3f}"
              f"{c['silent'] / n:>8.3f}")
    mean_es = sum(similarity) / len(similarity) if similarity else 0.0
    print(f"edit similarity of top suggestions: {mean_es:.3f} over {len(similarity)} suggestions")
    for engine, count in sorted(by_engine.items()):
        print(f"engine {engine:<10} top-1 suggestions {count:>4}  precision "
              f"{good_by_engine[engine] / count:.3f}")
    times.sort()
    if times:
        print(f"latency ms: p50 {times[len(times) // 2]:.1f}  p95 "
              f"{times[max(int(len(times) * 0.95) - 1, 0)]:.1f}")
    loop.run_until_complete(hub.aclose())
    loop.close()
    _imports_table(args)
    print("command: typehole bench next-edit " + " ".join(argv or []))
    return 0


async def _open_model(hub: ModelHub, name: str) -> Backend:
    """The backend of model `name`, loaded."""
    backend, _ = hub.backend(Settings(), name)
    if isinstance(backend, LoadsInBackground):
        await backend.wait_ready()
    return backend


def _commits_main(args: argparse.Namespace, argv: list[str] | None) -> int:
    """The real-commit suite: one row per repository, one over all, then the engines."""
    from typehole.bench import next_edit_commits as commits

    per_repo = 100 if args.max_cases is None else args.max_cases
    rows: list[tuple[str, commits.Score]] = []
    total = commits.Score()
    shown: list[commits.Outcome] = []
    loop = asyncio.new_event_loop()
    hub = ModelHub()
    step = None
    if args.model:
        backend = loop.run_until_complete(_open_model(hub, args.model))
        fmt = FORMATS[args.format or Settings().next_edit.format]

        def step(text: str, cursor: int, events: Sequence[Event], path: str) -> list[Suggestion]:
            """The model step as the server runs it, with a hang guard for a loaded machine."""
            return loop.run_until_complete(model_suggestions(
                backend, text, cursor, events, path, fmt=fmt, timeout_s=120.0))

    try:
        for git_dir in args.git:
            sources = frozenset(args.sources.split(",")) if args.sources else None
            score = commits.run_repo(git_dir, per_repo, args.seed, args.tolerance, shown,
                                     sources, args.cold, step)
            rows.append((commits.repo_name(git_dir), score))
            total.add(score)
    finally:
        loop.run_until_complete(hub.aclose())
        loop.close()
    if args.dump:
        commits.dump(shown, args.tolerance, args.dump)
    print("next edits on real commits (history: the file before the commit and its first hunks; "
          f"target: any later hunk, {args.tolerance} line(s) tolerance)")
    for line in commits.table([*rows, ("all", total)]):
        print(line)
    if args.show:
        print()
        made = [o for o in shown if o.found]
        step = max(len(made) // args.show, 1)
        for outcome in made[::step][: args.show]:
            print(commits.show(outcome, args.tolerance))
    print("command: typehole bench next-edit " + " ".join(argv or []))
    return 0


def _imports_table(args: argparse.Namespace) -> None:
    """The import hunks, replayed last."""
    print("\nimports demanded by the other hunks (import hunk replayed last)")
    print(f"{'pair':<28}{'cases':>6}{'recall':>8}{'exact':>8}{'prec.':>8}{'made':>6}")
    totals: Counter[str] = Counter()
    for pair in args.pairs.split(","):
        name, versions = pair.split("==")
        old, new = versions.split(":")
        index = None
        if not args.no_index:
            index = Index(real_project(name, old), tempfile.mkdtemp(prefix="typehole-bench-"))
            index.build()
        c: Counter[str] = Counter()
        for rel, without, history, after in import_cases(name, old, new):
            lookup = IndexLookup(index, rel) if index is not None else None
            found = static_suggestions(without, history, rel, lookup=lookup)
            imports = [s for s in found if s.source == "import"]
            truth = set(after.splitlines())
            right = [s for s in imports
                     if set(apply(without, s).splitlines()) <= truth | set(without.splitlines())
                     and _closer(without, s, after)]
            c["cases"] += 1
            c["made"] += len(imports)
            c["right"] += len(right)
            c["recall"] += bool(right)
            c["exact"] += bool(imports) and apply(without, imports[0]) == after
        if index is not None:
            index.close()
        totals.update(c)
        for label, row in ((pair, c),):
            n = max(row["cases"], 1)
            print(f"{label:<28}{row['cases']:>6}{row['recall'] / n:>8.3f}{row['exact'] / n:>8.3f}"
                  f"{row['right'] / max(row['made'], 1):>8.3f}{row['made']:>6}")
    n = max(totals["cases"], 1)
    print(f"{'all':<28}{totals['cases']:>6}{totals['recall'] / n:>8.3f}{totals['exact'] / n:>8.3f}"
          f"{totals['right'] / max(totals['made'], 1):>8.3f}{totals['made']:>6}")


if __name__ == "__main__":
    raise SystemExit(main())

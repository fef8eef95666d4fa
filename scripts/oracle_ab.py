"""The type oracle's speed fixes, off and on, on the same sites in one run (a loaded machine's
load changes from minute to minute: only figures taken side by side compare).

"before" switches off, by patching this process, what was changed to cut the slow tail:
incremental `didChange` (the whole text each time), common affixes a block at a time and
`position_at` without all line starts, a call's signature asked of the text ty has, one text per
typed hole, locals ty cannot type left to Jedi under `auto`, the line assigning to the member
kept, and signatures from ty (Jedi's only). "after" is the code as it is. Every engine (jedi,
ty, auto) runs in both modes on every site, the six taking turns going first (the first to ask
about a new text pays for its analysis, in ty and in Jedi).

Monitors: a completion right after `obj.` with the monitors on (as `bench monitors`), on the
sites of rich's largest files; each boundary the monitors judged is a trigger. Context: a
gather at 1024 tokens (as `bench context`) on the sites of the same files.

    python scripts/oracle_ab.py [--files console.py,progress.py,text.py,table.py,segment.py]
        [--monitor-sites 6] [--context-sites 30] [--parts monitors,context]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

from typehole.base import affix, positions
from typehole.bench import context as bench_context
from typehole.bench import monitors as bench_monitors
from typehole.bench.projects import real_project
from typehole.context import hole
from typehole.context import oracle as oracles
from typehole.context.engine import ContextEngine
from typehole.context.hole import clear_cache
from typehole.context.jedistate import preload
from typehole.context.oracle import Unavailable
from typehole.context.oracle import ty as ty_module
from typehole.models.ngram_model import NgramModel
from typehole.monitors import facts as facts_module

ENGINES = ("jedi", "ty", "auto")
MODES = ("before", "after")


def _old_line_of(text: str, offset: int) -> tuple[int, int]:
    starts = positions.line_starts(text)
    line = positions.bisect_right(starts, offset) - 1
    return line, starts[line]


def _whole_text(before: str, after: str) -> dict[str, Any]:
    return {"text": after}


def _old_ask_ty(self: Any, question: str, offset: int, final: bool = False) -> Any:
    if self.ty is None:
        return False, None
    deadline = self.deadline if self.deadline is not None else time.monotonic() + hole._TY_S
    try:
        found = getattr(self.ty, question)(self.text, offset, self.path, deadline)
    except Unavailable:
        return False, None
    return found is not None or self.engine == "ty", found


def _no_ty_signatures(self: Any, *args: Any, **kwargs: Any) -> Any:
    raise Unavailable("signatures were Jedi's")


def before() -> ExitStack:
    """Patches that make this process behave as the code did before the fixes."""
    stack = ExitStack()
    for patch in (
        mock.patch.object(ty_module, "_change", _whole_text),
        mock.patch.object(ty_module, "_same_but_the_line", lambda *a: False),
        mock.patch.object(ty_module, "_ASSIGNED", re.compile(r"(?!)")),
        mock.patch.object(affix, "_BLOCK", 1 << 62),
        mock.patch.object(positions, "_line_of", _old_line_of),
        mock.patch.object(hole._Analysis, "ask_ty", _old_ask_ty),
        mock.patch.object(facts_module.Facts, "ty_signatures", _no_ty_signatures),
    ):
        stack.enter_context(patch)
    return stack


def _turns(i: int) -> list[tuple[str, str]]:
    combos = [(e, m) for e in ENGINES for m in MODES]
    turn = i % len(combos)
    return combos[turn:] + combos[:turn]


def _run(mode: str, fn: Callable[[], Any]) -> Any:
    if mode == "before":
        with before():
            return fn()
    return fn()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def _table(title: str, times: dict[tuple[str, str], list[float]],
           extra: dict[tuple[str, str], str]) -> None:
    print(f"\n{title}")
    print(f"{'engine':<7}{'mode':<8}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'mean':>8}"
          f"{'p50 ratio':>11}{'p95 ratio':>11}  {'':<10}")
    for engine in ENGINES:
        base = times[(engine, "before")]
        for mode in MODES:
            values = times[(engine, mode)]
            r50 = _pct(values, 0.5) / max(_pct(base, 0.5), 1e-9)
            r95 = _pct(values, 0.95) / max(_pct(base, 0.95), 1e-9)
            print(f"{engine:<7}{mode:<8}{len(values):>6}{_pct(values, 0.5):>9.1f}"
                  f"{_pct(values, 0.95):>9.1f}{statistics.fmean(values or [0.0]):>8.1f}"
                  f"{r50:>11.2f}{r95:>11.2f}  {extra.get((engine, mode), '')}")


async def monitors(root: Path, files: list[str], per_file: int) -> None:
    """Trigger times of the monitors, per engine and mode."""
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*.py")}
    model = NgramModel()
    for p, text in texts.items():
        model.train(str(p), text)
    ty = oracles.start_ty(root, "auto")
    if ty is None or not ty.wait_ready(120):
        raise SystemExit("ty did not start")
    triggers: dict[tuple[str, str], list[float]] = defaultdict(list)
    allowed: dict[tuple[str, str], list[bool]] = defaultdict(list)
    i = 0
    for name in files:
        path = root / "rich" / name
        text = texts[path]
        sites = bench_monitors._code_sites(text)
        sites = sites[:: max(len(sites) // per_file, 1)][:per_file]
        model.remove(str(path))
        for _ in preload(text, str(path), None):
            pass
        ty.warm(str(path), text)
        for offset, member in sites:
            for engine, mode in _turns(i):
                oracles.set_engine(root, engine)  # type: ignore[arg-type]
                facts_module._MEMO.clear()
                if mode == "before":
                    with before():
                        _, _, result = await bench_monitors._complete(model, text, offset,
                                                                      path, True)
                        words, _ = bench_monitors._constraint_at(text, offset, path)
                else:
                    _, _, result = await bench_monitors._complete(model, text, offset, path,
                                                                  True)
                    words, _ = bench_monitors._constraint_at(text, offset, path)
                triggers[(engine, mode)].extend(result.trigger_ms)
                allowed[(engine, mode)].append(words is None or member in words)
            i += 1
        model.train(str(path), text)
    await model.aclose()
    rss = ty.rss_mb()
    oracles.stop(root)
    extra = {k: f"allowed {statistics.fmean(v):.2f} (n={len(v)})" for k, v in allowed.items()}
    _table(f"monitor triggers on rich's {', '.join(files)} (ty RSS {rss or 0:.0f} MB)",
           triggers, extra)


def context(root: Path, files: list[str], n_sites: int) -> None:
    """Gather times and recall, per engine and mode."""
    engine = ContextEngine(root, tempfile.mkdtemp(prefix="typehole-ab-"))
    engine.build()
    ty = oracles.start_ty(root, "auto")
    if ty is None or not ty.wait_ready(120):
        raise SystemExit("ty did not start")
    wanted = {f"rich/{name}" for name in files}
    chosen = [s for s in bench_context.sites(engine, 10_000) if s[0] in wanted][:n_sites]
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for i, (rel, text, offset, used) in enumerate(chosen):
        prefix = text[:offset]
        for kind, mode in _turns(i):
            oracles.set_engine(root, kind)  # type: ignore[arg-type]
            clear_cache()
            result = _run(mode, functools.partial(engine.gather, prefix, offset, rel, 1024,
                                                  bench_context.count_tokens))
            if i >= 2:  # the first sites warm Jedi up
                times[(kind, mode)].append(result.timings_ms["total"])
            hits[(kind, mode)].append(bench_context._hit_types_or_snippets(result, used))
    oracles.stop(root)
    extra = {k: f"recall@1024 {statistics.fmean(v):.2f} (n={len(v)})" for k, v in hits.items()}
    _table(f"context gathering on rich's {', '.join(files)}", times, extra)


def main() -> int:
    """Print both tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", default="console.py,progress.py,text.py,table.py,segment.py")
    parser.add_argument("--monitor-sites", type=int, default=6, help="sites per file")
    parser.add_argument("--context-sites", type=int, default=30)
    parser.add_argument("--parts", default="monitors,context")
    args = parser.parse_args()
    root = real_project("rich", "14.3.4")
    files = [f.strip() for f in args.files.split(",") if f.strip()]
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    if "monitors" in args.parts:
        asyncio.run(monitors(root, files, args.monitor_sites))
    if "context" in args.parts:
        context(root, files, args.context_sites)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`typehole bench scale`: how each stage of the pipeline grows with the size of the workspace.

Workspaces of growing size, each measured in its own process (so its memory is its own): a
development project (an sdist from PyPI), Django's sdist, and a generated monorepo made of copies
of real projects under distinct package names (`django_1/`, `rich_1/`, ...; their imports are
rewritten so they resolve to the copy). Per workspace:

- walk: listing the files typehole may read (3 runs); parse: tree-sitter parse and tags of one
  file; reindex: `update_file` as an editor opens a file (its text unchanged), inserts a line in
  its middle, then types on that line, on a deterministic sample of Python files;
- cold index (a fresh cache folder), warm restart (re-open, nothing changed), index size on disk,
  peak RSS of the process (no model loaded);
- at deterministic sites, real attribute (`obj.|`) and call (`f(|`) sites in functions of the
  workspace's own files, each stage of `ContextEngine.gather` without a deadline (hole = typed-hole
  analysis, facts, relevant types, relevant headers, rationale, analogy = BM25 similar code,
  assemble, total), then the total again as served, with the default 60 ms deadline, and how often
  it skipped or cut work; with `--complete`, a full completion with the configured model too.

One table of p50/p95 per stage and workspace, with each stage's growth exponent: the slope of
log(p50) against log(lines of Python), 0 for a cost that does not grow, 1 for linear.

    typehole bench scale [--workspaces httpx==0.28.1,django==5.2.8,monorepo:1000000]
                         [--sites 20] [--files 100] [--complete] [--json]

A workspace is `name==version` (an sdist) or `monorepo:LINES` (generated once into the projects
cache from Django, rich and httpx until it has LINES lines of Python). The default run indexes
about 1.5M lines in all and takes a few minutes on two busy cores; `--workspaces httpx==0.28.1,
monorepo:300000` with `--sites 10` is a quick look.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

from typehole.base.syntax import parse_bytes
from typehole.bench.projects import CACHE, real_project
from typehole.context.engine import ContextEngine
from typehole.context.hole import clear_cache
from typehole.context.settings import ContextSettings
from typehole.context.tags import extract_tags
from typehole.context.walk import workspace_files

DEFAULT_WORKSPACES = "httpx==0.28.1,django==5.2.8,monorepo:1000000"
MONOREPO_SOURCES = ("django==5.2.8", "rich==14.3.4", "httpx==0.28.1")
GATHER_STAGES = ("hole", "facts", "relevant_types", "relevant_headers", "rationale", "analogy",
                 "assemble", "total")
_WARMUP_SITES = 3  # Jedi's first answers load its caches: run, not counted
_ATTRIBUTE = re.compile(r"\b[A-Za-z_]\w*\.(?=[A-Za-z_])")
_CALL = re.compile(r"\b[A-Za-z_]\w*\((?=[^)\s])")


def count_tokens(text: str) -> int:
    """About four characters per token (no tokenizer without a model)."""
    return (len(text) + 3) // 4


# -- workspaces ----------------------------------------------------------------------------------


def _rewrite(text: str, package: str, renamed: str) -> str:
    """`package` -> `renamed` in imports and dotted references (`django.db` -> `django_2.db`)."""
    word = re.escape(package)
    text = re.sub(rf"^(\s*(?:from|import)\s+){word}\b", rf"\g<1>{renamed}", text, flags=re.M)
    text = re.sub(rf"^(\s*import\s+.*,\s*){word}\b", rf"\g<1>{renamed}", text, flags=re.M)
    return re.sub(rf"(?<![\w.]){word}(?=\.[A-Za-z_])", renamed, text)


def python_lines(root: Path) -> tuple[int, int]:
    """(Python files, their lines) of the files typehole reads under `root`."""
    files = lines = 0
    for path in workspace_files(root):
        if path.suffix in (".py", ".pyi"):
            files += 1
            with open(path, "rb") as f:
                lines += f.read().count(b"\n")
    return files, lines


def monorepo(lines: int, sources: tuple[str, ...] = MONOREPO_SOURCES) -> Path:
    """A monorepo of at least `lines` lines of Python, generated once into the projects cache.

    Copies of the `sources` sdists in turn, each under its own folder and package name
    (`django_1/` holding the package `django_1`), with imports rewritten to the copy's package.
    """
    suffix = "" if sources == MONOREPO_SOURCES else "-" + "-".join(
        s.replace("==", "-") for s in sources)
    dest = CACHE / "projects" / f"monorepo-{lines}{suffix}"
    if (dest / ".complete").is_file():
        return dest
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    total, copy = 0, 0
    while total < lines:
        spec = sources[copy % len(sources)]
        name, _version = spec.split("==")
        copy += 1
        renamed = f"{name}_{(copy - 1) // len(sources) + 1}"
        source = real_project(*spec.split("=="))
        target = tmp / renamed
        for path in workspace_files(source):
            rel = path.relative_to(source)
            parts = [renamed if p == name and i == 0 else p for i, p in enumerate(rel.parts)]
            out = target.joinpath(*parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".py":
                text = path.read_text(encoding="utf-8", errors="replace")
                out.write_text(_rewrite(text, name, renamed), encoding="utf-8")
                total += text.count("\n")
            else:
                shutil.copyfile(path, out)
    (tmp / ".complete").write_text(f"{total}\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def workspace(spec: str) -> Path:
    """The folder of a workspace spec (`name==version` or `monorepo:LINES`)."""
    if spec.startswith("monorepo:"):
        return monorepo(int(spec.partition(":")[2]))
    name, _, version = spec.partition("==")
    if not version:
        raise SystemExit(f"workspace {spec!r}: expected name==version or monorepo:LINES")
    return real_project(name, version)


# -- sites ---------------------------------------------------------------------------------------


def sample_files(root: Path, count: int, seed: int = 0) -> list[Path]:
    """A deterministic sample of the workspace's non-test Python files with some code in them."""
    files = [p for p in workspace_files(root) if p.suffix == ".py"
             and "test" not in p.relative_to(root).as_posix() and p.stat().st_size > 400]
    random.Random(seed).shuffle(files)
    return files[:count]


def pick_sites(files: list[Path], count: int) -> list[tuple[Path, str, int, str]]:
    """(file, text, offset, kind): one real attribute or call site per file, inside a function
    (an indented line), the cursor right after the `.` or the `(`; kinds alternate."""
    out: list[tuple[Path, str, int, str]] = []
    for path in files:
        if len(out) >= count:
            break
        text = path.read_text(encoding="utf-8", errors="replace")
        kind = "attribute" if len(out) % 2 == 0 else "call"
        pattern = _ATTRIBUTE if kind == "attribute" else _CALL
        offset = 0
        candidates = []
        for line in text.splitlines(keepends=True):
            if line.startswith("        ") and not line.lstrip().startswith(("#", '"', "'")):
                m = pattern.search(line)
                if m:
                    candidates.append(offset + m.end())
            offset += len(line)
        if candidates:
            # The middle one: past the imports and the first lines, the same on every run.
            out.append((path, text, candidates[len(candidates) // 2], kind))
    return out


# -- measuring one workspace (in its own process) ------------------------------------------------


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _disk_mb(path: Path | None) -> float:
    if path is None:
        return 0.0
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def measure(spec: str, n_sites: int, n_files: int, complete: bool) -> dict[str, Any]:
    """Every measurement of one workspace (see the module docstring)."""
    root = workspace(spec)
    files, lines = python_lines(root)
    samples: dict[str, list[float]] = {}
    for _ in range(3):
        started = time.perf_counter()
        listed = sum(1 for _ in workspace_files(root))
        samples.setdefault("walk", []).append(_ms(started))
    sampled = sample_files(root, n_files)
    for path in sampled:
        data = path.read_bytes()
        started = time.perf_counter()
        tree = parse_bytes(data)
        extract_tags(data, "m", path.name, tree=tree)
        samples.setdefault("parse", []).append(_ms(started))
    cache = Path(tempfile.mkdtemp(prefix="typehole-scale-"))
    try:
        engine = ContextEngine(root, cache)
        started = time.perf_counter()
        stats = engine.build()
        cold_s = time.perf_counter() - started
        rss_index = _rss_mb()
        engine.close()
        started = time.perf_counter()
        engine = ContextEngine(root, cache)
        engine.build()
        warm_s = time.perf_counter() - started
        disk = _disk_mb(engine.index.store.path)
        sites = pick_sites(sampled, n_sites + _WARMUP_SITES)
        skipped = cut = 0
        for i, (path, text, offset, _kind) in enumerate(sites):
            clear_cache()  # time the analysis, not its memo
            result = engine.gather(text, offset, path, 1024, count_tokens)
            served = engine.gather(text, offset, path, 1024, count_tokens,
                                   deadline_ms=ContextSettings().deadline_ms)
            if i < _WARMUP_SITES:
                continue
            for stage in GATHER_STAGES:
                samples.setdefault(stage, []).append(result.timings_ms.get(stage, 0.0))
            samples.setdefault("served", []).append(served.timings_ms["total"])
            reasons = getattr(served, "skipped", {}).values()
            skipped += any(r.startswith("deadline:") for r in reasons)
            cut += any("query cut" in r for r in reasons)
        for path in sampled[:n_sites * 2]:
            text = path.read_text(encoding="utf-8", errors="replace")
            for key, edited in (("reindex_open", text), *_edits(text)):
                started = time.perf_counter()
                engine.update_file(path, edited)
                samples.setdefault(key, []).append(_ms(started))
        if complete:
            samples["completion"] = _completions(engine, sites[_WARMUP_SITES:])
        engine.close()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {
        "workspace": spec, "files": files, "lines": lines, "listed": listed,
        "indexed": stats.files, "cold_s": cold_s, "warm_s": warm_s, "index_mb": disk,
        "rss_index_mb": rss_index, "rss_mb": _rss_mb(), "sites": max(len(sites) - _WARMUP_SITES, 0),
        "skipped_share": skipped / max(len(sites) - _WARMUP_SITES, 1),
        "cut_share": cut / max(len(sites) - _WARMUP_SITES, 1), "samples": samples,
    }


def _edits(text: str) -> list[tuple[str, str]]:
    """An editor's first two edits of an opened file: a new line in its middle (Enter, then a
    statement), then a few characters typed at the end of that line."""
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    indent = lines[middle][: len(lines[middle]) - len(lines[middle].lstrip())] if lines else ""
    first = [*lines[:middle], f"{indent}value = compute(value)\n", *lines[middle:]]
    second = [*lines[:middle], f"{indent}value = compute(value).strip()\n", *lines[middle:]]
    return [("reindex_first", "".join(first)), ("reindex_next", "".join(second))]


def _completions(engine: ContextEngine, sites: list[tuple[Path, str, int, str]]) -> list[float]:
    """Milliseconds of a full completion (context, prompt, model) at each site."""
    import asyncio

    from typehole.app.hub import ModelHub, pipeline_options
    from typehole.app.settings import environment_source, resolve
    from typehole.features.completion.context_hook import EngineContext
    from typehole.features.completion.pipeline import Pipeline
    from typehole.features.completion.site import Site
    from typehole.models.base import LoadsInBackground

    async def run() -> list[float]:
        settings, _problems = resolve(environment_source())  # TYPEHOLE_MODEL, else the default
        hub = ModelHub()
        try:
            backend, description = hub.backend(settings)
            print(f"model: {description}", file=sys.stderr, flush=True)
            if isinstance(backend, LoadsInBackground):
                await backend.wait_ready()
            pipeline = Pipeline(backend, context_hook=EngineContext(engine))
            # A batch run, but its context stages get the editor's deadline: that is what scales.
            context = attrs.evolve(settings.context, batch_deadline_ms=settings.context.deadline_ms)
            options = pipeline_options(attrs.evolve(settings, context=context), interactive=False)
            out = []
            for path, text, offset, _kind in sites:
                site = Site(text=text, offset=offset, path=engine.index.relpath(path),
                            file=str(path))
                started = time.perf_counter()
                await pipeline.run(site, options)
                out.append(_ms(started))
            return out
        finally:
            await hub.aclose()

    return asyncio.run(run())


# -- the report ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (nearest rank) of `values`; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def growth(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) against log(x): the exponent k of y ~ x^k."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(points) < 2:
        return None
    mx = statistics.fmean(p[0] for p in points)
    my = statistics.fmean(p[1] for p in points)
    var = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / var if var else None


def table(rows: list[dict[str, Any]]) -> str:
    """The stage table (p50/p95 ms per workspace, growth exponent of p50) and the index table."""
    stages = ["walk", "parse", "reindex_open", "reindex_first", "reindex_next", *GATHER_STAGES,
              "served"]
    if any("completion" in r["samples"] for r in rows):
        stages.append("completion")
    lines_of = [float(r["lines"]) for r in rows]
    head = f"{'stage (ms)':<17}" + "".join(f"{r['workspace'][:21]:>22}" for r in rows)
    out = [head + f"{'growth':>8}",
           f"{'lines of Python':<17}" + "".join(f"{r['lines']:>22,}" for r in rows)]
    for stage in stages:
        cells, p50s = "", []
        for r in rows:
            values = r["samples"].get(stage, [])
            p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
            p50s.append(p50)
            cells += f"{p50:>13.1f} /{p95:>7.1f}" if values else f"{'-':>22}"
        k = growth(lines_of, p50s)
        out.append(f"{stage:<17}{cells}{'' if k is None else f'{k:>8.2f}'}")
    out.append("")
    metrics = (("files indexed", "indexed", "{:>22,}"), ("cold index s", "cold_s", "{:>22.1f}"),
               ("warm restart s", "warm_s", "{:>22.1f}"), ("index MB", "index_mb", "{:>22.1f}"),
               ("RSS after index", "rss_index_mb", "{:>22.0f}"), ("peak RSS MB", "rss_mb",
                                                                   "{:>22.0f}"),
               ("served skipped", "skipped_share", "{:>22.2f}"),
               ("query cut", "cut_share", "{:>22.2f}"))
    out.append(f"{'workspace':<17}" + "".join(f"{r['workspace'][:21]:>22}" for r in rows)
               + f"{'growth':>8}")
    for label, key, fmt in metrics:
        k = None if key.endswith("_share") else growth(lines_of, [float(r[key]) for r in rows])
        out.append(f"{label:<17}" + "".join(fmt.format(r[key]) for r in rows)
                   + ("" if k is None else f"{k:>8.2f}"))
    return "\n".join(out)


NOTES = (
    'p50 / p95 in ms over the samples of each workspace: walk over 3 runs; parse and reindex over'
    ' the sampled files (reindex_open: `update_file` with the text on disk, as an editor opening '
    'the file, which keeps its tree and tags for the edits; reindex_first: a new line in its '
    'middle; reindex_next: characters typed on that line); the gather stages over the sites (no '
    'deadline, hole memo cleared, 1024 tokens); served: the whole gather again at the same site '
    "with the default 60 ms deadline (the next keystroke: the hole's memo is warm); served "
    'skipped: share of sites where that skipped a stage for the deadline; query cut: share where '
    'the similar-code query left out terms too common to score. growth: slope of log(p50) on '
    'log(lines of Python) across the workspaces (0: flat, 1: linear). RSS is the measuring '
    "process's peak (no model unless --complete). One run on the machine at hand; compare within "
    'it.'
)


def main(argv: list[str] | None = None) -> int:
    """Measure each workspace in a child process, then print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", default=DEFAULT_WORKSPACES,
                        help="comma-separated name==version sdists and monorepo:LINES")
    parser.add_argument("--sites", type=int, default=20, help="context sites per workspace")
    parser.add_argument("--files", type=int, default=100,
                        help="Python files sampled per workspace for parse and reindex")
    parser.add_argument("--complete", action="store_true",
                        help="also a full completion at each site, with the model TYPEHOLE_MODEL "
                             "names (default: the embedded one)")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child: one workspace, JSON out
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.sites, args.files, args.complete)))
        return 0
    rows = []
    for spec in (s.strip() for s in args.workspaces.split(",") if s.strip()):
        print(f"measuring {spec} ...", file=sys.stderr, flush=True)
        command = [sys.executable, "-m", "typehole.bench.scale", "--one", spec,
                   "--sites", str(args.sites), "--files", str(args.files)]
        if args.complete:
            command.append("--complete")
        proc = subprocess.run(command, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        if proc.returncode != 0:
            print(f"{spec}: the measuring process failed ({proc.returncode})", file=sys.stderr)
            return 1
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    rows.sort(key=lambda r: r["lines"])
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(table(rows))
        print("\n" + NOTES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

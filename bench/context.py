"""`typehole bench context`: recall of cross-file definitions in the assembled context.

Sites follow CrossCodeEval's construction: a line of a real project that uses a name imported from
another file of the same project; the cursor is at the start of that line and only the text before
it is given (the line itself is what a model would write). A site is a hit at budget B when the
context packed into B tokens contains the used symbol's definition (a stub or signature of it, or a
retrieved window covering its line). Baselines on the same sites: the current file only (what llm-ls
sends: it cannot contain another file's definition) and BM25 over 10-line windows (CrossCodeEval).

Run: python bench/context.py [--projects httpx==0.28.1,rich==14.3.4] [--sites 150]
Tokens are counted as ceil(chars / 4) unless a tokenizer is wired in (no model weights here).
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import tempfile
import time

from typehole.bench.projects import real_project
from typehole.context.assemble import assemble, blocks_for
from typehole.context.engine import ContextEngine
from typehole.context.hole import clear_cache
from typehole.context.records import Definition, Hole
from typehole.context.resolve import resolve_name
from typehole.context.retrieval import analogy

BUDGETS = (512, 1024, 2048)


def count_tokens(text: str) -> int:
    """The benchmark's token counter: about four characters per token."""
    return (len(text) + 3) // 4


def sites(
    engine: ContextEngine, limit: int, seed: int = 0
) -> list[tuple[str, str, int, Definition]]:
    """(path, text, offset, used definition) for lines that use a cross-file imported name."""
    found = []
    for path in sorted(engine.root.rglob("*.py")):
        rel = engine.index.relpath(path)
        if rel.startswith(("tests/", "docs/")) or "/tests/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        facts = engine.facts(rel, text)
        names = {alias: imp for alias, imp in facts.imports.items() if imp.name}
        if not names:
            continue
        pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")\b")
        last_import = max(imp.line for imp in names.values())
        offset = 0
        for number, line in enumerate(text.splitlines(keepends=True), 1):
            start = offset
            offset += len(line)
            if number <= last_import or not line.strip() or line.lstrip().startswith("#"):
                continue
            m = pattern.search(line)
            if not m:
                continue
            used = resolve_name(engine.index, facts, m.group(1))
            if used is None or used.path == rel:
                continue
            indent = len(line) - len(line.lstrip())
            found.append((rel, text, start + indent, used))
    random.Random(seed).shuffle(found)
    return found[:limit]


def _hit_types_or_snippets(result, used: Definition) -> bool:
    for t in result.relevant_types:
        if t.path == used.path and t.line == used.line:
            return True
    for h in result.relevant_headers:
        if h.path == used.path and h.line == used.line:
            return True
    return any(
        s.path == used.path and s.start_line <= used.line <= max(s.end_line, s.start_line)
        for s in result.snippets
    )


def _bm25_hit(engine: ContextEngine, rel: str, prefix: str, used: Definition, budget: int) -> bool:
    windows = analogy(engine.index, rel, prefix, len(prefix), limit=20)
    _, blocks = blocks_for(Hole("unknown", None, 0, 0), [], [], windows)
    _, _, chosen = assemble("", blocks, budget, count_tokens)
    return any(
        b.item.path == used.path and b.item.start_line <= used.line <= b.item.end_line
        for b in chosen
    )


def bench_project(name: str, version: str, n_sites: int) -> dict[str, object]:
    """Index one project cold, then measure recall, coverage and latency on its sites."""
    root = real_project(name, version)
    engine = ContextEngine(root, tempfile.mkdtemp(prefix="typehole-bench-"))
    started = time.perf_counter()
    stats = engine.build()
    index_s = time.perf_counter() - started
    lines = sum(
        text.count("\n")
        for text in (p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*.py"))
    )
    biggest = max(root.rglob("*.py"), key=lambda p: p.stat().st_size)
    # An editing session: the first change re-parses the whole file, later ones incrementally.
    original = biggest.read_text(encoding="utf-8")
    edits = []
    for i in range(9):
        started = time.perf_counter()
        engine.update_file(biggest, original + f"\n# edit {i}\n")
        edits.append((time.perf_counter() - started) * 1000)
    reindex_first, reindex_ms = edits[0], statistics.median(edits[1:])
    chosen = sites(engine, n_sites)
    hits = {b: 0 for b in BUDGETS}
    bm25 = {b: 0 for b in BUDGETS}
    typed, times = 0, []
    for i, (rel, text, offset, used) in enumerate(chosen):
        prefix = text[:offset]
        for budget in BUDGETS:
            clear_cache()  # time real analysis, not the memo
            t0 = time.perf_counter()
            result = engine.gather(prefix, offset, rel, budget, count_tokens)
            if budget == 1024 and i >= 5:  # the first few sites warm Jedi up
                times.append((time.perf_counter() - t0) * 1000)
            hits[budget] += _hit_types_or_snippets(result, used)
            bm25[budget] += _bm25_hit(engine, rel, prefix, used, budget)
        typed += result.hole.expected_type is not None
    times.sort()
    n = max(len(chosen), 1)
    return {
        "project": f"{name}=={version}",
        "files": stats.files,
        "lines": lines,
        "sites": len(chosen),
        "index_s": index_s,
        "reindex_ms": reindex_ms,
        "reindex_first": reindex_first,
        "recall": {b: hits[b] / n for b in BUDGETS},
        "bm25": {b: bm25[b] / n for b in BUDGETS},
        "typed": typed / n,
        "p50": statistics.median(times) if times else 0.0,
        "p95": times[max(int(len(times) * 0.95) - 1, 0)] if times else 0.0,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", default="httpx==0.28.1,rich==14.3.4")
    parser.add_argument("--sites", type=int, default=150)
    args = parser.parse_args(argv)
    rows = [bench_project(*spec.split("=="), args.sites) for spec in args.projects.split(",")]
    print("\nrecall of the used cross-file definition in the context (tokens ~ chars/4)")
    header = f"{'project':<16}{'sites':>6}  " + "".join(
        f"{'ours@' + str(b):>10}{'bm25@' + str(b):>10}{'file@' + str(b):>9}" for b in BUDGETS
    )
    print(header)
    for r in rows:
        cells = "".join(f"{r['recall'][b]:>10.2f}{r['bm25'][b]:>10.2f}{0.0:>9.2f}" for b in BUDGETS)
        print(f"{r['project']:<16}{r['sites']:>6}  {cells}")
    print(
        f"\n{'project':<16}{'files':>6}{'lines':>8}{'index s':>9}{'reidx ms':>9}"
        f"{'1st ms':>8}{'typed':>7}{'p50 ms':>8}{'p95 ms':>8}{'peak RSS MB':>13}"
    )
    for r in rows:
        print(
            f"{r['project']:<16}{r['files']:>6}{r['lines']:>8}{r['index_s']:>9.2f}"
            f"{r['reindex_ms']:>9.1f}{r['reindex_first']:>8.1f}{r['typed']:>7.2f}{r['p50']:>8.1f}{r['p95']:>8.1f}"
            f"{r['rss_mb']:>13.0f}"
        )
    print(
        "\nfile@B: current file only (llm-ls); bm25@B: 10-line windows, query = last 10 lines "
        "(CrossCodeEval); typed: share of sites with an expected type; p50/p95: warm gather at "
        "1024 tokens with the hole memo cleared; reidx: median re-index of the largest file over "
        "8 edits after the first (1st: the first edit, a full parse); peak RSS is the whole "
        "process so far."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

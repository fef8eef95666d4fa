"""`typehole bench context`: recall of cross-file definitions in the assembled context.

Sites follow CrossCodeEval's construction: a line of a real project that uses a name imported from
another file of the same project; the cursor is at the start of that line and only the text before
it is given (the line itself is what a model would write). A site is a hit at budget B when the
context packed into B tokens contains the used symbol's definition (a stub or signature of it, or a
retrieved window covering its line). Baselines on the same sites: the current file only (what llm-ls
sends: it cannot contain another file's definition) and BM25 over 10-line windows (CrossCodeEval).

Run: python bench/context.py [--projects httpx==0.28.1,rich==14.3.4] [--sites 150]
[--engine jedi,ty,auto] [--lsp]. Each type-oracle engine (see `context.oracle`) is asked in turn on
every site, taking turns going first; ty's child is started for the project and asked once ready.
Tokens are counted as ceil(chars / 4) unless a tokenizer is wired in (no model weights here).

With `--lsp`, the same sites are asked as an editor asks them: one `typehole serve` per engine
(setting `context.typeOracle`, the `ngram` model), all started together and driven by a real LSP
client over stdio; once each has learned and indexed the workspace and its ty child is ready,
each site is the first request in a file just opened (`didOpen` of the text before the cursor,
`typehole/context` at its end, `didClose`), the servers taking turns going first. Reported per
engine: recall of the used definition at 1024 tokens, p50/p95 of the request's wall time, and the
share answered (a request unanswered after 60 s counts as a miss and as 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from typehole.base.lexer import count_tokens as lexer_tokens
from typehole.bench.projects import pin, real_project
from typehole.context import oracle as oracles
from typehole.context.assemble import assemble, blocks_for
from typehole.context.engine import ContextEngine
from typehole.context.hole import clear_cache
from typehole.context.records import Definition, Hole, Snippet
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
        isinstance(b.item, Snippet)
        and b.item.path == used.path and b.item.start_line <= used.line <= b.item.end_line
        for b in chosen
    )


def bench_project(name: str, version: str, n_sites: int,
                  engines: tuple[str, ...] = ("jedi",)) -> list[dict[str, Any]]:
    """Index one project cold, then measure recall, coverage and latency on its sites, one
    row per type-oracle engine."""
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
    ty = oracles.start_ty(root, "auto") if any(e != "jedi" for e in engines) else None
    if ty is not None and not ty.wait_ready(120):
        raise SystemExit(f"ty did not start for {root}")
    chosen = sites(engine, n_sites)
    hits = {e: {b: 0 for b in BUDGETS} for e in engines}
    bm25 = {b: 0 for b in BUDGETS}
    typed = {e: 0 for e in engines}
    times: dict[str, list[float]] = {e: [] for e in engines}
    for i, (rel, text, offset, used) in enumerate(chosen):
        prefix = text[:offset]
        turn = i % len(engines)  # engines take turns going first (each caches per text)
        for kind in engines[turn:] + engines[:turn]:
            if ty is not None:
                oracles.set_engine(root, kind)  # type: ignore[arg-type]
            for budget in BUDGETS:
                clear_cache()  # time real analysis, not the memo
                t0 = time.perf_counter()
                result = engine.gather(prefix, offset, rel, budget, count_tokens)
                if budget == 1024 and i >= 5:  # the first few sites warm Jedi up
                    times[kind].append((time.perf_counter() - t0) * 1000)
                hits[kind][budget] += _hit_types_or_snippets(result, used)
            typed[kind] += result.hole.expected_type is not None
        for budget in BUDGETS:
            bm25[budget] += _bm25_hit(engine, rel, prefix, used, budget)
    rss = ty.rss_mb() if ty is not None else None
    oracles.stop(root)
    n = max(len(chosen), 1)
    rows = []
    for kind in engines:
        ordered = sorted(times[kind])
        rows.append({
            "project": f"{name}=={version}",
            "engine": kind,
            "files": stats.files,
            "lines": lines,
            "sites": len(chosen),
            "index_s": index_s,
            "reindex_ms": reindex_ms,
            "reindex_first": reindex_first,
            "recall": {b: hits[kind][b] / n for b in BUDGETS},
            "bm25": {b: bm25[b] / n for b in BUDGETS},
            "typed": typed[kind] / n,
            "p50": statistics.median(ordered) if ordered else 0.0,
            "p95": ordered[max(int(len(ordered) * 0.95) - 1, 0)] if ordered else 0.0,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "ty_rss_mb": rss,
        })
    return rows


_SERVER = [sys.executable, "-m", "typehole", "--log-level", "warning", "serve"]
_LSP_TIMEOUT_S = 60.0


def _json_hit(result: Any, used: Definition) -> bool:
    """`_hit_types_or_snippets` on a `typehole/context` answer (as the client decoded it)."""
    if result is None:
        return False
    for found in list(result.relevant_types) + list(result.relevant_headers):
        if found.path == used.path and found.line == used.line:
            return True
    return any(s.path == used.path and s.start_line <= used.line <= max(s.end_line,
                                                                         s.start_line)
               for s in result.snippets)


async def _lsp_server(root: Any, engine: str, warm_files: int,
                      ty_pids: dict[str, int]) -> LanguageClient:
    """A started server on `root` with `engine` as its type oracle, ready: the workspace learned
    and indexed (two progress bars ended) and, unless `jedi`, its ty child ready and, with
    `warm_files`, done warming the workspace (its pid put in `ty_pids[engine]`)."""
    client = LanguageClient("typehole-bench", "1")
    ended: list[str] = []
    oracle_ready = asyncio.Event()
    warmed = asyncio.Event()
    if engine == "jedi":
        oracle_ready.set()
    if engine == "jedi" or warm_files == 0:
        warmed.set()

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def _create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def _progress(params: types.ProgressParams) -> None:
        if isinstance(params.value, dict) and params.value.get("kind") == "end":
            ended.append(str(params.token))

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def _message(params: types.ShowMessageParams) -> None:
        return None  # the model's status ("learning the workspace"): not measured here

    @client.feature("typehole/oracle")
    def _oracle(params: Any) -> None:
        state = getattr(params, "state", None)
        if state == "ready":
            if isinstance(pid := getattr(params, "pid", None), int):
                ty_pids[engine] = pid
            oracle_ready.set()
        elif state == "warmed":
            warmed.set()

    await client.start_io(*_SERVER)
    # Nobody reads the server's stderr otherwise: a full pipe would block it.
    asyncio.ensure_future(_discard(client._server.stderr))  # type: ignore[union-attr]
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True)),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options={"model": "ngram", "context": {"typeOracle": engine,
                                                              "tyWarmFiles": warm_files}},
    ))
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(oracle_ready.wait(), 300)
    await asyncio.wait_for(warmed.wait(), 300)
    for _ in range(3000):  # a hang guard of 300 s
        if len(ended) >= 2:
            break
        await asyncio.sleep(0.1)
    return client


async def _discard(stream: asyncio.StreamReader | None) -> None:
    while stream is not None and await stream.readline():
        pass


async def _first_request(client: LanguageClient, uri: str, text: str) -> tuple[Any, float]:
    """Open `uri` with `text`, ask `typehole/context` at its end, close it: (answer, ms)."""
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri, "python", 1, text)))
    lines = text.split("\n")
    # Positions count UTF-16 units (the server's default); the sites' last lines are indents.
    position = {"line": len(lines) - 1,
                "character": len(lines[-1].encode("utf-16-le")) // 2}
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(client.protocol.send_request_async(
            "typehole/context", {"textDocument": {"uri": uri}, "position": position,
                                 "budget": 1024}), _LSP_TIMEOUT_S)
    except TimeoutError:
        result = None
    ms = (time.perf_counter() - started) * 1000
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        types.TextDocumentIdentifier(uri)))
    return result, ms


async def bench_lsp(name: str, version: str, n_sites: int, engines: tuple[str, ...],
                    warm_files: int = 0) -> list[dict[str, object]]:
    """The first request in a file just opened, per engine: one row each (`warm_files`: the
    servers' `context.tyWarmFiles`; they are asked once warming has finished)."""
    root = real_project(name, version)
    index = ContextEngine(root, tempfile.mkdtemp(prefix="typehole-bench-"))
    index.build()
    chosen = sites(index, n_sites)
    # The same sites in this process, unhurried, with the server's token counter (the budget
    # counts the lexer's tokens there, not chars / 4): what the LSP answers should match.
    unhurried = sum(_hit_types_or_snippets(index.gather(text[:offset], offset, rel, 1024,
                                                        lexer_tokens), used)
                    for rel, text, offset, used in chosen)
    index.close()
    ty_pids: dict[str, int] = {}
    clients = dict(zip(engines, await asyncio.gather(
        *(_lsp_server(root, e, warm_files, ty_pids) for e in engines)), strict=True))
    times: dict[str, list[float]] = {e: [] for e in engines}
    inside: dict[str, list[float]] = {e: [] for e in engines}  # the gather's own time
    holes: dict[str, list[float]] = {e: [] for e in engines}  # its typed-hole stage (the oracle)
    hits: dict[str, int] = dict.fromkeys(engines, 0)
    answered: dict[str, int] = dict.fromkeys(engines, 0)
    try:
        for i, (rel, text, offset, used) in enumerate(chosen):
            uri = (root / rel).as_uri()
            turn = i % len(engines)
            for engine in engines[turn:] + engines[:turn]:
                result, ms = await _first_request(clients[engine], uri, text[:offset])
                times[engine].append(ms)
                if result is not None:
                    inside[engine].append(float(getattr(result.timings_ms, "total", 0.0)))
                    holes[engine].append(float(getattr(result.timings_ms, "hole", 0.0)))
                answered[engine] += result is not None
                hits[engine] += _json_hit(result, used)
        ty_rss = {e: _rss_mb(pid) for e, pid in ty_pids.items()}
    finally:
        for client in clients.values():
            await client.shutdown_async(None)
            client.exit(None)
            await client.stop()
    n = max(len(chosen), 1)
    rows = []
    for engine in engines:
        ordered = sorted(times[engine]) or [0.0]
        gathered = sorted(inside[engine]) or [0.0]
        hole = sorted(holes[engine]) or [0.0]
        rows.append({"project": f"{name}=={version}", "engine": engine, "sites": len(chosen),
                     "recall": hits[engine] / n, "unhurried": unhurried / n,
                     "answered": answered[engine] / n,
                     "p50": statistics.median(ordered),
                     "p95": ordered[max(int(len(ordered) * 0.95) - 1, 0)],
                     "gather_p50": statistics.median(gathered),
                     "gather_p95": gathered[max(int(len(gathered) * 0.95) - 1, 0)],
                     "hole_p50": statistics.median(hole),
                     "hole_p95": hole[max(int(len(hole) * 0.95) - 1, 0)],
                     "ty_rss_mb": ty_rss.get(engine)})
    return rows


def _rss_mb(pid: int | None) -> float | None:
    """A process's resident memory in MB (Linux), None when unknown."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return next(int(line.split()[1]) / 1024 for line in status
                        if line.startswith("VmRSS:"))
    except (OSError, ValueError, StopIteration):
        return None


def _print_lsp(rows: list[dict[str, object]]) -> None:
    print("\nthrough the LSP: the first `typehole/context` in a file just opened "
          "(recall of the used definition at 1024 tokens)")
    print(f"{'project':<16}{'engine':<7}{'sites':>6}{'recall':>8}{'unhurried':>11}"
          f"{'answered':>10}{'p50 ms':>9}{'p95 ms':>9}{'gather p50':>12}{'gather p95':>12}"
          f"{'hole p50':>10}{'hole p95':>10}{'ty RSS MB':>11}")
    for r in rows:
        ty_rss = f"{r['ty_rss_mb']:.0f}" if r["ty_rss_mb"] else "-"
        print(f"{r['project']:<16}{r['engine']:<7}{r['sites']:>6}{r['recall']:>8.2f}"
              f"{r['unhurried']:>11.2f}{r['answered']:>10.2f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
              f"{r['gather_p50']:>12.1f}{r['gather_p95']:>12.1f}{r['hole_p50']:>10.1f}"
              f"{r['hole_p95']:>10.1f}{ty_rss:>11}")
    print("unhurried: the same sites gathered in this process (Jedi), the budget counted with "
          "the server's tokenizer (the lexer's tokens, not chars / 4 as the table above);\n"
          "p50/p95: the request's wall time at the client; gather: the server's own time for it "
          "(timings_ms.total; the rest is waiting for the analysis thread and the transport);\n"
          "hole: the gather's typed-hole stage, where the type oracle is asked; ty RSS: the "
          "child's resident memory after the sites")


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", default="httpx==0.28.1,rich==14.3.4")
    parser.add_argument("--sites", type=int, default=150)
    parser.add_argument("--engine", default="jedi,ty,auto",
                        help="type-oracle engines to compare, in turn on every site")
    parser.add_argument("--lsp", action="store_true",
                        help="ask through the LSP: the first request in a file just opened")
    parser.add_argument("--ty-warm", type=int, default=0, metavar="FILES",
                        help="with --lsp: the servers' context.tyWarmFiles (0: no warming)")
    args = parser.parse_args(argv)
    engines = tuple(e.strip() for e in args.engine.split(",") if e.strip())
    if set(engines) - {"jedi", "ty", "auto"}:
        parser.error(f"unknown engine in {args.engine!r}")
    if args.lsp:
        _print_lsp([r for spec in args.projects.split(",")
                    for r in asyncio.run(bench_lsp(*pin(spec), args.sites, engines,
                                                   args.ty_warm))])
        return 0
    rows = [r for spec in args.projects.split(",")
            for r in bench_project(*pin(spec), args.sites, engines)]
    print("\nrecall of the used cross-file definition in the context (tokens ~ chars/4)")
    header = f"{'project':<16}{'engine':<7}{'sites':>6}  " + "".join(
        f"{'ours@' + str(b):>10}{'bm25@' + str(b):>10}{'file@' + str(b):>9}" for b in BUDGETS
    )
    print(header)
    for r in rows:
        cells = "".join(f"{r['recall'][b]:>10.2f}{r['bm25'][b]:>10.2f}{0.0:>9.2f}" for b in BUDGETS)
        print(f"{r['project']:<16}{r['engine']:<7}{r['sites']:>6}  {cells}")
    print(
        f"\n{'project':<16}{'engine':<7}{'files':>6}{'lines':>8}{'index s':>9}{'reidx ms':>9}"
        f"{'1st ms':>8}{'typed':>7}{'p50 ms':>8}{'p95 ms':>8}{'peak RSS MB':>13}{'ty RSS MB':>11}"
    )
    for r in rows:
        ty_rss = f"{r['ty_rss_mb']:.0f}" if r["ty_rss_mb"] else "-"
        print(
            f"{r['project']:<16}{r['engine']:<7}{r['files']:>6}{r['lines']:>8}{r['index_s']:>9.2f}"
            f"{r['reindex_ms']:>9.1f}{r['reindex_first']:>8.1f}{r['typed']:>7.2f}{r['p50']:>8.1f}"
            f"{r['p95']:>8.1f}{r['rss_mb']:>13.0f}{ty_rss:>11}"
        )
    print(
        "\nfile@B: current file only (llm-ls); bm25@B: 10-line windows, query = last 10 lines "
        "(CrossCodeEval; the used name is on the cursor's line, not in the query, so BM25 finds "
        "its definition only when the lines before name something in the same window: near 0 on "
        "httpx, whose types live in _types.py and _models.py); typed: share of sites with an "
        "expected type; p50/p95: warm gather at 1024 tokens with the hole memo cleared; reidx: "
        "median re-index of the largest file over 8 edits after the first (1st: the first edit, "
        "a full parse); peak RSS is the whole process so far (ty's child apart); engine: which "
        "type oracle answers first (jedi; ty, Jedi where ty cannot answer; auto: ty, Jedi where "
        "ty does not know)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

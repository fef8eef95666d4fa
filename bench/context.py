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
`typehole/context` at its end, at once or `--open-pause` later, `didClose`), the servers
taking turns going first. Reported per engine: recall of the used definition at 1024 tokens,
p50/p95 of the request's wall time, and the share answered (a request unanswered after 60 s,
or answered with an error, counts as a miss and as 60 s; the first requests' and typing on's
errors are counted apart). With
`--keystrokes N` the file stays open after its first request and the next N characters of the
site's real line are typed, each a `didChange` then a `typehole/context` (warm: typing on). Each
row also gives the largest stages at p95 (the answers' `timings_ms`), what the request waited for
in the server before its stages (`wait_loop`, `wait_analysis`), the wall time outside the server's
account (the pipes, the answer's JSON, the client) and the server's RSS. With `--baseline
CHECKOUT` (another checkout of typehole, e.g. `git worktree add --detach DIR main`) each engine
also runs that code, the two servers taking turns on the same sites: before and after in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

from typehole.base.lexer import count_tokens as lexer_tokens
from typehole.bench.projects import pin, real_project
from typehole.bench.scale import workspace
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
    if not answered(result):
        return False
    for found in list(result.relevant_types) + list(result.relevant_headers):
        if found.path == used.path and found.line == used.line:
            return True
    return any(s.path == used.path and s.start_line <= used.line <= max(s.end_line,
                                                                         s.start_line)
               for s in result.snippets)


async def _lsp_server(root: Any, engine: str, cache_dir: str,
                      warm_files: int = 0, code: Path | None = None) -> LanguageClient:
    """A started server on `root` with `engine` as its type oracle and its index in `cache_dir`,
    ready: the workspace learned and indexed (two progress bars ended) and, unless `jedi`, its ty
    child ready and, with `warm_files` (`context.tyWarmFiles`), done warming the workspace.
    `code`: a folder holding another checkout of typehole as `typehole/`, run instead of this
    one (`_baseline`)."""
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
            oracle_ready.set()
        elif state == "warmed":
            warmed.set()

    env = None
    if code is not None:  # first on the path: before the installed (editable) typehole
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, (str(code), os.environ.get("PYTHONPATH"))))}
    await client.start_io(*_SERVER, env=env)
    # Nobody reads the server's stderr otherwise: a full pipe would block it.
    asyncio.ensure_future(_discard(client._server.stderr))  # type: ignore[union-attr]
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True)),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        # Each server its own index: servers sharing the user's cache would build one file
        # at once and evict each other's (and other workspaces') under the cache's cap.
        initialization_options={"model": "ngram", "context": {
            "typeOracle": engine, "cacheDir": cache_dir, "tyWarmFiles": warm_files}},
    ))
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(oracle_ready.wait(), 300)
    if warm_files and engine != "jedi":
        await asyncio.wait_for(warmed.wait(), 300)
    for _ in range(12000):  # a hang guard of 20 minutes (a 1M-line monorepo on busy cores)
        if len(ended) >= 2:
            return client
        await asyncio.sleep(0.1)
    # Asked before its index is built, the server answers nothing: that measures nothing.
    raise SystemExit(f"the {engine} server did not index {root} in 20 minutes")


async def _discard(stream: asyncio.StreamReader | None) -> None:
    while stream is not None and await stream.readline():
        pass


def _position(text: str) -> dict[str, int]:
    """The LSP position at the end of `text` (UTF-16 units, the server's default)."""
    lines = text.split("\n")
    return {"line": len(lines) - 1, "character": len(lines[-1].encode("utf-16-le")) // 2}


@dataclass(frozen=True)
class Failed:
    """An error reply to a request: unanswered, counted as the timeout's wall time (a fast
    error is no fast answer)."""

    message: str


def answered(result: Any) -> bool:
    """Whether `result` is an answer (not a timeout, an error reply or `null`)."""
    return result is not None and not isinstance(result, Failed)


async def _ask(client: LanguageClient, uri: str, text: str) -> tuple[Any, float]:
    """`typehole/context` at the end of `text`, the document's content: (answer, ms); a
    timeout is (None, its ms), an error reply (`Failed`, the timeout's ms)."""
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(client.protocol.send_request_async(
            "typehole/context", {"textDocument": {"uri": uri}, "position": _position(text),
                                 "budget": 1024}), _LSP_TIMEOUT_S)
    except TimeoutError:
        result = None
    except JsonRpcException as exc:
        return Failed(str(exc)), _LSP_TIMEOUT_S * 1000
    return result, (time.perf_counter() - started) * 1000


async def _session(client: LanguageClient, uri: str, text: str,
                   typed: str, pause_s: float = 0.0) -> list[tuple[Any, float]]:
    """Open `uri` with `text`, ask `typehole/context` at its end (the first request in a file
    just opened; `pause_s` after the open, as an editor asks a moment later), then type `typed`
    one character at a time, each a `didChange` then a request at the new end (typing on),
    and close it: (answer, ms) per request, the first one first."""
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri, "python", 1, text)))
    if pause_s:
        await asyncio.sleep(pause_s)
    answers = [await _ask(client, uri, text)]
    for version, char in enumerate(typed, 2):
        end = _position(text)
        at = types.Position(end["line"], end["character"])
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangePartial(types.Range(at, at), char)]))
        text += char
        answers.append(await _ask(client, uri, text))
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        types.TextDocumentIdentifier(uri)))
    return answers


def _rss_mb(client: LanguageClient) -> tuple[float, float]:
    """The server process's (current, peak) resident memory in MB; its ty child is apart."""
    found = {}
    with open(f"/proc/{client._server.pid}/status") as status:  # type: ignore[union-attr]
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found.get("VmRSS", 0.0), found.get("VmHWM", 0.0)


def _baseline(checkout: Path, into: Path) -> Path:
    """A folder in `into` whose `typehole/` is `checkout` (a git worktree of typehole: its root
    is the package), for `_lsp_server`'s `code`."""
    if not (checkout / "__main__.py").is_file():
        raise SystemExit(f"--baseline {checkout}: not a checkout of typehole (no __main__.py)")
    folder = into / "baseline"
    folder.mkdir()
    (folder / "typehole").symlink_to(checkout.resolve(), target_is_directory=True)
    return folder


# The server's own time for a request, beyond the stages of `ContextEngine.gather` (`total`):
# from the request's bytes read to its handler starting (the event loop busy with earlier
# messages, such as a didOpen's text), and from there to the analysis thread starting it.
_WAITS = ("wait_loop", "wait_analysis")


def _p95(values: list[float]) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def _summary(answers: list[tuple[Any, float]]) -> dict[str, Any]:
    """p50/p95 of the requests' wall time and of the server's own time for them (`total`),
    and each stage's p95 (from `timings_ms`), largest first."""
    stages: dict[str, list[float]] = {}
    outside: list[float] = []  # the wall time the server does not account for
    for result, wall in answers:
        if answered(result):
            timings = result.timings_ms._asdict()
            for stage, ms in timings.items():
                stages.setdefault(stage, []).append(float(ms))
            if all(w in timings for w in _WAITS):
                outside.append(wall - sum(float(timings[k]) for k in ("total", *_WAITS)))
    walls = [ms for _, ms in answers] or [0.0]
    totals = stages.pop("total", [0.0])
    return {"n": len(answers), "answered": sum(answered(r) for r, _ in answers)
            / max(len(answers), 1), "errors": sum(isinstance(r, Failed) for r, _ in answers),
            "p50": statistics.median(walls), "p95": _p95(walls),
            "gather_p50": statistics.median(totals), "gather_p95": _p95(totals),
            "waits_p95": {w: _p95(stages.pop(w)) for w in _WAITS if w in stages},
            "outside_p50": statistics.median(outside) if outside else None,
            "outside_p95": _p95(outside) if outside else None,
            "stages_p95": dict(sorted(((s, _p95(v)) for s, v in stages.items()),
                                      key=lambda kv: -kv[1]))}


async def bench_lsp(spec: str, n_sites: int, engines: tuple[str, ...],
                    keystrokes: int = 0, warm_files: int = 0,
                    baseline: Path | None = None,
                    open_pause_ms: float = 0.0) -> list[dict[str, Any]]:
    """Per engine, one row: the first request in a file just opened (`open_pause_ms` after the
    open) and, with `keystrokes`, the requests while typing on (the next characters of the
    site's real line); `warm_files`: the servers' `context.tyWarmFiles` (they are asked once
    warming has finished). With `baseline` (a checkout of typehole), each engine also runs
    that code, a row `ENGINE@base`, the servers of both taking turns on the same sites."""
    root = workspace(spec)
    caches = Path(tempfile.mkdtemp(prefix="typehole-bench-"))  # the indexes, removed at the end
    code = _baseline(baseline, caches) if baseline is not None else None
    servers: dict[str, tuple[str, Path | None]] = {e: (e, None) for e in engines}
    if code is not None:
        servers.update({f"{e}@base": (e, code) for e in engines})
    labels = tuple(servers)
    index = ContextEngine(root, caches / "here")
    index.build()
    chosen = sites(index, n_sites)
    # The same sites in this process, unhurried, with the server's token counter (the budget
    # counts the lexer's tokens there, not chars / 4): what the LSP answers should match.
    unhurried = sum(_hit_types_or_snippets(index.gather(text[:offset], offset, rel, 1024,
                                                        lexer_tokens), used)
                    for rel, text, offset, used in chosen)
    index.close()
    # This process's heap (Jedi's, the index's) out of the collector's passes: a full pass
    # here took seconds, counted in whichever request's wall time it fell.
    gc.collect()
    gc.freeze()
    clients = dict(zip(labels, await asyncio.gather(
        *(_lsp_server(root, e, str(caches / label.replace("@", "-")), warm_files, at)
          for label, (e, at) in servers.items())), strict=True))
    first: dict[str, list[tuple[Any, float]]] = {e: [] for e in labels}
    typing: dict[str, list[tuple[Any, float]]] = {e: [] for e in labels}
    hits: dict[str, int] = dict.fromkeys(labels, 0)
    rss: dict[str, tuple[float, float]] = {}
    try:
        for i, (rel, text, offset, used) in enumerate(chosen):
            uri = (root / rel).as_uri()
            line_end = text.find("\n", offset)
            typed = text[offset:line_end if line_end >= 0 else len(text)][:keystrokes]
            turn = i % len(labels)
            for engine in labels[turn:] + labels[:turn]:
                answers = await _session(clients[engine], uri, text[:offset], typed,
                                         open_pause_ms / 1000)
                first[engine].append(answers[0])
                typing[engine].extend(answers[1:])
                hits[engine] += _json_hit(answers[0][0], used)
        rss = {e: _rss_mb(c) for e, c in clients.items()}
    finally:
        for client in clients.values():
            await client.shutdown_async(None)
            client.exit(None)
            await client.stop()
        shutil.rmtree(caches, ignore_errors=True)
    n = max(len(chosen), 1)
    return [{"project": spec, "engine": e, "sites": len(chosen), "recall": hits[e] / n,
             "unhurried": unhurried / n,
             **_summary(first[e]), "answered": sum(answered(r) for r, _ in first[e]) / n,
             "typing": _summary(typing[e]) if typing[e] else None,
             "rss_mb": rss.get(e, (0.0, 0.0))[0], "peak_rss_mb": rss.get(e, (0.0, 0.0))[1]}
            for e in labels]


def _stages(summary: dict[str, Any]) -> str:
    return ", ".join(f"{s} {ms:.0f}" for s, ms in list(summary["stages_p95"].items())[:3])


def _waits(summary: dict[str, Any]) -> str:
    """The p95 of the server's waits and of the time outside the server (`_WAITS`)."""
    if summary["outside_p95"] is None:
        return ""
    waits = ", ".join(f"{w.removeprefix('wait_')} {ms:.0f}"
                      for w, ms in summary["waits_p95"].items())
    return f"; waited {waits}, outside {summary['outside_p50']:.0f} / " \
        f"{summary['outside_p95']:.0f}"


def _errors(summary: dict[str, Any]) -> str:
    return f"; {summary['errors']} error replies" if summary["errors"] else ""


def _print_lsp(rows: list[dict[str, Any]]) -> None:
    print("\nthrough the LSP: the first `typehole/context` in a file just opened "
          "(recall of the used definition at 1024 tokens), then typing on")
    print(f"{'project':<18}{'engine':<10}{'sites':>6}{'recall':>8}{'unhurried':>11}"
          f"{'answered':>10}{'p50 ms':>9}{'p95 ms':>9}{'gather p50':>12}{'gather p95':>12}"
          f"{'RSS MB':>8}{'peak':>6}  largest stages at p95 (ms)")
    for r in rows:
        print(f"{r['project']:<18}{r['engine']:<10}{r['sites']:>6}{r['recall']:>8.2f}"
              f"{r['unhurried']:>11.2f}{r['answered']:>10.2f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
              f"{r['gather_p50']:>12.1f}{r['gather_p95']:>12.1f}{r['rss_mb']:>8.0f}"
              f"{r['peak_rss_mb']:>6.0f}  {_stages(r)}{_waits(r)}{_errors(r)}")
        if r["typing"]:
            t = r["typing"]
            print(f"{'  typing on':<28}{t['n']:>6}{'':>19}{t['answered']:>10.2f}"
                  f"{t['p50']:>9.1f}{t['p95']:>9.1f}{t['gather_p50']:>12.1f}"
                  f"{t['gather_p95']:>12.1f}{'':>14}  {_stages(t)}{_waits(t)}{_errors(t)}")
    print("unhurried: the same sites gathered in this process (Jedi), the budget counted with "
          "the server's tokenizer (the lexer's tokens, not chars / 4 as the table above);\n"
          "p50/p95: the request's wall time at the client; gather: the server's own time for it "
          "(timings_ms.total; the rest is waiting for the analysis thread and the transport);\n"
          "typing on: each next character of the site's line (--keystrokes), a didChange then "
          "a request; RSS: the server process at the end and its peak (ty's child apart);\n"
          "waited (p95): from the request's bytes read to its handler (loop) and to the analysis "
          "thread (analysis); outside (p50 / p95): the wall time less the server's own (the "
          "pipes, the answer's JSON, the client);\nENGINE@base: the same engine running "
          "--baseline's code")


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", default="httpx==0.28.1,rich==14.3.4")
    parser.add_argument("--sites", type=int, default=150)
    parser.add_argument("--engine", default="jedi,ty,auto",
                        help="type-oracle engines to compare, in turn on every site")
    parser.add_argument("--lsp", action="store_true",
                        help="ask through the LSP: the first request in a file just opened; "
                        "--projects also takes monorepo:LINES (see bench scale)")
    parser.add_argument("--keystrokes", type=int, default=0,
                        help="with --lsp, type on this many characters after each first request")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="with --lsp, also run each engine from this checkout of typehole "
                        "(e.g. `git worktree add --detach DIR main`), on the same sites in turn")
    parser.add_argument("--open-pause", type=float, default=0.0, metavar="MS",
                        help="with --lsp, wait this long between opening a file and its first "
                        "request (default: ask at once)")
    parser.add_argument("--ty-warm", type=int, default=0, metavar="N",
                        help="with --lsp, the servers' context.tyWarmFiles (ty warms N files "
                        "before the first request)")
    args = parser.parse_args(argv)
    engines = tuple(e.strip() for e in args.engine.split(",") if e.strip())
    if set(engines) - {"jedi", "ty", "auto"}:
        parser.error(f"unknown engine in {args.engine!r}")
    if args.lsp:
        _print_lsp([r for spec in args.projects.split(",")
                    for r in asyncio.run(bench_lsp(spec, args.sites, engines,
                                                  args.keystrokes, args.ty_warm,
                                                  args.baseline, args.open_pause))])
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

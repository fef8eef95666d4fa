"""`typehole bench latency`: end-to-end inline-completion time through the LSP over stdio.

A real client starts `typehole serve` on a real project (an sdist from PyPI), waits until the
workspace is indexed and the model is ready (loaded, or for `ngram` trained on the workspace),
opens files and asks for inline completions at sites taken from the code itself: each site is a
line of a function body cut in the middle, the way a user types it, visited file by file. The
first request of the session is reported as cold, the rest as warm. With `--typing K` the user
then types on: the line's next K characters one by one, each keystroke an incremental change and
a request (reported as typing). With `--along K` the user types the suggestion itself instead,
its first K characters one by one, each a request (reported as along, with the share answered
with the rest of the same suggestion).

    typehole bench latency [--project httpx==0.28.1] [--requests 240] [--typing K] [--along K]
                           [--model NAME] [--no-monitors] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from typehole.bench.projects import real_project

SERVER = [sys.executable, "-m", "typehole", "--log-level", "info", "serve"]


@dataclass(frozen=True)
class Site:
    """A cursor in a file: 0-based line and UTF-16 character of the cut."""

    path: Path
    line: int
    character: int


def pick_sites(root: Path, count: int, seed: int = 7) -> list[Site]:
    """Cut points inside indented code lines of the project's Python files (deterministic)."""
    rng = random.Random(seed)
    candidates: list[Site] = []
    for path in sorted(root.rglob("*.py")):
        if "test" in path.parts[-1]:
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        for number, line in enumerate(lines):
            stripped = line.strip()
            if (
                line.startswith("    ")
                and len(stripped) > 12
                and not stripped.startswith(("#", '"'))
            ):
                cut = len(line) - len(stripped) + rng.randint(4, len(stripped) - 4)
                if line.isascii():
                    candidates.append(Site(path, number, cut))
    rng.shuffle(candidates)
    # A user works through one file for a while: visit the chosen sites file by file, top down.
    return sorted(candidates[:count], key=lambda site: (site.path, site.line))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def drain_timings(stream: asyncio.StreamReader | None,
                        stages: dict[str, list[float]]) -> None:
    """Read the server's log (pygls' client never does: a full pipe would block the server),
    collecting the per-stage timings it logs for each completion."""
    marker = b"completion timings_ms "
    while stream is not None and (line := await stream.readline()):
        if marker in line:
            for stage, ms in json.loads(line.split(marker, 1)[1]).items():
                stages.setdefault(stage, []).append(ms)


async def _request(client: LanguageClient, uri: str, line: int,
                   character: int) -> tuple[Any, float]:
    """One inline completion request and its wall time in ms."""
    t = time.perf_counter()
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
            text_document=types.TextDocumentIdentifier(uri),
            position=types.Position(line, character),
        )
    )
    return result, (time.perf_counter() - t) * 1000


async def _type(client: LanguageClient, uri: str, version: int, line: int, column: int,
                char: str) -> tuple[Any, float]:
    """Type `char` at (line, column) as an incremental change, then ask at the new cursor."""
    at = types.Position(line, column)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version, uri),
            [types.TextDocumentContentChangePartial(types.Range(at, at), char)],
        )
    )
    return await _request(client, uri, line, column + 1)


def _suggestion(result: Any) -> str:
    """The first item's text of an inline completion answer ("" when none)."""
    if result and result.items and isinstance(result.items[0].insert_text, str):
        return str(result.items[0].insert_text)
    return ""


async def run(project: str, requests: int, monitors: bool = True, typing: int = 0,
              along: int = 0, model: str | None = None) -> dict:
    """Drive the server and return the measurements (`typing`: keystrokes of the real line after
    each site; `along`: keystrokes of the suggestion; `model`: the model setting, else the
    default)."""
    name, version = project.split("==")
    root = real_project(name, version)
    sites = pick_sites(root, requests)

    client = LanguageClient("typehole-bench", "1")
    done = asyncio.Event()
    ended: list[str] = []

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def _create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def _progress(params: types.ProgressParams) -> None:
        # Ready once the model has learned the workspace and the index is built (two bars).
        if isinstance(params.value, dict) and params.value.get("kind") == "end":
            ended.append(str(params.token))
            if len(ended) >= 2:
                done.set()

    @client.feature("typehole/status")
    def _status(params: Any) -> None:
        return None  # the model's state: the progress bars already say when it is ready

    @client.feature("typehole/oracle")
    def _oracle(params: Any) -> None:
        return None

    started = time.perf_counter()
    await client.start_io(*SERVER)
    stages: dict[str, list[float]] = {}
    drain = asyncio.ensure_future(drain_timings(client._server.stderr, stages))  # type: ignore[union-attr]
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)
            ),
            root_uri=root.as_uri(),
            initialization_options={"monitors": {"enabled": monitors},
                                    **({"model": model} if model else {})},
        )
    )
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(done.wait(), 300)
    ready_s = time.perf_counter() - started

    cold: list[float] = []
    warm: list[float] = []
    typed: list[float] = []
    along_ms: list[float] = []
    along_kept = 0
    answered = 0
    versions: dict[Path, int] = {}
    for site in sites:
        uri = site.path.as_uri()
        lines = site.path.read_text(encoding="utf-8", errors="replace").split("\n")
        # Cut the line at the site so the cursor sits at the end of what was "typed".
        lines[site.line] = lines[site.line][: site.character]
        text = "\n".join(lines)
        doc_version = versions.get(site.path, 0) + 1
        versions[site.path] = doc_version
        if doc_version == 1:
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text))
            )
        else:
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(doc_version, uri),
                    [types.TextDocumentContentChangeWholeDocument(text)],
                )
            )
        result, ms = await _request(client, uri, site.line, site.character)
        (warm if cold else cold).append(ms)
        answered += bool(result and result.items)
        # The user accepts by typing: the suggestion's first characters, one keystroke at a
        # time; each answer should be the rest of the same suggestion.
        suggestion = _suggestion(result).split("\n", 1)[0]
        for typed_n in range(1, min(along, len(suggestion)) + 1):
            doc_version = versions[site.path] = versions[site.path] + 1
            column = site.character + typed_n - 1
            result, ms = await _type(client, uri, doc_version, site.line, column,
                                     suggestion[typed_n - 1])
            along_ms.append(ms)
            along_kept += _suggestion(result).startswith(suggestion[typed_n:]) and bool(
                suggestion[typed_n:].strip())
        if along:
            continue  # the line now holds the suggestion, not the real text to type on
        # Then the user types on: the line's next characters one keystroke at a time, each an
        # incremental change and a new request (as an editor with automatic triggers sends).
        rest = site.path.read_text(encoding="utf-8", errors="replace").split("\n")[site.line]
        for column in range(site.character, min(site.character + typing, len(rest))):
            doc_version = versions[site.path] = versions[site.path] + 1
            _, ms = await _type(client, uri, doc_version, site.line, column, rest[column])
            typed.append(ms)

    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    drain.cancel()
    return {
        "project": project,
        "monitors": monitors,
        "requests": len(sites),
        "with_suggestion": answered,
        "startup_and_training_s": round(ready_s, 2),
        "cold_ms": summarize(cold),
        "warm_ms": summarize(warm),
        "typing_ms": summarize(typed),
        "along_ms": summarize(along_ms),
        "along_kept": along_kept,
        "model": model or "default",
        "server_stages_ms": {stage: summarize(values) for stage, values in stages.items()},
    }


def summarize(values: list[float]) -> dict:
    """n, median, p95 and max of `values` in ms (empty when there are none)."""
    if not values:
        return {}
    return {
        "n": len(values),
        "median": round(statistics.median(values), 2),
        "p95": round(percentile(values, 95), 2),
        "max": round(max(values), 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: prints a table (or JSON) of the latency measurements."""
    parser = argparse.ArgumentParser(
        prog="typehole bench latency", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--project", default="httpx==0.28.1")
    parser.add_argument("--requests", type=int, default=240)
    parser.add_argument("--no-monitors", action="store_true", help="decode without monitors")
    parser.add_argument("--typing", type=int, default=0, metavar="K",
                        help="after each site, type its line's next K characters one by one, "
                        "each keystroke a request")
    parser.add_argument("--along", type=int, default=0, metavar="K",
                        help="after each site, type the suggestion's first K characters one by "
                        "one, each keystroke a request (instead of --typing)")
    parser.add_argument("--model", default=None,
                        help="the `model` setting (default: the server's default model)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.project, args.requests, monitors=not args.no_monitors,
                             typing=args.typing, along=args.along, model=args.model))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    monitors = "on" if result["monitors"] else "off"
    print(
        f"inline completion latency through LSP/stdio, {result['project']}, model "
        f"{result['model']}, "
        f"monitors {monitors}"
    )
    print(f"server start + workspace training: {result['startup_and_training_s']} s")
    print(f"{'':8} {'n':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for label in ("cold", "warm", "typing", "along"):
        s = result[f"{label}_ms"]
        if s:
            print(f"{label:8} {s['n']:>5} {s['median']:>10} {s['p95']:>8} {s['max']:>8}")
    print(f"requests with a suggestion: {result['with_suggestion']}/{result['requests']}")
    if result["along_ms"]:
        print(f"along: {result['along_kept']}/{result['along_ms']['n']} keystrokes answered with "
              "the rest of the suggestion being typed")
    print("inside the server, per stage:")
    for stage, s in result["server_stages_ms"].items():
        print(f"  {stage:12} {s['n']:>5} {s['median']:>10} {s['p95']:>8} {s['max']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`typehole bench load`: completions in a small file while large documents are open.

A real client starts `typehole serve` over stdio on a copy of httpx (an sdist from PyPI) with the
`ngram` model, waits until the workspace is learned and indexed, opens a small file and then,
phase by phase, opens large documents: the largest Python files of httpx, rich, attrs, click and
jinja2 (opened together), a 5 MB and a 20 MB file of concatenated real modules, a 5 MB single
line (a literal of real source lines) and 100,000 `(`. The generated files are written into the
workspace (`generated/`), as a build step or a vendored dump would leave them. With each phase's
documents open, the user types in the small file (one incremental change and one inline
completion per keystroke) and completes a few times inside the large document itself; then the
documents are closed and the user types a little more.

Reported per phase: answer latency percentiles of the requests in the small file (a request
unanswered after `--timeout` seconds counts as that long and as unanswered), those in the large
document, the server's peak resident memory while the documents were open (sampled from
`/proc/<pid>/status` every 50 ms; Linux) and its resident memory after they were closed.

    typehole bench load [--keystrokes 40] [--timeout 60] [--phases all|NAME,...] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from typehole.bench.latency import drain_timings, summarize
from typehole.bench.projects import real_project

SERVER = [sys.executable, "-m", "typehole", "--log-level", "info", "serve"]
WORKSPACE = ("httpx", "0.28.1")
# The projects whose largest Python files are opened together in the first phase.
PROJECTS = {"httpx": "0.28.1", "rich": "14.3.4", "attrs": "25.4.0", "click": "8.3.3",
            "jinja2": "3.1.6"}
SMALL_FILE = "httpx/_config.py"  # about 8.5 KB: the file the user types in
PHASES = ("largest", "5mb", "20mb", "line5mb", "parens")
MB = 1_000_000


@dataclass
class Phase:
    """One phase's documents (name -> text) and what was measured while they were open."""

    name: str
    documents: dict[str, str]
    other_ms: list[float] = field(default_factory=list)
    other_unanswered: int = 0
    inside_ms: list[float] = field(default_factory=list)
    inside_unanswered: int = 0
    after_close_ms: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    rss_after_close_mb: float = 0.0
    messages: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        """The phase as JSON."""
        return {
            "phase": self.name,
            "documents": {name: len(text.encode("utf-8")) for name, text in self.documents.items()},
            "other_file_ms": summarize(self.other_ms),
            "other_file_first_ms": round(self.other_ms[0], 2) if self.other_ms else None,
            "other_file_unanswered": self.other_unanswered,
            "inside_ms": summarize(self.inside_ms),
            "inside_unanswered": self.inside_unanswered,
            "after_close_ms": summarize(self.after_close_ms),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "rss_after_close_mb": round(self.rss_after_close_mb, 1),
            "messages": self.messages,
        }


def real_modules() -> list[str]:
    """The development projects' Python modules, largest first (the material of big files)."""
    files: list[Path] = []
    for name, version in PROJECTS.items():
        root = real_project(name, version)
        files.extend(p for p in root.rglob("*.py") if "test" not in p.name)
    files.sort(key=lambda p: (-p.stat().st_size, str(p)))
    return [p.read_text(encoding="utf-8", errors="replace") for p in files]


def concatenated(modules: list[str], size: int) -> str:
    """At least `size` characters of real modules, one after another, repeated as needed."""
    parts: list[str] = []
    total = 0
    while total < size:
        for text in modules:
            parts.append(text if text.endswith("\n") else text + "\n")
            total += len(parts[-1])
            if total >= size:
                break
    return "".join(parts)


def single_line(modules: list[str], size: int) -> str:
    """One line of at least `size` characters: a list literal of real source lines."""
    items: list[str] = []
    total = 0
    lines = [line for text in modules for line in text.split("\n") if line.strip()]
    while total < size:
        for line in lines:
            items.append(repr(line))
            total += len(items[-1]) + 2
            if total >= size:
                break
    return "SOURCE_LINES = [" + ", ".join(items) + "]\n"


def phase_documents(name: str, modules: list[str]) -> dict[str, str]:
    """The documents a phase opens, by workspace-relative name."""
    if name == "largest":
        found: dict[str, str] = {}
        for project, version in PROJECTS.items():
            root = real_project(project, version)
            files = [p for p in root.rglob("*.py") if "test" not in p.name]
            largest = max(files, key=lambda p: (p.stat().st_size, str(p)))
            found[f"largest/{project}_{largest.name}"] = largest.read_text(encoding="utf-8")
        return found
    if name == "5mb":
        return {"generated/concat_5mb.py": concatenated(modules, 5 * MB)}
    if name == "20mb":
        return {"generated/concat_20mb.py": concatenated(modules, 20 * MB)}
    if name == "line5mb":
        return {"generated/line_5mb.py": single_line(modules, 5 * MB)}
    if name == "parens":
        return {"generated/parens.py": "x = " + "(" * 100_000 + "\n"}
    raise ValueError(f"unknown phase {name!r}; phases: {', '.join(PHASES)}")


def typing_sites(text: str, count: int, seed: int = 11) -> list[tuple[int, int, str]]:
    """(line, cut column, rest of the line) in indented code lines of `text`, top down."""
    rng = random.Random(seed)
    found = []
    for number, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if line.startswith("    ") and len(stripped) > 12 and line.isascii() \
                and not stripped.startswith(("#", '"')):
            cut = len(line) - len(stripped) + rng.randint(4, len(stripped) - 6)
            found.append((number, cut, line[cut:]))
    rng.shuffle(found)
    return sorted(found[:count])


def _rss_mb(pid: int, key: str = "VmRSS") -> float:
    """A process's resident memory (or `VmHWM`, its peak) in MB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Session:
    """The client, the server process and the small file's state."""

    def __init__(self, root: Path, timeout_s: float) -> None:
        self.root = root
        self.timeout_s = timeout_s
        self.client = LanguageClient("typehole-bench-load", "1")
        self.pid = 0
        self.small = root / SMALL_FILE
        self.small_text = self.small.read_text(encoding="utf-8")
        self.version = 1
        self.messages: list[str] = []
        self.peak = 0.0
        self.stages: dict[str, list[float]] = {}

    async def start(self, ready_timeout_s: float = 600) -> float:
        """Start the server, wait until the workspace is learned and indexed; seconds taken."""
        done = asyncio.Event()
        ended: list[str] = []

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def _create(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @self.client.feature(types.PROGRESS)
        def _progress(params: types.ProgressParams) -> None:
            if isinstance(params.value, dict) and params.value.get("kind") == "end":
                ended.append(str(params.token))
                if len(ended) >= 2:
                    done.set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def _message(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

        started = time.perf_counter()
        await self.client.start_io(*SERVER)
        server = self.client._server
        if server is None:
            raise RuntimeError("the language server did not start")
        self.pid = server.pid
        self._drain = asyncio.ensure_future(drain_timings(server.stderr, self.stages))
        self._sampler = asyncio.ensure_future(self._sample())
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)),
            root_uri=self.root.as_uri(),
            initialization_options={"model": "ngram"},
        ))
        self.client.initialized(types.InitializedParams())
        await asyncio.wait_for(done.wait(), ready_timeout_s)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(self.small.as_uri(), "python", 1, self.small_text)))
        return time.perf_counter() - started

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, _rss_mb(self.pid))
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Shut the server down (bounded: a server that does not answer is killed)."""
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 30)
            self.client.exit(None)
        except Exception:  # noqa: BLE001 - a stuck server is killed below
            pass
        try:
            await asyncio.wait_for(self.client.stop(), 30)
        except TimeoutError:
            if self.client._server is not None:
                self.client._server.kill()
        self._sampler.cancel()
        self._drain.cancel()

    async def complete(self, uri: str, line: int, character: int) -> float | None:
        """One inline completion's wall time in ms; None when unanswered within the timeout."""
        started = time.perf_counter()
        request = self.client.text_document_inline_completion_async(types.InlineCompletionParams(
            context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
            text_document=types.TextDocumentIdentifier(uri),
            position=types.Position(line, character),
        ))
        try:
            # Shielded: a late answer still finds its request waiting (and is dropped).
            await asyncio.wait_for(asyncio.shield(request), self.timeout_s)
        except TimeoutError:
            return None
        return (time.perf_counter() - started) * 1000

    def _edit(self, line: int, start: int, end: int, new: str) -> None:
        """Replace columns start..end of `line` in the small file (an incremental change)."""
        self.version += 1
        lines = self.small_text.split("\n")
        lines[line] = lines[line][:start] + new + lines[line][end:]
        self.small_text = "\n".join(lines)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(line, start), types.Position(line, end)), text=new)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(self.version, self.small.as_uri()), [change]))

    async def type_in_small_file(self, keystrokes: int, into: list[float]) -> int:
        """Type `keystrokes` characters at code sites of the small file, a request after each;
        the lines are restored afterwards. Returns how many requests went unanswered."""
        unanswered = 0
        sites = typing_sites(self.small_text, max(keystrokes // 8, 1))
        per_site = -(-keystrokes // len(sites))
        typed_total = 0
        for line, cut, rest in sites:
            self._edit(line, cut, cut + len(rest), "")  # the rest of the line is not typed yet
            count = min(per_site, len(rest), keystrokes - typed_total)
            for column in range(cut, cut + count):
                self._edit(line, column, column, rest[column - cut])
                ms = await self.complete(self.small.as_uri(), line, column + 1)
                if ms is None:
                    unanswered += 1
                    ms = self.timeout_s * 1000
                into.append(ms)
                if unanswered >= 3:  # the server is stuck: more requests only pile up
                    self._edit(line, cut, cut + count, rest)
                    return unanswered
            typed_total += count
            self._edit(line, cut, cut + count, rest)
            if typed_total >= keystrokes:
                break
        return unanswered

    async def complete_inside(self, uri: str, text: str, count: int, into: list[float]) -> int:
        """`count` completions at spread-out line ends of an open document; unanswered count."""
        lines = text.split("\n")
        unanswered = 0
        for k in range(count):
            line = min(len(lines) - 1, (k + 1) * len(lines) // (count + 1))
            ms = await self.complete(uri, line, len(lines[line].encode("utf-16-le")) // 2)
            if ms is None:
                unanswered += 1
                if unanswered >= 2:
                    return unanswered
                ms = self.timeout_s * 1000
            into.append(ms)
        return unanswered


async def run_phase(session: Session, phase: Phase, keystrokes: int, settle_s: float) -> None:
    """Open the phase's documents, type and complete, close them, measure memory."""
    session.peak = _rss_mb(session.pid)
    heard = len(session.messages)
    uris = {}
    for name, text in phase.documents.items():
        path = session.root / name
        uris[name] = path.as_uri()
        session.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(path.as_uri(), "python", 1, text)))
    phase.other_unanswered = await session.type_in_small_file(keystrokes, phase.other_ms)
    for name, text in phase.documents.items():
        phase.inside_unanswered += await session.complete_inside(uris[name], text, 3,
                                                                 phase.inside_ms)
    phase.peak_rss_mb = session.peak
    for uri in uris.values():
        session.client.text_document_did_close(types.DidCloseTextDocumentParams(
            types.TextDocumentIdentifier(uri)))
    await session.type_in_small_file(max(keystrokes // 4, 4), phase.after_close_ms)
    await asyncio.sleep(settle_s)
    phase.rss_after_close_mb = _rss_mb(session.pid)
    phase.messages = session.messages[heard:]


def prepare_workspace(phases: list[Phase]) -> Path:
    """A copy of the workspace project with the phases' documents written into it."""
    root = Path(tempfile.mkdtemp(prefix="typehole-bench-load-")) / WORKSPACE[0]
    shutil.copytree(real_project(*WORKSPACE), root)
    for phase in phases:
        for name, text in phase.documents.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
    return root


async def run(names: list[str], keystrokes: int, timeout_s: float,
              settle_s: float = 3.0) -> dict[str, Any]:
    """Run the phases named and return the measurements."""
    modules = real_modules()
    phases = [Phase(name, phase_documents(name, modules)) for name in names]
    root = prepare_workspace(phases)
    session = Session(root, timeout_s)
    try:
        ready_s = await session.start()
        baseline = Phase("none", {})
        baseline.other_unanswered = await session.type_in_small_file(keystrokes,
                                                                     baseline.other_ms)
        baseline.peak_rss_mb = session.peak
        baseline.rss_after_close_mb = _rss_mb(session.pid)
        for phase in phases:
            await run_phase(session, phase, keystrokes, settle_s)
        peak = _rss_mb(session.pid, "VmHWM")
    finally:
        await session.stop()
        shutil.rmtree(root.parent, ignore_errors=True)
    return {
        "workspace": "==".join(WORKSPACE),
        "model": "ngram",
        "keystrokes": keystrokes,
        "timeout_s": timeout_s,
        "startup_and_training_s": round(ready_s, 2),
        "peak_rss_mb": round(peak, 1),
        "phases": [baseline.report()] + [p.report() for p in phases],
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: prints a table (or JSON) of the measurements."""
    parser = argparse.ArgumentParser(prog="typehole bench load",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--keystrokes", type=int, default=40,
                        help="requests typed in the small file per phase")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a request may take before it counts as unanswered")
    parser.add_argument("--phases", default="all",
                        help=f"comma-separated, from {', '.join(PHASES)} (default all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    names = list(PHASES) if args.phases == "all" else args.phases.split(",")
    unknown = [n for n in names if n not in PHASES]
    if unknown:
        parser.error(f"unknown phases {', '.join(unknown)}; phases: {', '.join(PHASES)}")
    result = asyncio.run(run(names, args.keystrokes, args.timeout))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"completions while large documents are open, LSP/stdio, {result['workspace']}, "
          f"ngram model; startup + training {result['startup_and_training_s']} s")
    print(f"{'phase':8} {'size MB':>8} {'other n':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'unans':>5} {'inside p95':>10} {'peak MB':>8} {'closed MB':>9}")
    for phase in result["phases"]:
        other, inside = phase["other_file_ms"], phase["inside_ms"]
        size = sum(phase["documents"].values()) / MB
        print(f"{phase['phase']:8} {size:>8.2f} {other.get('n', 0):>7} "
              f"{other.get('median', '-'):>8} {other.get('p95', '-'):>8} "
              f"{other.get('max', '-'):>8} {phase['other_file_unanswered']:>5} "
              f"{inside.get('p95', '-'):>10} {phase['peak_rss_mb']:>8} "
              f"{phase['rss_after_close_mb']:>9}")
    for phase in result["phases"]:
        for message in phase["messages"]:
            print(f"  {phase['phase']}: {message}")
    print(f"server peak RSS over the run (VmHWM): {result['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

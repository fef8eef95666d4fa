"""Warming ty on the workspace: its files analysed in the background before anyone asks.

The first question in a file just opened costs ty the inference of what that file imports
(161-255 ms on rich against 57 ms at most once the workspace's other files had been analysed).
Once the child is ready, a background thread asks it for the semantic tokens (which type every
name) of the workspace's Python files one at a time, in the order they are likely to be needed:
the files the editor's open documents import, then the other files of their folders and of the
imported files' folders, then the rest of the workspace (`workspace_files`, typehole's read
policy), up to a cap of files.

Files are asked about by their path, never opened: ty reads them from disk, and the documents
the editor has open (sent by the oracle's own document sync) are neither opened, changed nor
closed by warming; they are skipped (the editor's warm-up types them). A question always comes
first: warming waits until no question has been asked for `IDLE_S`, and a question arriving
while a file is being analysed cancels that analysis (the file is tried again later, once).
It stops when the cap is reached, when the child's memory passes `MAX_RSS_MB`, when the child
stops or the oracle closes. Off unless asked for (`context.tyWarmFiles`): on httpx and rich
it cut the slowest cold question (ty's part of the typed-hole stage, 127 -> 58 ms and 89 -> 36 ms
at most over 40 sites) but not the p50/p95 of the first request in a file through the LSP, which
ty's part does not dominate, and ty's memory grew by 60-85 MB.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from typehole.context.walk import workspace_files

from .lsp import ChildGone, LspChild, LspError

__all__ = ["IDLE_S", "MAX_RSS_MB", "WarmPlan", "Warmer", "imported_modules"]

log = logging.getLogger(__name__)

IDLE_S = 0.3  # warming resumes this long after the last question (typing comes in bursts)
# ty's memory grows with each file analysed (about 0.5 MB a file on rich): past this, warming
# stops rather than crowd the editor's machine.
MAX_RSS_MB = 1024.0
_FILE_TIMEOUT_S = 30.0  # one file's analysis on a busy machine; past it, the file is skipped
_POLL_S = 0.05  # how often a file's analysis is checked for a question that should cancel it

_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b([^\n#;]*)"
                     r"|import[ \t]+([\w. ,]+))", re.MULTILINE)


def imported_modules(text: str, package: str) -> list[str]:
    """The dotted names `text` imports, in the order of the text: `import a.b` gives `a.b`,
    `from a import b` gives `a.b` (a module or a name in `a`: the caller resolves it to the
    longest known module); relative ones are resolved against `package`, the dotted folder of
    the file. Names of a parenthesised list after its first line are not read."""
    out: list[str] = []
    for m in _IMPORT.finditer(text):
        if m.group(1) is None:
            out.extend(words[0] for piece in m.group(3).split(",") if (words := piece.split()))
            continue
        module = m.group(1)
        dots = len(module) - len(module.lstrip("."))
        if dots:
            parts = package.split(".") if package else []
            base = parts[: len(parts) - (dots - 1)] if dots - 1 <= len(parts) else []
            module = ".".join([*base, module[dots:]] if module[dots:] else base)
        names = [words[0] for piece in m.group(2).strip(" \t()\\").split(",")
                 if (words := piece.split()) and words[0] != "*"]
        out.extend(f"{module}.{name}" if module else name for name in names or [""])
    return [name.strip(".") for name in out if name.strip(".")]


@dataclass
class WarmPlan:
    """Which workspace files to warm, in order; `next_file` asks for one at a time so that
    documents opened meanwhile move their imports to the front."""

    root: Path
    files: list[Path]  # the workspace's Python files, in walk order
    cap: int
    done: set[Path] = field(default_factory=set)  # warmed, skipped or given up
    _modules: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Each file answers to every dotted suffix of its path (`src/pkg/a.py`: `src.pkg.a`,
        # `pkg.a`, `a`); the shortest path wins a name two files share.
        for path in sorted(self.files, key=lambda p: len(p.parts), reverse=True):
            rel = path.relative_to(self.root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            for i in range(len(parts)):
                self._modules[".".join(parts[i:])] = path

    def next_file(self, open_documents: dict[Path, str]) -> Path | None:
        """The next file to warm given the editor's open documents (path -> text); None when
        the cap is reached or nothing is left."""
        if len(self.done) >= self.cap:
            return None
        for path in self._ordered(open_documents):
            if path not in self.done and path not in open_documents:
                return path
        return None

    def _ordered(self, open_documents: dict[Path, str]) -> Iterable[Path]:
        imported: list[Path] = []
        for path, text in open_documents.items():
            try:
                package = ".".join(path.parent.relative_to(self.root).parts)
            except ValueError:
                continue
            imported.extend(self._resolve(imported_modules(text, package)))
        yield from imported
        folders = dict.fromkeys(p.parent for p in [*open_documents, *imported])
        yield from (p for p in self.files if p.parent in folders)
        yield from self.files

    def _resolve(self, modules: list[str]) -> Iterable[Path]:
        for name in modules:
            # `from pkg.mod import name` may name a module `pkg.mod.name` too: the longest
            # known prefix is the file.
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                found = self._modules.get(".".join(parts[:end]))
                if found is not None:
                    yield found
                    break


def python_files(root: Path, exclude: tuple[str, ...]) -> list[Path]:
    """The workspace's Python files typehole may read (and so ty is not told to exclude)."""
    return [p.resolve() for p in workspace_files(root, exclude) if p.suffix in (".py", ".pyi")]


class Warmer:
    """Warms one child; `stop` ends it (the child's end does too)."""

    def __init__(self, child: LspChild, plan_factory: Callable[[], WarmPlan],
                 open_documents: Callable[[], dict[Path, str]],
                 idle: Callable[[float], bool], rss_mb: Callable[[], float | None],
                 on_done: Callable[[int, float], None]) -> None:
        self.child = child
        self.order: list[Path] = []  # the files warmed, in order
        self._plan_factory = plan_factory
        self._open_documents = open_documents
        self._idle = idle  # waits up to its argument for no question in IDLE_S; False: stopped
        self._rss_mb = rss_mb
        self._on_done = on_done
        self._stop = threading.Event()
        self._interrupt = threading.Event()  # a question came: cancel the file in progress
        self.thread = threading.Thread(target=self._run, name="typehole-ty-warm", daemon=True)

    def start(self) -> None:
        """Start warming in the background."""
        self.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop warming (the file in progress is cancelled) and wait up to `timeout` seconds
        for its thread to end, so that nothing is sent to the child after this."""
        self._stop.set()
        self._interrupt.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def interrupt(self) -> None:
        """A question is being asked: cancel the file in progress, if any."""
        self._interrupt.set()

    @property
    def stopped(self) -> bool:
        """Whether warming was told to stop."""
        return self._stop.is_set()

    def _run(self) -> None:
        started = time.monotonic()
        try:
            plan = self._plan_factory()
        except OSError as exc:
            log.info("ty warming: cannot list the workspace (%s)", exc)
            return
        retried: set[Path] = set()
        while not self._stop.is_set() and self.child.alive:
            if not self._idle(1.0):
                continue
            rss = self._rss_mb()
            if rss is not None and rss > MAX_RSS_MB:
                log.info("ty warming stops: ty uses %.0f MB", rss)
                break
            path = plan.next_file(self._open_documents())
            if path is None:
                break
            outcome = self._warm(path)
            if outcome == "gone":
                return
            if outcome == "interrupted" and path not in retried:
                retried.add(path)  # tried again once the questions pause
                continue
            plan.done.add(path)
            if outcome == "warmed":
                self.order.append(path)
        if not self._stop.is_set() and self.child.alive:
            elapsed = time.monotonic() - started
            log.info("ty warmed %d workspace files in %.1f s", len(self.order), elapsed)
            self._on_done(len(self.order), elapsed)

    def _warm(self, path: Path) -> str:
        """Ask for `path`'s semantic tokens: `warmed`, `failed`, `interrupted` or `gone`."""
        self._interrupt.clear()
        try:
            request_id, future = self.child.send("textDocument/semanticTokens/full",
                                                 {"textDocument": {"uri": path.as_uri()}})
        except ChildGone:
            return "gone"
        deadline = time.monotonic() + _FILE_TIMEOUT_S
        while True:
            if self._interrupt.is_set() or time.monotonic() > deadline:
                self.child.cancel(request_id)
                return "interrupted" if self._interrupt.is_set() else "failed"
            try:
                future.result(timeout=_POLL_S)
                return "warmed"
            except FutureTimeout:
                continue
            except (LspError, CancelledError):
                # ty cancels an analysis itself when a document changes under it.
                return "interrupted" if self._interrupt.is_set() else "failed"
            except ChildGone:
                return "gone"


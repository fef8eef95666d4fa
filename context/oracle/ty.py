"""The ty engine of the type oracle: ty's language server (`ty server`) as a child process.

One child per workspace, started in the background: until it has answered `initialize` every
question gets None at once (the caller asks Jedi), so nothing waits on a server that is still
starting. If it exits, writes something that is not JSON-RPC, or stops answering (a question
past its deadline is followed by a probe; no answer to that within `hang_s` means hung), it is
ended and started again in the background with a doubling delay (`_BACKOFF_S`), and the log
says so once per outage (`on_event` tells the owner too, for the editor's status).

What ty is told, and how, found by measurement on real code:
- The editor's text of each open document is sent as it is (`update`, `warm`: `didOpen`, then
  incremental `didChange`s) and stays: ty analyses each new text of a file anew, so a question
  about the editor's text is asked there, and one about another text (the line cut at the
  dot, text the model wrote) goes to the file's hidden sibling (`documents`). A receiver (or
  callee) whose chain starts with a name of the editor's text, or with `self`, is answered
  without a new text of the file: the name's type there (hover; typeDefinition or the
  enclosing class) and the rest of the chain in a small probe document (`_from_editor`).
  A document with no editor's text (a benchmark's, a test's) gets the question's text itself.
- The text of a question is sent as typehole has it (an incremental `didChange` to the text
  the question needs: the span that differs from the last text sent), with the
  rest of the cursor's line removed (ty answers nothing for `x.|upper()`) and the brackets
  open at the cursor closed there (`f(x.` -> `f(x.)`; else its parser joins the next line onto
  the dot). A line that assigns to the member (`self.|name = value`) is kept whole on the next
  line: what it defines may be defined nowhere else (the member was refused on 5 of 60 rich
  sites without it). The lines after are kept: members defined below the cursor exist too (on
  120 sites of httpx and rich, recall 0.93/0.88 this way, 0.82/0.85 with the text cut at the
  cursor, 0.72/0.68 without the closers).
- Configuration goes in the `initialize` request and the `workspace/configuration` answer (never
  into the user's files): `python-platform = "all"` (otherwise modules guarded by the host
  platform are unreachable), return types of unannotated functions inferred, the Python
  environment Jedi would use, diagnostics and auto-import completions off (each costs a check
  of the file per change and answers nothing typehole asks).
- ty reads the workspace's Python files itself; typehole's read policy (`walk.may_read`) is
  passed on as ty's `src.exclude`: each path the policy refuses that ty would otherwise read
  (a `.py` symlink to a secret or out of the workspace, an ignored or linked folder), found by
  a walk before each start. A secret that appears later is not covered until the next start.
- Positions are UTF-16 (what ty negotiates), converted with `base.positions`.
- With `warm_files`, once ready the child analyses up to that many workspace files in the
  background (`warming`), asked by path: the editor's documents are untouched, and questions
  come first (warming pauses while they come, and one arriving cancels the file in progress).
- For a receiver it cannot type, ty lists `object`'s dunders: that is "unknown"
  (`known_members`). It marks every completion list incomplete: that flag is ignored.
- Each member comes with ty's detail (its type; a method's signature): a call of a member the
  model writes right after asking for the members is signed from it (`signatures_of_detail`),
  sparing ty an analysis of the new text (each new text of a file costs one: 10-100 ms on
  rich and attrs on 2 busy cores, whatever the edit).
- Types ty displays are rewritten as a Python user would write them (`python_type`):
  `T@Box (invariant)` -> `T`, `(int, /) -> str` -> `Callable[[int], str]`, inferred literal
  types widened to their class.
"""

from __future__ import annotations

import itertools
import linecache
import logging
import os
import re
import shutil
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from typehole.base.affix import common_prefix, common_suffix
from typehole.base.positions import UTF16, offset_at, position_at
from typehole.base.scan import split_top
from typehole.context.holescan import split_param
from typehole.context.walk import SKIP_DIRS, ReadPolicy

from .base import Location, Parameter, Unavailable, close_brackets, known_members
from .documents import (
    PROBE_NAME,
    absolute_imports,
    class_at,
    enclosing_class,
    module_of,
    package_of,
    probe_text,
    sibling_path,
    submodules,
)
from .lsp import ChildGone, LspChild, LspError, LspTimeout
from .warming import IDLE_S, Warmer, WarmPlan, python_files

__all__ = ["TyOracle", "TyState", "find_ty", "python_type", "signatures_of_detail",
           "ty_configuration"]

log = logging.getLogger(__name__)

TyState = Literal["starting", "ready", "down", "missing", "stopped"]
# Called with (state, message) when the child's state changes in a way the user may care about.
EventListener = Callable[[str, str], None]

# What follows the dot of `recv.name = value`, `recv.name: T = value` or `recv.a, other.b = v`
# (comparisons are not assignments): an assignment target.
_ASSIGNED = re.compile(r"[ \t]*[A-Za-z_]\w*[ \t]*(?:[:,][^=\n]*)?(?<![<>!=])=(?!=)")
_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
_STEADY_S = 60.0  # a child that ran this long resets the backoff
_START_TIMEOUT_S = 60.0  # `initialize` on a large workspace, on a busy machine
_OPEN_DOCUMENTS = 16  # documents kept open in the child beyond those the editor has open
# The chain before a `.` or `(` asked about: a name, then `.name` or `()` steps.
_CHAIN_TAIL = re.compile(
    r"(?<![\w.)\]}'\"])([A-Za-z_]\w*)((?:[ \t]*(?:\.[ \t]*[A-Za-z_]\w*|\(\)))*)[ \t]*\Z")
_CHAIN_WINDOW = 400  # characters before the `.` or `(` a chain is looked for in
_ROOTS = 256  # probes remembered per editor text (by where their name ends)
_NOTHING = object()  # ty's answer: it does not know


def find_ty(executable: str | None = None) -> str | None:
    """The ty executable: `executable` if given, else the one the `ty` package installed, else
    `ty` on PATH; None when there is none."""
    if executable:
        return executable if (os.path.isfile(executable) or shutil.which(executable)) else None
    try:
        from ty import find_ty_bin

        return find_ty_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("ty")


def _environment(root: Path) -> str:
    """The Python environment ty resolves third-party imports in: the workspace's virtualenv
    (`.venv`, `venv`), else the active one, else the one typehole runs in (as Jedi does)."""
    for name in (".venv", "venv"):
        if (root / name / "pyvenv.cfg").is_file():
            return str(root / name)
    return os.environ.get("VIRTUAL_ENV") or sys.prefix


def ty_configuration(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """ty's configuration for typehole's questions (the shape of `[tool.ty]`)."""
    return {
        "environment": {"python-platform": "all", "python": _environment(root)},
        "analysis": {"return-type-inference": "always"},
        "src": {"exclude": refused_paths(root, exclude)},
    }


def refused_paths(root: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    """What ty would read and typehole's read policy (`walk.ReadPolicy`, with the user's
    `exclude`) refuses, as ty's exclude patterns (anchored at the root): Python-named files and
    symlinks, and folders (ignored ones too: ty reads .gitignore only in a git repository)."""
    policy = ReadPolicy(root, exclude)
    out: list[str] = []
    for directory, folders, files in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        kept = []
        for name in folders:
            path = os.path.join(directory, name)
            if name in SKIP_DIRS or policy.refusal(path, is_dir=True) is not None:
                out.append(_relative(rel_dir, name))
            else:
                kept.append(name)
        folders[:] = kept
        for name in files:
            path = os.path.join(directory, name)
            if (name.endswith((".py", ".pyi")) or os.path.islink(path)) and (
                    policy.refusal(path) is not None):
                out.append(_relative(rel_dir, name))
    return out


def _relative(rel_dir: str, name: str) -> str:
    rel = name if rel_dir == "." else os.path.join(rel_dir, name)
    # ty's patterns are globs: a name with glob characters in it is escaped.
    return re.sub(r"([*?\[\]\\!])", r"\\\1", rel.replace(os.sep, "/"))


class TyOracle:
    """ty's answers for one workspace `root`: thread-safe, each question bounded by its deadline."""

    name = "ty"

    def __init__(self, root: str | os.PathLike[str], executable: str | None = None,
                 on_event: EventListener | None = None, hang_s: float = 5.0,
                 start: bool = True, exclude: tuple[str, ...] = (), warm_files: int = 0) -> None:
        self.root = Path(root).resolve()
        self.exclude = tuple(exclude)
        self.executable = executable
        self.on_event = on_event
        self.hang_s = hang_s
        self.state: TyState = "starting"
        self.restarts = 0  # children started after the first
        self.counts = {"answered": 0, "unknown": 0, "not_ready": 0, "timeout": 0, "failed": 0,
                       "from_editor": 0}  # from_editor: member answers from the editor's text
        self._child: LspChild | None = None
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._query = threading.Lock()  # one question at a time: its didChange, then its request
        self._documents = threading.Lock()  # `_wanted`: the editor's thread never waits on ty
        self._sent: OrderedDict[str, tuple[int, str]] = OrderedDict()  # uri -> (version, text)
        self._wanted: dict[str, str | None] = {}  # editor documents: uri -> text (None: closed)
        self._editor: set[str] = set()  # documents whose text in `_sent` is the editor's
        # Probes by (document, version, where the name ends): a name's type asked once per text.
        self._roots: dict[tuple[str, int, int], object] = {}
        self._versions = itertools.count(1)
        # The version of each editor's document ty has typed (`warm`): only those answer from
        # the editor's text. On a text not typed yet the hover typed it, for +7-8 ms at the
        # median of a first question (httpx, rich) over asking about the cut text.
        self._warmed: dict[str, int] = {}
        self._probing = False
        self._options: dict[str, Any] = {}  # made before each start (`_run_child`)
        # Warming (`warming`): up to this many workspace files analysed in the background once
        # the child is ready (0: none); `warmed` is set when it has finished for this child.
        self.warm_files = warm_files
        self.warmed = threading.Event()
        self._warmer: Warmer | None = None
        self._asking = 0  # questions in progress (warming waits for none)
        self._activity = threading.Lock()  # `_asking`, `_last_question`
        self._last_question = 0.0  # time.monotonic() of the last question's end
        if start:
            self.start()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the child in the background (and again whenever it stops)."""
        threading.Thread(target=self._supervise, name="typehole-ty", daemon=True).start()

    def close(self) -> None:
        """Stop the child for good."""
        self._stop.set()
        self._stop_warming()
        child = self._child
        if child is not None:
            child.close()
        self._set_state("stopped", "")

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the child to answer questions (batch callers: the
        CLI, benchmarks, tests; the server never waits). False when it does not by then, or
        cannot (ty missing, stopped)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self.state in ("ready", "missing", "stopped"), timeout) and self.ready

    def wait_restarted(self, pid: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a child other than `pid` to answer questions."""
        with self._changed:
            return self._changed.wait_for(
                lambda: (self.ready and self.pid not in (None, pid))
                or self.state in ("missing", "stopped"), timeout) and self.ready

    @property
    def ready(self) -> bool:
        """Whether the child answers questions now."""
        return self.state == "ready"

    @property
    def pid(self) -> int | None:
        """The running child's process id."""
        child = self._child
        return child.pid if child is not None and child.alive else None

    def rss_mb(self) -> float | None:
        """Resident memory of the child in MB (Linux), None when unknown."""
        pid = self.pid
        if pid is None:
            return None
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            return None
        return None

    def restart(self, reason: str) -> None:
        """End the child (it is started again in the background)."""
        child = self._child
        if child is not None:
            log.debug("ending ty (pid %s): %s", child.pid, reason)
            child.kill(reason)

    def _supervise(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            executable = find_ty(self.executable)
            if executable is None:
                self._set_state("missing", "ty is not installed; Jedi answers type questions")
                return
            started = time.monotonic()
            reason = self._run_child(executable)
            if self._stop.is_set():
                return
            if time.monotonic() - started >= _STEADY_S:
                attempt = 0
            delay = _BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)]
            attempt += 1
            self.restarts += 1
            self._set_state("down", f"ty stopped ({reason}); Jedi answers type questions "
                                    f"until it is back (restarting in {delay:g} s)")
            self._stop.wait(delay)

    def _run_child(self, executable: str) -> str:
        """Start one child, serve until it stops; why it stopped."""
        self._options = {
            "configuration": ty_configuration(self.root, self.exclude),
            "diagnosticMode": "off",
            "completions": {"autoImport": False},
        }
        try:
            child = LspChild([executable, "server"], cwd=str(self.root),
                             on_request=self._on_request)
        except OSError as exc:
            return f"it could not start: {exc}"
        try:
            uri = self.root.as_uri()
            child.request("initialize", {
                "processId": os.getpid(),
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": self.root.name}],
                "capabilities": {
                    "general": {"positionEncodings": [UTF16]},
                    "workspace": {"configuration": True},
                    "textDocument": {"hover": {"contentFormat": ["plaintext"]},
                                     "signatureHelp": {"signatureInformation": {
                                         "parameterInformation": {"labelOffsetSupport": True}}}},
                },
                "initializationOptions": {**self._options, "logLevel": "warn"},
            }, _START_TIMEOUT_S)
            child.notify("initialized", {})
        except (ChildGone, LspTimeout, LspError) as exc:
            child.kill()
            return _why(child, exc)
        with self._query:
            self._child = child
            self._sent.clear()
            self._editor.clear()
        if self._stop.is_set():
            child.close()
            return "stopped"
        self._set_state("ready", f"ty {child.pid} answers type questions")
        self._start_warming(child)
        code = child.process.wait()
        self._stop_warming()
        child.kill(f"it exited (status {code})")  # fail whatever still waits on it
        return _why(child, None)

    def _start_warming(self, child: LspChild) -> None:
        """Warm the workspace's files in `child` in the background (`warming`)."""
        self.warmed.clear()
        if self.warm_files <= 0:
            return
        cap = self.warm_files
        warmer = Warmer(child, lambda: WarmPlan(self.root, python_files(self.root, self.exclude),
                                                cap),
                        self._open_documents, self._wait_idle, self.rss_mb, self._warming_done)
        self._warmer = warmer
        warmer.start()

    def _stop_warming(self) -> None:
        warmer, self._warmer = self._warmer, None
        if warmer is not None:
            warmer.stop()

    def _warming_done(self, files: int, seconds: float) -> None:
        self.warmed.set()
        self._tell("warmed", f"ty analysed {files} workspace files in {seconds:.1f} s")

    def _open_documents(self) -> dict[Path, str]:
        """The editor's open documents (path -> text), for warming's order."""
        with self._documents:
            wanted = list(self._wanted.items())
        return {Path(_path_of(uri)): text for uri, text in wanted if text is not None}

    def _wait_idle(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until no question is in progress and none ended in the
        last `IDLE_S`; False when not by then or the oracle stops."""
        end = time.monotonic() + timeout
        while not self._stop.is_set():
            quiet = time.monotonic() - self._last_question
            if self._asking == 0 and quiet >= IDLE_S:
                return True
            wait = max(IDLE_S - quiet, 0.02)
            if time.monotonic() + wait > end:
                return False
            self._stop.wait(wait)
        return False

    def _set_state(self, state: TyState, message: str) -> None:
        """Record a state change; the log and the owner hear of each once (an outage: once,
        however many restarts it takes)."""
        with self._changed:
            before, self.state = self.state, state
            self._changed.notify_all()
        if state == before or state == "stopped":
            return
        if state in ("down", "missing"):
            log.warning("%s", message)
        elif before == "down":
            log.warning("ty is back: %s", message)
        else:
            log.info("%s", message)
        self._tell(state, message)

    def _tell(self, state: str, message: str) -> None:
        if self.on_event is not None:
            try:
                self.on_event(state, message)
            except Exception:  # noqa: BLE001 - the listener's bug must not stop the supervisor
                log.exception("ty event listener failed")

    def _on_request(self, method: str, params: Any) -> Any:
        if method == "workspace/configuration":
            items = params.get("items", []) if isinstance(params, dict) else []
            return [self._options for _ in items]
        return None  # registrations, progress tokens: accepted, nothing to do

    # -- documents -------------------------------------------------------------------------

    def update(self, path: str, text: str | None) -> None:
        """The editor's text of `path` (None: closed), sent before the next question."""
        uri = Path(path).resolve().as_uri()
        with self._documents:
            self._wanted[uri] = text

    def warm(self, path: str, text: str, timeout: float = 60.0) -> bool:
        """Have the child infer the types in `text` (the document `path`) now, so that the
        first question about it is answered warm; for a background thread. False when the
        child could not (not ready, stopped, out of time)."""
        child = self._child
        if not self.ready or child is None:
            return False
        uri = Path(path).resolve().as_uri()
        try:
            with self._query:
                if child is not self._child:
                    return False
                self._send_locked(child, uri, text)
                self._editor.add(uri)
                version = self._sent[uri][0]
            # Outside the lock: questions go on meanwhile. Semantic tokens type every name.
            child.request("textDocument/semanticTokens/full", {"textDocument": {"uri": uri}},
                          timeout)
        except (ChildGone, LspTimeout, LspError):
            return False
        self._warmed[uri] = version
        return True

    def file_changed(self, path: str, deleted: bool = False) -> None:
        """A file changed (or was deleted) on disk: the child reads it again."""
        child = self._child
        if child is None or not self.ready:
            return
        try:
            child.notify("workspace/didChangeWatchedFiles", {
                "changes": [{"uri": Path(path).resolve().as_uri(), "type": 3 if deleted else 2}]})
        except ChildGone:
            pass

    def _flush_locked(self, child: LspChild) -> None:
        """Send the editor's documents as they are now."""
        with self._documents:
            wanted = list(self._wanted.items())
            for uri, text in wanted:
                if text is None:
                    del self._wanted[uri]
        for uri, text in wanted:
            if text is None:
                self._editor.discard(uri)
                if self._sent.pop(uri, None) is not None:
                    child.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            else:
                self._send_locked(child, uri, text)
                self._editor.add(uri)

    def _send_locked(self, child: LspChild, uri: str, text: str) -> None:
        sent = self._sent.get(uri)
        # Versions count over all documents: a text is known by its document and version even
        # after the document was closed and opened again (`_roots`).
        if sent is None:
            version = next(self._versions)
            child.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "python", "version": version, "text": text}})
            self._sent[uri] = (version, text)
        elif sent[1] is not text and sent[1] != text:
            version = next(self._versions)
            child.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [_change(sent[1], text)]})
            self._sent[uri] = (version, text)
        self._sent.move_to_end(uri)
        while len(self._sent) > _OPEN_DOCUMENTS + len(self._wanted):
            old = next(u for u in self._sent if u not in self._wanted and u != uri)
            del self._sent[old]
            self._editor.discard(old)
            child.notify("textDocument/didClose", {"textDocument": {"uri": old}})

    # -- questions -------------------------------------------------------------------------

    def members(self, text: str, offset: int, path: str | None,
                deadline: float | None = None, closers: str | None = None) -> list[str] | None:
        """Members after the `.` that ends at `offset` (text up to it, brackets closed).

        `closers`: the closers of the brackets open at `offset`, when the caller knows them
        (the monitors' lexical state); else they are found by scanning the text. Every
        module's `__getattr__` (typeshed's `ModuleType` declares one) is left out: it would
        make a caller think any name goes. `__slots__` stays: ty lists the attributes a class
        declares there as members, so it is a member like any other (callers that read it as
        "attributes undeclared", for Jedi's answers, must not for ty's).
        """
        items = self.member_items(text, offset, path, deadline, closers)
        return None if items is None else [label for label, _ in items]

    def member_items(self, text: str, offset: int, path: str | None,
                     deadline: float | None = None,
                     closers: str | None = None) -> list[tuple[str, str]] | None:
        """`members` with ty's detail of each (its type, a method's signature: see
        `signatures_of_detail`), in ty's order; None when ty does not know the receiver."""
        closers = close_brackets(text, offset) if closers is None else closers
        if closers is None:
            return None  # in a string or a comment: there is no expression to ask about
        found = self._from_editor("textDocument/completion", text, offset, path, deadline,
                                  closers)
        items = None if found is None else [] if found is _NOTHING else _completion_items(found)
        if items is not None and known_members([label for label, _ in items]) is None and (
                found is not _NOTHING):
            items = None  # the probe did not resolve the type: ask about the text
        if items is None:
            items = self._items(text, offset, path, deadline, closers)
        if items is None:
            return None
        kept = [(label, detail) for label, detail in items
                if not (label == "__getattr__" and "ModuleType." in detail)]
        return kept if known_members([label for label, _ in kept]) is not None else None

    def names(self, text: str, offset: int, path: str | None,
              deadline: float | None = None) -> list[str] | None:
        """Names completable at `offset` (in scope; no auto-import suggestions)."""
        found = self._complete(text, offset, path, deadline, None)
        return found or None

    def signatures(self, text: str, offset: int, path: str | None,
                   deadline: float | None = None,
                   closers: str | None = None) -> list[list[Parameter]] | None:
        """Signatures of the call whose `(` ends just before `offset` (ty's signature help; the
        text up to the `(`, the brackets open there closed with `closers` or those found by
        scanning, the lines after kept).

        None (unknown) when ty has no signature, or when one of them is gradual (`(...)`: ty's
        answer for a callee it cannot type, and for unannotated `*args, **kwargs`): it says
        nothing about which arguments are valid.
        """
        closers = close_brackets(text, offset) if closers is None else closers
        if closers is None:
            return None  # in a string or a comment: there is no call to ask about
        result = self._from_editor("textDocument/signatureHelp", text, offset, path, deadline,
                                   closers)
        if result is _NOTHING:
            return None
        if not (isinstance(result, dict) and result.get("signatures")):
            result = self._ask("textDocument/signatureHelp", text, offset, path, deadline,
                               closers=closers, before_only=True)
        if not isinstance(result, dict):
            return None
        signatures = result.get("signatures")
        if not isinstance(signatures, list) or not signatures:
            return None
        out = []
        for signature in signatures:
            params = _parameters(signature)
            if params is None:
                return None
            out.append(params)
        return out

    def argument_type(self, text: str, offset: int, path: str | None,
                      deadline: float | None = None) -> str | None:
        """The annotation of the parameter the argument being written at `offset` fills
        (ty's signature help: its active parameter)."""
        result = self._ask("textDocument/signatureHelp", text, offset, path, deadline,
                           before_only=True)
        if not isinstance(result, dict) or not isinstance(result.get("signatures"), list):
            return None
        signatures = result["signatures"]
        index = result.get("activeSignature") or 0
        if not isinstance(index, int) or not 0 <= index < len(signatures):
            return None
        signature = signatures[index]
        if not isinstance(signature, dict):
            return None
        active = signature.get("activeParameter", result.get("activeParameter"))
        params = _parameter_labels(signature)
        if not isinstance(active, int) or params is None or not 0 <= active < len(params):
            return None
        _, annotation, _ = split_param(params[active])
        return python_type(annotation, literals=False) if annotation else None

    def type_at(self, text: str, offset: int, path: str | None,
                deadline: float | None = None) -> str | None:
        """The type of the name that ends at `offset` (ty's hover, first block)."""
        result = self._ask("textDocument/hover", text, max(offset - 1, 0), path, deadline,
                           cut=False)
        contents = result.get("contents") if isinstance(result, dict) else None
        value = contents.get("value") if isinstance(contents, dict) else contents
        return _hover_type(value) if isinstance(value, str) else None

    def definition(self, text: str, offset: int, path: str | None,
                   deadline: float | None = None) -> list[Location] | None:
        """Where the name that ends at `offset` is defined."""
        return _locations(self._ask("textDocument/definition", text, max(offset - 1, 0),
                                    path, deadline, cut=False))

    def type_definition(self, text: str, offset: int, path: str | None,
                        deadline: float | None = None) -> list[Location] | None:
        """Where the type of the name that ends at `offset` is defined."""
        return _locations(self._ask("textDocument/typeDefinition", text, max(offset - 1, 0),
                                    path, deadline, cut=False))

    def _complete(self, text: str, offset: int, path: str | None, deadline: float | None,
                  closers: str | None = None) -> list[str] | None:
        items = self._items(text, offset, path, deadline, closers)
        return None if items is None else [label for label, _ in items]

    def _items(self, text: str, offset: int, path: str | None, deadline: float | None,
               closers: str | None = None) -> list[tuple[str, str]] | None:
        """ty's completion items at `offset`: (name, detail), in its order, names unique."""
        return _completion_items(self._ask("textDocument/completion", text, offset, path,
                                           deadline, closers=closers))

    def _ask(self, method: str, text: str, offset: int, path: str | None,
             deadline: float | None, cut: bool = True, closers: str | None = None,
             before_only: bool = False) -> Any:
        """`method` at `offset` of `text` as the document `path`: ty's result (None or empty
        when it knows nothing). Raises `Unavailable` when ty could not answer in time.

        With `cut`, the rest of the line after `offset` is removed and the brackets open at
        `offset` are closed there; else the text is sent whole. `before_only`: the answer
        depends on the text before `offset` and the lines after only (the signature of the
        call whose `(` is before it): the text ty has already is asked when it differs from
        the question's in the rest of the line only (`_same_but_the_line`), sparing ty a new
        analysis of the file (a member question in a call, then the call's signature).
        Where the document has the editor's text, another text goes to its sibling
        (`_target_locked`).
        """
        child = self._ready_child()
        if cut:
            closers = close_brackets(text, offset) if closers is None else closers
            if closers is None:
                return None  # in a string or comment: there is no expression to ask about
            line_end = text.find("\n", offset)
            end = line_end if line_end >= 0 else len(text)
            kept = ""
            if not closers and _ASSIGNED.match(text, offset, end):
                # `self.|name = value` defines `name`, perhaps nowhere else: the line, cut
                # at the dot, is kept whole on the next one.
                kept = "\n" + text[text.rfind("\n", 0, offset) + 1:end]
            text = text[:offset] + closers + kept + text[end:]
        uri = self._uri(path)
        with self._session(child, deadline):
            target, line, character = self._target_locked(child, uri, text, offset,
                                                          cut and before_only)
            result = self._request(child, method, target, line, character, deadline)
        if target != uri and method in ("textDocument/definition",
                                        "textDocument/typeDefinition"):
            result = _renamed(result, target, uri)  # the sibling's lines are the file's
        self.counts["answered" if result else "unknown"] += 1
        return result

    def _uri(self, path: str | None) -> str:
        return Path(path).resolve().as_uri() if path else (self.root / "<unsaved>.py").as_uri()

    def _ready_child(self) -> LspChild:
        """The child, when it answers questions; else `Unavailable`."""
        child = self._child
        if not self.ready or child is None or not child.alive:
            self.counts["not_ready"] += 1
            raise Unavailable(f"ty is {self.state}")
        return child

    @contextmanager
    def _session(self, child: LspChild, deadline: float | None) -> Iterator[None]:
        """Hold the child for one question's requests (the editor's documents sent first);
        what goes wrong with the child meanwhile becomes `Unavailable`."""
        with self._activity:
            self._asking += 1
        warmer = self._warmer
        if warmer is not None:
            warmer.interrupt()  # the question first: the file being warmed is dropped
        try:
            if not self._query.acquire(timeout=_remaining(deadline, 3600.0)):
                self.counts["timeout"] += 1
                raise Unavailable("out of time waiting for another question")
            try:
                if child is not self._child:
                    self.counts["not_ready"] += 1
                    raise Unavailable("ty restarted")
                self._flush_locked(child)
                yield
            except LspTimeout as exc:
                self.counts["timeout"] += 1
                self._probe(child)
                raise Unavailable(str(exc)) from None
            except ChildGone as exc:
                self.counts["failed"] += 1  # the supervisor sees it too, and starts another
                raise Unavailable(f"ty stopped: {exc}") from None
            finally:
                self._query.release()
        finally:
            with self._activity:
                self._asking -= 1
                self._last_question = time.monotonic()

    def _request(self, child: LspChild, method: str, uri: str, line: int, character: int,
                 deadline: float | None) -> Any:
        """`method` at (`line`, `character`) of the document `uri`; None when ty answers with
        an error (a request it cancelled or cannot serve there)."""
        try:
            return child.request(method, {"textDocument": {"uri": uri},
                                          "position": {"line": line, "character": character}},
                                 _remaining(deadline, 3600.0))
        except LspError:
            self.counts["failed"] += 1
            return None

    def _target_locked(self, child: LspChild, uri: str, text: str, offset: int,
                       before_only: bool) -> tuple[str, int, int]:
        """Send `text` where the question goes, and say where: the document and the position.

        The document itself where it has no editor's text (nobody else's to keep), where its
        text is `text`, or (`before_only`) differs in the rest of the line only; else its
        hidden sibling (`documents.sibling_path`), relative imports made absolute but on the
        cursor's line, which keeps the lines where they were.
        """
        line, character = position_at(text, offset, UTF16)
        sent = self._sent.get(uri)
        same = sent is not None and (sent[1] is text or sent[1] == text or (
            before_only and _same_but_the_line(sent[1], text, offset)))
        if same:
            return uri, line, character
        if uri not in self._editor:
            self._send_locked(child, uri, text)
            return uri, line, character
        path = Path(_path_of(uri))
        sibling = sibling_path(path).as_uri()
        line_start = text.rfind("\n", 0, offset) + 1
        line_end = text.find("\n", offset)
        line_end = len(text) if line_end < 0 else line_end
        package = package_of(path)
        head = absolute_imports(text[:line_start], package)
        moved = head + text[line_start:line_end] + absolute_imports(text[line_end:], package)
        kept = self._sent.get(sibling)
        at = len(head) + offset - line_start
        if not (before_only and kept is not None
                and _same_but_the_line(kept[1], moved, at)):
            self._send_locked(child, sibling, moved)
        return sibling, line, character

    def _from_editor(self, method: str, text: str, offset: int, path: str | None,
                     deadline: float | None, closers: str | None) -> Any:
        """`method` (completion after a `.`, signature help after a `(`) at `offset`, answered
        without a new text of the file (see `documents`): where the chain before the `.` or
        `(` (`root.name.other().`) starts with a name written in the editor's text (the same
        text before it), the root's type there (hover; typeDefinition or the enclosing class)
        and the rest of the chain in a small probe document. ty's result; `_NOTHING` when ty
        does not know the root's type there; None when it cannot be asked this way (ask about
        `text`)."""
        end = offset - 1  # the `.` or `(`
        if closers is None or end < 1 or text[end] != (".", "(")[
                method == "textDocument/signatureHelp"]:
            return None  # in a string or a comment; not after a `.` or `(`
        line_start = text.rfind("\n", max(end - _CHAIN_WINDOW, 0), end) + 1
        chain = _CHAIN_TAIL.search(text, line_start, end)
        if chain is None:
            return None
        # Where each name of the chain ends: the type is asked of the last one in the editor's
        # text (an attribute narrowed there, `if a.b is not None: a.b.`, has its narrowed type).
        ends = [chain.end(1)] + [m.end() + chain.start(2) for m in re.finditer(
            r"[A-Za-z_]\w*(?!\w)(?![ \t]*\()", chain.group(2))]
        uri = self._uri(path)
        with self._documents:
            opened = uri in self._wanted
        if not opened and uri not in self._editor:
            return None
        child = self._ready_child()
        with self._session(child, deadline):
            sent = self._sent.get(uri)
            if sent is None or uri not in self._editor or self._warmed.get(uri) != sent[0]:
                return None
            editor = sent[1]
            agree = common_prefix(editor, text, offset)
            line_end = editor.find("\n", agree)
            if closers and editor[editor.rfind("\n", 0, agree) + 1:line_end if line_end >= 0
                                  else len(editor)].rstrip().endswith("."):
                # `f(x.` ends the editor's line: its parser joins the next line onto the dot.
                return None
            if method != "textDocument/completion" and agree >= offset:
                return None  # the call is in the editor's text: ty has it (`_target_locked`)
            # The names that end where the editor's text has them whole.
            whole = [e for e in ends if e <= agree and not (
                editor[e:e + 1].isalnum() or editor[e:e + 1] == "_")]
            probe: tuple[str, str] | object | None
            if whole:
                root_end = max(whole)
                probe = self._probe_of_locked(child, uri, editor, root_end, deadline)
            elif chain.group(1) == "self":
                # `self` the model wrote: the instance of the editor's class it is in.
                root_end = ends[0]
                probe = _self_probe(text, chain.start(1), editor, uri)
            else:
                return None
            rest = re.sub(r"[ \t]+", "", text[root_end:end])
            if not isinstance(probe, tuple):
                return probe  # None: not this way; `_NOTHING`: ty does not know the root
            header, receiver = probe
            question = header + receiver + rest + text[end]
            probe_uri = (self.root / PROBE_NAME).as_uri()
            self._send_locked(child, probe_uri, question + ("\n" if text[end] == "." else ")\n"))
            line, character = position_at(question, len(question), UTF16)
            result = self._request(child, method, probe_uri, line, character, deadline)
        self.counts["from_editor"] += 1
        return result

    def _probe_of_locked(self, child: LspChild, uri: str, editor: str, root_end: int,
                         deadline: float | None) -> tuple[str, str] | object | None:
        """The probe document's start and an expression of the type of the name that ends at
        `root_end` of the editor's text (`documents.probe_text`), remembered for this text;
        `_NOTHING` when ty does not know that type there."""
        version = self._sent[uri][0]
        key = (uri, version, root_end)
        if key in self._roots:
            return self._roots[key]
        if len(self._roots) >= _ROOTS:
            self._roots.clear()
        line, character = position_at(editor, root_end - 1, UTF16)  # its last letter
        hover = self._request(child, "textDocument/hover", uri, line, character, deadline)
        contents = hover.get("contents") if isinstance(hover, dict) else None
        value = contents.get("value") if isinstance(contents, dict) else contents
        found: tuple[str, str] | object | None = None
        if isinstance(value, str):
            display = value.split("\n---", 1)[0].strip()
            if _UNKNOWN.fullmatch(display) or display == "Any":
                found = _NOTHING  # ty does not know it: no new text would say more
            else:
                found = self._probe_for_locked(child, uri, editor, root_end, display, line,
                                               character, deadline)
        self._roots[key] = found
        return found

    def _probe_for_locked(self, child: LspChild, uri: str, editor: str, root_end: int,
                          display: str, line: int, character: int,
                          deadline: float | None) -> tuple[str, str] | None:
        """The probe for the type ty displays for the name that ends at `root_end` of the
        editor's text: a module, `self`'s class, a class, an instance of a class; None when
        the display says none of these (a union, an intersection, a callable, a type
        variable)."""
        module = re.fullmatch(r"<module '([\w.]+)'>", display)
        if module is not None:
            return probe_text(tuple(module.group(1).split(".")), None, False,
                              submodules(editor, module.group(1)))
        if _SELF.fullmatch(display):
            return _self_probe(editor, root_end, editor, uri)
        class_object = re.fullmatch(r"<class '([\w.]+)'>|type\[([\w.]+)\]", display)
        if class_object is None and (
                "@" in display or "&" in display or "~" in display or display.startswith(
                    ("<", "(", "def ", "async def ", "bound method ", "Overload["))
                or len(split_top(display, "|")) > 1):
            return None
        found = self._request(child, "textDocument/typeDefinition", uri, line, character,
                              deadline)
        target = _only_class(found, uri, editor)
        if target is None:
            return None
        owner, name = target
        if class_object is not None and name != (class_object.group(1)
                                                 or class_object.group(2)).rsplit(".", 1)[-1]:
            return None
        return probe_text(owner, name, class_object is None)

    def _probe(self, child: LspChild) -> None:
        """After a question ran out of time: does the child answer at all? If not, restart it."""
        if self._probing:
            return
        self._probing = True

        def probe() -> None:
            try:
                child.request("textDocument/foldingRange", {"textDocument": {
                    "uri": (self.root / "<typehole-probe>.py").as_uri()}}, self.hang_s)
            except LspTimeout:
                if child is self._child and child.alive:
                    self.restart(f"no answer within {self.hang_s:g} s")
            except (ChildGone, LspError):
                pass
            finally:
                self._probing = False

        threading.Thread(target=probe, name="typehole-ty-probe", daemon=True).start()


def _self_probe(text: str, offset: int, editor: str, uri: str) -> tuple[str, str] | None:
    """The probe for `self` at `offset` of `text`: an instance of the module-level class whose
    method that is, when the editor's text of `uri` defines that class."""
    name = enclosing_class(text, offset)
    module = module_of(Path(_path_of(uri)))
    if name is None or module is None or not re.search(
            rf"(?m)^class[ \t]+{name}\b", editor):
        return None
    return probe_text(module, name, True)


def _completion_items(result: Any) -> list[tuple[str, str]] | None:
    """The (name, detail) of each item of ty's completion `result`, in its order, names unique."""
    items = result.get("items") if isinstance(result, dict) else result
    if not isinstance(items, list):
        return None
    out: dict[str, str] = {}
    for item in items:
        label = item.get("label") if isinstance(item, dict) else None
        if isinstance(label, str) and label.isidentifier() and label not in out:
            detail = item.get("detail")
            out[label] = detail if isinstance(detail, str) else ""
    return list(out.items())


def _renamed(result: Any, old: str, new: str) -> Any:
    """`result` with every string `old` (a document's URI) replaced by `new`."""
    if isinstance(result, str):
        return new if result == old else result
    if isinstance(result, list):
        return [_renamed(item, old, new) for item in result]
    if isinstance(result, dict):
        return {key: _renamed(value, old, new) for key, value in result.items()}
    return result


def _only_class(result: Any, uri: str, editor: str) -> tuple[tuple[str, ...], str] | None:
    """The module and name of the class ty's typeDefinition `result` points at, when it points
    at exactly one module-level class (read in the editor's text for `uri`, else from disk)."""
    items = result if isinstance(result, list) else [result] if isinstance(result, dict) else []
    if len(items) != 1 or not isinstance(items[0], dict):
        return None
    target = items[0].get("targetUri") or items[0].get("uri")
    span = items[0].get("targetSelectionRange") or items[0].get("range")
    start = span.get("start") if isinstance(span, dict) else None
    if not isinstance(target, str) or not target.startswith("file://") or not isinstance(
            start, dict) or not isinstance(start.get("line"), int):
        return None
    path = _path_of(target)
    if target == uri:
        lines = editor.split("\n", start["line"] + 1)
        line = lines[start["line"]] if len(lines) > start["line"] else ""
    else:
        linecache.checkcache(path)
        line = linecache.getline(path, start["line"] + 1)
    name = class_at(line, start.get("character", -1))
    module = module_of(Path(path))
    return None if name is None or module is None else (module, name)


def _change(before: str, after: str) -> dict[str, Any]:
    """The incremental `didChange` content change that turns `before` into `after`: the span
    between their common prefix and suffix. A question's text differs from the last one's near
    the cursor only; the whole text of a large file each time cost more to encode and send
    than ty took to answer."""
    head = common_prefix(before, after)
    tail = common_suffix(before, after, min(len(before), len(after)) - head)
    # Never between the two characters of a `\r\n`: positions there have no LSP name.
    if head and before[head - 1] == "\r":
        head -= 1
    if tail and before[len(before) - tail] == "\n" and len(before) - tail > head:
        tail -= 1
    start = position_at(before, head, UTF16)
    end = position_at(before, len(before) - tail, UTF16)
    return {"range": {"start": {"line": start[0], "character": start[1]},
                      "end": {"line": end[0], "character": end[1]}},
            "text": after[head:len(after) - tail]}


def _same_but_the_line(sent: str, text: str, offset: int) -> bool:
    """Whether `sent` is `text` but for the rest of the line after `offset` (both cut there)."""
    line_end = text.find("\n", offset)
    after = text[line_end:] if line_end >= 0 else ""
    rest = len(sent) - len(after)
    return (rest >= offset and common_prefix(sent, text, offset) == offset
            and sent.endswith(after) and sent.find("\n", offset, rest) < 0)


def signatures_of_detail(detail: str) -> list[list[Parameter]] | None:
    """The signatures a member's detail in ty's completion list shows: a method's
    (`bound method Text.append(text: str, style: Style | None = None) -> Text`, `self`
    bound), a function's (`def join(a: str, /, *paths: str) -> str`), a callable's
    (`(int, /) -> str`), an overload's each (`Overload[(...) -> A, (...) -> B]`). None when
    the detail shows none (an attribute, a class: its constructor is not shown) or a gradual
    one (`(...)`: unknown, as in `signatures`). What ty's signature help answers for a call of
    that member, without a new analysis of the file."""
    text = _TYPE_VARIABLE.sub(r"\1", detail.strip())
    if text.startswith("Overload[") and text.endswith("]"):
        pieces = split_top(text[len("Overload["):-1], ",")
    else:
        pieces = [text]
    out: list[list[Parameter]] = []
    for piece in pieces:
        opened = _parameters_open(piece.strip())
        if opened is None:
            return None
        label = piece.strip()[opened:]
        params = _parameters({"label": label, "parameters": [
            {"label": part.strip()} for part in split_top(_inside_parentheses(label), ",")
            if part.strip() not in ("", "/", "*")]})
        if params is None:
            return None
        out.append(params)
    return out or None


def _parameters_open(text: str) -> int | None:
    """Where the `(` of a callable's display is: after a bound method's owner and name (the
    owner may be `Literal["..."]`), a function's `def name[T]`, an overload's type parameters
    (`[T](x: T) -> T`), or at the start (a callable type); None when `text` shows no
    callable."""
    if text.startswith("("):
        return 0
    head = re.match(r"bound method |(?:async )?def |(?=\[)", text)  # `[T](...)`: generic
    if head is None:
        return None
    depth, i = 0, head.end()
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            i = _string_end(text, i)
            continue
        if ch == "(" and depth == 0:
            return i
        depth += {"[": 1, "]": -1}.get(ch, 0)
        i += 1
    return None


def _inside_parentheses(label: str) -> str:
    """The text between a label's first `(` and its matching `)`."""
    depth = 0
    for i, ch in enumerate(label):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if depth == 0:
            return label[1:i]
    return label[1:]


def _remaining(deadline: float | None, default: float) -> float:
    return default if deadline is None else max(deadline - time.monotonic(), 0.0)


def _why(child: LspChild, exc: Exception | None) -> str:
    """Why the child stopped, with the last error it wrote on stderr (not its chatter)."""
    reason = child.gone or (str(exc) if exc else "it stopped")
    last = next((line for line in reversed(child.stderr)
                 if re.search(r"\bERROR\b|panicked|error:", line)), "")
    return f"{reason}: {last.strip()}" if last else reason


def _parameters_start(label: str) -> int:
    """Where a signature label's parameter list starts (after its `(`; type parameters such as
    `[_KT, _VT]` may come first)."""
    depth = 0
    for i, ch in enumerate(label):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "(" and depth == 0:
            return i + 1
    return 0


def _parameter_spans(signature: Any) -> tuple[str, list[tuple[int, int]]] | None:
    """A signature's label and where each parameter is in it (code points)."""
    if not isinstance(signature, dict) or not isinstance(signature.get("label"), str):
        return None
    label: str = signature["label"]
    params = signature.get("parameters") or []
    if not isinstance(params, list):
        return None
    spans: list[tuple[int, int]] = []
    start = _parameters_start(label)
    for param in params:
        part = param.get("label") if isinstance(param, dict) else None
        if isinstance(part, list) and len(part) == 2 and all(isinstance(i, int) for i in part):
            begin, end = (_code_points(label, unit) for unit in part)
        elif isinstance(part, str) and (begin := label.find(part, start)) >= 0:
            end = begin + len(part)
        else:
            return None
        spans.append((begin, end))
        start = end
    return label, spans


def _parameter_labels(signature: Any) -> list[str] | None:
    """Each parameter's text in a signature's label (`name: T = default`)."""
    found = _parameter_spans(signature)
    return None if found is None else [found[0][b:e] for b, e in found[1]]


def _parameters(signature: Any) -> list[Parameter] | None:
    """A signature's parameters with their kinds, read from ty's label, whose `/` and `*`
    markers say which are positional-only and keyword-only."""
    found = _parameter_spans(signature)
    if found is None:
        return None
    label, spans = found
    opened = _parameters_start(label)
    if not spans and label[opened:].startswith("...)"):
        return None  # gradual: any arguments, as far as ty knows
    # The text between parameters: `, /, ` and `, *, ` are markers, not parameters.
    ends = [opened] + [end for _, end in spans]
    gaps = [label[ends[i]:begin] for i, (begin, _) in enumerate(spans)]
    gaps.append(label[ends[-1]:].split(")", 1)[0])
    marks = [{piece.strip() for piece in gap.split(",")} for gap in gaps]
    positional_only = max((i for i, m in enumerate(marks) if "/" in m), default=0)
    keyword_from = min((i for i, m in enumerate(marks) if "*" in m), default=len(spans))
    out: list[Parameter] = []
    for i, (begin, end) in enumerate(spans):
        text = label[begin:end]
        name = re.match(r"\s*(\*{0,2})(\w+)", text)
        if name is None:
            return None
        stars, ident = name.groups()
        if stars == "**":
            kind = "VAR_KEYWORD"
        elif stars == "*":
            kind, keyword_from = "VAR_POSITIONAL", min(keyword_from, i + 1)
        elif i < positional_only:
            kind = "POSITIONAL_ONLY"
        elif i >= keyword_from:
            kind = "KEYWORD_ONLY"
        else:
            kind = "POSITIONAL_OR_KEYWORD"
        out.append(Parameter(ident, kind, "=" in text))
    return out


def _code_points(text: str, units: int) -> int:
    """The code-point offset in `text` of a UTF-16 offset (LSP label offsets count UTF-16)."""
    if text.isascii():
        return units
    return len(text.encode("utf-16-le", "surrogatepass")[: units * 2]
               .decode("utf-16-le", "surrogatepass"))


def _hover_type(value: str) -> str | None:
    """The type in ty's hover text, as a Python user would write it (`python_type`): `int`,
    a class -> `type[Box]`, a module -> its name; None for a function (its signature says more
    than a type) and for what ty does not know."""
    head = value.split("\n---", 1)[0].strip()
    if not head or head.startswith(("def ", "async def ")):
        return None
    if head.startswith("class "):
        m = re.match(r"class\s+(\w+)", head)
        return f"type[{m.group(1)}]" if m else None
    m = re.fullmatch(r"<module '([\w.]+)'>", head)
    if m:
        return m.group(1)
    if "\n" in head:
        return None
    return python_type(head)


# ty's names for a type variable in its scope: `T@Box (invariant)`, `Self@remove`.
_TYPE_VARIABLE = re.compile(
    r"\b([A-Za-z_]\w*)@[\w.]+(?:\s*\((?:in|co|contra|bi)variant\))?")
_TODO = re.compile(r"@Todo(?:\([^()]*\))?")
# ty's display of `self`'s type in a method: `Self@method (invariant)`.
_SELF = re.compile(r"Self@\w+(?:\s*\((?:in|co|contra|bi)variant\))?")
_UNKNOWN = re.compile(r"\bUnknown\b")
_LITERAL = re.compile(r"(?<![\w.])Literal\[")
_CALLABLE = re.compile(r"(?:bound method [\w.\[\], ]+?\.\w+)?\(")


def python_type(display: str, literals: bool = True) -> str | None:
    """ty's display of a type as a Python user would write it; None when it says nothing.

    `T@Box (invariant)` and `Self@remove` -> `T`, `Self` (ty names the scope of a type
    variable and its variance); `<class 'Box'>` -> `type[Box]`; `(int, /) -> str` and a bound
    method's `bound method Box.get(default: int) -> int` -> `Callable[[int], str]` (with
    defaults, `*args` or keywords: `Callable[..., R]`); `Unknown` and `@Todo` inside a type ->
    `Any`, alone -> None. With `literals` (a type ty inferred, not one the code declares), a
    literal type is widened to its class: `Literal["a"]` -> `str`, `Literal[Color.RED]` ->
    `Color`, `LiteralString` -> `str`.
    """
    text = _TYPE_VARIABLE.sub(r"\1", display.strip())
    m = re.fullmatch(r"<class '([\w.\[\], ]+)'>", text)
    if m:
        return f"type[{m.group(1)}]"
    if not text or text.startswith("<") or _UNKNOWN.fullmatch(text) or _TODO.fullmatch(text):
        return None
    if text.startswith(("def ", "async def ", "Overload[")):
        return None  # a function's own display: no type a user writes says as much
    m = _CALLABLE.match(text)
    if m and (callable_ := _callable(text, m.end(), literals)) is not None:
        return callable_
    text = _UNKNOWN.sub("Any", _TODO.sub("Any", text))
    if literals:
        text = _widen_literals(text)
    return text


def _callable(text: str, opened: int, literals: bool) -> str | None:
    """`(params) -> R` from `opened` (just after the `(`) as `Callable[[...], R]`."""
    depth, i = 1, opened
    while i < len(text) and depth:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(text[i], 0)
        i += 1
    arrow = re.match(r"\s*->\s*", text[i:])
    if depth or arrow is None:
        return None
    returns = python_type(text[i + arrow.end():], literals) or "Any"
    params: list[str] = []
    positional_only = "/" in [p.strip() for p in split_top(text[opened:i - 1], ",")]
    for piece in split_top(text[opened:i - 1], ","):
        piece = piece.strip()
        if not piece or piece == "/":
            positional_only = False  # the names after `/` are keyword-capable
            continue
        name, annotation, default = split_param(piece)
        if piece.startswith("*") or default is not None:
            return f"Callable[..., {returns}]"
        if annotation is None and not positional_only:
            annotation = "Any"  # a named parameter without annotation
        params.append(python_type(annotation or name, literals) or "Any")
    return f"Callable[[{', '.join(params)}], {returns}]"


def _widen_literals(text: str) -> str:
    """Each `Literal[...]` as the classes of its values; `LiteralString` as `str`; a union's
    repeated members once."""
    out, start = [], 0
    for m in _LITERAL.finditer(text):
        if m.start() < start:
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            if text[i] in "'\"":
                i = _string_end(text, i)
                continue
            depth += {"[": 1, "]": -1}.get(text[i], 0)
            i += 1
        values = [_literal_class(v.strip()) for v in split_top(text[m.end():i - 1], ",")]
        out.append(text[start:m.start()] + " | ".join(dict.fromkeys(values)))
        start = i
    widened = re.sub(r"\bLiteralString\b", "str", "".join(out) + text[start:])
    members = [p.strip() for p in split_top(widened, "|")]
    return " | ".join(dict.fromkeys(members)) if len(members) > 1 else widened


def _string_end(text: str, i: int) -> int:
    """The index just after the string literal that starts at `i`."""
    quote, j = text[i], i + 1
    while j < len(text) and text[j] != quote:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _literal_class(value: str) -> str:
    """The class of one value of a `Literal[...]`."""
    if value[:1] in "'\"":
        return "str"
    if value[:2].lower() in ("b'", 'b"'):
        return "bytes"
    if value in ("True", "False"):
        return "bool"
    if value == "None":
        return "None"
    if re.fullmatch(r"-?\d[\d_]*", value):
        return "int"
    return value.rsplit(".", 1)[0] if "." in value else value  # an enum member: its class


def _locations(result: Any) -> list[Location] | None:
    items = result if isinstance(result, list) else [result] if isinstance(result, dict) else []
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        uri = item.get("uri") or item.get("targetUri")
        span = item.get("range") or item.get("targetSelectionRange")
        if not isinstance(uri, str) or not uri.startswith("file://") or not isinstance(span, dict):
            continue
        start = span.get("start", {})
        path = _path_of(uri)
        line, character = start.get("line"), start.get("character")
        if not isinstance(line, int) or not isinstance(character, int):
            continue
        column = character
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                source = f.read()
            column = offset_at(source, line, character, UTF16) - offset_at(source, line, 0, UTF16)
        except OSError:
            pass
        out.append(Location(path, line + 1, column))
    return out or None


def _path_of(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path)

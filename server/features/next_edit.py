"""Next-edit suggestions over LSP: `typehole/nextEdit` and the "Apply next edit" code actions.

A document listener keeps each open document's edit history (coalesced, undo-aware, bounded),
and once a Python document is opened or its typing pauses (`PREPARE_DELAY_S`), the analysis
thread analyses its text ahead of the next edit (`prepare`: pyflakes, parso, tree-sitter), so a
request after that edit analyses only what changed.
`typehole/nextEdit` runs the static engines on the analysis thread (Jedi runs there only) and,
when they find nothing and `nextEdit.modelStep` is on, a model on a next-edit prompt (the
model and the prompt format are settings of `nextEdit`); the answer is shaped like
Copilot's inline-edit response. A request whose version is not the document's current one, or
whose document moves while it is answered, gets no edits. Earlier suggestions are kept anchored
to the text they replace, so unrelated typing does not lose them (a follow-on import or
attribute is also dropped once the text no longer demands it). The follow-on engine learns what
the workspace defines from the context engine's index.

A disk listener keeps the workspace's saved and on-disk changes (a bounded `WorkspaceHistory`):
the model prompt shows other files' recent edits as diffs, and a function whose parameters
changed in another file gets its call sites in this document updated.

A suggestion that starts at the cursor on the cursor's line is also an inline completion item
(its `range` covers the text it replaces). That provider runs before every inline completion,
so it only reads the suggestions already computed for the document's current text.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import PurePosixPath
from typing import Any

import attrs
from lsprotocol import types

from typehole.base.caches import EvictingLRU
from typehole.base.positions import lsp_encoding, offset_at, position_at
from typehole.features.next_edit import (
    FORMATS,
    EditHistory,
    IndexLookup,
    Suggestion,
    WorkspaceHistory,
    caller_suggestions,
    holds,
    model_suggestions,
    prepare,
    rank,
    rebase,
    static_suggestions,
)
from typehole.models.errors import ModelError
from typehole.server.app import TypeholeServer, advertise, custom_request
from typehole.server.features import code_actions, documents, inline_completion
from typehole.server.features.documents import document_name, learnable
from typehole.server.features.status import report_model_error

__all__ = ["NEXT_EDIT", "NextEditParams", "Store", "register"]

log = logging.getLogger(__name__)

NEXT_EDIT = "typehole/nextEdit"
MAX_DOCUMENTS = 64
# A text is analysed ahead once typing pauses this long: while the user types, requests first.
PREPARE_DELAY_S = 0.3
_PYTHON = (".py", ".pyi")


@attrs.define
class NextEditParams:
    """The document (with the version the client sees) and the cursor."""

    text_document: types.VersionedTextDocumentIdentifier
    position: types.Position


custom_request(NEXT_EDIT, NextEditParams)


@attrs.define
class Store:
    """Edit histories and the last suggestions of the open documents (least recent dropped),
    and the workspace's changes on disk."""

    offered: dict[str, list[Suggestion]] = attrs.field(factory=dict)
    workspace: WorkspaceHistory = attrs.field(factory=WorkspaceHistory)
    # The pending analysis ahead of each document's next edit (`_prepare`).
    timers: dict[str, asyncio.TimerHandle] = attrs.field(factory=dict)
    # The histories of the documents seen last; dropping one drops its suggestions too.
    histories: EvictingLRU[str, EditHistory] = attrs.field(
        default=attrs.Factory(
            lambda self: EvictingLRU(MAX_DOCUMENTS, lambda uri, _: self.offered.pop(uri, None)),
            takes_self=True,
        )
    )

    def saw_on_disk(self, uri: str, name: str, old: str | None, new: str | None) -> None:
        """Record a file's change on disk (`new` None: it is gone)."""
        if new is None:
            self.workspace.forget(uri)
        else:
            self.workspace.record(uri, name, old, new)

    def see(self, uri: str, text: str | None) -> None:
        """Record a document's new text (None: closed)."""
        if text is None:
            self.histories.pop(uri, None)
            self.offered.pop(uri, None)
            return
        history = self.histories.pop(uri, None) or EditHistory(text)
        self.histories[uri] = history
        event = history.update(text)
        if event is None:
            return
        kept = [
            s
            for s in (rebase(s, event.change, text) for s in self.offered.get(uri, []))
            if s is not None
        ]
        self.offered[uri] = [] if event.undo else kept


_STORES: dict[int, Store] = {}


def store(ls: TypeholeServer) -> Store:
    """The server's next-edit store."""
    return _STORES.setdefault(id(ls), Store())


def register(server: TypeholeServer) -> None:
    """Register `typehole/nextEdit`, the history listener, the code-action and inline providers."""
    advertise(NEXT_EDIT)
    documents.listen(server, _on_document)
    documents.listen_disk(server, _saw_on_disk)
    code_actions.provide(server, _code_actions)
    inline_completion.provide(server, _inline)

    @server.feature(NEXT_EDIT)
    async def next_edit(ls: TypeholeServer, params: NextEditParams) -> dict[str, Any]:
        uri = params.text_document.uri
        found = await suggestions(ls, uri, params.text_document.version, params.position)
        document = ls.workspace.text_documents.get(uri)
        if found is None or document is None:
            return {"edits": []}
        return {"edits": [_wire(ls, document.source, uri, document.version, s) for s in found]}


def _on_document(ls: TypeholeServer, uri: str, text: str | None) -> None:
    """Record the document's text, and analyse it ahead of the next edit once typing pauses."""
    store(ls).see(uri, text)
    timers = store(ls).timers
    if (handle := timers.pop(uri, None)) is not None:
        handle.cancel()
    if text is None or not uri.endswith(_PYTHON):
        return
    document = ls.workspace.text_documents.get(uri)
    version = document.version if document is not None else None
    loop = asyncio.get_running_loop()
    timers[uri] = loop.call_later(PREPARE_DELAY_S, lambda: ls.spawn(_prepare(ls, uri, version)))


async def _prepare(ls: TypeholeServer, uri: str, version: int | None) -> None:
    store(ls).timers.pop(uri, None)
    document = ls.workspace.text_documents.get(uri)
    if document is None or document.version != version:
        return  # closed, or a newer version prepares itself once typing pauses again
    loop = asyncio.get_running_loop()
    try:
        done = loop.run_in_executor(ls.state.analysis, prepare, document.source)
    except RuntimeError:  # the analysis thread is shut down: the server is exiting
        return
    await done


def _saw_on_disk(ls: TypeholeServer, uri: str, old: str | None, new: str | None) -> None:
    store(ls).saw_on_disk(uri, document_name(ls, uri), old, new)


async def suggestions(
    ls: TypeholeServer, uri: str, version: int | None, position: types.Position
) -> list[Suggestion] | None:
    """Ranked suggestions for the document at `version`; None when it is unknown or moved on."""
    document = ls.workspace.text_documents.get(uri)
    if document is None or (version is not None and document.version != version):
        return None
    text, current = document.source, document.version
    history = store(ls).histories.get(uri)
    if history is None or history.text != text:
        return None
    events = list(history.events)
    cursor = offset_at(text, position.line, position.character, _encoding(ls))
    state = ls.state
    project = getattr(state.engine, "project", None)
    path = document.path if learnable(ls, uri) else None
    index = getattr(state.engine, "index", None)
    elsewhere = store(ls).workspace.others(uri)

    def analyse() -> list[Suggestion]:
        lookup = IndexLookup(index, path) if index is not None and path is not None else None
        found = static_suggestions(text, events, path, project, cursor, lookup=lookup)
        callers = [
            s for e in elsewhere[-3:] for s in caller_suggestions(e.event, _module(e.name), text)
        ]
        return found + rank([(0, s) for s in callers if s not in found], cursor)

    loop = asyncio.get_running_loop()
    found = await loop.run_in_executor(state.analysis, analyse)
    model_step = state.settings.next_edit.model_step
    if not found and events and model_step and state.hub is not None and learnable(ls, uri):
        others = [(e.name, e.event) for e in elsewhere]
        found = await _model(ls, text, cursor, events, document_name(ls, uri), others)
    moved = ls.workspace.text_documents.get(uri)
    if moved is None or moved.version != current:
        return None  # computed on text that no longer exists
    kept = [s for s in store(ls).offered.get(uri, []) if holds(text, s)]
    merged = rank([(0, s) for s in found] + [(1, s) for s in kept if s not in found], cursor)
    store(ls).offered[uri] = merged
    return merged


async def _model(
    ls: TypeholeServer, text: str, cursor: int, events: list, name: str, others: list
) -> list[Suggestion]:
    hub = ls.state.hub
    if hub is None:
        return []
    settings = ls.state.settings
    step = settings.next_edit
    try:
        backend, _ = hub.backend(settings, step.model or None)
        return await model_suggestions(backend, text, cursor, events, name, others=others,
                                       timeout_s=step.timeout_ms / 1000,
                                       fmt=FORMATS[step.format])
    except ModelError as exc:
        report_model_error(ls, exc)
        return []


def _module(name: str) -> str:
    """The module name a file is imported by: its stem, or its package's for `__init__.py`."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.parent.name if path.stem == "__init__" else path.stem


def _encoding(ls: TypeholeServer) -> str:
    return lsp_encoding(ls.workspace.position_encoding)


def _range(ls: TypeholeServer, text: str, s: Suggestion) -> types.Range:
    start = position_at(text, s.start, _encoding(ls))
    end = position_at(text, s.end, _encoding(ls))
    return types.Range(types.Position(*start), types.Position(*end))


def _wire(ls: TypeholeServer, text: str, uri: str, version: int, s: Suggestion) -> dict[str, Any]:
    r = _range(ls, text, s)
    return {
        "range": {
            "start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character},
        },
        "newText": s.new_text,
        "textDocument": {"uri": uri, "version": version},
        "reason": s.reason,
        "source": s.source,
        "jump": s.jump,  # location only: newText repeats the range's text
    }


async def _code_actions(
    ls: TypeholeServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    """ "Apply next edit" and, when it is one of several sites, "Apply to all N sites"."""
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(uri)
    if document is None:
        return None
    found = await suggestions(ls, uri, document.version, params.range.start)
    found = [s for s in found or [] if s.path is None and not s.jump]
    if not found:
        return None
    text, top = document.source, found[0]

    def action(title: str, chosen: list[Suggestion]) -> types.CodeAction:
        edits = [types.TextEdit(range=_range(ls, text, s), new_text=s.new_text) for s in chosen]
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.RefactorRewrite,
            edit=types.WorkspaceEdit(changes={uri: edits}),
        )

    actions = [action("Apply next edit", [top])]
    group = [s for s in found if top.group and s.group == top.group]
    if len(group) > 1:
        actions.append(action(f"Apply to all {len(group)} sites", group))
    return actions


async def _inline(
    ls: TypeholeServer, params: types.InlineCompletionParams
) -> list[types.InlineCompletionItem] | None:
    """The next edit as an inline item when it starts at the cursor, on the cursor's line.

    Only suggestions already computed (and kept anchored) for the current text are consulted:
    this runs before every inline completion and must not start any analysis.
    """
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(uri)
    history = store(ls).histories.get(uri)
    offered = store(ls).offered.get(uri)
    if document is None or history is None or not offered or history.text != document.source:
        return None
    text = document.source
    cursor = offset_at(text, params.position.line, params.position.character, _encoding(ls))
    if _range(ls, text, Suggestion(cursor, cursor, "", "", "")).start != params.position:
        return None  # a position past the end of its line
    for s in offered:
        at_cursor = s.path is None and s.start == cursor and "\n" not in text[s.start : s.end] \
            and not s.jump
        if at_cursor and holds(text, s):
            return [
                types.InlineCompletionItem(
                    insert_text=s.new_text,
                    range=_range(ls, text, s),
                    command=types.Command(
                        title="typehole: next edit accepted",
                        command=inline_completion.ACCEPT_COMMAND,
                        arguments=[uri, len(s.new_text), s.source],
                    ),
                )
            ]
    return None

"""Document events: keep the embedded model learning from what the user writes.

pygls keeps the document text itself (incremental sync); this module only re-trains the embedded
model on a document a moment after the user stops typing, and on saved or changed files on disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from typehole.context.walk import is_secret_path, read_text
from typehole.server.app import TypeholeServer
from typehole.server.training import CODE_SUFFIXES, relative_name

log = logging.getLogger(__name__)

# Re-training waits this long after the last change, so typing never competes with it.
RETRAIN_DELAY_S = 0.75

_pending: dict[str, asyncio.TimerHandle] = {}


# Called with (server, uri, text) after each open and change, and (server, uri, None) on close.
DocumentListener = Callable[[TypeholeServer, str, str | None], None]


def listen(server: TypeholeServer, listener: DocumentListener) -> None:
    """Have `listener` see every document's text as it changes (e.g. to keep an edit history)."""
    server.state.document_listeners.append(listener)


def _notify(ls: TypeholeServer, uri: str, text: str | None) -> None:
    for listener in ls.state.document_listeners:
        try:
            listener(ls, uri, text)
        except Exception:  # noqa: BLE001 - a listener's bug must not break document sync
            log.exception("document listener failed")


def register(server: TypeholeServer) -> None:
    """Handlers for open/change/save/close and watched-file changes."""

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TypeholeServer, params: types.DidOpenTextDocumentParams) -> None:
        _notify(ls, params.text_document.uri, params.text_document.text)
        schedule_training(ls, params.text_document.uri, delay=0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TypeholeServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if (document := ls.workspace.text_documents.get(uri)) is not None:
            _notify(ls, uri, document.source)
        # A newer version makes any completion in flight for this document stale.
        task = ls.state.inflight.pop(uri, None)
        if task is not None:
            task.cancel()
        schedule_training(ls, uri, delay=RETRAIN_DELAY_S)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TypeholeServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        _notify(ls, uri, None)
        if (task := ls.state.inflight.pop(uri, None)) is not None:
            task.cancel()
        # The file's saved text (if any) replaces the unsaved edits the model learned.
        path = _path(uri)
        if path is not None and path.is_file():
            ls.spawn(_train_from_disk(ls, path))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: TypeholeServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        open_uris = set(ls.workspace.text_documents)
        for change in params.changes:
            path = _path(change.uri)
            if path is None or change.uri in open_uris or ls.state.local is None:
                continue
            if change.type == types.FileChangeType.Deleted:
                ls.spawn(ls.state.local.aremove(relative_name(ls.state.root, path)))
                ls.spawn(_reindex(ls, path, None))
            else:
                ls.spawn(_train_from_disk(ls, path))


def document_name(ls: TypeholeServer, uri: str) -> str:
    """The workspace-relative name of a document (its file name when outside the workspace)."""
    path = _path(uri)
    if path is None:
        return uri.rsplit("/", 1)[-1]
    return relative_name(ls.state.root, path)


def learnable(ls: TypeholeServer, uri: str) -> bool:
    """Whether the embedded model may learn from (and a model may see) this document."""
    path = _path(uri)
    if path is None:
        return False
    if is_secret_path(path):
        return False
    return path.suffix in CODE_SUFFIXES


def schedule_training(ls: TypeholeServer, uri: str, delay: float) -> None:
    """Train on the document's current text after `delay` seconds, replacing a pending run."""
    if ls.state.local is None or not learnable(ls, uri):
        return
    if (handle := _pending.pop(uri, None)) is not None:
        handle.cancel()
    loop = asyncio.get_running_loop()
    _pending[uri] = loop.call_later(delay, lambda: ls.spawn(_train_document(ls, uri)))


async def _train_document(ls: TypeholeServer, uri: str) -> None:
    _pending.pop(uri, None)
    document = ls.workspace.text_documents.get(uri)
    if document is None or ls.state.local is None:
        return
    await ls.state.local.atrain(document_name(ls, uri), document.source)
    await _reindex(ls, Path(document.path), document.source)


async def _reindex(ls: TypeholeServer, path: Path, text: str | None) -> None:
    """Bring the context index up to date with one file (None: it was deleted)."""
    engine = ls.state.engine
    if engine is None or ls.state.root is None or not _inside(ls.state.root, path):
        return
    if text is None:
        await asyncio.to_thread(engine.remove_file, path)
    else:
        await asyncio.to_thread(engine.update_file, path, text)


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


async def _train_from_disk(ls: TypeholeServer, path: Path) -> None:
    root = ls.state.root
    if ls.state.local is None or root is None or is_secret_path(path):
        return
    if not _inside(root, path) or path.suffix not in CODE_SUFFIXES:
        return  # never read outside the workspace
    text = await asyncio.to_thread(read_text, path)
    if text is not None:
        await ls.state.local.atrain(relative_name(root, path), text)
        await _reindex(ls, path, text)


def _path(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(path) if path else None

"""Document events: keep the context index (and a model that learns the workspace) up to date.

pygls keeps the document text itself (incremental sync); this module re-indexes a document (and
re-trains a model that learns the workspace) a moment after the user stops typing, and saved or
changed files on disk. A document just opened waits as long: its file was learned and indexed
with the workspace, and the first requests in it (the user starts typing) must not compete with
learning and re-indexing its text again. What those requests need whatever the cursor (its
parse) is done at once on the analysis thread. Closing a document whose unsaved text was indexed or
learned has its file's text taken again from disk.
Two kinds of listeners see the texts: document listeners every open document's text as it
changes, disk listeners each file's text on disk before and after a save or a watched-file change
(workspace code files only; secret-looking names are never read).

Whether a document may be shown to a model, and whether a file may be read from disk, is decided
by `context.walk.may_read`; `refusal`, `learnable` and `_on_disk` put it in the server's terms.

A document over `context.max_document_bytes` is *large* (`is_large`): the user is told once per
opening, the listeners forget it (they see None, as for a closed document), and it is neither
learned nor indexed; requests in it analyse a window around the cursor (`base.limits`), and
features that would analyse it whole decline. On close, what the server kept of a document is
dropped: its timers, its parse trees (index, parso) and Jedi Scripts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from cachetools import LRUCache
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import to_fs_path

from typehole.app.training import CODE_SUFFIXES, relative_name
from typehole.base.limits import utf8_over
from typehole.context import jedistate
from typehole.context.walk import may_read, read_text
from typehole.server.app import TypeholeServer

log = logging.getLogger(__name__)

# Re-indexing and re-training wait this long after the last change, so typing never competes.
RETRAIN_DELAY_S = 0.75
# How many files' last seen disk text is kept (the "before" of their next change on disk).
MAX_DISK_TEXTS = 128


# Called with (server, uri, text) after each open and change, and (server, uri, None) on close.
DocumentListener = Callable[[TypeholeServer, str, str | None], None]


def listen(server: TypeholeServer, listener: DocumentListener) -> None:
    """Have `listener` see every document's text as it changes (e.g. to keep an edit history)."""
    server.state.document_listeners.append(listener)


def _notify(ls: TypeholeServer, uri: str, text: str | None) -> None:
    if text is not None and refusal(ls, uri) is not None:
        return  # listeners keep edit histories that reach prompts: a secret's text stays out
    for listener in ls.state.document_listeners:
        try:
            listener(ls, uri, text)
        except Exception:  # noqa: BLE001 - a listener's bug must not break document sync
            log.exception("document listener failed")


# Called with (server, uri, old text, new text) when a file changes on disk: on save, and on a
# watched-file change of a file that is not open. `old` is the text last seen on disk or at open
# (None: never seen); `new` is None when the file was deleted or vanished.
DiskListener = Callable[[TypeholeServer, str, str | None, str | None], None]


def listen_disk(server: TypeholeServer, listener: DiskListener) -> None:
    """Have `listener` see each workspace code file's change on disk (e.g. saved edits)."""
    server.state.disk_listeners.append(listener)


class _DiskTexts:
    """Each file's text as last seen on disk or at open, least recently seen dropped first."""

    def __init__(self, limit: int = MAX_DISK_TEXTS) -> None:
        self.texts: LRUCache[str, str] = LRUCache(maxsize=limit)

    def see(self, uri: str, text: str) -> None:
        """Remember `text` as what `uri` holds on disk."""
        self.texts[uri] = text

    def changed(self, ls: TypeholeServer, uri: str, new: str | None) -> None:
        """Remember `new` for `uri` and tell the disk listeners what it replaced."""
        old = self.texts.pop(uri, None)
        if new is not None:
            self.see(uri, new)
        if old == new:
            return
        for listener in ls.state.disk_listeners:
            try:
                listener(ls, uri, old, new)
            except Exception:  # noqa: BLE001 - a listener's bug must not break document sync
                log.exception("disk listener failed")


def register(server: TypeholeServer) -> None:
    """Handlers for open/change/save/close and watched-file changes."""
    disk = _DiskTexts()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TypeholeServer, params: types.DidOpenTextDocumentParams) -> None:
        uri, text = params.text_document.uri, params.text_document.text
        if _sized(ls, uri, text):
            return  # never followed, learned or indexed whole
        _notify(ls, uri, text)
        if _on_disk(ls, _path(uri)):
            disk.see(uri, text)  # the "before" of its first save
        # What the first request in the file needs whatever the cursor: at once.
        _prepare(ls, uri, text)
        # Not at once: the first request in the file comes next (see the module's docstring).
        schedule_update(ls, uri, delay=RETRAIN_DELAY_S)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TypeholeServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        large = False
        if (document := ls.workspace.text_documents.get(uri)) is not None:
            large = _sized(ls, uri, document.source)
            _notify(ls, uri, None if large else document.source)
        # A newer version makes any completion in flight for this document stale.
        task = ls.state.inflight.pop(uri, None)
        if task is not None:
            task.cancel()
        if large:
            _cancel(ls.state.retrain_timers, uri)
        else:
            schedule_update(ls, uri, delay=RETRAIN_DELAY_S)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TypeholeServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        _notify(ls, uri, None)
        if (task := ls.state.inflight.pop(uri, None)) is not None:
            task.cancel()
        _cancel(ls.state.retrain_timers, uri)
        large = uri in ls.state.large
        ls.state.large.discard(uri)
        path = _path(uri)
        if path is not None:
            ls.spawn(_forget(ls, path, large))
        # The file's saved text (if any) replaces the unsaved edits indexed and learned; when
        # none were, the index and model hold the file's text already (taken with the
        # workspace or on a change on disk).
        learned = uri in ls.state.learned
        ls.state.learned.discard(uri)
        if learned and path is not None and path.is_file():
            ls.spawn(_update_from_disk(ls, path))

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=True))
    def did_save(ls: TypeholeServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        text = params.text
        if text is None and (document := ls.workspace.text_documents.get(uri)) is not None:
            text = document.source  # a client that does not send the text saved what it shows
        if text is not None and is_oversize(ls, text):
            disk.texts.pop(uri, None)  # too large to compare with: its next change is news
        elif text is not None and _on_disk(ls, _path(uri)):
            disk.changed(ls, uri, text)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: TypeholeServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        open_uris = set(ls.workspace.text_documents)
        for change in params.changes:
            path = _path(change.uri)
            if path is None or change.uri in open_uris:
                continue
            deleted = change.type == types.FileChangeType.Deleted
            if _on_disk(ls, path):
                ls.spawn(_read_changed(ls, disk, change.uri, path, deleted))
            if deleted:
                if ls.state.learner is not None:
                    ls.spawn(ls.state.learner.aremove(relative_name(ls.state.root, path)))
                ls.spawn(_reindex(ls, path, None))
            else:
                ls.spawn(_update_from_disk(ls, path))


async def _read_changed(
    ls: TypeholeServer, disk: _DiskTexts, uri: str, path: Path, deleted: bool
) -> None:
    """Read a changed file off the event loop and tell the disk listeners (gone: None)."""
    text = None if deleted else await asyncio.to_thread(read_text, path)
    if text is None and not deleted and await asyncio.to_thread(path.exists):
        return  # there but unreadable (too large, binary): not a change anyone can use
    disk.changed(ls, uri, text)


def is_oversize(ls: TypeholeServer, text: str) -> bool:
    """Whether a text is over `context.max_document_bytes` (never analysed whole)."""
    return utf8_over(text, ls.state.settings.context.max_document_bytes)


def is_large(ls: TypeholeServer, uri: str) -> bool:
    """Whether the open document `uri` is over the size limit (as of its last open or change)."""
    return uri in ls.state.large


def refuse_large(ls: TypeholeServer, uri: str, action: str) -> None:
    """Raise `RequestFailed` for a request that would analyse a large document whole."""
    if is_large(ls, uri):
        name = uri.rsplit("/", 1)[-1]
        limit = ls.state.settings.context.max_document_bytes
        raise RequestFailed(f"typehole: will not {action} {name}: it is larger than {limit:,} "
                            "bytes (context.maxDocumentBytes)")


def _sized(ls: TypeholeServer, uri: str, text: str) -> bool:
    """Note whether the document is large now; tell the user when it has just become so."""
    large = ls.state.large
    if not is_oversize(ls, text):
        large.discard(uri)
        return False
    if uri not in large:
        large.add(uri)
        limit = ls.state.settings.context.max_document_bytes
        size = len(text.encode("utf-8", "surrogatepass"))
        name = uri.rsplit("/", 1)[-1]
        ls.tell(types.MessageType.Info,
                f"typehole: {name} is {size:,} bytes, over context.maxDocumentBytes ({limit:,}): "
                "it is not indexed or learned, and completions in it see only the code around "
                "the cursor")
    return True


def _cancel(timers: dict[str, asyncio.TimerHandle], uri: str) -> None:
    if (handle := timers.pop(uri, None)) is not None:
        handle.cancel()


def _prepare(ls: TypeholeServer, uri: str, text: str) -> None:
    """Have the analysis thread do for a document just opened what its first context request
    needs whatever the cursor (`ContextEngine.prepare`: its parse), queued before that request
    (an editor asks a moment after opening; asked at once, it waits no longer than before)."""
    engine = ls.state.engine
    if engine is None or not learnable(ls, uri) or not ls.state.settings.context.enabled:
        return
    loop = asyncio.get_running_loop()
    try:
        ls.spawn(loop.run_in_executor(ls.state.analysis, engine.prepare, text,
                                      document_name(ls, uri)))
    except RuntimeError:  # the analysis thread is shut down: the server is exiting
        return


async def _forget(ls: TypeholeServer, path: Path, large: bool) -> None:
    """Drop what the server kept of a closed document: its index parse tree, Jedi Scripts and
    parso tree, and for a large one the Jedi state its windows were inferred in (an ordinary
    document's is kept warm for the others). Scope bindings are memoised by content in a small
    LRU cache and leave with it."""
    if ls.state.engine is not None:
        ls.state.engine.forget(path)
    loop = asyncio.get_running_loop()
    try:
        forgotten = loop.run_in_executor(ls.state.analysis, jedistate.forget, str(path), large)
    except RuntimeError:  # the analysis thread is shut down: the server is exiting
        return
    await forgotten


def document_name(ls: TypeholeServer, uri: str) -> str:
    """The workspace-relative name of a document (its file name when outside the workspace)."""
    path = _path(uri)
    if path is None:
        return uri.rsplit("/", 1)[-1]
    return relative_name(ls.state.root, path)


class RequestFailed(JsonRpcException):
    """LSP's RequestFailed: a well-formed request the server will not carry out, and why."""

    CODE = -32803


def refusal(ls: TypeholeServer, uri: str) -> str | None:
    """Why this open document's text must never reach a model; None when it may.

    `may_read` for a document the editor holds: a secret-looking name or link target, and in the
    workspace also an ignored file or a link out of it, is never shown to any model.
    """
    path = _path(uri)
    if path is None:
        return None  # an unsaved buffer (`untitled:`): the user's own typing, no file behind it
    return may_read(path, ls.state.root, ls.state.settings.exclude, opened=True)


def refuse_secret(ls: TypeholeServer, uri: str, action: str) -> None:
    """Raise `RequestFailed` when the document must not reach a model (see `refusal`)."""
    if (reason := refusal(ls, uri)) is not None:
        name = uri.rsplit("/", 1)[-1]
        raise RequestFailed(f"typehole: will not {action} {name}: {reason}; its text is never "
                            "sent to a model")


def learnable(ls: TypeholeServer, uri: str) -> bool:
    """Whether the embedded model may learn from (and a model may see) this document."""
    path = _path(uri)
    return path is not None and path.suffix in CODE_SUFFIXES and refusal(ls, uri) is None


def schedule_update(ls: TypeholeServer, uri: str, delay: float) -> None:
    """Index (and learn, where the model learns the workspace) the document's current text
    after `delay` seconds, replacing a pending run."""
    if not learnable(ls, uri) or is_large(ls, uri):
        return
    _cancel(ls.state.retrain_timers, uri)
    loop = asyncio.get_running_loop()
    update = lambda: ls.spawn(_update_document(ls, uri))  # noqa: E731
    ls.state.retrain_timers[uri] = loop.call_later(delay, update)


async def _update_document(ls: TypeholeServer, uri: str) -> None:
    ls.state.retrain_timers.pop(uri, None)
    document = ls.workspace.text_documents.get(uri)
    if document is None or is_large(ls, uri):
        return
    ls.state.learned.add(uri)  # before: closing meanwhile must still take the file again
    if ls.state.learner is not None:
        await ls.state.learner.atrain(document_name(ls, uri), document.source)
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


def _on_disk(ls: TypeholeServer, path: Path | None) -> bool:
    """Whether typehole may read this file from disk: workspace code that `may_read` allows."""
    if path is None or path.suffix not in CODE_SUFFIXES:
        return False
    return may_read(path, ls.state.root, ls.state.settings.exclude) is None


async def _update_from_disk(ls: TypeholeServer, path: Path) -> None:
    """Index (and learn) a file's text as it is on disk."""
    root = ls.state.root
    if root is None or not _on_disk(ls, path):
        return
    text = await asyncio.to_thread(read_text, path)
    if text is not None:
        if ls.state.learner is not None:
            await ls.state.learner.atrain(relative_name(root, path), text)
        await _reindex(ls, path, text)


def _path(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(path) if path else None

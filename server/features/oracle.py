"""The workspace's type oracle: ty's language server started with typehole, told what it needs.

Once the client is initialized, the workspace's ty child starts in the background (setting
`context.typeOracle`; `jedi` runs none); questions asked before it is ready are answered by Jedi.
The child is sent the text of each open Python document as the editor has it, and told of files
changed on disk; it stops at shutdown. When it goes down, comes back, or is missing, the server
logs it once and sends `typehole/oracle` `{engine, state, message, pid}` (`state`: `ready`,
`down`, `missing`; and `warmed` once the child has analysed the workspace's files in the
background, with `context.tyWarmFiles`), which an editor may show beside the model's status.
"""

from __future__ import annotations

import asyncio
import logging

from pygls.uris import to_fs_path

from typehole.context import oracle
from typehole.server.app import TypeholeServer
from typehole.server.features.documents import listen, listen_disk

log = logging.getLogger(__name__)

ORACLE_STATUS = "typehole/oracle"
_PYTHON = (".py", ".pyi")


def register(server: TypeholeServer) -> None:
    """Keep the ty child's documents in step with the editor's and the disk."""
    listen(server, _on_document)
    listen_disk(server, _on_disk_change)


def start(ls: TypeholeServer) -> None:
    """Start (or, after a settings change, restart or stop) the workspace's ty child."""
    root = ls.state.root
    if root is None:
        return
    settings = ls.state.settings.context
    loop = asyncio.get_running_loop()

    def on_event(state: str, message: str) -> None:  # from the child's supervisor thread
        loop.call_soon_threadsafe(_report, ls, state, message)

    ty = oracle.start_ty(root, settings.type_oracle, settings.ty_path, on_event,
                         tuple(ls.state.settings.exclude), settings.ty_warm_files)
    if ty is not None:
        # Documents opened before the child: their text as the editor has it.
        for uri, document in list(ls.workspace.text_documents.items()):
            if uri.endswith(_PYTHON) and document.path:
                ty.update(document.path, document.source)


async def stop(ls: TypeholeServer) -> None:
    """Stop the workspace's ty child (off the event loop: it is given a moment to exit)."""
    if ls.state.root is not None:
        await asyncio.to_thread(oracle.stop, ls.state.root)


def _report(ls: TypeholeServer, state: str, message: str) -> None:
    ty = oracle.ty_for(str(ls.state.root)) if ls.state.root is not None else None
    ls.protocol.notify(ORACLE_STATUS, {"engine": "ty", "state": state, "message": message,
                                       "pid": ty.pid if ty is not None else None})


def _on_document(ls: TypeholeServer, uri: str, text: str | None) -> None:
    path = to_fs_path(uri) if uri.endswith(_PYTHON) else None
    ty = oracle.ty_for(path) if path else None
    if ty is not None and path:
        ty.update(path, text)


def _on_disk_change(ls: TypeholeServer, uri: str, old: str | None, new: str | None) -> None:
    path = to_fs_path(uri) if uri.endswith(_PYTHON) else None
    ty = oracle.ty_for(path) if path else None
    if ty is not None and path:
        ty.file_changed(path, deleted=new is None)

"""Start-up and shut-down over LSP: the workspace's lifecycle (`app.workspace`, `app.training`)
with progress bars, messages to the user and the open documents' live text."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from typehole.app import training
from typehole.app.hub import ModelHub
from typehole.app.workspace import load_settings, open_engine
from typehole.server.app import TypeholeServer
from typehole.server.features import oracle
from typehole.server.features.configuration import activate
from typehole.server.features.documents import is_large, learnable
from typehole.server.features.status import announce_status, report_health
from typehole.server.progress import work_done

log = logging.getLogger(__name__)


def register(server: TypeholeServer) -> None:
    """Handlers for initialize, initialized and shutdown."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: TypeholeServer, params: types.InitializeParams) -> None:
        state = ls.state
        state.root = _root(params)
        state.init_options = params.initialization_options
        settings, problems = load_settings(state.root, params.initialization_options)
        state.settings = settings
        state.pending_problems = problems  # shown once the client is initialized
        if len(params.workspace_folders or ()) > 1:
            state.pending_problems.append(_first_folder_only(params.workspace_folders or ()))
        state.hub = ModelHub(state.analysis, on_health=lambda event: report_health(ls, event))
        state.pending_problems.extend(activate(ls))
        if settings.completion.completion_fallback:
            from typehole.server.features import completion_fallback

            completion_fallback.register(ls)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TypeholeServer, params: types.InitializedParams) -> None:
        from typehole.server.features.configuration import pull_configuration

        announce_status(ls)  # the model's real state: `loading` while a local model loads
        for problem in ls.state.pending_problems:
            ls.tell(types.MessageType.Warning, f"typehole: {problem}")
        await pull_configuration(ls)
        oracle.start(ls)
        if ls.state.root is not None:
            ls.spawn(learn_workspace(ls, ls.state.root))

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: TypeholeServer, params: None) -> None:
        for task in [*ls.state.inflight.values(), *ls.state.background]:
            task.cancel()
        await oracle.stop(ls)
        if ls.state.hub is not None:
            await ls.state.hub.aclose()
        if ls.state.engine is not None:
            engine, ls.state.engine = ls.state.engine, None
            await asyncio.get_running_loop().run_in_executor(ls.state.analysis, engine.close)
        ls.state.analysis.shutdown(wait=False, cancel_futures=True)


def _first_folder_only(folders: Sequence[types.WorkspaceFolder]) -> str:
    """What a multi-root workspace gets: the first folder is the workspace (indexed, learned,
    typed); documents of the others are completed without its index."""
    others = ", ".join(folder.name for folder in folders[1:])
    message = (f"only the first workspace folder ({folders[0].name}) is indexed; the others "
               f"({others}) get completions without context from an index")
    log.warning("typehole: %s", message)
    return message


def _root(params: types.InitializeParams) -> Path | None:
    uri = None
    if params.workspace_folders:
        uri = params.workspace_folders[0].uri
    elif params.root_uri:
        uri = params.root_uri
    elif params.root_path:
        return Path(params.root_path)
    if uri is None:
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


async def learn_model(ls: TypeholeServer, root: Path) -> None:
    """Train the configured model on the workspace with a progress bar, if it learns files."""
    learner = ls.state.learner
    if learner is None:
        return
    async with work_done(ls, "typehole: learning the workspace") as report:
        await training.learn_workspace(learner, root, ls.state.settings,
                                       lambda: open_documents(ls), report)


async def learn_workspace(ls: TypeholeServer, root: Path) -> None:
    """Train the model if it learns the workspace, then index the workspace for context, each
    with a progress bar."""
    state = ls.state
    await learn_model(ls, root)
    if not state.settings.context.enabled:
        _keep_heap()
        return
    async with work_done(ls, "typehole: indexing the workspace") as report:
        stopping = threading.Event()
        try:
            engine = await asyncio.to_thread(
                open_engine, root, state.settings, report, stopping.is_set
            )
        except BaseException:
            stopping.set()  # the build thread stops at its next file
            raise
    for warning in engine.warnings:
        ls.tell(types.MessageType.Warning, f"typehole: {warning}", once=True)
    state.engine = engine
    for problem in activate(ls):
        ls.tell(types.MessageType.Error, f"typehole: {problem}")
    # Documents opened while indexing hold newer text than the disk.
    for uri, document in list(ls.workspace.text_documents.items()):
        if learnable(ls, uri) and not is_large(ls, uri):
            await asyncio.to_thread(engine.update_file, document.path, document.source)
    _keep_heap()


def _keep_heap() -> None:
    """Leave what start-up built out of the garbage collector's passes.

    The model's counts and the index's caches live as long as the server; the collector's full
    passes walked all of them (0.4-0.9 s each on Django's sdist with the n-gram model, a pause
    for whatever request they fell on). Frozen, its passes walk only what came after.
    """
    gc.freeze()


def open_documents(ls: TypeholeServer) -> list[tuple[str, str | None]]:
    """The documents the client has open: the name the model knows each by and its live text
    (None for one the model must not learn: not learnable, or too large)."""
    from typehole.server.features.documents import document_name

    return [
        (document_name(ls, uri),
         document.source if learnable(ls, uri) and not is_large(ls, uri) else None)
        for uri, document in list(ls.workspace.text_documents.items())
    ]

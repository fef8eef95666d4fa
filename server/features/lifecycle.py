"""Start-up and shut-down: read settings, build the models, learn the workspace with progress."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from typehole.app.hub import ModelHub
from typehole.app.settings import environment_source, read_pyproject, resolve
from typehole.app.training import train_workspace
from typehole.context.engine import ContextEngine
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


def load_settings(root: Path | None, init_options: object) -> tuple:
    """Settings from pyproject.toml and initializationOptions, with every problem found."""
    sources: list[tuple[str, object]] = [*environment_source()]
    problems: list[str] = []
    if root is not None:
        table, found = read_pyproject(root)
        problems.extend(found)
        sources.append(("pyproject.toml [tool.typehole]", table))
    if isinstance(init_options, dict) and "typehole" in init_options:
        init_options = init_options["typehole"]
    sources.append(("initializationOptions", init_options))
    settings, found = resolve(sources)
    return settings, problems + found


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
        skip = set(open_document_names(ls))
        await train_workspace(learner, root, ls.state.settings, skip, report)
    # Open documents: their live text, which may be newer than the disk.
    from typehole.server.features.documents import document_name

    for uri, document in list(ls.workspace.text_documents.items()):
        if learnable(ls, uri) and not is_large(ls, uri):
            await learner.atrain(document_name(ls, uri), document.source)


async def learn_workspace(ls: TypeholeServer, root: Path) -> None:
    """Train the model if it learns the workspace, then index the workspace for context, each
    with a progress bar."""
    state = ls.state
    await learn_model(ls, root)
    if not state.settings.context.enabled:
        return
    async with work_done(ls, "typehole: indexing the workspace") as report:
        engine = await asyncio.to_thread(
            ContextEngine, root, state.settings.context.cache_dir, state.settings.exclude,
            cache_max_mb=state.settings.context.cache_max_mb,
        )
        stopping = threading.Event()
        try:
            stats = await asyncio.to_thread(engine.build, report, stopping.is_set)
        except BaseException:
            stopping.set()  # the build thread stops at its next file
            raise
        log.info("index: %s", stats)
    for warning in engine.warnings:
        ls.tell(types.MessageType.Warning, f"typehole: {warning}", once=True)
    state.engine = engine
    for problem in activate(ls):
        ls.tell(types.MessageType.Error, f"typehole: {problem}")
    # Documents opened while indexing hold newer text than the disk.
    for uri, document in list(ls.workspace.text_documents.items()):
        if learnable(ls, uri) and not is_large(ls, uri):
            await asyncio.to_thread(engine.update_file, document.path, document.source)


def open_document_names(ls: TypeholeServer) -> list[str]:
    """Names (as the model knows them) of the documents the client has open."""
    from typehole.server.features.documents import document_name

    return [document_name(ls, uri) for uri in ls.workspace.text_documents]

"""Start-up and shut-down: read settings, build the models, learn the workspace with progress."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path
from typehole.models.local import LocalModel
from typehole.server.app import TypeholeServer
from typehole.server.backends import ModelHub
from typehole.server.config import read_pyproject, resolve
from typehole.server.features.configuration import activate
from typehole.server.features.status import report_health, send_status
from typehole.server.training import train_workspace

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
        state.local = LocalModel(order=settings.local.order)
        state.hub = ModelHub(
            state.local, state.analysis, on_health=lambda event: report_health(ls, event)
        )
        state.pending_problems.extend(activate(ls))
        if settings.completion.completion_fallback:
            from typehole.server.features import completion_fallback

            completion_fallback.register(ls)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TypeholeServer, params: types.InitializedParams) -> None:
        from typehole.server.features.configuration import pull_configuration

        send_status(ls, ls.state.settings.model, "ok", ls.state.model_description)
        for problem in getattr(ls.state, "pending_problems", []):
            ls.tell(types.MessageType.Warning, f"typehole: {problem}")
        await pull_configuration(ls)
        if ls.state.root is not None:
            ls.spawn(_train_with_progress(ls, ls.state.root))

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: TypeholeServer, params: None) -> None:
        for task in [*ls.state.inflight.values(), *ls.state.background]:
            task.cancel()
        if ls.state.hub is not None:
            await ls.state.hub.aclose()
        ls.state.analysis.shutdown(wait=False, cancel_futures=True)


def load_settings(root: Path | None, init_options: object) -> tuple:
    """Settings from pyproject.toml and initializationOptions, with every problem found."""
    sources: list[tuple[str, object]] = []
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


async def _train_with_progress(ls: TypeholeServer, root: Path) -> None:
    """Train the embedded model on the workspace, reporting `$/progress` when the client can."""
    state = ls.state
    assert state.local is not None
    token: str | None = None
    window = ls.client_capabilities.window
    if window is not None and window.work_done_progress:
        token = f"typehole-train-{uuid.uuid4().hex[:8]}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception as exc:  # a client may refuse; training goes on without a bar
            log.info("no progress bar: %s", exc)
            token = None
    if token:
        ls.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(title="typehole: learning the workspace", percentage=0),
        )
    last = [-1]

    def progress(done: int, total: int) -> None:
        percent = int(done * 100 / total) if total else 100
        if token and percent != last[0]:
            last[0] = percent
            ls.work_done_progress.report(
                token,
                types.WorkDoneProgressReport(message=f"{done}/{total} files", percentage=percent),
            )

    skip = set(open_document_names(ls))
    try:
        count = await train_workspace(state.local, root, state.settings, skip, progress)
    except asyncio.CancelledError:
        if token:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message="cancelled"))
        raise
    if token:
        ls.work_done_progress.end(
            token, types.WorkDoneProgressEnd(message=f"{count} files learned")
        )


def open_document_names(ls: TypeholeServer) -> list[str]:
    """Names (as the model knows them) of the documents the client has open."""
    from typehole.server.features.documents import document_name

    return [document_name(ls, uri) for uri in ls.workspace.text_documents]

"""Live settings: `workspace/configuration` (section `typehole`) and `didChangeConfiguration`."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from typehole.app.settings import Settings, resolve, to_raw
from typehole.app.workspace import SettingsChange, load_settings, open_pipeline
from typehole.server.app import TypeholeServer

log = logging.getLogger(__name__)

SECTION = "typehole"


def register(server: TypeholeServer) -> None:
    """Handler for `workspace/didChangeConfiguration`."""

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: TypeholeServer, params: types.DidChangeConfigurationParams
    ) -> None:
        pushed = params.settings
        if isinstance(pushed, dict) and SECTION in pushed:
            apply(ls, pushed[SECTION], "workspace/didChangeConfiguration")
        else:
            # Most clients send null and expect the server to pull (LSP 3.17 pull model).
            await pull_configuration(ls)


async def pull_configuration(ls: TypeholeServer) -> None:
    """Ask the client for section `typehole` when it supports `workspace/configuration`."""
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
    except Exception as exc:  # the client answered with an error: keep what we have
        log.warning("workspace/configuration failed: %s", exc)
        return
    if result and result[0] is not None:
        apply(ls, result[0], "workspace/configuration")


def apply(ls: TypeholeServer, raw: Any, source: str) -> Settings:
    """Re-resolve settings with `raw` as the newest source and report problems to the user."""
    base, _ = load_settings(ls.state.root, ls.state.init_options)
    settings, problems = resolve([("current", to_raw(base)), (source, raw)])
    for problem in problems:
        ls.tell(types.MessageType.Warning, f"typehole: {problem}")
    change = SettingsChange.between(ls.state.settings, settings)
    ls.state.settings = settings
    if change.pipeline:
        for problem in activate(ls):
            ls.tell(types.MessageType.Error, f"typehole: {problem}")
        if change.oracle:
            from typehole.server.features.oracle import start

            start(ls)
        if change.learn and ls.state.root is not None:
            from typehole.server.features.lifecycle import learn_model

            ls.spawn(learn_model(ls, ls.state.root))
    elif ls.state.pipeline is not None:
        ls.state.pipeline.cache.clear()
    return settings


def activate(ls: TypeholeServer) -> list[str]:
    """Point the pipeline at the configured model; on a bad model, the built-in default and why."""
    state = ls.state
    if state.hub is None:
        return []
    state.pipeline, state.model_description, problems = open_pipeline(
        state.hub, state.settings, state.engine
    )
    return problems

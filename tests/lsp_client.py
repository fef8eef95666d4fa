"""Helpers to drive a real `typehole serve` over stdio with pygls' LanguageClient.

pytest-lsp's client forwards the server's stderr, so a chatty server cannot block on a full pipe.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER_COMMAND = [sys.executable, "-m", "typehole", "--log-level", "warning", "serve"]


async def start_client(
    root: Path | None,
    init_options: Any = None,
    configuration: dict[str, Any] | None = None,
    capabilities: types.ClientCapabilities | None = None,
) -> tuple[LanguageClient, types.InitializeResult]:
    """Start the server, initialize it on `root` and send `initialized`."""
    client: LanguageClient = await ClientServerConfig(server_command=SERVER_COMMAND).start()
    if configuration is not None:
        client.set_configuration(configuration)
    caps = capabilities or types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(configuration=configuration is not None),
        window=types.WindowClientCapabilities(work_done_progress=True),
    )
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri() if root else None,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]
            if root
            else None,
            initialization_options=init_options,
        )
    )
    return client, result


def open_document(
    client: LanguageClient, path: Path, text: str | None = None, version: int = 1
) -> str:
    """Send didOpen for `path` (its disk text unless `text` is given); returns the URI."""
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="python",
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


async def inline(client: LanguageClient, uri: str, line: int, character: int) -> Any:
    """One `textDocument/inlineCompletion` request."""
    return await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
    )


async def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    """Poll `predicate` until true (for notifications that arrive asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


async def wait_learned(client: LanguageClient, timeout: float = 120.0) -> None:
    """Wait until the server has indexed the workspace (the indexing bar ended); a model that
    learns the workspace learns it before indexing starts."""

    def indexed() -> bool:
        for reports in client.progress_reports.values():
            titles = [r.title for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
            ended = any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)
            if ended and any("indexing" in title for title in titles):
                return True
        return False

    await wait_for(indexed, timeout=timeout)


def copy_project(source: Path, dest: Path) -> Path:
    """A writable copy of a real project for one test."""
    shutil.copytree(source, dest)
    return dest

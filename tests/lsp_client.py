"""Helpers to drive a real `typehole serve` over stdio with pygls' LanguageClient.

pytest-lsp's client forwards the server's stderr, so a chatty server cannot block on a full pipe.
Waits never depend on how fast the machine is: they poll for the condition they need, and their
timeouts are hang guards, generous enough for a loaded two-core machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER_COMMAND = [sys.executable, "-m", "typehole", "--log-level", "warning", "serve"]
# A hang guard, not an expectation: a condition that holds is usually met in well under a second.
HANG_GUARD_S = 120.0
NEXT_EDIT = "typehole/nextEdit"

T = TypeVar("T")


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


@contextlib.asynccontextmanager
async def session(
    root: Path | None,
    init_options: Any = None,
    configuration: dict[str, Any] | None = None,
    capabilities: types.ClientCapabilities | None = None,
) -> AsyncIterator[tuple[LanguageClient, types.InitializeResult]]:
    """A started and initialized server on `root`, shut down when the block ends."""
    client, result = await start_client(root, init_options, configuration, capabilities)
    try:
        yield client, result
    finally:
        await client.shutdown_session()


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


def close_document(client: LanguageClient, uri: str) -> None:
    """Send didClose for `uri`."""
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


def change_line(client: LanguageClient, uri: str, version: int, line: int, start: int, end: int,
                text: str) -> None:
    """Send didChange replacing columns `start`-`end` of `line` with `text`, as `version`."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(line, start), types.Position(line, end)), text=text)],
    ))


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


async def code_actions(
    client: LanguageClient,
    uri: str,
    line: int,
    character: int = 4,
    diagnostics: tuple[types.Diagnostic, ...] | list[types.Diagnostic] = (),
) -> list[types.CodeAction | types.Command] | None:
    """One `textDocument/codeAction` request for an empty range at (`line`, `character`)."""
    position = types.Position(line, character)
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(position, position),
            context=types.CodeActionContext(diagnostics=list(diagnostics)),
        )
    )


async def next_edit(
    client: LanguageClient, uri: str, version: int, line: int = 0, character: int = 0
) -> dict[str, Any]:
    """One `typehole/nextEdit` request; the answer as plain dicts and lists."""
    answer = await client.protocol.send_request_async(
        NEXT_EDIT,
        {
            "textDocument": {"uri": uri, "version": version},
            "position": {"line": line, "character": character},
        },
    )
    return plain(answer)


def plain(value: Any) -> Any:
    """pygls hands back custom-request results as namedtuple-like objects or dicts: make them
    plain dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def wait_for(predicate: Callable[[], bool], timeout: float = HANG_GUARD_S) -> None:
    """Poll `predicate` until true (for notifications that arrive asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met in {timeout} s")
        await asyncio.sleep(0.05)


async def eventually(
    ask: Callable[[], Awaitable[T]], until: Callable[[T], bool], timeout: float = HANG_GUARD_S
) -> T:
    """Ask again until the answer satisfies `until` (for work the server does in the
    background); returns that answer, or fails with the last one after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        answer = await ask()
        if until(answer):
            return answer
        if loop.time() > deadline:
            raise AssertionError(f"still {answer!r} after {timeout} s")
        await asyncio.sleep(0.1)


async def wait_learned(client: LanguageClient, timeout: float = 300.0) -> None:
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

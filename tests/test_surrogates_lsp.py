"""Lone surrogates (`"\\ud800"` in the JSON) from a real client: text is indexed with U+FFFD in
their place, positions still match, and a URI holding one gets InvalidParams, not an internal
error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lsp_client import inline, start_client, wait_learned
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from typehole.server import wire_text

LONE = "\ud800"


def test_scrub_keeps_positions_and_leaves_uris() -> None:
    obj = {"text": f"a{LONE}b\udfff", "uri": f"file:///x{LONE}.py", "args": [f"{LONE}", 1]}
    cleaned = wire_text.scrub(obj)
    assert cleaned["text"] == "a\ufffdb\ufffd"  # one code point and one UTF-16 unit each
    assert cleaned["args"] == ["\ufffd", 1]
    assert wire_text.bad_uri({"textDocument": cleaned}) == f"file:///x{LONE}.py"
    assert wire_text.bad_uri({"textDocument": {"uri": "file:///x.py"}, "list": [{}]}) is None


def _open(client: Any, uri: str, text: str) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))


def _change(client: Any, uri: str, version: int, change: Any) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[change]))


async def _context(client: Any, uri: str, line: int, character: int) -> Any:
    return await client.protocol.send_request_async("typehole/context", {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    """Ask `check()` until it says yes (for states only a request can observe)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.2)


async def test_lone_surrogates_degrade_cleanly(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'w'\n")
    (tmp_path / "odd.py").write_text('LABEL = "x"\n')
    user = "from odd import surrogate_marker\n\n\ndef run(width):\n    return surrogate_marker("
    (tmp_path / "user.py").write_text(user)
    client, _ = await start_client(tmp_path)
    try:
        await wait_learned(client)
        odd = (tmp_path / "odd.py").as_uri()
        _open(client, odd, f'LABEL = "{LONE}"\n')
        for version in (2, 3):  # each edit re-indexes the document, surrogate and all
            _change(client, odd, version, types.TextDocumentContentChangeWholeDocument(
                text=f'LABEL = "{LONE}"\n\n\ndef surrogate_marker(width: int) -> int:\n'
                     f"    return width * {version}\n"))
        # An edit after the surrogate lands where the client means it.
        _change(client, odd, 4, types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(0, 11), types.Position(0, 11)), text="  # label"))

        # The re-index went through: another file's context shows the edited text, with U+FFFD
        # where the surrogate was and the comment after it.
        uri = (tmp_path / "user.py").as_uri()
        _open(client, uri, user)
        line, character = 4, len(user.rsplit("\n", 1)[1])

        async def indexed() -> bool:
            found = await _context(client, uri, line, character)
            return found is not None and any(
                'LABEL = "\ufffd"  # label' in s.text and "return width * 3" in s.text
                for s in found.snippets)

        await _until(indexed)
        found = await _context(client, odd, 0, 10)
        assert found is not None and found.hole is not None
        errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
        assert errors == []

        # A URI holding a lone surrogate: InvalidParams for requests, notifications dropped.
        bad = f"file://{tmp_path}/bad{LONE}.py"
        _open(client, bad, "x = 1\n")
        for request in (inline(client, bad, 0, 0), _context(client, bad, 0, 0)):
            with pytest.raises(JsonRpcException) as error:
                await request
            assert error.value.code == -32602 and "lone surrogate" in error.value.message
        # In a command's arguments it is only text (cleaned): no document has that name.
        assert await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="typehole.docstring", arguments=[bad, 0])) is None
        assert await _context(client, uri, line, character) is not None  # still serving
    finally:
        await client.shutdown_session()

"""End to end: a real LSP client drives `typehole serve` over stdio on a real project (httpx)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fakeserver import SSE, Reply, oai, serve, sse
from lsp_client import (
    copy_project,
    inline,
    open_document,
    start_client,
    wait_for,
    wait_learned,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from realproject import real_project

# A line of httpx/_client.py that the tests cut to leave a hole at the end.
HOLE_LINE = "        self._timeout = Timeout(timeout)"


@pytest.fixture(scope="module")
def httpx_source() -> Path:
    return real_project("httpx", "0.28.1")


@pytest.fixture
def project(httpx_source: Path, tmp_path: Path) -> Path:
    return copy_project(httpx_source, tmp_path / "httpx")


def _cut_hole(path: Path, cut_after: str = "self._timeout = ") -> tuple[str, int, int]:
    """Cut HOLE_LINE after `cut_after`; returns the new text and the 0-based cursor position."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    index = lines.index(HOLE_LINE)
    keep = HOLE_LINE[: HOLE_LINE.index(cut_after) + len(cut_after)]
    lines[index] = keep
    return "\n".join(lines), index, len(keep)


async def test_capabilities(project: Path) -> None:
    client, result = await start_client(project)
    try:
        caps = result.capabilities
        assert caps.inline_completion_provider is not None
        assert caps.completion_provider is None  # the fallback is off by default
        sync = caps.text_document_sync
        assert sync.change == types.TextDocumentSyncKind.Incremental
    finally:
        await client.shutdown_session()

    client, result = await start_client(
        project, init_options={"completion": {"completionFallback": True}}
    )
    try:
        assert result.capabilities.completion_provider is not None
    finally:
        await client.shutdown_session()


async def test_inline_completion_matches_cli(project: Path) -> None:
    """The editor path and `typehole complete` run the same pipeline and agree on a real file."""
    target = project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    target.write_text(text, encoding="utf-8")

    # Give analysis as long as the CLI gives it, so a cold Jedi cannot make the two differ.
    patient = {"context": {"deadlineMs": 5000}, "monitors": {"triggerTimeoutMs": 5000}}
    client, _ = await start_client(project, init_options=patient)
    try:
        await wait_learned(client)
        uri = open_document(client, target)
        result = await inline(client, uri, line, character)
    finally:
        await client.shutdown_session()

    assert result is not None and len(result.items) == 1
    item = result.items[0]
    assert item.insert_text.strip(), "an empty suggestion should have been dropped"
    assert "\n" not in item.insert_text  # rest-of-line completion
    assert item.range.start == item.range.end == types.Position(line, character)
    assert item.command is not None and item.command.command == "typehole.accepted"

    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "typehole",
            "complete",
            f"{target}:{line + 1}:{character + 1}",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    payload = json.loads(cli.stdout)
    assert [i["text"] for i in payload["items"]] == [item.insert_text]
    assert payload["items"][0]["range"]["start"] == {"line": line, "character": character}


async def test_incremental_edits_with_astral_characters(project: Path) -> None:
    """Edits addressed in UTF-16 units after an emoji land where the client meant them."""
    target = project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    client, _ = await start_client(project)
    try:
        await wait_learned(client)  # the hole's completion comes from what the model learned
        uri = open_document(client, target, text)
        # Prefix the hole line's indentation with a comment holding an emoji (2 UTF-16 units)
        # on the line above, then type at the hole through UTF-16 positions.
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line, 0), end=types.Position(line, 0)
                        ),
                        text="        # 😀 é\n",
                    ),
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line, 13), end=types.Position(line, 14)
                        ),
                        text="🎉",
                    ),
                ],
            )
        )
        # The emoji replaced "é": the line is now "        # 😀 🎉" (15 UTF-16 units).
        end_of_comment = await inline(client, uri, line, 15)
        past_end = await inline(client, uri, line, 16)
        hole = await inline(client, uri, line + 1, character)
    finally:
        await client.shutdown_session()
    # Nothing is offered inside a comment, nor past the end of a line; the hole still completes.
    assert end_of_comment is None
    assert past_end is None
    assert hole is not None and hole.items[0].insert_text.strip()


async def test_bad_input_keeps_the_server_up(project: Path, tmp_path: Path) -> None:
    target = project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    broken = tmp_path / "broken.py"
    binary = tmp_path / "blob.py"
    client, _ = await start_client(project)
    try:
        uri = open_document(client, target, text)
        # An unknown document, a closed one, a position far past the end: empty results.
        assert await inline(client, (tmp_path / "nope.py").as_uri(), 0, 0) is None
        assert await inline(client, uri, 10**6, 10**6) is None
        # Syntax errors everywhere and NUL bytes still answer, empty or not, without an error.
        broken_uri = open_document(client, broken, "def (:\n  ]]] class\n\tx = (((\n")
        await inline(client, broken_uri, 2, 8)
        empty_uri = open_document(client, tmp_path / "empty.py", "")
        await inline(client, empty_uri, 0, 0)
        blob_uri = open_document(client, binary, "x = 1\x00\x00\x01\n" * 100)
        await inline(client, blob_uri, 1, 0)
        big_uri = open_document(client, tmp_path / "big.py", "value = 1\n" * 500_000)
        await inline(client, big_uri, 250_000, 0)
        # Malformed params get an InvalidParams error, not a crash (sent raw through the
        # alias method, since the client's own types would refuse to send them).
        with pytest.raises(JsonRpcException) as error:
            await client.protocol.send_request_async(
                "typehole/inlineCompletion", {"textDocument": 3}
            )
        assert error.value.code == -32602
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=broken_uri)
            )
        )
        assert await inline(client, broken_uri, 0, 0) is None
        # The alias method works too, and the server is still answering.
        alias = await client.protocol.send_request_async(
            "typehole/inlineCompletion",
            {
                "textDocument": {"uri": uri},
                "position": {"line": line, "character": character},
                "context": {"triggerKind": 2},
            },
        )
        assert alias is not None
        result = await inline(client, uri, line, character)
        assert result is not None and result.items[0].insert_text.strip()
    finally:
        await client.shutdown_session()


def _model_settings(url: str, **completion: object) -> dict:
    return {
        "model": "remote",
        "models": {"remote": {"backend": "openai", "url": url + "/v1", "model": "starcoder2-3b"}},
        "completion": {"maxTokens": 2048, **completion},
    }


async def test_cancel_request_closes_the_model_request(project: Path) -> None:
    """$/cancelRequest on a request waiting for a slow model server answers RequestCancelled,
    hangs up on the model server, and the next request works."""
    target = project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)

    def slow(path: str, body: dict) -> Reply:  # streams one token every 50 ms, forever
        return Reply(
            headers=SSE, forever=f"data: {json.dumps(oai('x'))}\n\n".encode(), delay_s=0.05
        )

    async with serve(slow) as (model_server, url):
        client, _ = await start_client(project, init_options=_model_settings(url))
        try:
            uri = open_document(client, target, text)
            params = types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line, character),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
            pending = asyncio.ensure_future(
                client.protocol.send_request_async(
                    types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="slow-1"
                )
            )
            await wait_for(lambda: model_server.pieces_sent >= 2)
            client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="slow-1"))
            with pytest.raises(JsonRpcException) as error:
                await asyncio.wait_for(pending, 10)
            assert error.value.code == -32800  # RequestCancelled
            await asyncio.wait_for(model_server.hung_up.wait(), 5)
            sent = model_server.requests[0][1]
            assert sent["stream"] is True and "<fim_prefix>" in sent["prompt"]

            # On the n-gram model, which learns the workspace once chosen, the request is
            # answered (asked again until it has learnt, with a hang guard).
            client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings={"typehole": {"model": "ngram"}})
            )

            async def answered() -> types.InlineCompletionList:
                while True:
                    result = await inline(client, uri, line, character)
                    if result is not None and result.items and result.items[0].insert_text.strip():
                        return result
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(answered(), 120)
        finally:
            await client.shutdown_session()


async def test_model_server_down_answers_fast_and_says_so(project: Path) -> None:
    target = project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    async with serve(lambda path, body: Reply()) as (_, url):
        pass  # the port is closed again: nothing listens there now
    client, _ = await start_client(project, init_options=_model_settings(url))
    statuses: list[dict] = []
    client.feature("typehole/status")(lambda params: statuses.append(params))
    try:
        uri = open_document(client, target, text)
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await inline(client, uri, line, character) is None
        assert await inline(client, uri, line, character) is None  # backing off: no new attempt
        assert loop.time() - started < 5
        await wait_for(lambda: any(getattr(s, "state", None) == "down" for s in statuses))
        await wait_for(lambda: any("down" in m.message for m in client.messages))
    finally:
        await client.shutdown_session()


async def test_configuration_errors_are_reported(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text()
        + "\n[tool.typehole.completion]\nmaxTokens = 'many'\n"
    )
    client, _ = await start_client(
        project,
        init_options={"completion": {"bogusKey": 1}},
        configuration={"typehole": {"completion": {"enabled": False}}},
    )
    target = project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    try:
        await wait_for(lambda: len(client.messages) >= 2)
        messages = " | ".join(m.message for m in client.messages)
        assert "typehole.completion.maxTokens" in messages
        assert "typehole.completion.bogusKey" in messages
        uri = open_document(client, target, text)
        # `enabled: false` from workspace/configuration applies on top of the rest.
        assert await inline(client, uri, line, character) is None
        # Turning it back on through didChangeConfiguration takes effect at once.
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"typehole": {"completion": {"enabled": True}}}
            )
        )
        await asyncio.sleep(0.2)
        result = await inline(client, uri, line, character)
        assert result is not None
    finally:
        await client.shutdown_session()


async def test_newer_request_supersedes_older(project: Path) -> None:
    """A second request on the same document cancels the first, which answers empty at once
    and hangs up on the model server; the second gets its answer."""
    target = project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    calls: list[int] = []

    def first_slow(path: str, body: dict) -> Reply:
        calls.append(1)
        if len(calls) == 1:  # the first request streams forever, slowly
            return Reply(
                headers=SSE, forever=f"data: {json.dumps(oai('x'))}\n\n".encode(), delay_s=0.05
            )
        return Reply(headers=SSE, body=sse(oai("Timeout(timeout)\n", "stop")))

    async with serve(first_slow) as (model_server, url):
        client, _ = await start_client(project, init_options=_model_settings(url))
        try:
            uri = open_document(client, target, text)
            first = asyncio.ensure_future(inline(client, uri, line, character))
            await wait_for(lambda: model_server.pieces_sent >= 1)
            second = await inline(client, uri, line, character)
            assert (await asyncio.wait_for(first, 10)) is None
            assert second is not None and second.items[0].insert_text == "Timeout(timeout)"
            await asyncio.wait_for(model_server.hung_up.wait(), 5)
        finally:
            await client.shutdown_session()

"""End to end: a real LSP client drives `typehole serve` over stdio on a real project (httpx)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fakeserver import SSE, Reply, model_settings, oai, serve, sse
from lsp_client import (
    HANG_GUARD_S,
    close_document,
    eventually,
    inline,
    open_document,
    session,
    wait_for,
    wait_learned,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from typehole.features.completion.gate import WINDOW_AFTER, WINDOW_BEFORE

# A line of httpx/_client.py that the tests cut to leave a hole at the end.
HOLE_LINE = "        self._timeout = Timeout(timeout)"


def _cut_hole(path: Path, cut_after: str = "self._timeout = ") -> tuple[str, int, int]:
    """Cut HOLE_LINE after `cut_after`; returns the new text and the 0-based cursor position."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    index = lines.index(HOLE_LINE)
    keep = HOLE_LINE[: HOLE_LINE.index(cut_after) + len(cut_after)]
    lines[index] = keep
    return "\n".join(lines), index, len(keep)


async def test_capabilities(workspace: Path) -> None:
    async with session(workspace) as (client, result):
        caps = result.capabilities
        assert caps.inline_completion_provider is not None
        assert caps.completion_provider is None  # the fallback is off by default
        sync = caps.text_document_sync
        assert sync.change == types.TextDocumentSyncKind.Incremental

    async with session(
        workspace, init_options={"completion": {"completionFallback": True}}
    ) as (client, result):
        assert result.capabilities.completion_provider is not None


async def test_inline_completion_matches_cli(httpx_project: Path) -> None:
    """The editor path and `typehole complete` run the same pipeline and agree on a real file."""
    target = httpx_project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    target.write_text(text, encoding="utf-8")

    # Give analysis as long as the CLI gives it, so a cold Jedi cannot make the two differ.
    patient = {"context": {"deadlineMs": 5000}, "monitors": {"triggerTimeoutMs": 5000}}
    async with session(httpx_project, init_options=patient) as (client, _):
        await wait_learned(client)
        uri = open_document(client, target)
        result = await inline(client, uri, line, character)

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


async def test_incremental_edits_with_astral_characters(httpx_project: Path) -> None:
    """Edits addressed in UTF-16 units after an emoji land where the client meant them."""
    target = httpx_project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    async with session(httpx_project) as (client, _):
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
    # Nothing is offered inside a comment, nor past the end of a line; the hole still completes.
    assert end_of_comment is None
    assert past_end is None
    assert hole is not None and hole.items[0].insert_text.strip()


async def test_bad_input_keeps_the_server_up(httpx_project: Path, tmp_path: Path) -> None:
    target = httpx_project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    broken = tmp_path / "broken.py"
    binary = tmp_path / "blob.py"
    async with session(httpx_project) as (client, _):
        await wait_learned(client)  # the last answer comes from what the n-gram model learned
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
        # A document several times larger than any analysis window, the cursor in its middle:
        # what matters is that it is bigger than the windows, not how many megabytes it is.
        line_text = "value = 1\n"
        lines = 4 * (WINDOW_BEFORE + WINDOW_AFTER) // len(line_text)
        big_uri = open_document(client, tmp_path / "big.py", line_text * lines)
        await inline(client, big_uri, lines // 2, 0)
        # Malformed params get an InvalidParams error, not a crash (sent raw through the
        # alias method, since the client's own types would refuse to send them).
        with pytest.raises(JsonRpcException) as error:
            await client.protocol.send_request_async(
                "typehole/inlineCompletion", {"textDocument": 3}
            )
        assert error.value.code == -32602
        close_document(client, broken_uri)
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


async def test_cancel_request_closes_the_model_request(httpx_project: Path) -> None:
    """$/cancelRequest on a request waiting for a slow model server answers RequestCancelled,
    hangs up on the model server, and the next request works."""
    target = httpx_project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)

    def slow(path: str, body: dict) -> Reply:  # streams one token every 50 ms, forever
        return Reply(
            headers=SSE, forever=f"data: {json.dumps(oai('x'))}\n\n".encode(), delay_s=0.05
        )

    async with serve(slow) as (model_server, url):
        settings = model_settings(url, maxTokens=2048)
        async with session(httpx_project, init_options=settings) as (client, _):
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
                await asyncio.wait_for(pending, HANG_GUARD_S)
            assert error.value.code == -32800  # RequestCancelled
            await asyncio.wait_for(model_server.hung_up.wait(), HANG_GUARD_S)
            sent = model_server.requests[0][1]
            assert sent["stream"] is True and "<fim_prefix>" in sent["prompt"]

            # On the n-gram model, which learns the workspace once chosen, the request is
            # answered (asked again until it has learnt, with a hang guard).
            client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings={"typehole": {"model": "ngram"}})
            )
            result = await eventually(
                lambda: inline(client, uri, line, character),
                lambda r: r is not None and bool(r.items) and bool(r.items[0].insert_text.strip()),
            )
            assert result.items[0].insert_text.strip()


async def test_model_server_down_answers_and_says_so(httpx_project: Path) -> None:
    target = httpx_project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    async with serve(lambda path, body: Reply()) as (_, url):
        pass  # the port is closed again: nothing listens there now
    settings = model_settings(url, maxTokens=2048)
    async with session(httpx_project, init_options=settings) as (client, _):
        statuses: list[dict] = []
        client.feature("typehole/status")(lambda params: statuses.append(params))
        uri = open_document(client, target, text)
        assert await inline(client, uri, line, character) is None
        assert await inline(client, uri, line, character) is None  # backing off: no new attempt
        await wait_for(lambda: any(getattr(s, "state", None) == "down" for s in statuses))
        await wait_for(lambda: any("down" in m.message for m in client.messages))


async def test_configuration_errors_are_reported(httpx_project: Path) -> None:
    (httpx_project / "pyproject.toml").write_text(
        (httpx_project / "pyproject.toml").read_text()
        + "\n[tool.typehole.completion]\nmaxTokens = 'many'\n"
    )
    target = httpx_project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    async with session(
        httpx_project,
        init_options={"completion": {"bogusKey": 1}},
        configuration={"typehole": {"completion": {"enabled": False}}},
    ) as (client, _):
        await wait_for(lambda: len(client.messages) >= 2)
        messages = " | ".join(m.message for m in client.messages)
        assert "typehole.completion.maxTokens" in messages
        assert "typehole.completion.bogusKey" in messages
        # The n-gram model answers from what it learned: the workspace, learned at start-up
        # (a document just opened is learned only once typing pauses).
        await wait_learned(client)
        uri = open_document(client, target, text)
        # `enabled: false` from workspace/configuration applies on top of the rest.
        assert await inline(client, uri, line, character) is None
        # Turning it back on through didChangeConfiguration takes effect at once: before the
        # request sent after it.
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"typehole": {"completion": {"enabled": True}}}
            )
        )
        result = await inline(client, uri, line, character)
        assert result is not None and result.items[0].insert_text.strip()


async def test_newer_request_supersedes_older(httpx_project: Path) -> None:
    """A second request on the same document cancels the first, which answers empty at once
    and hangs up on the model server; the second gets its answer."""
    target = httpx_project / "httpx" / "_client.py"
    text, line, character = _cut_hole(target)
    calls: list[int] = []

    def first_slow(path: str, body: dict) -> Reply:
        calls.append(1)
        if len(calls) == 1:  # the first request streams forever, slowly, writing nothing (SSE
            # comments): a stream of text would end on its own once it is seen to loop
            return Reply(headers=SSE, forever=b": still thinking\n\n", delay_s=0.05)
        return Reply(headers=SSE, body=sse(oai("Timeout(timeout)\n", "stop")))

    async with serve(first_slow) as (model_server, url):
        settings = model_settings(url, maxTokens=2048)
        async with session(httpx_project, init_options=settings) as (client, _):
            uri = open_document(client, target, text)
            first = asyncio.ensure_future(inline(client, uri, line, character))
            await wait_for(lambda: model_server.pieces_sent >= 1)
            second = await inline(client, uri, line, character)
            assert (await asyncio.wait_for(first, HANG_GUARD_S)) is None
            assert second is not None and second.items[0].insert_text == "Timeout(timeout)"
            await asyncio.wait_for(model_server.hung_up.wait(), HANG_GUARD_S)

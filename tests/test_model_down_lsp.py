"""While the model server is down: one status notification and at most one message per outage,
however many completions fail meanwhile; after it recovers, the next outage is told again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from fakeserver import SSE, Reply, oai, serve, sse
from lsp_client import inline, open_document, start_client, wait_for
from lsprotocol import types

SOURCE = ("def area(width, height):\n    return width * height\n\n\n"
          "def volume(width, height, depth):\n    return width * ")


def _settings(url: str) -> dict:
    return {"model": "remote",
            "models": {"remote": {"backend": "openai", "url": url + "/v1",
                                  "model": "starcoder2-3b"}},
            "completion": {"cache": False}}  # every completion asks the model


def _model(path: str, body: dict) -> Reply:
    return Reply(headers=SSE, body=sse(oai("height * depth\n", "stop")))


async def test_one_message_per_outage(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'w'\n")
    path = tmp_path / "shapes.py"
    path.write_text(SOURCE)
    async with serve(_model) as (_, url):
        pass  # the port is closed again: nothing listens there now
    port = urlsplit(url).port
    assert port is not None
    client, _ = await start_client(tmp_path, init_options=_settings(url))
    statuses: list[str] = []
    client.feature("typehole/status")(lambda params: statuses.append(params.state))

    def popups() -> list[str]:
        return [m.message for m in client.messages
                if m.type in (types.MessageType.Warning, types.MessageType.Error)]

    line, character = SOURCE.count("\n"), len(SOURCE.rsplit("\n", 1)[1])
    try:
        uri = open_document(client, path, SOURCE)
        for _ in range(30):
            assert await inline(client, uri, line, character) is None
        await wait_for(lambda: "down" in statuses)
        assert statuses.count("down") == 1
        assert len(popups()) == 1 and "down" in popups()[0], popups()

        # Back up: a request gets through once the backoff lets one try, and says so.
        async with serve(_model, port) as (model_server, _):
            while statuses[-1] != "ok":
                await inline(client, uri, line, character)
                await asyncio.sleep(0.1)
            assert model_server.requests
        assert len(popups()) == 1  # recovering is news for the status bar only
        # Down again: a new outage, told once more.
        while statuses.count("down") < 2:
            assert await inline(client, uri, line, character) is None
            await asyncio.sleep(0.05)
        for _ in range(10):
            assert await inline(client, uri, line, character) is None
        assert len(popups()) == 2, popups()
    finally:
        await client.shutdown_session()

"""A tiny loopback HTTP/1.1 server that speaks model servers' exact wire formats (SSE, NDJSON).

Used where the real server cannot run here (Ollama, vLLM, hosted APIs) and where a test needs a
server that is slow, hangs or breaks on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """What the fake server answers: a status, headers, and body pieces (sent chunked)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: list[bytes] = field(default_factory=list)
    delay_s: float = 0.0  # between pieces
    hang: bool = False  # accept the request and never answer
    truncate: bool = False  # drop the connection before the end of the body
    forever: bytes | None = None  # after `body`, repeat this piece until the client hangs up
    unanswered: bool = False  # read the request, then close the connection without answering


Handler = Callable[[str, dict[str, Any]], Reply]


class FakeServer:
    """A tiny asyncio HTTP/1.1 server: records requests, replays `Reply`s, sees hang-ups."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.hangups = 0
        self.hung_up = asyncio.Event()
        self.pieces_sent = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, port: int = 0) -> str:
        """Listen on loopback (`port` 0: any free port); returns the base URL."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        _method, path, _ = lines[0].split(" ", 2)
        headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        body = json.loads(raw) if raw else {}
        self.requests.append((path, body, headers))
        reply = self.handler(path, body)
        if reply.hang:
            await asyncio.sleep(3600)
        if reply.unanswered:
            writer.transport.abort()
            return False
        hdrs = {"transfer-encoding": "chunked", **reply.headers}
        writer.write(f"HTTP/1.1 {reply.status} X\r\n".encode())
        writer.write("".join(f"{k}: {v}\r\n" for k, v in hdrs.items()).encode() + b"\r\n")
        try:
            for piece in reply.body:
                await self._piece(writer, piece, reply.delay_s)
            if reply.truncate:
                writer.transport.abort()
                return False
            while reply.forever is not None:
                await self._piece(writer, reply.forever, reply.delay_s or 0.02)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            self.hangups += 1
            self.hung_up.set()
            return False
        return True

    async def _piece(self, writer: asyncio.StreamWriter, piece: bytes, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        await writer.drain()
        self.pieces_sent += 1
        if writer.transport.is_closing():
            raise ConnectionResetError


def sse(*events: dict[str, Any], done: bool = True) -> list[bytes]:
    out = [f"data: {json.dumps(e)}\n\n".encode() for e in events]
    return out + ([b"data: [DONE]\n\n"] if done else [])


def ndjson(*lines: dict[str, Any]) -> list[bytes]:
    return [(json.dumps(x) + "\n").encode() for x in lines]


SSE = {"content-type": "text/event-stream"}
NDJSON = {"content-type": "application/x-ndjson"}


def oai(text: str, finish: str | None = None, logprobs: list[float] | None = None) -> dict:
    choice: dict[str, Any] = {"text": text, "index": 0, "finish_reason": finish, "logprobs": None}
    if logprobs is not None:
        choice["logprobs"] = {
            "tokens": [text],
            "token_logprobs": logprobs,
            "top_logprobs": [{}],
            "text_offset": [0],
        }
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1,
        "model": "m",
        "choices": [choice],
    }


def model_settings(url: str, **completion: Any) -> dict[str, Any]:
    """typehole settings that make an OpenAI-compatible server at `url` the model ("remote");
    `completion` adds `completion.*` settings."""
    settings: dict[str, Any] = {
        "model": "remote",
        "models": {"remote": {"backend": "openai", "url": url + "/v1", "model": "starcoder2-3b"}},
    }
    if completion:
        settings["completion"] = completion
    return settings


@contextlib.asynccontextmanager
async def serve(handler: Handler, port: int = 0) -> AsyncIterator[tuple[FakeServer, str]]:
    server = FakeServer(handler)
    url = await server.start(port)
    try:
        yield server, url
    finally:
        await server.close()

"""A raw-bytes client for `typehole serve` over stdio: write any bytes, read the server's frames.

For framing tests, which must send what a real LSP client refuses to. The server's answers are
read with a strict parser of its own; its requests to the client are answered with null, and its
stderr is drained so that a chatty server cannot block on a full pipe.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

SERVER_COMMAND = [sys.executable, "-m", "typehole", "--log-level", "error", "serve"]
HANG_GUARD_S = 120.0  # only a guard against a hang: every wait ends on an event first


def frame(message: dict[str, Any] | bytes, header: str = "Content-Length: {n}\r\n\r\n") -> bytes:
    """`message` (JSON-encoded unless bytes) behind a header; `{n}` is the body's length."""
    body = message if isinstance(message, bytes) else json.dumps(message).encode("utf-8")
    return header.format(n=len(body)).encode("ascii") + body


def request(msg_id: int | str, method: str, params: Any = None) -> dict[str, Any]:
    """A JSON-RPC request object."""
    return {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}


class RawServer:
    """One `typehole serve` process; `answers` maps each answered id to its responses."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.answers: dict[Any, list[dict[str, Any]]] = {}
        self.unaddressed: list[dict[str, Any]] = []  # error responses with a null id
        self.stderr = bytearray()
        self._changed = asyncio.Event()
        self._tasks = [
            asyncio.ensure_future(self._read_stdout()),
            asyncio.ensure_future(self._read_stderr()),
        ]

    @classmethod
    async def start(cls, *args: str) -> RawServer:
        """Start `typehole serve` with extra `args`."""
        process = await asyncio.create_subprocess_exec(
            *SERVER_COMMAND,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def initialize(self) -> None:
        """The `initialize` handshake, without a workspace."""
        await self.send(frame(request("init", "initialize", {"processId": None,
                                                             "rootUri": None,
                                                             "capabilities": {}})))
        await self.answer("init")
        await self.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))

    async def send(self, data: bytes) -> None:
        """Write raw bytes (a server that has exited just does not read them)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(data)
            await self.process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass

    async def answer(self, msg_id: Any) -> dict[str, Any]:
        """The (first) response to `msg_id`, once it comes; AssertionError if the server exits
        first."""
        async with asyncio.timeout(HANG_GUARD_S):
            while msg_id not in self.answers:
                if self._tasks[0].done():
                    raise AssertionError(
                        f"server exited ({self.process.returncode}) without answering {msg_id!r}"
                        f"; stderr tail: {bytes(self.stderr[-2000:])!r}"
                    )
                self._changed.clear()
                await self._changed.wait()
        return self.answers[msg_id][0]

    async def exit_code(self) -> int:
        """Wait for the process to exit by itself."""
        async with asyncio.timeout(HANG_GUARD_S):
            return await self.process.wait()

    async def close(self) -> int:
        """Close stdin (the end of the stream) and wait for the process."""
        assert self.process.stdin is not None
        if not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            async with asyncio.timeout(HANG_GUARD_S):
                code = await self.process.wait()
                await asyncio.gather(*self._tasks)
        except TimeoutError:
            self.process.kill()
            raise
        return code

    async def _read_stdout(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                length = None
                while (line := await stdout.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("ascii").partition(":")
                    if name == "Content-Length":
                        length = int(value)
                if not line:
                    return
                assert length is not None, "the server sent a header block without a length"
                await self._received(json.loads(await stdout.readexactly(length)))
        except asyncio.IncompleteReadError:
            return
        finally:
            self._changed.set()

    async def _received(self, message: dict[str, Any]) -> None:
        if "method" in message:
            if "id" in message:  # a request to the client (progress, configuration): null it is
                await self.send(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
            return
        assert "id" in message, f"a response without an id member: {message}"
        if message["id"] is None:
            self.unaddressed.append(message)
        else:
            self.answers.setdefault(message["id"], []).append(message)
        self._changed.set()

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        while chunk := await self.process.stderr.read(65536):
            self.stderr += chunk
            del self.stderr[:-20000]

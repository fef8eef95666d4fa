"""A language server run as a child process, spoken to over its stdio (JSON-RPC 2.0, LSP framing).

Small on purpose: requests are synchronous calls that any thread may make (a reader thread hands
each answer to the waiting caller), notifications are sent as they are, and the few requests a
server makes of its client (`workspace/configuration`, capability registration, progress tokens)
are answered by a handler the owner gives. Whatever the child does (exits, stops answering,
writes something that is not JSON-RPC), a call ends by its timeout at the latest with an
exception of this module, never by hanging; what the child wrote on stderr is kept (the last
lines) to say why it stopped.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import IO, Any

__all__ = ["ChildGone", "LspChild", "LspError", "LspTimeout"]

log = logging.getLogger(__name__)

_MAX_FRAME = 64 * 1024 * 1024  # a frame announcing more than this is not an LSP server's answer
_STDERR_LINES = 20


class ChildGone(Exception):
    """The child exited, closed its stdout or wrote something that is not JSON-RPC."""


class LspTimeout(Exception):
    """The child did not answer in time (the request was cancelled)."""


class LspError(Exception):
    """The child answered a request with an error."""

    def __init__(self, method: str, error: Any) -> None:
        message = error.get("message") if isinstance(error, dict) else error
        super().__init__(f"{method}: {message}")
        self.error = error


# Answers a request the child makes of its client: (method, params) -> result.
RequestHandler = Callable[[str, Any], Any]


class LspChild:
    """One running child language server (`argv`), spoken to over stdio."""

    def __init__(self, argv: Sequence[str], cwd: str | None = None,
                 env: dict[str, str] | None = None,
                 on_request: RequestHandler | None = None) -> None:
        self.on_request = on_request or (lambda method, params: None)
        # Raises OSError (FileNotFoundError: no such program) to the caller, which owns retries.
        self.process = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=cwd, env=env, start_new_session=True)
        self.stderr: deque[str] = deque(maxlen=_STDERR_LINES)
        self.gone: str | None = None  # why the child is unusable, once it is
        self._pending: dict[int, tuple[str, Future[Any]]] = {}
        self._next_id = 0
        self._lock = threading.Lock()  # ids, pending map and writes to stdin
        name = os.path.basename(argv[0])
        threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True).start()
        threading.Thread(target=self._drain, name=f"{name}-stderr", daemon=True).start()

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Whether the child runs and its stream is intact."""
        return self.gone is None and self.process.poll() is None

    def request(self, method: str, params: Any, timeout: float) -> Any:
        """Send a request and wait up to `timeout` seconds for its result.

        Raises `LspTimeout` (the request is then cancelled), `LspError` (the child answered with
        an error) or `ChildGone`.
        """
        request_id, future = self.send(method, params)
        try:
            return future.result(timeout=max(timeout, 0.0))
        except FutureTimeout:
            self.cancel(request_id)
            raise LspTimeout(f"{method}: no answer within {timeout * 1000:.0f} ms") from None

    def send(self, method: str, params: Any) -> tuple[int, Future[Any]]:
        """Send a request without waiting: its id (for `cancel`) and the future of its result
        (which fails with `LspError` or `ChildGone` as `request` raises them)."""
        future: Future[Any] = Future()
        with self._lock:
            if self.gone is not None:
                raise ChildGone(self.gone)
            self._next_id += 1
            request_id = self._next_id
            self._pending[request_id] = (method, future)
            self._write_locked({"jsonrpc": "2.0", "id": request_id, "method": method,
                                "params": params})
        return request_id, future

    def cancel(self, request_id: int) -> None:
        """Stop waiting for a request and ask the child to drop it (its future is cancelled)."""
        with self._lock:
            entry = self._pending.pop(request_id, None)
        if entry is not None:
            entry[1].cancel()
        try:
            self.notify("$/cancelRequest", {"id": request_id})
        except ChildGone:
            pass

    def notify(self, method: str, params: Any) -> None:
        """Send a notification (raises `ChildGone` when the child cannot take it)."""
        with self._lock:
            if self.gone is not None:
                raise ChildGone(self.gone)
            self._write_locked({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self, timeout: float = 2.0) -> None:
        """Ask the child to shut down; end it if it has not within `timeout` seconds."""
        if self.alive:
            try:
                self.request("shutdown", None, timeout)
                self.notify("exit", None)
                self.process.wait(timeout=timeout)
            except (ChildGone, LspTimeout, LspError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self, reason: str = "stopped") -> None:
        """End the child now (terminate, then kill) and fail whatever still waits."""
        self._fail(reason)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def _write_locked(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            stdin.flush()
        except (OSError, ValueError) as exc:  # broken pipe: the child is gone
            self._fail_locked(f"cannot write to it: {exc}")
            raise ChildGone(self.gone or "gone") from exc

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                message = _read_frame(stdout)
                if message is None:
                    code = self.process.wait()
                    self._fail(f"it exited (status {code})")
                    return
                self._dispatch(message)
        except (ValueError, OSError) as exc:  # not JSON-RPC: nothing it says can be trusted
            self._fail(f"it wrote something that is not JSON-RPC ({exc})")
            try:
                self.process.kill()
            except OSError:
                pass

    def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict):
            raise ValueError("a message that is not an object")
        if "method" in message:
            if "id" in message:
                self._answer(message["id"], message["method"], message.get("params"))
            return  # notifications (logs, diagnostics) carry nothing the owner asked for
        with self._lock:
            entry = self._pending.pop(message.get("id"), None)  # type: ignore[arg-type]
        if entry is None:
            return  # an answer to a cancelled request
        method, future = entry
        if "error" in message:
            future.set_exception(LspError(method, message["error"]))
        else:
            future.set_result(message.get("result"))

    def _answer(self, request_id: Any, method: str, params: Any) -> None:
        try:
            reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id,
                                     "result": self.on_request(method, params)}
        except Exception as exc:  # noqa: BLE001 - the child gets an error answer, not silence
            reply = {"jsonrpc": "2.0", "id": request_id,
                     "error": {"code": -32603, "message": str(exc)}}
        with self._lock:
            if self.gone is None:
                try:
                    self._write_locked(reply)
                except ChildGone:
                    pass

    def _drain(self) -> None:
        # A child whose stderr nobody reads blocks once the pipe is full.
        stderr = self.process.stderr
        assert stderr is not None
        try:
            for raw in stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    self.stderr.append(line)
        except (OSError, ValueError):
            pass

    def _fail(self, reason: str) -> None:
        with self._lock:
            self._fail_locked(reason)

    def _fail_locked(self, reason: str) -> None:
        if self.gone is None:
            self.gone = reason
        pending, self._pending = self._pending, {}
        for _method, future in pending.values():
            if not future.done():
                future.set_exception(ChildGone(self.gone))


def _read_frame(stream: IO[bytes]) -> Any | None:
    """The next message on `stream`; None at its end. Raises ValueError on a malformed frame."""
    length: int | None = None
    while True:
        line = stream.readline(4096)
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, sep, value = line.partition(b":")
        if not sep:
            raise ValueError(f"bad header line {line[:80]!r}")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None or not 0 <= length <= _MAX_FRAME:
        raise ValueError(f"bad Content-Length {length}")
    body = stream.read(length)
    if len(body) < length:
        return None
    return json.loads(body)

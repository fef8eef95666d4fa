"""Reading LSP messages off a byte stream so that no bad message silences or kills the server.

pygls's reader accepts only an exact `Content-Length: N\\r\\n` header, stays deaf after anything
else, allocates whatever length a header claims and drops unparseable bodies without an answer.
This module replaces it for `typehole serve` (stdio and TCP) and keeps pygls for the rest:

- Headers are read as HTTP defines them: names in any case, optional whitespace around the
  value, lines ending in CRLF or a lone LF, unknown headers ignored.
- A damaged frame (a line that is no header, a missing or non-numeric `Content-Length`, a body
  that is not JSON, a body cut short by the next header) is answered with a JSON-RPC error and
  the reader resynchronises at the next `Content-Length` header line. Such a line cannot occur
  inside valid JSON: a raw line break is only whitespace between tokens, and a bare word is no
  JSON token. So finding one inside a declared body proves the declared length wrong, and a
  client that waits for the answer to its next message is never left waiting for bytes.
- A body longer than the cap is answered with an error and skipped as it streams past; only its
  first bytes are kept (to find its id).
- A message JSON-RPC rejects (not an object, a batch, a non-string method, nesting deeper than
  the parser goes) gets -32700 or -32600, with its id whenever the id can be read.
- A stream that stays garbage for longer than the cap is no client speaking LSP: serving ends
  with exit code 1, so that the editor restarts the server.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.protocol import JsonRPCProtocol
from pygls.server import JsonRPCServer

from typehole.server import wire_text

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "RECEIVED",
    "Damage",
    "Deframer",
    "Frame",
    "Oversized",
    "Unrecoverable",
    "dispatch",
    "read_messages",
    "serve_stdio",
    "serve_tcp",
    "top_level_id",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# A header line longer than this is garbage (real ones are a few dozen bytes).
MAX_HEADER_LINE = 8 * 1024
MAX_HEADER_BLOCK = 64 * 1024
# How much of an oversized body is kept to look for its id.
PEEK_BYTES = 4 * 1024
READ_CHUNK = 64 * 1024

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603

# When the bytes that completed the message being handled were read (`time.perf_counter()`). A
# request handler's task keeps the value it was created with, so it can tell how long the request
# waited before it ran: the event loop busy with the messages before it (a didOpen's text).
RECEIVED: contextvars.ContextVar[float | None] = contextvars.ContextVar("received", default=None)

_TOKEN = rb"!#$%&'*+.^_`|~0-9A-Za-z-"  # the characters of an HTTP header name
_HEADER = re.compile(rb"([%s]+)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*" % _TOKEN)  # fullmatch: a line
# What the start of a header line can look like while the rest is still to come.
_HEADER_START = re.compile(rb"(?:[%s]+[ \t]*(?::[^\r\n]*)?)?\r?" % _TOKEN)
# Where a frame can begin again: a `Content-Length` line, wherever it starts (garbage before
# it may end in any byte). Bounded, so that a search can resume where the last one stopped.
_MARKER = re.compile(rb"content-length[ \t]{0,8}:[ \t]{0,8}\d{1,32}[ \t]{0,8}\r?\n", re.I)
_MARKER_MAX = 96  # longer than any match of _MARKER
# What a `Content-Length` line can look like while the rest is still to come.
_MARKER_START = re.compile(
    rb"(?:%s|content-length[ \t]{0,8}(?::[ \t]{0,8}(?:\d{1,32}[ \t]{0,8}\r?)?)?)"
    % b"|".join(b"content-length"[:n] for n in range(1, 14)),
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Frame:
    """A message body as its header framed it."""

    body: bytes


@dataclass(frozen=True)
class Damage:
    """Bytes that were no message; `body` holds what was framed, if anything (for its id)."""

    reason: str
    body: bytes = b""


@dataclass(frozen=True)
class Oversized:
    """A message longer than the cap, skipped; `head` is the start of its body."""

    length: int
    head: bytes


@dataclass(frozen=True)
class Unrecoverable:
    """The stream is not LSP: nothing that looks like a header for longer than the cap."""

    reason: str


Event = Frame | Damage | Oversized | Unrecoverable


class Deframer:
    """Splits a byte stream into message bodies and reports damage, resynchronising after it.

    A plain state machine fed with whatever the transport reads (`feed`): however the stream is
    split into reads, the same frames come out.
    """

    def __init__(self, max_body: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.max_body = max_body
        self._buf = bytearray()
        self._events: list[Event] = []
        self._state = self._headers
        self._length: int | None = None  # Content-Length of the header block being read
        self._block = 0  # bytes of the header block read so far
        self._need = 0  # body bytes still to come, counted from the start of the buffer
        self._scanned = 0  # bytes of the buffer already searched for a header line
        self._scan_from = 0  # where the search for a header starts after damage
        self._garbage = 0  # bytes dropped since the last header
        self._reported = True  # whether the oversized body being skipped was reported

    def feed(self, data: bytes) -> list[Event]:
        """The events that `data`, appended to the stream, completes."""
        self._buf += data
        while self._state():
            pass
        events, self._events = self._events, []
        return events

    def finish(self) -> list[Event]:
        """The events left when the stream ends (an oversized body not yet reported)."""
        if self._state == self._skip and not self._reported:
            self._report_oversized(bytes(self._buf[:PEEK_BYTES]))
        events, self._events = self._events, []
        return events

    # Each state consumes what it can and says whether to run the (possibly new) state again.

    def _headers(self) -> bool:
        end = self._buf.find(b"\n")
        if end < 0:
            if len(self._buf) > MAX_HEADER_LINE or not _HEADER_START.fullmatch(self._buf):
                return self._damaged("not a header line")
            return False
        if end > MAX_HEADER_LINE:
            return self._damaged("header line too long")
        line = bytes(self._buf[:end]).removesuffix(b"\r")
        if not line:
            del self._buf[: end + 1]
            return self._end_of_headers()
        match = _HEADER.fullmatch(line)
        if match is None:
            return self._damaged(f"not a header line: {line[:40]!r}")
        self._block += end + 1
        if self._block > MAX_HEADER_BLOCK:
            return self._damaged("header block too long")
        if match.group(1).lower() != b"content-length":
            # Garbage that ends in a token character runs into the next header line.
            if _MARKER.search(self._buf, 1, end + 1) is not None:
                return self._damaged(f"not a header line: {line[:40]!r}")
        else:
            value = match.group(2)
            if not value.isdigit() or len(value) > 32:
                return self._damaged(f"Content-Length is not a length: {value[:40]!r}")
            length = int(value)
            if self._length is not None and self._length != length:
                # The block before was cut short: this line may begin the next message.
                return self._damaged("two different Content-Length headers", from_start=True)
            self._length = length
        del self._buf[: end + 1]
        return True

    def _end_of_headers(self) -> bool:
        length, had_headers = self._length, self._block > 0
        self._length, self._block = None, 0
        if not had_headers:
            return True  # a blank line between messages
        if length is None:  # the buffer now starts with the body, or with the next header
            return self._damaged("no Content-Length header", from_start=True)
        self._garbage, self._need, self._scanned = 0, length, 0
        if length > self.max_body:
            self._state, self._reported = self._skip, False
        else:
            self._state = self._body
        return True

    def _damaged(self, reason: str, from_start: bool = False) -> bool:
        """Report damage at the start of the buffer and look for the next header after it."""
        self._events.append(Damage(reason))
        self._length, self._block = None, 0
        # The line at the start was rejected: a header found again must begin after it.
        self._state, self._scan_from = self._scan, 0 if from_start else 1
        return True

    def _scan(self) -> bool:
        match = _MARKER.search(self._buf, min(self._scan_from, len(self._buf)))
        if match is not None:
            del self._buf[: match.start()]
            self._garbage, self._state = 0, self._headers
            return True
        # Keep the tail a header may have begun in, with one byte before it for context.
        cut = max(0, len(self._buf) - _MARKER_MAX - 1)
        if cut:
            del self._buf[:cut]
            self._garbage += cut
            self._scan_from = 1
        if self._garbage > self.max_body:
            self._events.append(
                Unrecoverable(f"{self._garbage} bytes without a Content-Length header")
            )
            self._buf.clear()
        return False

    def _header_in_body(self) -> int | None:
        """Where a header line begins inside the declared body, if one does."""
        end = min(len(self._buf), self._need)
        start = max(0, self._scanned - _MARKER_MAX)
        self._scanned = end
        if self._buf.find(b"\n", start, end) < 0:  # every header line ends in a line feed
            return None
        match = _MARKER.search(self._buf, start, end)
        return None if match is None else match.start()

    def _header_at_end(self) -> int | None:
        """Where the start of a header line ends the declared body, if one does.

        Valid JSON never ends that way, so such a body is one whose Content-Length ran a few
        bytes into the next message's header.
        """
        end = self._need
        for at in range(max(0, end - _MARKER_MAX), end):
            if self._buf[at] in b"cC" and _MARKER_START.fullmatch(self._buf, at, end):
                return at
        return None

    def _body(self) -> bool:
        cut = self._header_in_body()
        if cut is None and len(self._buf) >= self._need:
            cut = self._header_at_end()
        if cut is not None:
            self._events.append(Damage("message shorter than its Content-Length",
                                       bytes(self._buf[:cut])))
            del self._buf[:cut]
            self._state = self._headers
            return True
        if len(self._buf) < self._need:
            return False
        with memoryview(self._buf) as view:  # one copy of a body that may be many megabytes
            self._events.append(Frame(view[: self._need].tobytes()))
        del self._buf[: self._need]
        self._state = self._headers
        return True

    def _skip(self) -> bool:
        cut = self._header_in_body()
        if cut is not None:
            if not self._reported:
                self._report_oversized(bytes(self._buf[: min(cut, PEEK_BYTES)]))
            del self._buf[:cut]
            self._state = self._headers
            return True
        available = min(len(self._buf), self._need)
        if not self._reported:
            if available < min(PEEK_BYTES, self._need):
                return False  # keep the start of the body until its id can be looked for
            self._report_oversized(bytes(self._buf[:PEEK_BYTES]))
        if available == self._need:
            cut = self._header_at_end()
            del self._buf[: self._need if cut is None else cut]
            self._state = self._headers
            return True
        # Drop what was searched, except the tail a header line may have begun in.
        cut = max(0, available - _MARKER_MAX - 1)
        del self._buf[:cut]
        self._need -= cut
        self._scanned -= cut
        return False

    def _report_oversized(self, head: bytes) -> None:
        self._reported = True
        self._events.append(Oversized(self._need, head))


# -- Messages: what JSON-RPC accepts, and the answers to what it does not ------------------------

_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]')
_DECODER = json.JSONDecoder()


def top_level_id(data: bytes) -> int | str | None:
    """The `id` member of the JSON object `data` starts, read without recursion.

    Works on a body too deep, damaged or cut short for `json.loads`: only the top-level members
    up to the id need to be intact. None when there is none (or it is not a number or string).
    """
    text = data.decode("utf-8", "replace")
    depth, previous = 0, ""
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "{[":
            if depth == 0 and token == "[":
                return None
            depth += 1
        elif token in "}]":
            depth -= 1
            if depth <= 0:
                return None
        elif token == ":" and depth == 1 and previous == '"id"':
            at = len(text) - len(text[match.end() :].lstrip())
            try:
                value, _ = _DECODER.raw_decode(text, at)
            except (ValueError, RecursionError):
                return None
            return value if _valid_id(value) else None
        previous = token
    return None


def _valid_id(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def envelope_problem(data: object) -> str | None:
    """Why `data` is no JSON-RPC 2.0 request, notification or response (None: it is one)."""
    if not isinstance(data, dict):
        return "a message must be a JSON object"
    if data.get("jsonrpc") != "2.0":
        return 'a message must have "jsonrpc": "2.0"'
    if "method" in data:
        if not isinstance(data["method"], str):
            return "method must be a string"
        if "id" in data and not _valid_id(data["id"]):
            return "id must be a number or a string"
        if not isinstance(data.get("params"), dict | list | None):
            return "params must be an object or an array"
        return None
    if "id" not in data:
        return "a message needs a method (request, notification) or an id (response)"
    if data["id"] is not None and not _valid_id(data["id"]):
        return "id must be a number or a string"
    return None  # a response (one without a result or an error is taken as a null result)


def reply_error(protocol: JsonRPCProtocol, msg_id: Any, code: int, message: str) -> None:
    """Send a JSON-RPC error response (id null when the message's id could not be read)."""
    log.warning("answering %s with %d: %s", msg_id, code, message)
    # pygls leaves out a None id, and an error response must have its id, if null.
    response = {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
    protocol._send_data(response)


def dispatch(protocol: JsonRPCProtocol, body: bytes) -> None:
    """Hand one message body to pygls; answer what JSON-RPC rejects instead of dropping it."""
    try:
        # Every object, innermost first, has its lone surrogates replaced (see `wire_text`).
        data = json.loads(body.decode("utf-8"), object_hook=wire_text.scrub)
    except RecursionError:
        reply_error(protocol, top_level_id(body), INVALID_REQUEST, "message nested too deeply")
        return
    except ValueError as exc:  # not JSON, or not UTF-8
        reply_error(protocol, top_level_id(body), PARSE_ERROR, f"parse error: {exc}")
        return
    if isinstance(data, list):
        _reject_batch(protocol, data)
        return
    problem = envelope_problem(data)
    if problem is not None:
        msg_id = data.get("id") if isinstance(data, dict) else None
        reply_error(protocol, msg_id if _valid_id(msg_id) else None, INVALID_REQUEST, problem)
        return
    is_request = "method" in data and "id" in data
    if is_request and protocol._shutdown and data["method"] != "exit":
        # pygls drops these silently; LSP says they get InvalidRequest.
        reply_error(protocol, data["id"], INVALID_REQUEST, "the server is shutting down")
        return
    if "method" not in data and "error" not in data:
        data.setdefault("result", None)  # some clients leave out a void result
    try:
        message = protocol.structure_message(data)
    except JsonRpcException as exc:
        if is_request:
            reply_error(protocol, data["id"], exc.code, f"{data['method']}: {exc.message}")
        else:
            log.warning("dropped a malformed %s: %s", data.get("method", "response"), exc)
        return
    try:
        protocol.handle_message(message)
    except Exception as exc:  # noqa: BLE001 - pygls answers its handlers' errors; this is the rest
        log.exception("failed to handle %s", data.get("method", "a response"))
        if is_request:
            reply_error(protocol, data["id"], INTERNAL_ERROR, f"{data['method']}: {exc}")


def _reject_batch(protocol: JsonRPCProtocol, batch: list[Any]) -> None:
    """LSP has no batches: each request in one gets an error, and an empty batch one error."""
    reason = "batch messages are not supported by LSP"
    ids = [
        m["id"] for m in batch
        if isinstance(m, dict) and "method" in m and _valid_id(m.get("id"))
    ]
    for msg_id in ids:
        reply_error(protocol, msg_id, INVALID_REQUEST, reason)
    if not ids:
        reply_error(protocol, None, INVALID_REQUEST, reason)


def answer(protocol: JsonRPCProtocol, event: Event, max_body: int) -> None:
    """Act on one event of the `Deframer`."""
    if isinstance(event, Frame):
        dispatch(protocol, event.body)
    elif isinstance(event, Damage):
        reply_error(protocol, top_level_id(event.body), PARSE_ERROR, f"bad frame: {event.reason}")
    elif isinstance(event, Oversized):
        reason = f"message of {event.length} bytes is over the limit of {max_body} bytes"
        reply_error(protocol, top_level_id(event.head), INVALID_REQUEST, reason)


# -- Transports ----------------------------------------------------------------------------------


class ByteSource(Protocol):
    """Where the bytes come from: `read` returns what is there (b"" at the end of the stream).
    A source may say when the bytes `read` returned last were read (`read_at`, see `RECEIVED`)."""

    async def read(self) -> bytes: ...


class ThreadedReader:
    """Reads a file descriptor on a daemon thread, one chunk per `read` (so nothing piles up).

    A daemon thread, because one blocked in `read` must not keep the process from exiting, and
    the raw descriptor, because a buffered stream's lock held by such a thread can abort the
    interpreter at exit.
    """

    def __init__(self, fd: int, chunk: int = READ_CHUNK) -> None:
        self.fd, self.chunk = fd, chunk
        self._wanted = threading.Semaphore(0)
        self._future: asyncio.Future[bytes] | None = None
        self._thread: threading.Thread | None = None
        # When the thread read what `read` returned last: the loop may get to it much later.
        self.read_at: float | None = None

    async def read(self) -> bytes:
        loop = asyncio.get_running_loop()
        self._future = future = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="typehole-stdin", daemon=True)
            self._thread.start()
        self._wanted.release()
        return await future

    def _run(self) -> None:
        while True:
            self._wanted.acquire()
            future = self._future
            assert future is not None
            try:
                data = os.read(self.fd, self.chunk)
            except OSError as exc:
                log.error("reading the client's messages failed: %s", exc)
                data = b""
            self.read_at = time.perf_counter()  # one read per `read`: the loop reads it next
            try:
                future.get_loop().call_soon_threadsafe(_settle, future, data)
            except RuntimeError:  # the loop is closed: the server is gone
                return
            if not data:
                return


def _settle(future: asyncio.Future[bytes], data: bytes) -> None:
    if not future.done():
        future.set_result(data)


class StreamSource:
    """An asyncio stream (TCP) as a `ByteSource`."""

    def __init__(self, reader: asyncio.StreamReader, chunk: int = READ_CHUNK) -> None:
        self.reader, self.chunk = reader, chunk

    async def read(self) -> bytes:
        return await self.reader.read(self.chunk)


async def read_messages(protocol: JsonRPCProtocol, source: ByteSource, max_body: int) -> int:
    """Read and dispatch messages until the stream ends (0) or is not LSP (1)."""
    deframer = Deframer(max_body)
    while True:
        data = await source.read()
        RECEIVED.set(getattr(source, "read_at", None) or time.perf_counter())
        events = deframer.feed(data) if data else deframer.finish()
        for event in events:
            if isinstance(event, Unrecoverable):
                log.error("the client's stream is not LSP (%s): exiting", event.reason)
                return 1
            answer(protocol, event, max_body)
        if not data:
            return 0


def _exit_code(exc: SystemExit) -> int:
    return exc.code if isinstance(exc.code, int) else 1


def serve_stdio(
    server: JsonRPCServer,
    max_body: int = DEFAULT_MAX_MESSAGE_BYTES,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
) -> int:
    """Serve on stdin/stdout until the client exits or goes away; returns the exit code."""
    stdin = stdin or sys.stdin.buffer
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    try:
        return asyncio.run(read_messages(server.protocol, ThreadedReader(stdin.fileno()), max_body))
    except SystemExit as exc:  # the `exit` notification: 0 after `shutdown`, else 1
        return _exit_code(exc)
    except BrokenPipeError:
        log.error("the client closed the connection: exiting")
        return 1
    finally:
        server.shutdown()


def serve_tcp(
    server: JsonRPCServer, host: str, port: int, max_body: int = DEFAULT_MAX_MESSAGE_BYTES
) -> int:
    """Serve the first client to connect on `host:port` (as pygls does); returns the exit code."""

    async def main() -> int:
        finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            server.protocol.set_writer(writer)
            code = await read_messages(server.protocol, StreamSource(reader), max_body)
            if not finished.done():
                finished.set_result(code)

        tcp = await asyncio.start_server(connection, host, port)
        log.info("serving on %s", ", ".join(str(s.getsockname()) for s in tcp.sockets))
        async with tcp:
            return await finished

    try:
        return asyncio.run(main())
    except SystemExit as exc:  # the `exit` notification
        return _exit_code(exc)
    finally:
        server.shutdown()

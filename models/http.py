"""Shared HTTP plumbing of the model backends: one client, streaming, errors, secrets, health.

- `create_client()` builds the one `httpx.AsyncClient` every HTTP backend shares (connection reuse,
  pool limits); timeouts are set per request from the backend's `ModelSpec`.
- `HttpBackend` is the base class of the backends: it admits requests through the health tracker,
  streams JSON events (`stream_events`: SSE, decoded by httpx-sse, or NDJSON) under one deadline
  per completion, caps the response size, and translates every httpx error and HTTP status into
  `models.errors` exactly once, through `models.translate`. Cancelling the consuming task (or
  closing the generator) exits `async with client.stream(...)`, which closes the upstream
  response so the server stops generating.
- API keys are read from the environment variable the spec names, only to build the request
  header; `redact()` (from `models.translate`) removes them from any text that is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, Literal, cast

import httpx
from httpx_sse import EventSource

from .base import Chunk, CompletionRequest
from .errors import (
    ModelConfigError,
    ModelError,
    ModelResponseError,
    ModelTimeout,
)
from .fim import context_files
from .health import HealthEvent, HealthTracker
from .spec import ModelSpec
from .translate import (
    JsonObject,
    decode_json,
    redact,
    remember_secret,
    retry_after,
    status_error,
    transport_error,
)
from .window import FittedParts, estimate_tokens, fit_to_window

# Tokens reserved for a template's markup around prefix, suffix and context.
PROMPT_OVERHEAD = 32

__all__ = [
    "MAX_RESPONSE_BYTES",
    "HttpBackend",
    "auth_headers",
    "status_error",
    "create_client",
    "redact",
]

log = logging.getLogger("typehole.models.http")

Framing = Literal["sse", "ndjson"]

# Failures of a request on a connection the server had closed: nothing was answered.
STALE_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)

# A completion response larger than this is not a code completion; stop reading and fail.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_MAX_ERROR_BODY = 64 * 1024
_EVENT_STREAM = {"content-type": "text/event-stream"}

def auth_headers(spec: ModelSpec) -> dict[str, str]:
    """The `Authorization` header for `spec`, read from the environment variable it names."""
    if not spec.api_key_env:
        return {}
    key = os.environ.get(spec.api_key_env, "").strip()
    if not key:
        raise ModelConfigError(
            f"model {spec.name!r}: environment variable {spec.api_key_env} (api_key_env) "
            "is not set or empty"
        )
    remember_secret(key)
    return {"Authorization": f"Bearer {key}"}


def create_client(
    *,
    max_connections: int = 16,
    max_keepalive_connections: int = 8,
    # Below the 5 s after which llama.cpp's server and uvicorn (vLLM) close an idle connection:
    # reusing one just as the server closes it fails with "disconnected without a response".
    keepalive_expiry_s: float = 4.0,
    transport: httpx.AsyncBaseTransport | None = None,
    trust_env: bool = True,
) -> httpx.AsyncClient:
    """The shared client: pooled keep-alive connections, no redirects, default 10 s timeouts.

    Backends override the timeouts per request from their spec. Close it with `await aclose()`
    when the server shuts down (backends do not own it). `trust_env=False` ignores the proxy
    settings of the environment (for a loopback engine whose key must not reach a proxy).
    """
    return httpx.AsyncClient(
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry_s,
        ),
        timeout=httpx.Timeout(10.0, connect=3.0),
        follow_redirects=False,
        headers={"User-Agent": "typehole"},
        transport=transport,
        trust_env=trust_env,
    )


class HttpBackend:
    """Base class of the HTTP backends; subclasses implement `_stream` and declare capabilities."""

    def __init__(
        self,
        spec: ModelSpec,
        client: httpx.AsyncClient,
        *,
        on_health_change: Callable[[HealthEvent], None] | None = None,
        health: HealthTracker | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.client = client
        self.health = health or HealthTracker(spec.name, on_change=on_health_change)
        self.max_response_bytes = MAX_RESPONSE_BYTES

    # -- the Backend protocol ------------------------------------------------------------------

    async def complete(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        """Stream the completion of `request`. Close the generator (or cancel) to stop early.

        Health: a stream read to its end, or closed by the consumer after some text, is a
        success; a `ModelError` (also mid-stream) is a failure; cancellation is neither.
        """
        attempt = self.health.begin()
        got_text = False
        try:
            async with contextlib.aclosing(self._stream(request)) as chunks:
                async for chunk in chunks:
                    got_text = True
                    yield chunk
            attempt.success()
        except ModelError as err:
            attempt.failure(err)
            raise
        except GeneratorExit:
            if got_text:
                attempt.success()
            raise
        finally:
            attempt.end()

    def count_tokens(self, text: str) -> int:
        """A conservative estimate (`models.window.estimate_tokens`): no tokenizer is at hand
        without a request, and prompts are fitted synchronously."""
        return estimate_tokens(text)

    async def aclose(self) -> None:
        """Nothing to release: the shared client belongs to whoever created it."""

    def _stream(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        raise NotImplementedError

    def on_health_change(self, callback: Callable[[HealthEvent], None] | None) -> None:
        """Set the callback invoked with a `HealthEvent` on each state change."""
        self.health.on_change = callback

    # -- helpers for subclasses ----------------------------------------------------------------

    def url(self, path: str) -> str:
        """`path` joined to the spec's base URL (an absolute URL is returned as is)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.spec.url.rstrip("/") + "/" + path.lstrip("/")

    def max_tokens(self, request: CompletionRequest) -> int:
        """Tokens to generate: the request's ask, capped by the spec."""
        return max(1, min(request.max_tokens, self.spec.max_tokens))

    def fitted(self, request: CompletionRequest) -> FittedParts:
        """The request's prefix, suffix and context cut to the window the answer leaves."""
        budget = self.spec.context_window - self.max_tokens(request)
        return fit_to_window(
            request.prefix,
            request.suffix,
            request.context,
            context_files(request),
            budget,
            PROMPT_OVERHEAD,
        )

    def _timeout(self, timeout_s: float | None = None) -> httpx.Timeout:
        s = self.spec
        total = s.timeout_s if timeout_s is None else timeout_s
        return httpx.Timeout(total, connect=s.connect_timeout_s, pool=s.connect_timeout_s)

    def _headers(self) -> dict[str, str]:
        return {"Accept": "application/json, text/event-stream", **auth_headers(self.spec)}

    def body(self, fields: Mapping[str, Any]) -> JsonObject:
        """A request body: the spec's `extra_body` first, then `fields` (which win)."""
        return {**self.spec.extra_body, **fields}

    async def post_json(self, path: str, payload: Mapping[str, Any]) -> JsonObject:
        """POST `payload` and return the JSON object answered (errors translated)."""
        async with contextlib.aclosing(
            self.stream_events(path, payload, "ndjson", whole=True)
        ) as events:
            async for obj in events:
                return obj
        raise ModelResponseError(f"{self.url(path)} sent an empty response")

    def events(
        self,
        path: str,
        payload: Mapping[str, Any],
        framing: Framing,
        *,
        timeout_s: float | None = None,
    ) -> contextlib.aclosing[AsyncGenerator[JsonObject, None]]:
        """`stream_events` wrapped so that `async with` closes it (and the response) on exit."""
        return contextlib.aclosing(
            self.stream_events(path, payload, framing, timeout_s=timeout_s)
        )

    async def stream_events(
        self,
        path: str,
        payload: Mapping[str, Any],
        framing: Framing,
        *,
        whole: bool = False,
        timeout_s: float | None = None,
    ) -> AsyncGenerator[JsonObject, None]:
        """POST `payload` and yield the JSON objects streamed back (SSE `data:` or NDJSON lines).

        One deadline (`timeout_s`, by default `spec.timeout_s`) covers the whole exchange; the
        response is capped at `max_response_bytes`. A JSON object with an `error` field raises
        ModelResponseError. With `whole`, the body is read as one JSON document.
        """
        url = self.url(path)
        loop = asyncio.get_running_loop()
        limit_s = self.spec.timeout_s if timeout_s is None else timeout_s
        deadline = loop.time() + limit_s
        started = False
        t0 = time.perf_counter()
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with asyncio.timeout_at(deadline):
                    response = await self._open(stack, url, payload, limit_s)
                started = True
                log.debug(
                    "POST %s -> %d in %.0f ms",
                    url,
                    response.status_code,
                    (time.perf_counter() - t0) * 1000,
                )
                if response.status_code >= 400:
                    async with asyncio.timeout_at(deadline):
                        body = await self._read(response, _MAX_ERROR_BODY, url, truncate=True)
                    raise status_error(response.status_code, url, body, retry_after(response))
                ctype = response.headers.get("content-type", "")
                if whole or ctype.startswith("application/json"):
                    async with asyncio.timeout_at(deadline):
                        body = await self._read(response, self.max_response_bytes, url)
                    text = body.decode("utf-8", "replace").strip()
                    if not text:
                        raise ModelResponseError(f"{url} sent an empty response")
                    yield decode_json(text, url)
                    return
                lines = await stack.enter_async_context(
                    contextlib.aclosing(self._lines(response, url, deadline))
                )
                if framing == "ndjson":
                    async for line in lines:
                        if line.strip():
                            yield decode_json(line, url)
                    return
                events = await stack.enter_async_context(contextlib.aclosing(_sse_data(lines)))
                async for data in events:
                    if data.strip() == "[DONE]":
                        return
                    yield decode_json(data, url)
        except TimeoutError:
            raise ModelTimeout(f"{url} did not finish within {limit_s:.3g} s") from None
        except httpx.HTTPError as exc:
            raise transport_error(exc, url, started=started) from None

    async def _open(
        self, stack: contextlib.AsyncExitStack, url: str, payload: Mapping[str, Any],
        limit_s: float,
    ) -> httpx.Response:
        """Send the request; once more on a new connection if a reused one was already closed.

        A kept-alive connection can be closed by the server just as the client reuses it
        (llama.cpp's server does so right after a streamed answer, a few times in a hundred):
        the request then fails before any byte of an answer, and nothing was generated for it.
        """
        def send() -> contextlib.AbstractAsyncContextManager[httpx.Response]:
            return self.client.stream(
                "POST", url, json=dict(payload), headers=self._headers(),
                timeout=self._timeout(limit_s),
            )

        try:
            return await stack.enter_async_context(send())
        except STALE_CONNECTION as exc:
            log.debug("POST %s: %s on a reused connection; sending it again", url, exc)
            return await stack.enter_async_context(send())

    async def _read(
        self, response: httpx.Response, limit: int, url: str, *, truncate: bool = False
    ) -> bytes:
        buf = bytearray()
        async with _body_pieces(response) as pieces:
            async for piece in pieces:
                buf += piece
                if len(buf) > limit:
                    if truncate:
                        return bytes(buf[:limit])
                    raise ModelResponseError(f"{url} sent more than {limit} bytes; giving up")
        return bytes(buf)

    async def _lines(
        self, response: httpx.Response, url: str, deadline: float
    ) -> AsyncGenerator[str, None]:
        """Decoded lines of a streamed body, each read under the deadline, size-capped."""
        total = 0
        pending = b""
        async with _body_pieces(response) as chunks:
            while True:
                async with asyncio.timeout_at(deadline):
                    piece = await anext(chunks, None)
                if piece is None:
                    break
                total += len(piece)
                if total > self.max_response_bytes:
                    raise ModelResponseError(
                        f"{url} sent more than {self.max_response_bytes} bytes; giving up"
                    )
                pending += piece
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    yield raw.rstrip(b"\r").decode("utf-8", "replace")
        if pending.strip():
            yield pending.rstrip(b"\r").decode("utf-8", "replace")


def _body_pieces(response: httpx.Response) -> contextlib.aclosing[AsyncGenerator[bytes, None]]:
    """`response.aiter_bytes()`, closed on exit rather than by a finalizer task of the garbage
    collector (httpx types it as an iterator; it is an async generator)."""
    return contextlib.aclosing(cast(AsyncGenerator[bytes, None], response.aiter_bytes()))


async def _sse_data(lines: AsyncGenerator[str, None]) -> AsyncGenerator[str, None]:
    """The `data` of each server-sent event in `lines`, decoded by httpx-sse; an `error` event's
    as a JSON object with that `error`. Events without data (keep-alives) are skipped."""
    body = _sse_body(lines)
    source = EventSource(httpx.Response(200, headers=_EVENT_STREAM, content=body))
    async with contextlib.aclosing(body), contextlib.aclosing(source.aiter_sse()) as events:
        async for event in events:
            if event.data:
                yield json.dumps({"error": event.data}) if event.event == "error" else event.data


async def _sse_body(lines: AsyncGenerator[str, None]) -> AsyncGenerator[bytes, None]:
    """`lines` (already size-capped and read under the deadline) as the body httpx-sse reads.

    Older llama.cpp servers report a failure mid-stream as an `error: {...}` line, a field SSE
    ignores: it becomes an `error` event. A blank line at the end dispatches an event
    the end of the stream cut off, as the server meant it.
    """
    async for line in lines:
        if line.startswith("error:"):
            line = "event: error\ndata:" + line.removeprefix("error:")
        yield (line + "\n").encode()
    yield b"\n"

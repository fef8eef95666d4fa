"""The `embedded` backend: a GGUF model run by typehole's own llama.cpp engine.

Creating the backend starts the engine (`models.engine`: llama.cpp's server from the prebuilt
`xllamacpp` wheel, in a child process, on loopback with a per-process API key) and loads the
model in the background. Until the model is ready, completions fail at once with `ModelLoading`;
`wait_ready()` waits for it. The backend's health goes `loading` and then `ok` ("ready"), or
`down` with the engine's reason when the file is missing, damaged, does not fit
`context_window`, or the engine cannot start.

When the engine dies later (a fault in native code, the OOM killer), requests fail at once with
`ModelUnavailable` naming why, the health goes `down`, and the engine is restarted in the
background after a delay that doubles with each restart in a row (`loading`, then `ok` again).
A series ends with the first completion served; after `MAX_RESTARTS` in a row, or when the
model file no longer loads, the backend stays down with the reason.

Once ready, every request goes through the llama.cpp HTTP backend (`models.llamacpp`): the same
`/infill` (a model with FIM tokens) or `/completion` (prefix-only prompt) requests, grammar,
`n_probs` (`top_tokens`), `/tokenize`, streaming and cancellation as for a llama.cpp server the
user runs. Only the deadline differs: the model runs on the user's CPU, so a request may take
`timeout_s` plus what its uncached prompt and its answer cost at the speed the engine was
measured at.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from typehole.base.affix import common_prefix

from .base import Chunk, CompletionRequest, NextTokens
from .engine import EngineConfig, EngineInfo, EngineProcess
from .errors import ModelConfigError, ModelError, ModelLoading, ModelUnavailable
from .gguf import DEFAULT_MODEL
from .health import HealthEvent, HealthState, HealthTracker
from .http import STALE_CONNECTION, create_client
from .llamacpp import LlamaCppBackend
from .spec import ModelSpec
from .translate import remember_secret
from .window import estimate_tokens

__all__ = ["EmbeddedBackend"]

log = logging.getLogger("typehole.models.embedded")


# Bytes per token that never undercounts a small model's tokenizer on code (see count_tokens).
SMALL_VOCAB_BYTES_PER_TOKEN = 2


class _EngineClient(LlamaCppBackend):
    """The llama.cpp backend, sending the engine's API key (held in memory, not in the env),
    with deadlines that fit a model on the user's CPU (`models.throughput`)."""

    def __init__(self, *args: Any, api_key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._api_key = api_key
        self._last_prompt = ""  # what the engine's one slot has cached (its prompt, at least)

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), "Authorization": f"Bearer {self._api_key}"}

    def request_timeout_s(self, body: Mapping[str, Any]) -> float:
        """`timeout_s` plus the time the request's work takes at the measured speed: the prompt
        tokens the engine's cache does not hold (all of them at a first request, a few while the
        user types on) and the tokens it may write."""
        prompt = body.get("prompt")
        if isinstance(prompt, str):
            fresh = prompt[common_prefix(prompt, self._last_prompt):]
            self._last_prompt = prompt
        else:  # `/infill`: the engine assembles the prompt; count all of it
            extra = body.get("input_extra") or []
            fresh = str(body.get("input_prefix", "")) + str(body.get("input_suffix", ""))
            fresh += "".join(str(x.get("text", "")) for x in extra if isinstance(x, dict))
            self._last_prompt = ""
        generated = body.get("n_predict")
        return self.throughput.deadline_s(
            self.spec.timeout_s,
            self.count_tokens(fresh),
            generated if isinstance(generated, int) else self.spec.max_tokens,
        )


class EmbeddedBackend:
    """A model in typehole's own llama.cpp engine; see the module docstring."""

    # An engine that dies is restarted after RESTART_DELAY_S, doubled at each restart in a row;
    # after MAX_RESTARTS restarts with no completion served between them it stays down (a model
    # that crashes the engine at every request must not restart it forever).
    MAX_RESTARTS = 3
    RESTART_DELAY_S = 1.0

    def __init__(
        self,
        spec: ModelSpec,
        client: httpx.AsyncClient | None = None,
        *,
        on_health_change: Callable[[HealthEvent], None] | None = None,
    ) -> None:
        """Start the engine on `spec.path` (the default model when empty) and load it in the
        background. `client`, the HTTP backends' shared client, is not used (see `http`)."""
        self.spec = spec
        self.name = spec.name
        # Its own client, blind to proxy settings: the engine is on loopback and its key and the
        # user's code must not travel through a proxy.
        self.http = create_client(trust_env=False)
        self.health = HealthTracker(spec.name, on_change=on_health_change)
        self.model_label = spec.path or f"{DEFAULT_MODEL.title} (default)"
        self._api_key = secrets.token_urlsafe(32)
        remember_secret(self._api_key)
        self.info: EngineInfo | None = None
        self._client: _EngineClient | None = None
        self._error: ModelError | None = None  # for good: the model cannot be served
        self._crash: ModelUnavailable | None = None  # the engine died; a restart is under way
        self.restarts = 0  # restarts in a row, with no completion served since
        self._closed = False
        self._changed = asyncio.Event()  # set (and replaced) at every change of readiness
        self._watch: asyncio.Task[None] | None = None
        self.engine = self._start_engine()
        self.health.announce(HealthState.LOADING, self._loading_message())
        with contextlib.suppress(RuntimeError):  # no running loop: watch from the first call
            self._watching()

    # -- readiness ------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """True once the model is loaded and the backend answers completions."""
        return (self._client is not None and self._error is None and self._crash is None
                and self.engine.running())

    async def wait_ready(self) -> None:
        """Wait until the model is loaded (or its engine restarted); raise its ModelError when
        it cannot be."""
        self._watching()
        while not (self.ready or self._error is not None or self._closed):
            await self._changed.wait()
        self._raise_unless_ready()

    def _watching(self) -> asyncio.Task[None]:
        if self._watch is None:
            self._watch = asyncio.get_running_loop().create_task(self._lifecycle())
        return self._watch

    def _start_engine(self) -> EngineProcess:
        return EngineProcess(
            EngineConfig(
                model=self.spec.path,
                n_ctx=self.spec.context_window,
                threads=self.spec.threads,
                api_key=self._api_key,
            )
        )

    def _loading_message(self) -> str:
        if self.restarts:
            return (f"model {self.name!r}: restarting the engine, loading {self.model_label} "
                    f"(restart {self.restarts} of at most {self.MAX_RESTARTS})")
        return f"model {self.name!r}: loading {self.model_label}"

    def _changed_now(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _lifecycle(self) -> None:
        """Background: wait for the engine to load, then for it to exit; restart it after a
        crash, with backoff, a bounded number of times in a row."""
        try:
            while (delay := await self._serve_one_engine()) is not None:
                self._changed_now()
                await asyncio.sleep(delay)
                self.health.announce(HealthState.LOADING, self._loading_message())
                self.engine = self._start_engine()  # as at creation: a fork, not a load
        except ModelError as exc:  # the engine could not even be started again
            self._give_up(exc)
        finally:
            self._changed_now()

    async def _serve_one_engine(self) -> float | None:
        """Load the current engine and watch it until it exits; the seconds to wait before
        restarting it (it died, and restarts are left), None when the backend is done."""
        try:
            info = await self.engine.wait(self.spec.load_timeout_s)
        except ModelError as exc:
            await asyncio.to_thread(self.engine.stop)  # a load that timed out may still run
            # A file llama.cpp cannot load, or a first load that failed, is not retried: it
            # would fail the same way, as often as we tried.
            if isinstance(exc, ModelConfigError) or not self.restarts:
                self._give_up(exc)
                return None
            return self._crashed(str(exc))
        self._became_ready(info)
        self._changed_now()
        await self.engine.exited()
        if self._closed:
            return None
        reason = f"the embedded engine of model {self.name!r} stopped ({self.engine.exit_reason()})"
        await asyncio.to_thread(self.engine.stop)  # reaped; its log (read above) removed
        return self._crashed(reason)

    def _became_ready(self, info: EngineInfo) -> None:
        self.info = info
        self._crash = None
        inner = replace(
            self.spec,
            backend="llamacpp",
            url=info.url,
            model=self.spec.model or Path(info.path).stem,
            path="",
            api_key_env=None,
        )
        self._client = _EngineClient(inner, self.http, health=self.health,
                                     api_key=self._api_key)
        if not info.infill:
            self._client.use_infill = False  # known now: no 501 round trip at the first request
        message = f"model {self.name!r} ready: {info.name} loaded in {info.load_s:.1f} s"
        log.info("%s (%s, %s)", message, info.path, info.url)
        self.health.announce(HealthState.OK, message)

    def _crashed(self, reason: str) -> float | None:
        """The engine died: say so (the status goes down), and restart it unless it has been
        restarted too often in a row. The seconds to wait before the restart, or None."""
        self._client = None
        if self.restarts >= self.MAX_RESTARTS:
            self._give_up(ModelUnavailable(
                f"{reason}; not restarted again after {self.restarts} restarts in a row "
                "(change the model's settings or restart the language server)"
            ))
            return None
        self.restarts += 1
        delay = self.RESTART_DELAY_S * 2 ** (self.restarts - 1)
        self._crash = ModelUnavailable(
            f"{reason}; restarting it in {delay:g} s "
            f"(restart {self.restarts} of at most {self.MAX_RESTARTS})"
        )
        log.warning("%s", self._crash)
        self.health.record_failure(self._crash)
        return delay

    def _give_up(self, error: ModelError) -> None:
        self._client = None
        self._crash = None
        self._error = error
        log.error("model %r: %s", self.name, error)
        self.health.record_failure(error)

    def _raise_unless_ready(self) -> _EngineClient:
        if self._closed:
            raise ModelUnavailable(f"model {self.name!r} was closed")
        if self._error is not None:
            raise self._error
        if self._crash is not None:
            raise self._crash
        if self._client is None:
            restart = f", restart {self.restarts}" if self.restarts else ""
            raise ModelLoading(
                f"model {self.name!r} is still loading ({self.model_label}{restart}); "
                "completions start when it is ready"
            )
        if not self.engine.running():
            # Dead, and the watcher has not seen it yet: the same words it will use.
            raise ModelUnavailable(
                f"the embedded engine of model {self.name!r} stopped "
                f"({self.engine.exit_reason()}); it is being restarted"
            )
        return self._client

    # -- the Backend protocol -------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:
        """The llama.cpp backend's, once the model is loaded (whether it fills in the middle is
        known then)."""
        if self._client is None:
            return LlamaCppBackend.BASE_CAPABILITIES
        return self._client.capabilities

    async def complete(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        """Stream the completion from the engine; ModelLoading while the model loads."""
        self._watching()
        client = self._raise_unless_ready()
        async with contextlib.aclosing(client.complete(request)) as chunks:
            async for chunk in chunks:
                self.restarts = 0  # the engine serves again: a later crash starts a new series
                yield chunk

    async def top_tokens(self, request: CompletionRequest, n: int) -> NextTokens:
        """The engine's `n` likeliest next tokens after the prompt (`LlamaCppBackend.top_tokens`);
        ModelLoading while the model loads."""
        self._watching()
        found = await self._raise_unless_ready().top_tokens(request, n)
        self.restarts = 0
        return found

    def count_tokens(self, text: str) -> int:
        """A conservative estimate: prompts are fitted synchronously, without a request.

        Small models' vocabularies cut code finer than code models' (Gemma 3 270M: 7 tokens for
        the 14 bytes of `def add(a, b):`), so this counts one token per 2 bytes, not 3.
        """
        return estimate_tokens(text, bytes_per_token=SMALL_VOCAB_BYTES_PER_TOKEN)

    async def metrics(self) -> dict[str, float]:
        """The engine's counters (`/metrics` without the `llamacpp:` prefix): tokens evaluated,
        reused from the cache and generated, and the seconds they took, since it started."""
        client = self._raise_unless_ready()

        async def get() -> httpx.Response:
            return await self.http.get(
                client.url("metrics"), headers={"Authorization": f"Bearer {self._api_key}"}
            )

        try:
            try:
                response = await get()
            except STALE_CONNECTION:
                # The engine closes a kept-alive connection after a stream the client left
                # early; nothing was asked on it yet, so ask again on a new one.
                response = await get()
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ModelUnavailable(
                f"model {self.name!r}: cannot read the engine's metrics: {exc}"
            ) from None
        values: dict[str, float] = {}
        for line in response.text.splitlines():
            name, _, value = line.partition(" ")
            if name.startswith("llamacpp:"):
                with contextlib.suppress(ValueError):
                    values[name.removeprefix("llamacpp:")] = float(value)
        return values

    async def aclose(self) -> None:
        """Stop the engine (its child process ends; the model's memory is freed)."""
        self._closed = True
        if self._watch is not None and not self._watch.done():
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await asyncio.to_thread(self.engine.stop)
        await self.http.aclose()

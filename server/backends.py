"""Which model answers: the embedded `local` model or a configured server, built from settings.

`ModelHub` owns the one shared `httpx.AsyncClient` and one backend per configured model, and
hands the server a `Pipeline` for the model the settings name. Backend health changes reach the
server through `on_health`, which turns them into a status notification and, for configuration
mistakes, a message the user sees.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor

import attrs
import httpx

from typehole.models.base import Backend
from typehole.models.errors import ModelConfigError
from typehole.models.health import HealthEvent
from typehole.models.http import create_client
from typehole.models.lexer import count_tokens
from typehole.models.local import LocalModel
from typehole.models.registry import create_backend, describe
from typehole.models.spec import ModelSpec
from typehole.models.window import estimate_tokens
from typehole.monitors import MonitorSettings
from typehole.server.completion.pipeline import ContextHook, Pipeline
from typehole.server.config import ModelEntry, Settings

log = logging.getLogger(__name__)

LOCAL = "local"
# Models that need no configuration, by name; a user's model of the same name replaces one.
# A CPU model's first long prompt can take well over the 10 s a model server gets.
BUILTIN_MODELS: dict[str, ModelEntry] = {"embedded": ModelEntry(backend="embedded", timeout_s=60.0)}


def model_spec(name: str, entry: ModelEntry) -> ModelSpec:
    """The `ModelSpec` of a configured model (raises ModelConfigError for invalid ones)."""
    return ModelSpec(name=name, **attrs.asdict(entry, recurse=False))


class ModelHub:
    """Backends by model name, created on first use and closed together."""

    def __init__(
        self,
        local: LocalModel,
        analysis: Executor | None = None,
        on_health: Callable[[HealthEvent], None] | None = None,
    ) -> None:
        self.local = local
        self.analysis = analysis
        self.on_health = on_health
        self._client: httpx.AsyncClient | None = None
        self._backends: dict[tuple[str, str], Backend] = {}

    def backend(self, settings: Settings, name: str | None = None) -> tuple[Backend, str]:
        """The backend for model `name` (default: the configured one) and a line describing it."""
        name = name or settings.model
        if name == LOCAL:
            return self.local, f"{LOCAL}: embedded workspace model (offline)"
        entry = settings.models.get(name) or BUILTIN_MODELS.get(name)
        if entry is None:
            known = ", ".join(dict.fromkeys([LOCAL, *BUILTIN_MODELS, *settings.models]))
            raise ModelConfigError(f"unknown model {name!r}; configured models: {known}")
        spec = model_spec(name, entry)
        # A changed entry (new URL, new template) gets a new backend; the old one stays until close.
        key = (name, json.dumps(attrs.asdict(entry), sort_keys=True, default=str))
        if key not in self._backends:
            if self._client is None:
                self._client = create_client()
            self._backends[key] = create_backend(
                spec, self._client, on_health_change=self.on_health
            )
        return self._backends[key], describe(spec)

    def pipeline(
        self, settings: Settings, name: str | None = None, context_hook: ContextHook | None = None
    ) -> tuple[Pipeline, str]:
        """A pipeline on the named (or configured) model, with the token counter that fits it."""
        backend, description = self.backend(settings, name)
        counter = count_tokens if backend is self.local else estimate_tokens
        monitors = MonitorSettings(**attrs.asdict(settings.monitors))
        pipeline = Pipeline(
            backend,
            counter,
            analysis=self.analysis,
            context_hook=context_hook,
            monitors=monitors,
        )
        return pipeline, description

    async def aclose(self) -> None:
        """Close every backend, the embedded model and the shared HTTP client."""
        for backend in self._backends.values():
            await backend.aclose()
        self._backends.clear()
        await self.local.aclose()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

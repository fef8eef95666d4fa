"""Which model answers: one backend per configured (or built-in) model, built from settings.

`ModelHub` owns the one shared `httpx.AsyncClient` and one backend per model spec, and hands the
server and the CLI a `Pipeline` for the model the settings name. Every model is created the same
way (`models.registry.create_backend`); what a backend can do is read from its declared
capabilities, never from its name. Backend health changes reach the server through `on_health`,
which turns them into a status notification and, for configuration mistakes, a message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict

import httpx

from typehole.app.settings import Settings
from typehole.features.completion.pipeline import ContextHook, Pipeline, PipelineOptions
from typehole.models.base import Backend, WorkspaceLearner
from typehole.models.errors import ModelConfigError
from typehole.models.health import HealthEvent
from typehole.models.http import create_client
from typehole.models.registry import create_backend, describe
from typehole.models.spec import ModelSpec

__all__ = ["ModelHub", "as_learner", "pipeline_options"]

log = logging.getLogger(__name__)


def as_learner(backend: Backend) -> WorkspaceLearner | None:
    """`backend` as a workspace learner when it declares it learns the workspace, else None."""
    if "learns_workspace" in backend.capabilities and isinstance(backend, WorkspaceLearner):
        return backend
    return None


def pipeline_options(settings: Settings, interactive: bool = True) -> PipelineOptions:
    """The completion pipeline's options: the settings' own sections (no copies)."""
    return PipelineOptions(
        completion=settings.completion,
        context=settings.context,
        monitors=settings.monitors,
        interactive=interactive,
    )


class ModelHub:
    """Backends by model spec, created on first use and closed together."""

    def __init__(
        self,
        analysis: Executor | None = None,
        on_health: Callable[[HealthEvent], None] | None = None,
    ) -> None:
        self.analysis = analysis
        self.on_health = on_health
        self._client: httpx.AsyncClient | None = None
        self._backends: dict[str, Backend] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._retired: list[Backend] = []

    def spec(self, settings: Settings, name: str | None = None) -> ModelSpec:
        """The spec of model `name` (default: the configured one); ModelConfigError if unknown."""
        name = name or settings.model
        specs = settings.model_specs()
        spec = specs.get(name)
        if spec is None:
            raise ModelConfigError(f"unknown model {name!r}; configured models: {', '.join(specs)}")
        return spec

    def backend(self, settings: Settings, name: str | None = None) -> tuple[Backend, str]:
        """The backend for model `name` (default: the configured one) and a line describing it."""
        spec = self.spec(settings, name)
        key = json.dumps(asdict(spec), sort_keys=True, default=str)
        if key not in self._backends:
            # A changed entry (new URL, new model file, context size, threads) replaces the
            # model's backend: the old one is closed in the background (an embedded engine
            # stops and frees its memory) while the new one starts.
            for old_key, old in list(self._backends.items()):
                if old.name == spec.name:
                    del self._backends[old_key]
                    self._close_later(old)
            if self._client is None:
                self._client = create_client()
            self._backends[key] = create_backend(
                spec, self._client, on_health_change=self.on_health
            )
        return self._backends[key], describe(spec)

    def _close_later(self, backend: Backend) -> None:
        """Close a replaced backend in the background (requests in flight on it fail)."""
        log.info("model %r: its entry changed; closing the previous backend", backend.name)
        try:
            task = asyncio.get_running_loop().create_task(backend.aclose())
        except RuntimeError:  # no loop (a synchronous caller): closed with the hub
            self._retired.append(backend)
            return
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def learner(self, settings: Settings) -> WorkspaceLearner | None:
        """The configured model when it learns the workspace's files, else None."""
        try:
            backend, _ = self.backend(settings)
        except ModelConfigError:
            return None
        return as_learner(backend)

    def pipeline(
        self, settings: Settings, name: str | None = None, context_hook: ContextHook | None = None
    ) -> tuple[Pipeline, str]:
        """A pipeline on the named (or configured) model."""
        backend, description = self.backend(settings, name)
        pipeline = Pipeline(backend, analysis=self.analysis, context_hook=context_hook)
        return pipeline, description

    async def aclose(self) -> None:
        """Close every backend (and those still closing) and the shared HTTP client."""
        await asyncio.gather(*self._closing, return_exceptions=True)
        for backend in [*self._retired, *self._backends.values()]:
            await backend.aclose()
        self._backends.clear()
        self._retired.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

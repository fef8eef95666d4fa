"""The workspace's lifecycle, the same for the server and the CLI: its settings read from their
sources, its context engine opened with the index built, and the pipeline pointed at the
configured model with that context.

The server adds only what is LSP's: progress bars, messages to the user, the open documents'
live text. Training a workspace-learning model is `app.training`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typehole.app.hub import ModelHub
from typehole.app.settings import (
    DEFAULT_MODEL,
    Settings,
    environment_source,
    read_pyproject,
    resolve,
)
from typehole.context.engine import ContextEngine
from typehole.features.completion.context_hook import EngineContext
from typehole.features.completion.pipeline import Pipeline
from typehole.models.errors import ModelConfigError

__all__ = [
    "SettingsChange",
    "context_hook",
    "load_settings",
    "open_engine",
    "open_pipeline",
]

log = logging.getLogger(__name__)


def load_settings(root: Path | None, client_options: Any = None) -> tuple[Settings, list[str]]:
    """Settings from the environment, `root`'s pyproject.toml and (for an editor) the client's
    `initializationOptions`, newest last, with every problem found in them."""
    sources: list[tuple[str, Any]] = [*environment_source()]
    problems: list[str] = []
    if root is not None:
        table, found = read_pyproject(root)
        problems.extend(found)
        sources.append(("pyproject.toml [tool.typehole]", table))
    if client_options is not None:
        # Clients send either the section itself or the whole configuration.
        if isinstance(client_options, dict) and "typehole" in client_options:
            client_options = client_options["typehole"]
        sources.append(("initializationOptions", client_options))
    settings, found = resolve(sources)
    return settings, problems + found


def open_engine(
    root: Path,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> ContextEngine:
    """The workspace's context engine with its index built or brought up to date (blocking:
    run it off the event loop). `stop` ends the build at the next file; see `engine.warnings`
    for what the user should be told."""
    engine = ContextEngine(root, settings.context.cache_dir, settings.exclude,
                           cache_max_mb=settings.context.cache_max_mb)
    stats = engine.build(progress, stop)
    log.info("index: %s", stats)
    return engine


def context_hook(engine: ContextEngine | None, settings: Settings) -> EngineContext | None:
    """What the pipeline asks for context: the engine when there is one and context is on."""
    if engine is None or not settings.context.enabled:
        return None
    return EngineContext(engine)


def open_pipeline(
    hub: ModelHub, settings: Settings, engine: ContextEngine | None
) -> tuple[Pipeline, str, list[str]]:
    """The pipeline on the configured model, its description, and problems: an unknown or bad
    model falls back to the built-in default, and the problem says so."""
    hook = context_hook(engine, settings)
    try:
        pipeline, description = hub.pipeline(settings, context_hook=hook)
        return pipeline, description, []
    except ModelConfigError as exc:
        pipeline, description = hub.pipeline(settings, DEFAULT_MODEL, context_hook=hook)
        return pipeline, description, [f"{exc}; using the built-in model {DEFAULT_MODEL!r} instead"]


@dataclass(frozen=True)
class SettingsChange:
    """What a change of settings asks of the workspace."""

    pipeline: bool  # the model, its entries or context changed: point the pipeline again
    oracle: bool  # context settings changed: restart (or stop) the type oracle
    learn: bool  # another model: a workspace-learning one learns the workspace

    @classmethod
    def between(cls, previous: Settings, settings: Settings) -> SettingsChange:
        """The change from `previous` to `settings`."""
        pipeline = (settings.model, settings.models, settings.context) != (
            previous.model, previous.models, previous.context)
        return cls(
            pipeline=pipeline,
            oracle=pipeline and settings.context != previous.context,
            learn=pipeline and settings.model != previous.model,
        )

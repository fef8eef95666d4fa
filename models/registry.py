"""From a `ModelSpec` to a running backend, and a one-line description of it for users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx

from .base import Backend
from .embedded import EmbeddedBackend
from .errors import ModelConfigError
from .fim import resolve_template
from .gguf import DEFAULT_MODEL
from .health import HealthEvent
from .llamacpp import LlamaCppBackend
from .ngram_model import NgramModel
from .ollama import OllamaBackend
from .openai import OpenAIBackend
from .spec import ModelSpec
from .vllm import VllmBackend

__all__ = ["BACKEND_CLASSES", "create_backend", "describe"]

BACKEND_CLASSES: dict[str, Callable[..., Backend]] = {
    "embedded": EmbeddedBackend,
    "llamacpp": LlamaCppBackend,
    "openai": OpenAIBackend,
    "vllm": VllmBackend,
    "ollama": OllamaBackend,
}

_LABELS = {
    "embedded": "embedded llama.cpp engine",
    "llamacpp": "llama.cpp server",
    "openai": "OpenAI-compatible server",
    "vllm": "vLLM server",
    "ollama": "Ollama",
}


def create_backend(
    spec: ModelSpec,
    client: httpx.AsyncClient,
    *,
    on_health_change: Callable[[HealthEvent], None] | None = None,
) -> Backend:
    """The backend for `spec`; HTTP backends share `client`.

    An `embedded` backend starts its engine and loads the model in the background at once.

    `on_health_change` receives a `HealthEvent` each time the backend's health state changes.
    Raises ModelConfigError for an unknown backend or a spec the backend cannot serve.
    """
    if spec.backend == "ngram":
        model = NgramModel(order=spec.ngram_order)
        model.name = spec.name
        return model
    cls = BACKEND_CLASSES.get(spec.backend)
    if cls is None:
        raise ModelConfigError(f"model {spec.name!r}: no backend {spec.backend!r}")
    return cls(spec, client, on_health_change=on_health_change)


def describe(spec: ModelSpec) -> str:
    """One line for users: which server, where, which model, and which FIM template and why."""
    if spec.backend == "ngram":
        return f"{spec.name}: n-gram model of the workspace's own code (in-process, offline)"
    if spec.backend == "embedded":
        return _describe_embedded(spec)
    choice = resolve_template(spec)
    where = f"{_LABELS.get(spec.backend, spec.backend)} at {spec.url}"
    model = f", model {spec.model!r}" if spec.model else ""
    auto = spec.fim_template == "auto"
    if spec.backend == "llamacpp" and auto:
        fallback = (
            f"/completion with template {choice.reason}"
            if choice.template
            else f"/completion, prefix only: {choice.reason}"
        )
        fim = f"FIM by the server's /infill with the model's own tokens (else {fallback})"
    elif choice.template is not None:
        fim = f"FIM template {choice.reason}"
    elif spec.backend in ("openai", "ollama") and auto:
        via = "the `suffix` field" if spec.backend == "openai" else "the model's Ollama template"
        fim = f"FIM by the server via {via} ({choice.reason})"
    else:
        fim = f"no FIM template: {choice.reason}"
    return f"{spec.name}: {where}{model}; {fim}"


def _describe_embedded(spec: ModelSpec) -> str:
    """`describe` for the embedded engine: which GGUF, and how its prompt is built."""
    where = _LABELS["embedded"]
    if spec.fim_template != "auto":
        choice = resolve_template(spec)
        fim = "FIM template" if choice.template else "no FIM template:"
        model = spec.path or DEFAULT_MODEL.title
        return f"{spec.name}: {where}, model {model}; {fim} {choice.reason}"
    if not spec.path:
        default = DEFAULT_MODEL
        return (
            f"{spec.name}: {where}, model {default.title} (the default, {default.licence}); "
            "prefix-only prompt (the model has no FIM tokens)"
        )
    # The backend detects the family from the file name, as the engine sees it.
    choice = resolve_template(replace(spec, model=spec.model or Path(spec.path).stem))
    how = "template" if choice.template else "prefix only:"
    fallback = f"else {how} {choice.reason}"
    return (
        f"{spec.name}: {where}, model {spec.path}; FIM with the model's own tokens if it has "
        f"them ({fallback})"
    )

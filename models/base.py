"""The backend interface every model implements: the embedded `local` model and the HTTP backends.

A feature never talks to a concrete backend; it builds a `CompletionRequest` and reads `Chunk`s from
`Backend.complete`. Backends that can expose exact next-token distributions (the embedded model)
also implement `TokenDistributionModel`, which monitors use to mask decoding exactly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class CompletionRequest:
    """What to generate: a fill-in-the-middle request plus optional cross-file context.

    `context` is text assembled by `context/` (definitions, similar code) placed before the prefix;
    `path` is the workspace-relative file name, used by FIM templates that name files.
    """

    prefix: str
    suffix: str = ""
    context: str = ""
    path: str | None = None
    max_tokens: int = 64
    stop: tuple[str, ...] = ()
    temperature: float = 0.0
    # Opaque per-backend extras (llama.cpp `grammar`, vLLM `structured_outputs`, ...).
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A piece of generated text as it streams in; `logprob` when the backend reports one."""

    text: str
    logprob: float | None = None


@runtime_checkable
class Backend(Protocol):
    """A code model. `complete` streams text; stopping iteration early must be cheap and safe."""

    name: str

    def complete(self, request: CompletionRequest) -> AsyncIterator[Chunk]: ...

    async def count_tokens(self, text: str) -> int: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class LoadsInBackground(Protocol):
    """A backend whose model loads after it is created (completions fail with `ModelLoading`
    until then); `wait_ready` waits for the model and raises its ModelError if it cannot load."""

    @property
    def ready(self) -> bool: ...

    async def wait_ready(self) -> None: ...


@runtime_checkable
class TokenDistributionModel(Protocol):
    """A model whose next-token distribution is known exactly (used for exact monitor masks)."""

    def tokenize(self, text: str) -> list[str]: ...

    def next_token_distribution(self, context: Sequence[str]) -> dict[str, float]:
        """Probabilities of the likeliest next tokens after `context` (tokens as text)."""
        ...

    def token_probability(self, context: Sequence[str], token: str) -> float: ...

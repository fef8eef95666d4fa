"""The backend interface every model implements, with the capabilities each one declares.

A feature never talks to a concrete backend; it builds a `CompletionRequest` and reads `Chunk`s from
`Backend.complete`. What a backend can do beyond that is declared in `capabilities` (see
`CAPABILITIES`) and, where it needs more methods, by an optional protocol (`GuidedBackend`,
`TopTokens`, `WorkspaceLearner`). Nothing above this layer looks at a backend's name or class to
choose what to do: it reads the declaration.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .decoding import TokenGuide

__all__ = [
    "CAPABILITIES", "Backend", "Chunk", "CompletionRequest", "GuidedBackend", "LoadsInBackground",
    "NextTokens", "Timings", "TokenChoice", "TopTokens", "WorkspaceLearner",
]

# What a backend may declare in `capabilities`:
CAPABILITIES: dict[str, str] = {
    "grammar": "takes a GBNF grammar per request (llama.cpp `grammar`)",
    "regex": "takes a regular expression or a choice per request (vLLM `structured_outputs`)",
    "logprobs": "reports the log-probability of generated tokens",
    "logit_bias": "takes a per-token logit bias",
    "infill": "fills in the middle with the model's own FIM tokens",
    "prefix_only": "reads the text before the cursor only (no fill-in-the-middle): a prompt spends "
    "nothing on the suffix",
    "exact_masks": "decodes under an exact next-token mask (`GuidedBackend.complete_guided`)",
    "tokenizer": "`count_tokens` is exact, not an estimate",
    "prose": "writes natural language (docstring summaries, descriptions)",
    "learns_workspace": "learns the workspace's own files (`WorkspaceLearner`)",
    "top_tokens": "lists the likeliest next tokens after a prompt with their probabilities, for "
    "the cost of one token (`TopTokens.top_tokens`)",
}


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
    # The prompt ends at a token boundary (it ends in a name a repair just wrote in full): a
    # backend that heals the prompt's last token must not cut the end off to write it again.
    at_token_end: bool = False
    # Opaque per-backend extras (llama.cpp `grammar`, vLLM `structured_outputs`, ...).
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Timings:
    """The work a request has cost the model server so far, as the server reports it."""

    prompt_tokens: int  # prompt tokens evaluated for this request
    cached_tokens: int  # prompt tokens reused from the server's prompt cache
    prompt_ms: float
    generated_tokens: int
    generated_ms: float


@dataclass(frozen=True)
class TokenChoice:
    """One candidate for the next token: its text and its log-probability."""

    text: str
    logprob: float


@dataclass(frozen=True)
class NextTokens:
    """The likeliest next tokens after a prompt, most probable first, and what asking cost."""

    choices: tuple[TokenChoice, ...]
    timings: Timings | None = None


@dataclass(frozen=True)
class Chunk:
    """A piece of generated text as it streams in; `logprob` when the backend reports one, and
    `timings` (the whole request's so far) when the server reports them."""

    text: str
    logprob: float | None = None
    timings: Timings | None = None
    # The likeliest tokens where this chunk's first token was chosen, when the request asked for
    # them (llama.cpp `n_probs`); most probable first.
    top: tuple[TokenChoice, ...] = ()


@runtime_checkable
class Backend(Protocol):
    """A code model. `complete` streams text as an async generator, which the caller closes
    (`contextlib.aclosing`) to stop early; that must be cheap and safe."""

    name: str

    @property
    def capabilities(self) -> frozenset[str]:
        """A subset of `CAPABILITIES`' keys (an attribute or a property)."""
        ...

    def complete(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]: ...

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as prompts are fitted: exact with "tokenizer", else a safe estimate."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class LoadsInBackground(Protocol):
    """A backend whose model loads after it is created (completions fail with `ModelLoading`
    until then); `wait_ready` waits for the model and raises its ModelError if it cannot load."""

    @property
    def ready(self) -> bool: ...

    async def wait_ready(self) -> None: ...


@runtime_checkable
class GuidedBackend(Protocol):
    """A backend that decodes under an exact next-token mask (capability "exact_masks")."""

    def complete_guided(
        self, request: CompletionRequest, guide: TokenGuide
    ) -> AsyncGenerator[Chunk, None]:
        """`complete`, choosing only tokens `guide` allows."""
        ...


@runtime_checkable
class TopTokens(Protocol):
    """A backend that lists the likeliest next tokens (capability "top_tokens")."""

    async def top_tokens(self, request: CompletionRequest, n: int) -> NextTokens:
        """The `n` likeliest tokens after `request`'s prompt, taken to end at a token boundary
        (no healing), as the model ranks them before any sampling; no text is generated beyond
        one token."""
        ...


@runtime_checkable
class WorkspaceLearner(Protocol):
    """A backend that learns the workspace's files (capability "learns_workspace")."""

    async def atrain(self, path: str, text: str) -> None:
        """Learn `path`'s text, replacing what was learnt from an earlier version of it."""
        ...

    async def aremove(self, path: str) -> None:
        """Forget `path`."""
        ...

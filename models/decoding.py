"""One completion's decoding state in the embedded model, and what ends it.

`DecodeState` travels between the model's executor hops; `looping` says when the rest would only
repeat itself, `release` hands out the text that can no longer turn into a stop string.
`TokenGuide` is how monitors constrain the choice of each token.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .base import Chunk

__all__ = ["DecodeState", "TokenGuide", "looping", "release"]

# A sampled (temperature > 0) completion stops when its last tokens are one cycle of at most
# `_CYCLE_MAX` tokens repeated `_CYCLE_REPEATS` times.
_CYCLE_MAX = 8
_CYCLE_REPEATS = 4


class TokenGuide(Protocol):
    """Constrains decoding exactly (monitors): which token texts may come next.

    Called on the model's thread with its lock held, so it must be quick or fail open.
    """

    @property
    def done(self) -> bool:
        """True once the guide wants the completion to end."""
        ...

    def allows(self, text: str) -> bool:
        """Whether `text` may be emitted next."""
        ...

    def advance(self, text: str) -> None:
        """`text` was emitted."""
        ...

    def proposals(self) -> Sequence[str]:
        """Tokens the guide allows that the model may never have seen (e.g. member names)."""
        ...


@dataclass
class DecodeState:
    """One completion's state between executor hops."""

    context: list[str]
    partial: str | None
    max_tokens: int
    stops: tuple[str, ...]
    temperature: float
    rng: random.Random
    generated: list[str] = field(default_factory=list)
    seen: set[tuple[str, ...]] = field(default_factory=set)
    pending: str = ""
    pending_logprob: float = 0.0
    done: bool = False
    guide: TokenGuide | None = None


def looping(state: DecodeState) -> bool:
    """Whether the rest of the completion would only repeat itself.

    At temperature 0 the next token is a function of the last `order - 1` tokens, so once
    such a context recurs, the output from there on is the same cycle forever. A sampled
    completion is only stopped once a short cycle has visibly repeated.
    """
    if state.done:
        return False
    if state.temperature == 0.0:
        key = tuple(state.context)
        if key in state.seen:
            return True
        state.seen.add(key)
        return False
    gen = state.generated
    for period in range(1, _CYCLE_MAX + 1):
        span = period * _CYCLE_REPEATS
        if len(gen) >= span and all(
            gen[-i] == gen[-i - period] for i in range(1, span - period + 1)
        ):
            return True
    return False


def release(state: DecodeState) -> Chunk | None:
    """Take the pending text that cannot be the start of a stop string."""
    if state.done:
        return None
    keep = 0
    text = state.pending
    for stop in state.stops:
        for k in range(min(len(stop) - 1, len(text)), keep, -1):
            if text.endswith(stop[:k]):
                keep = k
                break
    ready = text[: len(text) - keep]
    if not ready:
        return None
    chunk = Chunk(ready, state.pending_logprob)
    state.pending = text[len(text) - keep :]
    state.pending_logprob = 0.0
    return chunk

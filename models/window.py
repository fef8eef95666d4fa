"""Fitting prompt parts into a model's context window: token estimates and where to cut.

Used where no tokenizer is reachable (a remote model's window, the prompt budget of a backend
without `/tokenize`): the estimate is conservative, and what is cut first is what lies
farthest from the cursor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .fim import ContextFile

__all__ = ["BYTES_PER_TOKEN", "FittedParts", "estimate_tokens", "fit_to_window"]


# Conservative estimate when no tokenizer is reachable: one token per 3 UTF-8 bytes. BPE code
# tokenizers average 3.5-4.5 bytes per token on source code, so this over-counts by 15-35% and a
# budget met by the estimate is met by the real tokenizer for ordinary code.
BYTES_PER_TOKEN = 3


def estimate_tokens(text: str, bytes_per_token: float = BYTES_PER_TOKEN) -> int:
    """Conservative token count of `text` without a tokenizer (see `BYTES_PER_TOKEN`)."""
    return math.ceil(len(text.encode("utf-8")) / bytes_per_token)


def _keep_tail(text: str, tokens: int) -> str:
    """The end of `text` within about `tokens` estimated tokens, cut at a line start."""
    if estimate_tokens(text) <= tokens:
        return text
    cut = text.encode("utf-8")[-max(tokens, 0) * BYTES_PER_TOKEN :].decode("utf-8", "ignore")
    nl = cut.find("\n")
    return cut[nl + 1 :] if 0 <= nl < len(cut) - 1 else cut


def _keep_head(text: str, tokens: int) -> str:
    """The start of `text` within about `tokens` estimated tokens, cut after a line end."""
    if estimate_tokens(text) <= tokens:
        return text
    cut = text.encode("utf-8")[: max(tokens, 0) * BYTES_PER_TOKEN].decode("utf-8", "ignore")
    nl = cut.rfind("\n")
    return cut[: nl + 1] if nl > 0 else cut


@dataclass(frozen=True)
class FittedParts:
    """Prompt parts cut to a token budget."""

    prefix: str
    suffix: str
    context: str
    files: tuple[ContextFile, ...]


def fit_to_window(
    prefix: str,
    suffix: str,
    context: str,
    files: Sequence[ContextFile],
    budget_tokens: int,
    overhead_tokens: int = 0,
) -> FittedParts:
    """Cut prompt parts so their estimated size plus `overhead_tokens` fits `budget_tokens`.

    Drops, in order, the lowest-ranked (last) context files, then the end of `context`, then the
    far end of the suffix (keeping at most a quarter of what remains), then the start of the prefix.
    The text nearest the cursor is kept longest.
    """
    files = tuple(files)
    budget = budget_tokens - overhead_tokens

    def size() -> int:
        extra = sum(estimate_tokens(f.filename) + estimate_tokens(f.text) + 4 for f in files)
        return estimate_tokens(prefix) + estimate_tokens(suffix) + estimate_tokens(context) + extra

    while files and size() > budget:
        files = files[:-1]
    if size() > budget:
        room = budget - estimate_tokens(prefix) - estimate_tokens(suffix)
        context = _keep_head(context, room) if room > 0 else ""
    if size() > budget:
        suffix = _keep_head(suffix, max(budget // 4, budget - estimate_tokens(prefix)))
    if size() > budget:
        prefix = _keep_tail(prefix, budget - estimate_tokens(suffix))
    return FittedParts(prefix, suffix, context, files)

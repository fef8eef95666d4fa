"""Run a model backend on a next-edit prompt and parse its answer back into suggestions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from typehole.base.lexer import count_tokens
from typehole.models.base import Backend, CompletionRequest
from typehole.models.fim import EXTRA_RAW_PROMPT

from .formats import ZETA, EditFormat
from .records import Event, Suggestion
from .zeta import build_prompt, hopeless, parse_back

__all__ = ["model_suggestions"]


async def model_suggestions(backend: Backend, text: str, cursor: int, events: Sequence[Event],
                            path: str = "untitled.py", max_tokens: int | None = None,
                            timeout_s: float = 5.0,
                            others: Sequence[tuple[str, Event]] = (),
                            fmt: EditFormat = ZETA) -> list[Suggestion]:
    """The model's next edits in the region around `cursor`; empty when it is unsure or slow.

    The prompt is in format `fmt` and goes to the model as it is (no FIM template around it).
    `max_tokens` defaults to room for the region written twice over: an answer that runs out
    of tokens is cut off, and a cut-off answer is refused; an answer is also given up as soon
    as it cannot pass the guardrails (`hopeless`). `others` are recent edits of other files,
    (path, event), shown to the model too.
    """
    prompt = build_prompt(text, cursor, events, path, others=others, fmt=fmt)
    if prompt is None:
        return []
    if max_tokens is None:
        max_tokens = 2 * count_tokens(text[prompt.start : prompt.end]) + 64
    request = CompletionRequest(prefix=prompt.text, max_tokens=max_tokens, stop=fmt.stop,
                                extra={EXTRA_RAW_PROMPT: True})
    parts: list[str] = []

    async def collect() -> bool:
        """Read the answer; False when it turned hopeless (the stream is closed at once,
        which stops the model)."""
        async with contextlib.aclosing(backend.complete(request)) as chunks:
            async for chunk in chunks:
                parts.append(chunk.text)
                if "\n" in chunk.text and hopeless(text, prompt, "".join(parts)):
                    return False
        return True

    try:
        if not await asyncio.wait_for(collect(), timeout_s):
            return []
    except TimeoutError:
        return []
    response = "".join(parts)
    if fmt.answer_end and fmt.answer_end not in response:
        response += fmt.answer_end  # the stop sequence swallowed the end marker
    return parse_back(text, prompt, response, events[-1] if events else None)

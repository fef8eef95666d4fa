"""Run a model backend on a Zeta prompt and parse its answer back into suggestions."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from typehole.models.base import Backend, CompletionRequest

from .records import Event, Suggestion
from .zeta import END, build_prompt, parse_back

__all__ = ["model_suggestions"]


async def model_suggestions(backend: Backend, text: str, cursor: int, events: Sequence[Event],
                            path: str = "untitled.py", max_tokens: int = 256,
                            timeout_s: float = 5.0,
                            others: Sequence[tuple[str, Event]] = ()) -> list[Suggestion]:
    """The model's next edits in the region around `cursor`; empty when it is unsure or slow.

    `others` are recent edits of other files, (path, event), shown to the model too.
    """
    prompt = build_prompt(text, cursor, events, path, others=others)
    request = CompletionRequest(prefix=prompt.text, max_tokens=max_tokens, stop=(END + "\n",),
                                path=path)
    parts: list[str] = []

    async def collect() -> None:
        async for chunk in backend.complete(request):
            parts.append(chunk.text)

    try:
        await asyncio.wait_for(collect(), timeout_s)
    except TimeoutError:
        return []
    response = "".join(parts)
    if END not in response:
        response += END  # the stop sequence swallowed the end marker
    return parse_back(text, prompt, response, events[-1] if events else None)

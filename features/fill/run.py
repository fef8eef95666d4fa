"""One fill from start to end: context, generation (under monitors when available), checks,
error rounds. Shared by the server's command and `typehole fill`.

Jedi work (context gathering, checking) runs on the `analysis` executor, the one thread Jedi may
use, one short job at a time, so completions queued meanwhile are not held up behind a whole
fill. Model work streams on the event loop and stops as soon as the hole is complete.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from typehole.guided import guided
from typehole.models.base import Backend, CompletionRequest
from typehole.monitors import MonitorSettings

from .check import CheckOptions, check_candidate
from .prompt import task_text, trim, unit_complete
from .records import FillHole, FillResult, Finding
from .rounds import run_rounds

__all__ = ["FillOptions", "fill", "NGRAM_MODEL_NOTE"]

# Said when a model that writes no prose (the n-gram model) left the hole unfilled or wrong.
NGRAM_MODEL_NOTE = ("this model only continues token patterns of the workspace and rarely writes "
                    "a whole correct body; configure a language model (the `model` setting)")


@dataclass(frozen=True)
class FillOptions:
    """The knobs of one fill."""

    rounds: int = 2  # error rounds after the first attempt
    max_tokens: int = 384
    max_lines: int = 40
    context_budget: int = 1024  # tokens of typed-hole and cross-file context
    # The user's monitor settings (their switches and trigger timeout); None decodes unguided.
    monitors: MonitorSettings | None = field(default_factory=MonitorSettings)
    check: CheckOptions = field(default_factory=CheckOptions)


async def _on(analysis: Executor | None, fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(analysis, fn, *args)


async def fill(text: str, hole: FillHole, backend: Backend, *, analysis: Executor | None = None,
               engine: Any = None, rel_path: str | None = None,
               options: FillOptions = FillOptions(),
               on_round: Callable[[int], None] | None = None) -> FillResult:
    """Fill `hole` in `text` with `backend`; `engine` (a ContextEngine) adds typed context.

    `on_round(n)` is called as attempt `n` starts (progress). Raises model errors and
    cancellation; checker problems become notes in the result.
    """
    notes: list[str] = []
    context = ""
    if engine is not None and options.context_budget > 0:
        try:
            gathered = await _on(analysis, engine.gather, text, hole.start, rel_path,
                                 options.context_budget, backend.count_tokens)
            context = gathered.prompt
        except Exception as exc:  # noqa: BLE001 - a fill without cross-file context still helps
            notes.append(f"context skipped: {exc!r}")
    prefix = text[: hole.start] + hole.lead
    suffix = text[hole.end:]
    task = task_text(hole)
    attempt = [0]

    async def generate(feedback: str) -> tuple[str, float | None]:
        if on_round is not None:
            on_round(attempt[0])
        attempt[0] += 1
        request = CompletionRequest(
            prefix=prefix, suffix=suffix, context=task + feedback + context, path=rel_path,
            max_tokens=options.max_tokens,
            stop=("\n",) if hole.kind == "expression" else ())
        raw, logprobs = await _stream(backend, request, analysis, hole, options)
        mean = sum(logprobs) / len(logprobs) if logprobs else None
        return trim(hole, raw, suffix, options.max_lines), mean

    async def check(candidate: str) -> tuple[list[Finding], list[str]]:
        return await _on(analysis, check_candidate, text, hole, candidate, options.check)

    result = await run_rounds(hole, generate, check, options.rounds)
    if "prose" not in backend.capabilities and (result.best is None or result.best.findings):
        notes.append(NGRAM_MODEL_NOTE)
    if notes:
        result = FillResult(hole=result.hole, best=result.best, candidates=result.candidates,
                            rounds=result.rounds, notes=result.notes + tuple(notes))
    return result


async def _stream(backend: Backend, request: CompletionRequest, analysis: Executor | None,
                  hole: FillHole, options: FillOptions) -> tuple[str, list[float]]:
    pieces: list[str] = []
    logprobs: list[float] = []
    if options.monitors is not None and options.monitors.enabled:
        document = request.prefix + request.suffix
        stream_of = guided(backend, request, document, len(request.prefix), analysis,
                           settings=options.monitors, path=request.path)
    else:
        stream_of = backend.complete(request)
    async with aclosing(stream_of) as stream:
        async for chunk in stream:
            pieces.append(chunk.text)
            if chunk.logprob is not None:
                logprobs.append(chunk.logprob)
            if unit_complete(hole, "".join(pieces), options.max_lines):
                break
    return "".join(pieces), logprobs

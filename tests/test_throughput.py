"""Deadlines that fit a model on the user's CPU: measured speeds, first request vs cached."""

from __future__ import annotations

import pytest
from fakeserver import SSE, Reply, serve, sse

from typehole.base.affix import common_prefix, common_suffix
from typehole.models.base import CompletionRequest, Timings
from typehole.models.embedded import _EngineClient
from typehole.models.http import create_client
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec
from typehole.models.throughput import (
    FIRST_GENERATED_PER_S,
    FIRST_PROMPT_PER_S,
    SAFETY,
    Throughput,
)


def test_common_prefix() -> None:
    assert common_prefix("abcdef", "abcxyz") == 3
    assert common_prefix("", "abc") == 0
    assert common_prefix("same", "same") == 4
    assert common_prefix("a" * 10_000 + "b", "a" * 10_000 + "c") == 10_000
    assert common_prefix(b"abcdef", b"abcxyz", 2) == 2
    assert common_suffix("xyz.py", "abc.py") == 3
    assert common_suffix(b"same", b"same") == 4


@pytest.mark.parametrize("at", [0, 1, 4095, 4096, 4097, 8191, 8192, 12_000, 19_999])
def test_common_affixes_across_blocks(at: int) -> None:
    # Compared a block at a time, then within the block that differs: every boundary.
    text = "".join(chr(97 + i % 26) if i % 7 else "😀" for i in range(20_000))
    other = text[:at] + "#" + text[at + 1:]
    assert common_prefix(text, other) == at
    assert common_suffix(text, other) == len(text) - at - 1
    assert common_prefix(text, other, max(at - 3, 0)) == max(at - 3, 0)
    assert common_prefix(text, text) == common_suffix(text, text) == len(text)


def test_first_deadline_assumes_a_slow_machine() -> None:
    speed = Throughput()
    expected = 10 + SAFETY * (1000 / FIRST_PROMPT_PER_S + 64 / FIRST_GENERATED_PER_S)
    assert speed.deadline_s(10, 1000, 64) == pytest.approx(expected)


def test_measured_speed_replaces_the_guess_and_slowdowns_count_at_once() -> None:
    speed = Throughput()
    speed.record(Timings(prompt_tokens=500, cached_tokens=0, prompt_ms=2500, generated_tokens=20,
                         generated_ms=1000))
    assert (speed.prompt_per_s, speed.generated_per_s) == (200, 20)
    speed.record(Timings(500, 0, 10_000, 20, 1000))  # the machine got busy: 50 tokens/s
    assert speed.prompt_per_s == 50
    speed.record(Timings(500, 0, 2500, 20, 1000))  # faster again: believed gradually
    assert 50 < speed.prompt_per_s < 200
    speed.record(Timings(3, 900, 1000, 1, 5000))  # too small a sample to say anything
    assert 50 < speed.prompt_per_s < 200 and speed.generated_per_s == 20


async def test_engine_deadline_counts_the_prompt_its_cache_does_not_hold() -> None:
    spec = ModelSpec("embedded", "llamacpp", "http://127.0.0.1:9", timeout_s=10)
    client = create_client()
    engine = _EngineClient(spec, client, api_key="k")
    prompt = "x = compute(1)\n" * 200
    first = engine.request_timeout_s({"prompt": prompt, "n_predict": 64})
    typed_on = engine.request_timeout_s({"prompt": prompt + "y = ", "n_predict": 64})
    assert first > 10 + SAFETY * engine.count_tokens(prompt) / FIRST_PROMPT_PER_S
    assert typed_on < 10 + SAFETY * (20 / FIRST_PROMPT_PER_S + 64 / FIRST_GENERATED_PER_S)
    engine.throughput.record(Timings(1000, 0, 1000, 64, 1000))  # a fast machine: 1000 tokens/s
    assert engine.request_timeout_s({"prompt": "other\n" + prompt, "n_predict": 64}) < 20
    infill = {"input_prefix": prompt, "input_suffix": "", "n_predict": 64}
    assert engine.request_timeout_s(infill) > 10 + SAFETY * 1000 / 1000
    await client.aclose()


async def test_llamacpp_chunks_carry_the_server_timings() -> None:
    timings = {"cache_n": 90, "prompt_n": 30, "prompt_ms": 600.0, "predicted_n": 5,
               "predicted_ms": 250.0}

    def handler(path: str, body: dict) -> Reply:
        events = [{"content": "a", "stop": False, "timings": timings},
                  {"content": "", "stop": True, "timings": timings}]
        return Reply(headers=SSE, body=sse(*events, done=False))

    client = create_client()
    async with serve(handler) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=5)
        backend = create_backend(spec, client)
        chunks = [c async for c in backend.complete(CompletionRequest("x = 1\n"))]
    await client.aclose()
    assert server.requests[0][1]["timings_per_token"] is True
    assert chunks[0].timings == Timings(prompt_tokens=30, cached_tokens=90, prompt_ms=600.0,
                                        generated_tokens=5, generated_ms=250.0)
    assert backend.throughput.prompt_per_s == 50 and backend.throughput.generated_per_s == 20

"""Backends against a real inference engine: llama.cpp serving a tiny random-weight GGUF.

The same llama.cpp server (the xllamacpp wheel) answers the OpenAI-compatible `/v1/completions`
and its native API. The model writes garbage (random weights, see tests/llamacpp/engine.py), so
these tests check protocol behaviour: streaming and early stop, cancellation, stop strings,
grammar-constrained output that always matches the grammar, logprobs, `/infill` with cross-file
context. They skip when the engine is not installed (`pip install -e '.[test,embedded]'`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import httpx
import pytest
from llamacpp.engine import Engine

from typehole.models.base import Backend, Chunk, CompletionRequest
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec

pytestmark = pytest.mark.timeout(120)

GRAMMAR = 'root ::= "def " [a-z] [a-z] [a-z] "(" [a-z] ")"'
GRAMMAR_RE = re.compile(r"def [a-z]{3}\([a-z]\)")
PROMPTS = ["import os\n", "def main():\n    ", "class A:\n    x = "]


@pytest.fixture(scope="module")
def cpp_python(native_server: Engine) -> Engine:
    """The same llama.cpp server, spoken to through its OpenAI-compatible API."""
    return native_server


async def text_of(backend: Backend, request: CompletionRequest) -> str:
    return "".join([c.text async for c in backend.complete(request)])


def no_busy_connections(client: httpx.AsyncClient) -> bool:
    pool = client._transport._pool  # type: ignore[attr-defined]
    return not [c for c in pool.connections if not c.is_idle() and not c.is_closed()]


def openai_backend(engine: Engine, client: httpx.AsyncClient, model: str) -> Backend:
    spec = ModelSpec("tiny", "openai", engine.url, model=model, context_window=2048, timeout_s=30)
    return create_backend(spec, client)


# -- llama-cpp-python's OpenAI-compatible server --------------------------------------------------


@pytest.mark.parametrize("model", ["tiny-starcoder", "tiny"])  # FIM template / `suffix` field
async def test_openai_streams_fim(
    cpp_python: Engine,
    client: httpx.AsyncClient,
    model: str,
) -> None:
    backend = openai_backend(cpp_python, client, model)
    req = CompletionRequest(
        "def add(a, b):\n    return ",
        "\n\nprint(add(1, 2))\n",
        max_tokens=12,
        extra={"context_files": [("m.py", "X = 1\n")]},
    )
    chunks = [c async for c in backend.complete(req)]
    assert len(chunks) >= 2 and all(isinstance(c, Chunk) for c in chunks)
    assert no_busy_connections(client)


async def test_openai_stop_strings_are_honoured(
    cpp_python: Engine,
    client: httpx.AsyncClient,
) -> None:
    backend = openai_backend(cpp_python, client, "tiny")
    base = CompletionRequest("x = ", max_tokens=40)
    full = await text_of(backend, base)
    assert full == await text_of(backend, base)  # greedy decoding is deterministic
    k = next(
        i
        for i in range(3, len(full) - 1)
        if full[i : i + 2].isascii() and full[i : i + 2].isalnum()
    )
    stop = full[k : k + 2]
    stopped = await text_of(backend, CompletionRequest("x = ", max_tokens=40, stop=(stop,)))
    assert stopped == full[: full.find(stop)]


async def test_openai_grammar_output_is_always_legal(
    cpp_python: Engine,
    client: httpx.AsyncClient,
) -> None:
    backend = openai_backend(cpp_python, client, "tiny")
    for prompt in PROMPTS:
        for temperature in (0.0, 1.0):
            req = CompletionRequest(
                prompt, max_tokens=32, temperature=temperature, extra={"grammar": GRAMMAR}
            )
            out = await text_of(backend, req)
            assert GRAMMAR_RE.fullmatch(out), out


async def test_openai_logprobs(
    cpp_python: Engine,
    client: httpx.AsyncClient,
) -> None:
    backend = openai_backend(cpp_python, client, "tiny")
    req = CompletionRequest("def f(", max_tokens=8, extra={"logprobs": 2})
    chunks = [c async for c in backend.complete(req)]
    assert chunks and all(c.logprob is not None and c.logprob <= 0 for c in chunks)


async def test_openai_early_stop_and_cancellation(
    cpp_python: Engine,
    client: httpx.AsyncClient,
) -> None:
    backend = openai_backend(cpp_python, client, "tiny")
    long = CompletionRequest("s = '", max_tokens=1500)
    got = 0
    async with contextlib.aclosing(backend.complete(long)) as stream:
        async for _ in stream:
            got += 1
            if got == 3:
                break
    assert got == 3 and no_busy_connections(client)  # closed, not read to the end

    started = asyncio.Event()

    async def consume() -> None:
        async for _ in backend.complete(long):
            started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 60)  # a hang guard
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert no_busy_connections(client)
    # the engine is free again: a short completion goes through
    assert len(await text_of(backend, CompletionRequest("y = ", max_tokens=4))) > 0


# -- native llama-server --------------------------------------------------------------------------


def native(engine: Engine, client: httpx.AsyncClient, **kw: object) -> Backend:
    spec = ModelSpec("tiny", "llamacpp", engine.url, context_window=2048, timeout_s=30, **kw)  # type: ignore[arg-type]
    return create_backend(spec, client)


async def test_native_infill_with_cross_file_context(
    native_server: Engine,
    client: httpx.AsyncClient,
) -> None:
    backend = native(native_server, client)
    req = CompletionRequest(
        "def area(r):\n    return ",
        "\n",
        max_tokens=10,
        context="# geometry helpers\n",
        extra={"context_files": [("const.py", "PI = 3.14159\n")]},
    )
    chunks = [c async for c in backend.complete(req)]
    assert chunks and backend.use_infill  # type: ignore[attr-defined]


async def test_native_completion_grammar_and_probs(
    native_server: Engine,
    client: httpx.AsyncClient,
) -> None:
    backend = native(native_server, client, fim_template="starcoder")
    for prompt in PROMPTS:
        req = CompletionRequest(
            prompt, "\n", max_tokens=32, temperature=0.8, extra={"grammar": GRAMMAR, "n_probs": 2}
        )
        chunks = [c async for c in backend.complete(req)]
        assert GRAMMAR_RE.fullmatch("".join(c.text for c in chunks))
        assert all(c.logprob is not None and c.logprob <= 0 for c in chunks)


async def test_native_stop_and_cancel(
    native_server: Engine,
    client: httpx.AsyncClient,
) -> None:
    backend = native(native_server, client, fim_template="none")
    full = await text_of(backend, CompletionRequest("x = ", max_tokens=40))
    k = next(
        i
        for i in range(3, len(full) - 1)
        if full[i : i + 2].isascii() and full[i : i + 2].isalnum()
    )
    stop = full[k : k + 2]
    stopped = await text_of(backend, CompletionRequest("x = ", max_tokens=40, stop=(stop,)))
    assert stopped == full[: full.find(stop)]
    got = 0
    async with contextlib.aclosing(
        backend.complete(CompletionRequest("s = '", max_tokens=1500))
    ) as stream:
        async for _ in stream:
            got += 1
            if got == 3:
                break
    assert no_busy_connections(client)

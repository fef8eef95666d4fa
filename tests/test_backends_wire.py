"""HTTP backends against loopback fake servers speaking each API's exact wire format.

Ollama and vLLM cannot run here (no GPU, no model downloads), so a small asyncio HTTP/1.1 server
plays them: it records the request bodies we send and streams the documented responses (NDJSON for
Ollama's /api/generate, SSE with `data: [DONE]` for /v1/completions, SSE `data:` events with
`stop` for llama.cpp's native API). Because it is a real socket server, it also plays the faults a
real server shows: refused connections, hanging, HTTP errors, truncated streams, invalid JSON,
oversized bodies, and it sees when the client hangs up mid-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fakeserver import NDJSON, SSE, FakeServer, Reply, ndjson, oai, serve, sse

from typehole.models.base import Backend, Chunk, CompletionRequest
from typehole.models.errors import (
    ModelBackoff,
    ModelConfigError,
    ModelRateLimited,
    ModelResponseError,
    ModelTimeout,
    ModelUnavailable,
)
from typehole.models.health import HealthEvent, HealthState
from typehole.models.http import redact
from typehole.models.llamacpp import top_choices
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec

pytestmark = pytest.mark.timeout(60)
HANG_GUARD_S = 20.0  # waits for an event end long before this unless the event never comes


async def collect(backend: Backend, request: CompletionRequest) -> list[Chunk]:
    return [c async for c in backend.complete(request)]


def spec(url: str, backend: str = "openai", **kw: Any) -> ModelSpec:
    kw.setdefault("timeout_s", 30.0)  # loopback answers at once; a loaded machine is slow
    return ModelSpec(name="m", backend=backend, url=url, **kw)  # type: ignore[arg-type]


REQ = CompletionRequest(prefix="def add(a, b):\n    return ", suffix="\n", max_tokens=16)


def count_requests(client: httpx.AsyncClient) -> list[httpx.Request]:
    """Record every request the client is about to send (before it connects)."""
    sent: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request)

    client.event_hooks["request"] = [hook]
    return sent


def fake_clock(backend: Backend) -> list[float]:
    """Drive the backend's health clock by hand: `now[0] += s` is `s` seconds later."""
    now = [1000.0]
    backend.health._clock = lambda: now[0]  # type: ignore[attr-defined]
    return now


async def settled(condition: Callable[[], bool]) -> None:
    """Let the loop run until `condition` holds (a hang guard ends the wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_GUARD_S
    while not condition():
        assert loop.time() < deadline, "did not settle"
        await asyncio.sleep(0.01)


# -- Ollama ---------------------------------------------------------------------------------------


async def test_ollama_raw_template_and_ndjson(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(
            headers=NDJSON,
            body=ndjson(
                {
                    "model": "qwen2.5-coder:1.5b",
                    "created_at": "2025-01-01T00:00:00Z",
                    "response": "a",
                    "done": False,
                },
                {
                    "model": "qwen2.5-coder:1.5b",
                    "created_at": "2025-01-01T00:00:00Z",
                    "response": " + b",
                    "done": False,
                },
                {
                    "model": "qwen2.5-coder:1.5b",
                    "created_at": "2025-01-01T00:00:00Z",
                    "response": "",
                    "done": True,
                    "done_reason": "stop",
                    "context": [1, 2],
                    "total_duration": 1000,
                    "eval_count": 2,
                },
            ),
        )

    async with serve(handler) as (server, url):
        backend = create_backend(
            spec(url, "ollama", model="qwen2.5-coder:1.5b-base", context_window=2048), client
        )
        req = CompletionRequest(
            "x = ", "\n", max_tokens=8, stop=("\n\n",), extra={"seed": 7, "grammar": "ignored"}
        )
        chunks = await collect(backend, req)
    assert "".join(c.text for c in chunks) == "a + b"
    path, body, _ = server.requests[0]
    assert path == "/api/generate"
    assert body["raw"] is True and "suffix" not in body and body["stream"] is True
    assert body["model"] == "qwen2.5-coder:1.5b-base"
    assert body["prompt"] == "<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>"
    opts = body["options"]
    assert opts["num_predict"] == 8 and opts["temperature"] == 0.0 and opts["num_ctx"] == 2048
    assert opts["seed"] == 7 and "\n\n" in opts["stop"] and "<|endoftext|>" in opts["stop"]
    assert "grammar" not in body and "grammar" not in opts


async def test_ollama_unknown_family_uses_suffix(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(headers=NDJSON, body=ndjson({"response": "1", "done": True}))

    async with serve(handler) as (server, url):
        backend = create_backend(spec(url, "ollama", model="my-model"), client)
        await collect(backend, CompletionRequest("x = ", "\ny = 2\n"))
    body = server.requests[0][1]
    assert body["suffix"] == "\ny = 2\n" and body["prompt"] == "x = " and "raw" not in body


async def test_ollama_model_not_found_is_config_error(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(
            404,
            {"content-type": "application/json"},
            [b'{"error":"model \\"nope\\" not found, try pulling it first"}'],
        )

    events: list[HealthEvent] = []
    async with serve(handler) as (_server, url):
        backend = create_backend(
            spec(url, "ollama", model="nope"), client, on_health_change=events.append
        )
        with pytest.raises(ModelConfigError, match="not found") as info:
            await collect(backend, REQ)
    assert url in str(info.value)
    assert [e.state for e in events] == [HealthState.DOWN] and events[0].is_config_error


async def test_ollama_error_line_mid_stream(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(
            headers=NDJSON,
            body=ndjson({"response": "a", "done": False}, {"error": "out of memory"}),
        )

    async with serve(handler) as (_server, url):
        backend = create_backend(spec(url, "ollama", model="codellama:7b-code"), client)
        with pytest.raises(ModelResponseError, match="out of memory"):
            await collect(backend, REQ)


# -- vLLM / OpenAI-compatible ---------------------------------------------------------------------


async def test_vllm_structured_outputs_template_and_sse(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(
            headers=SSE, body=sse(oai("a", logprobs=[-0.5]), oai(" + b", "stop", [-0.25, -0.25]))
        )

    async with serve(handler) as (server, url):
        backend = create_backend(
            spec(
                url + "/v1",
                "vllm",
                model="Qwen/Qwen2.5-Coder-1.5B",
                extra_body={"guided_regex": "old", "top_k": 5},
            ),
            client,
        )
        req = CompletionRequest(
            "x = ", "\n", extra={"regex": r"[a-z +]+", "logprobs": 1, "guided_choice": ["no"]}
        )
        chunks = await collect(backend, req)
    assert [c.text for c in chunks] == ["a", " + b"]
    assert chunks[0].logprob == -0.5 and chunks[1].logprob == -0.5
    path, body, _ = server.requests[0]
    assert path == "/v1/completions"
    assert body["structured_outputs"] == {"regex": r"[a-z +]+"}
    assert not [k for k in body if k.startswith("guided_")]
    assert "suffix" not in body and body["prompt"].startswith("<|fim_prefix|>x = ")
    assert body["model"] == "Qwen/Qwen2.5-Coder-1.5B" and body["logprobs"] == 1
    assert body["top_k"] == 5 and body["stream"] is True


async def test_vllm_choice_and_tokenize(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        if path == "/tokenize":
            return Reply(
                headers={"content-type": "application/json"},
                body=[
                    json.dumps({"count": 3, "max_model_len": 4096, "tokens": [1, 2, 3]}).encode()
                ],
            )
        return Reply(headers=SSE, body=sse(oai("yes", "stop")))

    async with serve(handler) as (server, url):
        backend = create_backend(
            spec(url + "/v1", "vllm", model="codellama/CodeLlama-7b-hf"), client
        )
        req = CompletionRequest("ok = ", extra={"structured_outputs": {"choice": ("yes", "no")}})
        assert "".join(c.text for c in await collect(backend, req)) == "yes"
    assert server.requests[0][1]["structured_outputs"] == {"choice": ["yes", "no"]}
    # Prompts are fitted with a conservative estimate: no request per count.
    assert backend.count_tokens("a b c") == 2 and len(server.requests) == 1


def test_vllm_without_known_template_is_config_error(client: httpx.AsyncClient) -> None:
    with pytest.raises(ModelConfigError, match="fimTemplate"):
        create_backend(spec("http://127.0.0.1:9/v1", "vllm", model="my-finetune"), client)


async def test_openai_suffix_mode_passthrough_and_api_key(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TYPEHOLE_TEST_KEY", "sk-test-secret-123456")

    def handler(path: str, body: dict) -> Reply:
        return Reply(
            401,
            {"content-type": "application/json"},
            [b'{"error": {"message": "bad key sk-test-secret-123456"}}'],
        )

    async with serve(lambda p, b: Reply(headers=SSE, body=sse(oai("1", "length")))) as (s, url):
        backend = create_backend(
            spec(url, model="gpt-3.5-turbo-instruct", api_key_env="TYPEHOLE_TEST_KEY"), client
        )
        req = CompletionRequest("x = ", "\n", stop=("\n",), extra={"logit_bias": {"50256": -100}})
        await collect(backend, req)
    path, body, headers = s.requests[0]
    assert path == "/v1/completions"
    assert body["prompt"] == "x = " and body["suffix"] == "\n" and body["stop"] == ["\n"]
    assert body["logit_bias"] == {"50256": -100}
    assert headers["authorization"] == "Bearer sk-test-secret-123456"

    async with serve(handler) as (_s, url):
        backend = create_backend(spec(url, model="m", api_key_env="TYPEHOLE_TEST_KEY"), client)
        with pytest.raises(ModelConfigError) as info:
            await collect(backend, REQ)
    assert "sk-test-secret" not in str(info.value) and "api_key_env" in str(info.value)
    assert "sk-test-secret" not in caplog.text
    assert redact("Authorization: Bearer abcdefgh1234") == "Authorization: Bearer ***"


async def test_missing_api_key_env_is_config_error(client: httpx.AsyncClient) -> None:
    backend = create_backend(spec("http://127.0.0.1:9", api_key_env="TYPEHOLE_NOT_SET_XYZ"), client)
    with pytest.raises(ModelConfigError, match="TYPEHOLE_NOT_SET_XYZ"):
        await collect(backend, REQ)


# -- a connection the server closed ---------------------------------------------------------------


async def test_request_closed_unanswered_is_sent_once_more(client: httpx.AsyncClient) -> None:
    """A server that closes a kept-alive connection as it is reused (llama.cpp's server does so
    after a streamed answer) loses no completion: the request goes again, once."""
    # The prompt's last space is healed: the model writes it again and the backend removes it.
    answered = {"content": " x", "stop": True}
    replies = iter([Reply(unanswered=True), Reply(headers=SSE, body=sse(answered, done=False))])
    async with serve(lambda p, b: next(replies)) as (server, url):
        backend = create_backend(spec(url, "llamacpp", fim_template="none"), client)
        assert "".join(c.text for c in await collect(backend, REQ)) == "x"
    assert len(server.requests) == 2


async def test_request_never_answered_fails_after_one_retry(client: httpx.AsyncClient) -> None:
    async with serve(lambda p, b: Reply(unanswered=True)) as (server, url):
        backend = create_backend(spec(url, "llamacpp", fim_template="none"), client)
        with pytest.raises(ModelUnavailable, match="disconnected"):
            await collect(backend, REQ)
    assert len(server.requests) == 2


# -- llama.cpp native -----------------------------------------------------------------------------


async def test_llamacpp_infill_then_fallback_to_completion(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        if path == "/infill":
            return Reply(
                501,
                {"content-type": "application/json"},
                [
                    json.dumps(
                        {
                            "error": {
                                "code": 501,
                                "type": "not_supported_error",
                                "message": "Infill is not supported by this model: "
                                "prefix token is missing. ",
                            }
                        }
                    ).encode()
                ],
            )
        return Reply(
            headers=SSE,
            body=sse(
                {
                    "content": "a",
                    "stop": False,
                    "completion_probabilities": [
                        {"id": 1, "token": "a", "logprob": -0.1, "top_logprobs": []}
                    ],
                },
                {"content": "", "stop": True, "stop_type": "eos"},
                done=False,
            ),
        )

    async with serve(handler) as (server, url):
        backend = create_backend(spec(url, "llamacpp", model="deepseek-coder-1.3b"), client)
        req = CompletionRequest(
            "x = ",
            "\n",
            extra={
                "grammar": 'root ::= "a"',
                "n_probs": 1,
                "repo_name": "r",
                "context_files": [("lib.py", "A = 1\n")],
            },
        )
        chunks = await collect(backend, req)
        again = await collect(backend, req)
    assert [c.text for c in chunks] == ["a"] and chunks[0].logprob == pytest.approx(-0.1)
    assert [c.text for c in again] == ["a"]
    paths = [p for p, _, _ in server.requests]
    assert paths == ["/infill", "/completion", "/completion"]  # infill tried once only
    infill = server.requests[0][1]
    assert infill["input_prefix"] == "x = " and infill["input_suffix"] == "\n"
    assert infill["input_extra"] == [{"filename": "lib.py", "text": "A = 1\n"}]
    completion = server.requests[1][1]
    assert completion["prompt"].startswith("<｜fim▁begin｜>#lib.py\nA = 1\nx = <｜fim▁hole｜>")
    assert completion["grammar"] == 'root ::= "a"' and completion["n_probs"] == 1
    assert completion["n_predict"] == 64 and "<｜end▁of▁sentence｜>" in completion["stop"]


def _no_infill(path: str, body: dict) -> Reply:
    """A llama.cpp server whose model has no FIM tokens; `/completion` writes `body["_out"]`."""
    if path == "/infill":
        error = {"error": {"code": 501, "message": "Infill is not supported by this model"}}
        return Reply(501, {"content-type": "application/json"}, [json.dumps(error).encode()])
    pieces = [{"content": piece, "stop": False} for piece in _no_infill.out]  # type: ignore[attr-defined]
    return Reply(headers=SSE, body=sse(*pieces, {"content": "", "stop": True}, done=False))


async def test_llamacpp_without_fim_tokens_is_prefix_only(client: httpx.AsyncClient) -> None:
    _no_infill.out = ["a"]  # type: ignore[attr-defined]
    async with serve(_no_infill) as (server, url):
        backend = create_backend(spec(url, "llamacpp", model="gemma-3-270m"), client)
        assert "infill" in backend.capabilities and "prefix_only" not in backend.capabilities
        req = CompletionRequest("x = 1\ny = (", "\n", context="# ctx\n", path="pkg/m.py")
        await collect(backend, req)
        assert "prefix_only" in backend.capabilities and "infill" not in backend.capabilities
    assert server.requests[1][1]["prompt"] == "# ctx\n# Path: pkg/m.py\nx = 1\ny = ("


# -- server-sent events ---------------------------------------------------------------------------


@pytest.mark.parametrize("framing", [
    b'error: {"code": 500, "message": "slot failed"}\n\n',  # older llama.cpp servers
    b'event: error\ndata: {"code": 500, "message": "slot failed"}\n\n',
])
async def test_sse_error_mid_stream(framing: bytes, client: httpx.AsyncClient) -> None:
    reply = Reply(headers=SSE, body=[*sse(oai("a"), done=False), framing])
    async with serve(lambda p, b: reply) as (_server, url):
        backend = create_backend(spec(url, model="m"), client)
        with pytest.raises(ModelResponseError, match="slot failed"):
            await collect(backend, REQ)


async def test_sse_events_split_commented_and_cut_off(client: httpx.AsyncClient) -> None:
    """Events split across pieces, CRLF lines, comments and keep-alives, and a last event the
    end of the stream cuts off (no blank line after it, no [DONE]) all arrive."""
    first, second, last = (json.dumps(oai(t)).encode() for t in ("a", "b", "c"))
    body = [b": keep-alive\r\n\r\ndata: " + first[:10], first[10:] + b"\r\n\r\n",
            b"event: ping\n\ndata: " + second + b"\n\n", b"data: " + last + b"\n"]
    async with serve(lambda p, b: Reply(headers=SSE, body=body)) as (_server, url):
        backend = create_backend(spec(url, model="m"), client)
        assert [c.text for c in await collect(backend, REQ)] == ["a", "b", "c"]


# -- streaming, cancellation ----------------------------------------------------------------------


async def test_early_stop_closes_the_upstream_response(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(
            headers=SSE,
            body=sse(oai("a"), done=False),
            forever=b'data: {"choices": [{"text": "b", "finish_reason": null}]}\n\n',
        )

    async with serve(handler) as (server, url):
        backend = create_backend(spec(url, model="m"), client)
        got = []
        async with contextlib.aclosing(backend.complete(REQ)) as stream:
            async for chunk in stream:
                got.append(chunk.text)
                if len(got) == 3:
                    break
        await asyncio.wait_for(server.hung_up.wait(), HANG_GUARD_S)
        assert server.hangups == 1

        # the pool still works after the hang-up
        def ok(path: str, body: dict) -> Reply:
            return Reply(headers=SSE, body=sse(oai("z", "stop")))

        server.handler = ok
        assert [c.text for c in await collect(backend, REQ)] == ["z"]
    assert got == ["a", "b", "b"]


async def test_cancelling_the_consumer_task_closes_the_stream(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(headers=NDJSON, body=[], forever=b'{"response": "x", "done": false}\n')

    async with serve(handler) as (server, url):
        backend = create_backend(spec(url, "ollama", model="codegemma:2b-code"), client)
        first = asyncio.Event()

        async def consume() -> None:
            async for _ in backend.complete(REQ):
                first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), HANG_GUARD_S)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(server.hung_up.wait(), HANG_GUARD_S)
    assert backend.health.state is HealthState.OK  # cancellation is not a failure  # type: ignore[attr-defined]


# -- faults: each ends with a clear error, a slow or silent server at the deadline --------------


FAULTS: dict[str, tuple[Reply, type[Exception], str]] = {
    "http 500": (
        Reply(500, {"content-type": "text/plain"}, [b"boom"]),
        ModelResponseError,
        "HTTP 500",
    ),
    "hang": (Reply(hang=True), ModelTimeout, "did not"),
    "slow trickle": (  # 100 s in all, a piece every 0.1 s: only a deadline on the whole ends it
        Reply(headers=SSE, body=sse(*[oai("a")] * 1000), delay_s=0.1),
        ModelTimeout,
        "did not",
    ),
    "truncated": (
        Reply(headers=SSE, body=sse(oai("a"), done=False), truncate=True),
        ModelResponseError,
        "broke off",
    ),
    "invalid json": (
        Reply(headers=SSE, body=[b"data: {not json\n\n"]),
        ModelResponseError,
        "invalid JSON",
    ),
    "10 MB": (
        Reply(headers=SSE, body=[b"data: " + b"x" * (1 << 20)] * 10),
        ModelResponseError,
        "more than",
    ),
    "404 path": (
        Reply(404, {"content-type": "text/plain"}, [b"Not Found"]),
        ModelConfigError,
        "404",
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_faults(fault: str, client: httpx.AsyncClient) -> None:
    reply, error, text = FAULTS[fault]
    async with serve(lambda p, b: reply) as (server, url):
        backend = create_backend(spec(url, model="m", timeout_s=1.0), client)
        with pytest.raises(error, match=text) as info:
            await collect(backend, REQ)
    # No task left behind, once the finalizers of httpx's inner byte iterators have run.
    await settled(lambda: asyncio.all_tasks() == {asyncio.current_task()})
    if fault == "404 path":
        assert f"{url}/v1/completions" in str(info.value)
    # no connection left checked out of the pool
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert not [c for c in pool.connections if not c.is_idle() and not c.is_closed()]


# -- health ---------------------------------------------------------------------------------------


async def test_connection_refused_backoff_and_recovery(client: httpx.AsyncClient) -> None:
    server = FakeServer(lambda p, b: Reply(headers=SSE, body=sse(oai("ok", "stop"))))
    url = await server.start()
    port = int(url.rsplit(":", 1)[1])
    await server.close()  # nothing listens on the port now: connection refused

    events: list[HealthEvent] = []
    sent = count_requests(client)
    backend = create_backend(spec(url, model="m"), client, on_health_change=events.append)
    now = fake_clock(backend)

    with pytest.raises(ModelUnavailable, match="cannot connect"):
        await collect(backend, REQ)
    assert [e.state for e in events] == [HealthState.DOWN] and len(sent) == 1
    for _ in range(3):  # failures without touching the network, no new events
        with pytest.raises(ModelBackoff):
            await collect(backend, REQ)
    assert len(events) == 1 and len(sent) == 1

    now[0] += 1.5  # backoff (1 s) expired: one probe, still refused -> backoff doubles
    with pytest.raises(ModelUnavailable, match="cannot connect"):
        await collect(backend, REQ)
    now[0] += 1.5
    with pytest.raises(ModelBackoff):
        await collect(backend, REQ)
    assert len(events) == 1 and len(sent) == 2

    revived = FakeServer(lambda p, b: Reply(headers=SSE, body=sse(oai("ok", "stop"))))
    revived._server = await asyncio.start_server(revived._serve, "127.0.0.1", port)
    try:
        now[0] += 1.0  # 2 s backoff expired
        assert [c.text for c in await collect(backend, REQ)] == ["ok"]
    finally:
        await revived.close()
    assert [e.state for e in events] == [HealthState.DOWN, HealthState.OK]


async def test_timeouts_degrade_then_down(client: httpx.AsyncClient) -> None:
    events: list[HealthEvent] = []
    async with serve(lambda p, b: Reply(hang=True)) as (_server, url):
        backend = create_backend(
            spec(url, model="m", timeout_s=0.2), client, on_health_change=events.append
        )
        for _ in range(3):
            with pytest.raises(ModelTimeout):
                await collect(backend, REQ)
        with pytest.raises(ModelBackoff):
            await collect(backend, REQ)
    assert [e.state for e in events] == [HealthState.DEGRADED, HealthState.DOWN]


async def test_rate_limit_honours_retry_after(client: httpx.AsyncClient) -> None:
    calls = []

    def handler(path: str, body: dict) -> Reply:
        calls.append(path)
        if len(calls) == 1:
            return Reply(
                429,
                {"retry-after": "0.5", "content-type": "application/json"},
                [b'{"error": {"message": "slow down"}}'],
            )
        return Reply(headers=SSE, body=sse(oai("ok", "stop")))

    events: list[HealthEvent] = []
    async with serve(handler) as (_server, url):
        backend = create_backend(spec(url, model="m"), client, on_health_change=events.append)
        now = fake_clock(backend)
        with pytest.raises(ModelRateLimited) as info:
            await collect(backend, REQ)
        assert info.value.retry_after == 0.5
        now[0] += 0.4
        with pytest.raises(ModelRateLimited):  # blocked locally, the server is not asked
            await collect(backend, REQ)
        assert len(calls) == 1
        now[0] += 0.2  # past the Retry-After
        assert [c.text for c in await collect(backend, REQ)] == ["ok"]
    assert [e.state for e in events] == [HealthState.DEGRADED, HealthState.OK]


async def test_garbage_is_a_response_error(client: httpx.AsyncClient) -> None:
    reply = Reply(headers={"content-type": "application/json"}, body=[b"[1, 2, 3]"])
    async with serve(lambda p, b: reply) as (_server, url):
        backend = create_backend(spec(url, "ollama", model="m"), client)
        with pytest.raises(ModelResponseError, match="not an object"):
            await collect(backend, REQ)


def test_unknown_backends_are_refused_and_ngram_is_created(client: httpx.AsyncClient) -> None:
    with pytest.raises(ModelConfigError, match="unknown backend 'local'"):
        create_backend(ModelSpec("l", "local"), client)  # type: ignore[arg-type]
    ngram = create_backend(ModelSpec("mine", "ngram", ngram_order=3), client)
    assert ngram.name == "mine" and "learns_workspace" in ngram.capabilities


@pytest.mark.parametrize("first", [
    {"token": "a", "logprob": -0.1,
     "top_logprobs": [{"token": "b", "logprob": -2.0}, {"token": "a", "logprob": -0.1}]},
    {"token": "a", "prob": 0.9, "top_probs": [{"token": "a", "prob": 0.9},
                                              {"token": "b", "prob": math.exp(-2.0)}]},
    {"content": "a", "probs": [{"tok_str": "a", "prob": 0.9},
                               {"tok_str": "b", "prob": math.exp(-2.0)}]},
])
def test_llamacpp_top_tokens_in_each_format_the_server_may_send(first: dict[str, Any]) -> None:
    choices = top_choices({"content": "a", "completion_probabilities": [first]})
    assert [c.text for c in choices] == ["a", "b"]
    assert choices[1].logprob == pytest.approx(-2.0)

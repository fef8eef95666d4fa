"""Monitor-guided decoding through the HTTP backends: exact request bodies against the loopback
fake (vLLM regex, OpenAI/Ollama generate-check-repair), and the real llama.cpp engine with a
random-weight model, whose grammar-constrained output after `obj.` is always a real member.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import markers
import pytest
from fakeserver import NDJSON, SSE, Reply, ndjson, oai, serve, sse
from llamacpp.engine import Engine

from typehole.guided import GuidedResult, guided
from typehole.models.base import Backend, CompletionRequest
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec
from typehole.monitors import MonitorSettings

pytestmark = pytest.mark.timeout(120)

DOC = "def f(s: str):\n    return s.┃\n"
# Generous analysis budgets: these tests check what is allowed, not how fast, and a loaded
# machine must not make a cold Jedi fail open.
PATIENT = MonitorSettings(trigger_timeout_ms=60_000)
CHECKED = MonitorSettings(check_unconstrained=True, trigger_timeout_ms=60_000)


async def run(backend: Backend, settings: MonitorSettings = CHECKED,
              doc: str = DOC) -> tuple[str, GuidedResult]:
    marked = markers.parse(doc)
    request = CompletionRequest(marked.prefix, marked.suffix, max_tokens=8, stop=("\n",))
    result = GuidedResult()
    with ThreadPoolExecutor(1) as analysis:
        stream = guided(backend, request, marked.text, marked.offset, analysis,
                        settings=settings, result=result)
        return "".join([c.text async for c in stream]), result


async def test_openai_generate_check_backtrack(client: httpx.AsyncClient) -> None:
    replies = iter([["up", "er()", " + 1"], ["()"]])
    bodies: list[dict[str, Any]] = []

    def handler(path: str, body: dict) -> Reply:
        bodies.append(body)
        return Reply(headers=SSE, body=sse(*[oai(t) for t in next(replies)], oai("", "stop")))

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "openai", url + "/v1", model="tiny", timeout_s=30.0)
        out, result = await run(create_backend(spec, client))
    # "uper" is no member of str: cut after "up", force the closest member, continue.
    assert out == "upper()"
    assert result.corrected and result.rounds == 2 and result.strategy == "check"
    assert bodies[0]["prompt"] == "def f(s: str):\n    return s."
    assert bodies[1]["prompt"] == "def f(s: str):\n    return s.upper"
    assert "grammar" not in bodies[0] and "logit_bias" not in bodies[0]


async def test_unconstrained_backends_are_not_repaired_unless_enabled(
    client: httpx.AsyncClient,
) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(headers=SSE, body=sse(oai("uper()"), oai("", "stop")))

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "openai", url + "/v1", model="tiny", timeout_s=30.0)
        out, result = await run(create_backend(spec, client), PATIENT)
    assert out == "uper()" and not result.corrected and result.rounds == 1


async def test_openai_rounds_are_capped(client: httpx.AsyncClient) -> None:
    calls: list[str] = []

    def handler(path: str, body: dict) -> Reply:
        calls.append(body["prompt"])
        return Reply(headers=SSE, body=sse(oai("() + s.qqq"), oai("", "stop")))

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "openai", url + "/v1", model="tiny", timeout_s=30.0)
        settings = MonitorSettings(
            check_unconstrained=True, max_rounds=2, trigger_timeout_ms=60_000
        )
        out, result = await run(create_backend(spec, client), settings)
    assert len(calls) == 3 and result.rounds == 3 and result.corrected
    assert out.endswith("qqq")  # out of rounds: the last one streams on unchecked


async def test_openai_premature_close_is_cut(client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(headers=SSE, body=sse(oai("1)"), oai("", "stop")))

    doc = "def g(a, b):\n    pass\n\ng(┃\n"
    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "openai", url + "/v1", model="tiny", timeout_s=30.0)
        out, result = await run(create_backend(spec, client), doc=doc)
    assert out == "1" and result.corrected and result.rounds == 1


async def test_ollama_generate_check_backtrack(client: httpx.AsyncClient) -> None:
    replies = iter(["strp()", "()"])
    bodies: list[dict[str, Any]] = []

    def handler(path: str, body: dict) -> Reply:
        bodies.append(body)
        return Reply(
            headers=NDJSON,
            body=ndjson({"response": next(replies), "done": False}, {"response": "", "done": True}),
        )

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "ollama", url, model="tiny", timeout_s=30.0)
        out, result = await run(create_backend(spec, client))
    assert out == "strip()" and result.corrected and result.rounds == 2
    assert bodies[1]["prompt"] == "def f(s: str):\n    return s.strip"
    assert "format" not in bodies[0]


async def _vllm_rounds(client: httpx.AsyncClient, *replies: str,
                       ) -> tuple[str, Any, list[dict[str, Any]]]:
    """The guided run on `PATIENT` against a vLLM-speaking server that answers `replies` in
    turn: the completion, the result and the request bodies."""
    answers = iter(replies)
    bodies: list[dict[str, Any]] = []

    def handler(path: str, body: dict) -> Reply:
        bodies.append(body)
        return Reply(headers=SSE, body=sse(oai(next(answers)), oai("", "stop")))

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "vllm", url + "/v1", model="tiny", fim_template="none",
                         timeout_s=30.0)
        out, result = await run(create_backend(spec, client), PATIENT)
    return out, result, bodies


async def test_vllm_regex_constrains_the_word_after_a_far_miss(client: httpx.AsyncClient) -> None:
    out, result, bodies = await _vllm_rounds(client, "qqq()", "upper()")
    # `qqq` is nothing like a member of str: the model chooses again, under a regex.
    assert out == "upper()" and result.strategy == "regex" and result.corrected
    assert "structured_outputs" not in bodies[0]
    pattern = bodies[1]["structured_outputs"]["regex"]
    assert re.fullmatch(pattern, "upper()") and not re.fullmatch(pattern, "uper()")
    assert not any(k.startswith("guided_") for k in bodies[1])


class _Watched(ThreadPoolExecutor):
    """An analysis executor that says when the first query reached it."""

    def __init__(self) -> None:
        super().__init__(1)
        self.asked = threading.Event()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.asked.set()
        return super().submit(fn, *args, **kwargs)


async def test_the_receivers_members_are_asked_for_while_the_engine_reads_the_prompt(
    client: httpx.AsyncClient,
) -> None:
    """The monitors' first analysis (the members after `s.`) is under way before the engine
    answers the first request, not left until its first token comes: a CPU engine evaluating
    the prompt for seconds hides it."""
    analysis = _Watched()
    asked_before_answer: list[bool] = []

    def handler(path: str, body: dict) -> Reply:
        # The engine "evaluates the prompt" until the analysis has started (a hang guard only).
        asked_before_answer.append(analysis.asked.wait(timeout=30))
        return Reply(headers=SSE, body=sse(oai("upper()"), oai("", "stop")))

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "vllm", url + "/v1", model="tiny", fim_template="none",
                         timeout_s=60.0)
        # A document of its own: a question asked before (the facts' memo) reaches no executor.
        marked = markers.parse("def read_ahead(s: str):\n    return s.┃\n")
        request = CompletionRequest(marked.prefix, marked.suffix, max_tokens=8, stop=("\n",))
        result = GuidedResult()
        with analysis:
            stream = guided(create_backend(spec, client), request, marked.text, marked.offset,
                            analysis, settings=PATIENT, result=result)
            out = "".join([c.text async for c in stream])
    assert asked_before_answer == [True]
    assert out == "upper()" and result.rounds == 1 and not result.corrected


async def test_the_words_a_model_chooses_from_after_a_far_miss_are_no_dunders(
    client: httpx.AsyncClient,
) -> None:
    out, _result, bodies = await _vllm_rounds(client, "qqq()", "upper()")
    # A greedy model under the constraint takes the best legal first token: `__` would win
    # where the model wanted a name that is no member (`proxy.__hash__` for `proxy.headers`).
    pattern = bodies[1]["structured_outputs"]["regex"]
    assert out == "upper()" and re.fullmatch(pattern, "upper()")
    assert not re.fullmatch(pattern, "__len__()")


async def test_after_a_far_miss_the_model_chooses_again_from_the_name_start(
    client: httpx.AsyncClient,
) -> None:
    out, result, bodies = await _vllm_rounds(client, "isxyzw()", "upper()")
    # `is` starts members of str, `isxyzw` is none, nor near one: not a choice among `is*`.
    assert out == "upper()" and result.corrected and result.strategy == "regex"
    assert bodies[1]["prompt"] == "def f(s: str):\n    return s."
    assert re.fullmatch(bodies[1]["structured_outputs"]["regex"], "upper()")


async def test_a_name_whose_start_is_legal_is_repaired_whole(client: httpx.AsyncClient) -> None:
    # `raw_` starts the member `raw_auth`; `raw_headers` is none, but `headers` is its near miss.
    replies = iter([["raw", "_headers", ","], [".copy()"]])
    bodies: list[dict[str, Any]] = []

    def handler(path: str, body: dict) -> Reply:
        bodies.append(body)
        return Reply(headers=SSE, body=sse(*[oai(t) for t in next(replies)], oai("", "stop")))

    doc = ("class Proxy:\n    def __init__(self) -> None:\n        self.raw_auth = None\n"
           "        self.headers = {}\n\n\ndef f(proxy: Proxy):\n    return proxy.┃\n")
    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "openai", url + "/v1", model="tiny", timeout_s=30.0)
        out, result = await run(create_backend(spec, client), doc=doc)
    assert out == "headers.copy()" and result.corrected and result.rounds == 2
    assert bodies[1]["prompt"].endswith("return proxy.headers")
    assert result.round_costs[0].cut == "headers" and result.round_costs[0].forced == "headers"


async def test_a_receiver_known_only_by_dunders_is_left_to_the_model(
        client: httpx.AsyncClient) -> None:
    def handler(path: str, body: dict) -> Reply:
        return Reply(headers=SSE, body=sse(oai("strip() or o"), oai(".foo()"), oai("", "stop")))

    doc = "def f(s: str, o: object):\n    return s.┃\n"
    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "openai", url + "/v1", model="tiny", timeout_s=30.0)
        out, result = await run(create_backend(spec, client), doc=doc)
    # `object` lists only dunders: the analysis does not know what `o` is (a narrowing it
    # missed, a `None` default), so `foo` is neither repaired to a dunder nor cut at the `.`.
    assert out == "strip() or o.foo()" and not result.corrected and result.rounds == 1


async def test_a_near_miss_is_repaired_by_letters_without_a_constraint(
    client: httpx.AsyncClient,
) -> None:
    bodies: list[dict[str, Any]] = []
    replies = iter(["uppr()", "()"])

    def handler(path: str, body: dict) -> Reply:
        bodies.append(body)
        return Reply(headers=SSE, body=sse(oai(next(replies)), oai("", "stop")))

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "vllm", url + "/v1", model="tiny", fim_template="none",
                         timeout_s=30.0)
        out, result = await run(create_backend(spec, client), PATIENT)
    assert out == "upper()" and result.strategy == "check" and result.corrected
    assert not any("structured_outputs" in body for body in bodies)
    assert bodies[1]["prompt"].endswith("return s.upper")


async def test_legal_text_is_sent_without_a_constraint(client: httpx.AsyncClient) -> None:
    bodies: list[dict[str, Any]] = []

    def handler(path: str, body: dict) -> Reply:
        bodies.append(body)
        return Reply(headers=SSE, body=sse(oai("upper()"), oai("", "stop")))

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "vllm", url + "/v1", model="tiny", fim_template="none",
                         timeout_s=30.0)
        out, result = await run(create_backend(spec, client), PATIENT)
    assert out == "upper()" and not result.corrected and result.rounds == 1
    assert "structured_outputs" not in bodies[0]


# -- the real llama.cpp engine -------------------------------------------------------------------


STR_MEMBERS = set(dir(str))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_llamacpp_grammar_output_is_a_real_member(
    native_server: Engine, client: httpx.AsyncClient, seed: int
) -> None:
    spec = ModelSpec("tiny", "llamacpp", native_server.url, context_window=2048, timeout_s=30,
                     fim_template="none")
    backend = create_backend(spec, client)
    text = "def f(s: str):\n    return s."
    request = CompletionRequest(text, "", max_tokens=12, temperature=1.0, extra={"seed": seed})
    result = GuidedResult()
    with ThreadPoolExecutor(1) as analysis:
        out = "".join([c.text async for c in guided(backend, request, text, len(text), analysis,
                                                    result=result, settings=PATIENT)])
    name = re.match(r"\w*", out).group(0)  # type: ignore[union-attr]
    assert result.strategy == "grammar"
    assert name in STR_MEMBERS, out


async def test_llamacpp_unmonitored_output_is_usually_no_member(
    native_server: Engine, client: httpx.AsyncClient
) -> None:
    spec = ModelSpec("tiny", "llamacpp", native_server.url, context_window=2048, timeout_s=30,
                     fim_template="none")
    backend = create_backend(spec, client)
    text = "def f(s: str):\n    return s."
    misses = 0
    for seed in (1, 2, 3):
        request = CompletionRequest(text, "", max_tokens=12, temperature=1.0,
                                    extra={"seed": seed})
        out = "".join([c.text async for c in guided(backend, request, text, len(text), None,
                                                    settings=PATIENT, enabled=False)])
        misses += re.match(r"\w*", out).group(0) not in STR_MEMBERS  # type: ignore[union-attr]
    assert misses >= 2


async def test_a_repair_never_forces_a_dunder_the_model_did_not_start(
    client: httpx.AsyncClient,
) -> None:
    replies = iter([["new_value()"], ["()"]])

    def handler(path: str, body: dict) -> Reply:
        return Reply(headers=SSE, body=sse(*[oai(t) for t in next(replies)], oai("", "stop")))

    doc = "class P:\n    def run(self) -> None:\n        return self.┃\n"
    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "openai", url + "/v1", model="tiny", timeout_s=30.0)
        out, result = await run(create_backend(spec, client), doc=doc)
    # `new_value` is no member of P: the closest by letters would be `__ne__`.
    assert out == "run()" and result.corrected and result.rounds == 2


async def test_a_name_left_unfinished_at_the_end_of_the_stream_is_repaired(
    client: httpx.AsyncClient,
) -> None:
    # The line's end is a stop string the server does not send: `strip` is never followed by
    # the character that would show `stri` is no member.
    replies = iter([["stri"]])
    bodies: list[dict[str, Any]] = []

    def handler(path: str, body: dict) -> Reply:
        bodies.append(body)
        return Reply(headers=SSE, body=sse(*[oai(t) for t in next(replies)], oai("", "stop")))

    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "openai", url + "/v1", model="tiny", timeout_s=30.0)
        out, result = await run(create_backend(spec, client))
    assert out == "strip" and result.corrected and result.unguided == "stri"
    assert len(bodies) == 1  # the model had finished: no request to go on

"""Monitor-guided decoding through the HTTP backends: exact request bodies against the loopback
fake (vLLM regex, OpenAI/Ollama generate-check-repair, llama.cpp's likeliest tokens at a far
miss), the real llama.cpp engine with a random-weight model, whose repaired output after `obj.`
is always a real member, and the n-gram model's exact ranking of its next tokens.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import markers
import pytest
from fakeserver import NDJSON, SSE, Reply, ndjson, oai, serve, sse
from llamacpp.engine import Engine

from typehole.guided import GuidedResult, guided
from typehole.guided.decode import legal_token
from typehole.models.base import Backend, Chunk, CompletionRequest, NextTokens, TokenChoice
from typehole.models.ngram_model import NgramModel
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
async def test_llamacpp_repaired_output_is_a_real_member(
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
    # Repaired by the engine's own likeliest legal token (`n_probs`), or under a grammar.
    assert result.corrected and (result.strategy == "grammar"
                                 or any(c.probe and c.forced for c in result.round_costs))
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


# -- a far miss: the model's likeliest legal token (`top_tokens`) --------------------------------


COUNTER = ("class Counter:\n    def __init__(self) -> None:\n        self.total = 0\n\n"
           "    def bump(self, by: int = 1) -> None:\n        self.total += by\n\n\n"
           "def count(words: list[str]) -> int:\n    c = Counter()\n    for w in words:\n"
           "        c.┃\n    return c.total\n")


def _llamacpp_rounds(replies: list[str], top: list[tuple[str, float]]
                     ) -> tuple[Any, list[dict[str, Any]]]:
    """A llama.cpp server that writes `replies` in turn and answers a one-token request with
    `n_probs` with the candidates `top`; the handler and the bodies it was sent."""
    answers = iter(replies)
    bodies: list[dict[str, Any]] = []

    def handler(path: str, body: dict) -> Reply:
        bodies.append(body)
        if "n_probs" in body:
            listed = [{"id": i, "token": t, "bytes": [], "logprob": lp}
                      for i, (t, lp) in enumerate(top)]
            first = {"id": 0, "token": top[0][0], "bytes": [], "logprob": top[0][1],
                     "top_logprobs": listed}
            event = {"content": top[0][0], "stop": False, "completion_probabilities": [first]}
        else:
            event = {"content": next(answers), "stop": False}
        return Reply(headers=SSE, body=sse(event, {"content": "", "stop": True}, done=False))

    return handler, bodies


async def test_a_far_miss_takes_the_models_likeliest_legal_token(
        client: httpx.AsyncClient) -> None:
    # `update` is no member of Counter, nor near one; among the model's next tokens after `c.`
    # the likeliest that starts a member is `b`, which only `bump` starts: `bump` is forced,
    # with no grammar round, and the next round's prompt is not healed back into it.
    handler, bodies = _llamacpp_rounds(
        ["update(w)", "(w)"], [("update", -0.5), (" total", -1.0), ("b", -2.0), ("total", -3.0)])
    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=30.0)
        out, result = await run(create_backend(spec, client), PATIENT, doc=COUNTER)
    assert out == "bump(w)" and result.corrected and result.rounds == 3
    probe = bodies[1]
    assert probe["n_probs"] == 40 and probe["n_predict"] == 1
    assert probe["prompt"].endswith("        c.") and "grammar" not in probe
    assert bodies[2]["prompt"].endswith("        c.bump") and "grammar" not in bodies[2]
    assert [(c.probe, c.forced) for c in result.round_costs] == [
        (False, None), (True, "bump"), (False, None)]


async def test_a_far_miss_with_no_legal_token_among_the_likeliest_gets_a_grammar_round(
        client: httpx.AsyncClient) -> None:
    handler, bodies = _llamacpp_rounds(["update(w)", "bump(w)"],
                                       [("update", -0.5), (" total", -1.0), ("(", -2.0)])
    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=30.0)
        out, result = await run(create_backend(spec, client), PATIENT, doc=COUNTER)
    assert out == "bump(w)" and result.strategy == "grammar" and result.rounds == 3
    assert "n_probs" in bodies[1] and "grammar" in bodies[2]
    assert result.round_costs[1].probe and result.round_costs[1].forced is None


async def test_a_whole_name_the_model_goes_on_with_is_followed_by_its_likeliest_legal_token(
        client: httpx.AsyncClient) -> None:
    # `bump` is whole; `bump_` starts no member: of what the model would write after `bump`,
    # the likeliest that may follow a name, not the end of the completion.
    handler, bodies = _llamacpp_rounds(["bump_(w)", "w)"], [("_", -0.1), ("(", -0.5)])
    async with serve(handler) as (_server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=30.0)
        out, result = await run(create_backend(spec, client), PATIENT, doc=COUNTER)
    assert out == "bump(w)" and result.rounds == 3
    assert bodies[1]["prompt"].endswith("        c.bump") and "n_probs" in bodies[1]
    assert bodies[2]["prompt"].endswith("        c.bump(") and "grammar" not in bodies[2]


class _Ranked:
    """The n-gram model declaring only that it lists its likeliest next tokens: it writes and
    ranks as ever, but masks nothing, so the monitors check its text and repair it in rounds."""

    name = "ranked"
    capabilities = frozenset({"top_tokens"})

    def __init__(self, model: NgramModel) -> None:
        self.model = model

    def complete(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        return self.model.complete(request)

    async def top_tokens(self, request: CompletionRequest, n: int) -> NextTokens:
        return await self.model.top_tokens(request, n)

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

    async def aclose(self) -> None:
        await self.model.aclose()


# After `c.` the model's likeliest token is `update` (three times), then `bump` (twice).
CALLS = ("def feed(c, words):\n" + "    for w in words:\n        c.update(w)\n" * 3
         + "    for w in words:\n        c.bump(w)\n" * 2 + "    return c.total\n")


async def test_the_far_miss_repair_is_the_models_own_second_choice() -> None:
    model = NgramModel()
    model.train("calls.py", CALLS)
    ranked = _Ranked(model)
    try:
        out, result = await run(ranked, CHECKED, doc=COUNTER)
    finally:
        await ranked.aclose()
    # Its first choice is no member; of its others, `bump` is likelier than `total`.
    assert out == "bump(w)" and result.unguided == ""
    assert [(c.probe, c.cut, c.forced) for c in result.round_costs] == [
        (False, "update", None), (True, "", "bump"), (False, "", None)]


@pytest.mark.parametrize(("choices", "partial", "whole", "expected"), [
    # The likeliest token that starts a legal word; a space or an operator starts none.
    ([" total", "(", "b", "total"], "", False, "bump"),
    # Only `bump` starts with `b`: the whole word. `get` starts two: the token, the model goes on.
    (["get"], "", False, "get"),
    # ... unless the stream had ended: then a whole word (`get` is one).
    (["get"], "", True, "get"),
    (["ge"], "", True, "get"),
    # After the letters the name has, the token continues them.
    (["al", "otal"], "t", False, "otal"),
    (["update", " bump"], "", False, None),
    # A whole name the model wanted to go on with: what may follow the name.
    (["_list", "(", "s"], "get", False, "("),
    (["_list", "s"], "get", False, None),
])
def test_the_legal_token_is_the_likeliest_that_starts_a_word(
        choices: list[str], partial: str, whole: bool, expected: str | None) -> None:
    words = ["bump", "get", "get_all", "total"]
    ranked = [TokenChoice(text, -float(i)) for i, text in enumerate(choices)]
    assert legal_token(ranked, partial, words, whole=whole) == expected


async def test_the_ngram_model_ranks_its_next_tokens_exactly() -> None:
    model = NgramModel()
    model.train("calls.py", CALLS)
    prefix = "def count(words):\n    for w in words:\n        c."
    try:
        found = await model.top_tokens(CompletionRequest(prefix), 3)
        exact = model.next_token_distribution(model.tokenize(prefix)[-3:], 3)
    finally:
        await model.aclose()
    assert [c.text for c in found.choices] == list(exact) == ["update", "bump", "total"]
    assert [c.logprob for c in found.choices] == pytest.approx(
        [math.log(p) for p in exact.values()])

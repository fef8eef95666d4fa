"""Token healing of prefix-only prompts: where the prompt is cut, the grammar, the stream.

The healed completions of a real model are golden cases in tests/golden/real_model (`heal_*`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fakeserver import SSE, Reply, serve, sse

from typehole.models.base import CompletionRequest
from typehole.models.healing import heal
from typehole.models.http import create_client
from typehole.models.ngram_model import NgramModel
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    ("prompt", "kept", "rewritten"),
    [
        ("def f():\n    ", "def f():\n", "    "),  # the cursor's indentation
        ("def f():\n    ret", "def f():\n", "    ret"),  # a word after the indentation
        ("x = self.ite", "x = self.", "ite"),  # a half-typed member
        ("x = ", "x =", " "),  # after a space
        ("\tif a:\n\t\t", "\tif a:\n", "\t\t"),
    ],
)
def test_heal_cuts_trailing_spaces_and_word(prompt: str, kept: str, rewritten: str) -> None:
    healing = heal(prompt)
    assert healing is not None and (healing.prompt, healing.text) == (kept, rewritten)


@pytest.mark.parametrize("prompt", ["", "x = 1\n", "f(", "a.b.", 'print("'])
def test_no_healing_at_a_token_boundary(prompt: str) -> None:
    assert heal(prompt) is None


def test_grammar_rewrites_the_cut_text_then_wants_code_after_whitespace() -> None:
    healing = heal("def f():\n\t")
    assert healing is not None
    assert healing.grammar() == 'root ::= "\\t" [^ \\t\\r\\n] heal-any\nheal-any ::= [^\\x00]*\n'
    word = heal("x = fo")
    assert word is not None
    assert word.grammar() == 'root ::= " fo" heal-any\nheal-any ::= [^\\x00]*\n'


def test_grammar_composes_with_a_monitor_grammar() -> None:
    inner = 'root ::= word tail?\nword ::= "o" | "obar"\ntail ::= [^a-z] rest\nrest ::= [^\\x00]*\n'
    healing = heal("x = fo")
    assert healing is not None
    assert healing.grammar(inner) == (
        'root ::= " fo" heal-inner\nheal-inner ::= word tail?\nword ::= "o" | "obar"\n'
        "tail ::= [^a-z] rest\nrest ::= [^\\x00]*\n"
    )
    # A grammar that refers to its own root cannot be renamed safely: no healing.
    assert healing.grammar('root ::= "(" root ")" | "x"\n') is None
    assert healing.grammar('root ::= "root" | "x"\n') is not None  # a literal is not a rule


def test_rewritten_text_is_removed_from_the_stream() -> None:
    healing = heal("    ret")
    assert healing is not None
    stream = healing.remover()
    assert [stream.feed(c) for c in ["  ", "  re", "turn x", " + 1"]] == ["", "", "urn x", " + 1"]
    other = healing.remover()
    assert other.feed("     return") == "" and other.failed and other.feed("x") == ""


def _server(pieces: list[str]):  # noqa: ANN202 - a fakeserver handler
    def handler(path: str, body: dict) -> Reply:
        events = [{"content": p, "stop": False} for p in pieces]
        return Reply(headers=SSE, body=sse(*events, {"content": "", "stop": True}, done=False))

    return handler


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    c = create_client()
    yield c
    await c.aclose()


async def test_llamacpp_prefix_only_request_is_healed(client: httpx.AsyncClient) -> None:
    async with serve(_server(["    ", "    return", " total", "\n"])) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=5)
        backend = create_backend(spec, client)
        request = CompletionRequest("def f(total):\n        ", max_tokens=16)
        text = "".join([c.text async for c in backend.complete(request)])
    body = server.requests[0][1]
    assert body["prompt"] == "def f(total):\n"
    assert body["grammar"].startswith('root ::= "        " [^ \\t\\r\\n]')
    assert body["n_predict"] > 16  # room to write the cut text again
    assert text == "return total\n"


@pytest.mark.parametrize(
    ("written", "completion"),
    [
        (["items", "[0]"], "ms[0]"),
        (["self.", "items"], ""),  # not what was typed (a server ignoring grammars): nothing
    ],
)
async def test_llamacpp_heals_under_a_monitor_grammar(
    client: httpx.AsyncClient, written: list[str], completion: str
) -> None:
    async with serve(_server(written)) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=5)
        backend = create_backend(spec, client)
        grammar = 'root ::= word tail?\nword ::= "ms"\ntail ::= [^a-z] rest\nrest ::= [^\\x00]*\n'
        request = CompletionRequest("x = self.ite", extra={"grammar": grammar})
        text = "".join([c.text async for c in backend.complete(request)])
    body = server.requests[0][1]
    assert body["prompt"] == "x = self." and body["grammar"].startswith('root ::= "ite" heal-inner')
    assert text == completion


async def test_fim_requests_are_not_healed(client: httpx.AsyncClient) -> None:
    async with serve(_server(["x"])) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="starcoder", timeout_s=5)
        backend = create_backend(spec, client)
        chunks = [c async for c in backend.complete(CompletionRequest("def f():\n    ", "\n"))]
    body = server.requests[0][1]
    assert "grammar" not in body
    assert body["prompt"].endswith("def f():\n    <fim_suffix>\n<fim_middle>")
    assert [c.text for c in chunks] == ["x"]


async def test_a_prompt_said_to_end_at_a_token_boundary_is_not_healed(
        client: httpx.AsyncClient) -> None:
    """After a name a repair wrote in full (`items`), the prompt goes as it is: healing would
    cut the name off and let the model write a longer one."""
    async with serve(_server(["[0]"])) as (server, url):
        spec = ModelSpec("m", "llamacpp", url, fim_template="none", timeout_s=5)
        backend = create_backend(spec, client)
        request = CompletionRequest("x = self.items", at_token_end=True)
        text = "".join([c.text async for c in backend.complete(request)])
    body = server.requests[0][1]
    assert body["prompt"] == "x = self.items" and "grammar" not in body
    assert text == "[0]"


async def test_the_ngram_model_heals_no_prompt_said_to_end_at_a_token_boundary() -> None:
    model = NgramModel()
    model.train("a.py", "x = self.items_list[0]\nx = self.items_list[1]\n")
    try:
        healed, whole = ["".join([c.text async for c in model.complete(
            CompletionRequest("x = self.items", max_tokens=2, at_token_end=end))])
            for end in (False, True)]
    finally:
        await model.aclose()
    # Healed, `items` is the start of `items_list`; whole, it is a name the model never saw.
    assert healed.startswith("_list") and not whole.startswith("_list")

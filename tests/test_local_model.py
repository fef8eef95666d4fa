"""The embedded n-gram model: exact probabilities, incremental training, decoding behaviour."""

from __future__ import annotations

import asyncio
import math
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typehole.base import lexer
from typehole.models.base import (
    Backend,
    Chunk,
    CompletionRequest,
    GuidedBackend,
    TopTokens,
    WorkspaceLearner,
)
from typehole.models.errors import ModelUnavailable
from typehole.models.ngram_model import START, NgramModel

SERVICE = '''\
"""A tiny service layer."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class User:
    def __init__(self, name: str, email: str) -> None:
        self.name = name
        self.email = email

    def __repr__(self) -> str:
        return f"User({self.name!r})"


class Store:
    def __init__(self, path: str) -> None:
        self.path = path
        self.users: dict[str, User] = {}

    def add(self, user: User) -> None:
        if user.name in self.users:
            raise ValueError(user.name)
        self.users[user.name] = user
        logger.info("added %s", user.name)

    def get(self, name: str) -> User | None:
        return self.users.get(name)
'''

CLIENT = """\
from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class Client:
    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url
        self.timeout = timeout

    def url(self, path: str) -> str:
        return self.base_url + path

    def close(self) -> None:
        logger.info("closed %s", self.base_url)
"""

CORPUS = {"service.py": SERVICE, "client.py": CLIENT}


def trained(order: int = 4, **files: str) -> NgramModel:
    model = NgramModel(order=order)
    for path, text in (files or CORPUS).items():
        model.train(path, text)
    return model


async def complete(model: NgramModel, prefix: str, **kw: object) -> list[Chunk]:
    return [chunk async for chunk in model.complete(CompletionRequest(prefix=prefix, **kw))]


def text_of(chunks: list[Chunk]) -> str:
    return "".join(c.text for c in chunks)


def contexts_of(texts: list[str], order: int) -> list[list[str]]:
    """Every context the model could be asked about in `texts`, start-of-file ones included."""
    out = []
    for text in texts:
        tokens = [START] * (order - 1) + lexer.lex(text)
        out.extend(tokens[i - order + 1 : i] for i in range(order - 1, len(tokens) + 1))
    return out


# ------------------------------------------------------------------------------- probabilities


def test_implements_the_backend_protocols() -> None:
    model = NgramModel()
    assert isinstance(model, Backend)
    assert isinstance(model, GuidedBackend) and isinstance(model, WorkspaceLearner)
    assert isinstance(model, TopTokens)
    assert model.name == "ngram"
    assert model.capabilities == {"exact_masks", "top_tokens", "tokenizer", "learns_workspace"}


def test_witten_bell_by_hand() -> None:
    # Tokens: x " " y " " x " " z; after "x": " " twice, one distinct follower.
    model = trained(order=2, a="x y x z")
    # Unigram with add-one: (count + 1) / (7 tokens + 4 types + 1 unseen bucket).
    p_space = (3 + 1) / 12
    p_y = (1 + 1) / 12
    assert model.token_probability(["x"], " ") == pytest.approx((2 + 1 * p_space) / (2 + 1))
    assert model.token_probability(["x"], "y") == pytest.approx((0 + 1 * p_y) / (2 + 1))
    assert model.token_probability(["x"], "never") == pytest.approx((1 / 12) / 3)
    assert model.token_probability(["unseen"], "y") == pytest.approx(p_y)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 6])
def test_probabilities_sum_to_one_over_the_vocabulary(order: int) -> None:
    model = trained(order=order)
    vocabulary = {t for text in CORPUS.values() for t in lexer.lex(text)}
    for context in contexts_of(list(CORPUS.values()), order)[::7]:
        probs = [model.token_probability(context, t) for t in vocabulary]
        unseen = model.token_probability(context, "<never seen>")
        assert all(0 < p <= 1 for p in probs)
        assert math.fsum(probs) + unseen == pytest.approx(1.0, abs=1e-9)


def test_distribution_matches_token_probability_and_is_ranked() -> None:
    model = trained()
    for context in contexts_of([SERVICE], 4)[::5]:
        dist = model.next_token_distribution(context)
        assert dist
        values = list(dist.values())
        assert values == sorted(values, reverse=True)
        assert all(0 < p <= 1 for p in values)
        assert math.fsum(values) <= 1 + 1e-9
        for token, p in dist.items():
            assert p == pytest.approx(model.token_probability(context, token), rel=1e-9)


def test_distribution_holds_the_true_top_tokens() -> None:
    model = trained()
    vocabulary = {t for text in CORPUS.values() for t in lexer.lex(text)}
    for context in contexts_of([CLIENT], 4)[::3]:
        dist = model.next_token_distribution(context, limit=5)
        best = sorted(vocabulary, key=lambda t: -model.token_probability(context, t))[:5]
        assert len(dist) == 5
        assert list(dist.values()) == pytest.approx(
            [model.token_probability(context, t) for t in best]
        )


def test_untrained_model_is_empty_not_an_error() -> None:
    model = NgramModel()
    assert model.next_token_distribution(["x"]) == {}
    assert 0 < model.token_probability(["x"], "y") <= 1


async def test_untrained_model_completes_nothing() -> None:
    model = NgramModel()
    assert await complete(model, "def f(") == []
    await model.aclose()


# ----------------------------------------------------------------------------------- training


def assert_same_model(a: NgramModel, b: NgramModel, texts: list[str]) -> None:
    assert a.stats() == {**b.stats(), "evicted_files": a.stats()["evicted_files"]}
    for context in contexts_of(texts, a.order):
        assert a.next_token_distribution(context) == b.next_token_distribution(context)


def test_replace_and_remove_equal_training_from_scratch() -> None:
    edited = SERVICE.replace("raise ValueError(user.name)", "return\n        # replaced")
    model = trained()
    model.train("extra.py", "x = 1\n")
    model.train("service.py", edited)
    model.remove("extra.py")
    model.remove("missing.py")
    scratch = trained(**{"client.py": CLIENT, "service.py": edited})
    assert sorted(model.files) == ["client.py", "service.py"]
    assert_same_model(model, scratch, [edited, CLIENT, SERVICE])


def test_removing_everything_forgets_the_vocabulary() -> None:
    model = trained()
    for path in list(model.files):
        model.remove(path)
    stats = model.stats()
    assert stats["files"] == stats["tokens"] == stats["vocabulary"] == 0
    assert stats["contexts_1"] == stats["contexts_2"] == stats["contexts_3"] == 0


edits = st.lists(
    st.tuples(
        st.sampled_from(["a.py", "b.py", "c.py"]),
        st.one_of(st.none(), st.text(st.sampled_from(list("ab (:)\n  x=1")), max_size=40)),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(edits, st.integers(min_value=1, max_value=5))
def test_any_edit_sequence_equals_training_from_scratch(
    ops: list[tuple[str, str | None]], order: int
) -> None:
    model = NgramModel(order=order)
    final: dict[str, str] = {}
    for path, text in ops:
        if text is None:
            model.remove(path)
            final.pop(path, None)
        else:
            model.train(path, text)
            final[path] = text
    scratch = NgramModel(order=order)
    for path, text in final.items():
        scratch.train(path, text)
    assert sorted(model.files) == sorted(final)
    assert_same_model(model, scratch, list(final.values()))


def test_least_recently_trained_files_are_evicted_over_the_cap() -> None:
    model = NgramModel(max_total_tokens=40)
    model.train("a.py", "a = 1\n" * 3)  # 18 tokens each
    model.train("b.py", "b = 2\n" * 3)
    model.train("a.py", "a = 1\n" * 3)  # retraining makes a.py the most recent
    model.train("c.py", "c = 3\n" * 3)
    assert model.files == ["a.py", "c.py"]
    assert model.stats()["tokens"] == 36
    assert model.stats()["evicted_files"] == 1


def test_long_files_are_truncated_to_the_per_file_cap() -> None:
    model = NgramModel(max_tokens_per_file=10)
    model.train("a.py", "x = 1\n" * 100)
    assert model.stats()["tokens"] == 10


async def test_async_training_wrappers() -> None:
    model = NgramModel()
    await model.atrain("client.py", CLIENT)
    assert model.files == ["client.py"]
    await model.aremove("client.py")
    assert model.files == []
    await model.aclose()


# ---------------------------------------------------------------------------------- completion


async def test_continues_a_pattern_seen_in_training() -> None:
    model = trained()
    out = text_of(await complete(model, "class Job:\n    def __init__(self"))
    assert out.startswith((", ", ")")), out
    prompt = "import logging\n\nlogger = logging."
    assert text_of(await complete(model, prompt, max_tokens=4)) == "getLogger(__name__)"
    await model.aclose()


async def test_a_half_typed_last_token_is_completed() -> None:
    model = trained()
    out = text_of(await complete(model, "class Job:\n    def __in", max_tokens=3))
    assert out.startswith("it__(self"), out
    await model.aclose()


async def test_first_token_is_the_argmax_with_its_logprob() -> None:
    model = trained()
    prefix = "    def url(self, path: str) -> str:\n        return "
    context = lexer.lex(prefix)[-3:]
    (chunk,) = await complete(model, prefix, max_tokens=1)
    dist = model.next_token_distribution(context)
    assert chunk.text == "self"
    assert next(iter(dist)) == "self"
    assert chunk.logprob == pytest.approx(math.log(dist["self"]))
    await model.aclose()


async def test_completion_is_deterministic() -> None:
    prompts = ["import ", "class A:\n    def ", "        self.", "logger = "]
    first = [text_of(await complete(trained(), p)) for p in prompts]
    again = [text_of(await complete(trained(), p)) for p in prompts]
    assert first == again
    assert all(first)


async def test_sampling_is_seeded() -> None:
    model = trained()
    runs = [
        text_of(await complete(model, "class A:\n", temperature=0.8, extra={"seed": s}))
        for s in (1, 1, 2)
    ]
    assert runs[0] == runs[1]
    await model.aclose()


async def test_max_tokens_bounds_the_output() -> None:
    model = trained()
    prompt = "class Job:\n    def __init__(self"
    outs = [text_of(await complete(model, prompt, max_tokens=k)) for k in range(0, 8)]
    assert outs[0] == ""
    for shorter, longer in zip(outs, outs[1:], strict=False):
        assert longer.startswith(shorter)
        assert len(longer) > len(shorter)


@pytest.mark.parametrize("stop", ["\n", ": ", ") -> ", "("])
async def test_stop_string_ends_the_text_before_it(stop: str) -> None:
    model = trained()
    prompt = "class Job:\n    def __init__(self, "
    full = text_of(await complete(model, prompt, max_tokens=40))
    assert stop in full  # precondition: the stop string does occur
    out = text_of(await complete(model, prompt, max_tokens=40, stop=("never", stop)))
    assert out == full[: full.index(stop)]


async def test_a_degenerate_loop_stops_early() -> None:
    model = trained(a="a b a b a b a b a b a b a b\n")
    chunks = await complete(model, "a b", max_tokens=1000)
    assert 0 < len(lexer.lex(text_of(chunks))) <= 8


async def test_cancelling_the_consumer_stops_the_work() -> None:
    model = trained()
    steps = 0
    original = model._steps
    first = asyncio.Event()

    def counting_steps(*args):  # type: ignore[no-untyped-def]
        nonlocal steps
        steps += 1
        return original(*args)

    model._steps = counting_steps  # type: ignore[method-assign]

    async def consume() -> None:
        # Sampling never settles into a greedy cycle, so only cancellation ends this.
        request = CompletionRequest(prefix="class A:\n", max_tokens=10**9, temperature=1.5)
        async for _ in model.complete(request):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), timeout=60)  # a hang guard
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await model.atrain("x.py", "x = 1\n")  # the executor is free again
    seen = steps
    # Another trip through the model's single worker: a decoder still running would have
    # queued its next batch of steps ahead of it.
    await model.atrain("y.py", "y = 1\n")
    assert steps == seen
    await model.aclose()


async def test_only_the_tail_of_a_long_prefix_is_lexed(monkeypatch: pytest.MonkeyPatch) -> None:
    model = trained()
    lengths: list[int] = []
    real_lex = lexer.lex

    def recording_lex(text: str) -> list[str]:
        if threading.current_thread() is not threading.main_thread():
            lengths.append(len(text))
        return real_lex(text)

    monkeypatch.setattr(lexer, "lex", recording_lex)
    prefix = SERVICE * 500 + "class Job:\n    def __init__(self"
    out = text_of(await complete(model, prefix, max_tokens=2))
    assert out.startswith((", ", ")"))
    assert lengths and max(lengths) < 10_000
    await model.aclose()


async def test_closed_model_is_unavailable() -> None:
    model = trained()
    await model.aclose()
    with pytest.raises(ModelUnavailable):
        await complete(model, "x")
    assert model.count_tokens("a == b") == 5

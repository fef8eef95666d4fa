"""The error-round loop against a real inference engine: llama.cpp's server serving a tiny
random-weight GGUF (tests/llamacpp/engine.py), decoding under monitors.

Random weights write garbage, so these tests check the loop, never quality: it terminates within
its rounds, every candidate's errors are reported (positioned inside the candidate), the errors
of one round reach the engine in the next request, the best candidate's remaining errors are
kept, and the edit replaces only the hole. They skip when the engine is not installed
(`pip install -e '.[test,embedded]'`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from llamacpp.engine import Engine, tiny_engine

from typehole.features.fill import (
    Candidate,
    CheckOptions,
    FillHole,
    FillOptions,
    FillResult,
    fill,
    find_hole,
    result_json,
)
from typehole.features.fill import run as fill_run
from typehole.guided import GuidedResult
from typehole.models.base import Backend, Chunk, CompletionRequest
from typehole.models.http import create_client
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec

pytestmark = pytest.mark.timeout(120)

SOURCE = '''from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float


def total(items: list[Item]) -> float:
    """Sum the prices of the items."""
    ...


def count(items: list[Item]) -> int: ...


def cheapest(items: list[Item]) -> Item:
    best = ...
    for item in items:
        # TODO: keep the item with the lowest price
        pass
    return best


def after() -> int:
    return 1
'''
# 0-based line of each hole form in SOURCE
HOLES = {"body": 11, "one-line body": 14, "expression": 18, "todo": 20}
CHECK = CheckOptions(type_checker="none")  # the loop is under test, not mypy's start-up time


@pytest.fixture(scope="module")
def native_server() -> Iterator[Engine]:
    """llama.cpp's server on the tiny model."""
    yield from tiny_engine()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    c = create_client()
    yield c
    await c.aclose()


@pytest.fixture
def guided_runs(monkeypatch: pytest.MonkeyPatch) -> list[GuidedResult]:
    """What the monitors did for each generation the fill made (the real `guided`, observed)."""
    runs: list[GuidedResult] = []
    real = fill_run.guided
    assert real is not None, "the monitors package is part of this checkout"

    def spy(*args: Any, **kwargs: Any) -> AsyncIterator[Chunk]:
        result = GuidedResult()
        runs.append(result)
        return real(*args, **kwargs, result=result)

    monkeypatch.setattr(fill_run, "guided", spy)
    return runs


def tiny(engine: Engine, client: httpx.AsyncClient) -> Backend:
    spec = ModelSpec("tiny", "llamacpp", engine.url, context_window=2048, timeout_s=30)
    return create_backend(spec, client)


class Sampled:
    """The backend with sampling on and a new seed per request, so rounds write different text
    (greedy decoding of a random model often answers every round alike, which ends the loop
    early). Capabilities pass through, so the monitors treat it as the engine itself."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = "tiny-sampled"
        self.capabilities = getattr(inner, "capabilities", frozenset())
        self.seed = 0

    def complete(self, request: CompletionRequest) -> AsyncIterator[Chunk]:
        self.seed += 1
        return self.inner.complete(
            replace(request, temperature=1.0, extra={**request.extra, "seed": self.seed})
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def bodies(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Record the JSON body of every request the client sends to the engine."""
    seen: list[dict[str, Any]] = []

    async def hook(request: httpx.Request) -> None:
        if request.method == "POST" and request.content:
            seen.append(json.loads(request.content))

    client.event_hooks["request"] = [hook]
    return seen


def applied(text: str, result: FillResult) -> str:
    assert result.new_text is not None
    return text[: result.hole.start] + result.new_text + text[result.hole.end :]


def usable(result: FillResult) -> list[Candidate]:
    """The candidates the loop may offer: not empty, not still a placeholder."""
    return [
        c
        for c in result.candidates
        if c.text.strip() and not any(f.code in ("empty", "stub") for f in c.findings)
    ]


def assert_reported(result: FillResult) -> None:
    """Every candidate carries its findings, each positioned inside that candidate."""
    for c in result.candidates:
        for f in c.findings:
            assert 0 <= f.start <= f.end <= len(c.text), (f, c.text)
            assert f.line == c.text.count("\n", 0, f.start) + 1
            assert f.message and f.source in ("syntax", "pyflakes", "jedi")


def assert_only_the_hole(text: str, hole: FillHole, result: FillResult) -> None:
    """The edit's range is the hole's, and everything around it is byte for byte unchanged."""
    new = applied(text, result)
    assert new.startswith(text[: hole.start]) and new.endswith(text[hole.end :])
    out = result_json(text, result)
    edit = out["edit"]
    assert edit["new_text"] == result.new_text
    assert edit["range"]["start"]["line"] == text.count("\n", 0, hole.start)
    assert edit["range"]["end"]["line"] == text.count("\n", 0, hole.end)
    if hole.kind == "expression":
        assert "\n" not in result.new_text  # type: ignore[operator]
    else:
        # A body never leaves its indentation: the function after it is still the next `def`.
        inserted = result.new_text.lstrip("\n").split("\n")  # type: ignore[union-attr]
        assert all(not line.strip() or line.startswith(hole.indent) for line in inserted[1:])
        assert inserted[0].startswith(hole.indent) or hole.lead.endswith(hole.indent)
    assert out["remaining_errors"] == [f.to_json() for f in result.best.findings]  # type: ignore[union-attr]


@pytest.mark.parametrize("form", sorted(HOLES))
async def test_the_loop_terminates_under_monitors_and_edits_only_the_hole(
    native_server: Engine, client: httpx.AsyncClient, guided_runs: list[GuidedResult], form: str
) -> None:
    hole = find_hole(SOURCE, HOLES[form])
    assert hole is not None
    sent = bodies(client)
    options = FillOptions(rounds=2, max_tokens=48, check=CHECK)
    result = await fill(SOURCE, hole, tiny(native_server, client), options=options)
    # Terminates: at most 1 + rounds attempts, one generation (under the monitors) per attempt.
    assert 1 <= len(result.candidates) <= options.rounds + 1
    assert result.rounds == len(result.candidates) - 1
    assert [c.round for c in result.candidates] == list(range(len(result.candidates)))
    assert len(guided_runs) == len(result.candidates)
    assert all(r.strategy in ("check", "grammar") for r in guided_runs), guided_runs
    assert len(sent) >= len(result.candidates)
    assert_reported(result)
    # Stopping early is explained: a clean candidate, or the model repeating its errors.
    if len(result.candidates) < options.rounds + 1:
        assert not result.candidates[-1].findings or any("repeated" in n for n in result.notes)
    if result.best is None:
        assert all(not c.text.strip() or c.findings for c in result.candidates)
        return
    assert_only_the_hole(SOURCE, hole, result)
    assert len(result.best.findings) == min(len(c.findings) for c in usable(result))


async def test_each_round_sends_the_previous_errors_to_the_engine(
    native_server: Engine, client: httpx.AsyncClient, guided_runs: list[GuidedResult]
) -> None:
    hole = find_hole(SOURCE, HOLES["body"])
    assert hole is not None
    sent = bodies(client)
    backend = Sampled(tiny(native_server, client))
    result = await fill(
        SOURCE,
        hole,
        backend,  # type: ignore[arg-type]
        options=FillOptions(rounds=2, max_tokens=48, check=CHECK),
    )
    assert len(result.candidates) <= 3 and result.rounds == len(result.candidates) - 1
    assert all(r.strategy in ("check", "grammar") for r in guided_runs)
    assert_reported(result)
    if not result.candidates[0].findings:
        pytest.skip("the random model wrote a clean body at once: no error round to observe")
    assert result.rounds >= 1, result.notes
    prompts = [json.dumps(b) for b in sent]
    first_error = result.candidates[0].findings[0].message
    # The first request knows nothing of errors; a later one carries round 0's findings.
    assert "static errors were discovered" not in prompts[0]
    assert any(
        "static errors were discovered" in p and json.dumps(first_error)[1:-1] in p
        for p in prompts[1:]
    )
    # Remaining errors are kept with the best candidate, never hidden.
    assert result.best is not None and result.best in result.candidates
    assert len(result.best.findings) == min(len(c.findings) for c in usable(result))
    assert_only_the_hole(SOURCE, hole, result)


async def test_an_engine_that_answers_alike_stops_early(
    native_server: Engine, client: httpx.AsyncClient
) -> None:
    # Greedy decoding, many rounds allowed: the loop ends once the model repeats itself.
    hole = find_hole(SOURCE, HOLES["body"])
    assert hole is not None
    result = await fill(
        SOURCE,
        hole,
        tiny(native_server, client),
        options=FillOptions(rounds=5, max_tokens=32, check=CHECK),
    )
    assert len(result.candidates) <= 6
    if result.candidates[-1].findings:
        assert len(result.candidates) < 6 or any("repeated" in n for n in result.notes)
        assert result.best is None or result.best.findings  # shown, never hidden


def test_cli_fills_with_the_engine(native_server: Engine, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'demo'\n\n[tool.typehole]\nmodel = 'tiny'\n\n"
        f"[tool.typehole.models.tiny]\nbackend = 'llamacpp'\nurl = '{native_server.url}'\n"
        "context_window = 2048\ntimeout_s = 30\n",
        encoding="utf-8",
    )
    path = tmp_path / "shop.py"
    path.write_text(SOURCE, encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "typehole",
            "fill",
            f"{path}:{HOLES['body'] + 1}",
            "--json",
            "--rounds",
            "1",
            "--type-checker",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert 1 <= len(out["candidates"]) <= 2 and out["rounds"] == len(out["candidates"]) - 1
    if out["edit"] is not None:
        assert out["edit"]["range"]["start"]["line"] == HOLES["body"]
        assert out["edit"]["range"]["end"]["line"] == HOLES["body"]
        best = min(out["candidates"], key=lambda c: len(c["errors"]))
        assert len(out["remaining_errors"]) == len(best["errors"])


# -- garbage the way a random model writes it, without the engine ------------------------------


@pytest.mark.parametrize(
    ("form", "candidate", "message"),
    [
        # A stray `"""` can pair with a later docstring: the fill must parse on its own.
        ("body", '"""\n    total = 0', "syntax error"),
        ("body", "return sum(\n        item.price", "syntax error"),
        ("expression", "min(items", "EOF in multi-line statement in the fill"),
        ("expression", '"""x', "syntax error"),
    ],
)
def test_a_fill_that_opens_and_never_closes_is_an_error(
    form: str, candidate: str, message: str
) -> None:
    from typehole.features.fill import check_candidate

    text = SOURCE.replace("def after() -> int:\n", 'def after() -> int:\n    """One."""\n')
    hole = find_hole(text, HOLES[form])
    assert hole is not None
    findings, _ = check_candidate(text, hole, candidate, CHECK)
    assert findings and findings[0].code == "E999", findings
    assert message in findings[0].message
    assert 0 <= findings[0].start <= len(candidate)

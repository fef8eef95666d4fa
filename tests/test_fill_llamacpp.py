"""The error-round loop against a real inference engine: llama.cpp's `llama-server` serving a
tiny random-weight GGUF (tests/llamacpp/engine.py), decoding under monitors.

Random weights write garbage, so these tests check the loop, never quality: it terminates within
its rounds, every candidate's errors are reported (positioned inside the candidate), the errors
of one round reach the engine in the next request, the best candidate's remaining errors are
kept, and the edit replaces only the hole. They skip when the engine is not installed (CI runs
scripts/llamacpp_wheel.sh first).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fill_results import (
    assert_best_is_the_least_wrong,
    assert_edit_touches_only_the_hole,
    assert_reported,
    assert_stop_explained,
)
from llamacpp.engine import Engine

from typehole.features.fill import CheckOptions, FillOptions, fill, find_hole
from typehole.features.fill import run as fill_run
from typehole.guided import GuidedResult
from typehole.models.base import Backend, Chunk, CompletionRequest
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


@pytest.mark.parametrize("form", sorted(HOLES))
async def test_the_loop_terminates_under_monitors_and_edits_only_the_hole(
    native_server: Engine, client: httpx.AsyncClient, guided_runs: list[GuidedResult], form: str
) -> None:
    hole = find_hole(SOURCE, HOLES[form])
    assert hole is not None
    sent = bodies(client)
    options = FillOptions(rounds=2, max_tokens=48, check=CHECK)
    result = await fill(SOURCE, hole, tiny(native_server, client), options=options)
    # Terminates: at most 1 + rounds attempts, each stop explained (clean, repeated, or out of
    # rounds), one generation (under the monitors) per attempt.
    assert_stop_explained(result, options.rounds)
    assert len(guided_runs) == len(result.candidates)
    assert all(r.strategy in ("check", "grammar") for r in guided_runs), guided_runs
    assert len(sent) >= len(result.candidates)
    assert_reported(result)
    assert_best_is_the_least_wrong(result)
    assert_edit_touches_only_the_hole(SOURCE, hole, result)


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
    assert_stop_explained(result, 2)
    assert all(r.strategy in ("check", "grammar") for r in guided_runs)
    assert_reported(result)
    assert_best_is_the_least_wrong(result)
    assert_edit_touches_only_the_hole(SOURCE, hole, result)
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


async def test_an_engine_that_answers_alike_stops_early(
    native_server: Engine, client: httpx.AsyncClient
) -> None:
    # Greedy decoding, many rounds allowed: the loop ends once the model repeats itself (or
    # writes a clean body), never later; what is left wrong stays with the best candidate.
    hole = find_hole(SOURCE, HOLES["body"])
    assert hole is not None
    result = await fill(
        SOURCE,
        hole,
        tiny(native_server, client),
        options=FillOptions(rounds=5, max_tokens=32, check=CHECK),
    )
    assert_stop_explained(result, 5)
    assert_best_is_the_least_wrong(result)
    assert_edit_touches_only_the_hole(SOURCE, hole, result)


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
    offered = [
        c for c in out["candidates"]
        if c["text"].strip() and not any(e["code"] in ("empty", "stub") for e in c["errors"])
    ]
    # An edit exactly when something usable was written; its errors are the fewest, shown.
    assert (out["edit"] is None) == (not offered)
    assert len(out["remaining_errors"]) == min((len(c["errors"]) for c in offered), default=0)
    edit = out["edit"]
    assert edit is None or (
        edit["range"]["start"]["line"] == edit["range"]["end"]["line"] == HOLES["body"]
    )


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

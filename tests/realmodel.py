"""The default embedded model for the tests that run it (Gemma 3 270M in typehole's engine)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from typehole.models.embedded import EmbeddedBackend
from typehole.models.http import create_client
from typehole.models.spec import ModelSpec


@contextlib.asynccontextmanager
async def embedded_model() -> AsyncIterator[EmbeddedBackend]:
    """The default embedded model, loaded and ready; closed with its client at the end (its
    timeout is a hang guard: a loaded machine evaluates prompts slowly)."""
    client = create_client()
    backend = EmbeddedBackend(ModelSpec("embedded", "embedded", timeout_s=600), client)
    try:
        await backend.wait_ready()
        yield backend
    finally:
        await backend.aclose()
        await client.aclose()

"""`typehole/context` and the ChatLSP methods: the static context at a cursor, over LSP.

ChatLSP (Blinn et al.): `textDocument/expectedType` -> `{content, location}`,
`textDocument/relevantTypes` and `textDocument/relevantHeaders` -> `{contents[], locations[]}`.
`typehole/context` answers with the `typehole context --json` object. In a document over
`context.maxDocumentBytes` the context is that of the window around the cursor
(`base.limits.bounded`), as a completion's is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import attrs
from lsprotocol import types

from typehole.base.lexer import count_tokens
from typehole.base.limits import bounded
from typehole.base.positions import lsp_encoding, offset_at
from typehole.context.records import ContextResult
from typehole.server.app import TypeholeServer, custom_request
from typehole.server.features.documents import document_name, learnable
from typehole.server.framing import RECEIVED
from typehole.server.workspace import starts_of

CONTEXT = "typehole/context"
EXPECTED_TYPE = "textDocument/expectedType"
RELEVANT_TYPES = "textDocument/relevantTypes"
RELEVANT_HEADERS = "textDocument/relevantHeaders"


@attrs.define
class ContextParams:
    """A document, a position, and optionally the token budget of the context."""

    text_document: types.TextDocumentIdentifier
    position: types.Position
    budget: int | None = None


for _method in (CONTEXT, EXPECTED_TYPE, RELEVANT_TYPES, RELEVANT_HEADERS):
    custom_request(_method, ContextParams)


def register(server: TypeholeServer) -> None:
    """Register the four requests."""

    @server.feature(CONTEXT)
    async def context(ls: TypeholeServer, params: ContextParams) -> dict[str, Any] | None:
        # An editor is waiting, as for a completion: stages that do not fit the deadline are
        # skipped and said so (`skipped`), not waited for.
        result = await gather(ls, params, deadline_ms=ls.state.settings.context.deadline_ms)
        return result.to_json() if result else None

    @server.feature(EXPECTED_TYPE)
    async def expected_type(ls: TypeholeServer, params: ContextParams) -> dict[str, Any] | None:
        result = await gather(ls, params, CHATLSP_BUDGET)
        if result is None or result.hole.expected_type is None:
            return None
        return {"content": result.hole.expected_type, "location": None}

    @server.feature(RELEVANT_TYPES)
    async def relevant_types(ls: TypeholeServer, params: ContextParams) -> dict[str, Any] | None:
        result = await gather(ls, params, CHATLSP_BUDGET)
        if result is None:
            return None
        found = result.relevant_types
        return {"contents": [t.text for t in found], "locations": _locations(ls, found)}

    @server.feature(RELEVANT_HEADERS)
    async def relevant_headers(ls: TypeholeServer, params: ContextParams) -> dict[str, Any] | None:
        result = await gather(ls, params, CHATLSP_BUDGET)
        if result is None:
            return None
        found = result.relevant_headers
        return {"contents": [h.signature for h in found], "locations": _locations(ls, found)}


# ChatLSP answers list what is relevant, not what fits a prompt: they get a generous budget.
CHATLSP_BUDGET = 8192


async def gather(
    ls: TypeholeServer, params: ContextParams, budget: int | None = None,
    deadline_ms: float | None = None,
) -> ContextResult | None:
    """Gather context at the position on the analysis thread; None when it cannot be had.
    With `deadline_ms`, what would not fit it is left out (`ContextEngine.gather`); the
    deadline counts from when the request was read, as the editor's wait does.

    `timings_ms` also says how long the request waited before its stages began: `wait_loop`
    from its bytes read to this handler (the event loop busy with the messages before it),
    `wait_analysis` from there to the analysis thread (busy with a warm-up step, say).
    """
    handled = time.perf_counter()
    received = RECEIVED.get()
    state = ls.state
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(uri)
    if document is None or state.engine is None or not learnable(ls, uri):
        return None
    encoding = lsp_encoding(ls.workspace.position_encoding)
    text = document.source
    offset = offset_at(text, params.position.line, params.position.character, encoding,
                       starts_of(document))
    window = bounded(text, offset, state.settings.context.max_document_bytes)
    if window is not None:
        text, offset = window.of(text)
    budget = (
        params.budget
        or budget
        or int(state.settings.completion.prompt_budget * state.settings.context.share)
    )
    engine, name = state.engine, document_name(ls, uri)

    def run() -> ContextResult:
        started = time.perf_counter()
        left = deadline_ms
        if left is not None:  # what the request waited for is spent already
            left = max(left - (started - (received or handled)) * 1000, 0.0)
        result = engine.gather(text, offset, name, max(budget, 1), count_tokens, left)
        waits = {"wait_loop": (handled - (received or handled)) * 1000,
                 "wait_analysis": (started - handled) * 1000}
        return dataclasses.replace(result, timings_ms={**result.timings_ms, **waits})

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(state.analysis, run)


def _locations(ls: TypeholeServer, found: Any) -> list[dict[str, Any]]:
    """LSP locations of records with a workspace-relative `path` and a 1-based `line`."""
    root = ls.state.root
    if root is None:
        return []
    return [
        {
            "uri": (root / item.path).as_uri(),
            "range": {
                "start": {"line": item.line - 1, "character": 0},
                "end": {"line": item.line - 1, "character": 0},
            },
        }
        for item in found
    ]

"""`textDocument/inlineCompletion` (LSP 3.18) and the same request as `typehole/inlineCompletion`.

The handler snapshots the document, cancels the previous request on the same document, runs the
pipeline off the event loop, and drops the result if the document changed meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from lsprotocol import types

from typehole.app.hub import pipeline_options
from typehole.base.positions import lsp_encoding, offset_at, position_at
from typehole.features.completion.pipeline import Outcome
from typehole.features.completion.site import Site
from typehole.models.errors import ModelError
from typehole.server.app import INLINE_COMPLETION_ALIAS, TypeholeServer
from typehole.server.features.documents import document_name, learnable, refusal
from typehole.server.features.status import report_model_error
from typehole.server.workspace import starts_of

log = logging.getLogger(__name__)

ACCEPT_COMMAND = "typehole.accepted"


def register(server: TypeholeServer) -> None:
    """Register inline completion (standard and alias) and the acceptance command."""

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: TypeholeServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        return await complete_inline(ls, params)

    @server.feature(INLINE_COMPLETION_ALIAS)
    async def inline_completion_alias(
        ls: TypeholeServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        return await complete_inline(ls, params)

    @server.command(ACCEPT_COMMAND)
    def accepted(ls: TypeholeServer, *args: object) -> None:
        # Telemetry stays local: acceptance goes to the log only.
        log.info("completion accepted: %s", args)


# A feature with its own suggestions at some cursors (a docstring after `"""`, a next edit at
# the cursor) adds a provider; the first provider with items answers instead of the pipeline.
InlineProvider = Callable[
    [TypeholeServer, types.InlineCompletionParams],
    Awaitable[list[types.InlineCompletionItem] | None],
]


def provide(server: TypeholeServer, provider: InlineProvider) -> None:
    """Add an inline-completion provider (call from a feature's `register`)."""
    server.state.inline_providers.append(provider)


async def complete_inline(
    ls: TypeholeServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList | None:
    """Run one inline completion; None when there is nothing (or nothing current) to offer."""
    if refusal(ls, params.text_document.uri) is not None:
        return None  # a secret-looking document: no provider may see it
    for provider in ls.state.inline_providers:
        try:
            items = await provider(ls, params)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a feature's bug must not block completions
            log.exception("inline provider %s failed", getattr(provider, "__name__", provider))
            continue
        if items:
            return types.InlineCompletionList(items=items)
    outcome = await run_at(ls, params.text_document.uri, params.position)
    if outcome is None or outcome.text is None:
        return None
    position = params.position
    item = types.InlineCompletionItem(
        insert_text=outcome.text,
        range=types.Range(start=position, end=position),
        command=types.Command(
            title="typehole: accepted",
            command=ACCEPT_COMMAND,
            arguments=[params.text_document.uri, len(outcome.text)],
        ),
    )
    return types.InlineCompletionList(items=[item])


async def run_at(ls: TypeholeServer, uri: str, position: types.Position) -> Outcome | None:
    """Run the pipeline at an LSP position; None for unknown documents or stale results."""
    state = ls.state
    document = ls.workspace.text_documents.get(uri)
    if document is None or state.pipeline is None:
        return None  # never read unopened files from disk: the client owns what we see
    settings = state.settings.completion
    if not settings.enabled or not learnable(ls, uri):
        return None

    version, text = document.version, document.source
    encoding = lsp_encoding(ls.workspace.position_encoding)
    starts = starts_of(document)
    offset = offset_at(text, position.line, position.character, encoding, starts)
    # A position past the end of a line or file is clamped; the result is anchored where the
    # client asked, so only offer it when the position was real.
    if position_at(text, offset, encoding, starts) != (position.line, position.character):
        return None
    site = Site(text=text, offset=offset, path=document_name(ls, uri), language=_language(uri),
                file=document.path)
    options = pipeline_options(state.settings)

    # One request per document: a newer request cancels the previous one.
    if (previous := state.inflight.get(uri)) is not None:
        previous.cancel()
    task = asyncio.ensure_future(state.pipeline.run(site, options))
    state.inflight[uri] = task
    try:
        outcome = await task
    except asyncio.CancelledError:
        task.cancel()
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # the client cancelled this request ($/cancelRequest)
        return None  # superseded by a newer request or edit
    except ModelError as exc:
        report_model_error(ls, exc)
        return None
    finally:
        if state.inflight.get(uri) is task:
            del state.inflight[uri]

    log.info("completion timings_ms %s", json.dumps(outcome.timings_ms))
    current_doc = ls.workspace.text_documents.get(uri)
    if current_doc is None or current_doc.version != version:
        return None  # the document moved on; this answer is for text that no longer exists
    return outcome


def _language(uri: str) -> str:
    suffix = uri.rsplit(".", 1)[-1].lower() if "." in uri else ""
    return {
        "py": "python",
        "pyi": "python",
        "js": "javascript",
        "jsx": "javascript",
        "ts": "typescript",
        "tsx": "tsx",
        "go": "go",
        "rs": "rust",
        "java": "java",
    }.get(suffix, "text")

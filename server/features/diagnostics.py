"""`textDocument/diagnostic` (pull diagnostics): one handler, many providers.

Features that report problems (docstring drift, errors left in generated code) add a provider
with `provide(...)`; the handler merges what they return for the document. A large document
gets none: the providers would analyse it whole.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from lsprotocol import types

from typehole.server.app import TypeholeServer
from typehole.server.features.documents import is_large

log = logging.getLogger(__name__)

Provider = Callable[[TypeholeServer, str], Awaitable[list[types.Diagnostic] | None]]


def provide(server: TypeholeServer, provider: Provider) -> None:
    """Add a diagnostics provider, called with the document URI (from a feature's `register`)."""
    server.state.diagnostic_providers.append(provider)


def register(server: TypeholeServer) -> None:
    """Register the single pull-diagnostics handler."""

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="typehole", inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    async def diagnostic(
        ls: TypeholeServer, params: types.DocumentDiagnosticParams
    ) -> types.RelatedFullDocumentDiagnosticReport:
        items: list[types.Diagnostic] = []
        if is_large(ls, params.text_document.uri):
            return types.RelatedFullDocumentDiagnosticReport(items=items)
        for provider in ls.state.diagnostic_providers:
            try:
                items.extend(await provider(ls, params.text_document.uri) or [])
            except Exception:  # noqa: BLE001 - one feature's bug must not hide the others
                log.exception(
                    "diagnostics provider %s failed", getattr(provider, "__name__", provider)
                )
        return types.RelatedFullDocumentDiagnosticReport(items=items)

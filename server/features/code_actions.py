"""`textDocument/codeAction`: one handler, many providers.

LSP allows one handler per method, while several features offer code actions (docstrings, next
edits, filling holes). Each feature adds a provider with `provide(...)` from its `register`; the
handler asks every provider and concatenates their actions. A provider that fails is logged and
skipped, so one broken feature cannot hide the others' actions. A large document gets none:
every provider would analyse it whole.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from lsprotocol import types

from typehole.server.app import TypeholeServer
from typehole.server.features.documents import is_large, refusal

log = logging.getLogger(__name__)

Provider = Callable[
    [TypeholeServer, types.CodeActionParams], Awaitable[list[types.CodeAction] | None]
]

KINDS = [
    types.CodeActionKind.QuickFix,
    types.CodeActionKind.RefactorRewrite,
    types.CodeActionKind.Refactor,
]


def provide(server: TypeholeServer, provider: Provider) -> None:
    """Add a code-action provider (call from a feature's `register`)."""
    server.state.code_action_providers.append(provider)


def register(server: TypeholeServer) -> None:
    """Register the single codeAction handler."""

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=KINDS)
    )
    async def code_action(
        ls: TypeholeServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        if refusal(ls, params.text_document.uri) is not None:
            return None  # every action of a secret-looking document could reach a model
        if is_large(ls, params.text_document.uri):
            return None
        actions: list[types.CodeAction] = []
        for provider in ls.state.code_action_providers:
            try:
                actions.extend(await provider(ls, params) or [])
            except Exception:  # noqa: BLE001 - one feature's bug must not hide the others
                log.exception(
                    "code action provider %s failed", getattr(provider, "__name__", provider)
                )
        return actions or None

"""Server features: each module declares its capability and registers its handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typehole.server.app import TypeholeServer


def register_all(server: TypeholeServer) -> None:
    """Register every feature on `server` (before `initialize` computes capabilities)."""
    from typehole.server.features import (
        code_actions,
        configuration,
        context_methods,
        copilot_inline_edit,
        diagnostics,
        docstrings,
        documents,
        fill,
        inline_completion,
        lifecycle,
        next_edit,
        oracle,
        status,
        warmup,
    )

    for feature in (
        code_actions,
        diagnostics,
        lifecycle,
        configuration,
        documents,
        inline_completion,
        context_methods,
        docstrings,
        fill,
        next_edit,
        copilot_inline_edit,
        oracle,
        status,
        warmup,
    ):
        feature.register(server)

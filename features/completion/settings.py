"""The `completion` settings section: how inline completions behave."""

from __future__ import annotations

import attrs

__all__ = ["CompletionSettings"]


@attrs.frozen
class CompletionSettings:
    """Inline completion behaviour (section `completion`)."""

    enabled: bool = True
    max_tokens: int = attrs.field(default=64, validator=attrs.validators.in_(range(1, 4097)))
    max_lines: int = attrs.field(default=12, validator=attrs.validators.in_(range(1, 201)))
    prompt_budget: int = attrs.field(
        default=1024, validator=attrs.validators.in_(range(32, 131073))
    )
    # `textDocument/completion` with one item, for editors without inline completion (Helix, Zed).
    completion_fallback: bool = False
    cache: bool = True

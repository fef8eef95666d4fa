"""The `fill` settings section: what counts as a hole, and the error rounds that refine a fill."""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["FillSettings"]


@attrs.frozen
class FillSettings:
    """"Fill this hole" (section `fill`)."""

    rounds: int = attrs.field(default=2, validator=attrs.validators.in_(range(0, 6)))
    # Expressions that mark a hole where a value belongs (`total = ...`).
    placeholders: tuple[str, ...] = ("...",)
    # The type checker run on the patched file: one installed ("auto"), a named one, or none.
    type_checker: Literal["auto", "mypy", "pyright", "none"] = "auto"

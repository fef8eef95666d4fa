"""The `nextEdit` settings section: whether a model predicts next edits, which, in what format."""

from __future__ import annotations

import attrs

from .formats import FORMATS, FormatName

__all__ = ["NextEditSettings"]


@attrs.frozen
class NextEditSettings:
    """Next-edit suggestions (section `nextEdit`).

    The static engines always run. `modelStep` also asks a model when they find nothing: the
    model named by `model` (default: the configured `model`), prompted in `format`, the format
    it was trained on (`zeta`: Zed's Zeta; `zeta2`: Zed's Zeta 2; `sweep`: Sweep's next-edit
    model). Off by default: the embedded model adds no suggestion on `typehole bench next-edit`.
    """

    model_step: bool = False
    model: str = ""
    format: FormatName = attrs.field(default="zeta", validator=attrs.validators.in_(FORMATS))
    timeout_ms: int = attrs.field(default=5000, validator=attrs.validators.ge(1))

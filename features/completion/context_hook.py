"""The completion pipeline's context hook, served by `context.ContextEngine`.

It runs on the analysis thread (the pipeline's `_prepare`), which is the one thread Jedi may use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from typehole.context.engine import ContextEngine
from typehole.features.completion.pipeline import ContextPiece
from typehole.features.completion.site import Site

log = logging.getLogger(__name__)


class EngineContext:
    """Typed-hole and cross-file context for a site, cut to the hook's token budget."""

    def __init__(self, engine: ContextEngine) -> None:
        self.engine = engine

    def __call__(self, site: Site, budget: int, count_tokens: Callable[[str], int],
                 deadline_ms: float, free: int | None = None) -> ContextPiece:
        """The engine's context for `site`; stages that would start after `deadline_ms` (the
        run's: an editor's or a batch command's, `PipelineOptions.context_stages_ms`) are
        skipped. With `free` below `budget` (the rest is the reserve, paid for with code lines),
        a context at a line start without a continuation holds only used definitions."""
        result = self.engine.gather(
            site.text, site.offset, site.path, budget, count_tokens, deadline_ms=deadline_ms,
            free_tokens=free,
        )
        report = result.to_json()
        report.pop("prompt")  # the prompt itself is reported by the pipeline
        return ContextPiece(text=result.prompt, report=report)

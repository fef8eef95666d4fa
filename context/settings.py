"""The `context` settings section: what cross-file and typed-hole context the model is shown."""

from __future__ import annotations

from typing import Literal

import attrs

from .cache import DEFAULT_CAP_MB

__all__ = ["ContextSettings"]


@attrs.frozen
class ContextSettings:
    """Cross-file and typed-hole context put in front of the model (section `context`)."""

    enabled: bool = True
    # Share of the prompt budget the context may take (the rest is the code around the cursor;
    # a prefix-only model's code comes first, and its context gets at most what that leaves).
    share: float = attrs.field(
        default=0.4, validator=[attrs.validators.ge(0.0), attrs.validators.le(0.9)]
    )
    # Share of the budget a prefix-only model's context is sure of: where the code would leave
    # less, it gives up its farthest lines for the context's best blocks (the same lines
    # elsewhere and what followed them, the definitions used nearby; nothing else). At most
    # `share`.
    reserve: float = attrs.field(
        default=0.15, validator=[attrs.validators.ge(0.0), attrs.validators.le(0.9)]
    )
    # Where the cursor's last lines occur elsewhere at the same column and every place goes on
    # with the same line, that line is a prefix-only model's completion, without asking it: the
    # small embedded model copied it from the prompt at two of three such sites, and where it
    # wrote its own line, that line was mostly the worse one.
    copy_next_line: bool = True
    # Stages that would start after this many milliseconds are skipped (the editor is waiting).
    deadline_ms: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    # The same for runs nobody waits on keystroke by keystroke (`typehole complete`, benchmarks):
    # long enough for a cold Jedi, so the context is gathered, not dropped.
    batch_deadline_ms: float = attrs.field(default=5000.0, validator=attrs.validators.gt(0))
    # Where the index is cached (default: the user's cache folder).
    cache_dir: str | None = None
    # The index cache's size cap across workspaces, in MiB: least recently used indexes go first.
    cache_max_mb: float = attrs.field(default=DEFAULT_CAP_MB, validator=attrs.validators.gt(0))
    # Which type engine answers the monitors' and typed holes' questions (`context.oracle`):
    # `auto` asks ty's language server first and Jedi where ty is missing, not ready, failing
    # or does not know; `ty` asks Jedi only where ty cannot answer at all; `jedi` never runs ty.
    type_oracle: Literal["auto", "jedi", "ty"] = "auto"
    # The ty executable (default: the one installed with typehole, else `ty` on PATH).
    ty_path: str | None = None
    # How many of the workspace's Python files ty analyses in the background once it is ready
    # (the open documents' imports and their folders first), so that the first question in a
    # file just opened finds what it imports already inferred. Off (0) by default: it cut the
    # worst first question (ty's part: 127 -> 58 ms on httpx, 89 -> 36 ms on rich) but not the
    # p50/p95 of the first request through the LSP, for 60-85 MB more of ty's memory.
    ty_warm_files: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    # Open documents larger than this (UTF-8 bytes) are never analysed whole: they are not
    # indexed, learned or warmed up, and requests in them analyse a window around the cursor.
    # The default is the largest file the workspace walk reads.
    max_document_bytes: int = attrs.field(default=1_000_000, validator=attrs.validators.ge(1))

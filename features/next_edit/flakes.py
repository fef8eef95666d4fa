"""pyflakes' view of a whole text: the names it reads undefined and the bindings nobody uses.

The consistency engine compares this view before and after an edit. A text that does not parse
has no view (None): its names cannot be judged, so nothing is said about them. Views are cached
by text, because each edit's `after` is the next one's `before`.
"""

from __future__ import annotations

import ast
import hashlib
import threading
import warnings
from dataclasses import dataclass

from cachetools import LRUCache

from typehole.base.positions import UTF8, offsets_at

__all__ = ["Flag", "flags"]

_KINDS = {"UndefinedName": "undefined", "UndefinedExport": "undefined",
          "UnusedImport": "unused-import",
          "UnusedVariable": "unused-variable"}
_CACHE: LRUCache[str, tuple[Flag, ...] | None] = LRUCache(maxsize=16)
_LOCK = threading.Lock()
MAX_CHARS = 400_000  # beyond this a file is generated, not edited by hand


@dataclass(frozen=True)
class Flag:
    """One pyflakes finding: `kind` ("undefined", "unused-import", "unused-variable"), the
    name as pyflakes gives it (`a.b as c` for imports) and where it starts in the text."""

    kind: str
    name: str
    start: int


def flags(text: str) -> tuple[Flag, ...] | None:
    """The findings on `text`, in file order; None when it does not parse."""
    if len(text) > MAX_CHARS:
        return None
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    with _LOCK:  # `holds` asks from the event loop while the engines run elsewhere
        if key in _CACHE:
            return _CACHE[key]
    found = _run(text)
    with _LOCK:
        _CACHE[key] = found
    return found


def _run(text: str) -> tuple[Flag, ...] | None:
    from pyflakes import checker

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        messages = checker.Checker(tree, withDoctest=False).messages
    except RecursionError:
        return None
    kept = [m for m in messages if type(m).__name__ in _KINDS]
    # pyflakes gives 1-based lines and columns in UTF-8 bytes (ast's unit).
    starts = offsets_at(text, [(m.lineno - 1, m.col) for m in kept], UTF8)
    out = [Flag(_KINDS[type(m).__name__], str(m.message_args[0]), s)
           for m, s in zip(kept, starts, strict=True)]
    return tuple(sorted(out, key=lambda f: f.start))

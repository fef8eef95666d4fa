"""One `ast` parse of a text, shared by the engines that read Python's syntax tree.

Several engines read the tree of the same texts (an edit's `before` and `after`), and each
edit's `after` is the next one's `before`: the last few texts' trees are kept, so each text is
parsed once per edit rather than once per engine. The trees are shared: readers must not
change them.
"""

from __future__ import annotations

import ast
import threading
import warnings

from cachetools import LRUCache

__all__ = ["parse"]

# An edit's texts before and after, those of the two edits before it, and room for the
# workspace's other files that an engine may read in between.
_CACHE: LRUCache[str, ast.Module | None] = LRUCache(maxsize=8)
_LOCK = threading.Lock()  # the server runs engines off the event loop, possibly several at once


def parse(text: str) -> ast.Module | None:
    """`text`'s syntax tree (shared: read it, do not change it); None where it does not parse."""
    with _LOCK:
        if text in _CACHE:
            return _CACHE[text]
    tree = _parse(text)
    with _LOCK:
        _CACHE[text] = tree
    return tree


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None

"""The engines' tree-sitter parse: cached by text, incremental from the last text parsed.

Each edit's `after` is the next one's `before`, and several engines parse both; a new text is
parsed from the tree of the last one this thread parsed (tree-sitter re-parses the changed bytes
only).
"""

from __future__ import annotations

import hashlib
import threading

from cachetools import LRUCache

from typehole.base.affix import common_prefix, common_suffix
from typehole.base.positions import byte_offset
from typehole.base.syntax import Tree, parse_bytes, reparse

__all__ = ["parse", "parse_written"]

_TREES: LRUCache[bytes, Tree | None] = LRUCache(maxsize=8)
_LOCK = threading.Lock()


class _Latest(threading.local):
    """The bytes and tree this thread parsed last: the base of the next incremental parse."""

    data: bytes | None = None
    tree: Tree | None = None


_LATEST = _Latest()


def parse_written(text: str, start: int, end: int) -> tuple[Tree, bytes, int, int] | None:
    """`text`'s tree, its UTF-8 bytes and the byte span of `text[start:end]` (what an edit
    wrote); None when it does not parse."""
    tree = parse(text)
    if tree is None:
        return None
    data = text.encode("utf-8", "surrogatepass")
    return tree, data, byte_offset(text, start), byte_offset(text, end)


def parse(text: str) -> Tree | None:
    """The tree-sitter tree of `text` (Python), parsed incrementally from the last one this
    thread parsed; the last few texts' are kept. Callers only read the tree."""
    data = text.encode("utf-8", "surrogatepass")
    key = hashlib.blake2b(data, digest_size=16).digest()
    with _LOCK:
        if key in _TREES:
            return _TREES[key]
    tree = _incremental(data)
    with _LOCK:
        _TREES[key] = tree
    if tree is not None:
        _LATEST.data, _LATEST.tree = data, tree
    return tree


def _incremental(data: bytes) -> Tree | None:
    old, old_tree = _LATEST.data, _LATEST.tree
    if old is None or old_tree is None:
        return parse_bytes(data)
    limit = min(len(old), len(data))
    start = common_prefix(old, data, limit)
    tail = common_suffix(old, data, limit - start)
    if max(len(old), len(data)) - tail - start > len(data) // 2:
        return parse_bytes(data)  # another text, or a replacement: nothing to reuse
    # `reparse` edits the tree it is given: a copy, since the cached one is still read.
    return reparse(old, old_tree.copy(), data)

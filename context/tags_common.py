"""Shared pieces of tag extraction: the Python parser (full and incremental), node text,
one-line signature squashing and the `FileTags` record every language's extractor returns."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import AnyStr

import tree_sitter as ts
import tree_sitter_python

from .records import Definition, Import

__all__ = ["FileTags", "common_prefix", "common_suffix", "node_text", "parse_python",
           "python_language", "reparse_python", "squash"]

_local = threading.local()


@cache
def python_language() -> ts.Language:
    """The tree-sitter Python grammar (from the `tree-sitter-python` wheel; works offline)."""
    return ts.Language(tree_sitter_python.language())


def parse_python(data: bytes, old_tree: ts.Tree | None = None) -> ts.Tree:
    """Parse UTF-8 bytes; one parser per thread because parsers are not thread-safe.

    `old_tree` (already `edit`ed to match `data`, see `reparse_python`) lets tree-sitter reuse
    the unchanged subtrees.
    """
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = ts.Parser(python_language())
    return parser.parse(data, old_tree) if old_tree is not None else parser.parse(data)


def common_prefix(a: AnyStr, b: AnyStr, limit: int) -> int:
    """Length of the common prefix of `a` and `b`, at most `limit` (texts or bytes)."""
    lo, hi = 0, limit  # binary search on slice equality: memcmp speed, no Python byte loop
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: AnyStr, b: AnyStr, limit: int) -> int:
    """Length of the common suffix of `a` and `b`, at most `limit` (texts or bytes)."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _point(data: bytes, byte: int) -> tuple[int, int]:
    """tree-sitter's (row, byte column) of a byte offset."""
    return data.count(b"\n", 0, byte), byte - (data.rfind(b"\n", 0, byte) + 1)


def reparse_python(old: bytes, old_tree: ts.Tree, new: bytes) -> ts.Tree:
    """Parse `new` incrementally from the tree of `old`: the changed span is the bytes between
    their common prefix and suffix. `old_tree` is edited in place and must not be used again."""
    limit = min(len(old), len(new))
    start = common_prefix(old, new, limit)
    tail = common_suffix(old, new, limit - start)
    old_end, new_end = len(old) - tail, len(new) - tail
    old_tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end,
                  start_point=_point(old, start), old_end_point=_point(old, old_end),
                  new_end_point=_point(new, new_end))
    return parse_python(new, old_tree)


def node_text(data: bytes, node: ts.Node | None) -> str:
    """The source text of `node` ("" for None)."""
    if node is None:
        return ""
    return data[node.start_byte:node.end_byte].decode("utf-8", "replace")


@dataclass(frozen=True)
class FileTags:
    """What the index stores about one file (besides its windows)."""

    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]


def squash(text: str) -> str:
    """One line: collapse the newlines and indentation of multi-line signatures."""
    out = " ".join(part.strip() for part in text.splitlines() if part.strip())
    for ugly, tidy in (("( ", "("), (", )", ")"), (" )", ")"), ("[ ", "["),
                       (", ]", "]"), (" ]", "]")):
        out = out.replace(ugly, tidy)
    return out

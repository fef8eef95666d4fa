"""One `ast` parse of a text, shared by the engines that read Python's syntax tree, and the
function whose header an edit changed in it.

Several engines read the tree of the same texts (an edit's `before` and `after`), and each
edit's `after` is the next one's `before`: the last few texts' trees are kept, so each text is
parsed once per edit rather than once per engine. The trees are shared: readers must not
change them.
"""

from __future__ import annotations

import ast
import re
import threading
import warnings
from dataclasses import dataclass

from cachetools import LRUCache

__all__ = ["EditedFunction", "Function", "arguments", "edited_function", "fresh_parse",
           "in_header", "line_offsets", "namesake", "params_of", "parse"]

Function = ast.FunctionDef | ast.AsyncFunctionDef

# An edit's texts before and after, those of the two edits before it, and room for the
# workspace's other files that an engine may read in between.
_CACHE: LRUCache[str, ast.Module | None] = LRUCache(maxsize=8)
_LOCK = threading.Lock()  # the server runs engines off the event loop, possibly several at once
HEADER_CHARS = 2_000  # a `def` header longer than this is not looked for
_DEF = re.compile(r"\bdef\b")


def parse(text: str) -> ast.Module | None:
    """`text`'s syntax tree (shared: read it, do not change it); None where it does not parse."""
    with _LOCK:
        if text in _CACHE:
            return _CACHE[text]
    tree = fresh_parse(text)
    with _LOCK:
        _CACHE[text] = tree
    return tree


def fresh_parse(text: str) -> ast.Module | None:
    """`text`'s syntax tree, parsed for the caller alone (not kept: the caller may change it,
    or will not ask again); None where it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def in_header(text: str, start: int) -> bool:
    """Whether `start` may lie in a `def` header: after the nearest `def` above it (at most
    `HEADER_CHARS` up) and not after the `:` that closes that header's brackets."""
    defs = list(_DEF.finditer(text, max(0, start - HEADER_CHARS), start + 1))
    if not defs:
        return False
    depth = 0
    for i in range(defs[-1].start(), min(start, len(text))):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in "\"'#":
            return True  # a string or comment in the header: not worth scanning
        elif ch == ":" and depth <= 0:
            return False  # the header closed before the edit
    return True


def line_offsets(text: str) -> list[int]:
    """The offset of each line's start (index 0: line 1, as `ast` counts)."""
    return [0] + [m.end() for m in re.finditer("\n", text)]


@dataclass(frozen=True)
class EditedFunction:
    """The function whose header an edit changed: after the edit and before it, and the line
    offsets of the text after it."""

    after: Function
    before: Function
    offsets: list[int]


def edited_function(text: str, before: str, start: int, end: int) -> EditedFunction | None:
    """The function whose header (from `def` to its body) holds `text[start:end]` (what an
    edit wrote), and its namesake in the text `before` the edit; None where either text does
    not parse or no header holds the edit."""
    after_tree, before_tree = parse(text), parse(before)
    if after_tree is None or before_tree is None:
        return None
    offsets = line_offsets(text)
    fn = _header_holding(after_tree, offsets, start, end)
    old = namesake(before_tree, fn) if fn is not None else None
    if fn is None or old is None:
        return None
    return EditedFunction(fn, old, offsets)


def _header_holding(tree: ast.Module, offsets: list[int], start: int,
                    end: int) -> Function | None:
    """The function whose header (from `def` to its body) holds the span."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            h_lo = offsets[node.lineno - 1]
            h_hi = offsets[node.body[0].lineno - 1]
            if h_lo <= start and end <= h_hi:
                return node
    return None


def namesake(tree: ast.Module, fn: Function) -> Function | None:
    """The function of the same name in the text before the edit nearest to `fn`'s line."""
    found = [n for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == fn.name]
    return min(found, key=lambda n: abs(n.lineno - fn.lineno), default=None)


def arguments(fn: Function) -> list[ast.arg]:
    """The function's parameters in order (`*args` and `**kwargs` included)."""
    a = fn.args
    return [*a.posonlyargs, *a.args, *([a.vararg] if a.vararg else []), *a.kwonlyargs,
            *([a.kwarg] if a.kwarg else [])]


def params_of(fn: Function) -> list[str]:
    """The names of the function's parameters in order."""
    return [p.arg for p in arguments(fn)]

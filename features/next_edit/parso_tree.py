"""Small helpers over parso trees: ancestry, and parso positions as offsets and line starts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _inside(node: Any, kinds: tuple[str, ...]) -> bool:
    while node is not None:
        if node.type in kinds:
            return True
        node = node.parent
    return False


def _broken(node: Any) -> bool:
    """Whether `node` lies in a region parso could not parse (its bindings are unknown)."""
    return _inside(node, ("error_node", "error_leaf"))


def _names(node: Any) -> Iterable[Any]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "name":
            yield n
        elif hasattr(n, "children"):
            stack.extend(reversed(n.children))


def _offset(text: str, pos: tuple[int, int]) -> int:
    """parso's (1-based line, column in characters) as an offset into `text`.

    parso drops a leading byte-order mark, so its first-line columns start after it.
    """
    line, column = pos
    if line == 1 and text.startswith("\ufeff"):
        column += 1
    at = 0
    for _ in range(line - 1):
        at = text.find("\n", at) + 1
        if at == 0:
            return len(text)
    return at + column


def _line_start(text: str, node: Any) -> int:
    """The start of the line a node's first real token is on (comments before it stay above)."""
    return _offset(text, (node.start_pos[0], 0))


def _line_after(text: str, node: Any) -> int:
    """The start of the line after a node's last line."""
    end = _offset(text, node.end_pos)
    if end > 0 and text[end - 1] == "\n":  # a statement with its newline
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1

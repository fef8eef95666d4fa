"""Small helpers over parso trees: ancestry, name leaves, and the line starts around a node.

parso positions are Jedi's (`base.positions.jedi_offset` turns them into offsets).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from typehole.base.positions import jedi_offset

__all__ = ["in_broken_region", "inside_any", "line_after", "line_start_of", "name_leaves"]


def inside_any(node: Any, kinds: tuple[str, ...]) -> bool:
    """Whether `node` or one of its ancestors is of one of `kinds`."""
    while node is not None:
        if node.type in kinds:
            return True
        node = node.parent
    return False


def in_broken_region(node: Any) -> bool:
    """Whether `node` lies in a region parso could not parse (its bindings are unknown)."""
    return inside_any(node, ("error_node", "error_leaf"))


def name_leaves(node: Any) -> Iterable[Any]:
    """Every `name` leaf under `node`, in document order."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "name":
            yield n
        elif hasattr(n, "children"):
            stack.extend(reversed(n.children))


def line_start_of(text: str, node: Any) -> int:
    """The start of the line a node's first real token is on (comments before it stay above)."""
    return jedi_offset(text, node.start_pos[0], 0)


def line_after(text: str, node: Any) -> int:
    """The start of the line after a node's last line."""
    end = jedi_offset(text, *node.end_pos)
    if end > 0 and text[end - 1] == "\n":  # a statement with its newline
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1

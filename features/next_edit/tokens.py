"""Tokens with offsets, identifiers and syntax helpers shared by the next-edit engines."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass

from typehole.base.lexer import lex
from typehole.base.positions import byte_offset, char_offset
from typehole.base.syntax import Node, Tree

from .trees import parse

__all__ = [
    "KEYWORDS", "Token", "forward", "is_identifier", "node_span", "nodes", "nodes_under",
    "significant", "syntax_ok", "text_of", "word_span",
]

KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_IDENT = re.compile(r"[^\W\d]\w*\Z")


@dataclass(frozen=True)
class Token:
    """A significant token (not whitespace, not a comment) and where it starts."""

    text: str
    start: int

    @property
    def end(self) -> int:
        """Offset just past the token."""
        return self.start + len(self.text)

    @property
    def is_name(self) -> bool:
        """True for an identifier that is not a keyword."""
        return is_identifier(self.text)


def is_identifier(text: str) -> bool:
    """A Python identifier that is not a keyword."""
    return bool(_IDENT.match(text)) and text not in KEYWORDS


def significant(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """The tokens of `text[start:end]` without whitespace, with offsets into `text`."""
    out: list[Token] = []
    offset = start
    for token in lex(text[start:end]):
        if not token.isspace():
            out.append(Token(token, offset))
        offset += len(token)
    return out


def word_span(text: str, start: int, end: int) -> tuple[int, int]:
    """`[start, end)` grown to whole identifier characters on both sides."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return start, end


def forward(offset: int, start: int, end: int, delta: int) -> int | None:
    """Where `offset` of the text before a change of `[start, end)` lies after it (None: gone)."""
    if offset < start:
        return offset
    if offset >= end:
        return offset + delta
    return None


def text_of(node: Node) -> str:
    """A node's source text."""
    return node.text.decode("utf-8", "replace")


def nodes(tree: Tree, kind: str) -> Iterator[Node]:
    """Every node of type `kind`, in document order."""
    return nodes_under(tree.root_node, kind)


def nodes_under(root: Node, kind: str) -> Iterator[Node]:
    """Every node of type `kind` in `root`'s subtree (itself included), in document order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == kind:
            yield node
        stack.extend(reversed(node.children))


def functions_named(tree: Tree, text: str, name: str) -> list[Node]:
    """The definitions of functions and methods called `name` in `text` (a `def name` inside a
    string or comment is none)."""
    found = []
    for m in re.finditer(rf"\bdef[ \t]+{re.escape(name)}\b", text):
        at = byte_offset(text, m.start())
        node = tree.root_node.descendant_for_byte_range(at, at + 3)
        while node is not None and node.type != "function_definition":
            node = node.parent
        if node is not None and node.start_byte <= at <= node.start_byte + len("async "):
            found.append(node)  # the `def` of this definition (`async def` starts earlier)
    return found


def syntax_ok(text: str) -> bool:
    """Whether `text` parses without errors."""
    tree = parse(text)
    return tree is not None and not tree.root_node.has_error


def node_span(text: str, data: bytes, node: Node) -> tuple[int, int]:
    """A node's `[start, end)` as offsets into `text` (`data` is its UTF-8 encoding)."""
    if len(data) == len(text):  # ASCII: bytes are characters
        return node.start_byte, node.end_byte
    return char_offset(data, node.start_byte), char_offset(data, node.end_byte)

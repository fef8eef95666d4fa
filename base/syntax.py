"""tree-sitter behind one small shim (parse, re-parse, query, find nodes).

Nothing else in typehole imports `tree_sitter`: this module hides the binding's API version
(0.21's `Parser().set_language` vs 0.22+'s `Parser(language)`, 0.25's `QueryCursor`) and which
grammar packages are installed, and loads each grammar once. A grammar is one entry in `GRAMMARS`;
a missing package means "unsupported language" and `parse` returns None, never an exception.

tree-sitter's error recovery is lossy for the code people are typing, so questions like "is the
cursor inside a string?" are answered by the lexical scanner (`base.scan`), run from the statement
start `statement_at` locates.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from typehole.base.affix import common_prefix, common_suffix

Tree = Any  # tree_sitter.Tree; typed loosely so nothing else has to import tree_sitter
Node = Any  # tree_sitter.Node

__all__ = [
    "GRAMMARS",
    "SUFFIXES",
    "Grammar",
    "Node",
    "Tree",
    "node_at",
    "leaf_at",
    "is_word_char",
    "language_of",
    "matches",
    "parse",
    "query",
    "parse_bytes",
    "parse_ranges",
    "captures",
    "node_text",
    "reparse",
    "statement_at",
    "supported",
]


@dataclass(frozen=True)
class Grammar:
    """Where a language's grammar lives and which node types hold a sequence of statements."""

    module: str  # the per-language wheel, e.g. "tree_sitter_python"
    function: str = "language"  # the module's function returning the language pointer
    statement_parents: frozenset[str] = frozenset()


GRAMMARS: dict[str, Grammar] = {
    "python": Grammar("tree_sitter_python", statement_parents=frozenset({"module", "block"})),
    "javascript": Grammar("tree_sitter_javascript",
                          statement_parents=frozenset({"program", "statement_block"})),
    "typescript": Grammar("tree_sitter_typescript", "language_typescript",
                          frozenset({"program", "statement_block"})),
    "tsx": Grammar("tree_sitter_typescript", "language_tsx",
                   frozenset({"program", "statement_block"})),
    "java": Grammar("tree_sitter_java", statement_parents=frozenset({"program", "block"})),
    "go": Grammar("tree_sitter_go", statement_parents=frozenset({"source_file", "block"})),
    "rust": Grammar("tree_sitter_rust", statement_parents=frozenset({"source_file", "block"})),
}

# File suffix -> language name in `GRAMMARS` (the one table every caller maps paths with).
SUFFIXES: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".jsx": "javascript",
    ".mjs": "javascript", ".cjs": "javascript", ".ts": "typescript", ".mts": "typescript",
    ".cts": "typescript", ".tsx": "tsx", ".java": "java", ".go": "go", ".rs": "rust",
}


def language_of(path: str) -> str | None:
    """The language of a file path (or URI) by its suffix; None when no grammar knows it."""
    dot = path.rfind(".")
    return SUFFIXES.get(path[dot:].lower()) if dot >= 0 else None


@cache
def _language(language: str) -> Any | None:
    """The cached `tree_sitter.Language` for `language`; None when its grammar is missing."""
    grammar = GRAMMARS.get(language)
    if grammar is None:
        return None
    try:
        import tree_sitter

        pointer = getattr(importlib.import_module(grammar.module), grammar.function)()
    except (ImportError, AttributeError):
        return None
    try:
        return tree_sitter.Language(pointer)
    except ValueError:  # an ABI this binding cannot load: treat as not installed
        return None


_parsers = threading.local()


def _parser(language: str) -> Any | None:
    """A parser for `language` (one per thread: parsers are not thread-safe), or None."""
    cached = getattr(_parsers, "by_language", None)
    if cached is None:
        cached = _parsers.by_language = {}
    if language in cached:
        return cached[language]
    lang = _language(language)
    parser = None
    if lang is not None:
        import tree_sitter

        parser = tree_sitter.Parser(lang)
    cached[language] = parser
    return parser


@cache
def query(language: str, source: str) -> Any | None:
    """A compiled tree-sitter query for `language` (cached); None for a missing grammar."""
    lang = _language(language)
    if lang is None:
        return None
    import tree_sitter

    return tree_sitter.Query(lang, source)


def matches(compiled: Any, node: Node, byte_range: tuple[int, int] | None = None,
            ) -> list[tuple[int, dict[str, list[Node]]]]:
    """`(pattern index, {capture: [nodes]})` for each match of `compiled` under `node`.

    With `byte_range`, matches intersecting it (tree-sitter may add some that only their
    pattern's root, such as the module, connects to the range: callers filter).
    """
    return list(_run(compiled, "matches", node, byte_range))


def _run(compiled: Any, what: str, node: Node, byte_range: tuple[int, int] | None) -> Any:
    """`compiled`'s `what` (`matches`, `captures`) under `node`, within `byte_range`."""
    import tree_sitter

    if hasattr(tree_sitter, "QueryCursor"):  # 0.25+: queries run through a cursor
        cursor = tree_sitter.QueryCursor(compiled)
        if byte_range is not None:
            cursor.set_byte_range(*byte_range)
        return getattr(cursor, what)(node)
    if byte_range is not None:  # 0.22-0.24
        return getattr(compiled, what)(node, start_byte=byte_range[0], end_byte=byte_range[1])
    return getattr(compiled, what)(node)


def supported(language: str) -> bool:
    """True when `language` has an installed grammar."""
    return _parser(language) is not None


def captures(compiled: Any, node: Node, byte_range: tuple[int, int] | None = None,
             ) -> dict[str, list[Node]]:
    """`{capture: [nodes]}` of every match of `compiled` under `node`; with `byte_range`, of
    the matches intersecting it (as `matches`)."""
    return dict(_run(compiled, "captures", node, byte_range))


def parse_bytes(data: bytes, language: str = "python", old_tree: Tree | None = None) -> Tree | None:
    """Parse UTF-8 `data`; None for an unsupported language. Broken code still yields a tree.

    `old_tree` (already `edit`ed to match `data`, see `reparse`) lets tree-sitter reuse the
    unchanged subtrees.
    """
    parser = _parser(language)
    if parser is None:
        return None
    return parser.parse(data, old_tree) if old_tree is not None else parser.parse(data)


def _point(data: bytes, byte: int) -> tuple[int, int]:
    """tree-sitter's (row, byte column) of a byte offset."""
    return data.count(b"\n", 0, byte), byte - (data.rfind(b"\n", 0, byte) + 1)


def reparse(old: bytes, old_tree: Tree, new: bytes, language: str = "python") -> Tree | None:
    """Parse `new` incrementally from the tree of `old`: the changed span is the bytes between
    their common prefix and suffix. `old_tree` is edited in place and must not be used again."""
    limit = min(len(old), len(new))
    start = common_prefix(old, new, limit)
    tail = common_suffix(old, new, limit - start)
    old_end, new_end = len(old) - tail, len(new) - tail
    old_tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end,
                  start_point=_point(old, start), old_end_point=_point(old, old_end),
                  new_end_point=_point(new, new_end))
    return parse_bytes(new, language, old_tree)


def parse_ranges(data: bytes, ranges: Sequence[tuple[int, int, int]],
                 language: str = "python") -> Tree | None:
    """Parse only the byte ranges `(start, end, start's row)` of `data` (ascending, apart), as if
    the bytes between them were not there; the nodes keep their positions in `data`. None for an
    unsupported language or a tree-sitter without included ranges.

    tree-sitter's incremental parse still visits every statement of the block around an edit
    (the repetitions of Python's grammar are fragile, never reused whole): on a file of thousands
    of statements a few statements parsed alone cost a fraction of it.
    """
    parser = _parser(language)
    if parser is None or not hasattr(parser, "included_ranges"):
        return None
    import tree_sitter

    included = []
    for start, end, row in ranges:  # points counted within the range, not from the file's start
        column = start - (data.rfind(b"\n", 0, start) + 1)
        end_row = row + data.count(b"\n", start, end)
        end_column = end - (data.rfind(b"\n", start, end) + 1) if end_row > row \
            else column + end - start
        included.append(tree_sitter.Range((row, column), (end_row, end_column), start, end))
    parser.included_ranges = included
    try:
        return parser.parse(data)
    finally:
        parser.included_ranges = []  # the whole text again, for this thread's next parse


def node_text(data: bytes, node: Node | None) -> str:
    """The source text of `node` in `data`, the UTF-8 bytes it was parsed from ("" for None)."""
    if node is None:
        return ""
    return data[node.start_byte:node.end_byte].decode("utf-8", "replace")


def parse(text: str, language: str = "python") -> Tree | None:
    """Parse `text` (all of it: about 170 ns per byte, so 0.9 s for 5 MB; see the gate's window)."""
    return parse_bytes(text.encode("utf-8", "surrogatepass"), language)


def node_at(tree: Tree, byte: int) -> Node:
    """The smallest named node at or around `byte` (the root when nothing smaller spans it)."""
    root = tree.root_node
    byte = max(0, min(byte, root.end_byte))
    return root.named_descendant_for_byte_range(byte, byte) or root


def leaf_at(tree: Tree, byte: int) -> Node:
    """The smallest node, named or not, covering the byte at `byte` (a token such as `(` or `:`)."""
    root = tree.root_node
    byte = max(0, min(byte, root.end_byte - 1)) if root.end_byte else 0
    return root.descendant_for_byte_range(byte, byte + 1) or root


def statement_at(tree: Tree, byte: int, language: str = "python", floor: int = 0) -> Node | None:
    """The statement holding the token at `byte`: a node whose parent is a statement list.

    When syntax errors sit around it, the outermost erroneous statement starting at or after
    `floor` is returned instead, because error recovery may have split an unterminated string or
    bracket away from the statement it belongs to. None when only the root holds the byte.
    """
    grammar = GRAMMARS.get(language)
    parents = grammar.statement_parents if grammar else frozenset()
    node, innermost, erroneous = leaf_at(tree, byte), None, None
    while node.parent is not None:
        if node.parent.type in parents and node.start_byte >= floor:
            innermost = innermost or node
            if node.has_error:
                erroneous = node
        node = node.parent
    return erroneous or innermost


def is_word_char(ch: str) -> bool:
    """True for a character that can be part of an identifier (Unicode letters and digits too)."""
    return bool(ch) and (ch.isalnum() or ch == "_")

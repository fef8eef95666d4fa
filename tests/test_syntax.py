"""The tree-sitter shim."""

from __future__ import annotations

from typehole.base import syntax
from typehole.base.positions import byte_offset


def test_parse_python_and_unsupported_language() -> None:
    tree = syntax.parse("def f():\n    return 1\n")
    assert tree is not None and tree.root_node.type == "module"
    assert syntax.parse("fn main() {}", "no-such-language") is None
    assert syntax.supported("python") and not syntax.supported("no-such-language")


def test_parse_never_raises_on_broken_code() -> None:
    tree = syntax.parse('def f(:\n    x = "unterminated\n  ))) ]]\n\x00')
    assert tree is not None and tree.root_node.has_error


def test_parser_is_cached() -> None:
    assert syntax._parser("python") is syntax._parser("python")


def test_node_at_finds_smallest_named_node_after_non_ascii() -> None:
    text = 'name = "😀"; total = compute(1)\n'
    tree = syntax.parse(text)
    node = syntax.node_at(tree, byte_offset(text, text.index("compute") + 2))
    assert node.type == "identifier"
    assert node.text == b"compute"


def test_node_at_clamps_past_end() -> None:
    tree = syntax.parse("x = 1\n")
    assert syntax.node_at(tree, 10_000) is not None


def test_statement_at_prefers_the_erroneous_outer_statement() -> None:
    text = 'def f():\n    """doc\n'
    tree = syntax.parse(text)
    statement = syntax.statement_at(tree, len(text.encode()) - 2)
    assert statement is not None and statement.start_byte == 0


def test_statement_at_innermost_when_clean() -> None:
    text = "class A:\n    def f(self):\n        return 1\n"
    tree = syntax.parse(text)
    statement = syntax.statement_at(tree, text.index("1"))
    assert statement is not None and statement.type == "return_statement"


def test_is_word_char() -> None:
    assert syntax.is_word_char("é") and syntax.is_word_char("_") and syntax.is_word_char("7")
    assert not syntax.is_word_char(")") and not syntax.is_word_char("")

"""The tree-sitter shim and the lexer behind the gate."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize(
    ("code", "in_string", "in_comment", "depth"),
    [
        ('x = "abc', True, False, 0),
        ("x = 'a\\'b", True, False, 0),
        ('x = r"a\\', True, False, 0),
        ('x = "abc"\ny = (', False, False, 1),
        ('x = "abc\ny = 1', False, False, 0),  # an unterminated string ends at the line end
        ('s = """\nabc', True, False, 0),
        ('s = """a"""', False, False, 0),
        ("x = 1  # note", False, True, 0),
        ("x = '#'; y = [", False, False, 1),
        ('f"{a + [b', False, False, 2),
        ('f"{a}{{', True, False, 0),
        ('rb"{a', True, False, 0),
        ("d[(1, 2)]", False, False, 0),
    ],
)
def test_scan(code: str, in_string: bool, in_comment: bool, depth: int) -> None:
    lex = syntax.scan(code)
    assert (lex.in_string, lex.in_comment, lex.depth) == (in_string, in_comment, depth)


def test_scan_fstring_field_is_code() -> None:
    lex = syntax.scan('msg = f"hello {user.na')
    assert lex.in_interpolation and not lex.in_string


def test_scan_other_lexicons() -> None:
    js = syntax.lexicon("javascript")
    assert syntax.scan("let s = `a\nb", lex=js).in_string
    assert syntax.scan("x = 1 /* note", lex=js).in_comment
    assert not syntax.scan("x = 1 /* a */ + (", lex=js).in_comment


def test_is_word_char() -> None:
    assert syntax.is_word_char("é") and syntax.is_word_char("_") and syntax.is_word_char("7")
    assert not syntax.is_word_char(")") and not syntax.is_word_char("")

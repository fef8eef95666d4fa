"""The code lexer: lossless on any input, the token classes the local model relies on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typehole.base.lexer import count_tokens, lex, lex_tail

# Characters that make code-like text: breaks of every kind, indentation, quotes, operators,
# digits, non-ASCII letters and digits, a character outside the BMP, stray control bytes.
CODE_CHARS = st.sampled_from(
    list("\r\n\t \x0c\x00abcxyz_019.eEjJ+-*/%@&|^=<>!:;,()[]{}#\"'\\`~?$")
    + ["é", "λ", "٣", "𝔘", "\u2028", "\ufeff", "\x85"]
)
code_text = st.text(CODE_CHARS, max_size=200)


@given(st.text())
def test_lossless_on_any_text(text: str) -> None:
    assert "".join(lex(text)) == text


@given(code_text)
def test_lossless_on_code_like_text(text: str) -> None:
    tokens = lex(text)
    assert "".join(tokens) == text
    assert all(tokens)
    assert count_tokens(text) == len(tokens)


@settings(max_examples=300)
@given(code_text, st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=3))
def test_lex_tail_matches_full_lex(text: str, n: int, repeat: int) -> None:
    # Repeating makes texts longer than the tail's first window.
    text = text * (1 + repeat * 40)
    assert lex_tail(text, n) == (lex(text)[-n:] if n else [])


def test_newline_carries_the_next_lines_indentation() -> None:
    text = "if x:\n    y = 1\n\n\tz\r\n  w\rv"
    assert lex(text) == [
        "if", " ", "x", ":", "\n    ", "y", " ", "=", " ", "1", "\n", "\n\t", "z",
        "\r\n  ", "w", "\r", "v",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "op", ["==", "!=", "<=", ">=", "->", "**", "//", ":=", "+=", "-=", "**=", "//=", ">>=", "..."]
)
def test_multi_character_operators_are_one_token(op: str) -> None:
    assert lex(f"a{op}b") == ["a", op, "b"]


@pytest.mark.parametrize("number", ["0", "42", "1_000", "3.14", ".5", "1e-3", "2.5E+10j", "0xFF"])
def test_numbers_are_one_token(number: str) -> None:
    assert lex(f"({number})") == ["(", number, ")"]


def test_identifiers_are_unicode_words() -> None:
    assert lex("naïve_λ2 = 𝔘x") == ["naïve_λ2", " ", "=", " ", "𝔘x"]


def test_quotes_and_other_characters_are_their_own_tokens() -> None:
    assert lex('f"{x!r}" """d""" # c') == [
        "f", '"', "{", "x", "!", "r", "}", '"', " ", '"""', "d", '"""', " ", "#", " ", "c",
    ]  # fmt: skip


def test_whitespace_runs_are_one_token() -> None:
    assert lex("a  \t b") == ["a", "  \t ", "b"]

"""Every position conversion (`base.positions`), each with a character outside the BMP."""

from __future__ import annotations

import jedi
import pytest
from lsprotocol.types import PositionEncodingKind

from typehole.base.positions import (
    UTF8,
    UTF16,
    UTF32,
    byte_offset,
    char_offset,
    jedi_offset,
    jedi_position,
    line_starts,
    lsp_encoding,
    offset_at,
    offset_from_cli,
    position_at,
)

TEXT = "a = 1\r\ns = '😀é' + x\n"
X = TEXT.index("x")


@pytest.mark.parametrize(("encoding", "character"), [(UTF16, 12), (UTF8, 15), (UTF32, 11)])
def test_lsp_positions_count_in_the_negotiated_encoding(encoding: str, character: int) -> None:
    assert position_at(TEXT, X, encoding) == (1, character)
    assert offset_at(TEXT, 1, character, encoding) == X


def test_lsp_positions_clamp_and_never_split_a_surrogate_pair() -> None:
    emoji = TEXT.index("😀")
    assert offset_at(TEXT, 1, 6, UTF16) == emoji  # inside the pair: stay before it
    assert offset_at(TEXT, 0, 99) == TEXT.index("\r")  # past the line's end
    assert offset_at(TEXT, 9, 0) == len(TEXT)


def test_negotiated_encoding_is_the_value_of_lsprotocols_enum() -> None:
    assert lsp_encoding(PositionEncodingKind.Utf16) == UTF16
    assert lsp_encoding(PositionEncodingKind.Utf8) == UTF8
    assert lsp_encoding("utf-32") == UTF32
    assert lsp_encoding(None) == UTF16
    # The enum member's str() is its name: counting by it would count code points.
    assert offset_at(TEXT, 1, 12, lsp_encoding(PositionEncodingKind.Utf16)) == X


def test_jedi_positions_match_jedi() -> None:
    line, column = jedi_position(TEXT, X)
    assert (line, column) == (2, 11)
    assert jedi_offset(TEXT, line, column) == X
    names = jedi.Script(TEXT + "x\n").get_names(all_scopes=True)
    s = next(n for n in names if n.name == "s")
    assert jedi_offset(TEXT, s.line, s.column) == TEXT.index("s =")


def test_bytes_and_cli() -> None:
    assert byte_offset(TEXT, X) == len(TEXT[:X].encode())
    assert char_offset(TEXT.encode(), byte_offset(TEXT, X)) == X
    assert offset_from_cli(TEXT, 2, 12) == X


def test_jedi_positions_after_a_byte_order_mark() -> None:
    text = "\ufeffvalue = 1\nother = value\n"
    names = {n.name: n for n in jedi.Script(text).get_names()}
    assert jedi_offset(text, names["value"].line, names["value"].column) == 1
    assert jedi_position(text, 1) == (names["value"].line, names["value"].column)


def test_one_position_without_line_starts_is_the_one_with_them() -> None:
    # `position_at` without `starts` counts lines in C; every kind of line end, an offset inside
    # a `\r\n`, characters of several units, every offset.
    text = "a\r\n\r\rb😀\n\r\n é\r\nc\r"
    for encoding in (UTF8, UTF16, UTF32):
        for offset in range(-1, len(text) + 2):
            assert position_at(text, offset, encoding) == position_at(
                text, offset, encoding, line_starts(text)), (offset, encoding)

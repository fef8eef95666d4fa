"""Every position conversion in typehole, each written once.

Internally a position is an *offset*: an index into the document's `str` (code points).
- LSP positions: 0-based line, `character` counted in the negotiated encoding (UTF-16 by default).
- CLI positions: 1-based line and 1-based column counted in characters, like compiler messages.
- Jedi positions: 1-based line and 0-based column counted in characters.
- tree-sitter positions: byte offsets into the UTF-8 encoding.
Lines end at "\\r\\n", "\\n" or "\\r", as the LSP specification says, and nowhere else:
`str.splitlines` also splits at \\x0b, \\x0c, \\x1c-\\x1e, \\x85, \\u2028 and \\u2029, so lines
counted as an editor counts them come from `split_lines`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

_LINE_END = re.compile(r"\r\n|\r|\n")
# Characters that take two UTF-16 units; a line without them counts units as code points.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# A line with its terminator, or a last line without one (never an empty match).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"

__all__ = ["UTF8", "UTF16", "UTF32", "byte_offset", "char_offset", "jedi_offset", "jedi_position",
           "line_starts", "lsp_encoding", "offset_at", "offset_from_cli", "position_at"]


def lsp_encoding(negotiated: object | None) -> str:
    """The encoding LSP `character`s are counted in: the `positionEncoding` client and server
    negotiated (an enum member such as lsprotocol's `PositionEncodingKind.Utf8`, or its string),
    UTF-16 when they negotiated none (LSP's default)."""
    value = getattr(negotiated, "value", negotiated)  # str() of a str enum member is its name
    return str(value) if value else UTF16


def line_starts(text: str) -> list[int]:
    """Offsets at which each line of `text` begins (the first is always 0)."""
    return [0] + [m.end() for m in _LINE_END.finditer(text)]


def starts_of(lines: list[str]) -> list[int]:
    """Offsets at which each of `lines` begins in the text they were split from at "\n"."""
    out, at = [], 0
    for line in lines:
        out.append(at)
        at += len(line) + 1
    return out


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """The lines of `text` as LSP counts them; otherwise like `str.splitlines`.

    No empty line follows a final line terminator, and "" has no lines.
    """
    lines = _LINE.findall(text)
    if keepends:
        return lines
    return [line.rstrip("\r\n") for line in lines]


def _line_end(text: str, starts: Sequence[int], line: int) -> int:
    """Offset of the end of `line`'s content (before its line terminator)."""
    if line + 1 < len(starts):
        end = starts[line + 1]
        if text[end - 2 : end] == "\r\n":
            return end - 2
        return end - 1
    return len(text)


def _units(ch: str, encoding: str) -> int:
    if encoding == UTF16:
        return 2 if ord(ch) > 0xFFFF else 1
    if encoding == UTF8:
        return len(ch.encode("utf-8", "surrogatepass"))
    return 1


def offset_at(text: str, line: int, character: int, encoding: str = UTF16,
              starts: Sequence[int] | None = None) -> int:
    """Offset of an LSP position in `text`; positions past a line's end or the file's end clamp.

    `starts` is `line_starts(text)` when the caller keeps it (finding lines is the costly part).
    """
    starts = line_starts(text) if starts is None else starts
    return _offset_in(text, starts, line, character, encoding)


def offsets_at(
    text: str, positions: Sequence[tuple[int, int]], encoding: str = UTF16,
    starts: Sequence[int] | None = None,
) -> list[int]:
    """`offset_at` of several (line, character) positions, splitting `text` into lines once."""
    starts = line_starts(text) if starts is None else starts
    return [_offset_in(text, starts, line, character, encoding) for line, character in positions]


def _offset_in(text: str, starts: Sequence[int], line: int, character: int,
               encoding: str) -> int:
    if line < 0:
        return 0
    if line >= len(starts):
        return len(text)
    start, end = starts[line], _line_end(text, starts, line)
    if encoding == UTF32:
        return min(start + max(character, 0), end)
    # Without wider characters up to the position, units are code points: no loop over a
    # megabyte-long line.
    near = min(start + max(character, 0), end)
    if _one_unit_each(text[start:near], encoding):
        return near
    units, offset = 0, start
    while offset < end and units < character:
        units += _units(text[offset], encoding)
        if units > character:  # the position splits a surrogate pair: stay before it
            break
        offset += 1
    return offset


def position_at(text: str, offset: int, encoding: str = UTF16,
                starts: Sequence[int] | None = None) -> tuple[int, int]:
    """LSP (line, character) of an offset in `text` (`starts`: `line_starts(text)`, if kept)."""
    offset = max(0, min(offset, len(text)))
    if starts is None:
        line, start = _line_of(text, offset)
    else:
        line = bisect_right(starts, offset) - 1
        start = starts[line]
    segment = text[start:offset]
    if encoding == UTF32:
        return line, len(segment)
    if encoding == UTF16:
        return line, len(segment) + len(_ASTRAL.findall(segment))
    if _one_unit_each(segment, encoding):
        return line, len(segment)
    return line, sum(_units(ch, encoding) for ch in segment)


def _line_of(text: str, offset: int) -> tuple[int, int]:
    """The line that holds `offset` and where it starts, counted in C (`str.count`): all the
    line starts of a 100 KB text cost milliseconds, asked for one offset at a time."""
    crlf = text.count("\r\n", 0, offset)
    if text.startswith("\r\n", offset - 1):
        crlf += 1  # `offset` is inside a `\r\n`: that is one line end, not yet reached
    lone_cr = text.count("\r", 0, offset) - crlf
    line = text.count("\n", 0, offset) + lone_cr
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    if text.startswith("\r\n", offset - 1):
        # The `\r` just before `offset` is the start of the line's own terminator.
        start = max(text.rfind("\n", 0, offset - 1), text.rfind("\r", 0, offset - 1)) + 1
    return line, start


def _one_unit_each(segment: str, encoding: str) -> bool:
    """Whether every character of `segment` is one unit of `encoding` (UTF-16 or UTF-8)."""
    if encoding == UTF16:
        return _ASTRAL.search(segment) is None
    return segment.isascii()


def offset_from_cli(text: str, line: int, column: int) -> int:
    """Offset of a 1-based `LINE:COL` (column in characters) as the CLI takes it."""
    return offset_at(text, line - 1, column - 1, UTF32)


def jedi_position(text: str, offset: int) -> tuple[int, int]:
    """Jedi's (and parso's) (1-based line, column in characters) of an offset.

    parso drops a leading byte-order mark, so its first-line columns start after it.
    """
    line, column = position_at(text, offset, UTF32)
    if line == 0 and text.startswith("\ufeff"):
        column = max(column - 1, 0)
    return line + 1, column


def jedi_offset(text: str, line: int, column: int) -> int:
    """The offset of Jedi's (and parso's) (1-based line, column in characters); past a line's
    end it clamps."""
    if line == 1 and text.startswith("\ufeff"):
        column += 1
    return offset_at(text, line - 1, column, UTF32)


def byte_offset(text: str, offset: int) -> int:
    """UTF-8 byte offset (tree-sitter's unit) of a code-point offset."""
    return len(text[:offset].encode("utf-8", "surrogatepass"))


def char_offset(data: bytes, byte: int) -> int:
    """Code-point offset of a UTF-8 byte offset (the inverse of `byte_offset`)."""
    return len(data[:byte].decode("utf-8", "replace"))

"""How much of a document typehole analyses: a size limit, a window, a nesting bound.

A document over the size limit (`ContextSettings.max_document_bytes`) is never analysed whole:
parsing and inferring 20 MB with Jedi takes minutes and gigabytes. Requests in it analyse
`analysis_window` around the cursor instead: whole lines, at most `ANALYSIS_WINDOW` characters,
three quarters of them before the cursor. The window's start moves in steps, so while the user
types its first line stays put and parso's diff parser re-parses only what changed. A line
longer than `LONG_LINE` is cut around the cursor, in a document of any size.

Bracket nesting deeper than `MAX_NESTING` is not Python (CPython's tokenizer refuses it) and is
where tree-sitter queries turn quadratic and Jedi's parser slow: `check_nesting` raises
`Unanalysable` for it, and the analyses that would suffer (Jedi Scripts, tags, scope bindings)
call it before they start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "ANALYSIS_WINDOW", "LONG_LINE", "MAX_NESTING", "Unanalysable", "Window", "analysis_window",
    "bounded", "check_nesting", "nesting", "utf8_over",
]

ANALYSIS_WINDOW = 65_536  # characters analysed around the cursor in a document over the limit
LONG_LINE = 4_096  # characters of the cursor's line analysed on each side of the cursor, at most
MAX_NESTING = 200  # CPython's tokenizer: "too many nested parentheses" past 200 levels
_STEPS = 8  # the window's start moves in steps of 1/8 of it
_BRACKETS = re.compile(r"[()\[\]{}]")
_BRACKET_BYTES = re.compile(rb"[()\[\]{}]")
_DEPTH: dict[str | bytes, int] = {  # each bracket, as text and as UTF-8, to its depth step
    key: step for bracket, step in {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.items()
    for key in (bracket, bracket.encode())}


class Unanalysable(ValueError):
    """The text is beyond what typehole analyses (see `check_nesting`)."""


def nesting(text: str | bytes) -> int:
    """The deepest bracket nesting of `text` (or its UTF-8 bytes), counted lexically.

    Brackets in strings and comments count too: that over-counts only where they hold more
    unbalanced openers than closers, which takes hundreds of them to matter against
    `MAX_NESTING`.
    """
    found = _BRACKET_BYTES.findall(text) if isinstance(text, bytes) else _BRACKETS.findall(text)
    return max(accumulate(map(_DEPTH.__getitem__, found)), default=0)


def check_nesting(text: str | bytes) -> None:
    """Raise `Unanalysable` when `text` nests brackets deeper than `MAX_NESTING`."""
    depth = nesting(text)
    if depth > MAX_NESTING:
        raise Unanalysable(f"brackets nested {depth} deep (Python allows {MAX_NESTING})")


def utf8_over(text: str, limit: int) -> bool:
    """Whether `text` takes more than `limit` bytes in UTF-8 (encoded only when in doubt)."""
    if len(text) > limit:
        return True  # a code point takes at least one byte
    if len(text) * 4 <= limit:
        return False  # and at most four
    return len(text.encode("utf-8", "surrogatepass")) > limit


@dataclass(frozen=True)
class Window:
    """The part `text[start:end]` of a document that is analysed; `offset` is the cursor's."""

    start: int
    end: int
    offset: int

    def of(self, text: str) -> tuple[str, int]:
        """The window's text and the cursor's offset in it."""
        return text[self.start:self.end], self.offset - self.start


def analysis_window(text: str, offset: int, size: int = ANALYSIS_WINDOW) -> Window:
    """Whole lines around `offset`, at most `size` characters, three quarters before the cursor.

    Its start is a multiple of `size / 8` moved to the next line start, so it stays put while
    the user types. Of a line longer than `LONG_LINE` characters (minified code, a data dump)
    at most `LONG_LINE` characters on each side of the cursor are kept: lexers run from the
    start of the cursor's line and would otherwise cost its whole length on every keystroke.
    """
    offset = max(0, min(offset, len(text)))
    line_start, line_end = _line_around(text, offset)
    long_before, long_after = offset - line_start > LONG_LINE, line_end - offset > LONG_LINE
    if len(text) <= size and not long_before and not long_after:
        return Window(0, len(text), offset)
    step = max(size // _STEPS, 1)
    low = max(0, offset - size * 3 // 4) // step * step
    if low == 0:
        start = 0
    elif low <= line_start:
        start = text.find("\n", low - 1, line_start) + 1 or line_start  # the next line start
    else:
        start = low  # the cursor's line alone is longer than the window's part before it
    if long_before:
        cut = LONG_LINE // 4
        start = max(start, line_start, -(-(offset - LONG_LINE) // cut) * cut)
    end = min(len(text), start + size)
    if long_after:
        end = min(end, offset + LONG_LINE)
    elif end < len(text):
        last = max(text.rfind("\n", offset, end), text.rfind("\r", offset, end))
        end = last if last >= 0 else end
    return Window(start, max(end, offset), offset)


def _line_around(text: str, offset: int) -> tuple[int, int]:
    """Start and end (before its line break) of the line holding `offset`."""
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    ends = [i for i in (text.find("\n", offset), text.find("\r", offset)) if i >= 0]
    return start, min(ends, default=len(text))


def bounded(text: str, offset: int, limit: int) -> Window | None:
    """The window to analyse around `offset` when `text` is over `limit` bytes or the cursor's
    line is over `LONG_LINE` characters; None when the whole text may be analysed.

    The window is `ANALYSIS_WINDOW` characters at most, and never more than `limit`.
    """
    size = min(ANALYSIS_WINDOW, limit) if utf8_over(text, limit) else len(text)
    window = analysis_window(text, offset, size)
    return None if (window.start, window.end) == (0, len(text)) else window

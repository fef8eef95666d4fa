"""Lexical facts about the text left of a cursor, robust to code that does not parse yet.

A parser sees a half-written statement as an error; a small scanner over the last lines before
the cursor still knows which brackets are open, where the current statement began, and whether the
cursor sits in a string or comment. Scanning a bounded window (80 lines, and at most 20,000
characters for lines as long as a minified file's) keeps this O(1) in the file's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Scan", "identifier_before", "scan_prefix", "split_param", "split_top", "tail_segment",
]

_WINDOW_LINES = 80
_WINDOW_CHARS = 20_000
# Keywords that cannot begin a line inside brackets: seeing one means the brackets were never
# closed (broken code) and a new statement began, so the scan forgets them.
_STATEMENT_START = re.compile(
    r"[ \t]*(pass|return|def|class|import|raise|elif|try|except|finally|with|while|del|"
    r"global|nonlocal|assert|break|continue|async|@)\b")
_CLOSE = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class Scan:
    """The state at the cursor: open brackets (char, offset), statement start, string/comment."""

    brackets: tuple[tuple[str, int], ...]
    statement_start: int
    in_string: bool
    in_comment: bool


def _window_start(text: str, offset: int) -> int:
    floor = max(0, offset - _WINDOW_CHARS)
    start = offset
    for _ in range(_WINDOW_LINES):
        found = text.rfind("\n", floor, start - 1 if start > 0 else 0)
        if found < 0:
            break
        start = found + 1
    else:
        return start
    if floor == 0:
        return 0
    # Past the character bound: the first line start after it, else a cut inside the line.
    found = text.find("\n", floor - 1, offset)
    return found + 1 if found >= 0 else floor


def scan_prefix(text: str, offset: int) -> Scan:
    """Scan `text[:offset]` from a line boundary up to 80 lines back."""
    pos = _window_start(text, offset)
    stack: list[tuple[str, int]] = []
    statement = pos
    quote = ""  # the open string's delimiter: ', ", ''' or \"\"\"
    in_comment = False
    while pos < offset:
        ch = text[pos]
        if in_comment:
            if ch == "\n":
                in_comment = False
                if not stack:
                    statement = pos + 1
            pos += 1
            continue
        if quote:
            if ch == "\\":
                pos += 2
                continue
            if text.startswith(quote, pos):
                pos += len(quote)
                quote = ""
                continue
            if ch == "\n" and len(quote) == 1:  # an unterminated one-line string ends here
                quote = ""
            pos += 1
            continue
        if ch == "#":
            in_comment = True
        elif ch in "'\"":
            triple = ch * 3
            quote = triple if text.startswith(triple, pos) else ch
            pos += len(quote)
            continue
        elif ch in "([{":
            stack.append((ch, pos))
        elif ch in ")]}":
            # Pop to the matching opener; a stray closer (broken code) is ignored.
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == _CLOSE[ch]:
                    del stack[i:]
                    break
        elif ch == "\\" and text.startswith("\n", pos + 1):
            pos += 2
            continue
        elif ch == "\n" and stack and _STATEMENT_START.match(text, pos + 1):
            stack.clear()
            statement = pos + 1
        elif ch in "\n;" and not stack:
            statement = pos + 1
        pos += 1
    return Scan(tuple(stack), statement, bool(quote), in_comment)


def split_top(text: str, sep: str) -> list[str]:
    """Split `text` at `sep` characters that are outside brackets and strings."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def tail_segment(text: str) -> str:
    """The text after the last top-level comma (the argument or element being written)."""
    return split_top(text, ",")[-1]


def split_param(param: str) -> tuple[str, str | None, str | None]:
    """`"*name: T = d"` -> ("name", "T", "d"): a parameter's name, annotation and default."""
    pieces = split_top(param, "=")
    name_part = pieces[0]
    default = "=".join(pieces[1:]).strip() if len(pieces) > 1 else None
    name, colon, annotation = name_part.partition(":")
    return (name.strip().lstrip("*").strip(), annotation.strip() if colon else None,
            default or None)


_IDENT_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


def identifier_before(text: str) -> str:
    """The identifier that ends `text` ("" if none)."""
    m = _IDENT_TAIL.search(text)
    return m.group(0) if m else ""

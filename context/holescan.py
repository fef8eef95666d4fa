"""Lexical facts about the text left of a cursor, robust to code that does not parse yet.

A parser sees a half-written statement as an error; the scanner (`base.scan`) over the last lines
before the cursor still knows which brackets are open, where the current statement began, and
whether the cursor sits in a string or comment. Scanning a bounded window (80 lines, and at most
20,000 characters for lines as long as a minified file's) keeps this O(1) in the file's size.
Here: hole analysis's recovery rule on top of it, and parameter-text helpers.
"""

from __future__ import annotations

import re

from typehole.base.scan import LexState, split_top, window_start

__all__ = ["identifier_before", "scan_prefix", "split_param", "tail_segment"]

# Keywords that cannot begin a line inside brackets: seeing one means the brackets were never
# closed (broken code) and a new statement began, so the scan forgets them.
_STATEMENT_START = re.compile(
    r"[ \t]*(pass|return|def|class|import|raise|elif|try|except|finally|with|while|del|"
    r"global|nonlocal|assert|break|continue|async|@)\b")


def scan_prefix(text: str, offset: int) -> LexState:
    """The lexical state at `offset`, scanned from `base.scan.window_start` (80 lines back)."""
    pos = window_start(text, offset)
    state = LexState(pos)
    while pos < offset:
        newline = text.find("\n", pos, offset)
        if newline < 0:
            state.feed_text(text, pos, offset)
            break
        state.feed_text(text, pos, newline)
        plain = state.in_code and not state.continued  # a line end in code ends a statement
        state.feed("\n")
        if plain and state.brackets and _STATEMENT_START.match(text, newline + 1):
            state.forget_brackets()
        pos = newline + 1
    return state


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

"""Broken syntax: the edit left a file that parsed unparsable; where it stopped parsing is next.

Commits are written in pieces: a `try:` whose `except` comes a few lines further down, a new
block header whose body is written next, a statement split over lines still to write. When the
text parsed before the edit and does not after it, Python's parser names the line where it gave
up, and that line is where the next edit goes (location only: what completes the code is the
user's). Not said where the parser cannot know the place: a bracket or string left open (it
names where it opened, not where it should close), or an error on the lines the edit itself
wrote (the user is still typing there).

A suggestion made after an older edit holds while the text now still fails on its line (`holds`):
the edit that completes the code drops it.
"""

from __future__ import annotations

import ast
import hashlib
import threading

from cachetools import LRUCache

from .records import Event, Suggestion

__all__ = ["broken_suggestions", "holds"]

MAX_CHARS = 400_000  # a larger file is generated, not written by hand
# Errors whose line is where something opened, not where the code goes on.
_UNPLACED = ("never closed", "unterminated", "unexpected EOF", "EOF while")


def broken_suggestions(event: Event) -> list[Suggestion]:
    """The line where the text stopped parsing, when the edit broke a text that parsed."""
    text = event.after
    if len(text) > MAX_CHARS or len(event.before) > MAX_CHARS:
        return []
    error = _error(text)
    if error is None or _error(event.before) is not None:
        return []  # it parses after all, or it did not parse before: not this edit's break
    line, message = error
    if any(m in message for m in _UNPLACED):
        return []
    lo, hi = _line_span(text, line)
    change = event.change
    if lo < change.inserted_end and change.start <= hi:
        return []  # on the lines just typed: still being written
    reason = f"the edit left the code unfinished: line {line} does not parse ({message})"
    return [Suggestion(lo, hi, text[lo:hi], "syntax", reason, text[lo:hi], f"syntax:{line}",
                       jump=True)]


def holds(text: str, s: Suggestion) -> bool:
    """Whether `text` still fails to parse on the suggestion's lines."""
    error = _error(text)
    if error is None:
        return False
    lo, hi = _line_span(text, error[0])
    return lo <= s.end and s.start <= hi


# Each edit's `after` is the next one's `before`: its verdict is kept rather than parsed again.
_ERRORS: LRUCache[bytes, tuple[int, str] | None] = LRUCache(maxsize=8)
_LOCK = threading.Lock()


def _error(text: str) -> tuple[int, str] | None:
    """(line, message) of the first syntax error in `text`; None when it parses."""
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    with _LOCK:
        if key in _ERRORS:
            return _ERRORS[key]
    error: tuple[int, str] | None = None
    try:
        # Python's own parser: tree-sitter recovers from what it rejects (a `try:` with no
        # `except`, an unexpected indent), and says less precisely where.
        ast.parse(text)
    except SyntaxError as e:
        error = (e.lineno or 1), e.msg
    except (ValueError, RecursionError, MemoryError):
        pass  # a null byte, a nesting too deep: nothing to point at
    with _LOCK:
        _ERRORS[key] = error
    return error


def _line_span(text: str, line: int) -> tuple[int, int]:
    """The offsets of line `line` (1-based), without its newline."""
    lo = 0
    for _ in range(line - 1):
        at = text.find("\n", lo)
        if at < 0:
            return len(text), len(text)
        lo = at + 1
    hi = text.find("\n", lo)
    return lo, len(text) if hi < 0 else hi

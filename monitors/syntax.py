"""Syntax: brackets close in order, one-line strings end on their line, blocks end the completion.

Purely lexical (the tracker's `LexState`), so it is asked inside strings too. Generation stops
before a generated line that dedents below the cursor's line outside brackets: that line belongs
to an enclosing block the user did not ask to write.
"""

from __future__ import annotations

from .base import View
from .constraint import Constraint

__all__ = ["SyntaxMonitor"]

_CLOSERS = ")]}"


class SyntaxMonitor:
    """Bans closers that match no open bracket and line breaks inside one-line strings."""

    name = "syntax"
    lexical = True

    def __init__(self, base_indent: int = 0) -> None:
        self.base_indent = base_indent

    def pre(self, view: View) -> Constraint | None:
        lex = view.lex
        if lex.comment:
            return None
        if lex.quote:
            if len(lex.quote) == 1 and not lex.escape:
                return Constraint(banned=frozenset("\r\n"), source=(self.name,))
            return None
        banned = frozenset(c for c in _CLOSERS if not lex.closer_allowed(c))
        return Constraint(banned=banned, source=(self.name,)) if banned else None

    def stop(self, view: View) -> bool:
        line = view.lex.line
        indent = len(line) - len(line.lstrip(" \t"))
        return not view.lex.brackets and indent < self.base_indent

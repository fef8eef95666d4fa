"""The Monitor protocol and the `View` of the virtual document a monitor reads at a boundary.

The virtual document is the document's prefix, the text generated so far and the original
suffix. A monitor's `pre` is asked at a character boundary (never inside an identifier, except
before a non-identifier character) whether that boundary is one of its trigger points, and if so
returns the `Constraint` for what may follow; None means it has no opinion. Lexical tests come
first and are cheap; analysis (`View.facts`) runs only at trigger points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .constraint import Constraint
from .facts import Facts
from .lexstate import LexState
from .scopenames import visible_names

__all__ = ["Monitor", "View"]


@dataclass
class View:
    """The virtual document at one boundary: `prefix + generated`, then `suffix`."""

    prefix: str
    generated: str
    suffix: str
    lex: LexState
    facts: Facts
    star_import: bool = False  # `from m import *` in the document: names are not knowable

    @property
    def offset(self) -> int:
        """Absolute offset of the boundary."""
        return len(self.prefix) + len(self.generated)

    def upto(self, offset: int) -> str:
        """Virtual text from the start to absolute `offset` (at most the boundary)."""
        n = len(self.prefix)
        if offset <= n:
            return self.prefix[:offset]
        return self.prefix + self.generated[: offset - n]

    def between(self, start: int) -> str:
        """Virtual text from absolute `start` to the boundary."""
        n = len(self.prefix)
        if start >= n:
            return self.generated[start - n:]
        return self.prefix[start:] + self.generated

    def document(self, offset: int) -> tuple[str, int]:
        """The text Jedi analyses for a query at `offset`, and that offset in it."""
        return self.upto(offset) + self.suffix, offset

    def complete(self, offset: int) -> list[str] | None:
        """Names Jedi completes at `offset` (None when unknown); dynamic attributes fail open."""
        found = self.facts.complete(*self.document(offset))
        if not found or any(n.name in ("__getattr__",) for n in found):
            return None
        return [n.name for n in found]

    def names_in_scope(self) -> list[str] | None:
        """Names a bare identifier may read at the boundary, nearest first (None when unknown).

        From tree-sitter (`scopenames`, a superset of what is in scope); Jedi only when that
        analysis fails.
        """
        try:
            return visible_names(self.prefix, self.suffix, self.generated, self.facts.path)
        except (ValueError, RuntimeError, UnicodeError):
            return self.complete(self.offset)


class Monitor(Protocol):
    """A static-analysis monitor (Agrawal et al.'s pre/maskgen/update, as a pure function).

    `pre` must be a function of the view's state, so results can be memoised per boundary.
    `lexical` monitors are also asked inside strings and comments.
    """

    name: str
    lexical: bool

    def pre(self, view: View) -> Constraint | None: ...

    def stop(self, view: View) -> bool:
        """Whether generation should end before the line that starts at this boundary's line."""
        ...

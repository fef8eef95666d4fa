"""The type oracle: the questions typehole asks a type engine about code, and what an answer means.

Monitors and typed-hole context ask an oracle, never an engine directly. Two engines answer:
Jedi in-process (`jedi.py`) and ty's language server as a child process (`ty.py`); which one
answers which question is a measured choice (`Engine`). Every question is asked about a text,
an offset into it (code points) and the file the text belongs to, with a deadline
(`time.monotonic()`); every answer may be None, which means *unknown*: the caller fails open
(a monitor constrains nothing), it never reads None as "nothing is allowed". An engine that
could not answer at all (still starting, crashed, out of time) raises `Unavailable` instead,
so the caller can ask the other engine. An answer that
says nothing about the code (ty lists `object`'s dunders for a receiver it cannot type) is
turned into None here, by `known_members`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from typehole.context.holescan import scan_prefix
from typehole.context.receiver import Parameter

__all__ = [
    "Engine", "Location", "Oracle", "Parameter", "Unavailable", "close_brackets",
    "known_members",
]

# auto: ty where it answers, Jedi where ty is missing, not ready, failing or does not know.
Engine = Literal["auto", "jedi", "ty"]

_CLOSERS = {"(": ")", "[": "]", "{": "}"}


class Unavailable(Exception):
    """The engine could not answer this time (not started yet, stopped, out of time): not an
    answer about the code, so the caller asks another engine."""


@dataclass(frozen=True)
class Location:
    """Where a name is defined: a file and a 1-based line, 0-based column (code points)."""

    path: str
    line: int
    column: int


class Oracle(Protocol):
    """What a type engine answers. Each method returns None when the engine does not know, and
    raises `Unavailable` when it could not be asked."""

    name: str

    def members(self, text: str, offset: int, path: str | None,
                deadline: float | None) -> list[str] | None:
        """Names that may follow the `.` that ends at `offset` (the receiver's members)."""
        ...

    def names(self, text: str, offset: int, path: str | None,
              deadline: float | None) -> list[str] | None:
        """Names completable at `offset` with nothing typed there (in scope, or importable)."""
        ...

    def signatures(self, text: str, offset: int, path: str | None,
                   deadline: float | None) -> list[list[Parameter]] | None:
        """Parameters of each signature of the call whose `(` ends just before `offset`."""
        ...

    def argument_type(self, text: str, offset: int, path: str | None,
                      deadline: float | None) -> str | None:
        """The annotation of the parameter that the call argument being written at `offset`
        fills (the expected type of a call-argument hole)."""
        ...

    def type_at(self, text: str, offset: int, path: str | None,
                deadline: float | None) -> str | None:
        """The type of the name or attribute that ends at `offset`, as a type expression."""
        ...

    def definition(self, text: str, offset: int, path: str | None,
                   deadline: float | None) -> list[Location] | None:
        """Where the name that ends at `offset` is defined."""
        ...

    def type_definition(self, text: str, offset: int, path: str | None,
                        deadline: float | None) -> list[Location] | None:
        """Where the type of the name that ends at `offset` is defined."""
        ...


def close_brackets(text: str, offset: int) -> str | None:
    """The closers of the brackets open at `offset`, innermost first (`f(x[a.` -> `])`).

    A parser that reads `f(x.` followed by nothing joins whatever comes next onto the dot; with
    the brackets closed the dot ends an expression. None when `offset` is inside a string or a
    comment: there is no expression to ask about.
    """
    scan = scan_prefix(text, offset)
    if scan.in_string or scan.in_comment:
        return None
    return "".join(_CLOSERS[opener] for opener, _ in reversed(scan.brackets))


def known_members(names: list[str]) -> list[str] | None:
    """`names` when they say something about the receiver; None when only dunders (or nothing)
    are listed: those are `object`'s, what an engine lists for a type it does not know."""
    if not names or all(n.startswith("__") and n.endswith("__") for n in names):
        return None
    return names

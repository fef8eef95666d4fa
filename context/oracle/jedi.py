"""The Jedi engine of the type oracle: in-process, on the warm state of `jedistate`.

Jedi is not thread-safe: every method runs Jedi on the caller's thread, which must be the one
analysis thread (callers submit to it). With a deadline, inference gives up when it passes and
`OutOfTime` is raised: an answer found then may be missing names and is not an answer.
Besides the `Oracle` questions, Jedi can evaluate a receiver chain at a point of the document
as it is, without a new parse (`receiver_members`, `receiver_signatures`; see `receiver.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import jedi

from typehole.base.limits import Unanalysable
from typehole.base.positions import UTF32, position_at
from typehole.context import jedistate
from typehole.context.holescan import split_param
from typehole.context.receiver import Link, Parameter, receiver_members, receiver_signatures

from .base import Location, Unavailable

__all__ = ["JediOracle", "OutOfTime", "argument_type", "type_of_names"]

_T = TypeVar("_T")


class OutOfTime(Unavailable):
    """Jedi gave up at the query's deadline: whatever it found may be incomplete."""


def type_of_names(names: list[Any]) -> str | None:
    """One type string for what Jedi inferred (a union when it found several)."""
    out: list[str] = []
    for n in names:
        if n.type == "module":
            hint = n.full_name or n.name
        elif n.type == "class":
            hint = f"type[{n.name}]"
        elif n.type == "function":
            continue  # a function object as a value: its signature says more than a type name
        else:
            try:
                hint = n.get_type_hint() or n.name
            except Exception:  # noqa: BLE001 - Jedi raises on odd stubs; no hint is no error
                hint = n.name
        if hint and hint not in out:
            out.append(hint)
    return " | ".join(out[:3]) if out else None


class JediOracle:
    """Jedi's answers for files of one project (None: the project Jedi finds for the file)."""

    name = "jedi"

    def __init__(self, project: jedi.Project | None = None) -> None:
        self.project = project

    def members(self, text: str, offset: int, path: str | None,
                deadline: float | None = None) -> list[str] | None:
        """Names Jedi completes right after the `.` that ends at `offset`."""
        return self.names(text, offset, path, deadline)

    def names(self, text: str, offset: int, path: str | None,
              deadline: float | None = None) -> list[str] | None:
        """Names Jedi completes at `offset` with nothing typed there."""
        return self._ask(text, offset, path, deadline,
                         lambda s, line, col: [c.name for c in s.complete(line, col)])

    def signatures(self, text: str, offset: int, path: str | None,
                   deadline: float | None = None) -> list[list[Parameter]] | None:
        """Parameters of each signature of the call whose `(` ends just before `offset`."""
        return self._ask(text, offset, path, deadline,
                         lambda s, line, col: [[Parameter(p.name, p.kind.name,
                                                          "=" in p.to_string())
                                                for p in sig.params]
                                               for sig in s.get_signatures(line, col)])

    def argument_type(self, text: str, offset: int, path: str | None,
                      deadline: float | None = None) -> str | None:
        """The annotation of the parameter the argument being written at `offset` fills."""
        return self._ask(text, offset, path, deadline,
                         lambda s, line, col: argument_type(s.get_signatures(line, col)))

    def type_at(self, text: str, offset: int, path: str | None,
                deadline: float | None = None) -> str | None:
        """The inferred type of the name that ends at `offset`."""
        return self._ask(text, max(offset - 1, 0), path, deadline,
                         lambda s, line, col: type_of_names(s.infer(line, col)))

    def definition(self, text: str, offset: int, path: str | None,
                   deadline: float | None = None) -> list[Location] | None:
        """Where the name that ends at `offset` is defined (Jedi's `goto`, imports followed)."""
        return self._ask(text, max(offset - 1, 0), path, deadline,
                         lambda s, line, col: _locations(
                             s.goto(line, col, follow_imports=True)))

    def type_definition(self, text: str, offset: int, path: str | None,
                        deadline: float | None = None) -> list[Location] | None:
        """Where the inferred type of the name that ends at `offset` is defined."""
        return self._ask(text, max(offset - 1, 0), path, deadline,
                         lambda s, line, col: _locations(s.infer(line, col)))

    def receiver_members(self, text: str, offset: int, path: str | None,
                         chain: tuple[Link, ...],
                         deadline: float | None = None) -> list[str] | None:
        """Members of `chain` as it means at `offset` of `text` (no new parse)."""
        return self._ask(text, offset, path, deadline,
                         lambda s, line, col: receiver_members(s, line, col, list(chain)))

    def receiver_signatures(self, text: str, offset: int, path: str | None,
                            chain: tuple[Link, ...],
                            deadline: float | None = None) -> list[list[Parameter]] | None:
        """Signatures of calling `chain` as it means at `offset` of `text` (no new parse)."""
        return self._ask(text, offset, path, deadline,
                         lambda s, line, col: receiver_signatures(s, line, col, list(chain)))

    def _ask(self, text: str, offset: int, path: str | None, deadline: float | None,
             question: Callable[[jedi.Script, int, int], _T | None]) -> _T | None:
        """`question(script, line, column)` at `offset` of `text`; None when Jedi fails on it.

        Raises `OutOfTime` when inference gave up at `deadline`.
        """
        row, col = position_at(text, offset, UTF32)
        try:
            made = jedistate.script(text, path, self.project, deadline)
        except Unanalysable:  # nested deeper than Python allows: nothing to constrain with
            return None
        try:
            answer = question(made, row + 1, col)
        except Exception:  # noqa: BLE001 - parso/Jedi errors on half-written code: fail open
            answer = None
        if jedistate.ran_out(made):
            raise OutOfTime
        return answer


def argument_type(signatures: list[Any]) -> str | None:
    """The annotation of the parameter Jedi's call signatures place the cursor at (None: none)."""
    for sig in signatures:
        if sig.index is None or sig.index >= len(sig.params):
            continue
        _, annotation, _ = split_param(sig.params[sig.index].to_string())
        if annotation:
            return annotation
    return None


def _locations(names: list[Any]) -> list[Location] | None:
    out = [Location(str(n.module_path), n.line, n.column) for n in names
           if n.module_path is not None and n.line is not None]
    return out or None

"""The frozen records of filling a hole: the hole, a finding, a candidate, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from typehole.base.positions import position_at

HoleKind = Literal["body", "expression", "todo"]


@dataclass(frozen=True)
class FillHole:
    """A place the developer left to be written, and everything known about it.

    `start`/`end` are code-point offsets of the text the fill replaces. The model writes after
    `text[:start] + lead`, so the edit's new text is always `lead + candidate`: `lead` is the
    indentation of a body that starts at a line start, a newline plus indentation where the body
    must move off the `def` line (`def f(): ...`) or follow a docstring, and "" for expressions.
    """

    kind: HoleKind
    start: int
    end: int
    lead: str
    indent: str
    line: int  # 0-based line of the hole's start, for messages
    function: str | None = None  # the enclosing function's name
    signature: str | None = None  # its header text, `def f(x: int) -> int:`
    return_type: str | None = None
    docstring: str | None = None
    instruction: str | None = None  # the TODO text, when the developer wrote one


@dataclass(frozen=True)
class Finding:
    """One static error in a candidate, positioned in the candidate's own text.

    `start`/`end` are code-point offsets into the candidate; `line`/`column` are 1-based (column
    in characters), like compiler messages.
    """

    source: str  # "syntax", "pyflakes", "jedi", "mypy", "pyright"
    code: str
    message: str
    start: int
    end: int
    line: int
    column: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (the CLI's and the command's `remaining_errors`)."""
        return {"source": self.source, "code": self.code, "message": self.message,
                "line": self.line, "column": self.column, "start": self.start, "end": self.end}

    def render(self) -> str:
        """One line for the model: `line 2, col 5: message [source code]`."""
        return f"line {self.line}, col {self.column}: {self.message} [{self.source} {self.code}]"


@dataclass(frozen=True)
class Candidate:
    """One generated fill (`round` 0 is the first attempt) and what the checker found in it."""

    text: str
    round: int
    findings: tuple[Finding, ...] = ()
    logprob: float | None = None  # mean per chunk, when the backend reports one

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (one entry of `candidates`)."""
        return {"text": self.text, "round": self.round, "logprob": self.logprob,
                "errors": [f.to_json() for f in self.findings]}


@dataclass(frozen=True)
class FillResult:
    """The outcome of a fill: the best candidate (None when the model wrote nothing usable)."""

    hole: FillHole
    best: Candidate | None
    candidates: tuple[Candidate, ...] = ()
    rounds: int = 0  # error rounds run after the first attempt
    notes: tuple[str, ...] = field(default=())  # checkers skipped, why the loop stopped

    @property
    def new_text(self) -> str | None:
        """The edit's replacement text for the hole's range."""
        return None if self.best is None else self.hole.lead + self.best.text

def result_json(text: str, result: FillResult | None) -> dict[str, Any]:
    """The JSON shape shared by the CLI and the server's command."""
    if result is None:
        return {
            "edit": None,
            "rounds": 0,
            "remaining_errors": [],
            "candidates": [],
            "notes": ["no hole to fill at this line"],
        }
    edit = None
    if result.new_text is not None:
        start = dict(zip(("line", "character"), position_at(text, result.hole.start), strict=True))
        end = dict(zip(("line", "character"), position_at(text, result.hole.end), strict=True))
        edit = {"range": {"start": start, "end": end}, "new_text": result.new_text}
    remaining = [f.to_json() for f in result.best.findings] if result.best else []
    return {
        "edit": edit,
        "kind": result.hole.kind,
        "rounds": result.rounds,
        "remaining_errors": remaining,
        "candidates": [c.to_json() for c in result.candidates],
        "notes": list(result.notes),
    }

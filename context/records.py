"""The frozen dataclasses `context/` speaks: definitions, holes, snippets and the gathered context.

Lines in these records are 1-based (as people and compiler messages count them); offsets are
code-point indices into the document `str` (see `positions.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ContextResult", "Definition", "Hole", "HoleKind", "Import", "RelevantHeader",
    "RelevantType", "ScopeName", "Snippet",
]


class HoleKind:
    """The syntactic position of a hole; each decides where its expected type comes from."""

    CALL_ARGUMENT = "call_argument"
    RETURN = "return"
    ANNOTATED_ASSIGNMENT = "annotated_assignment"
    ATTRIBUTE_ASSIGNMENT = "attribute_assignment"
    COMPARISON = "comparison"
    DEREFERENCE = "dereference"
    FOR_TARGET = "for_target"
    DEFAULT = "default"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Definition:
    """A definition found by the index: a class, function, method, module variable or field."""

    path: str  # workspace-relative, POSIX separators
    module: str
    name: str
    qualname: str  # `Class.method` for members, `name` at module level
    kind: str  # class | function | method | variable | field
    line: int
    end_line: int
    signature: str  # `def f(x: int) -> str`, `class C(Base)`, `X: int = 3`
    doc: str = ""  # first line of the docstring
    annotation: str = ""  # return annotation for functions, declared type for variables/fields
    parent: str = ""  # qualname of the enclosing class for members


@dataclass(frozen=True)
class Import:
    """One imported name: `from module import name as alias` or `import module as alias`."""

    module: str  # absolute (relative imports are resolved against the importing file)
    name: str  # "" for `import module`
    alias: str  # the name bound in the importing file
    line: int


@dataclass(frozen=True)
class ScopeName:
    """A name visible at the hole, with its type when known."""

    name: str
    type: str | None
    kind: str  # param | local | global | import | class | function


@dataclass(frozen=True)
class Hole:
    """What static analysis knows about the cursor position."""

    kind: str
    expected_type: str | None
    line: int  # 1-based
    column: int  # 0-based code points
    receiver: str | None = None  # the expression before `.` for dereference holes
    function: str | None = None  # enclosing function's qualified name
    scope: tuple[ScopeName, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "expected_type": self.expected_type}


@dataclass(frozen=True)
class RelevantType:
    """A type definition printed as a body-less stub."""

    name: str
    path: str
    line: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "line": self.line, "text": self.text}


@dataclass(frozen=True)
class RelevantHeader:
    """A workspace function whose return type matches or contains the expected type."""

    name: str
    path: str
    line: int
    signature: str
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "line": self.line,
                "signature": self.signature}


@dataclass(frozen=True)
class Snippet:
    """Retrieved text from another file: `rationale` (a used symbol's definition) or `analogy`."""

    path: str
    start_line: int
    end_line: int
    text: str
    source: str  # rationale | analogy | continuation
    score: float
    # A continuation's line after the matched lines, where those lines start at the cursor's own
    # last line's column (so this line starts at the cursor): what the code went on with there.
    next_line: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "start_line": self.start_line,
                               "end_line": self.end_line, "text": self.text,
                               "source": self.source, "score": round(self.score, 4)}
        if self.next_line is not None:
            out["next_line"] = self.next_line
        return out


@dataclass(frozen=True)
class ContextResult:
    """Everything gathered for one cursor, and the prompt text packed into the token budget."""

    hole: Hole
    relevant_types: tuple[RelevantType, ...]
    relevant_headers: tuple[RelevantHeader, ...]
    snippets: tuple[Snippet, ...]
    prompt: str
    tokens: int
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Stage -> why it was skipped or cut short (the deadline, query terms too common to score).
    skipped: dict[str, str] = field(default_factory=dict)
    # The line that followed the cursor's last lines at the one other place they occur, starting
    # at the cursor's column there (`Snippet.next_line` of the only continuation found).
    next_line: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The `typehole context --json` contract of DESIGN.md (`skipped` only when not empty)."""
        out: dict[str, Any] = {
            "hole": self.hole.to_json(),
            "relevant_types": [t.to_json() for t in self.relevant_types],
            "relevant_headers": [h.to_json() for h in self.relevant_headers],
            "snippets": [s.to_json() for s in self.snippets],
            "prompt": self.prompt,
            "tokens": self.tokens,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }
        if self.skipped:
            out["skipped"] = dict(self.skipped)
        if self.next_line is not None:
            out["next_line"] = self.next_line
        return out

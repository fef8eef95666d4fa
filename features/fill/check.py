"""Static checking of one candidate in its real file: syntax, names, members and calls, types.

`check_candidate` runs the checkers in order of cost and stops after syntax errors (names and
types are meaningless in code that does not parse). It uses Jedi: call it from the one analysis
thread. Checkers that cannot run say so in the notes rather than silently passing.
"""

from __future__ import annotations

from dataclasses import dataclass

import jedi

from .patch import Patched
from .records import FillHole, Finding
from .syntaxcheck import pyflakes_findings, syntax_findings
from .typecheck import type_findings
from .validity import validity_findings

__all__ = ["CheckOptions", "check_candidate"]


@dataclass(frozen=True)
class CheckOptions:
    """Where the file lives and which optional checkers run."""

    path: str | None = None  # absolute path of the file (Jedi, the type checker)
    root: str | None = None  # the workspace root (the type checker's working directory)
    project: jedi.Project | None = None
    jedi: bool = True
    type_checker: str = "auto"  # "auto", "mypy", "pyright" or "none"
    type_checker_timeout_s: float = 60.0


def check_candidate(original: str, hole: FillHole, candidate: str,
                    options: CheckOptions = CheckOptions()) -> tuple[list[Finding], list[str]]:
    """(findings sorted by position, notes) for `candidate` placed in `hole` of `original`."""
    if not candidate.strip():
        empty = Finding("syntax", "empty", "the fill is empty", 0, 0, 1, 1)
        return [empty], []
    if _still_a_stub(candidate):
        stub = Finding("syntax", "stub", "the fill is still a placeholder; write the code",
                       0, len(candidate), 1, 1)
        return [stub], []
    p = Patched.of(original, hole, candidate)
    notes: list[str] = []
    found = syntax_findings(p)
    if not found:
        names = pyflakes_findings(p)
        if names is None:
            notes.append("pyflakes is not installed: undefined and unused names not checked")
        found.extend(names or [])
        if options.jedi:
            try:
                found.extend(validity_findings(p, options.path, options.project))
            except Exception as exc:  # noqa: BLE001 - Jedi bugs on odd code: skip, and say so
                notes.append(f"attribute and call checks skipped: Jedi failed ({exc!r})")
        typed, note = type_findings(p, options.path, options.root, options.type_checker,
                                    options.type_checker_timeout_s)
        found.extend(typed)
        if note:
            notes.append(note)
    return _dedupe(found), notes


def _still_a_stub(candidate: str) -> bool:
    code = [line.strip() for line in candidate.splitlines()
            if line.strip() and not line.strip().startswith("#")]
    return len(code) == 1 and (code[0] in ("...", "pass")
                               or code[0].startswith("raise NotImplementedError"))


def _dedupe(found: list[Finding]) -> list[Finding]:
    """One finding per (position, message): pyflakes and a type checker often agree."""
    seen: set[tuple[int, str]] = set()
    out = []
    for f in sorted(found, key=lambda f: (f.start, f.source)):
        key = (f.start, f.message.lower())
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out

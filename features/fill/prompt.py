"""What the model is asked: the task, the typed context, and in error rounds the previous
candidate with its static errors; plus trimming what it writes back to the hole.

Everything the model reads before the code is Python comments, so it is valid in front of any
prefix and any FIM template. The error message follows the typed-holes study's wording ("The
following static errors were discovered"), one finding per line, positions in the candidate.
"""

from __future__ import annotations

from .records import Candidate, FillHole

__all__ = ["task_text", "feedback_text", "trim", "unit_complete", "MAX_FEEDBACK"]

MAX_FEEDBACK = 8  # findings shown per round; the rest are counted


def _comment(lines: list[str]) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def task_text(hole: FillHole) -> str:
    """The task as comments: what to write, for which function, returning what."""
    what = {"body": "the body of", "todo": "the code for a TODO in",
            "expression": "the expression marked by a placeholder in"}[hole.kind]
    target = f"`{hole.signature.rstrip(':')}`" if hole.signature else "the module"
    lines = [f"Task: write {what} {target}."]
    if hole.return_type:
        lines.append(f"It must return `{hole.return_type}`.")
    if hole.instruction:
        lines.append(f"What to write: {hole.instruction}")
    lines.append("Use only names that exist; keep to the code's style.")
    return _comment(lines)


def feedback_text(previous: Candidate) -> str:
    """The error-round message: the previous candidate and its findings, as comments."""
    lines = ["A previous attempt at this hole was:"]
    lines += ["    " + line for line in previous.text.splitlines()]
    lines.append("The following static errors were discovered:")
    shown = previous.findings[:MAX_FEEDBACK]
    lines += [f"- {f.render()}" for f in shown]
    if len(previous.findings) > len(shown):
        lines.append(f"- and {len(previous.findings) - len(shown)} more")
    lines.append("Write a corrected version that fixes these errors.")
    return _comment(lines)


def unit_complete(hole: FillHole, text: str, max_lines: int) -> bool:
    """True once generating more could only be cut away by `trim` (stops the stream early)."""
    lines = text.split("\n")
    if hole.kind == "expression":
        return len(lines) > 1
    if len(lines) > max_lines + 1:
        return True
    return any(line.strip() and not line.startswith(hole.indent) for line in lines[1:-1])


def trim(hole: FillHole, generated: str, suffix: str, max_lines: int) -> str:
    """The part of `generated` that belongs in the hole.

    An expression is one line, without a copy of the code that follows it on the line. A body
    ends where a line leaves the hole's indentation, or where the model starts repeating the
    code after the hole (FIM models often run on into the suffix).
    """
    if hole.kind == "expression":
        line = generated.split("\n", 1)[0].rstrip()
        rest = suffix.split("\n", 1)[0].strip()
        if rest and line.endswith(rest):
            line = line[: -len(rest)].rstrip()
        return line.strip()
    following = next((s for s in suffix.split("\n") if s.strip()), None)
    lines = generated.split("\n")
    if len(lines) > 1 and not lines[0].strip():
        # The model began with a line break: its first real line carries its own indentation,
        # which the hole's lead already provides.
        while len(lines) > 1 and not lines[0].strip():
            lines.pop(0)
        lines[0] = lines[0].removeprefix(hole.indent)
    kept: list[str] = []
    for i, line in enumerate(lines):
        if i and line.strip() and not line.startswith(hole.indent):
            break
        if i and following is not None and line.rstrip() == following.rstrip():
            break
        kept.append(line.rstrip())
        if len(kept) >= max_lines:
            break
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)

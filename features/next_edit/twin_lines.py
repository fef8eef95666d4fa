"""Twin lines: a line edited in one method -> the same line in its namesake in another class.

The twin engine (`twins.py`) follows blocks; within one line, a sync client's method and its
async twin are edited alike too: an argument appended to a call (`and not
should_not_be_proxied(url)`), a `# pragma: nocover` added, a `.lower()` inserted. When the edit
stays within one line of a method, and a method of the same name in another class of the file
has exactly one line reading as the edited line did (its indentation, `await` and `async`
aside), that line is next: the same new line (re-indented) where the twin's line reads exactly
the same, a location-only suggestion where it differs by `await`/`async`. A line with too little
on it to tell (`pass`, `return response`: no call, attribute, assignment or subscript) says
nothing.
"""

from __future__ import annotations

from typehole.base.positions import starts_of

from .records import Event, Suggestion
from .trees import parse
from .twins import MAX_TWINS, _method_at, _namesakes, _norm

__all__ = ["twin_line_suggestions"]

MIN_CHARS = 12  # a shorter line (`pass`, `else:`) is not one to find again
_SPECIFIC = frozenset("(.=[")  # nor one without a call, attribute, assignment or subscript


def twin_line_suggestions(event: Event) -> list[Suggestion]:
    """The edited line's copies in the edited method's namesakes in other classes."""
    change = event.change
    removed = event.before[change.start : change.end]
    if "\n" in change.new_text or "\n" in removed:
        return []  # blocks are the twin engine's
    lo = event.before.rfind("\n", 0, change.start) + 1
    hi = event.before.find("\n", change.end)
    hi = len(event.before) if hi < 0 else hi
    old_line = event.before[lo:hi]
    new_line = event.after[lo : hi + change.delta]
    key = _norm(old_line)
    if len(key) < MIN_CHARS or not _SPECIFIC & set(key) or _norm(new_line) == key:
        return []
    before, after = parse(event.before), parse(event.after)
    if before is None or after is None:
        return []
    # Looked up at the line's first character: its end may be the method's end.
    method = _method_at(before, event.before, lo + len(_indent(old_line)))
    if method is None:
        return []
    name, owner = method
    twins = _namesakes(after, event.after, name, owner)
    if not twins or len(twins) > MAX_TWINS:
        return []
    lines = event.after.split("\n")
    starts = starts_of(lines)
    edited = event.before.count("\n", 0, change.start) + 1
    out = []
    for t_lo, t_hi in twins:
        hits = [n for n in range(t_lo, min(t_hi, len(lines) - 1) + 1) if _norm(lines[n]) == key]
        if len(hits) != 1:
            continue  # none, or several: which one is the author's
        n = hits[0]
        start, end = starts[n], starts[n] + len(lines[n])
        current = lines[n]
        reason = f"`{name}` changed on line {edited}; its namesake here reads as it did"
        group = f"twin_line:{name}"
        ours, theirs = _indent(old_line), _indent(current)
        if current[len(theirs) :] == old_line[len(ours) :] and new_line.startswith(ours):
            out.append(Suggestion(start, end, theirs + new_line[len(ours) :], "twin_line",
                                  reason, current, group))
        else:  # it differs by `await`/`async`: so may the new line
            out.append(Suggestion(start, end, current, "twin_line", reason, current, group,
                                  jump=True))
    return out


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]

"""A line the edit wrote that still stands a few lines further down: the old copy is next.

`moved` and `moved_block` delete the old copy of a statement or a block pasted in the same
scope, when the statement is of a kind rarely written twice. Code is also moved a line at a
time across scopes and kinds those engines leave alone: an element of a list (a regular
expression moved up its table), an import with a comment the new copy dropped, a comment, a
block header whose body follows it. And a line copied down to be adapted (a new branch built
from an old one) leaves the old copy to be changed. Either way, when the edit wrote a line that
the file held exactly once before and that copy stands below the edit within `MAX_LINES_BELOW`,
the copy is where the next edit goes.

Below only: edits follow reading order, and on real commits (`typehole bench next-edit --git`)
a copy above the edit that the maintainer had passed was left as it was. Where the line is a
whole simple statement or an element of a collection, and the edit wrote no block header, the
copy is deleted (the move finished); a block header or a comment may be moved with what follows
it, and lines written inside a new block were modelled on the old ones (a function copied to be
adapted), so there the suggestion is the place only.

The converse, `unchanged_suggestions`: a line the edit rewrote or deleted that still reads the
same just below is a place where the same change may be due.
"""

from __future__ import annotations

import ast
import re
from collections import Counter

from .moved import one_statement, pasted_block, pasted_lines
from .records import Event, Suggestion

__all__ = ["copy_suggestions", "unchanged_suggestions"]

MIN_CHARS = 12  # a shorter line (`else:`, `x = 1`) is written twice on purpose too often
MIN_CHANGED_CHARS = 20  # a line the edit changed: long enough to be one thing said once more
MAX_LINES_BELOW = 40  # a copy further down belongs to something else
MAX_INSERTED_LINES = 40
_COMMENT = re.compile(r"\s+#.*$")
# Lines that are no statement of their own, or that every block ends with.
_NOT_SPECIFIC = re.compile(r"(?:return|raise|pass|else|try|finally|continue|break)\b|"
                           r"[)\]}]|\"\"\"|'''")


def copy_suggestions(event: Event) -> list[Suggestion]:
    """The old copy, just below the edit, of a line the edit wrote."""
    pasted = pasted_block(event, MAX_INSERTED_LINES)
    if pasted is None:
        return []  # a copy brings whole lines
    lines, first, last = pasted
    after = event.after
    written = [_key(lines[n]) for n in range(first, last + 1)]
    keys = {k for k in written if _specific(k) and written.count(k) == 1}
    if not keys:
        return []
    # The file held the line once before the edit and holds it twice now: the old copy and
    # the one the edit wrote (a line written many times is a pattern, not a copy).
    before = Counter(k for k in map(_key, event.before.split("\n")) if k in keys)
    now = Counter(k for k in map(_key, lines) if k in keys)
    for m in range(last + 1, min(last + 1 + MAX_LINES_BELOW, len(lines))):
        key = _key(lines[m])
        if key in keys and before[key] == 1 and now[key] == 2:
            # Lines written with a block header around them are new code modelled on the old
            # (a function copied to be adapted): the copy is a place, not a line to delete.
            moved = not any(k.endswith(":") for k in written)
            return [_suggestion(after, lines, m, first, moved)]  # the nearest: the next edit
    return []


def _key(line: str) -> str:
    """A line compared as code: indentation and a trailing comment aside."""
    return _COMMENT.sub("", line).strip() if not line.lstrip().startswith("#") else line.strip()


def _specific(key: str) -> bool:
    return len(key) >= MIN_CHARS and not _NOT_SPECIFIC.match(key)


def _deletable(key: str) -> bool:
    """A whole simple statement (an import, an assignment, a call) or an element of a
    collection (`r"...",`): once its copy stands above, the old one goes."""
    if key.startswith("#") or key.endswith(":"):
        return False
    statement = one_statement(key[:-1] if key.endswith(",") else key)
    if statement is None:
        return False
    if key.endswith(","):
        return isinstance(statement, ast.Expr)
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Call)
    return isinstance(statement, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign))


def _suggestion(text: str, lines: list[str], m: int, edited: int, moved: bool) -> Suggestion:
    start = sum(len(x) + 1 for x in lines[:m])
    end = min(start + len(lines[m]) + 1, len(text))
    reason = f"the edit on line {edited + 1} wrote a line that still stands here, below it"
    if moved and _deletable(_key(lines[m])):
        return Suggestion(start, end, "", "copy", reason + ": the old copy goes",
                          text[start:end], f"copy:{m}")
    line_end = start + len(lines[m])
    return Suggestion(start, line_end, text[start:line_end], "copy",
                      reason + ": the old copy is next", text[start:line_end], f"copy:{m}",
                      jump=True)


def unchanged_suggestions(event: Event) -> list[Suggestion]:
    """The copy, just below the edit, of a line the edit rewrote or deleted.

    A sentence of a docstring reworded, a parameter's documentation removed, a `try` rewritten:
    where the file says the same a few lines further down (the namesake function's docstring,
    the next attempt of the same call), that copy is likely changed next. What it becomes is
    the author's (the copy seldom reads exactly as the edited one did around it), so this is a
    place only. Below only and within `MAX_LINES_BELOW`, as for `copy_suggestions`.
    """
    change = event.change
    if change.end == change.start:
        return []  # nothing rewritten
    before, after = event.before, event.after
    b_first, b_last = before.count("\n", 0, change.start), before.count("\n", 0, change.end)
    first, last = pasted_lines(event)
    if b_last - b_first > MAX_INSERTED_LINES:
        return []
    old = before.split("\n")[b_first : b_last + 1]
    lines = after.split("\n")
    kept = {x.strip() for x in lines[first : last + 1]}
    gone = {k for k in (x.strip() for x in old)
            if len(k) >= MIN_CHANGED_CHARS and k not in kept and not _NOT_SPECIFIC.match(k)}
    if not gone:
        return []
    now = Counter(k for k in (x.strip() for x in lines) if k in gone)
    for m in range(last + 1, min(last + 1 + MAX_LINES_BELOW, len(lines))):
        key = lines[m].strip()
        if key in gone and now[key] == 1:
            start = sum(len(x) + 1 for x in lines[:m])
            line_end = start + len(lines[m])
            reason = (f"the edit on line {first + 1} rewrote a line that still reads the same "
                      "here, below it: the same change may be due")
            return [Suggestion(start, line_end, after[start:line_end], "unchanged", reason,
                               after[start:line_end], f"unchanged:{m}", jump=True)]
    return []

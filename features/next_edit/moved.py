"""Moved code: the edit inserted lines that are still where they came from -> delete the old copy.

Moving a line is two edits, an insertion and a deletion, and editors make them in either order
of cut and paste; when the insertion comes first, the file holds the same statement twice, and
the old copy is the next edit. A line counts as moved when the edit added a second copy of a
statement the file held exactly once, both copies in one function, or one scope within the
other (an import moved out of a function) within `MAX_LINES_APART`, and the statement is one
that is rarely written twice on purpose: an import, an assignment or a call, whole on its
line, long enough to be specific (not `return x`, not a block header, not a comment), and not
in another branch of the same `if` (a branch copied to make a new one). A statement the file
held several times is moved when one more copy stands and exactly one of the old ones lies in
the block the new one was pasted into. The suggestion deletes the old copy's whole lines.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from typing import Any

from typehole.base.positions import byte_offset, starts_of

from .records import Event, Suggestion
from .trees import parse

__all__ = ["moved_suggestions", "one_statement", "pasted_block", "pasted_lines"]

MIN_CHARS = 10  # a shorter statement (`x = 1`, `f()`) is written twice on purpose too often
MAX_LINES_APART = 30  # module-level copies further apart belong to different things
MAX_INSERTED_LINES = 40
# Statements a copy of which is no sign of a move: control flow and block headers.
_NOT_MOVED = re.compile(r"(?:return|raise|yield|await|break|continue|pass|assert|del|else|elif|"
                        r"if|for|while|with|try|except|finally|def|class|async|case|match)\b|"
                        r"[@#)\]}]|\"\"\"|'''")
_SCOPES = ("function_definition", "class_definition")


def pasted_lines(event: Event) -> tuple[int, int]:
    """The first and last line (0-based, of the text after the edit) that the edit wrote on."""
    change = event.change
    return (event.after.count("\n", 0, change.start),
            event.after.count("\n", 0, change.inserted_end))


def pasted_block(event: Event, max_lines: int) -> tuple[list[str], int, int] | None:
    """The lines of the text after the edit and the first and last the edit wrote on, where
    it wrote whole lines (a move or a copy brings them), at most `max_lines` more; else None."""
    if "\n" not in event.change.new_text:
        return None
    first, last = pasted_lines(event)
    if last - first > max_lines:
        return None
    return event.after.split("\n"), first, last


def moved_suggestions(event: Event) -> list[Suggestion]:
    """The old copies of the statements the edit pasted elsewhere in the same scope."""
    pasted = pasted_block(event, MAX_INSERTED_LINES)
    if pasted is None:
        return []
    lines, first, last = pasted
    after = event.after
    keys = {lines[n].strip(): n for n in range(first, last + 1) if _movable(lines[n].strip())}
    if not keys:
        return []
    # One pass over each text: how often each inserted statement stood before, where it stands.
    old_count = Counter(x.strip() for x in event.before.split("\n") if x.strip() in keys)
    where: dict[str, list[int]] = {}
    for m, x in enumerate(lines):
        key = x.strip()
        if key in keys:
            where.setdefault(key, []).append(m)
    copies: list[tuple[int, int]] = []  # (inserted line, old copy's line)
    several: list[tuple[int, list[int]]] = []  # (inserted line, the old copies' lines)
    for key, n in keys.items():
        others = [m for m in where.get(key, []) if not first <= m <= last]
        if old_count[key] == 1 and len(where.get(key, [])) == 2 and len(others) == 1:
            copies.append((n, others[0]))
        elif old_count[key] > 1 and len(others) == old_count[key] == len(where[key]) - 1:
            several.append((n, others))
    if not copies and not several:
        return []
    tree = parse(after)
    if tree is None:
        return []
    starts = starts_of(lines)
    kept = [(n, m) for n, m in copies if _same_scope(tree, after, starts, n, m)]
    for n, others in several:
        # The statement stood several times: the old copy is the one in the very block the
        # edit pasted it into (an `except` clause's own `exc_info = ...`), if only one is.
        block = _block(tree, after, _first_char(after, starts[n]))
        if block is None:
            continue
        mine = [m for m in others if abs(n - m) <= MAX_LINES_APART
                and _block(tree, after, _first_char(after, starts[m])) == block]
        if len(mine) == 1:
            kept.append((n, mine[0]))
    return [_deletion(after, lines, starts, run, first) for run in _runs([m for _, m in kept])]


def _movable(line: str) -> bool:
    """A statement specific enough that a second copy of it in one scope means a move: a whole
    import, assignment or call on one line (not a line of a longer statement)."""
    if len(line) < MIN_CHARS and not line.startswith("import ") or _NOT_MOVED.match(line):
        return False  # (an import names what it brings: short or not, it is specific)
    statement = one_statement(line)
    if statement is None:
        return False
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Call)
    return isinstance(statement, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign,
                                  ast.AugAssign))


def one_statement(source: str) -> ast.stmt | None:
    """The one statement `source` parses as; None where it does not parse or holds more."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return tree.body[0] if len(tree.body) == 1 else None


def _block(tree: Any, text: str, offset: int) -> tuple[int, int] | None:
    """The span of the innermost block (or the module) whose statement starts at `offset`;
    None where no statement does (a parameter line of a signature reads like one)."""
    at = byte_offset(text, offset)
    node = tree.root_node.descendant_for_byte_range(at, at)
    while node is not None and node.parent is not None \
            and node.parent.type not in ("block", "module"):
        node = node.parent
    if node is None or node.parent is None or node.start_byte != at:
        return None
    return node.parent.start_byte, node.parent.end_byte


def _scope(tree: Any, text: str, offset: int) -> Any:
    """The innermost function or class around `offset`, else the module's root node."""
    at = byte_offset(text, offset)
    node = tree.root_node.descendant_for_byte_range(at, at)
    while node is not None and node.type not in _SCOPES:
        node = node.parent
    return node if node is not None else tree.root_node


def _same_scope(tree: Any, text: str, starts: list[int], n: int, m: int) -> bool:
    """Whether lines `n` and `m` lie in one function or class body, or one scope holds the
    other (an import moved out of a function), within `MAX_LINES_APART` unless in one function:
    copies in sibling functions are a pattern repeated, not a move."""
    if _sibling_branches(tree, text, _first_char(text, starts[n]), _first_char(text, starts[m])):
        return False  # the same statement in another branch of one `if`: a branch copied
    a = _scope(tree, text, _first_char(text, starts[n]))
    b = _scope(tree, text, _first_char(text, starts[m]))
    if (a.start_byte, a.end_byte) == (b.start_byte, b.end_byte) and a.type != "module":
        return True
    return abs(n - m) <= MAX_LINES_APART and (_holds(a, b) or _holds(b, a))


def _clause(tree: Any, text: str, offset: int) -> tuple[Any, Any] | None:
    """(the `if` statement, the clause of it) whose branch holds `offset`, innermost."""
    at = byte_offset(text, offset)
    node = tree.root_node.descendant_for_byte_range(at, at)
    while node is not None and node.parent is not None:
        parent = node.parent
        if parent.type in ("elif_clause", "else_clause") and parent.parent is not None \
                and parent.parent.type == "if_statement":
            return parent.parent, parent
        if parent.type == "if_statement" and node.type == "block":
            return parent, node
        node = parent
    return None


def _sibling_branches(tree: Any, text: str, a: int, b: int) -> bool:
    """Whether offsets `a` and `b` lie in different branches of one `if` statement."""
    first, second = _clause(tree, text, a), _clause(tree, text, b)
    if first is None or second is None:
        return False
    return first[0].start_byte == second[0].start_byte \
        and first[1].start_byte != second[1].start_byte


def _holds(outer: Any, inner: Any) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _first_char(text: str, start: int) -> int:
    """The line's first non-blank character (the statement, not the indentation's parent)."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    line = text[start:end]
    return start + len(line) - len(line.lstrip())


def _runs(lines: list[int]) -> list[list[int]]:
    """Consecutive line numbers grouped, in order."""
    out: list[list[int]] = []
    for n in sorted(set(lines)):
        if out and out[-1][-1] == n - 1:
            out[-1].append(n)
        else:
            out.append([n])
    return out


def _deletion(text: str, lines: list[str], starts: list[int], run: list[int],
              edited: int) -> Suggestion:
    start = starts[run[0]]
    end = min(starts[run[-1]] + len(lines[run[-1]]) + 1, len(text))
    where = "below" if run[0] > edited else "above"
    reason = (f"the edit on line {edited + 1} pasted {_plural(len(run))} that still "
              f"stand{'s' if len(run) == 1 else ''} here, {where} it: the old copy goes")
    return Suggestion(start, end, "", "moved", reason, text[start:end], f"moved:{run[0]}")


def _plural(n: int) -> str:
    return "a line" if n == 1 else f"{n} lines"

"""Twin methods: a block edited in one method -> the same block in its namesake in another class.

Code often comes in twins: a sync and an async client with the same methods, sibling classes
that each implement the same hook. When the edit changes whole lines of a method (a block
inserted, deleted or rewritten) and another class of the file has a method of the same name
whose lines around the same place read the same (blank lines aside, and `await`/`async` aside,
which is how sync and async twins differ), the next edit is that place in the twin; a method
inserted or deleted whole goes by the method above it. Where the
twin's lines are the edited method's exactly, the suggestion carries the same new lines
(re-indented to the twin); where they differ only by `await`/`async`, it is location-only.
Single-line rewrites are the repeat engine's (`repeat.py`); this one takes blocks.

Twin lines (`twin_line_suggestions`): within one line, a sync client's method and its
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

import re
from typing import Any

from typehole.base.positions import byte_offset, starts_of

from .records import Event, Suggestion
from .tokens import functions_named, text_of
from .trees import parse

__all__ = ["twin_line_suggestions", "twin_suggestions"]

MAX_BLOCK_LINES = 60
TAIL_LINES = 3  # past a twin's end: the blank lines and the next method's first line
MAX_TWINS = 3  # more namesakes than this: a protocol's method, not a pair of twins
_ASYNC = re.compile(r"\b(?:await|async)\s+")


def twin_suggestions(event: Event) -> list[Suggestion]:
    """The same block edit in the edited method's namesakes in other classes."""
    change = event.change
    removed = event.before[change.start : change.end]
    if "\n" not in change.new_text and "\n" not in removed:
        return []  # within one line: the repeat engine's
    before, after = parse(event.before), parse(event.after)
    if before is None or after is None:
        return []
    old = event.before.split("\n")
    new = event.after.split("\n")
    first = event.before.count("\n", 0, change.start)
    last = event.before.count("\n", 0, change.end)
    if (change.end == 0 or event.before[change.end - 1] == "\n") \
            and change.new_text.endswith("\n") or change.new_text == "" and removed.endswith("\n"):
        last -= 1  # whole lines inserted or deleted before the line at `end`: it is untouched
    if last - first > MAX_BLOCK_LINES:
        return []
    above = _nonblank(old, first - 1, -1)
    below = _nonblank(old, last + 1, 1)
    if above is None or below is None:
        return []
    # The method the line above the edit belongs to: the edited one, or (for a method inserted
    # or deleted whole) the one before it, whose twin has the same neighbour.
    at = sum(len(x) + 1 for x in old[:above]) + len(old[above]) - len(old[above].lstrip())
    method = _method_at(before, event.before, at)
    if method is None:
        return []
    name, owner = method
    delta = event.after.count("\n") - event.before.count("\n")
    old_block = old[above + 1 : below]
    new_block = new[above + 1 : below + delta]
    pattern = [_norm(old[above]), *(_norm(x) for x in old_block if x.strip()), _norm(old[below])]
    twins = _namesakes(after, event.after, name, owner)
    if not twins or len(twins) > MAX_TWINS:
        return []
    out = []
    starts = starts_of(new)
    for lo, hi in twins:
        found = _match(new, lo, hi + TAIL_LINES, pattern)
        if found is None:
            continue
        t_above, t_below = found
        out.append(_suggestion(event.after, starts, new, t_above, t_below, old, above, below,
                               old_block, new_block, name, first))
    return out


def _method_at(tree: Any, text: str, offset: int) -> tuple[str, str] | None:
    """(method name, class name) of the method around `offset` (None outside a method)."""
    at = byte_offset(text, offset)
    node = tree.root_node.descendant_for_byte_range(at, at)
    while node is not None and node.type != "function_definition":
        node = node.parent
    if node is None:
        return None
    owner = node.parent
    while owner is not None and owner.type not in ("class_definition", "function_definition"):
        owner = owner.parent
    if owner is None or owner.type != "class_definition":
        return None
    name, cls = node.child_by_field_name("name"), owner.child_by_field_name("name")
    if name is None or cls is None:
        return None
    return text_of(name), text_of(cls)


def _namesakes(tree: Any, text: str, name: str, owner: str) -> list[tuple[int, int]]:
    """The line spans of the methods named `name` in classes other than `owner`."""
    out = []
    for node in functions_named(tree, text, name):
        cls = node.parent
        while cls is not None and cls.type not in ("class_definition", "function_definition"):
            cls = cls.parent
        if cls is None or cls.type != "class_definition":
            continue
        cls_name = cls.child_by_field_name("name")
        if cls_name is not None and text_of(cls_name) != owner:
            out.append((node.start_point[0], node.end_point[0]))
    return out


def _norm(line: str) -> str:
    return _ASYNC.sub("", line.strip())


def _nonblank(lines: list[str], start: int, step: int) -> int | None:
    n = start
    while 0 <= n < len(lines):
        if lines[n].strip():
            return n
        n += step
    return None


def _match(lines: list[str], lo: int, hi: int, pattern: list[str]) -> tuple[int, int] | None:
    """(line above, line below) of the one place in lines `lo..hi` whose non-blank lines
    read as `pattern`; None when there is none or more than one."""
    body = [(n, _norm(lines[n])) for n in range(lo, min(hi, len(lines) - 1) + 1)
            if lines[n].strip()]
    texts = [t for _, t in body]
    hits = [i for i in range(len(texts) - len(pattern) + 1)
            if texts[i : i + len(pattern)] == pattern]
    if len(hits) != 1:
        return None
    i = hits[0]
    return body[i][0], body[i + len(pattern) - 1][0]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _suggestion(text: str, starts: list[int], lines: list[str], t_above: int, t_below: int,
                old: list[str], above: int, below: int, old_block: list[str],
                new_block: list[str], name: str, edited: int) -> Suggestion:
    start, end = starts[t_above + 1], starts[t_below]
    current = text[start:end]
    ours, theirs = _indent(old[above]), _indent(lines[t_above])
    shifted = [theirs + x[len(ours) :] if x.startswith(ours) else x for x in new_block]
    replacement = "".join(x + "\n" for x in shifted)
    same = lines[t_above + 1 : t_below] == [
        theirs + x[len(ours) :] if x.startswith(ours) else x for x in old_block] \
        and lines[t_above].strip() == old[above].strip() \
        and lines[t_below].strip() == old[below].strip()
    whole = any(_norm(x).startswith("def ") for x in old_block + new_block)
    reason = f"the methods after `{name}` changed on line {edited + 1}; here, after its " \
             "namesake, the class reads as it did" if whole else \
             f"`{name}` changed on line {edited + 1}; its namesake here reads as it did"
    group = f"twin:{name}"
    if same:
        return Suggestion(start, end, replacement, "twin", reason, current, group)
    # Location only: the twin differs (`await`, `async`), so the new lines may too.
    lo = start if current.strip() else starts[t_above]
    hi = end if current.strip() else starts[t_above] + len(lines[t_above])
    return Suggestion(lo, hi, text[lo:hi], "twin", reason, text[lo:hi], group, jump=True)

LINE_MIN_CHARS = 12  # a shorter line (`pass`, `else:`) is not one to find again
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
    if len(key) < LINE_MIN_CHARS or not _SPECIFIC & set(key) or _norm(new_line) == key:
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

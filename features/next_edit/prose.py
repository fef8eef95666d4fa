"""Prose: a docstring or comment reworded; the same wording elsewhere in the file's prose next.

Maintainers reword documentation the way they rewrite code: a term replaced ("URL" -> "URL
string"), a clause added, a phrase corrected, then the same wording wherever the file says the
same thing (the sync client's docstring and the async one's, the comments above twin blocks).
When the edit changed words on one line of a docstring or a comment, the changed words with a
word of context on each side are the old wording; every other line of a docstring or comment in
the file that reads the same gets the new wording. A wording at the start or end of its line
(after the `#` or the quotes, before the closing quotes) matches only there, so a clause added at
the end of one sentence is not pasted into the middle of another.

A change of meaning holds where the same thing is documented, not wherever a sentence reads
alike (a function that now accepts instances says so; its neighbour does not): it is repeated in
the prose of definitions of the same name (the sync and async twins of a method, the edited
definition's own docstring). Docstrings of twin functions name their own function (`get` says
"Send a GET request", `post` "Send a POST request"): where the old wording names the definition
the edit is in, another definition's prose matches with its own name there, and gets the new
wording with its name. A spelling corrected (one word for a close one: `fileame` -> `filename`)
holds wherever the file says the same.

The repeated-edit engine leaves prose alone (it repeats code patterns); this one repeats only
prose, and only text: where the wording recurs more than `MAX_SITES` times it is too common to
be the same sentence, and nothing is offered.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from typehole.base.affix import common_prefix, common_suffix
from typehole.base.positions import byte_offset

from .records import Event, Suggestion
from .trees import parse

__all__ = ["prose_node", "prose_suggestions"]

MAX_EDIT_CHARS = 300  # a longer change rewrites a paragraph: not a wording to repeat
MIN_WORDING_CHARS = 12  # shorter, the old wording matches sentences it does not belong to
MIN_WORD_CHARS = 4  # a shorter word changed is another word, not a spelling corrected
SPELLING_RATIO = 0.8  # a word this close to its replacement was misspelled
MAX_SITES = 16  # the docstrings of a client's six HTTP methods, sync and async
_WORD = re.compile(r"\w")
_DEFINITIONS = ("function_definition", "class_definition")


def prose_suggestions(event: Event) -> list[Suggestion]:
    """The other docstrings and comments that read as the edit's line did, reworded alike."""
    change, before, after = event.change, event.before, event.after
    if max(len(change.new_text), change.end - change.start) > MAX_EDIT_CHARS:
        return []
    b_lo, b_hi = _line(before, change.start, change.end)
    a_lo, a_hi = _line(after, change.start, change.inserted_end)
    old_line, new_line = before[b_lo:b_hi], after[a_lo:a_hi]
    if "\n" in old_line or "\n" in new_line or not _maybe_prose(old_line, new_line):
        return []  # checked without parsing: no prose on one line changed
    wording = _wording(old_line, new_line)
    if wording is None:
        return []
    old, new, at_start, at_end = wording
    tree, old_tree = parse(after), parse(before)
    if tree is None or old_tree is None or prose_node(old_tree, before, change.start) is None:
        return []
    node = prose_node(tree, after, change.start)
    last = max(change.inserted_end - 1, change.start)
    if node is None or not _same(node, prose_node(tree, after, last)):
        return []  # the edit left its comment or docstring
    name = _definition_name(node)
    anywhere = _corrected(old_line, new_line)
    pattern = _pattern(old, name)
    number = after.count("\n", 0, a_lo) + 1
    reason = f'line {number} reworded "{old.strip()}" as "{new.strip()}"; this reads the same'
    out: list[Suggestion] = []
    for m in pattern.finditer(after):
        if a_lo <= m.end() and m.start() <= a_hi:
            continue  # the edited line itself
        site = _site(tree, after, m, name, old, new, at_start, at_end, anywhere)
        if site is not None:
            out.append(Suggestion(m.start(), m.end(), site, "prose", reason, m.group(),
                                  f"prose:{number}:{old}"))
            if len(out) > MAX_SITES:
                return []
    return out


def _line(text: str, start: int, end: int) -> tuple[int, int]:
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return lo, len(text) if hi < 0 else hi


def _maybe_prose(old_line: str, new_line: str) -> bool:
    """Whether both lines may be prose: a comment, or words inside a docstring."""
    both = old_line + new_line
    return "#" in both or not any(c in both for c in "=()[]{}") or '"""' in both \
        or "'''" in both


def _corrected(old_line: str, new_line: str) -> bool:
    """Whether the edit corrected the spelling of one word (`fileame` -> `filename`): a
    correction holds wherever the word stands, where a change of meaning holds only in the
    definitions that share it."""
    limit = min(len(old_line), len(new_line))
    p = common_prefix(old_line, new_line, limit)
    s = common_suffix(old_line, new_line, limit - p)
    while p > 0 and old_line[p - 1].isalnum():
        p -= 1
    while s > 0 and old_line[len(old_line) - s].isalnum():
        s -= 1
    old, new = old_line[p : len(old_line) - s], new_line[p : len(new_line) - s]
    return old.isalpha() and new.isalpha() and min(len(old), len(new)) >= MIN_WORD_CHARS \
        and difflib.SequenceMatcher(None, old.lower(), new.lower()).ratio() >= SPELLING_RATIO


def _bounds(line: str) -> tuple[int, int]:
    """Where the words of a prose line start and end: after the indentation and the `#` or
    the opening quotes, before the closing quotes and trailing blanks."""
    lo = len(line) - len(line.lstrip())
    stripped = line[lo:]
    if stripped.startswith("#"):
        lo += len(stripped) - len(stripped.lstrip("#"))
    else:
        quotes = re.match(r"[rRuUbBfF]{0,2}(?:\"\"\"|''')", stripped)
        if quotes is not None:
            lo += quotes.end()
    hi = len(line.rstrip())
    if line[:hi].endswith(('"""', "'''")) and hi - 3 >= lo:
        hi -= 3
    while lo < hi and line[lo] in " \t":
        lo += 1
    while hi > lo and line[hi - 1] in " \t":
        hi -= 1
    return lo, hi


def _wording(old_line: str, new_line: str) -> tuple[str, str, bool, bool] | None:
    """(old wording, new wording, whether it starts its line's words, whether it ends them):
    the changed words and a word of context on each side, widened until the old wording says
    `MIN_WORDING_CHARS`."""
    limit = min(len(old_line), len(new_line))
    p = common_prefix(old_line, new_line, limit)
    s = common_suffix(old_line, new_line, limit - p)
    lo, hi = _bounds(old_line)
    if p < lo or len(old_line) - s > hi or _bounds(new_line)[0] != lo:
        return None  # the edit touched the quotes or the `#`: not the words alone
    start, end = _widen(old_line, p, len(old_line) - s, lo, hi)
    if len(old_line[start:end].strip()) < MIN_WORDING_CHARS:
        start, end = _widen(old_line, start, end, lo, hi)
    old = old_line[start:end]
    new = new_line[start : len(new_line) - (len(old_line) - end)]
    if len(old.strip()) < MIN_WORDING_CHARS or not _WORD.search(old) or old == new:
        return None
    return old, new, start == lo, end == hi


def _widen(line: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """[start, end) grown to whole words and one more word on each side, within [lo, hi)."""
    while start > lo and not line[start - 1].isspace():
        start -= 1
    while start > lo and line[start - 1].isspace():
        start -= 1
    while start > lo and not line[start - 1].isspace():
        start -= 1
    while end < hi and not line[end].isspace():
        end += 1
    while end < hi and line[end].isspace():
        end += 1
    while end < hi and not line[end].isspace():
        end += 1
    return start, end


def _pattern(old: str, name: str | None) -> re.Pattern[str]:
    """The old wording as a pattern; the definition's name in it (in any case) matches any
    name, the same at each of its places."""
    parts = re.split(_named(name), old) if name is not None else [old]
    pattern = re.escape(parts[0])
    for i, part in enumerate(parts[1:]):
        pattern += (r"(?<!\w)(?P<name>[^\W\d]\w*)" if i == 0 else "(?P=name)") + r"(?!\w)" \
            + re.escape(part)
    return re.compile(pattern)


def _named(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)


def _renamed(new: str, name: str, theirs: str, spelled: str) -> str:
    """`new` with the edit's definition's name as `theirs`, in the case it was written; a
    spelling of neither case (`GET` of `get`) as the site spelled it."""
    cases = {name: theirs, name.upper(): theirs.upper(), name.lower(): theirs.lower()}
    return _named(name).sub(lambda m: cases.get(m.group(), spelled), new)


def _site(tree: Any, text: str, m: re.Match[str], name: str | None, old: str, new: str,
          at_start: bool, at_end: bool, anywhere: bool) -> str | None:
    """The new wording for the match `m` (its definition's name in place of the edit's);
    None where the match is not in prose, not anchored as the old wording was, done, or (a
    change of meaning, not `anywhere`) in the prose of a definition of another name."""
    lo, hi = _line(text, m.start(), m.end())
    line = text[lo:hi]
    w_lo, w_hi = _bounds(line)
    if at_start and m.start() - lo != w_lo or at_end and m.end() - lo != w_hi:
        return None
    node = prose_node(tree, text, m.start())
    if node is None or not _same(node, prose_node(tree, text, m.end() - 1)):
        return None
    wording = new
    theirs = _definition_name(node)
    if name is not None and "name" in m.re.groupindex:
        if theirs is None or m.group("name").lower() != theirs.lower():
            return None  # a name, but not the name of the definition the prose is in
        wording = _renamed(new, name, theirs, m.group("name"))
    elif not anywhere and (theirs is None or theirs != name):
        return None
    if old in new:  # done already where the text around reads as the new wording
        k = new.index(old)
        if text[m.start() - k : m.start() - k + len(new)] == wording:
            return None
    return wording


def prose_node(tree: Any, text: str, offset: int) -> Any:
    """The comment or docstring (a string standing as a statement) holding `offset`; None."""
    at = byte_offset(text, offset)
    node = tree.root_node.descendant_for_byte_range(at, at)
    while node is not None:
        if node.type == "comment":
            return node
        if node.type == "string":
            parent = node.parent
            if parent is not None and parent.type == "expression_statement" \
                    and parent.named_child_count == 1:
                return node
            return None
        if node.type in ("block", "module", *_DEFINITIONS):
            return None
        node = node.parent
    return None


def _same(a: Any, b: Any) -> bool:
    return b is not None and (a.start_byte, a.end_byte) == (b.start_byte, b.end_byte)


def _definition_name(node: Any) -> str | None:
    """The name of the function or class whose prose `node` is part of."""
    while node is not None and node.type not in _DEFINITIONS:
        node = node.parent
    name = node.child_by_field_name("name") if node is not None else None
    return None if name is None else name.text.decode("utf-8", "replace")

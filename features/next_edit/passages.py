"""Sibling passages: a docstring or comment passage rewritten, and its sibling that reads the
same but for one word.

Files document their families of definitions with one passage each, the same sentences with the
member's own word (`:param cls: a custom :class:`Argument` subclass ...` in `argument`, the same
with `Option` in `option`; "the expected type" in one validator, "the expected interface" in the
next; `set_disabled()` in one deprecation note, `get_disabled()` in the other). When the edit
rewrote the whole lines of such a passage, the sibling that read word for word as the old lines,
but for one word, is rewritten next. The suggestion carries the edit's new lines with the
edit's word swapped for the sibling's (in the case each place spells it: `Argument`/`argument`
become `Option`/`option`), indented as the sibling is; where the new lines no longer hold the
edit's word, they are the sibling's new text as they stand.

Words are compared as tokens (`\\w+` or one punctuation character) over whole lines, so a
sibling wrapped at other places still matches when it has as many lines. Only prose is read
(`prose.prose_node`): code that reads alike is the repeated-edit engine's.
"""

from __future__ import annotations

import difflib
import re

from typehole.base.positions import starts_of

from .prose import prose_node
from .records import Event, Suggestion
from .trees import parse

__all__ = ["passage_suggestions"]

MIN_WORDS = 8  # fewer words: a phrase many passages share, not a passage
MAX_LINES = 8  # a longer rewrite is a new text, not a passage
MAX_SITES = 3  # more siblings than this: a boilerplate sentence, not a family's passage
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")


def passage_suggestions(event: Event) -> list[Suggestion]:
    """The sibling passages of the prose lines the edit rewrote, rewritten alike."""
    change, before, after = event.change, event.before, event.after
    if change.end == change.start:
        return []  # nothing rewritten: an insertion is new prose
    b0, b1 = _line_of(before, change.start), _line_of(before, change.end - 1)
    a0, a1 = _line_of(after, change.start), _line_of(after, max(change.inserted_end - 1,
                                                                    change.start))
    if b1 - b0 >= MAX_LINES or a1 - a0 >= MAX_LINES:
        return []
    old_lines = before.split("\n")[b0 : b1 + 1]
    old = _tokens(old_lines)
    if sum(1 for t in old if _WORD.fullmatch(t)) < MIN_WORDS:
        return []
    tree, old_tree = parse(after), parse(before)
    if tree is None or old_tree is None or not _all_prose(old_tree, before, change.start,
                                                          change.end - 1):
        return []
    lines = after.split("\n")
    starts = starts_of(lines)
    new_lines = lines[a0 : a1 + 1]
    n = b1 - b0 + 1
    out: list[Suggestion] = []
    for i in range(len(lines) - n + 1):
        if i + n > a0 and i <= a1:
            continue  # overlaps the edited lines
        swapped = _one_word_apart(old, _tokens(lines[i : i + n]))
        if swapped is None:
            continue
        start, end = starts[i], starts[i + n - 1] + len(lines[i + n - 1])
        if not _all_prose(tree, after, start + _indent(lines[i]), end - 1):
            continue
        text = _rewritten(old, new_lines, swapped, _indent(lines[i]) - _indent(old_lines[0]))
        reason = (f"lines {a0 + 1}-{a1 + 1} were rewritten; this passage read the same but for "
                  f"`{swapped[1]}` (`{old[swapped[0]]}` there)")
        out.append(Suggestion(start, end, text, "passage", reason, after[start:end],
                              f"passage:{a0}"))
        if len(out) > MAX_SITES:
            return []
    return out


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _tokens(lines: list[str]) -> list[str]:
    return _TOKEN.findall(" ".join(lines))


def _one_word_apart(old: list[str], theirs: list[str]) -> tuple[int, str] | None:
    """(where, the sibling's word) where the two token lists differ in one word."""
    if len(old) != len(theirs):
        return None
    apart = [i for i, (a, b) in enumerate(zip(old, theirs, strict=True)) if a != b]
    if len(apart) != 1 or not (_WORD.fullmatch(old[apart[0]])
                               and _WORD.fullmatch(theirs[apart[0]])):
        return None
    return apart[0], theirs[apart[0]]


def _all_prose(tree: object, text: str, first: int, last: int) -> bool:
    """Whether `first` and `last` lie in one docstring, or each in a comment."""
    a, b = prose_node(tree, text, first), prose_node(tree, text, last)
    if a is None or b is None:
        return False
    return a.type == b.type == "comment" or (a.start_byte, a.end_byte) == (b.start_byte,
                                                                         b.end_byte)


def _rewritten(old: list[str], new_lines: list[str], swapped: tuple[int, str],
               shift: int) -> str:
    """The edit's new lines with its word (the old token at `swapped[0]`) swapped for the
    sibling's, shifted by `shift` columns.

    Where the edit kept that word, that one token is swapped (the same word may stand elsewhere
    in the passage in another sense: "(of type ...)" beside "the expected type"); where it
    rewrote it, each spelling of the word in the new lines is (`Argument`, `argument`)."""
    where, theirs = swapped
    mine = old[where]
    spelled = {mine: theirs, mine.lower(): theirs.lower(), mine.upper(): theirs.upper(),
               mine.capitalize(): theirs.capitalize()}
    text = "\n".join(new_lines)
    spans = [m.span() for m in _TOKEN.finditer(text)]
    matcher = difflib.SequenceMatcher(None, old, [text[a:b] for a, b in spans], autojunk=False)
    swap: list[int] = []  # the new tokens that take the sibling's word
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            if i1 <= where < i2:
                swap.append(j1 + where - i1)
        else:
            swap.extend(j for j in range(j1, j2)
                        if text[spans[j][0] : spans[j][1]].lower() == mine.lower())
    for j in sorted(swap, reverse=True):
        a, b = spans[j]
        text = text[:a] + spelled.get(text[a:b], theirs) + text[b:]
    out = []
    for line in text.split("\n"):
        if shift > 0 and line.strip():
            line = " " * shift + line
        elif shift < 0 and line[: -shift].strip() == "":
            line = line[-shift:]
        out.append(line)
    return "\n".join(out)

"""Ranking and anchoring of next-edit suggestions.

Static suggestions come first (they are derived, not guessed), newer edits' consequences before
older ones', and within those one that carries its text before a location only, then the site
nearest after the cursor first, the way a reader moves on. Suggestions are anchored by the text
they replace: `rebase` carries one across a later change that does not touch it, and drops it
when that change overlapped it or its text is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .records import Change, Suggestion

__all__ = ["FORWARD", "Weights", "WEIGHTS", "rank", "rebase"]


@dataclass(frozen=True)
class Weights:
    """How much each source and each step of age is worth (higher ranks first)."""

    rename: float = 3.0
    signature: float = 3.0
    # A docstring's parameter entry: right about the code, but maintainers often leave the
    # prose for later, so a reference the same edit broke comes first.
    docstring: float = 2.6
    repeat: float = 2.0
    import_: float = 2.5
    attribute: float = 2.5
    undefined: float = 2.8  # a name the edit left undefined (renamed, removed)
    member: float = 2.8  # `self.attr` the edit's class no longer has
    call: float = 2.0  # a call that no longer fits a changed signature
    definition: float = 2.4  # a function whose call the edit gave an argument it lacks
    unused: float = 1.5  # a variable the edit left unused
    # What an edit left half done, by new engines (below what the edit broke: a reference it
    # left undefined, a call that no longer fits, come first).
    moved: float = 2.6  # the old copy of lines the edit pasted in the same scope
    moved_block: float = 2.6  # the old copy of a block the edit pasted
    # A line the edit wrote that still stands just below (any kind of line: below `moved`,
    # which knows the statement was moved in its scope).
    copy: float = 2.0
    # A line the edit rewrote that still reads the same just below: a place where the same
    # change may be due (a guess, below the repeats that carry their text).
    unchanged: float = 1.7
    # A sibling docstring or comment passage that read as the rewritten one but for one word:
    # prose, below the code's consequences, above a place only.
    passage: float = 1.8
    extract: float = 2.3  # a copy of the expression the edit just named
    argument: float = 1.9  # another call of a callee the edit gave an argument more
    registry: float = 2.2  # a list or dict naming the new definition's siblings
    twin: float = 2.1  # the same block in the edited method's namesake in another class
    twin_line: float = 2.1  # the same line in the edited method's namesake in another class
    spelled: float = 2.3  # what a name the edit imported (and nothing reads) replaces
    stub: float = 1.8  # the definition of a function the edit called before it exists
    parameter: float = 1.7  # the docstring that does not mention a parameter the edit added
    unread: float = 2.0  # where the body will read a parameter the edit added
    # A name the edit introduced and left unused (a local, a helper, a module-level sibling):
    # where it is likely used next, below every consequence the edit forced.
    pending: float = 1.6
    # A check the edit's narrowed annotation left dead (below what the edit broke: the code
    # still runs with it).
    narrowed: float = 1.9
    # A docstring's or comment's wording the edit changed, where the file says the same:
    # prose lags code, so below every consequence in the code.
    prose: float = 1.6
    # Where a text the edit broke stopped parsing (location only): below what carries the text
    # of a consequence (a move's old copy, a renamed reference), above the guessed repeats.
    syntax: float = 2.5
    model: float = 1.0
    per_age: float = 0.5  # each older edit in the history costs this much

    def of(self, source: str) -> float:
        """The weight of a source (0 for unknown ones)."""
        return float(getattr(self, "import_" if source == "import" else source, 0.0))


WEIGHTS = Weights()
# Sources offered only after the cursor: an older edit's repetition at a line the user has since
# passed (editing on below it) was left as it was on purpose.
FORWARD = frozenset(("repeat",))


def rebase(suggestion: Suggestion, change: Change, text: str) -> Suggestion | None:
    """`suggestion` on the text after `change` (which is `text`); None when it no longer holds."""
    if suggestion.path is not None:
        return suggestion
    if change.start == change.end and change.new_text and (
            suggestion.start == suggestion.end == change.start
            or suggestion.start < suggestion.end == change.start):
        return None  # text typed right where it inserts, or right at the end of what it
        # replaces (as at its start, below): done there, or in its way
    if suggestion.end <= change.start and not (
        suggestion.start == suggestion.end == change.start and change.end > change.start
    ):
        moved = suggestion
    elif suggestion.start >= change.end and (
        suggestion.start > change.start or change.end > change.start
    ):
        moved = suggestion.moved(change.delta)
    else:
        return None
    if text[moved.start : moved.end] != moved.expected:
        return None
    return moved


def rank(found: Iterable[tuple[int, Suggestion]], cursor: int,
         weights: Weights = WEIGHTS) -> list[Suggestion]:
    """(age, suggestion) pairs scored, best first; duplicates and overlapping sites dropped."""
    scored = []
    for age, s in found:
        if s.source in FORWARD and s.path is None and s.start < cursor:
            continue  # a repetition the user has since moved past
        score = weights.of(s.source) - weights.per_age * age
        scored.append(replace(s, score=score))
    # What to write before a place only, then after the cursor first (reading order), then
    # before it, nearest first.
    scored.sort(key=lambda s: (-s.score, s.jump, s.path is not None, s.start < cursor,
                               abs(s.start - cursor)))
    out: list[Suggestion] = []
    for s in scored:
        if any(s.path == t.path and _overlap(s, t) for t in out):
            continue
        out.append(s)
    return out


def _overlap(a: Suggestion, b: Suggestion) -> bool:
    if a.start == a.end or b.start == b.end:
        return a.start == b.start or (b.start < a.start < b.end) or (a.start < b.start < a.end)
    return a.start < b.end and b.start < a.end

"""The plain values the next-edit engines speak: changes, history events and suggestions."""

from __future__ import annotations

from dataclasses import dataclass, replace

from typehole.base.affix import common_prefix, common_suffix

__all__ = ["Change", "Event", "Suggestion", "apply", "minimal_change"]


@dataclass(frozen=True)
class Change:
    """Replace `text[start:end]` of some text with `new_text` (offsets in code points)."""

    start: int
    end: int
    new_text: str

    @property
    def delta(self) -> int:
        """How much longer the text gets."""
        return len(self.new_text) - (self.end - self.start)

    @property
    def inserted_end(self) -> int:
        """Where the inserted text ends in the text after the change."""
        return self.start + len(self.new_text)


@dataclass(frozen=True)
class Event:
    """One user-level edit: `before` became `after` through `change`, at `time` (seconds)."""

    before: str
    after: str
    change: Change
    time: float = 0.0
    undo: bool = False  # this event took the text back to an earlier state


@dataclass(frozen=True)
class Suggestion:
    """A suggested edit of the current text (or of the file at `path` when it is another one).

    `expected` is the text the edit replaces: an anchor that tells whether the suggestion still
    applies after the document moved. `group` ties together the sites of one propagation, so
    they can be applied all at once.
    """

    start: int
    end: int
    new_text: str
    # "rename", "signature", "docstring", "call", "repeat", "import", "attribute",
    # "undefined", "member", "unused", "definition", "moved", "extract", "argument", "stub",
    # "parameter", "pending", "copy", "unchanged", "passage" or "model"
    source: str
    reason: str
    expected: str = ""
    group: str = ""
    score: float = 0.0
    path: str | None = None  # None: the document the history belongs to
    # A location-only suggestion: the next edit is here, what it is the user decides
    # (`new_text` then repeats the text in range, so applying it changes nothing).
    jump: bool = False

    def moved(self, delta: int) -> Suggestion:
        """The same suggestion `delta` characters further on."""
        return replace(self, start=self.start + delta, end=self.end + delta)


def minimal_change(before: str, after: str) -> Change:
    """The one change turning `before` into `after`, common prefix and suffix trimmed."""
    # Compared by slices, not character by character: it runs on each keystroke, on the
    # event loop, over documents of up to a megabyte.
    limit = min(len(before), len(after))
    start = common_prefix(before, after, limit)
    tail = common_suffix(before, after, limit - start)
    return Change(start, len(before) - tail, after[start:len(after) - tail])


def apply(text: str, change: Change | Suggestion) -> str:
    """`text` with one change applied."""
    return text[: change.start] + change.new_text + text[change.end :]

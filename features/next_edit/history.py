"""Edit history of one document: keystrokes coalesced into user-level edits, undo recognised.

An editor sends one `didChange` per keystroke; a user thinks in edits ("renamed `count` to
`total`"). A change that continues the previous one (typed or deleted right at its end, within
`coalesce_s`) extends it; a change back to an earlier text is an undo and removes the edits it
undid, so engines never propagate what the user took back. Memory is bounded by event count and
by the total size of the texts kept.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable
from dataclasses import dataclass

from .records import Change, Event, minimal_change

__all__ = ["EditHistory", "FileEdit", "WorkspaceHistory", "events_between"]


class EditHistory:
    """User-level edits of one document, oldest first (`events`), and its current `text`."""

    def __init__(
        self,
        text: str | None = None,
        max_events: int = 32,
        max_chars: int = 4_000_000,
        coalesce_s: float = 1.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.text = text
        self.events: list[Event] = []
        self.max_events = max_events
        self.max_chars = max_chars
        self.coalesce_s = coalesce_s
        self.clock = clock

    def update(self, text: str, now: float | None = None) -> Event | None:
        """Record that the document now reads `text`; the new or extended event, if any."""
        now = self.clock() if now is None else now
        previous = self.text
        self.text = text
        if previous is None or previous == text:
            return None
        # Undo: back to the text before a recent edit; those edits are forgotten.
        for i in range(len(self.events) - 1, max(len(self.events) - 8, 0) - 1, -1):
            if self.events[i].before == text:
                del self.events[i:]
                return Event(previous, text, minimal_change(previous, text), now, undo=True)
        change = minimal_change(previous, text)
        last = self.events[-1] if self.events else None
        if last is not None and now - last.time <= self.coalesce_s and _continues(last, change):
            merged = Event(last.before, text, minimal_change(last.before, text), now)
            self.events[-1] = merged
            return merged
        event = Event(previous, text, change, now)
        self.events.append(event)
        self._bound()
        return event

    def _bound(self) -> None:
        while len(self.events) > self.max_events:
            self.events.pop(0)
        while len(self.events) > 1 and sum(len(e.before) for e in self.events) > self.max_chars:
            self.events.pop(0)

    def recent(self, n: int = 3) -> list[Event]:
        """The `n` newest edits, newest first, that are not undos."""
        return [e for e in reversed(self.events) if not e.undo][:n]


@dataclass(frozen=True)
class FileEdit:
    """A change of one workspace file on disk: `uri` identifies it, `name` is its shown path."""

    uri: str
    name: str
    event: Event


class WorkspaceHistory:
    """Saved and on-disk changes across the workspace, oldest first, bounded in count and size."""

    def __init__(self, max_edits: int = 32, max_chars: int = 2_000_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.edits: list[FileEdit] = []
        self.max_edits = max_edits
        self.max_chars = max_chars
        self.clock = clock

    def record(self, uri: str, name: str, old: str | None, new: str | None) -> FileEdit | None:
        """Record that the file at `uri` went from `old` to `new` (None: unknown or deleted)."""
        if old is None or new is None or old == new:
            return None  # nothing to diff: a first sight, or a deletion
        edit = FileEdit(uri, name, Event(old, new, minimal_change(old, new), self.clock()))
        self.edits.append(edit)
        while len(self.edits) > self.max_edits:
            self.edits.pop(0)
        while len(self.edits) > 1 and sum(len(e.event.before) + len(e.event.after)
                                          for e in self.edits) > self.max_chars:
            self.edits.pop(0)
        return edit

    def forget(self, uri: str) -> None:
        """Drop a file's edits (it was deleted)."""
        self.edits = [e for e in self.edits if e.uri != uri]

    def others(self, uri: str, n: int = 8) -> list[FileEdit]:
        """The `n` newest edits of files other than `uri`, oldest first."""
        return [e for e in self.edits if e.uri != uri][-n:]


def _continues(last: Event, change: Change) -> bool:
    """Whether `change` (on `last.after`) keeps typing or deleting inside `last`'s edit."""
    lo, hi = last.change.start, last.change.inserted_end
    if "\n" in change.new_text and change.new_text.strip():
        return False  # a pasted block is an edit of its own
    return lo <= change.start <= hi and change.end <= hi


def events_between(before: str, after: str) -> list[Event]:
    """The line hunks turning `before` into `after`, applied one by one, in file order.

    This is the history the CLI and the benchmark replay: each event's `before` is the text with
    the earlier hunks already applied.
    """
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    events: list[Event] = []
    current, shift = before, 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = sum(len(x) for x in a[:i1]) + shift
        end = start + sum(len(x) for x in a[i1:i2])
        new = "".join(b[j1:j2])
        text = current[:start] + new + current[end:]
        line_change = Change(start, end, new)
        events.append(Event(current, text, _trim(current, line_change), float(len(events))))
        shift += line_change.delta
        current = text
    return events


def _trim(text: str, change: Change) -> Change:
    """A line hunk reduced to its minimal change (common prefix and suffix dropped)."""
    inner = minimal_change(text[change.start : change.end], change.new_text)
    return Change(change.start + inner.start, change.start + inner.end, inner.new_text)

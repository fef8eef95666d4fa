"""The static next-edit pipeline: history in, ranked suggestions out (no LSP, no model)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .arguments import argument_suggestions
from .broken import broken_suggestions
from .callfit import definition_suggestions
from .consistency import consistency_suggestions
from .copies import copy_suggestions, unchanged_suggestions
from .extracted import extracted_suggestions
from .followon import Lookup, followon_suggestions, holds
from .moved import moved_suggestions
from .moved_blocks import moved_block_suggestions
from .narrowed import narrowed_suggestions
from .parameters import parameter_suggestions, unread_suggestions
from .passages import passage_suggestions
from .pending import pending_suggestions
from .prose import prose_suggestions
from .rank import rank, rebase
from .records import Event, Suggestion
from .registry import registry_suggestions
from .rename import rename_suggestions
from .repeat import repeat_suggestions
from .signature import signature_suggestions
from .spelled import spelled_suggestions
from .stubs import stub_suggestions
from .twins import twin_line_suggestions, twin_suggestions

__all__ = ["ENGINES", "static_suggestions"]

log = logging.getLogger(__name__)

MAX_EVENTS = 3  # edits older than this rarely still predict the next one
MAX_EDIT_CHARS = 20_000  # a huge paste is not an edit to propagate
# Engines whose suggestions from an older edit are checked against the text now: a stub is
# stale once its function is written anywhere, not only where it was suggested; a pending name
# once it is used.
RECHECKED = frozenset(("stub", "syntax", "pending"))

# (event, file path, Jedi project, workspace lookup) -> suggestions on the event's `after` text.
Engine = Callable[[Event, str | None, Any, Lookup | None], list[Suggestion]]

# In order of trust.
ENGINES: tuple[tuple[str, Engine], ...] = (
    ("rename", lambda e, path, project, lookup: rename_suggestions(e, path, project)),
    ("signature", lambda e, path, project, lookup: signature_suggestions(e)),
    ("followon", lambda e, path, project, lookup: followon_suggestions(e, lookup)),
    ("repeat", lambda e, path, project, lookup: repeat_suggestions(e)),
    ("consistency", lambda e, path, project, lookup: consistency_suggestions(e)),
    ("definition", lambda e, path, project, lookup: definition_suggestions(e)),
    ("moved", lambda e, path, project, lookup: moved_suggestions(e)),
    ("moved_block", lambda e, path, project, lookup: moved_block_suggestions(e)),
    ("copy", lambda e, path, project, lookup: copy_suggestions(e)),
    ("unchanged", lambda e, path, project, lookup: unchanged_suggestions(e)),
    ("extract", lambda e, path, project, lookup: extracted_suggestions(e)),
    ("argument", lambda e, path, project, lookup: argument_suggestions(e)),
    ("registry", lambda e, path, project, lookup: registry_suggestions(e)),
    ("twin", lambda e, path, project, lookup: twin_suggestions(e)),
    ("twin_line", lambda e, path, project, lookup: twin_line_suggestions(e)),
    ("spelled", lambda e, path, project, lookup: spelled_suggestions(e)),
    ("stub", lambda e, path, project, lookup: stub_suggestions(e, lookup)),
    ("parameter", lambda e, path, project, lookup: parameter_suggestions(e)),
    ("syntax", lambda e, path, project, lookup: broken_suggestions(e)),
    ("unread", lambda e, path, project, lookup: unread_suggestions(e)),
    ("pending", lambda e, path, project, lookup: pending_suggestions(e)),
    ("narrowed", lambda e, path, project, lookup: narrowed_suggestions(e)),
    ("prose", lambda e, path, project, lookup: prose_suggestions(e)),
    ("passage", lambda e, path, project, lookup: passage_suggestions(e)),
)


def static_suggestions(text: str, events: Sequence[Event], path: str | None = None,
                       project: Any = None, cursor: int | None = None,
                       engines: Sequence[tuple[str, Engine]] = ENGINES,
                       lookup: Lookup | None = None) -> list[Suggestion]:
    """Suggestions implied by the newest `events` (newest last) on `text`, best first.

    `lookup` tells the follow-on engine what the workspace defines (`followon.IndexLookup`).

    Each of the newest edits runs through every engine; what it suggests is carried across the
    edits that came after it and dropped where they touched it. Nothing overlaps what the user
    just typed: a next edit never undoes the last one.
    """
    recent = [e for e in events if not e.undo][-MAX_EVENTS:]
    if not recent or recent[-1].after != text:
        return []
    last = recent[-1].change
    typed = (last.start, last.inserted_end)
    with _collection_deferred():
        found = _found(recent, text, path, project, lookup, engines)
        found = [(a, s) for a, s in found if s.path is not None or not _touches(s, typed)]
        return rank(found, typed[1] if cursor is None else cursor)


@contextmanager
def _collection_deferred() -> Iterator[None]:
    """Python's garbage collector held off while the engines run.

    The engines allocate many short-lived objects (syntax trees, token lists), which start the
    collector, and a full collection walks everything the process holds (Jedi's caches, the
    workspace index): hundreds of milliseconds the user would wait for. Deferred, it runs once
    the suggestions are out. Collection is restored whatever happens inside.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _found(recent: Sequence[Event], text: str, path: str | None, project: Any,
           lookup: Lookup | None,
           engines: Sequence[tuple[str, Engine]]) -> list[tuple[int, Suggestion]]:
    """(age, suggestion) of every engine on each of the `recent` edits, carried to `text`."""
    found: list[tuple[int, Suggestion]] = []
    for age, event in enumerate(reversed(recent)):
        change = event.change
        if max(len(change.new_text), change.end - change.start) > MAX_EDIT_CHARS:
            continue
        later = recent[len(recent) - age :]
        for name, engine in engines:
            try:
                made = engine(event, path, project, lookup)
            except Exception:  # noqa: BLE001 - one engine's bug must not hide the others
                log.exception("next-edit engine %s failed", name)
                continue
            for suggested in made:
                carried = _carried(suggested, later)
                if carried is not None and not (age and name in RECHECKED
                                                and not holds(text, carried)):
                    found.append((age, carried))
    return found


def _carried(s: Suggestion, later: Sequence[Event]) -> Suggestion | None:
    """`s` moved across the edits made after it; None where one of them touched it."""
    for newer in later:
        moved = rebase(s, newer.change, newer.after)
        if moved is None:
            return None
        s = moved
    return s


def _touches(s: Suggestion, span: tuple[int, int]) -> bool:
    lo, hi = span
    if s.start == s.end:
        return lo < s.start < hi
    return s.start < hi and lo < s.end

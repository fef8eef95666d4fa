"""The backend-neutral constraint a monitor yields: which identifier may come next, and how it ends.

A `Constraint` describes the continuation at one point of the virtual document: the identifier
that starts there must be one of `words` (a trie of allowed continuations; None allows any), a
finished word may only be followed by a character in `ends` (None: any non-identifier
character), a continuation may start with a non-identifier character only if it is in `starts`
(None: any), and never with one in `banned`. Spaces and tabs before the identifier are free.
Several monitors' constraints compose by intersection. Backends see constraints only through
`monitors.compile` (grammar, regex) or the exact masks of the decoder.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Constraint", "intersect", "is_ident_char"]


def is_ident_char(ch: str) -> bool:
    """Whether `ch` may continue a Python identifier."""
    return ch.isalnum() or ch == "_"


@functools.lru_cache(maxsize=256)
def _word_index(words: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """All prefixes of `words`, and the words: a token between triggers then costs set lookups.

    Cached: the same members come back at every completion after the same receiver.
    """
    return frozenset(w[:i] for w in words for i in range(len(w) + 1)), frozenset(words)


@dataclass(frozen=True)
class Constraint:
    """What may legally come next at a trigger point (see the module docstring).

    `words` keeps the monitor's ranking (best first), used when a violation must be corrected.
    `source` names the monitors that contributed, for reports.
    """

    words: tuple[str, ...] | None = None
    ends: frozenset[str] | None = None
    starts: frozenset[str] | None = None
    banned: frozenset[str] = frozenset()
    source: tuple[str, ...] = ()
    _prefixes: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    _set: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.words is not None:
            prefixes, words = _word_index(self.words)
            object.__setattr__(self, "_prefixes", prefixes)
            object.__setattr__(self, "_set", words)

    @property
    def restricts_words(self) -> bool:
        return self.words is not None

    def is_prefix(self, partial: str) -> bool:
        """Whether `partial` (identifier characters typed so far) can still become a word."""
        return self.words is None or partial in self._prefixes

    def is_word(self, partial: str) -> bool:
        return self.words is None or partial in self._set

    def may_end(self, ch: str) -> bool:
        """Whether a finished word may be followed by `ch`."""
        return self.ends is None or ch in self.ends

    def may_start(self, ch: str) -> bool:
        """Whether the continuation may begin with the non-identifier character `ch`."""
        return ch not in self.banned and (self.starts is None or ch in self.starts)

    def completions(self, partial: str) -> list[str]:
        """Remaining suffixes of the words extending `partial`, in the monitor's ranking."""
        if self.words is None:
            return []
        return [w[len(partial):] for w in self.words if w.startswith(partial)]


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def intersect(constraints: Iterable[Constraint | None]) -> Constraint | None:
    """The constraint all of `constraints` agree on; None (unconstrained) when none applies.

    An empty intersection of word sets means the monitors disagree about something they do not
    fully know: rather than forbid everything, the word restriction is dropped (fail open).
    """
    present = [c for c in constraints if c is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    words: tuple[str, ...] | None = None
    ends: frozenset[str] | None = None
    starts: frozenset[str] | None = None
    banned, source = frozenset[str](), tuple[str, ...]()
    for c in present:
        if c.words is not None:
            words = c.words if words is None else tuple(w for w in words if w in c._set)
        ends = _meet(ends, c.ends)
        starts = _meet(starts, c.starts)
        banned = banned | c.banned
        source += c.source
    if words is not None and not words:
        words, starts = None, None
    return Constraint(words=words, ends=ends, starts=starts, banned=banned, source=source)

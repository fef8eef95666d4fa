"""The monitor loop over characters: one `Session` per completion, one `State` per decoding path.

Each generated character is checked at the boundary before it: inside an identifier that a
constraint governs it costs one trie lookup; elsewhere the monitors' `pre` results for that
boundary are intersected (memoised per boundary text, so retries and candidate tokens reuse them).
A character that no constraint allows is a violation; `feed` returns where it happened.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from typehole.base.scan import LexState

from .base import Monitor, View
from .constraint import Constraint, intersect, is_ident_char
from .facts import Facts

__all__ = ["Session", "State"]

_STAR_IMPORT = re.compile(r"^\s*from\s+\S+\s+import\s+\*", re.M)
_IMPORT_STAR = re.compile(r"import\s+\*")  # a literal start: a fast scan of the whole file
_SPACE = " \t"


def _has_star_import(text: str) -> bool:
    return bool(_IMPORT_STAR.search(text) and _STAR_IMPORT.search(text))


@dataclass
class State:
    """One decoding path: lexical state, generated text, and the identifier being constrained."""

    lex: LexState
    generated: str = ""
    active: Constraint | None = None
    partial: str = ""
    stop_at: int | None = None  # offset in the generated text where generation must end

    def copy(self) -> State:
        return State(self.lex.copy(), self.generated, self.active, self.partial, self.stop_at)


class Session:
    """Monitors watching one completion of `prefix` (document before the cursor) + `suffix`."""

    def __init__(self, prefix: str, suffix: str, monitors: Sequence[Monitor], facts: Facts) -> None:
        # The identifier typed before the cursor (searched in the last line only: a `\w*$`
        # search over the whole file tries every position).
        tail = re.search(r"\w*$", prefix[prefix.rfind("\n") + 1:])
        self.head = len(tail.group(0)) if tail else 0
        self._full_prefix = prefix
        self.original = prefix + suffix  # one string: Jedi answers about it are keyed by it
        self.prefix = prefix[: len(prefix) - self.head]
        self.suffix = suffix
        self.monitors = list(monitors)
        self.facts = facts
        self.star_import = _has_star_import(prefix) or _has_star_import(suffix)
        self._memo: dict[str, Constraint | None] = {}
        self.trigger_ms: list[float] = []
        self.check_s = 0.0
        self.chars = 0

    def start(self) -> State:
        """The state at the cursor; an identifier typed before it narrows, or fails open."""
        state = State(LexState.of_prefix(self.prefix))
        head = self.text_head()
        for i, ch in enumerate(head):
            if not self._step(state, ch):
                # What the user typed is not what analysis allows: trust the user.
                state.active, state.partial = None, ""
                state.generated += head[i:]
                for rest in head[i:]:
                    state.lex.feed(rest)
                break
        return state

    def text_head(self) -> str:
        """The identifier typed right before the cursor (the constraint narrows it first)."""
        return self._full_prefix[len(self.prefix):]

    def generated(self, state: State) -> str:
        """Text generated after the cursor (without the identifier typed before it)."""
        return state.generated[self.head:]

    def feed(self, state: State, text: str) -> int | None:
        """Advance `state` over `text`; the index in `text` of the first violation, else None.

        On a violation `state` stays at the boundary before the offending character.
        """
        started = time.perf_counter()
        try:
            for i, ch in enumerate(text):
                if state.stop_at is not None:
                    return None
                if not self._step(state, ch):
                    return i
            return None
        finally:
            self.check_s += time.perf_counter() - started
            self.chars += len(text)

    def allows(self, state: State, text: str) -> bool:
        """Whether `text` may follow `state` (checked on a copy)."""
        return self.feed(state.copy(), text) is None

    def constraint(self, state: State) -> tuple[Constraint | None, str]:
        """The constraint governing the next identifier at `state`, and the part already typed."""
        if state.active is not None:
            return state.active, state.partial
        return self._at(state), ""

    def _view(self, state: State) -> View:
        return View(self.prefix, state.generated, self.suffix, state.lex, self.facts,
                    self.star_import, self.head, self.original)

    def _at(self, state: State) -> Constraint | None:
        """Intersected `pre` of the monitors at `state`'s boundary (memoised)."""
        key = state.generated
        if key in self._memo:
            return self._memo[key]
        started = time.perf_counter()
        view = self._view(state)
        in_code = state.lex.in_code
        found = intersect(m.pre(view) for m in self.monitors if in_code or m.lexical)
        self.trigger_ms.append((time.perf_counter() - started) * 1000)
        self._memo[key] = found
        return found

    def _step(self, state: State, ch: str) -> bool:
        active = state.active
        if active is not None:
            if is_ident_char(ch):
                if not active.is_prefix(state.partial + ch):
                    return False
                state.partial += ch
                self._advance(state, ch)
                return True
            if not (active.is_word(state.partial) and active.may_end(ch)
                    or self._string_prefix(state, ch)):
                return False
            state.active, state.partial = None, ""
        before = state.generated[-1:] or self.prefix[-1:]
        if is_ident_char(ch) and before and is_ident_char(before):
            self._advance(state, ch)  # inside an identifier nobody constrains
            return True
        found = self._at(state)
        if found is not None:
            if ch in found.banned:
                return False
            if ch.isidentifier():  # starts an identifier (a digit starts a number instead)
                if not found.is_prefix(ch):
                    return False
                if found.words is not None or found.ends is not None:
                    state.active, state.partial = found, ch
            elif ch not in _SPACE and not found.may_start(ch):
                return False
        self._advance(state, ch)
        return True

    @staticmethod
    def _string_prefix(state: State, ch: str) -> bool:
        """Whether `ch` is a quote after a name that is a string's prefix (`f` of `f"{x}"`):
        a string starts there, not a name the constraint governs."""
        prefix = state.lex.lexicon.prefix_re
        return (ch in state.lex.lexicon.quotes and prefix is not None
                and prefix.fullmatch(state.partial) is not None)

    def _advance(self, state: State, ch: str) -> None:
        lex = state.lex
        was_blank = not lex.line.strip()
        lex.feed(ch)
        state.generated += ch
        if was_blank and ch not in " \t\r\n" and len(state.generated) > self.head:
            line_start = lex.line_start - len(self.prefix)
            if line_start > 0:
                view = self._view(state)
                if any(m.stop(view) for m in self.monitors):
                    state.stop_at = max(line_start - 1 - self.head, 0)

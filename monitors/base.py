"""The Monitor protocol and the `View` of the virtual document a monitor reads at a boundary.

The virtual document is the document's prefix, the text generated so far and the original
suffix. A monitor's `pre` is asked at a character boundary (never inside an identifier, except
before a non-identifier character) whether that boundary is one of its trigger points, and if so
returns the `Constraint` for what may follow; None means it has no opinion. Lexical tests come
first and are cheap; analysis (`View.facts`) runs only at trigger points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from typehole.base.scan import LexState
from typehole.context.oracle import Unavailable, signatures_of_detail
from typehole.context.receiver import Link, parse_chain
from typehole.context.scope import visible_names

from .constraint import Constraint
from .facts import Facts, Name, Param

__all__ = ["Monitor", "View", "bound_by_parameter_or_loop", "enclosing_function"]

# `a.b().c` right before a dot, not itself the tail of a longer expression.
_CHAIN_END = re.compile(r"(?<![\w.)\]}'\"])([A-Za-z_]\w*(?:\(\))?(?:\.[A-Za-z_]\w*(?:\(\))?)*)$")
# Members that say the real attributes are not all declared where Jedi looks: `__getattr__`
# makes any name work; a slotted class sets its attributes through `__slots__` (often with
# `object.__setattr__`), which Jedi does not list. Such receivers are not constrained.
_DYNAMIC = frozenset({"__getattr__", "__slots__"})
# ty lists the attributes `__slots__` declares: in its answers `__slots__` is a member like any.
_TY_DYNAMIC = frozenset({"__getattr__"})
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_MEMBER_CALLEE = re.compile(r"\.([A-Za-z_]\w*)[ \t]*$")  # `recv.name` right before a `(`
_NARROWING_WINDOW = 4000  # chars before the cursor searched for an `isinstance` of the root
_DEF = re.compile(r"(async\s+)?def\s")
_SCOPE_WORDS = re.compile(r"\b(def|class|lambda|global|nonlocal)\b")
_PARAMETER = re.compile(r"\s*\*{0,2}\s*([A-Za-z_]\w*)")
_LOOP_TARGET = re.compile(r"\bfor\s+([\w\s,()\[\]*]+?)\s+in\b")


def _known(found: list[Name] | None,
           dynamic: frozenset[str] = _DYNAMIC) -> list[str] | None:
    """The names, or None when there are none or dynamic attributes make any name possible."""
    if not found or any(n.name in dynamic for n in found):
        return None
    return [n.name for n in found]


def _enclosing_function(before: str) -> str:
    """The text of the function the end of `before` is in, up to there (at most the last
    `_NARROWING_WINDOW` characters; those at module level)."""
    window = before[-_NARROWING_WINDOW:]
    lines = window.split("\n")
    indent = len(lines[-1]) - len(lines[-1].lstrip(" \t"))
    for i in range(len(lines) - 2, -1, -1):
        line = lines[i]
        stripped = line.lstrip(" \t")
        # A line that closes brackets (`):` of a long signature) is not a block's start.
        if stripped and stripped[0] not in ")]}" and len(line) - len(stripped) < indent:
            if _DEF.match(stripped):
                return "\n".join(lines[i:])
            indent = len(line) - len(stripped)
    return window


def enclosing_function(before: str) -> str:
    """The text of the function the end of `before` is in, up to there (its `def` line first;
    module-level code: the last `_NARROWING_WINDOW` characters)."""
    return _enclosing_function(before)


def _parameters(function: str) -> list[str]:
    """The parameter names of the `def` that `function` starts with (none: it starts with
    none, module-level code)."""
    function = function.lstrip(" \t")
    if not _DEF.match(function):
        return []
    opened = function.find("(")
    if opened < 0:
        return []
    pieces, depth, start = [], 0, opened + 1
    for i in range(opened, len(function)):
        ch = function[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                pieces.append(function[start:i])
                break
        elif ch == "," and depth == 1:
            pieces.append(function[start:i])
            start = i + 1
    return [m.group(1) for piece in pieces if (m := _PARAMETER.match(piece))]


def bound_by_parameter_or_loop(before: str, root: str) -> bool:
    """Whether `root` is a parameter of the function the end of `before` is in, or a target of
    a `for` in it (a loop or a comprehension) before there."""
    function = _enclosing_function(before)
    if root in _parameters(function):
        return True
    return any(root in re.findall(r"[A-Za-z_]\w*", m.group(1))
               for m in _LOOP_TARGET.finditer(function))


def _leaves_block(prefix: str, written: str) -> bool:
    """Whether generated code opens a scope or goes back out of the cursor's block."""
    if _SCOPE_WORDS.search(written):
        return True
    line = prefix[prefix.rfind("\n") + 1:]
    indent = len(line) - len(line.lstrip(" \t"))
    return any(len(rest) - len(rest.lstrip(" \t")) < indent
               for rest in written.split("\n")[1:] if rest.strip())


@dataclass
class View:
    """The virtual document at one boundary: `prefix + generated`, then `suffix`."""

    prefix: str
    generated: str
    suffix: str
    lex: LexState
    facts: Facts
    star_import: bool = False  # `from m import *` in the document: names are not knowable
    head: int = 0  # `generated` starts with this many characters the user typed (the document's)
    original: str | None = None  # the document as the user has it, when the caller has it built

    @property
    def offset(self) -> int:
        """Absolute offset of the boundary."""
        return len(self.prefix) + len(self.generated)

    def upto(self, offset: int) -> str:
        """Virtual text from the start to absolute `offset` (at most the boundary)."""
        n = len(self.prefix)
        if offset <= n:
            return self.prefix[:offset]
        return self.prefix + self.generated[: offset - n]

    def between(self, start: int) -> str:
        """Virtual text from absolute `start` to the boundary."""
        n = len(self.prefix)
        if start >= n:
            return self.generated[start - n:]
        return self.prefix[start:] + self.generated

    def document(self, offset: int) -> tuple[str, int]:
        """The text Jedi analyses for a query at `offset`, and that offset in it."""
        return self.upto(offset) + self.suffix, offset

    def complete(self, offset: int) -> list[str] | None:
        """Names Jedi completes at `offset` (None when unknown); dynamic attributes fail open."""
        return _known(self.facts.complete(*self.document(offset)))

    def members(self, dot: int) -> list[str] | None:
        """Members of the receiver before the `.` ending at `dot`; None when unknown.

        ty answers first where the workspace runs it (the dot's line up to the dot, the lines
        after, the brackets open there closed); Jedi where ty cannot answer now, or (engine
        `auto`) does not know the receiver: then only of the document as it is (no new parse:
        Jedi's analysis of a new text cost up to seconds on attrs, for receivers ty could not
        type, where its answers also refused the real member more often than ty's silence),
        and not when the receiver starts with a parameter of the function or a loop's target
        in it (`_unknown_to_jedi_too`).
        """
        facts = self.facts
        ty_answered = False
        if facts.ty is not None:
            try:
                found = facts.ty_members(*self.document(dot), self._closers())
            except Unavailable:
                pass
            else:
                if found is not None or facts.engine == "ty":
                    facts.answered_by.append("ty" if found else "none")
                    if found:
                        facts.note_members(self.site(dot), found)
                    return _known(found, _TY_DYNAMIC)
                ty_answered = True
                if self._unknown_to_jedi_too(dot - 1):
                    facts.answered_by.append("none")
                    return None
        names = self.receiver_members(dot)
        if not names and not (ty_answered and self._new_text(dot)):
            names = self.complete(dot)
        facts.answered_by.append("jedi" if names else "none")
        return names

    def _unknown_to_jedi_too(self, end: int) -> bool:
        """Whether the chain that ends at `end` (a receiver before its `.`, a callee before
        its `(`), which ty typed as unknown, starts with a parameter of the function it is in
        or a loop's target there.

        ty read the parameter's annotation, or typed the iterable, and found nothing; Jedi
        would look for the function's call sites in the project (0.1-3.7 s a question on
        attrs' `cls.`, `other.`, `method.`, loop variables), and guess from them a type that,
        on 60 sites of attrs, constrained one more and refused the real member at another.
        The monitor fails open there.
        """
        before = self.upto(end)
        m = _CHAIN_END.search(before, before.rfind("\n") + 1)
        if m is None:
            return False
        root = re.match(r"[A-Za-z_]\w*", m.group(1))
        return root is not None and bound_by_parameter_or_loop(before[: m.start(1)],
                                                                root.group(0))

    def _new_text(self, offset: int) -> bool:
        """Whether a question at `offset` (`document`) is about a text other than the document
        as it is: anywhere but the cursor, generated text is in it or typed text left out."""
        return offset != self._document_at_cursor()[1]

    def _closers(self) -> str:
        """The closers of the brackets open at the boundary, innermost first."""
        return "".join(_CLOSERS[opener] for opener, _ in reversed(self.lex.brackets))

    def receiver_members(self, dot: int) -> list[str] | None:
        """Members of the receiver before the `.` ending at `dot`, asked of the document as it
        is (see `_chain_before`); None: ask Jedi about the text up to the dot."""
        found_chain = self._chain_before(dot - 1)
        if found_chain is None:
            return None
        chain, at = found_chain
        return _known(self.facts.members(self._document_at_cursor()[0], at, chain))

    def signatures(self, opener: int) -> list[list[Param]] | None:
        """Signatures of the call whose `(` is at `opener`; None when unknown.

        ty answers first where the workspace runs it (the text up to the `(`, the lines after,
        the brackets open there closed); Jedi where ty cannot answer now, or (engine `auto`)
        does not know the callee: from the document as it is where that can mean the same
        (`call_signatures`), else from the new text; not when the callee starts with a
        parameter of the function or a loop's target in it (`_unknown_to_jedi_too`).
        """
        facts = self.facts
        ty_answered = False
        if facts.ty is not None:
            found = self._member_signatures(opener)
            if found is not None:
                facts.signatures_by.append("ty")
                return found
            closers = "".join(_CLOSERS[o] for o, at in reversed(self.lex.brackets)
                              if at <= opener)
            try:
                found = facts.ty_signatures(*self.document(opener + 1), closers or None)
            except Unavailable:
                pass
            else:
                if found is not None or facts.engine == "ty":
                    facts.signatures_by.append("ty" if found else "none")
                    return found
                ty_answered = True
                if self._unknown_to_jedi_too(opener):
                    facts.signatures_by.append("none")
                    return None
        found = self.call_signatures(opener)
        if found is None and not (ty_answered and self._new_text(opener + 1)):
            found = self.facts.signatures(*self.document(opener + 1))
        facts.signatures_by.append("jedi" if found else "none")
        return found

    def site(self, dot: int) -> tuple[int, str]:
        """Where the `.` ending at `dot` is, as a key: its offset and the generated text before
        it (one completion's views share the prefix)."""
        return dot, self.generated[: max(dot - len(self.prefix), 0)]

    def _member_signatures(self, opener: int) -> list[list[Param]] | None:
        """Signatures of a call of `recv.name` from ty's detail of `name` (a method's
        signature), when `recv.`'s members were asked in this completion: a member the model
        calls needs no new analysis. None: ask about the text."""
        m = _MEMBER_CALLEE.search(self.upto(opener)[-200:])
        if m is None:
            return None
        dot = opener - (len(m.group(0)) - 1)
        detail = self.facts.member_detail(self.site(dot), m.group(1))
        return signatures_of_detail(detail) if detail else None

    def call_signatures(self, opener: int) -> list[list[Param]] | None:
        """Signatures of the call whose `(` is at `opener`, asked of the document as it is: at
        the `(` itself when the user wrote it, else of the callee the model wrote, at the
        cursor (see `_chain_before`). None: ask about the new text."""
        if opener < len(self.prefix):
            return self.facts.signatures(self._document_at_cursor()[0], opener + 1)
        found_chain = self._chain_before(opener)
        if found_chain is None:
            return None
        chain, at = found_chain
        return self.facts.signatures_of(self._document_at_cursor()[0], at, chain)

    def _chain_before(self, end: int) -> tuple[tuple[Link, ...], int] | None:
        """The plain chain (`a.b().c`) ending at `end`, and where in the document as it is to
        evaluate it so that it means what it means at `end`.

        Written by the user (before the cursor): where it starts. Written by the model: at the
        cursor, unless the generated code before it binds its root name, opens a scope or
        leaves the cursor's block. Not when an `isinstance` may narrow the root (Jedi narrows
        only where the name itself is written).
        """
        before = self.upto(end)
        line_start = before.rfind("\n") + 1  # a plain chain never spans lines
        m = _CHAIN_END.search(before, line_start)
        chain = parse_chain(m.group(1)) if m else None
        if m is None or chain is None:
            return None
        start = len(self.prefix)
        root = re.escape(chain[0].name)
        written = self.generated[: max(m.start(1) - start, 0)]
        if re.search(rf"isinstance\(\s*{root}\b", _enclosing_function(before[: m.start(1)])):
            return None
        if end <= start:
            return tuple(chain), m.start(1)
        if re.search(rf"(?<![\w.]){root}\b", written) or _leaves_block(self.prefix, written):
            return None
        return tuple(chain), self._document_at_cursor()[1]

    def _document_at_cursor(self) -> tuple[str, int]:
        """The document as it is (with what the user typed of the current word), the cursor."""
        typed = self.generated[: self.head]
        text = self.original if self.original is not None else self.prefix + typed + self.suffix
        return text, len(self.prefix) + len(typed)

    def names_in_scope(self) -> list[str] | None:
        """Names a bare identifier may read at the boundary, nearest first (None when unknown).

        From tree-sitter (`context.scope`, a superset of what is in scope); Jedi only when that
        analysis fails.
        """
        try:
            return visible_names(self.prefix, self.suffix, self.generated)
        except (ValueError, RuntimeError, UnicodeError):
            return self.complete(self.offset)


class Monitor(Protocol):
    """A static-analysis monitor (Agrawal et al.'s pre/maskgen/update, as a pure function).

    `pre` must be a function of the view's state, so results can be memoised per boundary.
    `lexical` monitors are also asked inside strings and comments.
    """

    name: str
    lexical: bool

    def pre(self, view: View) -> Constraint | None: ...

    def stop(self, view: View) -> bool:
        """Whether generation should end before the line that starts at this boundary's line."""
        ...

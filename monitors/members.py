"""Monitors over what a name exposes: `expr.` members (dereference) and import statements."""

from __future__ import annotations

import re

from .base import View, enclosing_function
from .constraint import Constraint

__all__ = ["DereferenceMonitor", "ImportMonitor", "new_attribute_site", "rank_members"]

_IMPORT_LINE = re.compile(r"^\s*(from|import)\b")
_FLOAT = re.compile(r"(?<![\w.])\d[\d_]*\.$")
_FROM_IMPORT = re.compile(
    r"^\s*from\s+[\w.]+\s+import\s+\(?\s*(?:\w+(?:\s+as\s+\w+)?\s*,\s*)*$")
_IMPORT = re.compile(r"^\s*(?:import\s+(?:[\w.]+(?:\s+as\s+\w+)?\s*,\s*)*|from\s+)$")
_SUBMODULE = re.compile(r"^\s*(?:import|from)\s+(?:[\w.]+(?:\s+as\s+\w+)?\s*,\s*)*\w[\w.]*\.$")
_RECEIVER_END = set(")]}'\"")
_FROM = re.compile(r"^\s*from\s+$")
# `self.` that starts a statement (or a target list): maybe an assignment target.
_SELF_TARGET = re.compile(r"^\s*(?:[\w.]+\s*,\s*)*self\.$")
# Methods that create a new object's attributes: there `self.new_name = ...` is the norm.
_INITIALISERS = re.compile(
    r"\s*(?:async\s+)?def\s+(?:__init__|__new__|__post_init__|__attrs_post_init__|"
    r"__setstate__|setUp|setup_method)\s*\(")


def new_attribute_site(before: str) -> bool:
    """Whether `before` (the text up to a `.`, no bracket open there) ends with a `self.` that
    starts a statement of an initialiser (`__init__`, ...): what follows may be an attribute
    the statement creates, which no analysis lists yet."""
    line = before[before.rfind("\n") + 1:].rstrip(" \t")
    return bool(_SELF_TARGET.match(line)) and bool(
        _INITIALISERS.match(enclosing_function(before)))


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def rank_members(names: list[str]) -> tuple[str, ...]:
    """Public names first, then `_private`, then dunders; Jedi's order within each group."""
    def group(n: str) -> int:
        return 2 if n.startswith("__") else 1 if n.startswith("_") else 0
    return tuple(sorted(dict.fromkeys(names), key=group))


class DereferenceMonitor:
    """After `expr.` only members of `expr`'s inferred type (the type oracle); fails open when
    unknown (no members, or only dunders), and at a `self.` that starts a statement of an
    initialiser (`__init__`, ...), where the statement may create a new attribute.

    The boundary may come after a dot the model fused with letters (`.get`) or a prompt that
    ends inside the member name (`obj.ge`): the tracker asks at the boundary right after the dot
    either way, then narrows by the letters that follow.
    """

    name = "dereference"
    lexical = False

    def pre(self, view: View) -> Constraint | None:
        line = view.lex.line.rstrip(" \t")
        if not line.endswith(".") or line.endswith("..") or _IMPORT_LINE.match(line):
            return None
        before = line[:-1].rstrip()
        if not before or not (before[-1].isalnum() or before[-1] == "_"
                              or before[-1] in _RECEIVER_END) or _FLOAT.search(line):
            return None
        if not view.lex.brackets and new_attribute_site(view.upto(view.offset)):
            return None  # `self.new_attr = ...` creates a member no analysis lists yet
        dot = view.lex.line_start + len(line)
        names = view.members(dot)
        if not names or all(_is_dunder(n) for n in names):
            # Only `object`'s (or None's) dunders: the analysis does not know the receiver (an
            # unannotated parameter inferred from a `None` default, a narrowing it missed).
            return None
        return Constraint(words=rank_members(names), starts=frozenset(), source=(self.name,))

    def stop(self, view: View) -> bool:
        return False


class ImportMonitor:
    """`from m import ` names what `m` exports; `import ` / `from ` names modules that resolve."""

    name = "imports"
    lexical = False

    def pre(self, view: View) -> Constraint | None:
        if view.lex.brackets and view.lex.brackets[-1][0] != "(":
            return None
        line = view.lex.line
        if _FROM_IMPORT.match(line):
            starts = frozenset("*(") if line.rstrip().endswith("import") else frozenset()
        elif _IMPORT.match(line) or _SUBMODULE.match(line.rstrip(" \t")):
            # `from .sibling import x`: a relative import starts with dots, not a module name.
            starts = frozenset(".") if _FROM.match(line) else frozenset()
        else:
            return None
        if re.match(r"^\s*from\s+\.", line):
            return None  # relative imports depend on the package layout Jedi may not see
        names = view.complete(view.offset)
        if not names:
            return None
        return Constraint(words=rank_members(names), starts=starts, source=(self.name,))

    def stop(self, view: View) -> bool:
        return False

"""Consistency: what static analysis says the edit broke, compared before and after it.

An edit often leaves the rest of the file inconsistent, and analysis can say where. Each finding
is new with this edit (absent before it) and lies outside the lines the edit touched:

- **undefined**: a name pyflakes now reads as undefined (or an `__all__` entry it now cannot
  find) that it read fine before: the edit removed or renamed its definition or its import.
- **member**: `self.attr` still read in a class whose edit removed the attribute (its
  assignment, its method); off by default (see `DEFAULT_KINDS`), except where the edit renamed
  it (`renamed-member`: the reads get the new name).
- **unused**: a local variable that nothing reads any more (the edit removed its last use).

When the edit visibly renamed the name (one identifier for another where the rest of the
edited lines still align token by token), the suggestion carries the new name; otherwise it is a
location-only suggestion (`jump`): the next edit is there, what it should be is the user's call.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .attributes import class_attributes, has_bases, self_reads
from .flakes import Flag, flags
from .name_facts import NameFacts
from .pyast import parse
from .records import Event, Suggestion
from .removal import binding_kinds, removal_edit, slot
from .tokens import is_identifier, significant

__all__ = ["DEFAULT_KINDS", "KINDS", "consistency_suggestions", "renames", "still_undefined"]

KINDS = ("undefined", "member", "renamed-member", "unused")
# On by default: what kept location precision >= 0.85 on `typehole bench next-edit --git` over
# five projects' histories (undefined 0.96 over 94 suggestions, unused 2 of 2). `member` landed
# 3 times in 11: a class that loses `self.x` more often gets it back another way (a property)
# than has its reads changed, so it is available but off; `renamed-member` is its part that
# carries text, where the edit visibly renamed the attribute.
DEFAULT_KINDS = ("undefined", "unused", "renamed-member")
MAX_SITES = 12  # more sites than this: a broad breakage, not one next edit
MAX_EDIT_CHARS = 20_000  # edited lines beyond this: a replacement, not an edit
MAX_RENAME_CHARS = 3_000  # the edited lines searched for one name replaced by another


def consistency_suggestions(event: Event,
                            kinds: Iterable[str] = DEFAULT_KINDS) -> list[Suggestion]:
    """The sites outside the edit that the edit left inconsistent."""
    kinds = set(kinds)
    # Only a name whose text the edit removed can lose its definition or its last use (a
    # block moved to another scope aside), so an edit that removed none costs no analysis.
    removed = _removed_names(event)
    if not removed:
        return []
    lines = _edited_lines(event)
    mapping = renames(event)
    out: list[Suggestion] = []
    if {"undefined", "unused"} & kinds:
        before, after = flags(event.before), flags(event.after)
        if before is not None and after is not None:
            if "undefined" in kinds:
                out.extend(_undefined(event, before, after, lines, mapping, removed))
            if "unused" in kinds:
                out.extend(_unused(event, before, after, lines, removed))
    if "member" in kinds:
        out.extend(_members(event, lines, mapping, removed))
    elif "renamed-member" in kinds and mapping:
        out.extend(s for s in _members(event, lines, mapping, removed) if not s.jump)
    return out


def _removed_names(event: Event) -> set[str]:
    """Identifiers the edited lines hold fewer times after the edit than before it."""
    b_lo, b_hi = _line_span(event.before, event.change.start, event.change.end)
    a_lo, a_hi = _line_span(event.after, event.change.start, event.change.inserted_end)
    if b_hi - b_lo > MAX_EDIT_CHARS:
        return set()  # a file replaced wholesale: nothing to propagate
    old = Counter(t.text for t in significant(event.before, b_lo, b_hi) if t.is_name)
    new = Counter(t.text for t in significant(event.after, a_lo, a_hi) if t.is_name)
    return set(old - new)


def still_undefined(text: str, name: str) -> bool:
    """Whether pyflakes still reads `name` undefined in `text` (False when it cannot tell)."""
    found = flags(text)
    return found is not None and any(f.kind == "undefined" and f.name == name for f in found)


def renames(event: Event) -> dict[str, str]:
    """old -> new for identifiers the edit replaced one for one, the tokens around them equal.

    Only unambiguous pairs: a name replaced by two different names is left out.
    """
    b_lo, b_hi = _line_span(event.before, event.change.start, event.change.end)
    a_lo, a_hi = _line_span(event.after, event.change.start, event.change.inserted_end)
    if b_hi - b_lo > MAX_RENAME_CHARS or a_hi - a_lo > MAX_RENAME_CHARS:
        return {}  # a rewrite, not a rename (and token alignment is quadratic)
    old = [t.text for t in significant(event.before, b_lo, b_hi)]
    new = [t.text for t in significant(event.after, a_lo, a_hi)]
    pairs: dict[str, set[str]] = {}
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or i2 - i1 != j2 - j1:
            continue
        for o, n in zip(old[i1:i2], new[j1:j2], strict=True):
            if o != n and is_identifier(o) and is_identifier(n):
                pairs.setdefault(o, set()).add(n)
    return {o: next(iter(n)) for o, n in pairs.items() if len(n) == 1}


def _line_span(text: str, start: int, end: int) -> tuple[int, int]:
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return lo, len(text) if hi < 0 else hi


def _edited_lines(event: Event) -> tuple[int, int]:
    """The first and last line (0-based, in `after`) the edit touched."""
    change = event.change
    return (event.after.count("\n", 0, change.start),
            event.after.count("\n", 0, change.inserted_end))


def _outside(text: str, offset: int, lines: tuple[int, int]) -> bool:
    line = text.count("\n", 0, offset)
    return not lines[0] <= line <= lines[1]


def _undefined(event: Event, before: tuple[Flag, ...], after: tuple[Flag, ...],
               lines: tuple[int, int], mapping: dict[str, str],
               removed: set[str]) -> list[Suggestion]:
    was = {f.name for f in before if f.kind == "undefined"}
    text = event.after
    sites: dict[str, list[int]] = {}
    for f in after:
        if f.kind == "undefined" and f.name in removed and f.name not in was \
                and _outside(text, f.start, lines):
            at = f.start if text.startswith(f.name, f.start) else _export_site(text, f)
            if at is not None:
                sites.setdefault(f.name, []).append(at)
    line = lines[0] + 1
    out: list[Suggestion] = []
    gone = frozenset(sites)
    for name, offsets in sites.items():
        if len(offsets) > MAX_SITES:
            continue
        new = mapping.get(name)
        value = None
        kinds: frozenset[str] | None = None
        if new is not None and not _undefined_in(after, new) \
                and not _named_before(event.before, new):
            reason = f"`{name}` was renamed to `{new}` on line {line}; this still says `{name}`"
        else:
            new = None
            value = _removed_value(event, name)
            reason = f"`{name}` is no longer defined after the edit on line {line}"
        for at in offsets:
            if value is not None and value[1] <= _indent_at(text, at):
                inline = value[0] if value[2] or slot(text, at, at + len(name)) \
                    else f"({value[0]})"
                why = f"`{name}` (= `{value[0]}`) was removed on line {line}; its value goes here"
                out.append(Suggestion(at, at + len(name), inline, "undefined", why, name,
                                      f"undefined:{name}"))
                continue
            if new is None and value is None:
                if kinds is None:
                    kinds = binding_kinds(event.before, name, _line_span(
                        event.before, event.change.start, event.change.end))
                dropped = removal_edit(text, at, name, kinds, gone)
                if dropped is not None:
                    why = f"`{name}` was removed on line {line}; {dropped.what}"
                    out.append(Suggestion(dropped.start, dropped.end, dropped.new_text,
                                          "undefined", why, text[dropped.start : dropped.end],
                                          f"undefined:{name}"))
                    continue
            out.append(_site(at, name, new, "undefined", reason, f"undefined:{name}"))
    return out


_ATOMS = (ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.JoinedStr)


def _removed_value(event: Event, name: str) -> tuple[str, int, bool] | None:
    """(value, indentation, whether it is an atom) of the one-line `name = value` the edit
    deleted, when that was the only thing that ever bound the name: its uses can take the value
    in its place (the constant inlined). A name bound again anywhere (`+=`, a loop, an import,
    a parameter) is a variable, not a constant, and gets no text."""
    b_lo, b_hi = _line_span(event.before, event.change.start, event.change.end)
    assigned = re.compile(rf"^[ \t]*{re.escape(name)}[ \t]*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
    if assigned.search(event.before, b_lo, b_hi) is None:
        return None  # the edit deleted no assignment of it: no need to parse the file
    tree = parse(event.before)
    if tree is None:
        return None
    bindings = [n for n in ast.walk(tree) if _binds(n, name)]
    assign = next((n for n in ast.walk(tree) if isinstance(n, ast.Assign)
                   and len(bindings) == 1 and n.targets == bindings), None)
    if assign is None:
        return None
    lines = event.before.splitlines(keepends=True)
    lo = sum(len(x) for x in lines[: assign.lineno - 1])
    if assign.end_lineno != assign.lineno or not b_lo <= lo <= b_hi \
            or len(assign.targets) != 1 or not isinstance(assign.targets[0], ast.Name):
        return None
    value = ast.get_source_segment(event.before, assign.value)
    if value is None or "\n" in value or not _pure(assign.value):
        return None
    body = assign.value
    if isinstance(body, ast.Tuple) and not value.startswith("("):
        value = f"({value})"  # a bare tuple needs its parentheses wherever it goes
    atom = isinstance(body, _ATOMS) and not (
        isinstance(body, ast.Constant) and isinstance(body.value, (int, float, complex)))
    return value, assign.col_offset, atom


def _pure(node: ast.AST) -> bool:
    """An expression that reads the same wherever it is written: literals, names, attributes
    and operators on them. Not a call (it would run at each use) nor a list or dict (each use
    would get a new one, where the variable was one object)."""
    return all(isinstance(n, (ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Tuple,
                              ast.Compare, ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.Slice,
                              ast.JoinedStr, ast.FormattedValue, ast.expr_context, ast.operator,
                              ast.boolop, ast.unaryop, ast.cmpop))
               for n in ast.walk(node))


def _binds(node: ast.AST, name: str) -> bool:
    """Whether `node` binds `name` (an assignment target, a parameter, an import, a def)."""
    if isinstance(node, ast.Name):
        return node.id == name and not isinstance(node.ctx, ast.Load)
    if isinstance(node, ast.arg):
        return node.arg == name
    if isinstance(node, ast.alias):
        return (node.asname or node.name.split(".")[0]) == name
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return name in node.names
    return isinstance(node, ast.ExceptHandler) and node.name == name


def _indent_at(text: str, at: int) -> int:
    lo = text.rfind("\n", 0, at) + 1
    line = text[lo:at]
    return len(line) - len(line.lstrip(" \t"))


def _named_before(before: str, name: str) -> bool:
    """Whether `name` was already in the text: renaming onto it could change what code means
    (the rename engine's conflict rule, kept scope-blind here), so no text is offered."""
    return re.search(rf"(?<![\w.]){re.escape(name)}\b", before) is not None


def _undefined_in(after: tuple[Flag, ...], new: str) -> bool:
    """Whether the new name is itself undefined after the edit (then it is no rename)."""
    return any(f.kind == "undefined" and f.name == new for f in after)


def _export_site(text: str, f: Flag) -> int | None:
    """The quoted entry of an undefined `__all__` name (pyflakes points at `__all__` itself)."""
    if not text.startswith("__all__", f.start):
        return None
    end = text.find("]", f.start)
    end = text.find(")", f.start) if end < 0 else end
    match = re.compile(rf"[\"']({re.escape(f.name)})[\"']").search(text, f.start, max(end, 0))
    return match.start(1) if match else None


def _site(at: int, name: str, new: str | None, source: str, reason: str,
          group: str) -> Suggestion:
    if new is None:
        return Suggestion(at, at + len(name), name, source, reason, name, group, jump=True)
    return Suggestion(at, at + len(name), new, source, reason, name, group)


def _unused(event: Event, before: tuple[Flag, ...], after: tuple[Flag, ...],
            lines: tuple[int, int], removed: set[str]) -> list[Suggestion]:
    was = {f.name for f in before if f.kind == "unused-variable"}
    text = event.after
    out: list[Suggestion] = []
    for f in after:
        if f.kind != "unused-variable" or f.name not in removed or f.name in was \
                or not _outside(text, f.start, lines):
            continue
        if not text.startswith(f.name, f.start):
            continue
        reason = f"`{f.name}` is no longer used after the edit on line {lines[0] + 1}"
        out.append(_site(f.start, f.name, None, "unused", reason, f"unused:{f.name}"))
    return out if len(out) <= MAX_SITES else []


def _members(event: Event, lines: tuple[int, int], mapping: dict[str, str],
             removed: set[str]) -> list[Suggestion]:
    before, after = NameFacts.of(event.before), NameFacts.of(event.after)
    if before is None or after is None:
        return []
    text = event.after
    # Only the class the edit was in can have lost an attribute.
    edited = {c.name.value for c in after.module.iter_classdefs()
              if not (c.end_pos[0] - 1 < lines[0] or c.start_pos[0] - 1 > lines[1])}
    old_classes = {c.name.value: c for c in before.module.iter_classdefs()
                   if c.name.value in edited}
    out: list[Suggestion] = []
    for cls in after.module.iter_classdefs():
        old = old_classes.get(cls.name.value)
        if old is None:
            continue
        bound_before, _ = class_attributes(old)
        bound_after, _ = class_attributes(cls)
        if bound_before is None or bound_after is None:
            continue
        for attr in sorted((bound_before - bound_after) & removed):
            new = mapping.get(attr)
            if new is not None and new not in bound_after:
                new = None
            if new is None and has_bases(cls):
                continue  # a base class may well provide it
            out.extend(_member_sites(text, cls, attr, new, lines))
    return out


def _member_sites(text: str, cls: Any, attr: str, new: str | None,
                  lines: tuple[int, int]) -> list[Suggestion]:
    from typehole.base.positions import jedi_offset

    name = cls.name.value
    if new is None:
        reason = f"`{name}` no longer has `{attr}`; this still reads `self.{attr}`"
    else:
        reason = f"`{name}.{attr}` was renamed to `{new}`; this still reads `self.{attr}`"
    sites = [jedi_offset(text, *leaf.start_pos) for leaf in self_reads(cls, attr)]
    sites = [s for s in sites if _outside(text, s, lines)]
    if len(sites) > MAX_SITES:
        return []
    return [_site(s, attr, new, "member", reason, f"member:{name}.{attr}") for s in sites]

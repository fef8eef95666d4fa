"""Rename propagation: an identifier changed at its definition or at one use -> its other uses.

References come from Jedi (`get_references`, the same scope rules as its rename refactoring),
run on the text *before* the edit, where the old name still resolves; a tree-sitter scan of the
enclosing scope is the fallback when Jedi cannot answer, or not within `JEDI_BUDGET_S` (a next
edit is wanted right after the edit: a cold project or a huge file must not hold it up). A
rename onto a name that is already in use in that scope (or a builtin) could change what the
code means, so it suggests nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from typehole.base.builtin_names import BUILTIN_NAMES
from typehole.base.positions import byte_offset, jedi_offset, jedi_position
from typehole.context import jedistate

from .records import Event, Suggestion
from .tokens import (
    forward,
    is_identifier,
    node_span,
    nodes,
    text_of,
    word_span,
)
from .trees import parse

__all__ = ["renamed", "rename_suggestions"]

log = logging.getLogger(__name__)
JEDI_BUDGET_S = 0.15
_SCOPES = ("function_definition", "class_definition", "lambda")


def renamed(event: Event) -> tuple[int, str, str] | None:
    """(offset, old, new) when `event` replaced one whole identifier by another."""
    change = event.change
    start, end = word_span(event.before, change.start, change.end)
    start_after, end_after = word_span(event.after, change.start, change.inserted_end)
    old, new = event.before[start:end], event.after[start_after:end_after]
    if start != start_after or old == new or not (is_identifier(old) and is_identifier(new)):
        return None
    return start, old, new


def rename_suggestions(
    event: Event, path: str | None = None, project: Any = None
) -> list[Suggestion]:
    """Suggestions renaming the other references of the identifier `event` renamed."""
    found = renamed(event)
    if found is None:
        return []
    at, old, new = found
    before, after, change = event.before, event.after, event.change
    references = _jedi_references(before, at, path, project)
    if not references:
        references = _syntax_references(before, at, old)
    if not references or new in BUILTIN_NAMES or _in_use(before, references, new):
        return []
    imported = _in_imports(before, references)
    if imported and at not in imported:
        # One use of an imported name replaced by another: its other uses follow, but the
        # import stays (it may still serve other code; the new name's import is its own edit).
        references = [r for r in references if r not in imported]
    line = before.count("\n", 0, at) + 1
    group = f"rename:{old}->{new}"
    out: list[Suggestion] = []
    for offset in sorted(set(references)):
        if offset == at:
            continue
        moved = forward(offset, change.start, change.end, change.delta)
        if moved is None or after[moved : moved + len(old)] != old:
            continue
        reason = f"`{old}` was renamed to `{new}` on line {line}; this reference still says `{old}`"
        out.append(Suggestion(moved, moved + len(old), new, "rename", reason, old, group))
    return out


def _jedi_references(text: str, offset: int, path: str | None, project: Any) -> list[int]:
    """Offsets of the references Jedi finds in this file (empty when it cannot tell)."""
    try:
        script = jedistate.script(text, path, project, time.monotonic() + JEDI_BUDGET_S)
        line, column = jedi_position(text, offset)
        names = script.get_references(line, column, include_builtins=False, scope="file")
    except Exception as exc:  # noqa: BLE001 - Jedi fails on odd code; the fallback takes over
        log.debug("jedi references failed: %s", exc)
        return []
    if jedistate.ran_out(script):
        log.debug("jedi references ran out of time")
        return []  # some references may be missing
    out = []
    for name in names:
        if name.line is None or name.column is None:
            continue
        if name.module_path is not None and path is not None and str(name.module_path) != path:
            continue
        out.append(jedi_offset(text, name.line, name.column))
    return out if offset in out else []


def _syntax_references(text: str, offset: int, old: str) -> list[int]:
    """Plain identifiers named `old` in the smallest scope around `offset` that uses it again."""
    tree = parse(text)
    if tree is None:
        return []
    data = text.encode("utf-8", "surrogatepass")
    idents = [n for n in nodes(tree, "identifier") if text_of(n) == old and not _is_member(n)]
    spans = [node_span(text, data, n) for n in idents]
    here = next((i for i, (s, _) in enumerate(spans) if s == offset), None)
    if here is None:
        return []
    scope = idents[here].parent
    while scope is not None:
        if scope.type in _SCOPES and not _names(scope, idents[here]):
            inside = [s for n, (s, _) in zip(idents, spans, strict=True) if _within(n, scope)]
            if len(inside) > 1:
                return inside
        scope = scope.parent
    return [s for s, _ in spans]


def _names(scope: Any, node: Any) -> bool:
    """Whether `node` is the name of the definition `scope` (its name binds outside it)."""
    name = scope.child_by_field_name("name")
    return name is not None and name.start_byte == node.start_byte


def _within(node: Any, scope: Any) -> bool:
    return scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte


def _is_member(node: Any) -> bool:
    """`x.old` or `f(old=...)`: a name that is not a variable reference."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "attribute" and parent.child_by_field_name("attribute") == node:
        return True
    return parent.type == "keyword_argument" and parent.child_by_field_name("name") == node


def _in_imports(text: str, references: list[int]) -> set[int]:
    """The references that are in an import statement."""
    if "import" not in text[: max(references, default=0)]:
        return set()  # no import before the last reference: nothing to parse for
    tree = parse(text)
    if tree is None:
        return set()
    data = text.encode("utf-8", "surrogatepass")
    spans = [node_span(text, data, n) for kind in ("import_statement", "import_from_statement")
             for n in nodes(tree, kind)]
    return {r for r in references if any(lo <= r < hi for lo, hi in spans)}


def _in_use(text: str, references: list[int], new: str) -> bool:
    """Whether `new` already names something where the references are (a conflicting rename)."""
    tree = parse(text)
    if tree is None:
        return True
    lo, hi = min(references), max(references)
    data = text.encode("utf-8", "surrogatepass")
    scope_lo, scope_hi = 0, len(text)
    node = tree.root_node.named_descendant_for_byte_range(
        byte_offset(text, lo), byte_offset(text, hi)
    )
    while node is not None and node.type not in _SCOPES:
        node = node.parent
    if node is not None:
        scope_lo, scope_hi = node_span(text, data, node)
    return any(
        not _is_member(n) and scope_lo <= node_span(text, data, n)[0] < scope_hi
        for n in nodes(tree, "identifier")
        if text_of(n) == new
    )

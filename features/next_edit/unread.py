"""Unread parameters: a parameter the edit added that the function's body does not read yet.

A parameter is added to be used, and where the body already handles its siblings alike, the
place and the text are known: `__init__` stores each of its other parameters as
`self.name = name`, so the new one is stored the same way, right after the store of the
parameter before it. (A call of the body that passes the other parameters on, as a wrapper
does, was tried as the place too: on real commits it missed more often than it landed.)

The docstring's entry is the parameter engine's (`parameters.py`); a renamed parameter the
rename engine's.
"""

from __future__ import annotations

import ast

from .parameters import _edited_header, _in_header, _line_offsets, _namesake, _params, _parse
from .records import Event, Suggestion

__all__ = ["unread_suggestions"]

MAX_CHARS = 400_000  # a larger file is generated, not edited by hand

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def unread_suggestions(event: Event) -> list[Suggestion]:
    """Where the body will read the parameters the edit added (and nothing reads yet)."""
    text, change = event.after, event.change
    if len(text) > MAX_CHARS or not _in_header(text, change.start):
        return []  # checked without parsing: the edit is in no parameter list
    after, before = _parse(text), _parse(event.before)
    if after is None or before is None:
        return []
    offsets = _line_offsets(text)
    fn = _edited_header(after, offsets, change.start, change.inserted_end)
    old = _namesake(before, fn) if fn is not None else None
    if fn is None or old is None:
        return []
    params = _params(fn)
    if any(p not in params for p in _params(old)):
        return []  # renamed or replaced: the rename engine's
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
    new = [p for p in params if p not in _params(old) and p not in read]
    if len(new) != 1:
        return []  # none, or several at once: which goes where is not one step
    name = new[0]
    others = [p for p in params if p != name and p not in ("self", "cls")]
    if fn.name != "__init__" or not params or params[0] != "self":
        return []
    store = _store(text, offsets, fn, params, name, others)
    return [store] if store is not None else []


def _store(text: str, offsets: list[int], fn: _Function, params: list[str], name: str,
           others: list[str]) -> Suggestion | None:
    """`self.name = name` after the store of the parameter before it, where `__init__`
    stores every other parameter so."""
    stores: dict[str, ast.stmt] = {}
    for statement in fn.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and target.value.id == "self" and isinstance(value, ast.Name) \
                    and value.id == target.attr:
                stores[value.id] = statement
    if not others or any(p not in stores for p in others):
        return None  # not every sibling is stored as is: the new one may not be either
    previous = [p for p in params[: params.index(name)] if p in stores]
    anchor = stores[previous[-1]] if previous else stores[others[0]]
    line_start = offsets[anchor.lineno - 1]
    indent = text[line_start : line_start + anchor.col_offset]
    if indent.strip() or anchor.end_lineno is None or anchor.end_lineno >= len(offsets):
        return None
    line = f"{indent}self.{name} = {name}\n"
    if previous:
        at = offsets[anchor.end_lineno]  # the line after the previous parameter's store
    else:
        at = line_start  # the first parameter: before the first store
    reason = f"`__init__` stores each of its parameters on `self`; not the new `{name}`"
    return Suggestion(at, at, line, "unread", reason, "", f"unread:{name}")

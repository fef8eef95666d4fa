"""A parameter the edit added that the function's docstring does not mention yet.

When the edit gives a function a new parameter (and takes none away: a renamed one is the rename
engine's), its docstring is due an update too: maintainers document a new parameter (an entry,
a `versionadded` note, an example) in the same commit. The
signature engine writes the entry where it can tell the parameter's place among the others'
entries and no `*args`/`**kwargs` hides which argument is which; this engine covers the rest.
When the docstring speaks of the function's other parameters (names one of them) but of no new
one:

- where it has entries of other parameters (`:param x:`, `x:`, `x : type`), the next edit is a
  new entry after the one of the parameter before it: the suggestion starts there and spans the
  rest of the docstring (location only: the prose is the user's);
- otherwise the docstring itself is where the next edit goes (location only).

Either way an edit inside that span (the entry typed, the prose reworded) drops the suggestion.

Unread parameters (`unread_suggestions`): a parameter the edit added that the function's body
does not read yet. A parameter is added to be used, and where the body already handles its
siblings alike, the place and the text are known: `__init__` stores each of its other parameters as
`self.name = name`, so the new one is stored the same way, right after the store of the
parameter before it. (A call of the body that passes the other parameters on, as a wrapper
does, was tried as the place too: on real commits it missed more often than it landed.)

The docstring's entry is the engine above's; a renamed parameter the rename engine's.
"""

from __future__ import annotations

import ast
import re

from .pyast import Function, edited_function, in_header, params_of
from .records import Event, Suggestion
from .signature import _entry_pattern

__all__ = ["parameter_suggestions", "unread_suggestions"]

MAX_CHARS = 400_000  # a larger file is generated, not edited by hand


def parameter_suggestions(event: Event) -> list[Suggestion]:
    """The docstring of the function whose new parameters it does not mention."""
    text, change = event.after, event.change
    if len(text) > MAX_CHARS or not in_header(text, change.start):
        return []  # checked without parsing: the edit is in no parameter list
    edited = edited_function(text, event.before, change.start, change.inserted_end)
    if edited is None:
        return []
    fn, old, offsets = edited.after, edited.before, edited.offsets
    new = [p for p in params_of(fn) if p not in params_of(old)]
    if any(p not in params_of(fn) for p in params_of(old)):
        return []  # renamed or replaced: the rename engine and the signature's docstring edit
    doc = _docstring(fn)
    if not new or doc is None or not isinstance(doc.value, ast.Constant) \
            or not isinstance(doc.value.value, str):
        return []
    body = doc.value.value
    if any(re.search(rf"\b{re.escape(p)}\b", body) for p in new):
        return []  # documented already
    others = [p for p in params_of(fn) if p not in new and p not in ("self", "cls")]
    if not any(re.search(rf"\b{re.escape(p)}\b", body) for p in others):
        return []  # a summary that speaks of no parameter has none to add
    d_lo = offsets[doc.lineno - 1] + doc.col_offset
    d_hi = offsets[doc.end_lineno - 1] + (doc.end_col_offset or 0)  # type: ignore[operator]
    if text[d_lo:d_hi].isascii() is False:
        d_hi = text.find("\n", d_lo)  # columns count bytes: keep to its first line
        d_hi = len(text) if d_hi < 0 else d_hi
    names = ", ".join(f"`{p}`" for p in new)
    entry = _entry_place(text, d_lo, d_hi, params_of(fn), new[0])
    if entry is not None:
        # It starts where the entry goes and spans the rest of the docstring, so that an
        # edit there (the entry typed, the docstring reworded) drops it.
        end = d_hi
        reason = f"the docstring of `{fn.name}` has no entry for its new parameter {names}"
        return [Suggestion(entry, end, text[entry:end], "parameter", reason, text[entry:end],
                           f"parameter:{fn.name}", jump=True)]
    reason = f"the docstring of `{fn.name}` does not mention its new parameter {names}"
    return [Suggestion(d_lo, d_hi, text[d_lo:d_hi], "parameter", reason, text[d_lo:d_hi],
                       f"parameter:{fn.name}", jump=True)]


def _docstring(fn: Function) -> ast.Expr | None:
    first = fn.body[0]
    return first if isinstance(first, ast.Expr) else None


def _entry_place(text: str, d_lo: int, d_hi: int, params: list[str], new: str) -> int | None:
    """Where the new parameter's entry goes: the start of the line after the entry of the
    parameter before it (or of the last documented one); None without entries."""
    lines = text[d_lo:d_hi].split("\n")
    at = params.index(new)
    order = params[:at][::-1] + params[at + 1 :]
    for neighbour in order:
        pattern = _entry_pattern(neighbour)
        found = [(i, m) for i, line in enumerate(lines) if (m := pattern.match(line))]
        if not found:
            continue
        if params.index(neighbour) > at:
            j = found[0][0]  # the entry of a later parameter: the new one goes before it
        else:
            i, m = found[-1]  # its last line (sphinx: `:type x:` after `:param x:`)
            j = i + 1
            while j < len(lines) and lines[j].strip() and \
                    len(lines[j]) - len(lines[j].lstrip()) > len(m["indent"]):
                j += 1
        return d_lo + sum(len(x) + 1 for x in lines[:j])
    return None


def unread_suggestions(event: Event) -> list[Suggestion]:
    """Where the body will read the parameters the edit added (and nothing reads yet)."""
    text, change = event.after, event.change
    if len(text) > MAX_CHARS or not in_header(text, change.start):
        return []  # checked without parsing: the edit is in no parameter list
    edited = edited_function(text, event.before, change.start, change.inserted_end)
    if edited is None:
        return []
    fn, old, offsets = edited.after, edited.before, edited.offsets
    params = params_of(fn)
    if any(p not in params for p in params_of(old)):
        return []  # renamed or replaced: the rename engine's
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
    new = [p for p in params if p not in params_of(old) and p not in read]
    if len(new) != 1:
        return []  # none, or several at once: which goes where is not one step
    name = new[0]
    others = [p for p in params if p != name and p not in ("self", "cls")]
    if fn.name != "__init__" or not params or params[0] != "self":
        return []
    store = _store(text, offsets, fn, params, name, others)
    return [store] if store is not None else []


def _store(text: str, offsets: list[int], fn: Function, params: list[str], name: str,
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

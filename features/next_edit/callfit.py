"""A call that outgrew its definition: the edit passed an argument the function does not take.

The reverse of signature propagation. When the edit gave a call of a function defined in this
file an argument more (one positional too many, or a keyword the function has no parameter
for), the function's parameter list is the next edit. Only surplus counts: a call short of a
required argument is more often one still being typed. Where the function's parameters are
plain names (no annotations, no defaults) the new parameter is written out, named after the
argument; otherwise the suggestion is location-only, at the end of the parameter list.
"""

from __future__ import annotations

from typing import Any

from typehole.base.syntax import parse

from .records import Event, Suggestion
from .signature import Param, params_of
from .tokens import is_identifier, node_span, nodes, text_of

__all__ = ["definition_suggestions"]

_SELF = ("self", "cls")


def definition_suggestions(event: Event) -> list[Suggestion]:
    """The parameter list of each function whose call the edit gave an argument it lacks."""
    tree = parse(event.after)
    if tree is None:
        return []
    text, change = event.after, event.change
    data = text.encode("utf-8", "surrogatepass")
    defs: dict[str, list[Any]] = {}
    for fn in nodes(tree, "function_definition"):
        name = fn.child_by_field_name("name")
        if name is not None:
            defs.setdefault(text_of(name), []).append(fn)
    out: list[Suggestion] = []
    seen: set[str] = set()
    for call in nodes(tree, "call"):
        lo, hi = node_span(text, data, call)
        if hi < change.start or lo > change.inserted_end:
            continue  # not a call the edit touched
        found = _callee(call, defs)
        if found is None or found[0] in seen:
            continue
        name, fn, shift = found
        f_lo, f_hi = node_span(text, data, fn.child_by_field_name("parameters"))
        if f_lo <= change.inserted_end and change.start <= f_hi:
            continue  # the edit is on the definition itself
        params = params_of(fn)
        extra = None if params is None else _surplus(call, params, shift)
        if extra is None:
            continue
        seen.add(name)
        out.append(_suggestion(text, data, fn, name, params or [], extra,
                               text.count("\n", 0, lo) + 1))
    return out


def _callee(call: Any, defs: dict[str, list[Any]]) -> tuple[str, Any, int] | None:
    """(name, its one definition here, 1 for a method called on self/cls else 0)."""
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    if callee.type == "identifier":
        name, on_self = text_of(callee), False
    elif callee.type == "attribute":
        owner, attr = callee.child_by_field_name("object"), callee.child_by_field_name("attribute")
        if owner is None or attr is None or text_of(owner) not in _SELF:
            return None  # another object's method: which class it is, only types could say
        name, on_self = text_of(attr), True
    else:
        return None
    found = defs.get(name, [])
    if len(found) != 1:
        return None
    fn = found[0]
    method = fn.parent is not None and fn.parent.parent is not None \
        and fn.parent.parent.type == "class_definition"
    if method != on_self:
        return None  # a plain name for a method, or self.f for a function: not this one
    if method and _decorated(fn, "staticmethod"):
        return None
    return name, fn, 1 if method else 0


def _decorated(fn: Any, name: str) -> bool:
    parent = fn.parent
    return parent is not None and parent.type == "decorated_definition" and any(
        text_of(d).lstrip("@").strip() == name for d in parent.children if d.type == "decorator")


def _surplus(call: Any, params: list[Param], shift: int) -> str | None:
    """The argument the call passes beyond `params` (its name, or its text), None if none."""
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "argument_list":
        return None
    items = [a for a in args.named_children if a.type != "comment"]
    if any(a.type in ("list_splat", "dictionary_splat", "generator_expression") for a in items):
        return None
    taken = params[shift:]
    names = {p.name for p in taken}
    positional = [a for a in items if a.type != "keyword_argument"]
    for a in items:
        if a.type == "keyword_argument":
            key = a.child_by_field_name("name")
            if key is not None and text_of(key) not in names:
                return text_of(key)
    positional_ok = [p for p in taken if not p.keyword_only]
    if len(positional) > len(positional_ok):
        return text_of(positional[len(positional_ok)])
    return None


def _suggestion(text: str, data: bytes, fn: Any, name: str, params: list[Param], extra: str,
                line: int) -> Suggestion:
    node = fn.child_by_field_name("parameters")
    lo, hi = node_span(text, data, node)
    reason = f"the call on line {line} passes `{extra}`, which `{name}` does not take"
    group = f"definition:{name}"
    plain = all(c.type == "identifier" for c in node.named_children)
    if plain and is_identifier(extra) and "\n" not in text[lo:hi]:
        lead = ", " if node.named_children else ""
        return Suggestion(hi - 1, hi - 1, f"{lead}{extra}", "definition", reason, "", group)
    at = hi - 1  # location only: the new parameter goes at the end of the list
    return Suggestion(at, at + 1, ")", "definition", reason, ")", group, jump=True)

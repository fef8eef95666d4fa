"""A call that outgrew its definition: the edit passed an argument the function does not take.

The reverse of signature propagation. When the edit gave a call of a function defined in this
file an argument more (one positional too many, or a keyword the function has no parameter
for), the function's parameter list is the next edit. Only surplus counts: a call short of a
required argument is more often one still being typed. Where the function's parameters are
plain names (no annotations, no defaults) the new parameter is written out, named after the
argument; otherwise the suggestion is location-only, over the parameter list.
"""

from __future__ import annotations

import re
from typing import Any

from typehole.base.positions import byte_offset
from typehole.base.syntax import parse

from .records import Event, Suggestion
from .signature import Param, params_of
from .tokens import functions_named, is_identifier, node_span, nodes_under, text_of

__all__ = ["definition_suggestions"]

_SELF = ("self", "cls")
_CALLED = re.compile(r"([^\W\d]\w*)[ \t]*\(")


def definition_suggestions(event: Event) -> list[Suggestion]:
    """The parameter list of each function whose call the edit gave an argument it lacks."""
    text, change = event.after, event.change
    lo = text.rfind("\n", 0, change.start) + 1
    hi = text.find("\n", change.inserted_end)
    hi = len(text) if hi < 0 else hi
    # Only a call of a function this file defines can outgrow it: without one named near the
    # edit (the call may open a few lines above), the file is not even parsed.
    called = set(_CALLED.findall(text, max(lo - 400, 0), hi))
    if not any(re.search(rf"\bdef[ \t]+{re.escape(n)}\b", text) for n in called):
        return []
    tree = parse(text)
    if tree is None:
        return []
    data = text.encode("utf-8", "surrogatepass")
    out: list[Suggestion] = []
    seen: set[str] = set()
    for call in _edited_calls(tree, text, data, lo, hi):
        c_lo, c_hi = node_span(text, data, call)
        if c_hi < change.start or c_lo > change.inserted_end:
            continue  # not a call the edit touched
        found = _callee(call, _definitions(tree, text, data, call))
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
                               text.count("\n", 0, c_lo) + 1))
    return out


def _edited_calls(tree: Any, text: str, data: bytes, lo: int, hi: int) -> list[Any]:
    """The calls around and inside the edited lines `[lo, hi)`, without walking the file."""
    b_lo, b_hi = byte_offset(text, lo), byte_offset(text, hi)
    node = tree.root_node.descendant_for_byte_range(b_lo, b_hi)
    out = []
    up = node
    while up is not None:
        if up.type == "call":
            out.append(up)
        up = up.parent
    if node is not None and node.end_byte - node.start_byte <= 4 * (b_hi - b_lo) + 200:
        out.extend(c for c in nodes_under(node, "call") if c not in out)
    else:  # the edited lines sit in a large node: look only at the statements they hold
        for child in _overlapping(tree.root_node, b_lo, b_hi):
            out.extend(c for c in nodes_under(child, "call") if c not in out)
    return out


def _overlapping(node: Any, b_lo: int, b_hi: int) -> list[Any]:
    """The smallest nodes that overlap `[b_lo, b_hi)` and are not larger than a few lines."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.end_byte <= b_lo or n.start_byte >= b_hi:
            continue
        if n.end_byte - n.start_byte <= 4 * (b_hi - b_lo) + 200 or not n.children:
            out.append(n)
        else:
            stack.extend(n.children)
    return out


def _definitions(tree: Any, text: str, data: bytes, call: Any) -> dict[str, list[Any]]:
    """The function definitions named like the call's callee (found by text, not by a walk)."""
    callee = call.child_by_field_name("function")
    if callee is None:
        return {}
    name = text_of(callee).rsplit(".", 1)[-1].strip()
    if not is_identifier(name):
        return {}
    return {name: functions_named(tree, text, name)}


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
    # Location only: the parameter list, where the new parameter goes (which place in it is
    # the user's call: the surplus argument need not be the one added).
    inner = text[lo + 1 : hi - 1]
    return Suggestion(lo + 1, hi - 1, inner, "definition", reason, inner, group, jump=True)

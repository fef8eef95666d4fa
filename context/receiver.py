"""Members of a receiver chain (`self.headers`, `client.get()`) evaluated at a point of a parsed
document, without parsing a new text.

A monitor asks for the members of a receiver the model has just written. Asking Jedi the usual
way means a new text (the document with the generated code in it): a new parse and a new
inference of the document's own code, tens of milliseconds on a large file. When the generated
code binds nothing the receiver depends on (the caller checks that), the receiver means what it
would mean at the cursor of the document as it is, so it is evaluated there, on the document's
Script, which the context stage and earlier triggers already parsed and warmed: each name by
string in the cursor's scope, then each attribute and empty call in turn, and the members
listed as Jedi's own completion after a `.` lists them.

The evaluation uses Jedi's inference API below `jedi.Script` (contexts and value sets), which is
not public: anything unexpected there gives None and the caller asks Jedi the usual way.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import jedi

__all__ = [
    "Link", "Parameter", "declared_slots", "parse_chain", "receiver_members", "receiver_signatures",
]

_LINK = re.compile(r"([A-Za-z_]\w*)(\(\s*\))?")


@dataclass(frozen=True)
class Link:
    """One step of a receiver chain: a name, and whether it is then called with no arguments."""

    name: str
    called: bool = False


def parse_chain(text: str) -> list[Link] | None:
    """`a.b().c` as links; None for anything else (subscripts, arguments, literals, spaces)."""
    links = []
    for part in text.split("."):
        m = _LINK.fullmatch(part)
        if m is None:
            return None
        links.append(Link(m.group(1), m.group(2) is not None))
    return links or None


@dataclass(frozen=True)
class Parameter:
    """A parameter of a signature: name, `inspect.Parameter` kind name, has a default."""

    name: str
    kind: str
    has_default: bool


def receiver_members(script: jedi.Script, line: int, column: int,
                     chain: list[Link]) -> list[str] | None:
    """Names completable after `<chain>.` evaluated at (1-based `line`, `column`) of `script`.

    None when Jedi cannot tell (no value, an error inside Jedi): the caller falls back.
    """
    try:
        from jedi.api.completion import complete_trailer

        found = _evaluate(script, line, column, chain)
        if found is None:
            return None
        context, values = found
        names = complete_trailer(context, values)
    except Exception:  # noqa: BLE001 - Jedi internals on odd code: the caller asks the usual way
        return None
    out = list(dict.fromkeys(n.string_name for n in names))
    slots = [n for n in names if n.string_name == "__slots__"]
    if slots and (declared := declared_slots(slots)) is not None:
        # Attributes set through `__slots__` are members Jedi does not list: they are named
        # there, in every class of the chain's type that declares some.
        out = [n for n in out if n != "__slots__"] + [n for n in declared if n not in out]
    return out or None


def declared_slots(names: list[Any]) -> list[str] | None:
    """The names the `__slots__` assignments (Jedi names of them) declare when all are
    literal; else None."""
    declared: list[str] = []
    for name in names:
        definition = getattr(getattr(name, "tree_name", None), "get_definition", lambda: None)()
        if definition is None or definition.type != "expr_stmt":
            return None
        try:
            value = ast.literal_eval(definition.children[-1].get_code().strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
        items = (value,) if isinstance(value, str) else value
        if not isinstance(items, (tuple, list, set, frozenset, dict)):
            return None
        if not all(isinstance(item, str) for item in items):
            return None
        declared.extend(items)
    return declared


def receiver_signatures(script: jedi.Script, line: int, column: int,
                        chain: list[Link]) -> list[list[Parameter]] | None:
    """The signatures of calling `<chain>(` evaluated at (1-based `line`, `column`) of `script`.

    None when Jedi cannot tell: the caller falls back.
    """
    try:
        found = _evaluate(script, line, column, chain)
        if found is None:
            return None
        return [[Parameter(p.string_name, p.get_kind().name, "=" in p.to_string())
                 for p in signature.get_param_names(resolve_stars=True)]
                for signature in found[1].get_signatures()]
    except Exception:  # noqa: BLE001 - as above
        return None


def _bound_around(script: jedi.Script, position: tuple[int, int], root: str) -> bool:
    """Whether a comprehension or lambda around the position binds `root`: its binding may
    come after the position (`{a.name for a in xs}`), which an evaluation there does not see."""
    leaf = script._module_node.get_leaf_for_position(position, include_prefixes=True)
    # At a boundary (`{|a`) the leaf is the one before: look from the next one too.
    for node in (leaf, leaf.get_next_leaf() if leaf is not None else None):
        while node is not None:
            if node.type in ("lambdef", "lambdef_nocond") and root in {
                    p.name.value for p in node.get_params()}:
                return True
            children = getattr(node, "children", ())
            if any(c.type in ("comp_for", "sync_comp_for") for c in children[1:]) and root in {
                    n.value for n in _comprehension_targets(node)}:
                return True
            node = node.parent
    return False


def _comprehension_targets(node: Any) -> list[Any]:
    """The names every `for ... in` of a comprehension (nested ones too) binds."""
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        children: list[Any] = getattr(current, "children", [])
        if current.type == "sync_comp_for":
            out.extend(_names_in(children[1]))
        stack.extend(children)
    return out


def _names_in(node: Any) -> list[Any]:
    if node.type == "name":
        return [node]
    return [n for child in getattr(node, "children", ()) for n in _names_in(child)]


def _evaluate(script: jedi.Script, line: int, column: int,
              chain: list[Link]) -> tuple[Any, Any] | None:
    """(the context at the position, the values of the chain there), or None when empty."""
    from jedi.api.completion import get_user_context

    position = (line, column)
    if _bound_around(script, position, chain[0].name):
        return None
    context = get_user_context(script._get_module_context(), position)
    values = context.py__getattribute__(chain[0].name, position=position)
    if chain[0].called:
        values = values.execute_with_values()
    for link in chain[1:]:
        values = values.py__getattribute__(link.name)
        if link.called:
            values = values.execute_with_values()
    return (context, values) if values else None

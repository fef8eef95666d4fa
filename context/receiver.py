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

import re
from dataclasses import dataclass
from typing import Any

import jedi

__all__ = ["Link", "Parameter", "parse_chain", "receiver_members", "receiver_signatures"]

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
    return list(dict.fromkeys(n.string_name for n in names)) or None


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


def _in_own_scope(script: jedi.Script, position: tuple[int, int]) -> bool:
    """Whether the position is inside a comprehension or lambda: names they bind may come
    after the position (`{a.name for a in xs}`), which an evaluation there does not see."""
    leaf = script._module_node.get_leaf_for_position(position, include_prefixes=True)
    # At a boundary (`{|a`) the leaf is the one before: look from the next one too.
    for node in (leaf, leaf.get_next_leaf() if leaf is not None else None):
        while node is not None:
            if node.type in ("lambdef", "lambdef_nocond") or any(
                    child.type in ("comp_for", "sync_comp_for")
                    for child in getattr(node, "children", ())[1:]):
                return True
            node = node.parent
    return False


def _evaluate(script: jedi.Script, line: int, column: int,
              chain: list[Link]) -> tuple[Any, Any] | None:
    """(the context at the position, the values of the chain there), or None when empty."""
    from jedi.api.completion import get_user_context

    position = (line, column)
    if _in_own_scope(script, position):
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

"""The attribute engine: which attributes a plain class reads but never assigns, and the
`self.x = x` that stores one at the end of `__init__`."""

from __future__ import annotations

from typing import Any

from typehole.base.positions import jedi_offset

from .parso_tree import line_after, line_start_of, name_leaves
from .records import Suggestion

__all__ = ["class_attributes", "has_bases", "self_reads", "store_attribute"]


def has_bases(cls: Any) -> bool:
    """Whether a parso class definition names base classes (other than `object`)."""
    bases = cls.get_super_arglist()
    return bases is not None and not (bases.type == "name" and bases.value == "object")


def class_attributes(cls: Any) -> tuple[set[str] | None, set[str]]:
    """(names the class binds, directly or as `x.name = ...`; None if it uses `setattr` or
    `__slots__`) and the attributes its methods read as `self.name`."""
    bound: set[str] = set()
    read: set[str] = set()
    for leaf in name_leaves(cls.get_suite()):
        value = leaf.value
        if value in ("setattr", "__slots__", "__dict__", "vars"):
            return None, read
        previous = leaf.get_previous_leaf()
        if previous is not None and previous.value == ".":
            owner = previous.get_previous_leaf()
            if leaf.is_definition():  # assigned, augmented, deleted, loop target
                bound.add(value)
            elif owner is not None and owner.type == "name" and _self_of(owner):
                read.add(value)
        elif leaf.is_definition() and _class_level(leaf, cls):
            bound.add(value)
    return bound, read


def self_reads(cls: Any, attr: str) -> list[Any]:
    """The name leaves of `self.attr` reads (not assignments) in the class's methods."""
    out = []
    for leaf in name_leaves(cls.get_suite()):
        if leaf.value != attr or leaf.is_definition():
            continue
        previous = leaf.get_previous_leaf()
        if previous is None or previous.value != ".":
            continue
        owner = previous.get_previous_leaf()
        if owner is not None and owner.type == "name" and _self_of(owner):
            out.append(leaf)
    return out


def _self_of(owner: Any) -> bool:
    """Whether `owner` is the first parameter of the method it is used in."""
    fn = owner.parent
    while fn is not None and fn.type not in ("funcdef", "classdef", "lambdef"):
        fn = fn.parent
    if fn is None or fn.type != "funcdef":
        return False
    params = fn.get_params()
    previous = owner.get_previous_leaf()
    return bool(params) and params[0].name.value == owner.value and (
        previous is None or previous.value != ".")


def _class_level(leaf: Any, cls: Any) -> bool:
    """Whether a binding leaf binds in the class body itself (not inside a method)."""
    node = leaf.parent
    while node is not None and node is not cls:
        if node.type in ("funcdef", "lambdef") and leaf is not getattr(node, "name", None):
            return False
        node = node.parent
    return True


def store_attribute(
    text: str, cls: str, attr: str, init: Any, self_name: str
) -> Suggestion | None:
    """`self.attr = attr` as the last statement of `__init__`."""
    suite = init.get_suite()
    statements = [c for c in suite.children if c.type not in ("newline",)]
    if not statements:
        return None
    first, last = statements[0], statements[-1]
    start = jedi_offset(text, *first.start_pos)
    indent = text[text.rfind("\n", 0, start) + 1 : start]
    if indent.strip():
        return None  # `def __init__(self, x): body` on one line
    line = f"{indent}{self_name}.{attr} = {attr}"
    if last.type == "simple_stmt" and last.children[0].get_first_leaf().value == "return":
        at, new_text = line_start_of(text, last), line + "\n"  # before a closing `return`
    elif (at := line_after(text, last)) == len(text) and not text.endswith("\n"):
        new_text = "\n" + line
    else:
        new_text = line + "\n"
    reason = (f"`{self_name}.{attr}` is read in `{cls}` but never assigned; `__init__` takes "
              f"`{attr}` and does not store it")
    return Suggestion(at, at, new_text, "attribute", reason, "", f"attribute:{cls}.{attr}")

"""One parse of a text and what the follow-on engines ask of it: the names it reads but never
binds, and the attributes its classes read but never assign."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import parso
from cachetools import LRUCache

from typehole.base.positions import jedi_offset

from .attributes import class_attributes, has_bases
from .parso_tree import in_broken_region, inside_any

__all__ = ["NameFacts", "is_read"]

_BINDING_STATEMENTS = ("global_stmt", "nonlocal_stmt")
_FACTS: LRUCache[bytes, NameFacts | None] = LRUCache(maxsize=8)  # by text digest; read-only use
_LOCK = threading.Lock()


@dataclass
class NameFacts:
    """One parse of a text and what the engines ask of it."""

    module: Any  # parso Module

    @classmethod
    def of(cls, text: str) -> NameFacts | None:
        """The facts of `text` (None when parso fails); the last few texts' are kept, as each
        edit's `after` is the next one's `before` and several engines ask."""
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        with _LOCK:  # `holds` asks from the event loop while the engines run elsewhere
            if key in _FACTS:
                return _FACTS[key]
        try:
            made: NameFacts | None = cls(parso.parse(text))
        except Exception:  # noqa: BLE001 - parso recovers from syntax errors; anything else: skip
            made = None
        with _LOCK:
            _FACTS[key] = made
        return made

    def typed(self, text: str, name: str, span: tuple[int, int], kind: Any) -> bool:
        """Whether a `kind` occurrence of `name` lies inside `span` (offsets into `text`)."""
        return any(
            span[0] <= jedi_offset(text, *leaf.start_pos)
            and jedi_offset(text, *leaf.end_pos) <= span[1]
            for leaf in self.module.get_used_names().get(name, []) if kind(leaf))

    def unbound_reads(self) -> set[str]:
        """Plain names read somewhere and bound nowhere (not even in a broken region)."""
        if any(i.is_star_import() for i in self.module.iter_imports()
               if i.type == "import_from"):
            return set()  # `from m import *` may bind anything
        out = set()
        for name, leaves in self.module.get_used_names().items():
            if name.startswith("__") or any(_binds(leaf) or in_broken_region(leaf)
                                            for leaf in leaves):
                continue
            if any(is_read(leaf) for leaf in leaves):
                out.add(name)
        return out

    def unassigned_attributes(self) -> dict[tuple[str, str], tuple[Any, str]]:
        """(class, attribute) -> (`__init__`, its self name) for attributes `__init__` could store.

        Only plain classes (no bases but `object`, no decorators, no `__getattr__`, `__slots__`
        or `setattr`) whose methods read `self.attr`, which nothing in the class assigns, while
        `__init__` has a parameter of that very name.
        """
        out: dict[tuple[str, str], tuple[Any, str]] = {}
        for cls in self.module.iter_classdefs():
            if cls.parent.type == "decorated" or has_bases(cls) or in_broken_region(cls):
                continue
            methods = {f.name.value: f for f in cls.iter_funcdefs()}
            if {"__getattr__", "__getattribute__", "__setattr__"} & methods.keys():
                continue
            init = methods.get("__init__")
            if init is None or init.get_suite().type != "suite":
                continue
            params = init.get_params()
            if not params:
                continue
            self_name = params[0].name.value
            wanted = {p.name.value for p in params[1:] if p.star_count == 0}
            bound, read = class_attributes(cls)
            if bound is None:
                continue
            for attr in sorted((read - bound) & wanted):
                out[(cls.name.value, attr)] = (init, self_name)
        return out


def _binds(leaf: Any) -> bool:
    """A name leaf that binds (assignment, parameter, import, def, `global`, ...)."""
    if leaf.is_definition():
        return True
    parent = leaf.parent
    if parent.type in _BINDING_STATEMENTS:
        return True
    if parent.type in ("import_from", "dotted_name", "import_as_name", "import_as_names"):
        return inside_any(leaf, ("import_from", "import_name"))
    return False


def is_read(leaf: Any) -> bool:
    """A plain name read: not `x.name`, not `f(name=...)`, not part of an import."""
    previous = leaf.get_previous_leaf()
    if previous is not None and previous.value == ".":
        return False
    following = leaf.get_next_leaf()
    if leaf.parent.type == "argument" and following is not None and following.value == "=":
        return False
    return not inside_any(leaf, ("import_from", "import_name"))

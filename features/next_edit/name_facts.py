"""One parse of a text and what the follow-on engines ask of it: the names it reads but never
binds, and the attributes its classes read but never assign.

After an edit the new text's tree is not parsed from scratch: parso's diff parser (the one Jedi
uses on every keystroke) turns the tree of the last text this thread parsed into the new text's,
re-parsing only the changed lines. That tree is updated in place, so only a tree nobody was
given goes (a prepared text's, whose facts the engines ask only for what was worked out when
they were made: `unbound_reads` and the keys of `unassigned_attributes`); the facts it leaves
behind parse their text again if someone asks for their tree after all.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import parso
from cachetools import LRUCache
from parso.python.diff import DiffParser
from parso.utils import split_lines

from typehole.base.affix import common_prefix, common_suffix
from typehole.base.positions import jedi_offset

from .attributes import class_attributes, has_bases
from .parso_tree import in_broken_region, inside_any

__all__ = ["NameFacts", "is_read"]

_BINDING_STATEMENTS = ("global_stmt", "nonlocal_stmt")
_FACTS: LRUCache[bytes, NameFacts | None] = LRUCache(maxsize=8)  # by text digest; read-only use
_LOCK = threading.Lock()
MAX_DIFF_CHARS = 50_000  # a larger change is a replacement: parsed whole


class _Latest(threading.local):
    """The facts whose tree this thread may hand to the diff parser (its own, never another
    thread's: the engines read trees on the analysis thread only)."""

    facts: NameFacts | None = None


_LATEST = _Latest()


class NameFacts:
    """One parse of a text and what the engines ask of it."""

    def __init__(self, module: Any, text: str | None = None) -> None:
        self._module: Any = module
        self._text = text if text is not None else module.get_code()
        # Whether anyone was given the tree (or a node of it): such a tree may be read still,
        # so it never goes to the diff parser.
        self._exposed = False
        self._unbound = self._unbound_reads()
        self._attributes = _Attributes(self, self._unassigned_attributes_of(module))

    @property
    def module(self) -> Any:
        """The parso Module of the text (parsed again if its tree went to a newer text: an
        older edit's `after` asked for by the engines)."""
        with _LOCK:
            self._exposed = True
            module = self._module
        if module is None:
            module = _parse(self._text)
            with _LOCK:
                self._module = module if self._module is None else self._module
                module = self._module
        return module

    @classmethod
    def of(cls, text: str) -> NameFacts | None:
        """The facts of `text` (None when parso fails); the last few texts' are kept, as each
        edit's `after` is the next one's `before` and several engines ask."""
        return cls._of(text, fresh=False)

    @classmethod
    def settled(cls, text: str) -> NameFacts | None:
        """`of(text)`, made the base of the next text's diff: call it between engine runs, on
        the thread that runs them, when nothing holds a node of any tree (`prepare`). A text
        not seen yet is parsed whole, so the trees of the texts before it stay theirs (the
        engines ask for them again while the edits that made them are recent)."""
        made = cls._of(text, fresh=True)
        if made is None:
            return None
        with _LOCK:
            made._exposed = False
            tree = made._module
        if tree is None:  # it went to a later text: this text gets a tree of its own again
            tree = parso.parse(text)
            with _LOCK:
                made._module = tree if made._module is None else made._module
        _LATEST.facts = made
        return made

    @classmethod
    def _of(cls, text: str, fresh: bool) -> NameFacts | None:
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        with _LOCK:  # `holds` asks from the event loop while the engines run elsewhere
            if key in _FACTS:
                found = _FACTS[key]
                if found is not None and found._module is not None and not found._exposed:
                    _LATEST.facts = found  # the base of the next text's diff
                return found
        try:
            made: NameFacts | None = cls(parso.parse(text) if fresh else _parse(text), text)
        except Exception:  # noqa: BLE001 - parso recovers from syntax errors; anything else: skip
            made = None
        with _LOCK:
            _FACTS[key] = made
        if made is not None:
            _LATEST.facts = made
        return made

    def _hand_on(self) -> Any | None:
        """Give this tree to the diff parser; None when it went already or someone holds it.
        The facts keep their answers, not the tree."""
        with _LOCK:
            if self._exposed or self._module is None:
                return None
            module, self._module = self._module, None
        return module

    def typed(self, text: str, name: str, span: tuple[int, int], kind: Any) -> bool:
        """Whether a `kind` occurrence of `name` lies inside `span` (offsets into `text`)."""
        return any(
            span[0] <= jedi_offset(text, *leaf.start_pos)
            and jedi_offset(text, *leaf.end_pos) <= span[1]
            for leaf in self.module.get_used_names().get(name, []) if kind(leaf))

    def unbound_reads(self) -> set[str]:
        """Plain names read somewhere and bound nowhere (not even in a broken region)."""
        return set(self._unbound)

    def _unbound_reads(self) -> frozenset[str]:
        if any(i.is_star_import() for i in self.module.iter_imports()
               if i.type == "import_from"):
            return frozenset()  # `from m import *` may bind anything
        out = set()
        for name, leaves in self.module.get_used_names().items():
            if name.startswith("__") or any(_binds(leaf) or in_broken_region(leaf)
                                            for leaf in leaves):
                continue
            if any(is_read(leaf) for leaf in leaves):
                out.add(name)
        return frozenset(out)

    def unassigned_attributes(self) -> Mapping[tuple[str, str], tuple[Any, str]]:
        """(class, attribute) -> (`__init__`, its self name) for attributes `__init__` could store.

        Only plain classes (no bases but `object`, no decorators, no `__getattr__`, `__slots__`
        or `setattr`) whose methods read `self.attr`, which nothing in the class assigns, while
        `__init__` has a parameter of that very name.
        """
        return self._attributes

    @staticmethod
    def _unassigned_attributes_of(module: Any) -> dict[tuple[str, str], tuple[Any, str]]:
        out: dict[tuple[str, str], tuple[Any, str]] = {}
        for cls in module.iter_classdefs():
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


class _Attributes(Mapping[tuple[str, str], tuple[Any, str]]):
    """`unassigned_attributes` as worked out on the facts' first tree: its keys always, its
    values (tree nodes) only while that tree is the facts' own, else from their tree now. A
    value asked for exposes the tree (see `NameFacts.module`)."""

    def __init__(self, owner: NameFacts, known: dict[tuple[str, str], tuple[Any, str]]) -> None:
        self._owner = owner
        self._known = known
        self._tree = owner._module

    def __getitem__(self, key: tuple[str, str]) -> tuple[Any, str]:
        if key not in self._known:
            raise KeyError(key)
        module = self._owner.module
        if module is not self._tree:
            self._known = NameFacts._unassigned_attributes_of(module)
            self._tree = module
        return self._known[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)

    def __contains__(self, key: object) -> bool:
        return key in self._known


def _parse(text: str) -> Any:
    """The parso tree of `text`: the last facts' tree updated by the diff parser when the
    change is small, else a fresh parse."""
    latest = _LATEST.facts
    if latest is None or latest._module is None or latest._exposed:
        return parso.parse(text)
    old = latest._text
    limit = min(len(old), len(text))
    start = common_prefix(old, text, limit)
    tail = common_suffix(old, text, limit - start)
    changed = max(len(old), len(text)) - tail - start
    if changed > MAX_DIFF_CHARS or changed > len(text) // 2:
        return parso.parse(text)
    grammar = parso.load_grammar()
    module = latest._hand_on()
    _LATEST.facts = None
    if module is None:
        return parso.parse(text)
    return DiffParser(grammar._pgen_grammar, grammar._tokenizer, module).update(
        old_lines=split_lines(old, keepends=True), new_lines=split_lines(text, keepends=True))

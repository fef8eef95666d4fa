"""Resolving names through imports to their definitions in the index, and printing stubs.

"Resolved, not guessed": a name in the current file is looked up through the file's own imports
(following re-exports such as a package `__init__` that imports from a private module), then
among the file's own definitions; only type names that no import explains fall back to a
workspace-wide lookup by name, ranked by closeness in the import graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from .index import Index
from .records import Definition, Import

__all__ = [
    "FileFacts", "definition_stub", "resolve_import", "resolve_name", "signature_stub",
]

_MAX_REEXPORT_DEPTH = 4


@dataclass(frozen=True)
class FileFacts:
    """What resolution needs to know about the file being edited."""

    path: str
    module: str
    imports: dict[str, Import]  # bound alias -> import
    definitions: dict[str, Definition]  # module-level name -> definition


def resolve_import(index: Index, module: str, name: str, depth: int = 0) -> Definition | None:
    """The definition `from module import name` binds, following re-exports."""
    if depth > _MAX_REEXPORT_DEPTH:  # circular re-exports end here
        return None
    found = index.top_level(module, name)
    if found:
        # A class beats an assignment of the same name (`X = X` re-exports, aliases).
        return sorted(found, key=lambda d: (d.kind != "class", d.kind != "function"))[0]
    path = index.module_path(module)
    if path is None:
        return None
    for imp in index.imports_of(path):
        if imp.alias == name and imp.name:
            return resolve_import(index, imp.module, imp.name, depth + 1)
        if imp.name == "*":
            hit = resolve_import(index, imp.module, name, depth + 1)
            if hit is not None:
                return hit
    return None


def resolve_name(index: Index, facts: FileFacts, dotted: str) -> Definition | None:
    """Definition of a name as written in the current file: `Name`, `mod.Name`, `alias.attr`."""
    head, _, rest = dotted.partition(".")
    imp = facts.imports.get(head)
    if imp is not None:
        if not rest:
            return resolve_import(index, imp.module, imp.name) if imp.name else None
        module = f"{imp.module}.{imp.name}" if imp.name else imp.module
        attr, _, more = rest.partition(".")
        hit = resolve_import(index, module, attr)
        if hit is None and not more and imp.name:  # `from pkg import mod` then `mod.attr`
            hit = resolve_import(index, imp.module, attr)
        return hit if not more or hit is None else _member(index, hit, more)
    local = facts.definitions.get(head)
    if local is not None:
        return local if not rest else _member(index, local, rest)
    return None


def _member(index: Index, owner: Definition, rest: str) -> Definition | None:
    if owner.kind != "class":
        return None
    name = rest.split(".")[0]
    return next((d for d in index.definitions_in(owner.path, owner.qualname) if d.name == name),
                None)


def _stub_line(d: Definition, indent: str) -> list[str]:
    lines = d.signature.splitlines() or [d.name]
    if d.kind in ("function", "method"):
        lines[-1] += ": ..."
    return [indent + line for line in lines]


def signature_stub(d: Definition) -> str:
    """The definition's signature as one stub statement (`def f(x) -> R: ...`)."""
    return "\n".join(_stub_line(d, ""))


def definition_stub(index: Index, d: Definition, max_members: int = 24,
                    private: bool = False) -> str:
    """A body-less stub: signature, docstring first line, and for classes fields and methods."""
    if d.kind != "class":
        lines = _stub_line(d, "")
        if d.doc and d.kind in ("function", "method"):
            lines[-1] = lines[-1].removesuffix(" ...")
            lines.append(f'    """{d.doc}"""')
        return "\n".join(lines)
    lines = [d.signature + ":"]
    if d.doc:
        lines.append(f'    """{d.doc}"""')
    if max_members <= 0:
        # A compact stub (the stubs of imports not used nearby, dozens a request): its members
        # would not be shown, so they are not read (a large class has hundreds).
        return "\n".join([*lines, "    ..."])
    members = [m for m in index.definitions_in(d.path, d.qualname)
               if private or not m.name.startswith("_") or m.name == "__init__"
               or (m.name.startswith("__") and m.name.endswith("__") and m.kind == "method")]
    # Fields first (the data a value of this type carries), then methods in source order.
    members.sort(key=lambda m: (m.kind != "field", m.line))
    shown = 0
    for m in members:
        if m.kind == "class" or shown >= max_members:
            continue
        lines.extend(_stub_line(m, "    "))
        shown += 1
    # A compact stub (no member shown) ends at its docstring: a marker right after docstrings,
    # as in a block of such stubs, is a pattern a small model copies after the docstring of the
    # function it is completing.
    if shown and shown < len([m for m in members if m.kind != "class"]):
        lines.append("    # ... more members")
    if len(lines) == 1 + bool(d.doc):
        lines.append("    ...")
    return "\n".join(lines)

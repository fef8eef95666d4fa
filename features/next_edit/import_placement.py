"""Where and how an import line goes, as isort/ruff would put it: joined to an existing
`from M import ...` in name order, else a new line in its section, sorted by module."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import parso

from typehole.base.positions import jedi_offset

from .parso_tree import line_after, line_start_of
from .workspace_lookup import Lookup

__all__ = ["ImportStatement", "import_block", "place_import"]

_SECTIONS = ("future", "stdlib", "thirdparty", "firstparty", "local")


@dataclass(frozen=True)
class ImportStatement:
    """A top-level import statement of the file."""

    node: Any
    module: str  # as written (`.x` for relative ones)
    is_from: bool
    section: int


def _section(module: str, lookup: Lookup | None) -> int:
    if module.startswith("."):
        return 4
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    if lookup is not None and (lookup.first_party(top) or lookup.module.split(".")[0] == top):
        return 3
    return 2


def import_block(module: Any, lookup: Lookup | None) -> list[ImportStatement]:
    """Top-level import statements before the first def or class, in file order."""
    out = []
    for child in module.children:
        if child.type in ("funcdef", "classdef", "decorated", "async_stmt"):
            break
        if child.type != "simple_stmt" or child.children[0].type not in ("import_name",
                                                                           "import_from"):
            continue
        node = child.children[0]
        if node.type == "import_from":
            dots = "".join(leaf.value for leaf in node.children[1:]
                           if leaf.type == "operator" and leaf.value in (".", "..."))
            path = node.get_from_names()
            name = dots + ".".join(n.value for n in path)
            is_from = True
        else:
            paths = node.get_paths()
            name = ".".join(n.value for n in paths[0]) if paths else ""
            is_from = False
        out.append(ImportStatement(node, name, is_from, _section(name, lookup)))
    return out


def place_import(text: str, statements: list[ImportStatement], module: str, is_from: bool,
           names: list[str], lookup: Lookup | None) -> tuple[int, int, str, str] | None:
    """(start, end, new text, expected) of the edit that imports `names` from `module`."""
    if is_from:
        for s in statements:
            if s.is_from and s.module == module and not s.node.is_star_import():
                return _join(text, s.node, names)
    line = f"from {module} import {', '.join(names)}" if is_from else f"import {module}"
    key = (is_from, module.lower())
    section = _section(module, lookup)
    same = [s for s in statements if s.section == section]
    if same:
        later = [s for s in same if (s.is_from, s.module.lower()) > key]
        if later:
            return line_start_of(text, later[0].node), line_start_of(text, later[0].node), \
                line + "\n", ""
        at = line_after(text, same[-1].node)
        return at, at, line + "\n", ""
    earlier = [s for s in statements if s.section < section]
    if earlier:
        at = line_after(text, earlier[-1].node)
        return at, at, "\n" + line + "\n", ""
    if statements:
        at = line_start_of(text, statements[0].node)
        return at, at, line + "\n\n", ""
    return _first_import(text, line)


def _join(text: str, node: Any, names: list[str]) -> tuple[int, int, str, str] | None:
    """Add `names` to an existing `from M import a, b`, in ruff/isort's order when it is sorted."""
    present = _imported_names(node)
    if not present:
        return None
    keys = [_name_key(c.children[0].value if c.type == "import_as_name" else c.value)
            for c in present]
    spots = {next((i for i, k in enumerate(keys) if k > _name_key(n)), len(keys)) for n in names}
    first = jedi_offset(text, *present[0].start_pos)
    end = jedi_offset(text, *present[-1].end_pos)
    if keys == sorted(keys) and len(spots) > 1 and "\n" not in text[first:end]:
        # Several names going to different places of a one-line list: rewrite the list.
        merged = [(k, text[jedi_offset(text, *c.start_pos) : jedi_offset(text, *c.end_pos)])
                  for c, k in zip(present, keys, strict=True)]
        merged += [(_name_key(n), n) for n in names]
        new_text = ", ".join(t for _, t in sorted(merged))
        return first, end, new_text, text[first:end]
    if keys == sorted(keys) and len(spots) == 1 and (i := spots.pop()) < len(present):
        start = jedi_offset(text, *present[i].start_pos)
        indent = text[text.rfind("\n", 0, start) + 1 : start]
        if indent.strip() == "":  # one name per line
            return start, start, "".join(f"{n},\n{indent}" for n in names), ""
        return start, start, "".join(f"{n}, " for n in names), ""
    last = present[-1]
    end = jedi_offset(text, *last.end_pos)
    comma = last.get_next_leaf()
    start = jedi_offset(text, *last.start_pos)
    indent = text[text.rfind("\n", 0, start) + 1 : start]
    if comma is not None and comma.value == "," and indent.strip() == "":
        # One name per line with a trailing comma: a new line after it.
        comma_end = jedi_offset(text, *comma.end_pos)
        return comma_end, comma_end, "".join(f"\n{indent}{n}," for n in names), ""
    return end, end, "".join(f", {n}" for n in names), ""


def _imported_names(node: Any) -> list[Any]:
    out = []
    for child in node.children:
        if child.type == "import_as_names":
            out += [c for c in child.children if c.type in ("name", "import_as_name")]
        elif child.type in ("name", "import_as_name") and child.start_pos > _import_kw(node):
            out.append(child)
    return out


def _import_kw(node: Any) -> tuple[int, int]:
    return next(c.start_pos for c in node.children if c.type == "keyword" and c.value == "import")


def _name_key(name: str) -> tuple[int, str]:
    """ruff/isort's `order-by-type`: CONSTANTS, then Classes, then functions."""
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[:1].isupper() else 2), name.lower()


def _first_import(text: str, line: str) -> tuple[int, int, str, str]:
    """A file without imports: after its docstring, else before its first statement (leading
    comments, such as a licence header, stay on top)."""
    children = parso.parse(text).children
    first = children[0] if children else None
    if first is not None and first.type == "simple_stmt" and first.children[0].type == "string":
        at = line_after(text, first)
        return at, at, "\n" + line + "\n", ""
    for child in children:
        if child.type == "endmarker":
            break
        at = line_start_of(text, child)
        spacing = "\n\n\n" if child.type in ("funcdef", "classdef", "decorated") else "\n\n"
        return at, at, line + spacing, ""
    at = len(text)
    gap = "\n" if text and not text.endswith("\n") else ""
    return at, at, gap + line + "\n", ""

"""A name imported for code that spells it another way: `from typing import Optional` while the
annotations say `str | None`; `from typing import Pattern` while the code says `re.Pattern`.

An import the edit added and that nothing reads yet was added for code still to be written, or
for code to be rewritten to it. The second kind can be found: an attribute of an imported
module with the new name (`re.Pattern` once `Pattern` is imported: the name replaces it), and
for the `typing` aliases the builtin spelling they replace (`X | None` -> `Optional[X]`,
`list[...]` -> `List[...]`, in annotations). Each site gets the new spelling; nothing when the
name is already read somewhere (the import was for that) or when there are more sites than
`MAX_SITES` (a style migration, not one next edit).
"""

from __future__ import annotations

import re

from typehole.base.positions import byte_offset

from .records import Event, Suggestion
from .tokens import text_of
from .trees import parse

__all__ = ["spelled_suggestions"]

MAX_SITES = 12
# typing's aliases and the builtin generic each one spells.
_GENERICS = {"List": "list", "Dict": "dict", "Set": "set", "FrozenSet": "frozenset",
             "Tuple": "tuple", "Type": "type"}
_ANNOTATION = r"(?:(?<=->)|(?<=:))[ \t]*"


def spelled_suggestions(event: Event) -> list[Suggestion]:
    """The sites that spell a name the edit just imported another way."""
    change = event.change
    if "import" not in event.after[max(change.start - 200, 0) : change.inserted_end + 200]:
        return []
    text = event.after
    out: list[Suggestion] = []
    for name in _new_imports(event):
        if len(re.findall(rf"(?<![\w.]){re.escape(name)}\b", text)) != 1:
            continue  # read somewhere already (or imported twice): not waiting for a site
        line = text.count("\n", 0, change.start) + 1
        sites = _optional_sites(text) if name == "Optional" else \
            _generic_sites(text, name) if name in _GENERICS else _attribute_sites(text, name)
        if not sites or len(sites) > MAX_SITES:
            continue
        reason = f"`{name}` was imported on line {line} and nothing uses it yet; this spells it " \
                 "another way"
        out.extend(Suggestion(s, e, new, "spelled", reason, text[s:e], f"spelled:{name}")
                   for s, e, new in sites)
    return out


def _new_imports(event: Event) -> set[str]:
    """The names the import statements the edit touched bind after it and did not before."""
    change = event.change
    return _imported(event.after, change.start, change.inserted_end) - _imported(
        event.before, change.start, change.end)


def _imported(text: str, start: int, end: int) -> set[str]:
    """The names bound by the top-level `from M import ...` statements around `[start, end]`."""
    tree = parse(text)
    if tree is None:
        return set()
    b_lo, b_hi = byte_offset(text, start), byte_offset(text, end)
    names: set[str] = set()
    for node in tree.root_node.named_children:
        if node.type != "import_from_statement" or node.end_byte < b_lo \
                or node.start_byte > b_hi:
            continue
        for child in node.children_by_field_name("name"):
            bound = child.child_by_field_name("alias") if child.type == "aliased_import" \
                else child
            if bound is not None:
                names.add(text_of(bound).rsplit(".", 1)[-1])
    return names


def _optional_sites(text: str) -> list[tuple[int, int, str]]:
    """`X | None` (or `None | X`) in annotations, one member besides None."""
    member = r"[\w.]+(?:\[[^\]\n]*\])?"
    pattern = re.compile(rf"{_ANNOTATION}(?:(?P<a>{member})[ \t]*\|[ \t]*None|None[ \t]*\|[ \t]*"
                         rf"(?P<b>{member}))(?=[ \t]*(?:[,=)\n:]|$))")
    out = []
    for m in pattern.finditer(text):
        inner = m.group("a") or m.group("b")
        if inner == "None":
            continue
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip(" \t"))
        out.append((start, m.end(), f"Optional[{inner}]"))
    return out


def _generic_sites(text: str, name: str) -> list[tuple[int, int, str]]:
    """The builtin generic (`list[`) where an annotation starts with it."""
    builtin = _GENERICS[name]
    pattern = re.compile(rf"(?:(?<=->)|(?<=:)|(?<=\[)|(?<=,)|(?<=\|))[ \t]*\b{builtin}\[")
    out = []
    for m in pattern.finditer(text):
        start = m.end() - len(builtin) - 1
        out.append((start, start + len(builtin), name))
    return out


def _attribute_sites(text: str, name: str) -> list[tuple[int, int, str]]:
    """`module.name` where `module` is imported as a module in the file."""
    modules = {m.group(1).split(".")[0] for m in re.finditer(
        r"^import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+\w+)?[ \t]*$", text, re.MULTILINE)}
    modules |= {m.group(1) for m in re.finditer(r"^import[ \t]+[\w.]+[ \t]+as[ \t]+(\w+)",
                                                 text, re.MULTILINE)}
    if not modules:
        return []
    owners = "|".join(sorted(map(re.escape, modules)))
    pattern = re.compile(rf"(?<![\w.])(?:{owners})\.{re.escape(name)}\b")
    return [(m.start(), m.end(), name) for m in pattern.finditer(text)]

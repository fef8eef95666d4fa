"""Find the sections and items of an existing docstring, in any of the four styles.

Works on the docstring's lines with the common indentation removed and records line spans, so
drift updates can rewrite one section and copy every other line, human text included, verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ItemSpan", "Section", "detect_style", "parse_sections"]

_KINDS = {
    "args": "params", "arguments": "params", "parameters": "params", "params": "params",
    "keyword args": "params", "keyword arguments": "params", "other parameters": "params",
    "attributes": "attributes", "returns": "returns", "return": "returns", "yields": "yields",
    "yield": "yields", "raises": "raises", "raise": "raises", "exceptions": "raises",
}
_SPHINX_KINDS = {
    "param": "params", "parameter": "params", "arg": "params", "argument": "params",
    "key": "params", "keyword": "params", "type": "params", "attribute": "attributes",
    "ivar": "attributes",
    "cvar": "attributes", "var": "attributes", "vartype": "attributes", "raises": "raises",
    "raise": "raises", "except": "raises", "exception": "raises", "returns": "returns",
    "return": "returns", "rtype": "returns", "yields": "yields", "yield": "yields",
    "ytype": "yields",
}
_COLON_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_DASHES = re.compile(r"^\s*-{3,}\s*$")
_SPHINX_FIELD = re.compile(r"^:(\w+)((?:\s+[^:]+?)?)\s*:(?:\s|$)|^\.\. (attribute) ::(.*)$")
_GOOGLE_ITEM = re.compile(r"^\s*(\*{0,2}[\w.]+)\s*(?:\((.*)\))?\s*:(?:\s|$)")
_NUMPY_ITEM = re.compile(r"^(\*{0,2}[\w.]+)\s*(?::\s*(.*))?$")
_PEP257_ITEM = re.compile(r"^\s*(\*{0,2}[\w.]+)\s+--\s")


@dataclass(frozen=True)
class ItemSpan:
    """An item of a section: its name (type for returns) and its lines `[start, end)`."""

    name: str
    type: str
    start: int
    end: int


@dataclass(frozen=True)
class Section:
    """A section's kind (`params`, `returns`, ... or `other`) and its lines `[start, end)`."""

    kind: str
    start: int
    end: int
    body_start: int  # first line after the heading
    items: tuple[ItemSpan, ...]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _field_name(line: str) -> str | None:
    match = _SPHINX_FIELD.match(line.strip())
    return (match.group(1) or match.group(3)) if match else None


def detect_style(text: str) -> str | None:
    """The style a docstring is written in, or None when it has no structured sections."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.strip().lower() in _KINDS and _DASHES.match(lines[i + 1]):
            return "numpy"
    if any(_field_name(line) in _SPHINX_KINDS for line in lines):
        return "sphinx"
    for i, line in enumerate(lines[:-1]):
        match = _COLON_HEADER.match(line.strip())
        if match and match.group(1).lower() in _KINDS:
            following = lines[i + 1]
            # PEP 257 items sit at the heading's indentation, `name -- text` or, for a return
            # value, `int | None -- text` or the text alone.
            if following.strip() and _indent(following) <= _indent(line):
                return "pep257"
            if _indent(following) > _indent(line):
                return "google"
    return None


def parse_sections(lines: list[str], style: str) -> list[Section]:
    """Sections of a dedented docstring (`lines[0]` is the summary line) in `style`."""
    if style == "sphinx":
        return _sphinx(lines)
    starts: list[tuple[int, int, str]] = []  # (heading line, body start, kind)
    for i, line in enumerate(lines):
        if i == 0 or _indent(line) != 0:
            continue
        if style == "numpy":
            if i + 1 < len(lines) and _DASHES.match(lines[i + 1]) and line.strip():
                starts.append((i, i + 2, _KINDS.get(line.strip().lower(), "other")))
        elif (match := _COLON_HEADER.match(line)) is not None:
            starts.append((i, i + 1, _KINDS.get(match.group(1).lower(), "other")))
    sections = []
    for n, (head, body, kind) in enumerate(starts):
        limit = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        end = body
        for j in range(body, limit):
            line = lines[j]
            if style == "google" and line.strip() and _indent(line) == 0:
                break  # Google sections end at the first line back at the margin
            if style == "pep257" and not line.strip():
                break
            if line.strip():
                end = j + 1
        sections.append(Section(kind, head, end, body, tuple(_items(lines, body, end, style,
                                                                       kind))))
    return sections


def _items(lines: list[str], start: int, end: int, style: str, kind: str) -> list[ItemSpan]:
    body = [j for j in range(start, end) if lines[j].strip()]
    if not body:
        return []
    level = min(_indent(lines[j]) for j in body)
    heads = [j for j in body if _indent(lines[j]) == level]
    items = []
    for n, j in enumerate(heads):
        stop = heads[n + 1] if n + 1 < len(heads) else end
        name, type_ = _item_name(lines[j], style, kind)
        items.append(ItemSpan(name, type_, j, stop))
    return items


def _item_name(line: str, style: str, kind: str) -> tuple[str, str]:
    text = line.strip()
    if kind in ("returns", "yields"):
        head = text.split(" -- ")[0] if style == "pep257" else text
        if style == "google":
            head = text.split(":", 1)[0] if ":" in text else ""
        return "", head.strip()
    if style == "numpy":
        match = _NUMPY_ITEM.match(text)
        return (match.group(1), (match.group(2) or "").strip()) if match else (text, "")
    pattern = _PEP257_ITEM if style == "pep257" else _GOOGLE_ITEM
    match = pattern.match(text)
    if match is None:
        return text.split(":", 1)[0].strip(), ""
    type_ = match.group(2) if style == "google" else ""
    return match.group(1), (type_ or "").strip()


def _sphinx(lines: list[str]) -> list[Section]:
    fields: list[tuple[int, int, str, str, str]] = []  # start, end, kind, field, argument
    i = 0
    while i < len(lines):
        match = _SPHINX_FIELD.match(lines[i].strip())
        name = _field_name(lines[i])
        if match is None or name not in _SPHINX_KINDS or _indent(lines[i]) != 0:
            i += 1
            continue
        j = i + 1
        # A field goes on over indented lines, and over a blank line followed by one.
        while j < len(lines) and (_indent(lines[j]) > 0 and lines[j].strip() or (
                not lines[j].strip() and j + 1 < len(lines) and _indent(lines[j + 1]) > 0
                and lines[j + 1].strip())):
            j += 1
        argument = match.group(2) if match.group(1) else match.group(4)
        fields.append((i, j, _SPHINX_KINDS[name], name, (argument or "").strip()))
        i = j
    sections: list[Section] = []
    for start, end, kind, name, argument in fields:
        # `type` holds the field name, so `:type x:` is told apart from `:param x:`.
        argument = "" if kind in ("returns", "yields") else argument
        item = ItemSpan(argument.split()[-1] if argument else "", name, start, end)
        if sections and sections[-1].kind == kind and sections[-1].end == start:
            last = sections[-1]
            sections[-1] = Section(kind, last.start, end, last.start, (*last.items, item))
        else:
            sections.append(Section(kind, start, end, start, (item,)))
    return sections

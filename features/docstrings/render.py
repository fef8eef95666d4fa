"""Render docstrings in Google, NumPy, Sphinx (reST) and PEP 257 style, section by section.

Each style is the form pydoclint and docstring_parser read back: Google `name (type): text`,
NumPy `name : type` under a dashed header, Sphinx `:param name:` / `:type name:` fields, and
PEP 257's plain `name -- text` lists. Text is rendered without indentation or quotes; `edit.py`
places it in the file. Where no prose is known a placeholder says so: nothing is invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import Facts

__all__ = ["ORDER", "PLACEHOLDER", "SUMMARY_PLACEHOLDER", "Item", "Prose", "header_lines",
           "item_lines", "items_for", "render", "section_lines"]

# Canonical section order; drift updates insert a missing section where this order puts it.
ORDER = ("params", "attributes", "returns", "yields", "raises")
PLACEHOLDER = "TODO: describe."
SUMMARY_PLACEHOLDER = "TODO: summarize."

_GOOGLE = {"params": "Args:", "attributes": "Attributes:", "returns": "Returns:",
           "yields": "Yields:", "raises": "Raises:"}
_NUMPY = {"params": "Parameters", "attributes": "Attributes", "returns": "Returns",
          "yields": "Yields", "raises": "Raises"}
_PEP257 = {"params": "Arguments:", "attributes": "Attributes:", "returns": "Returns:",
           "yields": "Yields:", "raises": "Raises:"}
_SPHINX = {"params": ("param", "type"), "attributes": ("attribute", "type"),
           "returns": ("return", "rtype"), "yields": ("yield", "ytype"),
           "raises": ("raises", "")}


@dataclass(frozen=True)
class Item:
    """One entry of a section: a parameter, attribute, exception, or the return/yield value."""

    name: str  # empty for returns/yields
    type: str = ""
    text: str = PLACEHOLDER


@dataclass(frozen=True)
class Prose:
    """Descriptions from a model: `summary`, and per item keyed `section:name` (`returns:`)."""

    summary: str | None = None
    items: dict[str, str] = field(default_factory=dict)


def items_for(facts: Facts, section: str, prose: Prose | None = None) -> list[Item]:
    """The items a section must hold for `facts` (empty when the section does not apply)."""
    texts = prose.items if prose else {}

    def text(key: str, suffix: str = "") -> str:
        return (texts.get(key) or PLACEHOLDER) + suffix

    if section == "params":
        return [Item(p.name, p.annotation, text(f"params:{p.name}", _default(p.default)))
                for p in facts.params]
    if section == "attributes":
        return [Item(a.name, a.annotation, text(f"attributes:{a.name}")) for a in facts.attributes]
    if section == "returns" and facts.returns is not None:
        return [Item("", facts.returns, text("returns:"))]
    if section == "yields" and facts.yields is not None:
        return [Item("", facts.yields, text("yields:"))]
    if section == "raises":
        return [Item(name, "", text(f"raises:{name}")) for name in facts.raises]
    return []


def _default(default: str | None) -> str:
    # Long defaults (a whole dict literal) say more in the signature than in prose.
    return f" Defaults to {default}." if default is not None and len(default) <= 40 else ""


def item_lines(style: str, section: str, item: Item, indent: str = "    ") -> list[str]:
    """The lines of one item in `style` (`indent` is one level inside its section)."""
    if style == "numpy":
        head = item.name or item.type or "object"
        if item.name and item.type:
            head = f"{item.name} : {item.type}"
        return [head, f"{indent}{item.text}"]
    if style == "sphinx":
        field_name, type_field = _SPHINX[section]
        if section == "attributes":  # the directive pydoclint's reST parser reads
            typed = [f"{indent}:type: {item.type}"] if item.type else []
            return [f".. attribute :: {item.name}", *typed, "", f"{indent}{item.text}"]
        if section in ("returns", "yields"):
            lines = [f":{field_name}: {item.text}"]
            return lines + ([f":{type_field}: {item.type}"] if item.type else [])
        lines = [f":{field_name} {item.name}: {item.text}"]
        if item.type and type_field:
            lines.append(f":{type_field} {item.name}: {item.type}")
        return lines
    if style == "pep257":
        if section in ("returns", "yields"):
            return [f"{item.type} -- {item.text}" if item.type else item.text]
        return [f"{item.name} -- {item.text}"]
    # google
    if section in ("returns", "yields"):
        return [f"{indent}{item.type}: {item.text}" if item.type else f"{indent}{item.text}"]
    if section == "raises" or not item.type:
        return [f"{indent}{item.name}: {item.text}"]
    return [f"{indent}{item.name} ({item.type}): {item.text}"]


def header_lines(style: str, section: str) -> list[str]:
    """The heading of a section (none for Sphinx fields)."""
    if style == "numpy":
        title = _NUMPY[section]
        return [title, "-" * len(title)]
    if style == "sphinx":
        return []
    return [(_PEP257 if style == "pep257" else _GOOGLE)[section]]


def section_lines(style: str, section: str, items: list[Item]) -> list[str]:
    """A whole section: heading and items; empty when there are no items."""
    if not items:
        return []
    lines = header_lines(style, section)
    for item in items:
        lines.extend(item_lines(style, section, item))
    return lines


def render(facts: Facts, style: str, prose: Prose | None = None) -> str:
    """The docstring text (no quotes, no indentation) for `facts` in `style`."""
    summary = (prose.summary if prose else None) or SUMMARY_PLACEHOLDER
    blocks = [[summary]]
    fields: list[str] = []
    for section in ORDER:
        lines = section_lines(style, section, items_for(facts, section, prose))
        if not lines:
            continue
        if style == "sphinx" and section != "attributes":
            fields.extend(lines)  # reST field lists are one block
        else:
            blocks.append(lines)
    if fields:
        blocks.append(fields)
    if style == "sphinx":  # attribute directives before the field list, which ends the text
        blocks.sort(key=lambda block: block[0].startswith(":"))
    return "\n\n".join("\n".join(block) for block in blocks)

"""Compare a docstring with the code it documents, and update only the sections that drifted.

A docstring without structured sections (a summary, maybe prose) is never called drifted, like
pydoclint's default for short docstrings. Raises documented but not raised explicitly are kept:
they may come from callees, so they are not evidence of drift. Every line of a section that did
not drift, and every kept item of one that did, is copied as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import Facts, Literal
from .render import ORDER, Prose, header_lines, item_lines, items_for
from .sections import Section, detect_style, parse_sections

__all__ = ["Drift", "Existing", "find_drift", "read_existing", "update_body"]

_TYPE_FIELDS = frozenset({"type", "vartype", "rtype", "ytype"})
_STUB_RAISES = frozenset({"NotImplementedError", "NotImplemented"})


@dataclass(frozen=True)
class Drift:
    """One disagreement: the section it is in and a message for the user."""

    section: str
    message: str


@dataclass(frozen=True)
class Existing:
    """A docstring literal split into raw lines and their dedented view."""

    raw: tuple[str, ...]
    lines: tuple[str, ...]
    margin: str  # the indentation the continuation lines share, as written
    style: str | None
    sections: tuple[Section, ...]


def read_existing(literal: Literal, indent: str) -> Existing:
    """Split an existing docstring; `indent` is the body indentation, used when it is one line."""
    raw = literal.body.split("\n")
    rest = [line for line in raw[1:] if line.strip()]
    margin = indent
    if rest:
        first = rest[0]
        margin = first[: len(first) - len(first.lstrip())]
        for line in rest[1:]:
            while not line.startswith(margin):
                margin = margin[:-1]
    lines = [raw[0].strip()] + [line[len(margin):] if line.strip() else "" for line in raw[1:]]
    style = detect_style("\n".join(lines))
    sections = parse_sections(lines, style) if style else []
    return Existing(tuple(raw), tuple(lines), margin, style, tuple(sections))


def _names(section: Section, style: str | None) -> list[str]:
    # In Sphinx an item's `type` is its field, and `:type x:` repeats what `:param x:` named;
    # in the other styles it is the item's annotation, whatever it says (`cls (type): ...`).
    fields = _TYPE_FIELDS if style == "sphinx" else frozenset()
    return [i.name for i in section.items if i.type not in fields and i.name]


def _plain(name: str) -> str:
    return name.lstrip("*")


def documented(existing: Existing, kind: str) -> list[str]:
    """Names an existing docstring documents in sections of `kind`, in order."""
    return [n for s in existing.sections if s.kind == kind for n in _names(s, existing.style)]


def find_drift(facts: Facts, existing: Existing) -> list[Drift]:
    """Where an existing structured docstring disagrees with `facts`."""
    if existing.style is None:
        return []
    drifts: list[Drift] = []
    kinds = {s.kind for s in existing.sections}
    have = documented(existing, "params")
    want = [p.name for p in facts.params]
    if [_plain(n) for n in have] != [_plain(n) for n in want] and (want or "params" in kinds):
        plain_have = {_plain(n) for n in have}
        plain_want = {_plain(n) for n in want}
        for name in want:
            if _plain(name) not in plain_have:
                drifts.append(Drift("params", f"parameter `{name}` is not documented"))
        for name in have:
            if _plain(name) not in plain_want:
                drifts.append(Drift("params", f"documented parameter `{name}` does not exist"))
        if plain_have == plain_want:
            drifts.append(Drift("params", "parameters are documented out of order"))
    stub = any(r in _STUB_RAISES for r in facts.raises)
    for kind, value in (("returns", facts.returns), ("yields", facts.yields)):
        word = "return" if kind == "returns" else "yield"
        if value is not None and kind not in kinds:
            drifts.append(Drift(kind, f"the {word} value is not documented"))
        elif value is None and kind in kinds and facts.kind == "function" and not stub:
            drifts.append(Drift(kind, f"documents a {word} value the code does not {word}"))
    raised = {_plain(n).rsplit(".", 1)[-1] for n in documented(existing, "raises")}
    for name in facts.raises:
        if name.rsplit(".", 1)[-1] not in raised:
            drifts.append(Drift("raises", f"raises `{name}` but does not document it"))
    return drifts


def _section_items(facts: Facts, kind: str, existing: Existing, style: str,
                   prose: Prose | None, indent: str) -> list[str | int]:
    """The rebuilt item lines of a drifted section: kept items by line index, new ones as text."""
    old = [s for s in existing.sections if s.kind == kind]
    spans: dict[str, list[int]] = {}
    for section in old:
        for item in section.items:
            spans.setdefault(_plain(item.name) if item.name else "", []).extend(
                range(item.start, item.end))
    out: list[str | int] = []
    wanted = items_for(facts, kind, prose)
    for want in wanted:
        key = _plain(want.name) if kind not in ("returns", "yields") else ""
        if key in spans:
            out.extend(spans.pop(key))
        else:
            out.extend(item_lines(style, kind, want, indent))
    if kind == "raises":  # documented raises stay: they may come from callees
        for kept in spans.values():
            out.extend(kept)
    return out


def update_body(facts: Facts, existing: Existing, style: str, prose: Prose | None,
                raw_prefix: bool) -> str | None:
    """The new raw body of the literal with drifted sections rebuilt; None when nothing drifted.

    A docstring without sections gets every applicable section appended in `style`.
    """
    if existing.style is None:
        kinds = [k for k in ORDER if items_for(facts, k, prose)]
    else:
        style = existing.style
        kinds = list(dict.fromkeys(d.section for d in find_drift(facts, existing)))
    if not kinds:
        return None
    out: list[str | int] = list(range(len(existing.raw)))
    if len(out) == 1:
        out.append("")  # a one-line docstring grows a line for its closing quotes
    # Rewrite from the bottom up so earlier line numbers stay valid.
    for kind in sorted(kinds, key=lambda k: -_anchor(existing, k)):
        out = _apply(facts, kind, existing, out, style, prose)
    return _join(existing, out, raw_prefix)


def _anchor(existing: Existing, kind: str) -> int:
    """The line a section is (or will be) at, so edits apply from the bottom up.

    A new section goes after the last section that precedes it in `ORDER`, before the next
    later or free-form one (Notes, Examples), which conventionally close a docstring.
    """
    spans = [s.start for s in existing.sections if s.kind == kind]
    if spans:
        return spans[0]
    rank = ORDER.index(kind)
    earlier = [s.end for s in existing.sections if s.kind in ORDER[:rank]]
    after = max(earlier, default=0)
    later = [s.start for s in existing.sections if s.start >= after
             and (s.kind not in ORDER or ORDER.index(s.kind) > rank)]
    return min(later) if later else len(existing.raw)


def _apply(facts: Facts, kind: str, existing: Existing, out: list[str | int], style: str,
           prose: Prose | None) -> list[str | int]:
    old = [s for s in existing.sections if s.kind == kind]
    indent = _item_indent(existing, old)
    items = _section_items(facts, kind, existing, style, prose, indent)
    if old:
        first = old[0]
        drop = {j for section in old for j in range(section.start, section.end)}
        at = out.index(first.start)
        kept = [x for x in out if not (isinstance(x, int) and x in drop)]
        if items:
            return kept[:at] + list(range(first.start, first.body_start)) + items + kept[at:]
        # The section goes: so does one of the blank lines around it.
        if 0 < at < len(kept) and _blank(existing, kept[at]) and _blank(existing, kept[at - 1]):
            del kept[at - 1]
        return kept
    if not items:
        return out
    block: list[str | int] = [*header_lines(style, kind), *items]
    anchor = _anchor(existing, kind)
    if anchor < len(existing.raw):  # before a later section
        at = out.index(anchor)
        sep: list[str | int] = [] if style == "sphinx" else [""]
        return out[:at] + block + sep + out[at:]
    # At the end, before the trailing blank lines (the closing quotes' line).
    at = len(out)
    while at > 1 and _blank(existing, out[at - 1]):
        at -= 1
    last = out[at - 1]
    sphinx_run = style == "sphinx" and (isinstance(last, str) and last.startswith(":") or any(
        s.end - 1 == last for s in existing.sections))
    sep = [] if sphinx_run else [""]
    return out[:at] + sep + block + out[at:]


def _blank(existing: Existing, x: str | int) -> bool:
    return not (existing.lines[x] if isinstance(x, int) else x).strip()


def _item_indent(existing: Existing, old: list[Section]) -> str:
    for section in old:
        for item in section.items:
            line = existing.lines[item.start]
            return line[: len(line) - len(line.lstrip())] or "    "
    return "    "


def _join(existing: Existing, out: list[str | int], raw_prefix: bool) -> str:
    parts = []
    for n, x in enumerate(out):
        if isinstance(x, int):
            parts.append(existing.raw[x])
            continue
        if not raw_prefix:
            x = x.replace("\\", "\\\\")
        parts.append(existing.margin + x if x and n else x)
    if parts and parts[-1] == "":
        parts[-1] = existing.margin  # the closing quotes sit at the margin
    return "\n".join(parts)

"""`__all__` lists in the text before the cursor: names they list are exported, not used.

A name listed in `__all__` says nothing of what the code around the cursor reads, so the lists'
bodies are masked before uses are counted (`masked`). A list still open at the cursor is a
re-export list being written: its next entry is most likely one of the file's imports it does
not list yet (`Exports.open_entries` says what it lists so far; `next_entries` orders the rest).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Exports", "exports", "masked", "next_entries"]

# `__all__ = [`, `__all__: list[str] = (`, `__all__ += [`, `__all__.extend([` at a line's start,
# with the list's opening bracket (`__all__.append("x")` lists one name: its string follows).
_START = re.compile(r"^[ \t]*__all__\s*(?::[^=\n]*)?(?:\+?=|\.extend\(|\.append\()\s*[\[(]?",
                    re.M)
# A list's body as written: strings, commas, `+`, comments and blank space.
_BODY = re.compile(r"""(?:\s+|,|\+|\#[^\n]*|"[^"\\\n]*"|'[^'\\\n]*')*""")
_ENTRY = re.compile(r"""["']([^"'\s]+)["']""")
# What may follow an open list's body at the cursor: an entry being typed (`"Fac`).
_TYPING = re.compile(r"""["']\w*""")


@dataclass(frozen=True)
class Exports:
    """The `__all__` lists of a text: each list's body as (start, end) offsets into the text,
    and, when a list is still open where the text ends, the entries it has so far (None: no list
    open at the end)."""

    spans: tuple[tuple[int, int], ...] = ()
    open_entries: tuple[str, ...] | None = None


def exports(text: str) -> Exports:
    """The `__all__` lists of `text` (the text before the cursor, or a stretch of it)."""
    if "__all__" not in text:  # most files: one search, no regular expression run
        return Exports()
    spans: list[tuple[int, int]] = []
    open_entries: tuple[str, ...] | None = None
    for m in _START.finditer(text):
        body = _BODY.match(text, m.end())
        end = body.end() if body is not None else m.end()
        spans.append((m.end(), end))
        rest = text[end:]
        if not rest.strip() or _TYPING.fullmatch(rest):
            open_entries = tuple(_ENTRY.findall(text, m.end(), end))
    return Exports(tuple(spans), open_entries)


def masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with each span's characters but its line breaks blanked out (offsets and line
    numbers stay as they were)."""
    if not spans:
        return text
    parts: list[str] = []
    at = 0
    for start, end in spans:
        parts.append(text[at:start])
        parts.append(re.sub(r"[^\n]", " ", text[start:end]))
        at = end
    parts.append(text[at:])
    return "".join(parts)


def next_entries(listed: Sequence[str], names: Sequence[str]) -> list[str]:
    """`names` (the file's imports, in import order) that `listed` (an open `__all__` list's
    entries so far) leaves out, the likeliest next entry first: a list kept sorted goes on in
    sorted order after its last entry, any other in import order after its last entry's import;
    then the rest, from the start."""
    rest = [n for n in dict.fromkeys(names) if n not in set(listed)]
    if not listed:
        return rest
    last = listed[-1]
    for key in (str, str.casefold):
        if len(listed) >= 2 and list(listed) == sorted(listed, key=key):
            ordered = sorted(rest, key=key)
            after = [n for n in ordered if key(n) > key(last)]
            return after + [n for n in ordered if key(n) <= key(last)]
    order = list(dict.fromkeys(names))
    if last not in order:
        return rest
    cut = order.index(last)
    return [n for n in order[cut + 1:] if n in rest] + [n for n in order[:cut] if n in rest]

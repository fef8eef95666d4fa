"""Marked documents: `┃` is the cursor, `├`...`┤` a span (e.g. the text a fill replaces).

Golden cases and inline test documents mark positions with these characters instead of offsets;
`parse` removes them and says where they were, in code points of the clean text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CURSOR", "SPAN_END", "SPAN_START", "Marked", "parse", "read"]

CURSOR = "┃"
SPAN_START = "├"
SPAN_END = "┤"


@dataclass(frozen=True)
class Marked:
    """A document with its markers removed: the text, the cursor and the optional span."""

    text: str
    offset: int  # the cursor, in code points of `text`
    span: tuple[int, int] | None = None  # start and end, in code points of `text`

    @property
    def prefix(self) -> str:
        """The text before the cursor."""
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        """The text after the cursor."""
        return self.text[self.offset :]

    @property
    def line(self) -> int:
        """The cursor's 0-based line (lines end at `\\n`)."""
        return self.text.count("\n", 0, self.offset)

    @property
    def column(self) -> int:
        """The cursor's 0-based column in code points."""
        return self.offset - (self.text.rfind("\n", 0, self.offset) + 1)


def parse(marked: str) -> Marked:
    """Remove the markers from `marked`: exactly one cursor, and `├` `┤` once each or not at all."""
    assert marked.count(CURSOR) == 1, f"a document marks exactly one cursor {CURSOR}"
    starts, ends = marked.count(SPAN_START), marked.count(SPAN_END)
    assert starts == ends <= 1, f"a span is one {SPAN_START} then one {SPAN_END}"
    positions: dict[str, int] = {}
    text: list[str] = []
    length = 0
    for ch in marked:
        if ch in (CURSOR, SPAN_START, SPAN_END):
            positions[ch] = length
        else:
            text.append(ch)
            length += 1
    span = None
    if SPAN_START in positions:
        span = (positions[SPAN_START], positions[SPAN_END])
        assert span[0] <= span[1], f"{SPAN_START} comes before {SPAN_END}"
    return Marked("".join(text), positions[CURSOR], span)


def read(path: Path) -> Marked:
    """Parse a marked case file, byte-exact (CRLF and a missing final newline stay as written)."""
    return parse(path.read_bytes().decode("utf-8"))

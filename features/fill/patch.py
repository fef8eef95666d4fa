"""A candidate placed in its file, and the mapping from file positions back into the candidate.

Every checker reports positions in the patched file in its own unit; this module turns them into
positions in the candidate (code points, 1-based line/column), and drops what lies outside it, so
errors the file already had elsewhere are never blamed on the fill.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

from typehole.base.positions import line_starts, split_lines

from .records import FillHole, Finding


@dataclass(frozen=True)
class Patched:
    """`text` with `candidate` in the hole; the candidate occupies `[cstart, cend)`."""

    text: str
    candidate: str
    cstart: int

    @classmethod
    def of(cls, original: str, hole: FillHole, candidate: str) -> Patched:
        """Put `candidate` (written after the hole's lead) into `original`."""
        text = original[: hole.start] + hole.lead + candidate + original[hole.end:]
        return cls(text=text, candidate=candidate, cstart=hole.start + len(hole.lead))

    @property
    def cend(self) -> int:
        return self.cstart + len(self.candidate)

    @cached_property
    def starts(self) -> list[int]:
        return line_starts(self.text)

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)

    def offset(self, row: int, column: int) -> int:
        """Offset of a 0-based row and a code-point column of the patched text (clamped)."""
        if row >= len(self.starts):
            return len(self.text)
        return min(self.starts[max(row, 0)] + max(column, 0), len(self.text))

    def offset_utf8(self, row: int, byte_column: int) -> int:
        """Offset of a 0-based row and a UTF-8 byte column (`ast`'s `col_offset`)."""
        line = self.lines[row] if 0 <= row < len(self.lines) else ""
        prefix = line.encode("utf-8", "surrogatepass")[:byte_column]
        return self.offset(row, len(prefix.decode("utf-8", "replace")))

    @cached_property
    def rows(self) -> tuple[int, int]:
        """0-based first and last rows of the candidate in the patched text."""
        return bisect_right(self.starts, self.cstart) - 1, bisect_right(self.starts, self.cend) - 1

    def finding(self, source: str, code: str, message: str, start: int,
                end: int | None = None) -> Finding | None:
        """A finding at patched offsets `[start, end)`, or None when it is outside the candidate."""
        if not self.cstart <= start <= self.cend:
            return None
        rel = start - self.cstart
        rel_end = min(max((end if end is not None else start) - self.cstart, rel), len(
            self.candidate))
        line = self.candidate.count("\n", 0, rel) + 1
        column = rel - (self.candidate.rfind("\n", 0, rel) + 1) + 1
        return Finding(source=source, code=code, message=message, start=rel, end=rel_end,
                       line=line, column=column)

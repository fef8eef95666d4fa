"""Incremental lexical state of the virtual document: open brackets, strings, comments, the line.

Monitors decide at every character boundary of generated text, so the state is updated one
character at a time (no rescans) and copied cheaply when a decoder tries a candidate token.
It is built for the document's prefix by feeding a window that starts at a line boundary up to
`WINDOW_LINES` lines and `WINDOW_CHARS` characters back, like `context.holescan`, so its cost
does not grow with the file, nor with a line as long as a minified file's.
"""

from __future__ import annotations

import re

from typehole.context.limits import MAX_NESTING

__all__ = ["LexState", "WINDOW_CHARS", "WINDOW_LINES"]

WINDOW_LINES = 80
WINDOW_CHARS = 20_000
_OPEN = {")": "(", "]": "[", "}": "{"}
_SKIP = re.compile(r"'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'"
                   r'|"(?:\\.|[^"\\\n])*"|#[^\n]*')


class LexState:
    """Where a character boundary sits lexically; `feed` advances it by one character."""

    __slots__ = ("brackets", "deeper", "quote", "escape", "comment", "run", "empty_closed",
                 "line", "line_start", "offset")

    def __init__(self, offset: int = 0) -> None:
        self.brackets: tuple[tuple[str, int], ...] = ()  # (opener, absolute offset)
        # Openers past Python's nesting limit are counted, not kept: a tuple that long would
        # make each one cost its length (100,000 `(` took a minute).
        self.deeper = 0
        self.quote = ""  # the open string's delimiter: ', ", ''' or \"\"\"
        self.escape = False
        self.comment = False
        self.run = 0  # quote characters seen in a row inside a triple-quoted string
        self.empty_closed = ""  # a string `""` closed on the previous character
        self.line = ""  # text of the current line up to the boundary
        self.line_start = offset
        self.offset = offset  # absolute offset of the boundary in the virtual document

    @classmethod
    def of_prefix(cls, text: str) -> LexState:
        """The state at the end of `text`, scanning at most `WINDOW_LINES` lines back (and
        `WINDOW_CHARS` characters: past that, from the first line start after the bound, or
        from the bound itself inside a longer line)."""
        floor = max(0, len(text) - WINDOW_CHARS)
        start = len(text)
        for _ in range(WINDOW_LINES):
            found = text.rfind("\n", floor, max(start - 1, 0))
            if found < 0:
                if floor == 0:
                    start = 0
                else:
                    found = text.find("\n", floor - 1, len(text))
                    start = found + 1 if found >= 0 else floor
                break
            start = found + 1
        # A window may begin inside a triple-quoted string: start at that string instead. The
        # regex walk over the strings and comments before it runs at C speed.
        for m in _SKIP.finditer(text):
            if m.start() >= start:
                break
            if m.end() > start:
                start = m.start()
                break
        state = cls(start)
        for ch in text[start:]:
            state.feed(ch)
        return state

    def copy(self) -> LexState:
        other = LexState.__new__(LexState)
        for name in LexState.__slots__:
            setattr(other, name, getattr(self, name))
        return other

    @property
    def in_code(self) -> bool:
        """Outside strings and comments, where monitors may constrain identifiers."""
        return not self.quote and not self.comment

    def closer_allowed(self, ch: str) -> bool:
        """Whether the closing bracket `ch` matches the innermost open bracket."""
        if self.deeper:
            return True  # beyond Python's nesting: not known, so not refused
        return bool(self.brackets) and self.brackets[-1][0] == _OPEN[ch]

    def feed(self, ch: str) -> None:
        """Advance past `ch`."""
        empty_closed, self.empty_closed = self.empty_closed, ""
        if ch == "\n":
            self.line, self.line_start = "", self.offset + 1
        else:
            self.line += ch
        self.offset += 1
        if self.comment:
            self.comment = ch != "\n"
            return
        if self.quote:
            self._in_string(ch)
            return
        if ch == "#":
            self.comment = True
        elif ch in "'\"":
            if empty_closed == ch:  # the third quote of `"""`: a triple-quoted string opens
                self.quote, self.run = ch * 3, 0
            else:
                self.quote = ch
                self.run = -1  # marks "nothing inside yet", to tell `""` from `"x"`
        elif ch in "([{":
            if len(self.brackets) < MAX_NESTING:
                self.brackets += ((ch, self.offset - 1),)
            else:
                self.deeper += 1
        elif ch in ")]}":
            if self.deeper:
                self.deeper -= 1
                return
            for i in range(len(self.brackets) - 1, -1, -1):
                if self.brackets[i][0] == _OPEN[ch]:
                    self.brackets = self.brackets[:i]
                    break

    def _in_string(self, ch: str) -> None:
        q = self.quote
        if self.escape:
            self.escape, self.run = False, 0
            return
        if ch == "\\":
            self.escape, self.run = True, 0
            return
        if len(q) == 1:
            if ch == q:
                self.empty_closed = q if self.run == -1 else ""
                self.quote = ""
            elif ch == "\n":  # an unterminated one-line string ends at the line end
                self.quote = ""
            else:
                self.run = 0
            return
        if ch == q[0]:
            self.run += 1
            if self.run == 3:
                self.quote, self.run = "", 0
        else:
            self.run = 0

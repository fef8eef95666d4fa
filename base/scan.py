"""The one lexical scanner: open brackets, strings and comments of code that may not parse.

tree-sitter's error recovery is lossy for the code people are typing (an unterminated string
becomes `ERROR(string_start)` followed by identifiers), so questions such as "is the cursor inside a
string?", "which brackets are open?" or "where did this statement begin?" are answered by scanning
the text from a point known to be clean (outside any string, comment or bracket).

`LexState` is the state at one character boundary; `feed` advances it by one character, with no
lookahead, so the monitors can follow generated text one character at a time and copy the state
cheaply when a decoder tries a candidate token. Delimiters longer than one character are read
retroactively: the third quote of `\"\"\"` turns the empty string `""` just closed into a triple-
quoted string, the second character of `//` or `/*` opens a comment, and `{{` in an f-string's text
undoes the field its first brace opened. `scan` runs the same state over a span in one call;
`LexState.of_prefix` over a bounded window before a cursor, so its cost does not grow with the file.

Recovery for broken code: a one-line string left open ends at the line end (as Python's tokenizer
reports and recovers), and a closer that does not match the innermost opener is recorded
(`unmatched`) and closes the nearest opener it does match, if any.
"""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass
from functools import cache, cached_property

from cachetools import LRUCache

from .affix import common_prefix
from .limits import MAX_NESTING

__all__ = [
    "LEXICONS",
    "WINDOW_CHARS",
    "WINDOW_LINES",
    "LexState",
    "Lexicon",
    "lexicon",
    "string_around",
    "scan",
    "split_top",
    "window_start",
]

WINDOW_LINES = 80  # how far back `LexState.of_prefix` starts: enough for any statement being typed
# ... and at most this many characters back, for lines as long as a minified file's.
WINDOW_CHARS = 20_000


@dataclass(frozen=True)
class Lexicon:
    """What a language's strings, comments and brackets look like.

    Comment delimiters are one or two characters long; a two-character opener's first character
    must mean nothing else to the scanner (it is read as code until the second one arrives).
    """

    line_comments: tuple[str, ...] = ("#",)
    block_comments: tuple[tuple[str, str], ...] = ()
    quotes: tuple[str, ...] = ('"', "'")
    triple_quotes: bool = False  # Python's ''' and \"\"\" strings span lines
    string_prefix: str = ""  # regex for letters that may precede a quote (Python's rb, f, ...)
    interpolating: str = ""  # prefix letters that make `{...}` inside the string code (f-strings)
    multiline_quotes: tuple[str, ...] = ()  # quotes whose strings may span lines (JS backticks)
    block_opener: str = ":"  # a line ending with this opens an indented block

    @cached_property
    def comment_chars(self) -> frozenset[str]:
        """One-character line-comment openers."""
        return frozenset(m for m in self.line_comments if len(m) == 1)

    @cached_property
    def comment_pairs(self) -> dict[str, str]:
        """Two-character comment openers -> what ends the comment ("\\n" for line comments)."""
        pairs = {m: "\n" for m in self.line_comments if len(m) == 2}
        pairs.update({start: end for start, end in self.block_comments})
        return pairs

    @cached_property
    def special(self) -> frozenset[str]:
        """Characters that may change the state in code; any other just moves along."""
        seconds = {pair[1] for pair in self.comment_pairs}
        return frozenset("([{)]};\n") | self.comment_chars | set(self.quotes) | seconds

    @cached_property
    def code_run(self) -> re.Pattern[str]:
        """A run of characters that are not `special` (never empty-failing: may match "")."""
        return re.compile(f"[^{re.escape(''.join(sorted(self.special)))}]*")

    @cached_property
    def prefix_re(self) -> re.Pattern[str] | None:
        """Matches a whole string prefix ending where a quote starts."""
        return re.compile(rf"(?<!\w)(?:{self.string_prefix})$") if self.string_prefix else None


LEXICONS: dict[str, Lexicon] = {
    "python": Lexicon(
        triple_quotes=True, string_prefix=r"(?i:rb|br|fr|rf|tr|rt|[rbuft])", interpolating="fFtT",
    ),
    "javascript": Lexicon(
        line_comments=("//",), block_comments=(("/*", "*/"),), quotes=('"', "'", "`"),
        multiline_quotes=("`",), block_opener="{",
    ),
}
_GENERIC = Lexicon(line_comments=("#", "//"), block_comments=(("/*", "*/"),), block_opener="{")
PYTHON = LEXICONS["python"]


def lexicon(language: str) -> Lexicon:
    """The lexicon for `language`; unknown languages get a C/shell-like guess."""
    return LEXICONS.get(language, _GENERIC)


_OPENER = {")": "(", "]": "[", "}": "{"}


@cache
def _string_run(quote: str, interp: bool) -> re.Pattern[str]:
    """A run of string text that changes nothing: no quote, backslash, line end or field."""
    stops = re.escape(quote) + "\\\\\n" + ("{" if interp else "")
    return re.compile(f"[^{stops}]*")


class LexState:
    """Where a character boundary sits lexically; `feed` advances it by one character.

    `brackets` are the open brackets as (character, absolute offset), innermost last; the `{` of
    an f-string field counts (the field is code). `quote` is the open string's delimiter ("" in
    code), `comment` what ends the open comment ("" outside one). `line` is the text of the current
    line up to the boundary and `line_start` its offset; `statement_start` is where the statement
    being written begins (after the last line end or `;` outside brackets, a backslash continuing
    the line). `unmatched` is the first closer at or after `mark` that closed nothing open.
    """

    __slots__ = ("lexicon", "brackets", "fields", "quote", "interp", "escape", "run",
                 "empty_closed", "comment", "prev", "line", "line_start", "offset",
                 "statement_start", "unmatched", "mark", "token_start", "deeper")

    def __init__(self, offset: int = 0, lex: Lexicon | None = None, mark: int = 0) -> None:
        self.lexicon = lex or PYTHON
        self.brackets: tuple[tuple[str, int], ...] = ()
        # Open f-string fields, innermost last: (offset of its `{`, the string's quote, interp).
        self.fields: tuple[tuple[int, str, bool], ...] = ()
        self.quote = ""
        self.interp = False  # the open string's `{...}` are fields
        self.escape = False  # the previous character was a backslash inside a string
        self.run = 0  # quotes in a row inside a triple-quoted string; -1: a string still empty
        self.empty_closed = ""  # the quote of an empty string `""` closed by the last character
        self.comment = ""
        self.prev = ""  # the previous character when it was code (two-character delimiters)
        self.line = ""
        self.line_start = offset
        self.offset = offset  # absolute offset of the boundary
        self.statement_start = offset
        self.unmatched: int | None = None
        self.mark = mark
        self.token_start = offset  # where the last string, comment or f-string text began
        # Openers past Python's nesting limit are counted, not kept: a tuple that long would make
        # each one cost its length (100,000 `(` took a minute).
        self.deeper = 0

    @classmethod
    def of_prefix(cls, text: str, lex: Lexicon | None = None) -> LexState:
        """The state at the end of `text`, scanning from `window_start`."""
        start = window_start(text, len(text))
        state = cls(start, lex)
        state.feed_text(text, start)
        return state

    def copy(self) -> LexState:
        """An independent copy (every field is immutable, so this is shallow)."""
        other = LexState.__new__(LexState)
        other.lexicon, other.brackets, other.fields = self.lexicon, self.brackets, self.fields
        other.quote, other.interp, other.escape = self.quote, self.interp, self.escape
        other.run, other.empty_closed, other.comment = self.run, self.empty_closed, self.comment
        other.prev, other.line, other.line_start = self.prev, self.line, self.line_start
        other.offset, other.statement_start = self.offset, self.statement_start
        other.unmatched, other.mark, other.token_start = self.unmatched, self.mark, self.token_start
        other.deeper = self.deeper
        return other

    @property
    def depth(self) -> int:
        """How many brackets are open (f-string fields count)."""
        return len(self.brackets)

    @property
    def in_code(self) -> bool:
        """Outside strings and comments (an f-string field is code)."""
        return not self.quote and not self.comment

    @property
    def in_string(self) -> bool:
        """Inside a string literal's text (not inside an f-string's `{...}` field)."""
        return bool(self.quote)

    @property
    def in_comment(self) -> bool:
        """Inside a comment."""
        return bool(self.comment)

    @property
    def in_interpolation(self) -> bool:
        """Inside an f-string's `{...}` field: code, not text."""
        return bool(self.fields) and not self.quote

    @property
    def continued(self) -> bool:
        """The line ends in a backslash outside strings: the next line continues the statement."""
        return self.prev == "\\" and self.in_code

    def closer_allowed(self, ch: str) -> bool:
        """Whether the closing bracket `ch` matches the innermost open bracket."""
        if self.deeper:
            return True  # beyond Python's nesting: not known, so not refused
        return bool(self.brackets) and self.brackets[-1][0] == _OPENER[ch]

    def forget_brackets(self) -> None:
        """Drop every open bracket (recovery: a new statement began inside them)."""
        self.brackets, self.fields = (), ()
        self.statement_start = self.offset

    def feed_text(self, text: str, start: int = 0, end: int | None = None,
                  trace: list[tuple[int, int]] | None = None) -> None:
        """Feed `text[start:end]`. With `trace`, each offset whose boundary is in code (not in a
        string or comment; a comment's opener counts at its first character, the line end after a
        line comment counts) is appended with the number of brackets open there."""
        end = len(text) if end is None else min(end, len(text))
        if trace is None:
            self._skim(text, start, end)
            return
        feed = self.feed
        for i in range(start, end):
            ch = text[i]
            code = not self.quote and (not self.comment or (ch == "\n" and self.comment == "\n"))
            if code:
                trace.append((i, len(self.brackets)))
            feed(ch)
            # A later character can turn earlier code into a delimiter (`\"\"\"`, `//`, `{{`).
            if code and not self.in_code:
                while trace and trace[-1][0] > self.token_start:
                    trace.pop()
        if self.in_code:
            trace.append((end, len(self.brackets)))

    def _skim(self, text: str, i: int, end: int) -> None:
        """`feed` each character of `text[i:end]`, moving over runs that change nothing but the
        offset and the line (plain code, string text, a line comment's text) at regex speed."""
        feed, lex = self.feed, self.lexicon
        while i < end:
            if self.comment == "\n":
                j = text.find("\n", i, end)
                j = end if j < 0 else j
            elif self.comment or self.escape:
                j = i
            elif self.quote:
                m = _string_run(self.quote[0], self.interp).match(text, i, end)
                j = m.end() if m else i
                if j > i:
                    self.run = 0
            else:
                m = lex.code_run.match(text, i, end)
                j = m.end() if m else i
                if j > i:
                    self.prev = text[j - 1]
            if j > i:
                self.line += text[i:j]
                self.offset += j - i
                self.empty_closed = ""
                i = j
            else:
                feed(text[i])
                i += 1

    def feed(self, ch: str) -> None:
        """Advance past `ch`."""
        offset = self.offset
        self.offset = offset + 1
        empty_closed, self.empty_closed = self.empty_closed, ""
        if ch == "\n":
            self.line, self.line_start = "", offset + 1
        else:
            self.line += ch
        if self.comment:
            self._in_comment(ch, offset)
        elif self.quote:
            self._in_string(ch, offset)
        else:
            self._in_code(ch, offset, empty_closed)

    def _line_end(self, offset: int) -> None:
        if not self.brackets:
            self.statement_start = offset + 1

    def _in_comment(self, ch: str, offset: int) -> None:
        end = self.comment
        if end == "\n":
            if ch == "\n":
                self.comment, self.prev = "", ""
                self._line_end(offset)
        elif ch == end[-1] and self.prev == end[0]:
            self.comment, self.prev = "", ""
        else:
            self.prev = ch

    def _in_string(self, ch: str, offset: int) -> None:
        if self.escape:
            self.escape, self.run = False, 0
            return
        if ch == "\\":
            self.escape, self.run = True, 0
            return
        q = self.quote
        if len(q) == 1:
            if ch == q:
                self.empty_closed = q if self.run == -1 else ""
                self.quote, self.prev = "", ""
                return
            if ch == "\n" and q not in self.lexicon.multiline_quotes:
                self.quote, self.prev = "", ""  # unterminated: the string ends at the line end
                self._line_end(offset)
                return
            self.run = 0
        elif ch == q[0]:
            self.run += 1
            if self.run == 3:
                self.quote, self.run, self.prev = "", 0, ""
            return
        else:
            self.run = 0
        if ch == "{" and self.interp:  # an f-string field: code until its `}`
            self.fields += ((offset, q, True),)
            self.brackets += (("{", offset),)
            self.quote, self.prev = "", ""

    def _in_code(self, ch: str, offset: int, empty_closed: str) -> None:
        prev, self.prev = self.prev, ch
        lex = self.lexicon
        if ch not in lex.special:
            return
        if ch == "\n":
            if prev != "\\":
                self._line_end(offset)
        elif ch in lex.comment_chars:
            self.comment, self.token_start = "\n", offset
        elif prev and (end := lex.comment_pairs.get(prev + ch)) is not None:
            self.comment, self.token_start, self.prev = end, offset - 1, ""
        elif ch in lex.quotes:
            if ch == empty_closed and lex.triple_quotes:  # `""` then `"`: a triple-quoted string
                self.quote, self.run, self.token_start = ch * 3, 0, offset - 2
                return
            self.interp = False
            if lex.interpolating and (prefix := lex.prefix_re) is not None:
                n = len(self.line)
                m = prefix.search(self.line, max(0, n - 3), n - 1)
                self.interp = m is not None and any(c in lex.interpolating for c in m.group(0))
            self.quote, self.run, self.token_start = ch, -1, offset
        elif ch in "([{":
            fields = self.fields
            if ch == "{" and fields and fields[-1][0] == offset - 1:
                # `{{` in an f-string's text is a literal brace, not a field: undo the field.
                _, self.quote, self.interp = fields[-1]
                self.fields, self.brackets = fields[:-1], self.brackets[:-1]
                self.run, self.prev, self.token_start = 0, "", offset - 1
                return
            if len(self.brackets) < MAX_NESTING:
                self.brackets += ((ch, offset),)
            else:
                self.deeper += 1
        elif ch in ")]}":
            if self.deeper:
                self.deeper -= 1
            else:
                self._close(ch, offset)
        elif ch == ";":
            self._line_end(offset)

    def _close(self, ch: str, offset: int) -> None:
        brackets, fields = self.brackets, self.fields
        field = fields[-1][0] if fields else -1
        if brackets and brackets[-1][1] == field:  # the innermost bracket is an f-string field
            if ch == "}":
                _, self.quote, self.interp = fields[-1]
                self.fields, self.brackets = fields[:-1], brackets[:-1]
                self.run, self.prev, self.token_start = 0, "", offset
                return
        elif brackets and brackets[-1][0] == _OPENER[ch]:
            self.brackets = brackets[:-1]
            return
        if self.unmatched is None and offset >= self.mark:
            self.unmatched = offset
        # Recovery: close the nearest matching opener, never past an f-string field.
        for i in range(len(brackets) - 1, -1, -1):
            if brackets[i][1] == field:
                break
            if brackets[i][0] == _OPENER[ch]:
                self.brackets = brackets[:i]
                break


def scan(
    text: str,
    start: int = 0,
    end: int | None = None,
    lex: Lexicon | None = None,
    *,
    mark: int = 0,
    trace: list[tuple[int, int]] | None = None,
) -> LexState:
    """The state at the end of `text[start:end]`, scanned from a clean point at `start`.

    `mark`: where stray closers start to count (`LexState.unmatched`). `trace`: see
    `LexState.feed_text`.
    """
    state = LexState(start, lex, mark)
    state.feed_text(text, start, end, trace)
    return state


# Strings and comments, for finding where a window may start (regex: C speed over the whole file).
_SKIP = re.compile(r"'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'"
                   r'|"(?:\\.|[^"\\\n])*"|#[^\n]*')


def window_start(text: str, offset: int, lines: int = WINDOW_LINES) -> int:
    """A clean point to scan `text[:offset]` from: a line start up to `lines` lines and
    `WINDOW_CHARS` characters back (past that, the first line start after the bound, or the bound
    itself inside a longer line), or the start of the triple-quoted string that point falls
    inside."""
    floor = max(0, offset - WINDOW_CHARS)
    start = offset
    for _ in range(lines):
        found = text.rfind("\n", floor, max(start - 1, 0))
        if found < 0:
            if floor == 0:
                return 0
            found = text.find("\n", floor - 1, offset)
            start = found + 1 if found >= 0 else floor
            break
        start = found + 1
    around = string_around(text, start)
    return start if around is None else around[0]


class _Spans:
    """The strings and comments of one text (`_SKIP`'s matches), found left to right only as far
    as a question needs, kept for the next question about the same text."""

    __slots__ = ("ends", "next", "starts", "text", "unclosed")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.next = 0  # where the search goes on; len(text) + 1 once nothing is left
        self.unclosed: int | None = None  # the index of the first triple quote left unclosed

    def seeded(self, previous: _Spans) -> _Spans:
        """Take over `previous`'s matches that this text has too: those that end at a line end
        before the first character the two texts differ at (a one-line string's or comment's
        fate is settled by its line), up to the first triple quote that found no closer (`'''`
        then matched as an empty string; one typed later anywhere changes all after it).
        Matching goes on after the last one kept, as `finditer` would."""
        same = common_prefix(previous.text, self.text, min(previous.next, len(previous.text),
                                                           len(self.text)))
        cut = previous.text.rfind("\n", 0, same)
        kept = bisect.bisect_right(previous.ends, cut) if cut >= 0 else 0
        if previous.unclosed is not None:
            kept = min(kept, previous.unclosed)
        self.starts, self.ends = previous.starts[:kept], previous.ends[:kept]
        self.next = self.ends[-1] if kept else 0
        return self

    def around(self, pos: int) -> tuple[int, int] | None:
        """The span of the match `pos` falls strictly inside (start < pos < end), or None."""
        text = self.text
        while self.next <= len(text) and (not self.starts or self.starts[-1] < pos):
            m = _SKIP.search(text, self.next)
            if m is None:
                self.next = len(text) + 1
                break
            start, end = m.span()
            if self.unclosed is None and end - start == 2 and text[end:end + 1] == text[start]:
                self.unclosed = len(self.starts)  # `""` of a `"""` that found no closer
            self.starts.append(start)
            self.ends.append(end)
            self.next = end
        i = bisect.bisect_left(self.starts, pos) - 1  # the last match starting before `pos`
        if i >= 0 and self.ends[i] > pos:
            return self.starts[i], self.ends[i]
        return None


# The spans of the last few texts asked about (the document's versions, a prompt being built),
# so the gate, the hole scan and the monitors do not each run `_SKIP` over the whole text before
# the cursor again (8.5 ms on 800 KB); a new version takes over its predecessor's spans before
# the edit. Callers on several threads (the event loop, the analysis thread) share it.
_SPANS: LRUCache[str, _Spans] = LRUCache(maxsize=8)
_SPANS_LOCK = threading.Lock()
_last_spans: list[_Spans] = []


def string_around(text: str, pos: int) -> tuple[int, int] | None:
    """The span of the string (or comment) of `text` that `pos` falls inside, None when it is
    in code; found by a regular expression over the text up to there (Python's quotes, `#`),
    once per text: later questions about the same text bisect what was found."""
    with _SPANS_LOCK:
        spans = _SPANS.get(text)
        if spans is None:
            spans = _Spans(text)
            if _last_spans:
                spans.seeded(_last_spans[0])
            _SPANS[text] = spans
        _last_spans[:] = [spans]
        return spans.around(pos)


def split_top(text: str, sep: str, lex: Lexicon | None = None) -> list[str]:
    """Split `text` at `sep` characters that are outside brackets, strings and comments."""
    state = LexState(0, lex)
    parts, start = [], 0
    for i, ch in enumerate(text):
        if ch == sep and not state.brackets and state.in_code:
            parts.append(text[start:i])
            start = i + 1
        state.feed(ch)
    parts.append(text[start:])
    return parts

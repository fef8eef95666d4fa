"""The gate: decide whether to complete at a cursor, and whether a line or a whole block.

A completion that appears in the wrong place costs the user more than no completion, so the gate
says "skip" often: inside comments and string text, in the middle of a word, and when real code
sits right of the cursor. Closing brackets, quotes, `:` and `,` right of the cursor do not count as
code (editors auto-insert them). Inside an f-string's `{...}` field the cursor is in code, so
completion is allowed there.

"block" (several lines) is chosen on a blank line that starts a block (after a line ending with
`:`), in a body holding only `pass`/`...`/a docstring, at module level, and at the end of a block
header line; everything else is "line". Broken code is normal here: the tree only locates the
statement around the cursor, and the lexical scanner (`base.scan`) decides strings, comments and
brackets from there. Without a grammar the same checks run on plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from typehole.base import scan, syntax
from typehole.base.positions import byte_offset, char_offset
from typehole.features.completion.site import Site

__all__ = ["CHECKS", "DEFAULT_BLOCK_LINES", "Gate", "decide"]

Mode = Literal["skip", "line", "block"]

DEFAULT_BLOCK_LINES = 20
# Without a caller's tree, only this much text around the cursor is parsed: tree-sitter needs
# about 170 ns per byte, so a whole 5 MB file would cost close to a second per keystroke.
WINDOW_BEFORE = 8_192
WINDOW_AFTER = 1_024
# The lexer never walks back further than this from the cursor.
SCAN_LIMIT = 20_000
_LINES_LOOKED_AT = 200  # lines examined for indentation style and for the enclosing header


@dataclass(frozen=True)
class Gate:
    """The gate's verdict for one cursor."""

    mode: Mode
    reason: str
    indent: str = ""  # indentation of the block the completion lives in
    max_lines: int = 1


@dataclass(frozen=True)
class _Facts:
    """What the checks look at, each computed at most once per decision."""

    site: Site
    tree: syntax.Tree | None
    lexicon: scan.Lexicon

    @cached_property
    def lex(self) -> scan.LexState:
        """The lexical state at the cursor; lazy because the cheap checks often decide first."""
        return _lex_at_cursor(self.site, self.tree)

    @property
    def depth(self) -> int:
        """Open brackets at the cursor (in brace languages `{` opens blocks and is not counted)."""
        if self.lexicon.block_opener == "{":
            return sum(1 for b, _ in self.lex.brackets if b != "{")
        return self.lex.depth

    @property
    def blank_line(self) -> bool:
        return not self.site.line_prefix.strip() and not self.site.line_suffix.strip()

    @property
    def indent(self) -> str:
        return _leading_ws(self.site.line_prefix)


Check = Callable[[_Facts], Gate | None]


def decide(
    site: Site, tree: syntax.Tree | None = None, *, max_block_lines: int = DEFAULT_BLOCK_LINES
) -> Gate:
    """Decide whether and how much to complete at `site`'s cursor.

    `tree` is an optional parse of the whole of `site.text` (for example the document store's);
    without it, a window around the cursor is parsed when the language has a grammar, and plain
    text rules apply otherwise. Offsets past either end of the text are clamped.
    """
    site = _clamp(site)
    facts = _Facts(site, tree, scan.lexicon(site.language))
    for check in CHECKS:
        gate = check(facts)
        if gate is not None:
            return replace(gate, max_lines=max_block_lines) if gate.mode == "block" else gate
    raise AssertionError("the last check always decides")  # pragma: no cover


# --- checks, in order: the first verdict wins ---------------------------------------------------


def _inside_word(f: _Facts) -> Gate | None:
    """Completing mid-identifier would have to rewrite the rest of the word; skip."""
    if syntax.is_word_char(f.site.line_suffix[:1]):
        return Gate("skip", "cursor inside a word")
    return None


def _in_comment(f: _Facts) -> Gate | None:
    """Prose in comments is not what a code model predicts well; skip."""
    return Gate("skip", "inside a comment") if f.lex.in_comment else None


def _in_string(f: _Facts) -> Gate | None:
    """String text is data or prose; skip (f-string `{...}` fields are code and pass)."""
    return Gate("skip", "inside a string literal") if f.lex.in_string else None


def _code_after_cursor(f: _Facts) -> Gate | None:
    """Real code right of the cursor means the user is editing, not writing; skip.

    Only closing brackets, quotes, `:`, `,`, `;` (what editors auto-pair) and a trailing comment
    may follow the cursor.
    """
    if _closers_only(f.site.line_suffix, f.lexicon):
        return None
    return Gate("skip", "code right of the cursor")


def _block_start(f: _Facts) -> Gate | None:
    """A blank line right after a block header: the whole body is wanted."""
    if not f.blank_line or f.depth:
        return None
    header = next(_code_lines_before(f.site, f.lexicon), None)
    if header is None or not _opens_block(header, f.lexicon):
        return None
    header_ws = _leading_ws(header)
    if _width(f.indent) > _width(header_ws):
        return Gate("block", "first line of a block", indent=f.indent)
    return Gate("block", "first line of a block", header_ws + _indent_unit(f.site, header_ws))


def _empty_body(f: _Facts) -> Gate | None:
    """A blank line in a body holding only `pass`, `...` or a docstring: fill the body."""
    if not f.blank_line or f.depth:
        return None
    body_ws: str | None = None
    lines = _code_lines_before(f.site, f.lexicon)
    for line in lines:
        stripped = line.strip()
        ws = _leading_ws(line)
        if body_ws is not None and _width(ws) < _width(body_ws):
            header_ok = _opens_block(line, f.lexicon)
            if header_ok and _width(f.indent) >= _width(body_ws):
                return Gate("block", "empty body", indent=body_ws)
            return None
        if body_ws is not None and ws != body_ws:
            return None
        body_ws = ws
        if stripped in ("pass", "...") or _is_whole_docstring(stripped):
            continue
        quote = _docstring_end(stripped)
        if quote is None or not _skip_to_docstring_start(lines, quote, body_ws):
            return None
    return None


def _module_level(f: _Facts) -> Gate | None:
    """An unindented blank line between top-level statements: a whole definition may follow."""
    if not f.blank_line or f.depth or f.site.line_prefix:
        return None
    following = next(_code_lines_after(f.site, f.lexicon), None)
    if following is not None and _leading_ws(following):
        return None  # an unindented blank line inside a body (editors strip blank lines)
    return Gate("block", "module level")


def _header_end(f: _Facts) -> Gate | None:
    """At the end of `def f():` / `else:` the next lines are the block's body."""
    if f.site.line_suffix.strip() or f.depth:
        return None
    line = f.site.line_prefix
    if not _opens_block(line, f.lexicon):
        return None
    if f.site.language == "python" and re.search(r"\blambda\b", line):
        return None
    ws = _leading_ws(line)
    return Gate("block", "end of a block header", ws + _indent_unit(f.site, ws))


def _line(f: _Facts) -> Gate | None:
    """Everywhere else: finish the current line."""
    return Gate("line", "rest of the line", indent=f.indent)


CHECKS: list[Check] = [
    _inside_word,
    _code_after_cursor,
    _in_comment,
    _in_string,
    _block_start,
    _empty_body,
    _module_level,
    _header_end,
    _line,
]


# --- lexical state at the cursor ----------------------------------------------------------------


def _clamp(site: Site) -> Site:
    offset = max(0, min(site.offset, len(site.text)))
    if 0 < offset < len(site.text) and site.text[offset - 1 : offset + 1] == "\r\n":
        offset -= 1  # a cursor between \r and \n is at the end of its line
    return site if offset == site.offset else replace(site, offset=offset)


def _lex_at_cursor(site: Site, tree: syntax.Tree | None) -> scan.LexState:
    """Lex from the start of the statement around the cursor up to the cursor."""
    start = _scan_start(site, tree)
    return scan.scan(site.text, start, site.offset, scan.lexicon(site.language))


def _scan_start(site: Site, tree: syntax.Tree | None) -> int:
    """An offset before the cursor known to be outside strings, comments and brackets."""
    text, offset = site.text, site.offset
    anchor = offset - 1
    while anchor >= 0 and text[anchor].isspace():
        anchor -= 1
    if anchor < 0:
        return 0
    floor = max(0, offset - SCAN_LIMIT)
    if tree is not None:
        base, data = 0, text.encode("utf-8", "surrogatepass")
    elif syntax.supported(site.language):
        base = _window_start(text, offset)
        end = text.find("\n", min(len(text), offset + WINDOW_AFTER))
        data = text[base : len(text) if end < 0 else end].encode("utf-8", "surrogatepass")
        tree = syntax.parse_bytes(data, site.language)
    if tree is None:
        return _unindented_line_start(text, anchor, floor)
    window = text[base:]
    statement = syntax.statement_at(
        tree,
        byte_offset(window, anchor - base),
        site.language,
        floor=byte_offset(window, max(0, floor - base)),
    )
    if statement is None:
        return _unindented_line_start(text, anchor, floor)
    start = base + char_offset(data, statement.start_byte)
    return text.rfind("\n", 0, start) + 1  # from the line start: string prefixes sit left of it


def _window_start(text: str, offset: int) -> int:
    """Where to start parsing: a top-level line about WINDOW_BEFORE characters before `offset`.

    An unindented line may be text inside a docstring (a usage example): parsed from there,
    the docstring's closing quotes would open a string that runs to the cursor. Such a start
    moves on to the first top-level line after that string, or, when none comes before the
    cursor, back to the line where the string begins.
    """
    if offset <= WINDOW_BEFORE:
        return 0
    top_level = re.compile(r"\n(?=[^\s)\]}])")
    match = top_level.search(text, offset - WINDOW_BEFORE, offset)
    start = match.end() if match else text.rfind("\n", 0, offset) + 1
    while (around := scan.string_around(text, start)) is not None:
        after = top_level.search(text, around[1] - 1, offset) if around[1] < offset else None
        start = after.end() if after else text.rfind("\n", 0, around[0]) + 1
    return start


def _unindented_line_start(text: str, anchor: int, floor: int) -> int:
    """The start of the last unindented code line at or before `anchor` (plain-text fallback)."""
    pos = line_start = text.rfind("\n", 0, anchor + 1) + 1
    while pos > 0 and text[pos] in " \t\r\n)]}":
        if pos < floor:
            return line_start
        pos = text.rfind("\n", 0, pos - 1) + 1
    return pos


# --- plain-text helpers -------------------------------------------------------------------------

_CLOSERS = r"""[\s)\]}"'`:,;]*"""


def _closers_only(suffix: str, lexicon: scan.Lexicon) -> bool:
    comment = "|".join(re.escape(m) for m in lexicon.line_comments)
    pattern = _CLOSERS + (rf"(?:(?:{comment}).*)?" if comment else "")
    return re.fullmatch(pattern, suffix) is not None


def _strip_comment(line: str, lexicon: scan.Lexicon) -> str:
    for marker in lexicon.line_comments:
        # A marker followed by no quote is a comment; one inside a string is rare on header lines.
        match = re.search(rf"\s*{re.escape(marker)}[^'\"]*$", line)
        if match:
            line = line[: match.start()]
    return line.rstrip()


def _opens_block(line: str, lexicon: scan.Lexicon) -> bool:
    return _strip_comment(line, lexicon).endswith(lexicon.block_opener)


def _leading_ws(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(ws: str) -> int:
    return len(ws.expandtabs(8))  # Python's tokenizer counts a tab to the next multiple of 8


def _lines_before(site: Site) -> Iterator[str]:
    """Lines above the cursor's line, nearest first, without line ends."""
    end = site.offset - len(site.line_prefix) - 1
    for _ in range(_LINES_LOOKED_AT):
        if end < 0:
            return
        start = site.text.rfind("\n", 0, end) + 1
        yield site.text[start:end].rstrip("\r")
        end = start - 1


def _lines_after(site: Site) -> Iterator[str]:
    """Lines below the cursor's line, nearest first, without line ends."""
    start = site.text.find("\n", site.offset)
    for _ in range(_LINES_LOOKED_AT):
        if start < 0:
            return
        start += 1
        end = site.text.find("\n", start)
        yield site.text[start : len(site.text) if end < 0 else end].rstrip("\r")
        start = end


def _is_code(line: str, lexicon: scan.Lexicon) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(lexicon.line_comments)


def _code_lines_before(site: Site, lexicon: scan.Lexicon) -> Iterator[str]:
    return (line for line in _lines_before(site) if _is_code(line, lexicon))


def _code_lines_after(site: Site, lexicon: scan.Lexicon) -> Iterator[str]:
    return (line for line in _lines_after(site) if _is_code(line, lexicon))


_DOC_OPEN = re.compile(r"^[rRuU]?(\"\"\"|''')")
_ONE_LINE_STRING = re.compile(r"[rRuU]?(\"\"\".*\"\"\"|'''.*'''|\"[^\"]*\"|'[^']*')")


def _is_whole_docstring(stripped: str) -> bool:
    """A one-line string statement: `\"\"\"Doc.\"\"\"`, `'doc'`, `r"doc"`."""
    return _ONE_LINE_STRING.fullmatch(stripped) is not None


def _docstring_end(stripped: str) -> str | None:
    """The triple quote closing a multi-line docstring on this line, if it does."""
    for quote in ('"""', "'''"):
        if stripped.endswith(quote):
            return quote
    return None


def _skip_to_docstring_start(lines: Iterator[str], quote: str, body_ws: str) -> bool:
    """Consume lines up to the docstring's opening line; False if it is not a docstring."""
    for line in lines:
        match = _DOC_OPEN.match(line.strip())
        if match and match.group(1) == quote:
            return _leading_ws(line) == body_ws
    return False


def _indent_unit(site: Site, around: str) -> str:
    """One level of indentation as this file writes it: a tab, or the smallest space step."""
    if "\t" in around:
        return "\t"
    steps = []
    for line in _lines_before(site):
        ws = _leading_ws(line)
        if ws.startswith("\t"):
            return "\t"
        if ws and line.strip():
            steps.append(len(ws))
    step = min((s for s in steps if s >= 2), default=4)
    return " " * min(step, 8)

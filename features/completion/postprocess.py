"""Post-processing: small pure filters that turn a model's raw output into what the editor shows.

`FILTERS` is the whole pipeline, in order. Each filter takes `(text, site, gate)` and returns the
text to pass on, or None to drop the completion (`DROPPED` says why, for the result). Filters work
on "\\n" line ends; the first one normalises to that and the last one restores the document's own
line ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from typehole.base import scan
from typehole.features.completion.gate import Gate
from typehole.features.completion.site import Site

__all__ = ["DROPPED", "FILTERS", "Filter", "echoes_context", "explain", "loop_start",
           "postprocess"]

Filter = Callable[[str, Site, Gate], "str | None"]

_CLOSERS = re.compile(r"[)\]}]")
# What a line may end with inside an open bracket when the bracket's contents go on below it.
_CONTINUES = "([{,"

# A unit repeated this often in a row is a loop, not code: short units need more repetitions
# (`0, 0, 0` is a list; `self.self.self.self.` is not), and two lines or more written twice over
# already are one (a block the model just wrote, again).
_LOOP_MAX_UNIT = 240
_LOOP_SHORT_UNIT = 8
_LOOP_REPEATS_SHORT = 4
_LOOP_REPEATS_LONG = 3
_LOOP_REPEATS_LINES = 2
# What a loop's first pass may end with that the cut drops (`pydantic.` of `pydantic.pydantic.`).
_LOOP_TRAILING = " \t\n.,;:=+-*/%|&@"


def postprocess(text: str, site: Site, gate: Gate, context: str = "") -> str | None:
    """Run `FILTERS` in order; None when a filter drops the completion. `context` is the
    prompt's context block (see `cut_context_echo`)."""
    return explain(text, site, gate, context)[0]


def explain(text: str, site: Site, gate: Gate, context: str = ""
            ) -> tuple[str | None, str | None]:
    """`postprocess`, and when it drops the completion the reason (`DROPPED`) why."""
    result: str = text
    emptied_by = ""  # the filter that left nothing but whitespace, when one did
    if echoes_context(text, context):
        return None, DROPPED["cut_context_echo"]
    result = cut_context_echo(result, context)
    for step in FILTERS:
        after = step(result, site, gate)
        if after is None:
            name = emptied_by or step.__name__
            return None, DROPPED.get(name, f"dropped by {name}")
        if result.strip() and not after.strip():
            emptied_by = step.__name__
        result = after
    return result, None


def echoes_context(text: str, context: str) -> bool:
    """Whether the model's first line (the first that is not blank) only writes the context
    block again (`cut_context_echo` leaves nothing of `text`): it copied the layout of the
    prompt instead of going on with the file."""
    return bool(text.strip()) and not cut_context_echo(text, context).strip()


def cut_context_echo(text: str, context: str) -> str:
    """A model that sees the context as comment blocks above the file's code may go on writing
    such blocks: cut the completion before its first line that is a comment the context block
    holds, or a block's header (`# path.py:12`, `# Path: ...`, `# ... more members`)."""
    echoes = {line.strip() for line in context.splitlines() if len(line.strip()) > 1}
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#") and (stripped in echoes or _CONTEXT_HEADER.match(stripped)):
            return "\n".join(lines[:i])
    return text


def to_lf(text: str, site: Site, gate: Gate) -> str | None:
    """Models emit "\\r\\n" or "\\n" regardless of the file; the filters below expect "\\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cut_repetition(text: str, site: Site, gate: Gate) -> str | None:
    """A model stuck in a loop (`pydantic.pydantic.pydantic.`) keeps what it wrote before the
    loop and the loop's first pass, without the separator that would start the next one."""
    start = loop_start(text)
    if start is None:
        return text
    begin, unit = start
    return text[: begin + unit].rstrip(_LOOP_TRAILING)


def collapse_repeated_name_parts(text: str, site: Site, gate: Gate) -> str | None:
    """A small model that loses its place inside a name repeats a part of it
    (`is_source_source_source`); no real name says the same word twice in a row, so the run
    becomes one part (`is_source`). Parts of three characters or more, between underscores
    (or CamelCase words repeated three times); a name the document already uses is kept."""
    def collapse(match: re.Match[str]) -> str:
        name = match.group(0)
        return name if name in site.text else _collapse_name(name)

    return _NAME.sub(collapse, text)


def start_at_cursor(text: str, site: Site, gate: Gate) -> str | None:
    """At a cursor in the indentation of an empty line, the completion starts with code: empty
    lines and spaces the model wrote first would put it on a later line or a deeper column (a
    model that sees the prefix only often writes one space too many there)."""
    if not site.line_prefix or site.line_prefix.strip() or site.line_suffix.strip():
        return text
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return text
    return "\n".join([lines[first].lstrip(" \t"), *lines[first + 1 :]])


def cut_at_line_end(text: str, site: Site, gate: Gate) -> str | None:
    """In line mode the gate promised one line: stop at the first newline."""
    if gate.mode != "line":
        return text
    return text.split("\n", 1)[0]


def cut_at_block_end(text: str, site: Site, gate: Gate) -> str | None:
    """In block mode a line indented less than the block belongs to the code after it: stop there.

    The first line continues the cursor's line, so only later lines are measured.
    """
    if gate.mode != "block":
        return text
    lines = text.split("\n")
    width = _width(gate.indent)
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() and _width(_leading_ws(line)) < width:
            return "\n".join(lines[:i])
    return text


def cut_at_next_lines(text: str, site: Site, gate: Gate) -> str | None:
    """Models often rewrite the code that follows the cursor; stop where a completion line
    reproduces the next non-empty lines of the document (two lines when there are two)."""
    if gate.mode != "block":
        return text
    following = [line.strip() for line in _lines_after_cursor(site, 20) if line.strip()][:2]
    if not following:
        return text
    lines = text.split("\n")
    for i in range(1, len(lines)):
        ahead = [line.strip() for line in lines[i:] if line.strip()][: len(following)]
        if ahead and ahead == following[: len(ahead)] and lines[i].strip():
            return "\n".join(lines[:i])
    return text


def cut_at_max_lines(text: str, site: Site, gate: Gate) -> str | None:
    """A block completion longer than the gate allows is cut at whole lines."""
    lines = text.split("\n")
    return "\n".join(lines[: max(gate.max_lines, 1)])


def strip_trailing_whitespace(text: str, site: Site, gate: Gate) -> str | None:
    """Trailing spaces and blank lines at the end are invisible noise the user would delete."""
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


def trim_suffix_overlap(text: str, site: Site, gate: Gate) -> str | None:
    """The model may also write what is already right of the cursor (`foo(x))` before `)`);
    drop that overlap, but only when doing so does not unbalance the line's brackets."""
    suffix = site.line_suffix.rstrip()
    last = text.rsplit("\n", 1)[-1]
    head = site.line_prefix if "\n" not in text else ""
    lexicon = scan.lexicon(site.language)
    before = _bracket_errors(head + last + site.line_suffix, lexicon)
    for k in range(min(len(suffix), len(last)), 0, -1):
        if not last.endswith(suffix[:k]):
            continue
        after = _bracket_errors(head + last[:-k] + site.line_suffix, lexicon)
        has_bracket = any(ch in "()[]{}" for ch in suffix[:k])
        if after < before or (after == before and not has_bracket):
            return text[:-k].rstrip() if text[:-k].strip() else text[:-k]
    return text


def balance_brackets(text: str, site: Site, gate: Gate) -> str | None:
    """Keep brackets well formed.

    A closing bracket with no opener in the completion or the cursor's statement before it (its
    line prefix, and the lines above when its brackets are still open there: `) -> R:` ends a
    signature written over several lines) would close code the user did not write: cut before
    it. An opener the completion leaves unclosed (and the line
    suffix does not close) leaves broken code: go back to the last point where the completion's
    own brackets balance (a line end in block mode). Not when a one-line completion ends with
    the opener or a comma at the line's end: Python's brackets go on over the next lines
    (`x = attr.ib(`), which is how long calls are written. Where no point balances (a signature
    cut at `max_tokens`), the text up to where it was left open (`_open_start`): what the model
    wrote never comes to nothing while a legal start of it can be kept.
    """
    lexicon = scan.lexicon(site.language)
    line, suffix = _statement_head(site, lexicon), site.line_suffix
    opened = scan.scan(line, 0, None, lexicon).depth
    text = _cut_unmatched_closer(text, line, lexicon)
    state = scan.scan(line + text, 0, None, lexicon)
    if state.depth <= opened:
        return text
    if _bracket_errors(line + text + suffix, lexicon) <= _bracket_errors(line + suffix, lexicon):
        return text  # the closers right of the cursor close what the completion opened
    if "\n" not in text and not suffix.strip() and text.rstrip()[-1:] in _CONTINUES:
        return text  # `field = attr.ib(`: the call goes on over the next lines
    cut = _last_balanced_point(text, line, opened, lexicon, gate.mode == "block")
    if not text[:cut].strip() and not suffix.strip():
        return _open_start(text, line, lexicon)
    return text[:cut].rstrip() or None


def drop_blank(text: str, site: Site, gate: Gate) -> str | None:
    """A completion of nothing but whitespace shows nothing."""
    return text if text.strip() else None


def drop_already_typed(text: str, site: Site, gate: Gate) -> str | None:
    """A completion the text right of the cursor already holds shows nothing new."""
    ahead = site.suffix[: 2 * len(text) + 2].replace("\r\n", "\n").replace("\r", "\n")
    return None if ahead.startswith(text) else text


def to_document_line_ends(text: str, site: Site, gate: Gate) -> str | None:
    """Insert text with the document's own line ends so the file does not end up mixed."""
    ending = _document_line_end(site.text)
    return text if ending == "\n" else text.replace("\n", ending)


FILTERS: list[Filter] = [
    to_lf,
    cut_repetition,
    collapse_repeated_name_parts,
    start_at_cursor,
    cut_at_line_end,
    cut_at_block_end,
    cut_at_next_lines,
    cut_at_max_lines,
    strip_trailing_whitespace,
    trim_suffix_overlap,
    balance_brackets,
    drop_blank,
    drop_already_typed,
    to_document_line_ends,
]

# Why a filter dropped a completion, or left nothing of it (by filter name), for `reason`.
DROPPED: dict[str, str] = {
    "cut_context_echo": "the model wrote the prompt's context block again",
    "cut_at_line_end": "the model ended the line before writing on it",
    "cut_at_block_end": "the model's lines belong to the enclosing block",
    "cut_at_next_lines": "the model wrote again the lines that follow the cursor",
    "trim_suffix_overlap": "the model wrote only what is right of the cursor",
    "balance_brackets": "nothing was left once the brackets were balanced",
    "drop_blank": "the model wrote nothing but whitespace on the line",
    "drop_already_typed": "the text right of the cursor already holds the completion",
}


def loop_start(text: str) -> tuple[int, int] | None:
    """Where the loop `text` ends in begins and its unit's length, or None when there is none.

    A loop is a unit of 2 to `_LOOP_MAX_UNIT` characters holding a letter (`0, 0, 0, 0` is
    data), repeated in a row at the end of `text`: 4 times when it is shorter than
    `_LOOP_SHORT_UNIT`, twice when it holds two lines of code or more, else 3 times.
    """
    n = len(text)
    for unit in range(2, min(_LOOP_MAX_UNIT, n // _LOOP_REPEATS_LINES) + 1):
        last = text[n - unit :]
        if last.count("\n") >= 2 and last.strip().count("\n") >= 1:
            repeats = _LOOP_REPEATS_LINES
        else:
            repeats = _LOOP_REPEATS_SHORT if unit < _LOOP_SHORT_UNIT else _LOOP_REPEATS_LONG
        span = unit * repeats
        if span > n or text[n - span : n - unit] != text[n - span + unit :]:
            continue
        if not any(ch.isalpha() or ch == "_" for ch in last):
            continue
        begin = n - span
        while begin > 0 and text[begin - 1] == text[begin - 1 + unit]:
            begin -= 1
        return begin, unit
    return None


# --- helpers ------------------------------------------------------------------------------------

# The headers of the context's comment blocks (`context.assemble`, `models.fim`).
_CONTEXT_HEADER = re.compile(
    r"# (?:Path: |Similar code in |Expected type at the cursor|\.\.\. more members$|"
    r"[\w./-]+\.py:\d+(?:-\d+)?(?: |$))")
_NAME = re.compile(r"(?<!\w)[A-Za-z_]\w*")
# `_part` twice or more in a row (3+ characters of a letter or digit each), or a CamelCase word
# three times or more.
_SNAKE_RUN = re.compile(r"(?<=_)([A-Za-z0-9]{3,})(?:_\1)+(?![A-Za-z0-9])")
_CAMEL_RUN = re.compile(r"([A-Z][a-z0-9]{2,})\1{2,}")


def _collapse_name(name: str) -> str:
    # The name's first part counts too: `source_source` is `_source_source` without its `_`.
    collapsed = _SNAKE_RUN.sub(r"\1", "_" + name)[1:]
    return _CAMEL_RUN.sub(r"\1", collapsed)


def _leading_ws(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(ws: str) -> int:
    return len(ws.expandtabs(8))


def _document_line_end(text: str) -> str:
    match = re.search(r"\r\n|\r|\n", text)
    return match.group(0) if match else "\n"


def _lines_after_cursor(site: Site, limit: int) -> list[str]:
    """Up to `limit` lines after the cursor's line, without line ends."""
    start = site.text.find("\n", site.offset)
    if start < 0:
        return []
    end = start + 1
    for _ in range(limit):
        nxt = site.text.find("\n", end)
        if nxt < 0:
            end = len(site.text)
            break
        end = nxt + 1
    return [line.rstrip("\r") for line in site.text[start + 1 : end].split("\n")][:limit]


def _bracket_errors(line: str, lexicon: scan.Lexicon) -> int:
    """Closing brackets of `line` that close nothing open, plus the brackets it leaves open
    (code only: strings and comments as the scanner reads them)."""
    state = scan.LexState(0, lexicon)
    strays, at = 0, 0
    for closer in _CLOSERS.finditer(line):
        state.feed_text(line, at, closer.start())
        strays += state.in_code and not state.closer_allowed(closer.group())
        at = closer.start()
    state.feed_text(line, at)
    return strays + state.depth


def _statement_head(site: Site, lexicon: scan.Lexicon) -> str:
    """The cursor's statement up to the cursor: the line prefix, and the lines above it when the
    statement began there (inside brackets still open at the cursor)."""
    line_start = len(site.prefix) - len(site.line_prefix)
    state = scan.LexState.of_prefix(site.prefix, lexicon)
    start = min(state.statement_start, line_start)
    return site.prefix[start:]


def _cut_unmatched_closer(text: str, prefix: str, lexicon: scan.Lexicon) -> str:
    """`text` up to the first closing bracket that nothing open in `prefix + text` matches."""
    stray = scan.scan(prefix + text, 0, None, lexicon, mark=len(prefix)).unmatched
    return text if stray is None else text[: stray - len(prefix)].rstrip()


def _open_start(text: str, prefix: str, lexicon: scan.Lexicon) -> str | None:
    """Where no cut of `text` balances its brackets (a signature cut at `max_tokens`, over
    several lines or on one), what the model wrote that the next lines can go on from, as a
    one-line `x = attr.ib(` is kept: the lines that end open, or else the text up to its last
    opener or comma in code (`def f(a, b=None,` of `def f(a, b=None, c`): the unfinished rest
    goes. None only when the text has no such point (it cannot start a statement that goes on).
    """
    ends = [m.start() for m in re.finditer("\n", text)
            if text[: m.start()].rstrip()[-1:] in _CONTINUES]
    if ends:
        return text[: ends[-1]].rstrip()
    whole = prefix + text
    trace: list[tuple[int, int]] = []
    scan.scan(whole, 0, None, lexicon, trace=trace)
    # A boundary in code right before an opener or comma: the character is code too.
    points = [offset + 1 - len(prefix) for offset, _depth in trace
              if len(prefix) <= offset < len(whole) and whole[offset] in _CONTINUES]
    kept = text[: points[-1]].rstrip() if points else ""
    return kept if kept.strip() else None


def _last_balanced_point(
    text: str, prefix: str, opened: int, lexicon: scan.Lexicon, line_ends_only: bool
) -> int:
    """The longest cut of `text` after which the completion has no bracket of its own open."""
    trace: list[tuple[int, int]] = []
    scan.scan(prefix + text, 0, None, lexicon, trace=trace)
    best = 0
    for offset, depth in trace:
        cut = offset - len(prefix)
        if 0 < cut < len(text) and depth <= opened:
            if not line_ends_only or text[cut] == "\n":
                best = cut
    return best

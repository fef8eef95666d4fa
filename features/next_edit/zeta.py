"""Model next edits: recent edits + an editable region that a model rewrites, in a chosen format.

The prompt shows the newest edits (kept within a budget, emitted oldest first) and the file
around the cursor with the editable region marked, laid out as the format says
(`formats.py`: Zed's Zeta and Zeta 2, Sweep's next-edit model). The model answers with the
rewritten region; it is diffed back to minimal edits. Guardrails make it stay silent rather
than guess: the answer must hold the region as the format demands (one pair of markers, or a
region that ends its last line, as a model that stopped does), the file must still parse if it
parsed before, the change must be small, and nothing the user just typed may be touched. Text
that holds one of the format's control tokens is not shown to the model at all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from typehole.base.lexer import count_tokens
from typehole.base.syntax import node_at, parse

from .formats import ZETA, EditFormat
from .records import Event, Suggestion, minimal_change
from .tokens import node_span, syntax_ok

__all__ = ["CURSOR", "END", "START", "Prompt", "build_prompt", "hopeless", "parse_back"]

START, END, CURSOR = ZETA.answer_start, ZETA.answer_end, ZETA.cursor
MAX_CHANGED_CHARS = 240
MAX_HUNKS = 3


@dataclass(frozen=True)
class Prompt:
    """The prompt text, where its editable region lies in the document, and its format."""

    text: str
    start: int
    end: int
    fmt: EditFormat = ZETA
    lead: int = 0  # characters of the excerpt shown above the region


def _diff(event: Event, path: str) -> str:
    lines = difflib.unified_diff(event.before.splitlines(keepends=True),
                                 event.after.splitlines(keepends=True), path, path, n=2)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _changed_lines(event: Event) -> tuple[str, str]:
    """The whole lines the edit touched, before and after it (no final newline)."""
    change = event.change

    def lines(text: str, lo: int, hi: int) -> str:
        start = text.rfind("\n", 0, lo) + 1
        end = text.find("\n", max(hi, lo))
        return text[start : len(text) if end < 0 else end]

    return (lines(event.before, change.start, change.end),
            lines(event.after, change.start, change.inserted_end))


def _render_edit(fmt: EditFormat, event: Event, name: str) -> tuple[str, str]:
    """The edit as the format shows it, and the user's text in it (the diff)."""
    diff = _diff(event, name)
    old, new = _changed_lines(event)
    hunks = "".join(diff.splitlines(keepends=True)[2:])
    return fmt.edit.format(path=name, diff=diff, hunks=hunks, old=old, new=new), diff


def region(text: str, cursor: int, budget: int = 350,
           count: Callable[[str], int] = count_tokens) -> tuple[int, int]:
    """The editable region: the largest syntax node around `cursor` under `budget` tokens."""
    lo = text.rfind("\n", 0, cursor) + 1
    hi = text.find("\n", cursor)
    best = (lo, len(text) if hi < 0 else hi)
    tree = parse(text)
    if tree is None:
        return best
    data = text.encode("utf-8", "surrogatepass")
    node = node_at(tree, len(text[:cursor].encode("utf-8", "surrogatepass")))
    while node is not None:
        start, end = node_span(text, data, node)
        if count(text[start:end]) > budget:
            break
        if start <= best[0] and end >= best[1]:
            best = (text.rfind("\n", 0, start) + 1, end)
        node = node.parent
    return best


def line_window(text: str, cursor: int, above: int, below: int) -> tuple[int, int]:
    """`above` lines before the cursor's line, it, and `below` lines after (no final newline)."""
    start = text.rfind("\n", 0, cursor) + 1
    for _ in range(above):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    end = text.find("\n", cursor)
    for _ in range(below):
        if end < 0:
            break
        end = text.find("\n", end + 1)
    return start, len(text) if end < 0 else end


def _around(text: str, start: int, end: int, budget: int,
            count: Callable[[str], int]) -> tuple[str, str]:
    """Whole lines before `start`, and a newline (the region's own) followed by whole lines
    after the region, each ending with a newline; each part within `budget` tokens."""
    head, tail = "", ""
    for line in reversed(text[:start].splitlines(keepends=True)):
        if count(head + line) > budget:
            break
        head = line + head
    for line in text[end:].removeprefix("\n").splitlines(keepends=True):
        if count(tail + line) > budget:
            break
        tail += line if line.endswith("\n") else line + "\n"
    return head, "\n" + tail


def _before_last_edit(text: str, start: int, end: int, last: Event | None) -> str:
    """The region `text[start:end]` as it was before `last` (unchanged when it was elsewhere)."""
    if last is None:
        return text[start:end]
    change = last.change
    if not (start <= change.start and change.inserted_end <= end):
        return text[start:end]
    removed = last.before[change.start : change.end]
    return text[start : change.start] + removed + text[change.inserted_end : end]


def build_prompt(text: str, cursor: int, events: Sequence[Event], path: str = "untitled.py",
                 edits_budget: int = 500, context_budget: int = 150,
                 count: Callable[[str], int] = count_tokens,
                 others: Sequence[tuple[str, Event]] = (), fmt: EditFormat = ZETA,
                 file_budget: int = 1000) -> Prompt | None:
    """The prompt in format `fmt` for `text` with the cursor at `cursor` after `events`
    (newest last); None when the text holds one of the format's control tokens.

    `others` are edits of other files as (path, event); with the document's own they are
    ordered by time, and the newest that fit the budget are shown.
    """
    blocks: list[str] = []
    shown = [text]  # the user's text in the prompt, which must not hold a control token
    used = 0
    edits = sorted([(e.time, 1, path, e) for e in events] + [(e.time, 0, p, e) for p, e in others],
                   key=lambda t: (t[0], t[1]))
    for _, _, name, event in reversed(edits):
        block, diff = _render_edit(fmt, event, name)
        used += count(block)
        if used > edits_budget and blocks:
            break
        blocks.append(block)
        shown.append(diff)
    if fmt.region == "lines":
        start, end = line_window(text, cursor, fmt.window, fmt.window)
    else:
        start, end = region(text, cursor)
    if end > max(start, cursor) and text[end - 1] == "\n":
        end -= 1  # the region ends its last line; the newline belongs to what follows
    head, tail = _around(text, start, end, context_budget, count)
    first = fmt.start_of_file if len(head) == start else ""
    file_block = ""
    if fmt.file_block:
        above, below = _around(text, start, end, file_budget // 2, count)
        file_block = fmt.file_block.format(
            path=path, text=(above + text[start:end] + below).rstrip("\n"))
    shown_edits = (fmt.edits_header + "".join(reversed(blocks))) if blocks else ""
    excerpt = fmt.excerpt.format(
        path=path, first=first, head=head, tail=tail,
        region=text[start:cursor] + fmt.cursor + text[cursor:end],
        original=_before_last_edit(text, start, end, events[-1] if events else None),
    )
    if any(token in part for token in fmt.control for part in shown):
        return None
    return Prompt(fmt.header + file_block + shown_edits + excerpt, start, end, fmt,
                  len(first) + len(head))


def _answer_region(fmt: EditFormat, response: str) -> str | None:
    """The rewritten region in the model's answer; None when the answer does not hold one."""
    if fmt.cursor:
        response = response.replace(fmt.cursor, "")
    if fmt.answer_start:
        if response.count(fmt.answer_start) != 1 or response.count(fmt.answer_end) != 1:
            return None
        new_region = response.split(fmt.answer_start, 1)[1].split(fmt.answer_end, 1)[0]
        return new_region.removeprefix("\n").removesuffix("\n")
    cut = min((i for i in (response.find(t) for t in fmt.control) if i >= 0),
              default=len(response))
    response = response[:cut]
    # A model that finished wrote the region and the newline before its next control token;
    # an answer cut off mid-line (out of tokens) would delete the rest of the region.
    if not response.endswith("\n"):
        return None
    return response.removesuffix("\n")


def hopeless(text: str, prompt: Prompt, partial: str) -> bool:
    """Whether an answer that begins with `partial` can no longer pass the guardrails, so the
    model may be stopped at once: the region has not begun where it should have, or what has
    been written of it already changes more than a suggestion may.

    Checked as the answer streams in; without it a model that writes something else (the
    embedded model, in every format) writes until it runs out of tokens.
    """
    fmt = prompt.fmt
    if fmt.cursor:
        partial = partial.replace(fmt.cursor, "")
    if fmt.answer_start:
        if fmt.answer_start not in partial:
            # The answer may repeat the excerpt's lines above the region first.
            return len(partial) > prompt.lead + 400
        partial = partial.split(fmt.answer_start, 1)[1].removeprefix("\n")
    else:
        cut = min((i for i in (partial.find(t) for t in fmt.control) if i >= 0),
                  default=len(partial))
        partial = partial[:cut]
    written = partial[: partial.rfind("\n") + 1]  # whole lines only: the last one may grow
    if not written:
        return False
    old_lines = text[prompt.start : prompt.end].splitlines(keepends=True)
    new_lines = written.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    ops = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if ops and ops[-1][0] == "delete" and ops[-1][2] == len(old_lines):
        ops.pop()  # the region's rest, not written yet
    changed = sum(sum(map(len, old_lines[i1:i2])) + sum(map(len, new_lines[j1:j2]))
                  for _, i1, i2, j1, j2 in ops)
    return len(ops) > MAX_HUNKS or changed > 2 * MAX_CHANGED_CHARS


def parse_back(text: str, prompt: Prompt, response: str, last: Event | None) -> list[Suggestion]:
    """Minimal edits from the model's rewritten region; empty whenever the answer is doubtful."""
    new_region = _answer_region(prompt.fmt, response)
    if new_region is None:
        return []
    old_region = text[prompt.start : prompt.end]
    if new_region == old_region:
        return []
    rewritten = text[: prompt.start] + new_region + text[prompt.end :]
    if syntax_ok(text) and not syntax_ok(rewritten):
        return []
    old_lines = old_region.splitlines(keepends=True)
    new_lines = new_region.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if len(hunks) > MAX_HUNKS:
        return []
    out: list[Suggestion] = []
    for _, i1, i2, j1, j2 in hunks:
        lo = prompt.start + sum(len(x) for x in old_lines[:i1])
        hi = lo + sum(len(x) for x in old_lines[i1:i2])
        inner = minimal_change(text[lo:hi], "".join(new_lines[j1:j2]))
        start, end = lo + inner.start, lo + inner.end
        out.append(Suggestion(start, end, inner.new_text, "model", "predicted from recent edits",
                              text[start:end], "model"))
    if sum(len(s.new_text) + s.end - s.start for s in out) > MAX_CHANGED_CHARS:
        return []
    if last is not None and any(_undoes(s, last) for s in out):
        return []
    return out


def _undoes(s: Suggestion, last: Event) -> bool:
    """Whether `s` touches the text the user's last edit wrote (or restores what it removed)."""
    lo, hi = last.change.start, last.change.inserted_end
    if s.start < hi and lo < s.end or (s.start == s.end and lo < s.start < hi):
        return True
    removed = last.before[last.change.start : last.change.end]
    # Restoring the removed text, not keeping it where the suggestion replaces text holding it
    # (wrapping `w * h` in `abs(...)` again is no undo of wrapping it once).
    return bool(removed.strip()) and removed in s.new_text and removed not in s.expected

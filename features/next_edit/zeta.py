"""Model next edits, Zeta-style: recent edits as diffs + an editable region the model rewrites.

The prompt follows Zed's Zeta: `### User Edits:` holds the newest edits as unified diffs (kept
within a budget, emitted oldest first), `### User Excerpt:` the file around the cursor with the
editable region (the largest syntax node around the cursor under a budget) between markers. The
model answers with the rewritten region; it is diffed back to minimal edits. Guardrails make it
stay silent rather than guess: the answer must keep exactly one pair of markers, the file must
still parse if it parsed before, the change must be small, and nothing the user just typed may
be touched. The embedded n-gram model almost never passes them, so with it this returns nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from typehole.base.lexer import count_tokens
from typehole.base.syntax import node_at, parse

from .records import Event, Suggestion, minimal_change
from .tokens import node_span, syntax_ok

__all__ = ["CURSOR", "END", "START", "Prompt", "build_prompt", "parse_back"]

START, END = "<|editable_region_start|>", "<|editable_region_end|>"
CURSOR, FILE_START = "<|user_cursor_is_here|>", "<|start_of_file|>"
INSTRUCTION = ("### Instruction:\nYou are a code completion assistant and your task is to analyze "
               "user edits and then rewrite an excerpt that the user provides, suggesting the "
               "appropriate edits within the excerpt, taking into account the cursor location.\n\n")
MAX_CHANGED_CHARS = 240
MAX_HUNKS = 3


@dataclass(frozen=True)
class Prompt:
    """The prompt text and where its editable region lies in the document."""

    text: str
    start: int
    end: int


def _diff(event: Event, path: str) -> str:
    lines = difflib.unified_diff(event.before.splitlines(keepends=True),
                                 event.after.splitlines(keepends=True), path, path, n=2)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


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


def build_prompt(text: str, cursor: int, events: Sequence[Event], path: str = "untitled.py",
                 edits_budget: int = 500, context_budget: int = 150,
                 count: Callable[[str], int] = count_tokens,
                 others: Sequence[tuple[str, Event]] = ()) -> Prompt:
    """The Zeta prompt for `text` with the cursor at `cursor` after `events` (newest last).

    `others` are edits of other files as (path, event); with the document's own they are
    ordered by time, and the newest that fit the budget are shown.
    """
    diffs: list[str] = []
    used = 0
    edits = sorted([(e.time, 1, path, e) for e in events] + [(e.time, 0, p, e) for p, e in others],
                   key=lambda t: (t[0], t[1]))
    for _, _, name, event in reversed(edits):
        block = f"User edited {name!r}:\n```diff\n{_diff(event, name)}```\n\n"
        used += count(block)
        if used > edits_budget and diffs:
            break
        diffs.append(block)
    start, end = region(text, cursor)
    before_lines = text[:start].splitlines(keepends=True)
    after_lines = text[end:].splitlines(keepends=True)
    head, tail = "", ""
    for line in reversed(before_lines):
        if count(head + line) > context_budget:
            break
        head = line + head
    for line in after_lines:
        if count(tail + line) > context_budget:
            break
        tail += line
    first = FILE_START + "\n" if len(head) == start else ""
    excerpt = (f"{first}{head}{START}\n{text[start:cursor]}{CURSOR}{text[cursor:end]}\n{END}"
               f"{tail}")
    body = (f"{INSTRUCTION}### User Edits:\n\n{''.join(reversed(diffs))}### User Excerpt:\n\n"
            f"```{path}\n{excerpt}\n```\n\n### Response:\n")
    return Prompt(body, start, end)


def parse_back(text: str, prompt: Prompt, response: str, last: Event | None) -> list[Suggestion]:
    """Minimal edits from the model's rewritten region; empty whenever the answer is doubtful."""
    response = response.replace(CURSOR, "")
    if response.count(START) != 1 or response.count(END) != 1:
        return []
    new_region = response.split(START, 1)[1].split(END, 1)[0]
    new_region = new_region.removeprefix("\n").removesuffix("\n")
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
    return bool(removed.strip()) and removed in s.new_text

"""Prompt assembly: fit context, prefix and suffix around the cursor into a hard token budget.

The context hook's text (cross-file definitions, similar code) may take at most `context_share`
of the budget, whole lines from its start (it comes ranked, best first). The cursor line's prefix
is always kept. Then lines are added around the cursor, `prefix_weight` lines above for each line
below (the code before the cursor predicts more than the code after it), each side stopping at
the first line that no longer fits. Code tokens are counted per line and summed; the context
is counted whole (it comes packed to its room); the final strings are counted once more and
trimmed if the tokenizer merges differently across line boundaries.

A model that sees the prefix only (no fill-in-the-middle) gets no suffix, and its code comes first:
the code above the cursor keeps what the budget gives it without any context (the code nearest
the cursor predicts the next line best: a small general model mostly copies from it). It starts
at a line whose number is a multiple of `anchor_lines`: while the user types, the first lines of
the code stay the same, so a server's prompt cache (llama.cpp `cache_prompt`) reuses everything
up to the cursor's line. The lines anchoring gives up are not wasted: with `imports` the file's
own import statements above the code come first (the way the file starts: they name what the
next line may use), and the context takes the rest, at most `context_share` (`context_room`
says how much, before the context is gathered). The context is sure of `context_reserve` of the
budget: where the code leaves less, the code gives up its farthest lines for what the context
holds, and keeps the whole budget when the context is empty. Without the same last lines found
elsewhere and what followed them, only the definitions of the names used near the cursor take
the reserve (`context_rooms` says how much is free of it): stubs of unused imports, types and
similar windows bought with code lines moved a small model's next line down as often as up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from typehole.features.completion.site import Site

__all__ = ["Prompt", "build_prompt", "context_room", "context_rooms", "import_statements"]

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class Prompt:
    """What is put in front of the model: context, then code before and after the cursor."""

    prefix: str
    suffix: str
    context: str
    tokens: int  # counted on the final strings: count(context) + count(prefix) + count(suffix)


def build_prompt(
    site: Site,
    count_tokens: CountTokens,
    budget: int,
    context: str = "",
    *,
    context_share: float = 0.4,
    prefix_weight: int = 3,
    with_suffix: bool = True,
    anchor_lines: int = 16,
    imports: bool = False,
    context_reserve: float = 0.0,
) -> Prompt:
    """Assemble the prompt for `site` within `budget` tokens (a hard cap, checked at the end).

    Without `with_suffix` (a model that reads the prefix only) the suffix is empty and the code
    comes first, as if there were no context: it starts at a line number that is a multiple of
    `anchor_lines` (unless the whole prefix fits), `imports` puts the file's import statements
    above it, and the context takes what is left, at most `context_share`.
    """
    budget = max(budget, 0)
    if not with_suffix:
        return _prefix_only(site, count_tokens, budget, context, context_share, anchor_lines,
                            imports, context_reserve)
    context_text, used = _fit_context(
        context, count_tokens, int(budget * max(0.0, min(context_share, 1.0)))
    )

    cursor_line, cursor_cost = _tail_within(site.line_prefix, count_tokens, budget - used)
    used += cursor_cost
    above: list[str] = []
    below: list[str] = []
    ups = _lines_up(site.text, site.offset - len(site.line_prefix))
    downs = _lines_down(site.text, site.offset)
    # The rest of the cursor's line comes first on the suffix side: FIM models lean on it most.
    rest = next(downs, None) if with_suffix else None
    down_open = rest is not None and used + count_tokens(rest) <= budget
    if down_open and rest is not None:
        below.append(rest)
        used += count_tokens(rest)
    up_open = True
    while up_open or down_open:
        for _ in range(max(prefix_weight, 1)):
            if not up_open:
                break
            line = next(ups, None)
            cost = count_tokens(line) if line is not None else 0
            if line is None or used + cost > budget:
                up_open = False
            else:
                above.append(line)
                used += cost
        if down_open:
            line = next(downs, None)
            cost = count_tokens(line) if line is not None else 0
            if line is None or used + cost > budget:
                down_open = False
            else:
                below.append(line)
                used += cost

    return _verify(context_text, above, cursor_line, below, count_tokens, budget)


def context_room(
    site: Site,
    count_tokens: CountTokens,
    budget: int,
    *,
    context_share: float = 0.4,
    with_suffix: bool = True,
    anchor_lines: int = 16,
    imports: bool = False,
    context_reserve: float = 0.0,
) -> int:
    """How many tokens the context may take in `build_prompt` with the same arguments: its
    share of the budget, and in a prefix-only prompt no more than what the code leaves or
    its reserve, whichever is more."""
    return context_rooms(site, count_tokens, budget, context_share=context_share,
                         with_suffix=with_suffix, anchor_lines=anchor_lines, imports=imports,
                         context_reserve=context_reserve)[0]


def context_rooms(
    site: Site,
    count_tokens: CountTokens,
    budget: int,
    *,
    context_share: float = 0.4,
    with_suffix: bool = True,
    anchor_lines: int = 16,
    imports: bool = False,
    context_reserve: float = 0.0,
) -> tuple[int, int]:
    """`context_room`, and the part of it the code does not need (without the reserve): what
    the context takes beyond that costs the code its farthest lines."""
    budget = max(budget, 0)
    share = int(budget * max(0.0, min(context_share, 1.0)))
    if with_suffix:
        return share, share
    _, _, used = _code_first(site, count_tokens, budget, anchor_lines, imports)
    return _room(budget, used, share, context_reserve), _room(budget, used, share, 0.0)


def _room(budget: int, used: int, share: int, reserve: float) -> int:
    """The context's room in a prefix-only prompt whose code costs `used` of `budget`."""
    sure = int(budget * max(0.0, min(reserve, 1.0)))
    return max(0, min(share, max(budget - used, sure)))


def _prefix_only(site: Site, count_tokens: CountTokens, budget: int, context: str,
                 context_share: float, anchor_lines: int, imports: bool,
                 context_reserve: float) -> Prompt:
    """The prompt of a prefix-only model: the code first, the context in what is left (or in
    its reserve, the code then fitted again in what the context leaves)."""
    above, cursor_line, used = _code_first(site, count_tokens, budget, anchor_lines, imports)
    share = int(budget * max(0.0, min(context_share, 1.0)))
    room = _room(budget, used, share, context_reserve)
    text, spent = _fit_context(context, count_tokens, room)
    if spent > budget - used:
        above, cursor_line, _ = _code_first(site, count_tokens, budget - spent, anchor_lines,
                                            imports)
    return _verify(text, above, cursor_line, [], count_tokens, budget)


def _code_first(site: Site, count_tokens: CountTokens, budget: int, anchor_lines: int,
                imports: bool) -> tuple[list[str], str, int]:
    """The code of a prefix-only prompt, fitted as if there were no context: the lines above
    the cursor (nearest first, anchored; the file's import statements above them last, as one
    entry, in what anchoring left), the cursor's line, and their summed cost."""
    cursor_line, used = _tail_within(site.line_prefix, count_tokens, budget)
    line_start = site.offset - len(site.line_prefix)
    above: list[str] = []
    for line in _lines_up(site.text, line_start):
        cost = count_tokens(line)
        if used + cost > budget:
            break
        above.append(line)
        used += cost
    above = _anchored(above, site.prefix.count("\n"), anchor_lines)
    used = count_tokens(cursor_line) + sum(count_tokens(line) for line in above)
    start = line_start - sum(len(line) for line in above)
    if imports and start > 0:
        head = _imports_within(import_statements(site.text[:start]), count_tokens, budget - used)
        if head:
            above.append(head)
            used += count_tokens(head)
    return above, cursor_line, used


def _imports_within(statements: list[str], count_tokens: CountTokens, budget: int) -> str:
    """The statements that fit `budget`, the file's own (relative) imports first, in file order,
    and a blank line after them (the code that follows is further down the file)."""
    room = budget - count_tokens("\n")
    chosen: set[int] = set()
    for i in sorted(range(len(statements)), key=lambda i: (not statements[i].startswith("from ."),
                                                           i)):
        cost = count_tokens(statements[i])
        if cost <= room:
            chosen.add(i)
            room -= cost
    return "".join(statements[i] for i in sorted(chosen)) + "\n" if chosen else ""


def import_statements(text: str) -> list[str]:
    """The top-level `import` and `from ... import` statements of `text`, each with its
    continuation lines (parenthesised or after a backslash), in file order."""
    lines = text.splitlines(keepends=True)
    found: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith(("import ", "from ")):
            statement = lines[i]
            depth = statement.count("(") - statement.count(")")
            while (depth > 0 or statement.rstrip().endswith("\\")) and i + 1 < len(lines):
                i += 1
                statement += lines[i]
                depth += lines[i].count("(") - lines[i].count(")")
            found.append(statement if statement.endswith("\n") else statement + "\n")
        i += 1
    return found


def _anchored(above: list[str], lines_above: int, step: int) -> list[str]:
    """`above` (nearest line first) cut so the first line kept has a number divisible by
    `step`; all of it when it reaches the file's first line."""
    first = lines_above - len(above)
    if first <= 0 or step <= 1:
        return above
    anchor = -(-first // step) * step
    return above[: max(len(above) - (anchor - first), 0)]


def _verify(
    context: str,
    above: list[str],
    cursor_line: str,
    below: list[str],
    count_tokens: CountTokens,
    budget: int,
) -> Prompt:
    """Count the final strings once; while they exceed the budget, drop the farthest lines."""
    while True:
        prefix = "".join(reversed(above)) + cursor_line
        suffix = "".join(below)
        tokens = count_tokens(context) + count_tokens(prefix) + count_tokens(suffix)
        if tokens <= budget:
            return Prompt(prefix=prefix, suffix=suffix, context=context, tokens=tokens)
        if len(above) > len(below):
            above.pop()
        elif below:
            below.pop()
        elif context:
            context = ""
        elif cursor_line:
            cursor_line = cursor_line[1:]  # a tokenizer that merges oddly: shed the far end
        else:
            return Prompt(prefix="", suffix="", context="", tokens=tokens)


def _fit_context(context: str, count_tokens: CountTokens, budget: int) -> tuple[str, int]:
    """The leading whole lines of `context` within `budget`, counted as one string, and their
    cost. The context hook packed the text to its room counted whole; counted line by line, the
    same text costs more (a count rounds up per string, tokens merge across line ends), and a
    fit line by line would cut the packed context's last lines, often its best block."""
    cost = count_tokens(context) if context else 0
    if cost <= budget:
        return context, cost
    lines = list(_lines_down(context, 0))
    lo, hi = 0, len(lines)  # the most leading lines whose text fits (`lo` always does)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_tokens("".join(lines[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    kept = "".join(lines[:lo])
    return kept, count_tokens(kept) if kept else 0


def _tail_within(text: str, count_tokens: CountTokens, budget: int) -> tuple[str, int]:
    """`text`, or its longest end that fits `budget` (binary search on the start)."""
    cost = count_tokens(text)
    if cost <= budget:
        return text, cost
    lo, hi = 0, len(text)  # find the smallest start whose tail fits
    while lo < hi:
        mid = (lo + hi) // 2
        if count_tokens(text[mid:]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    tail = text[lo:]
    return tail, count_tokens(tail) if tail else 0


def _lines_up(text: str, end: int) -> Iterator[str]:
    """Lines ending before `end` (a line start), nearest first, each with its line end."""
    while end > 0:
        start = text.rfind("\n", 0, end - 1) + 1
        yield text[start:end]
        end = start


def _lines_down(text: str, start: int) -> Iterator[str]:
    """From `start` on: the rest of that line, then each following line, with line ends."""
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end

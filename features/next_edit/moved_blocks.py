"""Moved blocks: the edit pasted a block whose old copy still stands -> delete the old copy.

`moved` finds single statements pasted before they were cut; a block moved whole (a method
taken to another place in its class, a table or a guard moved into a helper) is a run of lines
that includes block headers, returns and continuation lines, which a statement-by-statement
look cannot count as a move. Here a move is a run of at least `MIN_LINES` non-blank lines the
edit wrote that, indentation aside, reads line for line as a run elsewhere in the file, which
the file held exactly once before the edit. The run must be most of what the edit wrote
(`MIN_SHARE` of its non-blank lines): a new class that shares a few lines with old code is new
code, not a move. The suggestion deletes the old run's whole lines, and where blank lines
stand on both sides of it, the one after it too (one blank line, not two, stays between
what was around it).
"""

from __future__ import annotations

from typehole.base.positions import starts_of

from .moved import pasted_lines
from .records import Event, Suggestion

__all__ = ["moved_block_suggestions"]

MIN_LINES = 3  # non-blank lines a run needs: fewer are the `moved` engine's statements
MIN_CHARS = 60  # the run must say this much (not three `pass`/`else:` lines)
MIN_SHARE = 0.6  # of the lines the edit wrote, this share must be the moved run
MAX_INSERTED_LINES = 200
MAX_STARTS = 20  # a line found this often (`)`, `else:`) starts no run of its own


def moved_block_suggestions(event: Event) -> list[Suggestion]:
    """The old copy of a block the edit pasted elsewhere in the file."""
    if event.change.new_text.count("\n") < MIN_LINES:
        return []
    after = event.after
    first, last = pasted_lines(event)
    if last - first > MAX_INSERTED_LINES:
        return []
    lines = after.split("\n")
    keys = [line.strip() for line in lines]
    written = [k for k in keys[first : last + 1] if k]
    if len(written) < MIN_LINES:
        return []
    where: dict[str, list[int]] = {}
    wanted = set(written)
    for m, key in enumerate(keys):
        if key in wanted and not first <= m <= last:
            where.setdefault(key, []).append(m)
    best = _longest_run(keys, first, last, where)
    if best is None:
        return []
    i, m, n = best
    run = keys[i : i + n]
    if sum(1 for k in run if k) < MIN_SHARE * len(written):
        return []  # a few shared lines in new code: not a move
    core = [k for k in run if k]
    if any(_occurrences(event.before, r) != 1 for r in (run, core[1:], core[:-1])):
        return []  # the block stood twice already (or not at all): a copy, not a move
    where_it = "below" if m > last else "above"
    reason = (f"the edit on line {first + 1} pasted {n} lines that still stand here, "
              f"{where_it} it: the old copy goes")
    if 0 < m and m + n < len(keys) and not keys[m - 1] and not keys[m + n]:
        n += 1  # a block between blank lines: one of them goes with it, the other separates
    starts = starts_of(lines)
    start = starts[m]
    end = min(starts[m + n - 1] + len(lines[m + n - 1]) + 1, len(after))
    return [Suggestion(start, end, "", "moved_block", reason, after[start:end],
                       f"moved_block:{m}")]


def _longest_run(keys: list[str], first: int, last: int,
                 where: dict[str, list[int]]) -> tuple[int, int, int] | None:
    """(first written line, first line of the old copy, length) of the longest run of written
    lines read again outside the edit, trimmed of blank lines at its ends; None below
    `MIN_LINES` non-blank lines or `MIN_CHARS` characters."""
    best: tuple[int, int, int] | None = None
    for i in range(first, last + 1):
        starts = where.get(keys[i], [])
        if not keys[i] or len(starts) > MAX_STARTS:
            continue
        for m in starts:
            n = 0
            while i + n <= last and m + n < len(keys) and not first <= m + n <= last \
                    and keys[m + n] == keys[i + n]:
                n += 1
            while n and not keys[i + n - 1]:
                n -= 1
            run = [k for k in keys[i : i + n] if k]
            if len(run) >= MIN_LINES and sum(map(len, run)) >= MIN_CHARS \
                    and (best is None or n > best[2]):
                best = (i, m, n)
    return best


def _occurrences(text: str, run: list[str]) -> int:
    """How often `run` (stripped lines, blank lines skipped where `run` has none) stands in
    `text`, at most 2."""
    keys = [line.strip() for line in text.split("\n")]
    if all(run):
        keys = [k for k in keys if k]
    found = 0
    for s in range(len(keys) - len(run) + 1):
        if keys[s] == run[0] and keys[s : s + len(run)] == run:
            found += 1
            if found > 1:
                break
    return found

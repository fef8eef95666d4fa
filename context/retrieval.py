"""Cross-file retrieval in two channels (RepoFuse's rationale + analogy).

Rationale: the definitions of the cross-file symbols the code around the cursor uses, resolved
through the file's imports; symbols used closer to the cursor rank higher, and imported symbols not
used nearby follow at a lower weight (the next line often uses a name imported long ago).
Analogy: BM25 over the index's 10-line windows of other files, queried with the last lines before
the cursor (CrossCodeEval's retrieval, the baseline the rationale channel is meant to beat).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from typehole.base.syntax import language_of

from .exports import exports, masked, next_entries
from .index import MAX_SCORED_ROWS, Index
from .ranking import DEFAULT_WEIGHTS, RankingWeights
from .records import Snippet
from .resolve import FileFacts, definition_stub, resolve_name

__all__ = ["analogy", "at_line_start", "continuations", "rationale"]

_USE = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")
_LOOKBACK_LINES = 60
# Before those lines, how far back the names not used in them are looked for (about 500 lines;
# a regular expression over the whole of a large file would cost milliseconds).
_EARLIER_CHARS = 20_000
_QUERY_LINES = 10
_WORD = re.compile(r"[A-Za-z0-9_]+")
_WORD_AT_END = re.compile(r"[A-Za-z0-9_]+$")
# A single line repeated elsewhere says what comes next only when it is this long (`self,`,
# `"""`, `else:` are everywhere).
_MIN_SINGLE_LINE = 12
_MAX_LINE = 160


def rationale(index: Index, facts: FileFacts, text: str, offset: int,
              weights: RankingWeights = DEFAULT_WEIGHTS, limit: int = 64,
              max_members: int = 12) -> list[Snippet]:
    """Definitions of imported workspace symbols, ranked by how close to the cursor they're used.

    Names an `__all__` list names are exported there, not used. In an `__all__` list open at
    the cursor, the imports it does not list yet score as names used are scored, the likeliest
    next entry first (`exports.next_entries`): the next line lists one of them.
    """
    if not facts.imports:
        return []
    start = offset
    for _ in range(_LOOKBACK_LINES):
        start = text.rfind("\n", 0, start)
        if start <= 0:
            start = 0
            break
    lo = max(start - _EARLIER_CHARS, 0)
    before = text[lo:offset]
    listed = exports(before)
    before = masked(before, listed.spans)
    window, earlier = before[start - lo:], before[:start - lo]
    distance = _uses(window, facts.imports)
    if listed.open_entries is not None:
        # Listed already: the list being written names them no more (their import lines,
        # within the lines looked at in a package's `__init__`, are no use either).
        for entry in listed.open_entries:
            distance.pop(entry, None)
    scored: dict[tuple[str, int], Snippet] = {}
    for dotted, d_lines in distance.items():
        # A use far away is still worth at least an import that is not used at all.
        score = max(weights.rationale / (1 + d_lines / weights.proximity_lines),
                    weights.rationale_unused)
        _add(index, facts, dotted, score, scored,
             max_members if score > weights.rationale_unused else 0)
    imported = [alias for alias, imp in sorted(facts.imports.items(), key=lambda a: a[1].line)
                if imp.name and imp.name != "*"]
    if listed.open_entries is not None:
        # Compact stubs: the next entry names one of them, and the more fit the better.
        for rank, alias in enumerate(next_entries(listed.open_entries, imported)):
            score = max(weights.rationale / (1 + rank / weights.proximity_lines),
                        weights.rationale_unused)
            _add(index, facts, alias, score, scored, 0)
    unused = [alias for alias in imported if alias not in distance]
    # Equal scores keep this order when packed: first the names imported from a module the
    # code nearest the cursor uses (`from ._models import Request, Response`: the lines that
    # use one go on with the others), then those used last in the lines before those looked
    # at (the file goes on using them), then the others in the imports' order.
    module_distance: dict[str, int] = {}
    for dotted, d_lines in distance.items():
        module = facts.imports[dotted.split(".")[0]].module
        module_distance[module] = min(d_lines, module_distance.get(module, d_lines))
    last = _last_uses(earlier, unused)
    far = _LOOKBACK_LINES + 1
    for alias in sorted(unused, key=lambda alias: (
            module_distance.get(facts.imports[alias].module, far), -last.get(alias, -1))):
        _add(index, facts, alias, weights.rationale_unused, scored, 0)
    return sorted(scored.values(), key=lambda s: -s.score)[:limit]


def _uses(window: str, imports: Mapping[str, object]) -> dict[str, int]:
    """Lines between the latest use of each imported name in `window` and its end, by the name
    as written (`Text`, `Text.from_markup`; a class's member counts as a use of its class too:
    it resolves to no definition of its own here). One pass, counting lines as it goes."""
    lines_total = window.count("\n")
    distance: dict[str, int] = {}
    line, at = 0, 0
    for m in _USE.finditer(window):
        dotted = m.group(1)
        head = dotted.split(".")[0]
        if head not in imports:
            continue
        line += window.count("\n", at, m.start())
        at = m.start()
        distance[dotted] = distance[head] = lines_total - line
    return distance


def _last_uses(text: str, names: list[str]) -> dict[str, int]:
    """Where each of `names` last occurs in `text` as a name of its own (absent: nowhere).

    Searched from the end, name by name (`str.rfind`): most are found near it. A regular
    expression of all the names, tried at each position of the 20,000 characters, took 3.5 ms a
    request on rich's `console.py`; one of every name in the text with a set lookup, 2.5 ms;
    this 0.6 ms."""
    out: dict[str, int] = {}
    for name in names:
        end = len(text)
        while (at := text.rfind(name, 0, end)) >= 0:
            after = at + len(name)
            if not (at and (text[at - 1] == "." or _is_word(text[at - 1]))) \
                    and not (after < len(text) and _is_word(text[after])):
                out[name] = at
                break
            end = after - 1  # the next one starts before this one
    return out


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _last_lines(text: str, offset: int, count: int) -> list[str]:
    """`text[:offset].splitlines()[-count:]`, splitting only the last lines (the whole text
    before the cursor took milliseconds per request on a large file)."""
    start = offset
    for _ in range(count + 1):  # one more: a last line that is empty is no line
        start = text.rfind("\n", 0, start)
        if start < 0:
            break
    return text[start + 1:offset].splitlines()[-count:]


def _add(index: Index, facts: FileFacts, dotted: str, score: float,
         scored: dict[tuple[str, int], Snippet], members: int) -> None:
    """`dotted`'s definition at `score`, its stub showing at most `members` members. Symbols
    not used nearby get a compact stub (header and docstring line, `members` 0): many of them
    fit the budget, and the next line is as likely to use any of them."""
    d = resolve_name(index, facts, dotted)
    if d is None or d.path == facts.path:
        return
    key = (d.path, d.line)
    if key in scored and scored[key].score >= score:
        return
    stub = definition_stub(index, d, max_members=members)
    scored[key] = Snippet(d.path, d.line, d.end_line, stub, "rationale", score)


def analogy(index: Index, path: str | None, text: str, offset: int,
            weights: RankingWeights = DEFAULT_WEIGHTS, limit: int = 5,
            max_rows: int = MAX_SCORED_ROWS, notes: dict[str, str] | None = None,
            deadline: float | None = None, budget_ms: float | None = None,
            near: Sequence[str] = ()) -> list[Snippet]:
    """Windows of other files most similar (BM25) to the last lines before the cursor (but
    the word being typed at it).

    `near`: the modules next to the file's in the import graph, nearest first; their windows
    are searched first and with more of the query (`Index.window_search`).

    At most about `max_rows` windows are scored, new ones read for a share of `budget_ms` (the
    request's deadline), and nothing runs after `deadline` (`time.monotonic()`;
    `Index.window_search`); when that leaves query terms out, or no term at all fits,
    `notes["analogy"]` says so.
    """
    lines = _last_lines(text, offset, _QUERY_LINES)
    if lines and _WORD.fullmatch(text[offset - 1:offset]) \
            and (word := _WORD_AT_END.search(lines[-1])):
        # The word being typed at the cursor is no term yet: its prefix would match other words
        # (`ret` is a name somewhere), and while it is typed on, the query stays the same (the
        # search remembered: `Index.window_search`).
        lines[-1] = lines[-1][:word.start()]
    search = index.window_search("\n".join(lines), exclude_path=path, limit=limit * 3,
                                 max_rows=max_rows, deadline=deadline, budget_ms=budget_ms,
                                 near=near)
    if search.note and notes is not None:
        notes["analogy"] = search.note
    hits = search.hits
    if not hits:
        return []
    best = hits[0][4] or 1.0
    out: list[Snippet] = []
    taken: list[tuple[str, int, int]] = []
    for hit_path, start, end, chunk, score in hits:
        # Windows overlap (stride 5): keep one of each overlapping pair, the better one.
        if any(p == hit_path and s <= end and start <= e for p, s, e in taken):
            continue
        taken.append((hit_path, start, end))
        out.append(Snippet(hit_path, start, end, chunk, "analogy",
                           weights.analogy * score / best))
        if len(out) >= limit:
            break
    return out


def continuations(index: Index, path: str | None, text: str, offset: int,
                  weights: RankingWeights = DEFAULT_WEIGHTS, limit: int = 2, after: int = 2,
                  max_windows: int = 60) -> list[Snippet]:
    """Other places where the last lines before the cursor occur again, with the lines that
    follow them there: what the code went on with after the same lines (the file's own code,
    before or after the cursor, and the other files' windows).

    The longest run of the last lines (3, 2, then 1 long line; blank lines ignored) that occurs
    elsewhere decides; at the cursor's start of a line only. At most `limit` snippets, each the
    matching lines and `after` lines that follow, one per continuation, the continuation found
    most often first (then the file's own, then nearest the cursor).

    The cursor's column says where the next line starts against the last line (the same block,
    a block opened, or one closed): a next line indented otherwise against the matched lines
    continues another kind of code (`self.name = name` in `__init__`'s body where the cursor
    has left it for the class body), and is not shown. Where the matched lines start at the
    column of the cursor's own last line, the snippet's `next_line` is the line that followed
    them (it starts at the cursor's column). Only files of the cursor's language are searched:
    a README's code block goes on with a fence or prose, not code.
    """
    if not at_line_start(text, offset):
        return []
    line_start = text.rfind("\n", 0, offset) + 1
    before = [line for line in _last_lines(text, line_start, _QUERY_LINES) if line.strip()]
    last = [line.strip() for line in before]
    step = _width(text[line_start:offset]) - _width(_indent(before[-1])) if before else 0
    cursor_line = text.count("\n", 0, line_start)  # 0-based
    own = text.splitlines()
    mine = next((i for i in range(cursor_line - 1, -1, -1) if own[i].strip()), -1)
    language = language_of(path or "")
    column = _indent(before[-1]) if before else ""
    for k in (3, 2, 1):
        if len(last) < k or (k == 1 and len(last[-1]) < _MIN_SINGLE_LINE):
            continue
        key = last[-k:]
        sources = [(path or "", own, 0)]
        sources += [(p, chunk.splitlines(), start - 1) for p, start, _, chunk in
                    index.phrase_windows(_WORD.findall(" ".join(key)), path, max_windows)
                    if language_of(p) == language]
        by_next: dict[str, list[tuple[int, Snippet]]] = {}
        seen: set[tuple[str, int]] = set()  # windows overlap: a run is counted once
        for where, lines, first in sources:
            for i, end in _runs(lines, key):
                line = first + i  # 0-based line of the run's first line in its file
                if (lines is own and end == mine) or (where, line) in seen:
                    continue  # the lines right before the cursor themselves, or seen
                nxt = next((j for j in range(end + 1, len(lines)) if lines[j].strip()), None)
                if nxt is None:
                    continue  # what follows is outside this window (another one has it)
                if _width(_indent(lines[nxt])) - _width(_indent(lines[end])) != step:
                    continue  # the next line there starts where the cursor's does not
                seen.add((where, line))
                follow = lines[nxt:nxt + after]
                shown = [line for line in lines[i:nxt + after] if len(line) <= _MAX_LINE]
                if len(shown) < len(lines[i:nxt + 1]):
                    continue  # a long line (data, prose) is no line of code to go on with
                shown = shown[: nxt + 1 - i] + [x for x in follow[1:] if len(x) <= _MAX_LINE]
                distance = abs(cursor_line - line) if lines is own else 10**6
                next_line = follow[0].strip() if _indent(lines[end]) == column else None
                by_next.setdefault(follow[0].strip(), []).append((distance, Snippet(
                    where, line + 1, line + len(shown), "\n".join(shown), "continuation",
                    weights.continuation, next_line)))
        if by_next:
            ranked = sorted(by_next.values(),
                            key=lambda found: (-len(found), min(f[0] for f in found)))
            return [min(found, key=lambda f: f[0])[1] for found in ranked[:limit]]
    return []


def at_line_start(text: str, offset: int) -> bool:
    """Whether only indentation precedes `offset` on its line (where a next line starts)."""
    return not text[text.rfind("\n", 0, offset) + 1:offset].strip()


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(indent: str) -> int:
    return len(indent.expandtabs(8))


def _runs(lines: list[str], key: list[str]) -> list[tuple[int, int]]:
    """(first, last) line indices of each place `key`'s lines occur in `lines` in a row, blank
    lines between them ignored."""
    out: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if line.strip() != key[0]:
            continue
        j, matched = i, 1
        while matched < len(key):
            j += 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j >= len(lines) or lines[j].strip() != key[matched]:
                break
            matched += 1
        if matched == len(key):
            out.append((i, j))
    return out

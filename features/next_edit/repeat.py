"""Repeated edits: the last edit generalised as a token rewrite and offered where it matches again.

In the spirit of IntelliCode's Blue-Pencil, the edit's before and after lines are anti-unified at
the token level: the common prefix and suffix are dropped, one token of context is kept on each
side (or the line's start or end as the anchor), and identifiers that the edit carried over from
the old tokens into the new ones become holes, so `print x` -> `print(x)` also rewrites `print y`.
To stay precise from one example, a swap of one token for another must match a whole line, and
a pattern that matches too many sites is too general to be a repetition, so it offers nothing.
The rewrite is offered forward, at the lines after the edited one: edits follow reading order,
and on real commits (`typehole bench next-edit --git`) a matching line above the edit that
the user had passed was left as it was every time (0 of 12 top suggestions there landed).
Prose is not a pattern: an edit inside a comment or a docstring repeats nothing. A number the
edit carried over is a hole as a name is (`x >= 400 and` -> `400 <=`), and a call replaced by
a name (`cell_len(chars)` -> `chars_len`) is replaced wherever it stands in the definition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from typehole.base.lexer import lex
from typehole.base.positions import byte_offset

from .records import Event, Suggestion
from .tokens import KEYWORDS, Token, is_identifier, significant
from .trees import parse

__all__ = ["Rule", "repeat_suggestions", "rule_of"]

MAX_SITES = 25
MAX_EDIT_CHARS = 300


@dataclass(frozen=True)
class Rule:
    """`left + deleted + right` becomes `left + template + right` (holes are identifiers)."""

    left: tuple[str, ...]
    deleted: tuple[str, ...]
    right: tuple[str, ...]
    template: str  # the new text between the context tokens, whitespace included
    holes: frozenset[str]
    line_start: bool  # `left` is empty because the pattern starts its line
    line_end: bool
    shown: str = ""  # the edited text before, for the reason
    local: bool = False  # offered only in the edit's own top-level definition


def _line(text: str, start: int, end: int) -> tuple[int, int]:
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return lo, len(text) if hi < 0 else hi


def rule_of(event: Event, in_context: bool = True) -> tuple[Rule, int] | None:
    """The rewrite rule the edit follows and the offset of its line in `after` (None: no rule).

    `in_context=False`: a swap of one name is never matched in context, only as the whole line.
    """
    change = event.change
    if max(len(change.new_text), change.end - change.start) > MAX_EDIT_CHARS:
        return None
    b_lo, b_hi = _line(event.before, change.start, change.end)
    a_lo, a_hi = _line(event.after, change.start, change.inserted_end)
    if "\n" in event.before[b_lo:b_hi] or "\n" in event.after[a_lo:a_hi]:
        return None
    if event.before[b_lo:b_hi].lstrip().startswith("#"):
        return None  # a comment's words are prose, not a code pattern to repeat
    b, a = significant(event.before, b_lo, b_hi), significant(event.after, a_lo, a_hi)
    p = 0
    while p < min(len(a), len(b)) and a[p].text == b[p].text:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[-1 - s].text == b[-1 - s].text:
        s += 1
    deleted, inserted = b[p : len(b) - s], a[p : len(a) - s]
    if not deleted and not inserted:
        return None
    if deleted and all(t.text in KEYWORDS for t in deleted):
        return None  # structure rewritten (`try` -> `if ...`): it would match every `try:`
    if _named(deleted, inserted, b, p):
        # A call the edit replaced by a name (`cell_len(chars)` -> `chars_len`): the same call
        # elsewhere in the definition is the same value, whatever surrounds it.
        return Rule((), tuple(t.text for t in deleted), (), inserted[0].text, frozenset(),
                    False, False, event.before[deleted[0].start : deleted[-1].end],
                    True), a_lo
    swap = len(deleted) <= 1 and len(inserted) <= 1
    value_swap = swap and any(_value(t) for t in [*deleted, *inserted])
    local = value_swap and in_context and _specific(b, p, deleted)
    if value_swap and not local:
        p, s = 0, 0  # one name or literal for another: only an identical line is the same edit
        deleted, inserted = b, a
    width = 1 if deleted else 2
    # A pure insertion has nothing of its own to match: its whole line up to the insertion
    # point must match (`show_default: bool` gets `| str`, not every `: bool`).
    left_from = max(p - width, 0) if deleted else 0
    left, right = b[left_from:p], b[len(b) - s : len(b) - s + width]
    a_left, a_right = a[left_from:p], a[len(a) - s : len(a) - s + width]
    lo = a_left[-1].end if a_left else (inserted[0].start if inserted else a_lo)
    hi = a_right[0].start if a_right else (inserted[-1].end if inserted else a_hi)
    carried = {t.text for t in inserted if t.is_name or _number(t.text)}
    holes: set[str] = set()
    if not value_swap:
        # (a number carried over is an operand as a name is: `x >= 400` -> `400 <= x`)
        holes = {t.text for k, t in enumerate(deleted) if (t.is_name or _number(t.text))
                 and t.text in carried and not _member(deleted, k)}
    if swap and not value_swap:  # an operator swap (`==` -> `is`): its operands vary
        holes |= {t.text for t in [*left, *right] if t.is_name}
    if not any(_informative(t) for t in [*left, *deleted, *right] if t.text not in holes):
        return None
    rule = Rule(tuple(t.text for t in left), tuple(t.text for t in deleted),
                tuple(t.text for t in right), event.after[lo:hi], frozenset(holes),
                left_from == 0, len(right) < width,
                event.before[deleted[0].start : deleted[-1].end] if deleted else "",
                bool(holes) or local)
    return rule, a_lo


def _in_docstring(text: str, offset: int) -> bool:
    """Whether `offset` lies inside a string that stands as a statement of its own (a docstring
    or a string used as a block comment) and spans lines."""
    if '"""' not in text and "'''" not in text:
        return False
    tree = parse(text)
    if tree is None:
        return False
    at = byte_offset(text, offset)
    node = tree.root_node.descendant_for_byte_range(at, at)
    while node is not None and node.type not in ("string", "concatenated_string"):
        if node.type in ("block", "module", "function_definition", "class_definition"):
            return False
        node = node.parent
    if node is None or node.start_point[0] == node.end_point[0]:
        return False
    parent = node.parent
    return parent is not None and parent.type == "expression_statement" \
        and parent.named_child_count == 1


def _named(deleted: list[Token], inserted: list[Token], line: list[Token], p: int) -> bool:
    """Whether the edit replaced a whole call `f(args)` (not a method's) by one name."""
    if len(inserted) != 1 or not inserted[0].is_name or len(deleted) < 4 \
            or not deleted[0].is_name or deleted[1].text != "(" or deleted[-1].text != ")" \
            or p > 0 and line[p - 1].text == ".":
        return False
    depth = 0
    for k, t in enumerate(deleted[1:], 1):
        depth += (t.text in "([{") - (t.text in ")]}")
        if depth == 0 and k < len(deleted) - 1:
            return False  # `f(a) + g(b)`: not one call
    return depth == 0 and inserted[0].text not in {t.text for t in deleted}


def _specific(line: list[Token], p: int, deleted: list[Token]) -> bool:
    """Whether a swapped name is specific enough to be swapped again wherever it stands in the
    same context: an attribute (`.getlist`) or a capitalised name (`PendingDeprecationWarning`,
    `Sequence`), which are API names, not one of the function's own variables."""
    if len(deleted) != 1 or not deleted[0].is_name or len(deleted[0].text) < 4:
        return False
    return (p > 0 and line[p - 1].text == ".") or deleted[0].text[0].isupper()


def _number(text: str) -> bool:
    return text[:1].isdigit()


def _value(token: Token) -> bool:
    return token.is_name or token.text[0] in "\"'" or token.text[0].isdigit()


def _member(tokens: list[Token], k: int) -> bool:
    """`.name`: an attribute, part of an API, not a variable the edit moved."""
    return k > 0 and tokens[k - 1].text == "."


def _informative(token: Token) -> bool:
    """A token specific enough to anchor a pattern: a name, a literal or a long operator."""
    return token.is_name or token.text[0] in "\"'" or token.text[0].isdigit() or len(token.text) > 1


def repeat_suggestions(event: Event) -> list[Suggestion]:
    """The edit's rule applied at the other lines of the file where it matches."""
    if _in_docstring(event.after, event.change.start):
        return []  # a docstring's words are prose, as a comment's are
    found = rule_of(event)
    if found is None:
        return block_suggestions(event)
    out = _sites(*found, event.after)
    if found[0].local and not found[0].holes:
        # A swapped API name: in context within its definition, and as the identical line
        # anywhere (as any other swap).
        whole = rule_of(event, in_context=False)
        if whole is not None:
            taken = {s.start for s in out}
            out += [s for s in _sites(*whole, event.after) if s.start not in taken]
    return out if len(out) <= MAX_SITES else []


def _sites(rule: Rule, edited_line: int, text: str) -> list[Suggestion]:
    """The lines after the edited one where `rule` matches, rewritten."""
    pattern = [*rule.left, *rule.deleted, *rule.right]
    number = text.count("\n", 0, edited_line) + 1
    shown = rule.shown or "(nothing)"
    reason = f"repeats the edit on line {number}: `{shown}` -> `{rule.template.strip()}`"
    group = f"repeat:{number}:{shown}"
    out: list[Suggestion] = []
    offset = 0
    # A rule with holes, or a swapped name matched in context, generalises from one example:
    # only the top-level definition the edit is in (a function, a class) surely shares it.
    limit = _top_level_end(text, edited_line) if rule.local else len(text)
    # A line without the pattern's longest fixed token cannot match: skip it unlexed.
    needle = max((t for t in pattern if t not in rule.holes), key=len, default="")
    for line in text.splitlines(keepends=True):
        start = offset
        offset += len(line)
        if start <= edited_line:
            continue  # forward only: a site the user passed over unchanged stays unchanged
        if start >= limit:
            break
        if needle not in line:
            continue
        tokens = significant(text, start, start + len(line.rstrip("\r\n")))
        for i in range(len(tokens) - len(pattern) + 1):
            site = _match(rule, tokens, i, pattern)
            if site is not None and text[site.start : site.end] != site.new_text:
                out.append(replace(site, reason=reason, expected=text[site.start : site.end],
                                   group=group))
                if len(out) > MAX_SITES:
                    return []
                break
    return out


def _top_level_end(text: str, at: int) -> int:
    """Where the top-level statement holding offset `at` ends: the next line that starts at
    column 0 with code (not a comment, a decorator's definition or a closing bracket)."""
    offset = text.find("\n", at)
    while offset >= 0:
        start = offset + 1
        if start < len(text) and text[start] not in " \t\r\n#)]}":
            return start
        offset = text.find("\n", start)
    return len(text)


def _match(rule: Rule, tokens: list[Token], i: int, pattern: list[str]) -> Suggestion | None:
    if rule.line_start and i != 0 or rule.line_end and i + len(pattern) != len(tokens):
        return None
    if not rule.left and not rule.line_start and i > 0 and tokens[i - 1].text == ".":
        return None  # a named call matched alone: not another object's method
    binding: dict[str, str] = {}
    for k, want in enumerate(pattern):
        got = tokens[i + k].text
        if want in rule.holes:
            kind = is_identifier if is_identifier(want) else _number
            if not kind(got) or binding.setdefault(want, got) != got:
                return None
        elif got != want:
            return None
    n_left, n_del = len(rule.left), len(rule.deleted)
    site = tokens[i : i + len(pattern)]
    lo = site[n_left - 1].end if n_left else site[0].start
    hi = site[n_left + n_del].start if rule.right else site[n_left + n_del - 1].end
    new_text = "".join(binding.get(t, t) for t in lex(rule.template))
    return Suggestion(lo, hi, new_text, "repeat", "")


MAX_BLOCK_LINES = 8
MAX_BLOCK_SITES = 8
MIN_ANCHOR_CHARS = 12  # a block or its anchor lines must say this much to be matched on


def block_suggestions(event: Event) -> list[Suggestion]:
    """Whole lines the edit replaced, inserted or deleted, done again further on.

    The edit is taken line by line: the lines it replaced (`old`, maybe none) and the lines it
    wrote (`new`, maybe none), common lines trimmed. Where `old` is not empty, each later run
    of lines that reads the same (indentation aside) gets `new`, re-indented to the site; where
    it is empty (lines inserted), each later pair of adjacent lines that reads like the lines
    around the insertion gets it between them. Short or blank patterns match too much to mean
    a repetition, so they offer nothing.
    """
    change = event.change
    if max(len(change.new_text), change.end - change.start) > 2 * MAX_EDIT_CHARS:
        return []
    before, after = event.before.splitlines(keepends=True), event.after.splitlines(keepends=True)
    b0, b1 = event.before.count("\n", 0, change.start), event.before.count("\n", 0, change.end)
    a0, a1 = event.after.count("\n", 0, change.start), \
        event.after.count("\n", 0, change.inserted_end)
    old, new = before[b0 : b1 + 1], after[a0 : a1 + 1]
    while old and new and old[0] == new[0]:
        old, new, a0 = old[1:], new[1:], a0 + 1
    while old and new and old[-1] == new[-1]:
        old, new = old[:-1], new[:-1]
    a_end = a0 + len(new)  # the written lines are after[a0:a_end]
    if not old and not new or max(len(old), len(new)) > MAX_BLOCK_LINES:
        return []
    if not all(line.endswith("\n") for line in [*old, *new]):
        return []  # the file's last line: no line structure to repeat
    if old:
        key = [line.strip() for line in old]
        if sum(len(k) for k in key) < MIN_ANCHOR_CHARS or key == [x.strip() for x in new]:
            return []
        if len(old) == 1 and len(new) > 2:
            return []  # one line grown into a block: a one-off rewrite more than a pattern
        if all(k.startswith("#") for k in key if k):
            return []  # a comment reworded: prose, not a code pattern
        sites = _runs(after, a_end, key)
        template, shown = old, " / ".join(k for k in key if k)
    else:
        if a0 == 0 or a_end >= len(after):
            return []
        above, below = after[a0 - 1].strip(), after[a_end].strip()
        if max(len(above), len(below)) < MIN_ANCHOR_CHARS or not above or not below:
            return []
        sites = [(i, i) for i, _ in _runs(after, a_end + 1, [above, below])
                 if not _already(after, i + 1, new)]
        sites = [(i + 1, i + 1) for i, _ in sites]
        template, shown = [after[a0 - 1]], "(new lines)"
    if not sites or len(sites) > MAX_BLOCK_SITES:
        return []
    offsets = [0]
    for line in after:
        offsets.append(offsets[-1] + len(line))
    text = event.after
    number = a0 + 1
    reason = f"repeats the edit on line {number}: `{shown}` -> " \
             f"`{' / '.join(x.strip() for x in new) or '(nothing)'}`"
    group = f"repeat:{number}:{shown}"
    out = []
    for lo, hi in sites:
        shift = _indent(after[lo]) if lo < len(after) else ""
        written = _reindent(new, _indent(template[0]), shift if old else _indent(after[lo - 1]))
        start, end = offsets[lo], offsets[hi]
        out.append(Suggestion(start, end, written, "repeat", reason, text[start:end], group))
    return out


def _runs(lines: list[str], start: int, key: list[str]) -> list[tuple[int, int]]:
    """(first, past last) line of each run from `start` on whose stripped lines equal `key`."""
    out = []
    i = start
    while i + len(key) <= len(lines):
        if all(lines[i + k].strip() == key[k] for k in range(len(key))):
            out.append((i, i + len(key)))
            i += len(key)
        else:
            i += 1
    return out


def _already(lines: list[str], at: int, new: list[str]) -> bool:
    """Whether the lines from `at` already read as `new` (the insertion is done there)."""
    return [x.strip() for x in lines[at : at + len(new)]] == [x.strip() for x in new]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _reindent(lines: list[str], was: str, now: str) -> str:
    """`lines` moved from indentation `was` to `now` (lines indented less are left as they are)."""
    out = []
    for line in lines:
        if line.strip() and line.startswith(was):
            line = now + line[len(was) :]
        out.append(line)
    return "".join(out)

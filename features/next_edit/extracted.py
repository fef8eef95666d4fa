"""An extracted value: the edit named an expression (`x = expr`) that the code after it still
spells out -> those copies become the name.

Introducing a variable for an expression is half of a refactoring whose other half is
replacing the expression where it recurs. When the edit wrote an assignment of a single name
whose value is specific (an attribute chain, a call, a subscript, an operation, or a string of
some length: not a bare name or number), each later copy of the same expression text in the
function that assigns it is offered the name. A module-level name is left alone: it is more
often introduced for code still to come (jinja's `concat = u''.join` left the copies as they
were). Not a copy that is itself assigned to (`expr = ...`), one inside a string or comment, or
one that is part of a longer name; nothing when the name is assigned again in that scope
outside the edit (a variable that changes is not a stand-in for the expression; one normalised
where it is named, `if x is None: x = default`, still is).
"""

from __future__ import annotations

import re
from typing import Any

from .records import Event, Suggestion
from .tokens import is_identifier, node_span, nodes_under, text_of
from .trees import parse_written

__all__ = ["assigned_to", "extracted_suggestions", "quiet", "scope_of"]

MAX_SITES = 8  # more copies than this: a pattern of the code, not one refactoring
MAX_VALUE_CHARS = 200
MIN_STRING_CHARS = 8  # quotes included: `"utf-8"` is a word, not a constant worth naming
_SPECIFIC = ("attribute", "call", "subscript", "binary_operator", "boolean_operator",
             "comparison_operator", "conditional_expression", "string", "unary_operator")
_QUIET = ("string", "comment", "string_content")


def extracted_suggestions(event: Event) -> list[Suggestion]:
    """The copies, after the new assignment, of the expression the edit gave a name."""
    change = event.change
    if "=" not in change.new_text:
        return []  # no assignment typed: nothing is parsed
    text = event.after
    parsed = parse_written(text, change.start, change.inserted_end)
    if parsed is None:
        return []
    tree, data, b_lo, b_hi = parsed
    out: list[Suggestion] = []
    typed = (change.start, change.inserted_end)
    for node in _assignments(tree, b_lo, b_hi):
        out.extend(_copies(text, data, node, typed))
    return out


def _assignments(tree: Any, b_lo: int, b_hi: int) -> list[Any]:
    """`name = value` statements the edit's bytes `[b_lo, b_hi)` wrote (wholly or in part)."""
    node = tree.root_node.descendant_for_byte_range(b_lo, max(b_hi - 1, b_lo))
    while node is not None and node.type not in ("block", "module"):
        node = node.parent
    if node is None:
        return []
    out = []
    for statement in node.named_children:
        if statement.end_byte <= b_lo or statement.start_byte >= b_hi:
            continue
        for a in nodes_under(statement, "assignment"):
            left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
            if left is None or right is None or left.type != "identifier" \
                    or a.parent is None or a.parent.type != "expression_statement":
                continue
            if right.start_byte < b_hi and right.end_byte > b_lo:
                out.append(a)  # the edit wrote (part of) the value, not just the name
    return out


def _specific(value: Any) -> bool:
    source = text_of(value)
    if "\n" in source or len(source) > MAX_VALUE_CHARS or value.type not in _SPECIFIC:
        return False
    if value.type == "string":
        return len(source) >= MIN_STRING_CHARS and not any(
            c.type == "interpolation" for c in value.named_children)
    return value.type != "call" or _pure_call(source)


def _pure_call(source: str) -> bool:
    """A call whose repetition is a copy of one value, not a fresh one each time: not a
    constructor or a reader (`Foo()`, `next(it)`, `f.read()`), judged by name."""
    callee = source.split("(", 1)[0].rsplit(".", 1)[-1]
    return not callee[:1].isupper() and callee not in (
        "next", "read", "readline", "pop", "popleft", "time", "monotonic", "perf_counter",
        "random", "uuid4", "input", "open", "iter", "object", "list", "dict", "set")


def _copies(text: str, data: bytes, assignment: Any,
            typed: tuple[int, int]) -> list[Suggestion]:
    name_node = assignment.child_by_field_name("left")
    value = assignment.child_by_field_name("right")
    name = text_of(name_node)
    if not is_identifier(name) or not _specific(value):
        return []
    source = text_of(value)
    scope = scope_of(assignment)
    if scope is None or scope.type == "module":
        # A module-level name is more often introduced for code still to come than for the
        # copies already there (on real commits they were left as they were).
        return []
    s_lo, s_hi = node_span(text, data, scope)
    _, a_end = node_span(text, data, assignment)
    lo = a_end  # a local stands for its value only after it is set
    # Bound again outside what the edit typed (where a value is normalised right after it is
    # named: `x = f()` then `if x is None: x = default`), it is a variable, not the value.
    n = re.escape(name)
    rebound = re.compile(rf"^[ \t]*(?P<n>{n})[ \t]*(?::[^=\n]*)?(?:[-+*/%&|^@]|//|\*\*|<<|>>)?"
                         rf"=(?!=)|\bfor[ \t]+(?P<f>{n})\b|\bas[ \t]+(?P<a>{n})\b|"
                         rf"\b(?P<w>{n})[ \t]*:=", re.MULTILINE)
    if any(not typed[0] <= m.start(m.lastgroup or 0) < typed[1]
           for m in rebound.finditer(text, s_lo, s_hi)):
        return []
    a_lo, _ = node_span(text, data, assignment)
    pattern = re.compile(rf"(?<![\w.]){re.escape(source)}(?!\w)")
    sites = []
    for m in pattern.finditer(text, lo, s_hi):
        if a_lo <= m.start() < a_end or assigned_to(text, m.end()) \
                or quiet(text, m.start(), m.end()):
            continue
        sites.append((m.start(), m.end()))
    if not sites or len(sites) > MAX_SITES:
        return []
    line = text.count("\n", 0, a_lo) + 1
    reason = f"`{name}` holds `{source}` since line {line}; this spells the value out again"
    return [Suggestion(s, e, name, "extract", reason, source, f"extract:{name}")
            for s, e in sites]


def scope_of(node: Any) -> Any | None:
    """The function the assignment is in, else the module; None in a class body (a class
    attribute is not visible by its bare name in the methods)."""
    up = node.parent
    while up is not None and up.type not in ("function_definition", "class_definition"):
        up = up.parent
    if up is None:
        up = node
        while up.parent is not None:
            up = up.parent
        return up
    return up if up.type == "function_definition" else None


def assigned_to(text: str, end: int) -> bool:
    """Whether the copy ending at `end` is an assignment's target (`expr = ...`, `expr += 1`)."""
    rest = text[end : end + 4].lstrip(" \t")
    return re.match(r"(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)", rest) is not None


def quiet(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` lies in a comment or inside a longer string (prose or data,
    not code), as tree-sitter parses it."""
    parsed = parse_written(text, start, end)
    if parsed is None:
        return True
    tree, _, b_lo, b_hi = parsed
    node = tree.root_node.descendant_for_byte_range(b_lo, max(b_hi - 1, b_lo))
    while node is not None:
        if node.type == "comment" or node.type in _QUIET and (
                node.start_byte < b_lo or node.end_byte > b_hi):
            return True
        node = node.parent
    return False

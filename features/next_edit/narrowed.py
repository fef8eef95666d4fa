"""Narrowed annotations: the check of a parameter for a type its annotation no longer admits.

When the edit narrows a parameter's annotation (`x: int | None` -> `x: int`, `Optional[T]` ->
`T`, `str | bytes` -> `str`), the function's checks of that parameter for what was taken out
are dead: `if x is None:` can no longer be true, `if isinstance(x, bytes):` neither, and
`if x is not None:` is always true. The next edit deletes them:

- an `if` whose test is the dead check, with no `elif`: its `else` branch (or nothing) takes
  its place, dedented to the `if`'s column;
- an `if` whose test is always true: its body takes its place, dedented;
- `assert x is not None` (always true): deleted;
- a conditional expression on the dead check: the branch it always takes, in its place (and
  without the brackets around it where the line then fits);
- a dead check anywhere else (inside `and`/`or`, an `elif`): its statement is where the next
  edit goes (location only).

Only where the body never binds the parameter again outside those checks (a parameter
reassigned may hold the old type again); the checks of `*args`/`**kwargs` are left alone.
"""

from __future__ import annotations

import ast
import re

from .pyast import Function, arguments, edited_function, in_header
from .records import Event, Suggestion

__all__ = ["narrowed_suggestions"]

MAX_CHARS = 400_000  # a larger file is generated, not edited by hand
MAX_LINE = 88  # a conditional's brackets are dropped where the line then fits (Black's width)
_HINTS = ("None", "Optional", "Union", "|", ",")  # what a narrowed annotation loses
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def narrowed_suggestions(event: Event) -> list[Suggestion]:
    """The checks the edit's narrowed annotations left dead, deleted."""
    text, change = event.after, event.change
    removed = event.before[change.start : change.end]
    if change.end == change.start or len(text) > MAX_CHARS \
            or not any(h in removed for h in _HINTS) or not in_header(text, change.start):
        return []  # checked without parsing: the edit took no type out of a parameter's
    edited = edited_function(text, event.before, change.start, change.inserted_end)
    if edited is None:
        return []
    fn, old, offsets = edited.after, edited.before, edited.offsets
    was = {a.arg: a.annotation for a in arguments(old)}
    out: list[Suggestion] = []
    for arg in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
        gone = _taken_out(was.get(arg.arg), arg.annotation)
        if gone and not _rebound(fn, arg.arg, gone):
            out.extend(_dead_checks(text, offsets, fn, arg.arg, gone))
    return out


def _members(annotation: ast.expr | None) -> set[str] | None:
    """The types a union annotation admits, as written (`None` for None); None where it is
    not written out (none, a string)."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, right = _members(annotation.left), _members(annotation.right)
        return None if left is None or right is None else left | right
    if isinstance(annotation, ast.Subscript):
        head = annotation.value
        name = head.attr if isinstance(head, ast.Attribute) else \
            head.id if isinstance(head, ast.Name) else ""
        inner = annotation.slice
        if name == "Optional":
            members = _members(inner)
            return None if members is None else members | {"None"}
        if name == "Union":
            out: set[str] = set()
            for element in inner.elts if isinstance(inner, ast.Tuple) else [inner]:
                members = _members(element)
                if members is None:
                    return None
                out |= members
            return out
    if isinstance(annotation, ast.Constant):
        if annotation.value is None:
            return {"None"}
        if isinstance(annotation.value, str):
            return None
    return {ast.unparse(annotation)}


def _taken_out(before: ast.expr | None, after: ast.expr | None) -> set[str]:
    """What the annotation admitted before and not after, where it only narrowed."""
    old, new = _members(before), _members(after)
    if old is None or new is None or not new < old:
        return set()
    return old - new


def _rebound(fn: Function, name: str, gone: set[str]) -> bool:
    """Whether the body binds `name` again anywhere but in the body of a check for what was
    taken out (`if x is None: x = default` is the check itself); nested functions and classes
    bind their own names."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id == name and \
                isinstance(node.ctx, ast.Store | ast.Del):
            return True
        if isinstance(node, _NESTED):
            if getattr(node, "name", None) == name:
                return True
            continue
        if isinstance(node, ast.If) and _check(node.test, name, gone) is True:
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _check(test: ast.expr, name: str, gone: set[str]) -> bool | None:
    """True where `test` is a check of `name` for a type taken out (now always false), False
    where it is its negation (now always true), None where it is neither."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _check(test.operand, name, gone)
        return None if inner is None else not inner
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and "None" in gone:
        left, right = test.left, test.comparators[0]
        if isinstance(left, ast.Constant) and left.value is None:
            left, right = right, left
        if isinstance(left, ast.Name) and left.id == name and isinstance(right, ast.Constant) \
                and right.value is None:
            op = test.ops[0]
            if isinstance(op, ast.Is | ast.Eq):
                return True
            if isinstance(op, ast.IsNot | ast.NotEq):
                return False
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) \
            and test.func.id == "isinstance" and len(test.args) == 2 and not test.keywords:
        subject, kinds = test.args
        types = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
        written = {"None" if _is_none_type(t) else ast.unparse(t) for t in types}
        if isinstance(subject, ast.Name) and subject.id == name and written <= gone:
            return True
    return None


def _is_none_type(node: ast.expr) -> bool:
    """`type(None)` or `NoneType`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "type" and len(node.args) == 1:
        arg = node.args[0]
        return isinstance(arg, ast.Constant) and arg.value is None
    return isinstance(node, ast.Name | ast.Attribute) and \
        (node.id if isinstance(node, ast.Name) else node.attr) == "NoneType"


def _dead_checks(text: str, offsets: list[int], fn: Function, name: str,
                 gone: set[str]) -> list[Suggestion]:
    shown = f"`{name}`'s annotation no longer admits {', '.join(sorted(gone))}"
    out: list[Suggestion] = []
    for statement in _statements(fn.body):
        new = _rewrite(text, offsets, statement, name, gone)
        if new is not None:
            lo, hi = _span(text, offsets, statement)
            out.append(Suggestion(lo, hi, new, "narrowed", f"{shown}: this check is dead",
                                  text[lo:hi], f"narrowed:{name}"))
        elif any(_check(n, name, gone) is not None for n in _own_expressions(statement)):
            lo, hi = _span(text, offsets, statement)
            line_end = text.find("\n", lo)
            hi = min(hi, len(text) if line_end < 0 else line_end)
            out.append(Suggestion(lo, hi, text[lo:hi], "narrowed",
                                  f"{shown}: a check here is dead", text[lo:hi],
                                  f"narrowed:{name}", jump=True))
    return out


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement of a body, nested ones included, nested functions and classes not."""
    out: list[ast.stmt] = []
    stack = list(reversed(body))
    while stack:
        statement = stack.pop()
        out.append(statement)
        if isinstance(statement, _NESTED):
            continue
        for field in ("body", "orelse", "finalbody"):
            stack.extend(reversed(getattr(statement, field, [])))
        for handler in getattr(statement, "handlers", []):
            stack.extend(reversed(handler.body))
    return out


def _own_expressions(statement: ast.stmt) -> list[ast.expr]:
    """The expressions of a statement itself (not of the statements in its body)."""
    out: list[ast.expr] = []
    for field, value in ast.iter_fields(statement):
        if field in ("body", "orelse", "finalbody", "handlers"):
            continue
        for node in value if isinstance(value, list) else [value]:
            if isinstance(node, ast.expr):
                out.extend(n for n in ast.walk(node) if isinstance(n, ast.expr))
    return out


def _rewrite(text: str, offsets: list[int], statement: ast.stmt, name: str,
             gone: set[str]) -> str | None:
    """What replaces a statement that is only a dead check, or holds one as the test of a
    conditional expression (None: neither)."""
    if isinstance(statement, ast.Assert) and _check(statement.test, name, gone) is False:
        return ""
    if not isinstance(statement, ast.If):
        return _without_conditional(text, offsets, statement, name, gone)
    dead = _check(statement.test, name, gone)
    if dead is None or _elif(text, offsets, statement):
        return None  # an `elif`: the chain around it is the user's to rewrite
    kept = statement.orelse if dead else statement.body
    if dead and len(kept) == 1 and _elif(text, offsets, kept[0]):
        return None  # an `elif` to turn into an `if`: location only
    if not kept:
        return ""
    lo, _ = _span(text, offsets, kept[0])
    _, hi = _span(text, offsets, kept[-1])
    return _dedent(text[lo:hi], kept[0].col_offset - statement.col_offset)


def _without_conditional(text: str, offsets: list[int], statement: ast.stmt, name: str,
                         gone: set[str]) -> str | None:
    """The statement's lines with its one conditional expression on a dead check replaced by
    the branch it always takes; brackets that held only the conditional go too when the branch
    fits on the line (`x = (\n a\n if x is None\n else b\n)` -> `x = b`)."""
    found = [(n, dead) for n in _own_expressions(statement) if isinstance(n, ast.IfExp)
             and (dead := _check(n.test, name, gone)) is not None]
    if len(found) != 1:
        return None
    node, dead = found[0]
    kept = node.orelse if dead else node.body
    lo, hi = _span(text, offsets, statement)
    e_lo, e_hi = _at(text, offsets, node.lineno, node.col_offset), \
        _at(text, offsets, node.end_lineno, node.end_col_offset)
    k_lo, k_hi = _at(text, offsets, kept.lineno, kept.col_offset), \
        _at(text, offsets, kept.end_lineno, kept.end_col_offset)
    if None in (e_lo, e_hi, k_lo, k_hi):
        return None
    branch = text[k_lo:k_hi]
    opened, closed = text[lo:e_lo].rstrip(), text[e_hi:hi].lstrip()
    if "\n" not in branch and opened.endswith("(") and closed.startswith(")") \
            and not re.search(r"[\w)\]]\s*\($", opened):
        head = opened[:-1].rstrip()
        joined = head + (" " if head[-1:] not in ("", "(", "[", "{") else "") + branch \
            + closed[1:]
        if max(len(line) for line in joined.splitlines() or [""]) <= MAX_LINE:
            return joined
    return text[lo:e_lo] + branch + text[e_hi:hi]


def _at(text: str, offsets: list[int], line: int | None, col: int | None) -> int | None:
    """The offset of `ast`'s (line, UTF-8 column) in `text`."""
    if line is None or col is None or line > len(offsets):
        return None
    start = offsets[line - 1]
    return start + len(text[start : start + col + 1].encode("utf-8")[:col].decode(
        "utf-8", "replace"))


def _elif(text: str, offsets: list[int], statement: ast.stmt) -> bool:
    """Whether the statement is an `if` written as the `elif` of another."""
    at = offsets[statement.lineno - 1] + statement.col_offset
    return isinstance(statement, ast.If) and text.startswith("elif", at)


def _span(text: str, offsets: list[int], statement: ast.stmt) -> tuple[int, int]:
    """The statement's whole lines, its newline included."""
    lo = offsets[statement.lineno - 1]
    end = statement.end_lineno or statement.lineno
    hi = offsets[end] if end < len(offsets) else len(text)
    return lo, hi


def _dedent(block: str, by: int) -> str:
    """`block`'s lines moved `by` columns left (blank lines and lines indented less kept)."""
    out = []
    for line in block.splitlines(keepends=True):
        pad = len(line) - len(line.lstrip(" "))
        out.append(line[min(pad, by) :] if line.strip() else line)
    return "".join(out)

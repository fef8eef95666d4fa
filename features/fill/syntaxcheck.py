"""Syntax and name checks of a candidate: tree-sitter and `compile` for syntax, pyflakes for names.

Both must work in files that are broken elsewhere. tree-sitter localises its errors by itself; for
`compile` and pyflakes the check runs on the whole patched file when it parses, else on the
top-level statement holding the hole, preceded by a line that binds the module's other names so
pyflakes does not call them undefined.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from collections.abc import Iterator

from typehole.base.positions import byte_offset, char_offset
from typehole.base.syntax import Node, parse_bytes

from .patch import Patched
from .records import Finding

__all__ = ["syntax_findings", "pyflakes_findings", "unit_of"]

# pyflakes messages that are guesses rather than errors: star imports make names unknowable.
_UNCERTAIN = {"ImportStarUsage", "ImportStarUsed", "ImportStarNotPermitted"}
_MAX_SYNTAX = 3


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def syntax_findings(p: Patched) -> list[Finding]:
    """Syntax errors inside the candidate: tree-sitter's ERROR/MISSING nodes, then `compile`'s."""
    data = p.text.encode("utf-8", "surrogatepass")
    tree = parse_bytes(data)
    found: list[Finding] = []
    if tree is not None:
        lo, hi = byte_offset(p.text, p.cstart), byte_offset(p.text, p.cend)
        for n in _walk(tree.root_node):
            if n.end_byte < lo or n.start_byte > hi or not (n.is_missing or n.type == "ERROR"):
                continue
            start, end = char_offset(data, n.start_byte), char_offset(data, n.end_byte)
            if n.is_missing:
                message = f"syntax error: missing `{n.type}`"
            else:
                token = p.text[start:end].strip().split("\n")[0][:30]
                message = f"syntax error: unexpected `{token}`" if token else "syntax error"
            if (f := p.finding("syntax", "E999", message, start, end)) is not None:
                found.append(f)
            if len(found) >= _MAX_SYNTAX:
                break
    if found:
        return found
    if (alone := _standalone_finding(p)) is not None:
        return [alone]
    source, row0 = unit_of(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences are not our findings
            compile(source, "<fill>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        row = row0 + (exc.lineno or 1) - 1
        start = p.offset(row, max((exc.offset or 1) - 1, 0))
        f = p.finding("syntax", "E999", f"syntax error: {exc.msg}", start)
        if f is not None:
            found.append(f)
    return found


def _standalone_finding(p: Patched) -> Finding | None:
    """A syntax error in the candidate on its own: a string or bracket it opens and never closes.

    Such a candidate can parse in place, a stray `\"\"\"` pairing with the next docstring of the
    file, while everything after it changes meaning; the errors then lie outside the candidate,
    where the in-place checks do not look. A statement fill must parse as a function body by
    itself, an expression fill must close every string and bracket it opens.
    """
    line_start = p.text.rfind("\n", 0, p.cstart) + 1
    before = p.text[line_start:p.cstart]
    if before.strip():  # an expression inside a line of code
        try:
            for _ in tokenize.generate_tokens(io.StringIO(p.candidate).readline):
                pass
        except tokenize.TokenError as exc:
            return p.finding("syntax", "E999", f"syntax error: {exc.args[0]} in the fill",
                             p.cstart, p.cend)
        except SyntaxError as exc:
            return p.finding("syntax", "E999", f"syntax error: {exc.msg}", p.cstart, p.cend)
        return None
    head = "async def _typehole_fill():\n" if before else ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(head + before + p.candidate + "\n")
    except SyntaxError as exc:
        row = max((exc.lineno or 1) - head.count("\n") - 1, 0)
        col = max((exc.offset or 1) - 1 - (len(before) if row == 0 else 0), 0)
        lines = p.candidate.split("\n")
        row = min(row, len(lines) - 1)
        rel = sum(len(line) + 1 for line in lines[:row]) + min(col, len(lines[row]))
        message = f"syntax error: {exc.msg}".split(" (detected at line")[0]
        return p.finding("syntax", "E999", message, p.cstart + rel)
    return None


def _top_level(p: Patched) -> tuple[int, int]:
    """Rows of the top-level statement that holds the candidate (the whole file if unclear)."""
    first, last = p.rows
    lines = p.lines
    top = first
    while top > 0 and not (lines[top][:1].strip() and not lines[top].startswith(("#", ")", "]",
                                                                                "}"))):
        top -= 1
    bottom = last
    while bottom + 1 < len(lines) and (not lines[bottom + 1][:1].strip()
                                       or lines[bottom + 1].startswith((")", "]", "}"))):
        bottom += 1
    # Decorators above a top-level def belong to it.
    while top > 0 and lines[top - 1].startswith("@"):
        top -= 1
    return top, bottom


def unit_of(p: Patched) -> tuple[str, int]:
    """(source, first row): the whole patched file if it parses, else the candidate's top-level
    statement."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(p.text)
        return p.text, 0
    except SyntaxError:
        top, bottom = _top_level(p)
        return "\n".join(p.lines[top:bottom + 1]) + "\n", top


def _module_names(p: Patched, skip: tuple[int, int]) -> list[str]:
    """Names bound at module level outside rows `skip` (tree-sitter, so broken files work)."""
    tree = parse_bytes(p.text.encode("utf-8", "surrogatepass"))
    names: set[str] = set()
    if tree is None:
        return []
    for stmt in tree.root_node.children:
        if skip[0] <= stmt.start_point[0] <= skip[1]:
            continue
        node = stmt.child_by_field_name("definition") if stmt.type == "decorated_definition" \
            else stmt
        if node is None:
            continue
        if node.type in ("function_definition", "class_definition"):
            if (name := node.child_by_field_name("name")) is not None:
                names.add(name.text.decode())
            continue
        for n in _walk(node):
            if n.type in ("aliased_import",):
                if (alias := n.child_by_field_name("alias")) is not None:
                    names.add(alias.text.decode())
            elif n.type == "dotted_name" and n.parent is not None and n.parent.type in (
                    "import_statement", "import_from_statement") and (
                    n.parent.type == "import_statement" or n.prev_sibling is None
                    or n.prev_sibling.type != "from"):
                names.add(n.text.decode().split(".")[0])
            elif n.type == "identifier" and n.parent is not None and n.parent.type in (
                    "assignment", "pattern_list", "tuple_pattern", "augmented_assignment") and (
                    n.parent.type != "assignment" or n.parent.child_by_field_name("left") == n):
                names.add(n.text.decode())
    return sorted(n for n in names if n.isidentifier())


def pyflakes_findings(p: Patched) -> list[Finding] | None:
    """pyflakes' messages inside the candidate; None when pyflakes is not installed."""
    try:
        from pyflakes import checker, messages
    except ImportError:
        return None
    source, row0 = unit_of(p)
    prelude = ""
    if row0 or source is not p.text:
        top_rows = (row0, row0 + source.count("\n"))
        names = _module_names(p, top_rows)
        if names:
            prelude = " = ".join(names) + " = None\n"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(prelude + source)
    except SyntaxError:
        return []  # reported by syntax_findings
    shift = row0 - prelude.count("\n")
    found: list[Finding] = []
    for m in checker.Checker(tree, filename="<fill>").messages:
        code = type(m).__name__
        if code in _UNCERTAIN or not isinstance(m, messages.Message):
            continue
        row = m.lineno - 1 + shift
        start = p.offset_utf8(row, m.col)
        end = start
        if m.message_args and isinstance(m.message_args[0], str):
            name = m.message_args[0]
            if p.text.startswith(name, start):
                end = start + len(name)
        f = p.finding("pyflakes", code, m.message % m.message_args, start, end)
        if f is not None:
            found.append(f)
    return found

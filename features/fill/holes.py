"""Find the holes a developer leaves on purpose, from tree-sitter's tree (so broken files work).

Three forms, checked in this order at a line:
- `expression`: a placeholder expression (by default `...`) where a value belongs, e.g.
  `total = ...` or `return ...`. Not in type expressions (`tuple[int, ...]`), defaults or stubs.
- `todo`: a comment line `# TODO: what to write` inside real code; the fill replaces the line.
- `body`: a function whose body is only `...`, `pass`, `raise NotImplementedError(...)`, a
  docstring, and/or comments. The fill replaces what follows the docstring.
Abstract methods, `@overload`s and methods of Protocol classes are declarations: no hole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from typehole.base.positions import char_offset, line_starts, split_lines
from typehole.base.syntax import Node, Tree, parse_bytes

from .records import FillHole

__all__ = ["DEFAULT_PLACEHOLDERS", "find_hole", "all_holes"]

DEFAULT_PLACEHOLDERS: tuple[str, ...] = ("...",)
_TODO = re.compile(r"^\s*#\s*(?:TODO|FIXME)\b:?\s*(.*)$", re.I)
_DECLARATIONS = {"abstractmethod", "overload", "abstractproperty", "abstractclassmethod",
                 "abstractstaticmethod"}
# Where a placeholder is syntax, not a hole: `Callable[..., T]`, `x: T = ...` in a stub, defaults.
_NOT_VALUE_PARENTS = {"subscript", "type", "default_parameter", "typed_default_parameter",
                      "slice", "generic_type", "type_parameter"}


class _Doc:
    """The document as tree-sitter sees it, with the conversions this module needs."""

    def __init__(self, text: str, data: bytes, tree: Tree) -> None:
        self.text, self.data, self.tree = text, data, tree
        self.starts = line_starts(text)
        self.lines = split_lines(text)

    def offset(self, byte: int) -> int:
        return char_offset(self.data, byte)

    def line_end(self, row: int) -> int:
        return self.starts[row] + len(self.lines[row]) if row < len(self.lines) else len(self.text)

    def node_text(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _unit(doc: _Doc) -> str:
    """The file's indentation step: a tab if it indents with tabs, else four spaces."""
    for line in doc.lines:
        if line[:1] == "\t":
            return "\t"
    return "    "


def _functions(node: Node) -> list[Node]:
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "function_definition":
            out.append(n)
        stack.extend(n.children)
    return out


def _decorators(fn: Node) -> list[str]:
    parent = fn.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    names = []
    for d in parent.children:
        if d.type == "decorator":
            raw = d.text.decode("utf-8", "replace").lstrip("@").split("(")[0]
            names.append(raw.rsplit(".", 1)[-1].strip())
    return names


def _enclosing_class(fn: Node) -> Node | None:
    n = fn.parent
    while n is not None and n.type not in ("class_definition", "function_definition"):
        n = n.parent
    return n if n is not None and n.type == "class_definition" else None


def _is_declaration(fn: Node) -> bool:
    """Abstract methods, overloads and Protocol members declare; they are not holes."""
    if _DECLARATIONS.intersection(_decorators(fn)):
        return True
    cls = _enclosing_class(fn)
    if cls is None:
        return False
    bases = cls.child_by_field_name("superclasses")
    text = bases.text.decode("utf-8", "replace") if bases is not None else ""
    return bool(re.search(r"\bProtocol\b", text))


def _is_docstring(stmt: Node) -> bool:
    return stmt.type == "expression_statement" and stmt.named_child_count == 1 and \
        stmt.named_children[0].type in ("string", "concatenated_string")


def _is_stub_statement(stmt: Node) -> bool:
    if stmt.type == "pass_statement":
        return True
    if stmt.type == "expression_statement":
        return stmt.named_child_count == 1 and stmt.named_children[0].type == "ellipsis"
    if stmt.type == "raise_statement" and stmt.named_child_count >= 1:
        raised = stmt.named_children[0]
        if raised.type == "call":
            raised = raised.child_by_field_name("function") or raised
        return raised.text == b"NotImplementedError"
    return False


def _stub_parts(fn: Node) -> tuple[Node | None, list[Node]] | None:
    """(docstring, stub statements) when `fn`'s body is a stub; None when it is real code."""
    body = fn.child_by_field_name("body")
    if body is None or body.has_error:
        return None
    stmts = [c for c in body.named_children if c.type != "comment"]
    doc = stmts[0] if stmts and _is_docstring(stmts[0]) else None
    rest = stmts[1:] if doc is not None else stmts
    if len(rest) > 1 or not all(_is_stub_statement(s) for s in rest):
        return None
    return doc, rest


def _body_hole(doc: _Doc, fn: Node, unit: str) -> FillHole | None:
    parts = _stub_parts(fn)
    if parts is None or _is_declaration(fn):
        return None
    docstring, _ = parts
    body = fn.child_by_field_name("body")
    assert body is not None
    def_row = fn.start_point[0]
    indent = _indent_of(doc.lines[def_row]) + unit
    after_row = docstring.end_point[0] if docstring is not None else def_row
    # Comment lines right after the function that are indented deeper belong to its body.
    last_row = max(body.end_point[0], after_row)
    while last_row + 1 < len(doc.lines):
        nxt = doc.lines[last_row + 1]
        if not nxt.lstrip().startswith("#") or len(_indent_of(nxt)) <= len(_indent_of(
                doc.lines[def_row])):
            break
        last_row += 1
    region = doc.lines[after_row + 1: last_row + 1]
    todo = [m.group(1).strip() for line in region if (m := _TODO.match(line))]
    if docstring is not None and docstring.end_point[0] == last_row:
        start = end = doc.line_end(after_row)  # nothing after the docstring: insert below it
        lead = "\n" + indent
    elif docstring is None and body.start_point[0] == def_row:
        start = doc.offset(fn.child_by_field_name("body").start_byte)
        start = doc.text.rfind(":", 0, start) + 1  # `def f(): ...`: the body leaves the def line
        end, lead = doc.line_end(last_row), "\n" + indent
    else:
        first = after_row + 1
        indent = _indent_of(doc.lines[first]) or indent
        start, end, lead = doc.starts[first], doc.line_end(last_row), indent
    name = fn.child_by_field_name("name")
    returns = fn.child_by_field_name("return_type")
    header_end = doc.offset(body.start_byte)
    header = doc.text[doc.offset(fn.start_byte):header_end].rstrip()
    return FillHole(
        kind="body", start=start, end=end, lead=lead, indent=indent,
        line=def_row, function=doc.node_text(name) if name is not None else None,
        signature=header, return_type=doc.node_text(returns) if returns is not None else None,
        docstring=doc.node_text(docstring) if docstring is not None else None,
        instruction="; ".join(t for t in todo if t) or None)


def _enclosing_function(node: Node) -> Node | None:
    n = node.parent
    while n is not None and n.type != "function_definition":
        n = n.parent
    return n


def _context_fields(doc: _Doc, node: Node) -> dict[str, str | None]:
    fn = _enclosing_function(node)
    if fn is None:
        return {}
    name, returns = fn.child_by_field_name("name"), fn.child_by_field_name("return_type")
    body = fn.child_by_field_name("body")
    end = doc.offset(body.start_byte) if body is not None else doc.offset(fn.end_byte)
    return {"function": doc.node_text(name) if name is not None else None,
            "signature": doc.text[doc.offset(fn.start_byte):end].rstrip(),
            "return_type": doc.node_text(returns) if returns is not None else None}


def _placeholder_at(doc: _Doc, row: int, placeholders: Sequence[str]) -> FillHole | None:
    wanted = {p.encode() for p in placeholders}
    stack = [doc.tree.root_node]
    while stack:
        n = stack.pop()
        if n.start_point[0] > row or n.end_point[0] < row:
            continue
        if n.is_named and n.text in wanted and n.start_point[0] == row and _is_value(n) and \
                n.type != "block" and not n.type.endswith("statement"):
            start, end = doc.offset(n.start_byte), doc.offset(n.end_byte)
            return FillHole(kind="expression", start=start, end=end, lead="", indent="",
                            line=row, **_context_fields(doc, n))
        stack.extend(reversed(n.children))
    return None


def _is_value(n: Node) -> bool:
    """A placeholder in value position: not a type, a default, or the only statement of a stub."""
    parent = n.parent
    if parent is None or parent.type in _NOT_VALUE_PARENTS:
        return False
    if parent.type == "assignment" and parent.child_by_field_name("type") is not None and \
            _enclosing_function(n) is None:
        return False  # `x: int = ...` at module or class level declares (stubs, dataclasses)
    if parent.type == "expression_statement":
        return False  # a statement `...`: a stub body, or nothing a value could go into
    return True


def _todo_at(doc: _Doc, row: int) -> FillHole | None:
    line = doc.lines[row] if row < len(doc.lines) else ""
    m = _TODO.match(line)
    if m is None:
        return None
    byte = len(doc.text[: doc.starts[row] + len(_indent_of(line))].encode("utf-8",
                                                                          "surrogatepass"))
    node = doc.tree.root_node.descendant_for_byte_range(byte, byte + 1)
    indent = _indent_of(line)
    return FillHole(kind="todo", start=doc.starts[row], end=doc.line_end(row), lead=indent,
                    indent=indent, line=row, instruction=m.group(1).strip() or None,
                    **_context_fields(doc, node))


def find_hole(text: str, line: int,
              placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS) -> FillHole | None:
    """The hole at 0-based `line`: a placeholder or TODO on it, else the stub function around it.

    For a stub, `line` may be anywhere from its decorators to its last line; nested functions
    resolve to the innermost stub. Returns None where there is nothing to fill.
    """
    data = text.encode("utf-8", "surrogatepass")
    tree = parse_bytes(data)
    if tree is None:
        return None
    doc = _Doc(text, data, tree)
    if not 0 <= line < max(len(doc.lines), 1):
        return None
    hole = _placeholder_at(doc, line, placeholders)
    if hole is None:
        hole = _todo_at(doc, line)
        if hole is not None and _inside_stub(doc, line):
            hole = None  # a TODO in a stub describes the whole body: fill the body instead
    if hole is not None:
        return hole
    unit = _unit(doc)
    around = [fn for fn in _functions(doc.tree.root_node)
              if _span_rows(fn)[0] <= line <= _span_rows(fn)[1]]
    for fn in sorted(around, key=lambda f: -f.start_byte):
        found = _body_hole(doc, fn, unit)
        if found is not None:
            return found
    return None


def _span_rows(fn: Node) -> tuple[int, int]:
    top = fn.parent if fn.parent is not None and fn.parent.type == "decorated_definition" else fn
    return top.start_point[0], fn.end_point[0]


def _inside_stub(doc: _Doc, row: int) -> bool:
    return any(_stub_parts(fn) is not None and fn.start_point[0] <= row <= fn.end_point[0]
               for fn in _functions(doc.tree.root_node))


def all_holes(text: str, placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS) -> list[FillHole]:
    """Every hole in `text`, in order, one per start offset (for diagnostics and benchmarks)."""
    found: dict[int, FillHole] = {}
    for row in range(len(split_lines(text))):
        hole = find_hole(text, row, placeholders)
        if hole is not None:
            found.setdefault(hole.start, hole)
    return [found[k] for k in sorted(found)]

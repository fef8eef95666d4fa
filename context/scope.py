"""Names visible at a cursor, read from the tree-sitter tree (works in files that do not parse).

Nearest first: locals bound before the cursor (latest first), the enclosing function's parameters,
`self` for methods, then module-level classes, functions, variables and imports. Types come from
annotations here; `hole.py` asks Jedi about a few unannotated locals.
"""

from __future__ import annotations

from dataclasses import dataclass

from typehole.base.syntax import Node, Tree, node_text

__all__ = ["Binding", "enclosing_definitions", "names_in_scope"]

_BLOCKS = ("block", "if_statement", "elif_clause", "else_clause", "for_statement",
           "while_statement", "with_statement", "try_statement", "except_clause",
           "finally_clause", "expression_statement", "with_clause", "match_statement",
           "case_clause", "ERROR")


@dataclass(frozen=True)
class Binding:
    """A name in scope and where it is bound (0-based row, UTF-8 byte offset)."""

    name: str
    type: str | None
    kind: str
    row: int
    byte: int


def _indent(line: bytes) -> int:
    return len(line) - len(line.lstrip(b" \t"))


def _continues(data: bytes, node: Node, byte: int, cursor_indent: int) -> bool:
    """Does a definition that ended before `byte` still own it by indentation?

    tree-sitter ends a block at its last token, so a cursor on a fresh, indented line after
    `return x` is outside the node although it is inside the function for the user.
    """
    column = node.start_point.column
    if cursor_indent <= column:
        return False
    line_start = data.rfind(b"\n", 0, byte) + 1
    between = data[node.end_byte:line_start].split(b"\n")[1:]
    return all(not line.strip() or _indent(line) > column for line in between)


def enclosing_definitions(tree: Tree, byte: int, data: bytes | None = None) -> list[Node]:
    """Function and class definitions around `byte`, innermost first (by indentation too)."""
    chain: list[Node] = []
    cursor_indent = 0
    if data is not None:
        line = data[data.rfind(b"\n", 0, byte) + 1:byte]
        cursor_indent = _indent(line) if line.strip() else len(line)
    node = tree.root_node
    while True:
        child = None
        for c in node.named_children:
            if c.start_byte < byte:
                child = c
            else:
                break
        if child is None:
            break
        target = child.child_by_field_name("definition") \
            if child.type == "decorated_definition" else child
        is_def = target is not None and target.type in ("function_definition",
                                                         "class_definition")
        if child.end_byte >= byte:
            if is_def:
                chain.append(target)
            node = child
            continue
        if is_def and data is not None and _continues(data, target, byte, cursor_indent):
            chain.append(target)
            node = target.child_by_field_name("body") or target
            continue
        break
    return chain[::-1]


def _params(data: bytes, function: Node) -> list[Binding]:
    out = []
    params = function.child_by_field_name("parameters")
    for p in params.named_children if params is not None else ():
        ident = p if p.type == "identifier" else None
        if ident is None:
            ident = p.child_by_field_name("name") or next(
                (c for c in p.named_children if c.type == "identifier"), None)
            if ident is None and p.named_children:  # `*args: T` nests the splat
                inner = p.named_children[0]
                ident = next((c for c in inner.named_children if c.type == "identifier"), None)
        if ident is None:
            continue
        annotation = node_text(data, p.child_by_field_name("type")) or None
        out.append(Binding(node_text(data, ident), annotation, "param", ident.start_point.row,
                           ident.start_byte))
    return out


def _targets(data: bytes, node: Node, annotation: str | None, kind: str) -> list[Binding]:
    if node.type == "identifier":
        return [Binding(node_text(data, node), annotation, kind, node.start_point.row,
                        node.start_byte)]
    if node.type in ("pattern_list", "tuple_pattern", "list_pattern", "expression_list"):
        return [b for c in node.named_children for b in _targets(data, c, None, kind)]
    return []


def _locals(data: bytes, body: Node, byte: int, kind: str) -> list[Binding]:
    """Bindings in `body` that start before `byte`, not descending into nested scopes."""
    out: list[Binding] = []
    stack = [body]
    while stack:
        node = stack.pop()
        for child in node.named_children:
            if child.start_byte >= byte:
                continue
            t = child.type
            if t == "assignment":
                left = child.child_by_field_name("left")
                annotation = node_text(data, child.child_by_field_name("type")) or None
                if left is not None:
                    out.extend(_targets(data, left, annotation, kind))
            elif t == "for_statement":
                left = child.child_by_field_name("left")
                if left is not None:
                    out.extend(_targets(data, left, None, kind))
            elif t == "as_pattern":
                alias = child.child_by_field_name("alias")
                if alias is not None and alias.named_children:
                    out.extend(_targets(data, alias.named_children[0], None, kind))
            if t in _BLOCKS or t in ("with_item", "as_pattern_target", "block"):
                stack.append(child)
    return out


def _module_names(data: bytes, root: Node, byte: int) -> list[Binding]:
    out: list[Binding] = []
    for child in root.named_children:
        node = child.child_by_field_name("definition") \
            if child.type == "decorated_definition" else child
        if node is None:
            continue
        name = node.child_by_field_name("name")
        if node.type == "class_definition" and name is not None:
            out.append(Binding(node_text(data, name), None, "class", name.start_point.row,
                               name.start_byte))
        elif node.type == "function_definition" and name is not None:
            returns = node_text(data, node.child_by_field_name("return_type"))
            out.append(Binding(node_text(data, name),
                               f"Callable[..., {returns}]" if returns else None, "function",
                               name.start_point.row, name.start_byte))
        elif node.type in ("import_statement", "import_from_statement"):
            for item in node.children_by_field_name("name"):
                ident = item.child_by_field_name("alias") or item
                text = node_text(data, ident)
                if node.type == "import_statement":
                    text = text.split(".")[0]
                out.append(Binding(text, None, "import", ident.start_point.row, ident.start_byte))
        elif node.type == "expression_statement" and node.start_byte < byte:
            out.extend(_locals(data, child, byte, "global"))
    return out


def names_in_scope(tree: Tree, data: bytes, byte: int, limit: int = 40) -> list[Binding]:
    """Names visible at `byte`, nearest first, deduplicated, at most `limit`."""
    chain = enclosing_definitions(tree, byte, data)
    found: list[Binding] = []
    functions = [n for n in chain if n.type == "function_definition"]
    for function in functions:
        body = function.child_by_field_name("body")
        if body is not None:
            found.extend(sorted(_locals(data, body, byte, "local"), key=lambda b: -b.byte))
        found.extend(_params(data, function))
    classes = [n for n in chain if n.type == "class_definition"]
    if functions and classes:
        # `self`'s type is the enclosing class: Jedi knows it too, but this costs nothing.
        cls_name = node_text(data, classes[0].child_by_field_name("name"))
        found = [Binding(b.name, cls_name, b.kind, b.row, b.byte)
                 if b.name == "self" and b.type is None else b for b in found]
    found.extend(_module_names(data, tree.root_node, byte))
    seen: set[str] = set()
    out = []
    for b in found:
        if b.name and b.name not in seen and b.name != "*":
            seen.add(b.name)
            out.append(b)
    return out[:limit]

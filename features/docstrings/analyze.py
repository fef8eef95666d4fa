"""Read what a docstring must say from the code: signature, returns/yields, raises, attributes.

tree-sitter, not `ast`, so a definition is still documented when the code below it does not
parse yet. Only the definition's own body counts: nested functions, classes and lambdas raise,
return and yield for themselves.
"""

from __future__ import annotations

import ast
import re

from typehole.base import syntax as ts
from typehole.base.positions import char_offset
from typehole.base.scan import split_top

from .records import Attribute, Facts, Literal, Param, Target

__all__ = ["all_targets", "find_target", "facts_of"]

_SCOPES = frozenset({"function_definition", "class_definition", "lambda"})
_STRING = re.compile(r"(?s)^([rRuUbBfF]*)(\"\"\"|'''|\"|')(.*)\2$")
_GENERATOR_ANN = re.compile(r"^(?:[\w.]*\.)?(?:Async)?(?:Generator|Iterator|Iterable)\[(.*)\]$")
_ID = re.compile(r"[A-Za-z_]\w*")


def _text(data: bytes, node: ts.Node) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _expression(source: str) -> str:
    """An annotation or default on one line, spelled as `ast.unparse` (and pydoclint) spell it."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
        if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str):
            return " ".join(tree.body.value.split())  # a forward reference reads unquoted
        return ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError):
        return " ".join(source.split())


def _definitions(node: ts.Node) -> list[ts.Node]:
    """Every function/class definition under `node`, outermost first."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type in ("function_definition", "class_definition"):
            found.append(current)
        stack.extend(reversed(current.children))
    return found


def _header_start(node: ts.Node) -> ts.Node:
    """The decorated definition around `node` when it has decorators (they head the header)."""
    parent = node.parent
    return parent if parent is not None and parent.type == "decorated_definition" else node


def _decorators(node: ts.Node, data: bytes) -> list[str]:
    outer = _header_start(node)
    return [_text(data, c).lstrip("@").strip() for c in outer.children if c.type == "decorator"]


def _is_overload(node: ts.Node, data: bytes) -> bool:
    return any(d.rsplit(".", 1)[-1] == "overload" for d in _decorators(node, data))


def find_target(text: str, line: int) -> Target | None:
    """The definition whose header (decorators to `:`) holds 0-based `line`, else None.

    Line 0 outside any header means the module. An `@overload` stub points to the implementation
    (the next same-named definition without `@overload`), which is where the docstring belongs.
    """
    data = text.encode("utf-8", "surrogatepass")
    tree = ts.parse_bytes(data)
    if tree is None:
        return None
    defs = _definitions(tree.root_node)
    chosen = None
    for node in defs:
        body = node.child_by_field_name("body")
        if body is None:
            continue
        first = _header_start(node).start_point[0]
        colon_row = body.prev_sibling.end_point[0] if body.prev_sibling else body.start_point[0]
        if first <= line <= colon_row:
            chosen = node  # later (inner) matches win: headers of nested defs are inside
    if chosen is not None and _is_overload(chosen, data):
        name = chosen.child_by_field_name("name")
        scope = _header_start(chosen).parent
        later = [n for n in defs if n.start_byte > chosen.start_byte
                 and _header_start(n).parent == scope
                 and n.child_by_field_name("name") is not None
                 and _text(data, n.child_by_field_name("name")) == _text(data, name)]
        chosen = next((n for n in later if not _is_overload(n, data)), None)
    if chosen is None:
        return _module_target(text, data, tree) if line == 0 else None
    if _header_broken(chosen):
        return None
    return _target(text, data, chosen)


def all_targets(text: str) -> list[Target]:
    """Every documentable definition of `text` (not `@overload` stubs), in file order."""
    data = text.encode("utf-8", "surrogatepass")
    tree = ts.parse_bytes(data)
    if tree is None:
        return []
    return [_target(text, data, node) for node in _definitions(tree.root_node)
            if node.child_by_field_name("body") is not None and not _header_broken(node)
            and not _is_overload(node, data)]


def _header_broken(node: ts.Node) -> bool:
    parameters = node.child_by_field_name("parameters")
    name = node.child_by_field_name("name")
    return name is None or (parameters is not None and parameters.has_error)


def _docstring_node(block: ts.Node) -> ts.Node | None:
    first = next((c for c in block.named_children if c.type != "comment"), None)
    if first is None or first.type != "expression_statement" or first.named_child_count != 1:
        return None
    string = first.named_children[0]
    return string if string.type == "string" else None


def _literal(text: str, data: bytes, node: ts.Node) -> Literal | None:
    raw = _text(data, node)
    match = _STRING.match(raw)
    if match is None or "f" in match.group(1).lower() or "b" in match.group(1).lower():
        return None
    start = char_offset(data, node.start_byte)
    return Literal(start, start + len(raw), match.group(1), match.group(2), match.group(3))


def _indent_of(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indent_unit(text: str) -> str:
    """One level of indentation as the file writes it: a tab in tab-indented files."""
    tabs = len(re.findall(r"(?m)^\t+\S", text))
    spaces = len(re.findall(r"(?m)^ +\S", text))
    return "\t" if tabs > spaces else "    "


def _target(text: str, data: bytes, node: ts.Node) -> Target:
    body = node.child_by_field_name("body")
    header_indent = _indent_of(text, char_offset(data, _header_start(node).start_byte))
    body_start = char_offset(data, body.start_byte)
    colon_end = char_offset(data, body.prev_sibling.end_byte) if body.prev_sibling else body_start
    colon_row = body.prev_sibling.end_point[0] if body.prev_sibling else -1
    same_line = body.start_point[0] == colon_row
    literal = None
    if (string := _docstring_node(body)) is not None:
        literal = _literal(text, data, string)
    if same_line:
        indent = header_indent + _indent_unit(text)
        inline = (colon_end, char_offset(data, body.end_byte))
        insert_at = colon_end
    else:
        first_stmt = body.named_children[0] if body.named_children else body
        indent = _indent_of(text, char_offset(data, first_stmt.start_byte))
        newline = text.find("\n", colon_end)
        insert_at = len(text) if newline < 0 else newline + 1
        inline = None
    span = (char_offset(data, _header_start(node).start_byte), char_offset(data, node.end_byte))
    return Target(facts_of(node, data), node.start_point[0], insert_at, indent, literal,
                  inline, frozenset(_ID.findall(_text(data, node))), span)


def _module_target(text: str, data: bytes, tree: ts.Tree) -> Target:
    root = tree.root_node
    literal = None
    if (string := _docstring_node(root)) is not None:
        literal = _literal(text, data, string)
    # After a shebang / encoding comment block at the very top, before anything else.
    insert_at = 0
    for match in re.finditer(r"(?m)^#.*\n", text):
        if match.start() != insert_at:
            break
        insert_at = match.end()
    return Target(Facts("module", ""), 0, insert_at, "", literal, None,
                  frozenset(_ID.findall(text)), (0, len(text)))


def facts_of(node: ts.Node, data: bytes) -> Facts:
    """The facts of one function or class definition node."""
    name = _text(data, node.child_by_field_name("name"))
    if node.type == "class_definition":
        return _class_facts(node, data, name)
    params = _params(node, data)
    if _is_method(node, data) and params and params[0].kind != "keyword_only":
        params = params[1:]  # self / cls: documented by the class, not the method
    returns, yields, raises = _body_facts(node.child_by_field_name("body"), data)
    annotation = node.child_by_field_name("return_type")
    ann = _expression(_text(data, annotation)) if annotation is not None else ""
    is_async = any(c.type == "async" for c in node.children)
    yield_type = None
    if yields:
        match = _GENERATOR_ANN.match(ann)
        yield_type = split_top(match.group(1), ",")[0].strip() if match else ""
        returns = False  # a generator's `return` ends iteration; it is not a documented value
    return_type = None
    if returns and ann.strip() not in ("None", "NoReturn", "Never"):
        return_type = ann
    elif ann and ann.strip() not in ("None", "NoReturn", "Never") and not yields:
        return_type = ann  # an annotated stub (`...`, `raise NotImplementedError`) still returns
    return Facts("function", name, tuple(params), return_type, yield_type, tuple(raises),
                 is_async=is_async)


def _is_method(node: ts.Node, data: bytes) -> bool:
    outer = _header_start(node)
    in_class = (outer.parent is not None and outer.parent.type == "block"
                and outer.parent.parent is not None
                and outer.parent.parent.type == "class_definition")
    return in_class and "staticmethod" not in _decorators(node, data)


def _params(node: ts.Node, data: bytes) -> list[Param]:
    parameters = node.child_by_field_name("parameters")
    result: list[Param] = []
    if parameters is None:
        return result
    named = parameters.named_children
    after_star = False
    for child in named:
        if child.type == "positional_separator":
            result = [Param(p.name, p.annotation, p.default, "positional_only") for p in result]
            continue
        if child.type == "keyword_separator":
            after_star = True
            continue
        param = _param(child, data)
        if param is None:
            continue
        if param.kind == "var_positional":
            after_star = True
        elif param.kind != "var_keyword" and after_star:
            param = Param(param.name, param.annotation, param.default, "keyword_only")
        result.append(param)
    return result


def _param(child: ts.Node, data: bytes) -> Param | None:
    kind, annotation, default = "positional_or_keyword", "", None
    if child.type in ("typed_parameter", "typed_default_parameter"):
        type_node = child.child_by_field_name("type")
        annotation = _expression(_text(data, type_node)) if type_node is not None else ""
    if child.type in ("default_parameter", "typed_default_parameter"):
        value = child.child_by_field_name("value")
        # Defaults keep their own spelling (quotes included): only whitespace is folded.
        default = " ".join(_text(data, value).split()) if value is not None else None
    name_node = child.child_by_field_name("name")
    if child.type in ("list_splat_pattern", "dictionary_splat_pattern"):
        name_node = child
    if name_node is None:
        name_node = child if child.type == "identifier" else next(
            (c for c in child.named_children if c.type in
             ("identifier", "list_splat_pattern", "dictionary_splat_pattern")), None)
    if name_node is None:
        return None
    name = _text(data, name_node)
    if name_node.type == "list_splat_pattern":
        kind = "var_positional"
    elif name_node.type == "dictionary_splat_pattern":
        kind = "var_keyword"
    elif name_node.type != "identifier":
        return None
    return Param(name, annotation, default, kind)


def _own_nodes(block: ts.Node):
    """Nodes of a body, not descending into nested functions, classes or lambdas."""
    stack = list(reversed(block.children))
    while stack:
        node = stack.pop()
        yield node
        if node.type not in _SCOPES:
            stack.extend(reversed(node.children))


def _body_facts(block: ts.Node, data: bytes) -> tuple[bool, bool, list[str]]:
    returns = yields = False
    raises: list[str] = []
    for node in _own_nodes(block):
        if node.type == "return_statement" and node.named_child_count:
            value = node.named_children[0]
            returns = returns or not (value.type == "none")
        elif node.type == "yield":
            yields = True
        elif node.type == "raise_statement":
            for name in _raised(node, data):
                if name not in raises:
                    raises.append(name)
    return returns, yields, raises


def _raised(node: ts.Node, data: bytes) -> list[str]:
    """Exception names a raise statement raises; a bare `raise` re-raises what its except caught."""
    exprs = [c for c in node.named_children if c.type != "comment"]
    if not exprs:
        clause = node.parent
        while clause is not None and clause.type not in ("except_clause", *_SCOPES):
            clause = clause.parent
        if clause is None or clause.type != "except_clause":
            return []
        caught = next((c for c in clause.named_children if c.type != "block"), None)
        if caught is None:
            return []
        if caught.type == "as_pattern":
            caught = caught.named_children[0]
        if caught.type in ("tuple", "parenthesized_expression"):
            return [_text(data, c) for c in caught.named_children]
        return [_text(data, caught)]
    expr = exprs[0]
    if expr.type == "call":
        expr = expr.child_by_field_name("function")
    name = _text(data, expr)
    # `raise err` re-raises a caught variable: name its exception type when the except says it.
    if expr.type == "identifier" and name[:1].islower():
        return _caught_as(node, data, name)
    return [name] if expr.type in ("identifier", "attribute") else []


def _caught_as(node: ts.Node, data: bytes, variable: str) -> list[str]:
    clause = node.parent
    while clause is not None and clause.type not in _SCOPES:
        if clause.type == "except_clause":
            for child in clause.named_children:
                if child.type == "as_pattern" and child.named_child_count == 2:
                    caught, alias = child.named_children
                    if _text(data, alias).strip() == variable:
                        return [_text(data, c) for c in caught.named_children] \
                            if caught.type == "tuple" else [_text(data, caught)]
        clause = clause.parent
    return []


def _class_facts(node: ts.Node, data: bytes, name: str) -> Facts:
    body = node.child_by_field_name("body")
    params: tuple[Param, ...] = ()
    attributes: list[Attribute] = []
    for child in body.named_children:
        definition = child.child_by_field_name("definition") \
            if child.type == "decorated_definition" else child
        if definition is not None and definition.type == "function_definition":
            if _text(data, definition.child_by_field_name("name")) == "__init__":
                params = facts_of(definition, data).params
        elif child.type == "expression_statement" and child.named_child_count == 1:
            assign = child.named_children[0]
            left = assign.child_by_field_name("left") if assign.type == "assignment" else None
            if left is not None and left.type == "identifier":
                attr = _text(data, left)
                type_node = assign.child_by_field_name("type")
                if not attr.startswith("_"):
                    attributes.append(
                        Attribute(attr, _expression(_text(data, type_node))
                                  if type_node is not None else ""))
    return Facts("class", name, params, attributes=tuple(attributes))

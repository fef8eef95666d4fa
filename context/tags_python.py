"""Python tags: definitions (classes, functions, methods, constants, fields) and imports
from `queries/python-tags.scm` matches, with signatures, docstrings and annotations."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from typehole.base import syntax
from typehole.base.syntax import Node, Tree, node_text

from .records import Definition, Import
from .tags_common import FileTags, squash

__all__ = ["extract_python", "resolve_relative"]

# Decorators worth showing in a stub: they change how the member is called.
_STUB_DECORATORS = ("property", "staticmethod", "classmethod", "abstractmethod", "overload",
                    "setter", "cached_property", "contextmanager", "asynccontextmanager")
_MAX_VALUE = 160  # type aliases need room: `X = Union[...]`


@cache
def _query(language: str) -> object | None:
    text = resources.files(__package__).joinpath(f"queries/{language}-tags.scm").read_text()
    return syntax.query(language, text)


def _docstring(data: bytes, body: Node | None) -> str:
    if body is None or not body.named_children:
        return ""
    first = body.named_children[0]
    if first.type != "expression_statement" or not first.named_children:
        return ""
    string = first.named_children[0]
    if string.type != "string":
        return ""
    content = "".join(node_text(data, c) for c in string.named_children
                      if c.type == "string_content")
    for line in content.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _enclosing(node: Node) -> list[Node]:
    """Enclosing class/function definitions, innermost first."""
    chain = []
    parent = node.parent
    while parent is not None:
        if parent.type in ("class_definition", "function_definition"):
            chain.append(parent)
        parent = parent.parent
    return chain


def _qual(data: bytes, chain: list[Node]) -> str:
    return ".".join(node_text(data, n.child_by_field_name("name")) for n in reversed(chain))


def _decorators(data: bytes, node: Node) -> list[str]:
    parent = node.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    out = []
    for child in parent.named_children:
        if child.type == "decorator":
            text = node_text(data, child).strip()
            if any(text.lstrip("@").split("(")[0].endswith(d) for d in _STUB_DECORATORS):
                out.append(text)
    return out


def _function(data: bytes, node: Node, chain: list[Node], module: str,
              path: str) -> Definition | None:
    if any(n.type == "function_definition" for n in chain):
        return None  # local functions are invisible to other files
    name = node_text(data, node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    # End at the return annotation or the parameters: a comment after the colon is not signature.
    last = node.child_by_field_name("return_type") or node.child_by_field_name("parameters")
    end = last.end_byte if last is not None else node.end_byte
    header = data[node.start_byte:end].decode("utf-8", "replace").rstrip().rstrip(":")
    signature = "\n".join([*_decorators(data, node), squash(header)])
    parent = _qual(data, chain)
    return Definition(
        path=path, module=module, name=name, qualname=f"{parent}.{name}" if parent else name,
        kind="method" if chain else "function", line=node.start_point.row + 1,
        end_line=node.end_point.row + 1, signature=signature, doc=_docstring(data, body),
        annotation=squash(node_text(data, node.child_by_field_name("return_type"))),
        parent=parent)


def _class(data: bytes, node: Node, chain: list[Node], module: str,
           path: str) -> Definition | None:
    if any(n.type == "function_definition" for n in chain):
        return None
    name = node_text(data, node.child_by_field_name("name"))
    supers = node_text(data, node.child_by_field_name("superclasses"))
    parent = _qual(data, chain)
    return Definition(
        path=path, module=module, name=name, qualname=f"{parent}.{name}" if parent else name,
        kind="class", line=node.start_point.row + 1, end_line=node.end_point.row + 1,
        signature=squash(f"class {name}{supers}"),
        doc=_docstring(data, node.child_by_field_name("body")), parent=parent)


_CONSTRUCTOR = re.compile(r"^([A-Z]\w*(?:\.[A-Za-z_]\w*)*)\(")


def _attribute_type(data: bytes, init: Node, value: str) -> str:
    """A cheap type for `self.x = value` in `__init__`: `Name(...)` or a typed parameter."""
    m = _CONSTRUCTOR.match(value)
    if m:
        return m.group(1)
    params = init.child_by_field_name("parameters")
    for p in params.named_children if params is not None else ():
        if p.type in ("typed_parameter", "typed_default_parameter"):
            ident = p.child_by_field_name("name") or next(
                (c for c in p.named_children if c.type == "identifier"), None)
            if ident is not None and node_text(data, ident) == value:
                return squash(node_text(data, p.child_by_field_name("type")))
    return ""


def _assignment(data: bytes, node: Node, name: str, kind: str, chain: list[Node],
                module: str, path: str) -> Definition:
    annotation = squash(node_text(data, node.child_by_field_name("type")))
    right = node.child_by_field_name("right")
    # Only the head of a huge value (a 3,000-line table) is ever shown: squash just that much.
    head = _MAX_VALUE * 8
    clipped = right is not None and right.end_byte - right.start_byte > head
    value = squash(data[right.start_byte:right.start_byte + head].decode("utf-8", "replace")
                    if clipped else node_text(data, right))
    if len(value) > _MAX_VALUE or clipped:
        value = value[:_MAX_VALUE] + "..."
    if kind == "attribute":  # `self.x = ...` inside `__init__`: a field of the class
        annotation = annotation or _attribute_type(data, chain[0], value)
        value = ""  # `self._x = compute(y)` is an implementation detail, not an interface
        chain = chain[1:]
    parent = _qual(data, chain)
    text = name + (f": {annotation}" if annotation else "")
    # A field's value is an implementation detail unless it is all we know about its type.
    if value and (kind == "constant" or not annotation):
        text += f" = {value}"
    elif not annotation:
        text += " = ..."
    return Definition(
        path=path, module=module, name=name, qualname=f"{parent}.{name}" if parent else name,
        kind="variable" if kind == "constant" else "field", line=node.start_point.row + 1,
        end_line=node.end_point.row + 1, signature=text, annotation=annotation, parent=parent)


def resolve_relative(module: str, is_package: bool, target: str) -> str:
    """Absolute module of `target` (`.x`, `..`, `a.b`) imported from `module`."""
    level = len(target) - len(target.lstrip("."))
    if level == 0:
        return target
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
    rest = target[level:]
    return ".".join([*parts, rest] if rest else parts)


def _imports(data: bytes, node: Node, module: str, is_package: bool) -> list[Import]:
    line = node.start_point.row + 1
    out: list[Import] = []
    if node.type == "import_statement":
        for child in node.named_children:
            if child.type == "aliased_import":
                name = node_text(data, child.child_by_field_name("name"))
                alias = node_text(data, child.child_by_field_name("alias"))
                out.append(Import(module=name, name="", alias=alias, line=line))
            elif child.type == "dotted_name":
                name = node_text(data, child)
                # `import a.b` binds `a`; the full module is still what the file uses.
                out.append(Import(module=name, name="", alias=name, line=line))
        return out
    if node.type != "import_from_statement":
        return out
    source = node.child_by_field_name("module_name")
    target = resolve_relative(module, is_package, node_text(data, source))
    for child in node.children_by_field_name("name"):
        if child.type == "aliased_import":
            name = node_text(data, child.child_by_field_name("name"))
            alias = node_text(data, child.child_by_field_name("alias"))
        else:
            name = alias = node_text(data, child)
        out.append(Import(module=target, name=name, alias=alias, line=line))
    if any(c.type == "wildcard_import" for c in node.named_children):
        out.append(Import(module=target, name="*", alias="*", line=line))
    return out


def extract_python(data: bytes, module: str, path: str, is_package: bool = False,
                   tree: Tree | None = None) -> FileTags:
    """Definitions and imports of one Python file given as UTF-8 bytes (see `tags.extract_tags`)."""
    tree = tree or syntax.parse_bytes(data)
    defs: list[Definition] = []
    imports: list[Import] = []
    seen: set[tuple[str, str]] = set()
    for _, caps in syntax.matches(_query("python"), tree.root_node):
        if "import" in caps:
            imports.extend(_imports(data, caps["import"][0], module, is_package))
            continue
        for kind in ("class", "function", "constant", "field", "attribute"):
            if f"definition.{kind}" not in caps:
                continue
            node = caps[f"definition.{kind}"][0]
            chain = _enclosing(node)
            if kind == "class":
                found = _class(data, node, chain, module, path)
            elif kind == "function":
                found = _function(data, node, chain, module, path)
            else:
                name = node_text(data, caps[f"name.definition.{kind}"][0])
                found = _assignment(data, node, name, kind, chain, module, path)
            # The first binding wins: later re-assignments rarely carry the declared type.
            if found is not None and (found.kind, found.qualname) not in seen:
                seen.add((found.kind, found.qualname))
                defs.append(found)
    defs.sort(key=lambda d: d.line)
    return FileTags(tuple(defs), tuple(imports))

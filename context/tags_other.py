"""Syntax-level tags for JavaScript/TypeScript, Java, Go and Rust: definitions with header
signatures, return-type annotations and leading doc comments, and imports in each language's
own module spelling, from `queries/<lang>-tags.scm` through the `syntax` shim."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from typehole.base import syntax
from typehole.base.syntax import Node, node_text

from .records import Definition, Import
from .tags_common import FileTags, squash

__all__ = ["extract_other"]

_QUERY_FILES = {"tsx": "typescript"}  # TSX shares TypeScript's query file
_KINDS = {"class": "class", "interface": "class", "enum": "class", "type": "class",
          "function": "function", "method": "method", "macro": "function",
          "constant": "variable", "field": "field"}
_CLASS_LIKE = frozenset({
    "class_declaration", "abstract_class_declaration", "class", "interface_declaration",
    "enum_declaration", "record_declaration", "annotation_type_declaration", "impl_item",
    "trait_item"})
_FUNCTION_LIKE = frozenset({
    "function_declaration", "generator_function_declaration", "function_expression",
    "arrow_function", "method_definition", "method_declaration", "constructor_declaration",
    "function_item", "func_literal", "closure_expression", "generator_function"})
# Wrappers whose leading comment documents the definition inside them.
_WRAPPERS = frozenset({"export_statement", "lexical_declaration", "variable_declaration",
                       "type_declaration", "const_declaration", "var_declaration"})
_SKIP_BEFORE_DOC = frozenset({"attribute_item", "decorator", "marker_annotation", "annotation"})
_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
_GENERICS = re.compile(r"<.*>|\[.*\]")


@cache
def _lang_query(language: str) -> object | None:
    name = _QUERY_FILES.get(language, language)
    try:
        text = resources.files(__package__).joinpath(f"queries/{name}-tags.scm").read_text()
    except FileNotFoundError:
        return None
    return syntax.query(language, text)


def _container_name(data: bytes, node: Node) -> str:
    if node.type == "impl_item":  # `impl Trait for Type`: members belong to Type
        return _GENERICS.sub("", node_text(data, node.child_by_field_name("type"))).strip()
    return node_text(data, node.child_by_field_name("name"))


def _receiver(data: bytes, node: Node) -> str:
    """Go: the receiver's type name of a method, `(s *Server[T])` -> `Server`."""
    receiver = node.child_by_field_name("receiver")
    param = receiver.named_children[0] if receiver is not None and receiver.named_children \
        else None
    text = node_text(data, param.child_by_field_name("type") if param is not None else None)
    return _GENERICS.sub("", text.lstrip("*")).strip()


def _leading_doc(data: bytes, node: Node) -> str:
    """First prose line of the comment block right above `node` (JSDoc, Javadoc, `///`, `//`)."""
    anchor = node
    while anchor.parent is not None and anchor.parent.type in _WRAPPERS:
        anchor = anchor.parent
    prev, row = anchor.prev_named_sibling, anchor.start_point.row
    while prev is not None and prev.type in _SKIP_BEFORE_DOC:
        row, prev = prev.start_point.row, prev.prev_named_sibling
    lines: list[str] = []
    while prev is not None and prev.type in _COMMENTS and prev.end_point.row >= row - 1:
        lines[:0] = node_text(data, prev).splitlines()
        row, prev = prev.start_point.row, prev.prev_named_sibling
    for line in lines:
        text = line.strip().lstrip("/").lstrip("*!").strip().removesuffix("*/").strip()
        if text and not text.startswith("@"):
            return text.split(" @", 1)[0].strip()
    return ""


def _header(data: bytes, node: Node) -> str:
    """Signature text: the definition up to its body (or its first `{`), on one line."""
    start, body = node.start_byte, node.child_by_field_name("body")
    if node.type == "variable_declarator":
        value = node.child_by_field_name("value")
        body = value.child_by_field_name("body") if value is not None else None
        if node.parent is not None and node.parent.type in _WRAPPERS:
            start = node.parent.start_byte
    end = body.start_byte if body is not None else node.end_byte
    text = data[start:end].decode("utf-8", "replace")
    if body is None and "{" in text:
        text = text[:text.index("{")]
    text = squash(text).rstrip("{;").strip().removesuffix("=>").strip()
    if node.type == "type_spec":
        text = "type " + text
    return text if len(text) <= 300 else text[:300] + "..."


def _annotation(data: bytes, node: Node) -> str:
    if node.type == "variable_declarator" and node.child_by_field_name("value") is not None:
        value = node.child_by_field_name("value")
        if value.type in ("arrow_function", "function_expression", "generator_function"):
            node = value
    field = next((node.child_by_field_name(f) for f in ("return_type", "result", "type")
                  if node.child_by_field_name(f) is not None), None)
    if field is None and node.parent is not None and node.type == "variable_declarator" \
            and node.parent.type == "field_declaration":  # Java: the type sits on the field
        field = node.parent.child_by_field_name("type")
    if field is None or node.type in ("type_spec", "type_alias", "type_item"):
        return ""
    text = squash(node_text(data, field)).lstrip(":").strip()
    return "" if text in ("void", "()") else text


def _definition(data: bytes, node: Node, name: str, kind: str, path: str,
                module: str) -> Definition | None:
    chain: list[str] = []
    parent = node.parent
    while parent is not None:
        if parent.type in _FUNCTION_LIKE:
            return None  # local definitions are invisible to other files
        if parent.type in _CLASS_LIKE and (container := _container_name(data, parent)):
            chain.insert(0, container)
        parent = parent.parent
    if node.type == "method_declaration" and node.child_by_field_name("receiver") is not None:
        chain = [_receiver(data, node)]
    kind = _KINDS.get(kind, "function")
    if kind == "function" and chain:
        kind = "method"
    owner = ".".join(chain)
    return Definition(
        path=path, module=module, name=name, qualname=f"{owner}.{name}" if owner else name,
        kind=kind, line=node.start_point.row + 1, end_line=node.end_point.row + 1,
        signature=_header(data, node), doc=_leading_doc(data, node),
        annotation=_annotation(data, node), parent=owner)


def _string_value(data: bytes, node: Node | None) -> str:
    return node_text(data, node).strip("\"'`")


def _rust_uses(data: bytes, node: Node, prefix: str, line: int) -> list[Import]:
    """Flatten a `use` tree: `a::{b, c::d as e, f::*}` -> one Import per bound name."""
    kind = node.type
    if kind in ("identifier", "self", "crate", "super", "scoped_identifier"):
        full = f"{prefix}::{node_text(data, node)}" if prefix else node_text(data, node)
        module, _, name = full.rpartition("::")
        if name == "self":
            module, _, name = module.rpartition("::")
        return [Import(module=module, name=name, alias=name, line=line)]
    if kind == "use_as_clause":
        found = _rust_uses(data, node.child_by_field_name("path"), prefix, line)
        alias = node_text(data, node.child_by_field_name("alias"))
        return [Import(i.module, i.name, alias, i.line) for i in found]
    if kind == "use_wildcard":
        inner = node.named_children[0] if node.named_children else None
        base = node_text(data, inner) if inner is not None else ""
        module = f"{prefix}::{base}" if prefix and base else prefix or base
        return [Import(module=module, name="*", alias="*", line=line)]
    if kind == "scoped_use_list":
        path = node_text(data, node.child_by_field_name("path"))
        prefix = f"{prefix}::{path}" if prefix and path else prefix or path
        node = node.child_by_field_name("list")
    if node is not None and node.type == "use_list":
        return [i for c in node.named_children for i in _rust_uses(data, c, prefix, line)]
    return []


def _other_imports(data: bytes, node: Node) -> list[Import]:
    line = node.start_point.row + 1
    if node.type == "import_spec":  # Go: `alias "path"`; the package name is the last segment
        module = _string_value(data, node.child_by_field_name("path"))
        alias = node_text(data, node.child_by_field_name("name")) or module.rsplit("/", 1)[-1]
        return [Import(module=module, name="", alias=alias, line=line)]
    if node.type == "import_declaration":  # Java: `import [static] a.b.C;` / `a.b.*`
        text = node_text(data, node).removeprefix("import").strip().rstrip(";").strip()
        module, _, name = text.removeprefix("static").strip().rpartition(".")
        return [Import(module=module, name=name, alias=name, line=line)]
    if node.type == "use_declaration":
        return _rust_uses(data, node.child_by_field_name("argument"), "", line)
    if node.type == "lexical_declaration":  # `const x = require("m")`
        out = []
        for declarator in node.named_children:
            value = declarator.child_by_field_name("value")
            args = value.child_by_field_name("arguments") if value is not None else None
            if args is not None and args.named_children:
                alias = node_text(data, declarator.child_by_field_name("name"))
                out.append(Import(_string_value(data, args.named_children[0]), "", alias, line))
        return out
    # JS/TS `import d, {a as b} from "m"` / `import * as ns from "m"` / `import "m"`
    module = _string_value(data, node.child_by_field_name("source"))
    out = []
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    for part in clause.named_children if clause is not None else ():
        if part.type == "identifier":
            out.append(Import(module, "default", node_text(data, part), line))
        elif part.type == "namespace_import":
            alias = node_text(data, part.named_children[-1]) if part.named_children else ""
            out.append(Import(module, "", alias, line))
        elif part.type == "named_imports":
            for spec in part.named_children:
                if spec.type == "import_specifier":
                    name = node_text(data, spec.child_by_field_name("name"))
                    alias = node_text(data, spec.child_by_field_name("alias")) or name
                    out.append(Import(module, name, alias, line))
    return out or [Import(module, "", "", line)]


def extract_other(data: bytes, language: str, module: str, path: str) -> FileTags:
    compiled = _lang_query(language)
    tree = syntax.parse_bytes(data, language)
    if compiled is None or tree is None:
        return FileTags((), ())
    found: dict[tuple[str, int], Definition] = {}
    imports: list[Import] = []
    import_lines: set[int] = set()  # `const x = require("x")` is an import, not a constant
    for _, caps in syntax.matches(compiled, tree.root_node):
        if "import" in caps:
            imports.extend(_other_imports(data, caps["import"][0]))
            import_lines.add(caps["import"][0].start_point.row + 1)
            continue
        for capture, nodes in caps.items():
            if not capture.startswith("definition."):
                continue
            kind = capture.removeprefix("definition.")
            names = caps.get(f"name.{capture}")
            if not names:
                continue
            d = _definition(data, nodes[0], node_text(data, names[0]), kind, path, module)
            key = (d.qualname, d.line) if d is not None else ("", 0)
            # A `const f = () => ...` is a function, not a constant: the first non-variable wins.
            if d is not None and (key not in found or found[key].kind == "variable"):
                found[key] = d
    defs = sorted((d for d in found.values()
                   if not (d.kind == "variable" and d.line in import_lines)),
                  key=lambda d: (d.line, d.qualname))
    return FileTags(tuple(defs), tuple(imports))

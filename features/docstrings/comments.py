"""Doc comments for other languages through tree-sitter: JSDoc/TSDoc, Javadoc and Rust `///`.

`comment_edit(text, line, language)` documents the function, method or type at 0-based `line`:
a skeleton from the signature (parameters, return type, `throws` clauses, `Result` errors) with
placeholders for prose, inserted above the definition (above its decorators or attributes).
An existing doc comment is only touched to add tags for parameters it does not mention yet;
its human text and its other tags stay as written. Nothing here knows about LSP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from typehole.base import syntax

from .comment_render import CommentFacts, render_comment, update_comment
from .records import DocEdit, Param

__all__ = ["COMMENT_LANGUAGES", "CommentFacts", "comment_edit", "comment_language"]

# Languages with doc-comment skeletons, and which family of comment each writes.
COMMENT_LANGUAGES = {"javascript": "jsdoc", "typescript": "jsdoc", "tsx": "jsdoc",
                     "java": "javadoc", "rust": "rustdoc"}
_FUNCTIONS = frozenset({
    "function_declaration", "generator_function_declaration", "method_definition",
    "function_signature", "method_signature", "abstract_method_signature",
    "method_declaration", "constructor_declaration", "function_item", "function_signature_item",
    "variable_declarator"})
_TYPES = frozenset({
    "class_declaration", "abstract_class_declaration", "interface_declaration",
    "enum_declaration", "record_declaration", "type_alias_declaration", "struct_item",
    "enum_item", "trait_item", "union_item", "type_item"})
_WRAPPERS = frozenset({"export_statement", "lexical_declaration", "variable_declaration"})
_BEFORE = frozenset({"decorator", "attribute_item"})
_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "generator_function"})


def comment_language(path: str) -> str | None:
    """The language of `path` when it gets doc-comment skeletons here, else None."""
    language = syntax.language_of(path)
    return language if language in COMMENT_LANGUAGES else None


@dataclass(frozen=True)
class _Site:
    node: object  # the definition (tree-sitter node)
    anchor_row: int  # 0-based row the comment goes above
    indent: str
    existing: tuple[int, int] | None  # code-point span of the doc comment already there


def _text(data: bytes, node) -> str:
    return "" if node is None else data[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _documentable(node) -> bool:
    if node.type == "variable_declarator":
        value = node.child_by_field_name("value")
        return value is not None and value.type in _FUNCTION_VALUES
    return node.type in _FUNCTIONS or node.type in _TYPES


def _find(tree, line: int):
    """The innermost documentable definition whose header holds `line`, else around it."""
    best, around = None, None
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.start_point.row > line or node.end_point.row < line:
            continue
        stack.extend(node.named_children)
        if not _documentable(node):
            continue
        anchor = _anchor(node)
        body = node.child_by_field_name("body")
        header_end = body.start_point.row if body is not None else node.end_point.row
        if anchor.start_point.row <= line <= header_end:
            if best is None or node.start_byte >= best.start_byte:
                best = node
        elif around is None or node.start_byte >= around.start_byte:
            around = node
    return best or around


def _anchor(node):
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    return node


def _is_doc(language: str, comment: str) -> bool:
    if COMMENT_LANGUAGES[language] == "rustdoc":
        return comment.startswith("///") and not comment.startswith("////")
    return comment.startswith("/**") and not comment.startswith("/**/")


def _site(text: str, data: bytes, node, language: str, starts: list[int]) -> _Site:
    anchor = _anchor(node)
    prev = anchor.prev_named_sibling
    row = anchor.start_point.row
    while prev is not None and prev.type in _BEFORE and prev.end_point.row >= row - 1:
        row, prev = prev.start_point.row, prev.prev_named_sibling
    existing, top = None, row
    while prev is not None and prev.type in _COMMENTS and prev.end_point.row >= top - 1 \
            and _is_doc(language, _text(data, prev)):
        top, prev = prev.start_point.row, prev.prev_named_sibling
    if top < row:
        end_line = text[starts[top]:starts[row]].rstrip("\r\n")
        existing = (starts[top], starts[top] + len(end_line))
    line_text = text[starts[row]:starts[row + 1] if row + 1 < len(starts) else len(text)]
    indent = line_text[:len(line_text) - len(line_text.lstrip(" \t"))]
    return _Site(node, top if existing else row, indent, existing)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def comment_edit(text: str, line: int, language: str) -> DocEdit | None:
    """The edit that documents the definition at 0-based `line`; None when nothing to do."""
    if language not in COMMENT_LANGUAGES:
        return None
    data = text.encode("utf-8", "surrogatepass")
    tree = syntax.parse_bytes(data, language)
    node = _find(tree, line) if tree is not None else None
    if node is None:
        return None
    starts = _line_starts(text)
    site = _site(text, data, node, language, starts)
    facts = _facts(data, node, language)
    family = COMMENT_LANGUAGES[language]
    newline = "\r\n" if "\r\n" in text else "\n"
    if site.existing is not None:
        start, end = site.existing
        old = text[start:end]
        new = update_comment(old, facts, family, site.indent, newline)
        if new is None or new == old:
            return None
        return DocEdit(start, end, new, new)
    at = starts[site.anchor_row]
    comment = render_comment(facts, family, site.indent, newline)
    return DocEdit(at, at, comment + newline, comment)


# --- facts from the signature -----------------------------------------------------------------


def _facts(data: bytes, node, language: str) -> CommentFacts:
    name = _text(data, node.child_by_field_name("name"))
    if node.type in _TYPES:
        params: tuple[Param, ...] = ()
        if node.type == "record_declaration":
            params = tuple(_params(data, node.child_by_field_name("parameters"), language))
        return CommentFacts(kind="type", name=name, params=params,
                            type_params=_type_params(data, node))
    function = node
    if node.type == "variable_declarator":
        function = node.child_by_field_name("value")
    params = function.child_by_field_name("parameters")
    if params is None and function.type == "arrow_function":
        params = function.child_by_field_name("parameter")
    returns = _returns(data, function, language)
    body = function.child_by_field_name("body")
    body_text = _text(data, body)
    throws = _throws(data, function, body_text, language)
    is_generator = "generator" in function.type or (
        language != "java" and _text(data, function).lstrip().startswith(("function*", "*")))
    is_async = bool(re.match(r"(export\s+)?(default\s+)?(static\s+)?async\b",
                             _text(data, _anchor(node)).lstrip()))
    return CommentFacts(
        kind="constructor" if node.type == "constructor_declaration"
        or name == "constructor" else "function",
        name=name, params=tuple(_params(data, params, language)), returns=returns,
        throws=throws, type_params=_type_params(data, function), is_async=is_async,
        is_generator=is_generator,
        panics=language == "rust" and bool(re.search(r"\bpanic!|\.unwrap\(\)|\.expect\(",
                                                     body_text)))


def _type_params(data: bytes, node) -> tuple[str, ...]:
    params = node.child_by_field_name("type_parameters")
    out = []
    for child in params.named_children if params is not None else ():
        name = child.child_by_field_name("name") or next(
            (c for c in child.named_children if c.type in ("type_identifier", "identifier")),
            None)
        if name is not None:
            out.append(_text(data, name))
    return tuple(out)


def _returns(data: bytes, function, language: str) -> str | None:
    """The declared return type; "" when returned but untyped; None when nothing is returned."""
    field = "type" if language == "java" else "return_type"
    declared = _text(data, function.child_by_field_name(field)).lstrip(":").strip()
    if declared:
        return None if declared in ("void", "()", "Promise<void>", "never") else declared
    if language in ("java", "rust"):
        return None
    body = function.child_by_field_name("body")
    if body is not None and body.type != "statement_block":
        return ""  # an arrow function's expression body is its value
    return "" if body is not None and re.search(r"\breturn\s+[^;\s}]", _text(data, body)) \
        else None


def _throws(data: bytes, function, body: str, language: str) -> tuple[str, ...]:
    if language == "java":
        clause = next((c for c in function.named_children if c.type == "throws"), None)
        names = [_text(data, c) for c in clause.named_children] if clause is not None else []
    elif language == "rust":
        names = []
    else:
        names = re.findall(r"\bthrow\s+new\s+([A-Za-z_$][\w$.]*)", body)
    return tuple(dict.fromkeys(names))


def _params(data: bytes, params, language: str) -> list[Param]:
    out: list[Param] = []
    if params is None:
        return out
    if params.type == "identifier":  # `x => ...`
        return [Param(_text(data, params))]
    for child in params.named_children:
        kind, default = "positional_or_keyword", None
        if child.type in ("self_parameter", "comment", "line_comment", "block_comment",
                          "receiver_parameter"):
            continue
        pattern = child.child_by_field_name("pattern") or child.child_by_field_name("name") \
            or child.child_by_field_name("left")
        annotation = _text(data, child.child_by_field_name("type")).lstrip(":").strip()
        if child.type in ("identifier", "rest_pattern", "object_pattern", "array_pattern"):
            pattern = child
        if child.type == "assignment_pattern":
            default = _text(data, child.child_by_field_name("right"))
        elif child.type == "optional_parameter":
            default = _text(data, child.child_by_field_name("value")) or "undefined"
        elif child.child_by_field_name("value") is not None:
            default = _text(data, child.child_by_field_name("value"))
        if child.type == "spread_parameter":  # Java `T... xs`
            pattern = next((c for c in child.named_children
                            if c.type == "variable_declarator"), child)
            pattern = pattern.child_by_field_name("name") or pattern
            annotation = _text(data, child.named_children[0]) + "..."
            kind = "var_positional"
        name = _text(data, pattern) if pattern is not None else _text(data, child)
        if pattern is not None and pattern.type == "rest_pattern":
            name, kind = name.lstrip("."), "var_positional"
        elif pattern is not None and pattern.type in ("object_pattern", "array_pattern"):
            name = "options" if pattern.type == "object_pattern" else "items"
        out.append(Param(name.strip(), annotation, default, kind))
    return out

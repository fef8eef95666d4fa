"""Names visible at a point, read from the tree-sitter tree (works in files that do not parse).

One tree-sitter query finds every binding of a document (definitions, parameters,
assignment/for/with/except/walrus/comprehension/match targets, imports, `global`), with its kind,
its annotation and the scope that owns it: the innermost function or lambda (the module when none);
class bodies and comprehensions count as the scope around them. The result is memoised on the
text, so every trigger of the monitors on one document version shares it.

Two views of it:
- `names_in_scope` (hole analysis): what Python lets the code at the cursor read, nearest first
  with types from annotations: locals bound before the cursor (latest first), the enclosing
  functions' parameters, `self` typed as its class, then module-level classes, functions, imports
  and variables. `hole.py` asks Jedi about a few unannotated locals. Unless the document's
  bindings are memoised, only the parts of the file that can bind such a name are queried
  (`scope_ranges`): a cursor in one method of a large module needs a small part of it.
- `visible_names` (the names monitor): a superset of Python's rules (a class attribute, a local
  bound after the cursor or another comprehension's variable also pass), never a subset: the
  monitor must not reject a name the code can read. Names the generated text binds come from a
  lexical scan of it; builtins and module attributes are always visible.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from cachetools import LRUCache

from typehole.base import syntax
from typehole.base.builtin_names import BUILTIN_NAMES
from typehole.base.limits import check_nesting
from typehole.base.syntax import Node, Tree, node_text

__all__ = ["Binding", "DocumentBindings", "bindings_cost_ms", "bindings_of",
           "enclosing_definitions", "generated_bindings", "names_in_scope", "scope_ranges",
           "visible_names"]

_QUERY = """
(function_definition name: (identifier) @def)
(class_definition name: (identifier) @def)
(parameters (identifier) @bind)
(lambda_parameters (identifier) @bind)
(default_parameter name: (identifier) @bind)
(typed_parameter (identifier) @bind)
(typed_default_parameter name: (identifier) @bind)
(list_splat_pattern (identifier) @bind)
(dictionary_splat_pattern (identifier) @bind)
(assignment left: (identifier) @bind)
(augmented_assignment left: (identifier) @bind)
(pattern_list (identifier) @bind)
(tuple_pattern (identifier) @bind)
(list_pattern (identifier) @bind)
(for_statement left: (identifier) @bind)
(for_in_clause left: (identifier) @bind)
(named_expression name: (identifier) @bind)
(as_pattern_target (identifier) @bind)
(as_pattern_target (tuple (identifier) @bind))
(as_pattern_target (list (identifier) @bind))
(import_statement name: (dotted_name . (identifier) @bind))
(import_statement name: (aliased_import alias: (identifier) @bind))
(import_from_statement name: (dotted_name (identifier) @bind))
(import_from_statement name: (aliased_import alias: (identifier) @bind))
(future_import_statement name: (dotted_name (identifier) @bind))
(global_statement (identifier) @global)
(nonlocal_statement (identifier) @bind)
(case_pattern (dotted_name . (identifier) @bind .))
(keyword_pattern (dotted_name . (identifier) @bind .))
(dict_pattern (dotted_name . (identifier) @bind .))
(splat_pattern (identifier) @bind)
(function_definition type_parameters: (type_parameter (type (identifier) @bind)))
(class_definition type_parameters: (type_parameter (type (identifier) @bind)))
(type_alias_statement left: (type (generic_type (type_parameter (type (identifier) @bind)))))
(type_alias_statement left: (type (identifier) @bind))
(type_alias_statement left: (type (generic_type (identifier) @bind)))
"""
_SCOPES = ("function_definition", "lambda")
_PARAMETER_LISTS = ("parameters", "lambda_parameters")
_PARAMETERS = ("typed_parameter", "typed_default_parameter", "default_parameter")
_SPLATS = ("list_splat_pattern", "dictionary_splat_pattern")
_PATTERNS = ("pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern")
_IMPORTS = ("import_statement", "import_from_statement", "future_import_statement")
# Kinds `names_in_scope` leaves out: a class body's names are attributes, not variables of the
# code around it, and a comprehension's variable is local to the comprehension.
_NOT_IN_SCOPE = frozenset({"attribute", "comprehension"})

# A document version is asked about twice per completion (hole analysis, monitors): a few suffice;
# each entry holds a parse tree, the biggest part of its memory.
_MEMO: LRUCache[bytes, DocumentBindings] = LRUCache(maxsize=8)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Binding:
    """A name bound in a document and where (0-based row, UTF-8 byte offset of the name).

    `kind`: "param", "local", "global" (a module-level variable), "class", "function", "import",
    "attribute" (bound in a class body) or "comprehension"; `type` is the annotation, if any.
    """

    name: str
    type: str | None
    kind: str
    row: int
    byte: int


@dataclass(frozen=True)
class DocumentBindings:
    """Every binding of one document, by the scope that owns it, each in document order."""

    tree: Tree
    data: bytes
    module: tuple[Binding, ...]
    functions: dict[int, tuple[Binding, ...]]  # owner function's start byte -> its bindings
    lambdas: tuple[tuple[int, int, tuple[Binding, ...]], ...]  # (start, end, bindings) per lambda


def _scope_of(node: Node | None) -> tuple[Node | None, bool]:
    """The function or lambda owning a binding at `node` (None: the module), and whether a class
    body holds the binding before any such scope does."""
    in_class = False
    while node is not None and node.type not in _SCOPES:
        in_class = in_class or node.type == "class_definition"
        node = node.parent
    return node, in_class


def _kind_and_type(data: bytes, capture: str, name: Node) -> tuple[str, str | None]:
    """What a captured name is, and its annotation, from the nodes around it."""
    parent = name.parent
    if capture == "global":
        return "global", None
    if capture == "def":
        if parent.type == "class_definition":
            return "class", None
        returns = node_text(data, parent.child_by_field_name("return_type"))
        return "function", f"Callable[..., {returns}]" if returns else None
    holder = parent.parent if parent.type in _SPLATS else parent
    if holder.type in _PARAMETER_LISTS:
        return "param", None
    if holder.type in _PARAMETERS and holder.parent is not None \
            and holder.parent.type in _PARAMETER_LISTS:
        return "param", node_text(data, holder.child_by_field_name("type")) or None
    if parent.type in _IMPORTS or (parent.parent is not None and parent.parent.type in _IMPORTS):
        return "import", None
    target = parent
    while target.type in _PATTERNS:
        target = target.parent
    if target.type == "for_in_clause":
        return "comprehension", None
    if parent.type == "assignment" and parent.child_by_field_name("left") == name:
        return "local", node_text(data, parent.child_by_field_name("type")) or None
    return "local", None


def _collect(data: bytes, tree: Tree,
             ranges: Sequence[tuple[int, int]] | None = None) -> DocumentBindings:
    """Every binding of the document, or (`ranges`) those of names captured in the byte ranges,
    each with the scope the whole tree gives it."""
    compiled = syntax.query("python", _QUERY)
    if ranges is None:
        captures = syntax.captures(compiled, tree.root_node)
        found = sorted(((node.start_byte, capture, node) for capture, nodes in captures.items()
                        for node in nodes), key=lambda c: c[0])
    else:
        # Ranges overlap (a lambda in the function queried), and a match whose pattern's root
        # reaches into a range comes with it: each captured name once.
        seen: dict[tuple[int, str], Node] = {}
        for start, end in ranges:
            for capture, nodes in syntax.captures(compiled, tree.root_node,
                                                  (start, end)).items():
                for node in nodes:
                    seen.setdefault((node.start_byte, capture), node)
        found = sorted(((byte, capture, node) for (byte, capture), node in seen.items()),
                       key=lambda c: c[0])
    module: list[Binding] = []
    functions: dict[int, list[Binding]] = {}
    lambdas: dict[tuple[int, int], list[Binding]] = {}
    for _, capture, node in found:
        kind, annotation = _kind_and_type(data, capture, node)
        # A definition's name belongs to the scope around the definition.
        start = node.parent.parent if capture == "def" and node.parent else node
        owner, in_class = _scope_of(start)
        if in_class and kind not in ("param", "global"):
            kind = "attribute"
        if owner is None and kind == "local":
            kind = "global"
        binding = Binding(node_text(data, node), annotation, kind, node.start_point.row,
                          node.start_byte)
        if owner is None or capture == "global":
            module.append(binding)
        elif owner.type == "lambda":
            lambdas.setdefault((owner.start_byte, owner.end_byte), []).append(binding)
        else:
            functions.setdefault(owner.start_byte, []).append(binding)
    return DocumentBindings(tree, data, tuple(module),
                            {k: tuple(v) for k, v in functions.items()},
                            tuple((s, e, tuple(v)) for (s, e), v in lambdas.items()))


def _key(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def bindings_of(data: bytes, tree: Tree | None = None) -> DocumentBindings:
    """The bindings of a document given as UTF-8 bytes (memoised on them; `tree`, when the caller
    has parsed `data` already, saves parsing it again).

    Raises `base.limits.Unanalysable` for text nested deeper than Python allows.
    """
    key = _key(data)
    with _LOCK:
        found = _MEMO.get(key)
    if found is None:
        check_nesting(data)
        tree = tree if tree is not None else syntax.parse_bytes(data)
        started = time.perf_counter()
        found = _collect(data, tree)
        _measured(len(data), (time.perf_counter() - started) * 1000)
        with _LOCK:
            _MEMO[key] = found
    return found


# Bytes of a document `_collect` reads per millisecond, measured on the documents read so far
# (rich's and httpx's largest modules: 2.4-10 KB/ms on two busy cores): sizes `bindings_cost_ms`.
_RATE = [3000.0]
_MEASURED_FROM = 8_000  # bytes: below, the query's fixed cost would skew the rate


def _measured(size: int, ms: float) -> None:
    if size >= _MEASURED_FROM and ms > 0:
        with _LOCK:
            _RATE[0] = 0.8 * _RATE[0] + 0.2 * (size / ms)


def bindings_cost_ms(data: bytes, ranges: Sequence[tuple[int, int]] | None = None) -> float:
    """About how long `bindings_of(data)` takes (with `ranges`: reading the bindings of those
    byte ranges, as `names_in_scope`): 0 when the document's bindings are memoised, else the
    bytes to read at the rate measured so far (a caller with a deadline asks before)."""
    key = _key(data)
    size = len(data) if ranges is None else sum(end - start for start, end in ranges)
    with _LOCK:
        return 0.0 if key in _MEMO else size / _RATE[0]


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


_GLOBAL = re.compile(rb"\bglobal\b[^\n]*")


def scope_ranges(tree: Tree, data: bytes, byte: int) -> list[tuple[int, int]]:
    """The byte ranges holding every binding `names_in_scope` may read at `byte`: the module's
    statements other than definitions (merged where adjacent), the names and decorators of
    its definitions, the outermost function around `byte`, the lambdas around it and each
    `global` statement. A cursor in one method of a large module needs a small part of it."""
    ranges: list[tuple[int, int]] = []

    def add(start: int, end: int) -> None:
        if ranges and start <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((start, end))

    for child in tree.root_node.named_children:
        target = child.child_by_field_name("definition") \
            if child.type == "decorated_definition" else child
        if target is None or target.type not in ("function_definition", "class_definition"):
            add(child.start_byte, child.end_byte)
            continue
        name = target.child_by_field_name("name")
        add(child.start_byte, name.end_byte if name is not None else target.start_byte)
    functions = [n for n in enclosing_definitions(tree, byte, data)
                 if n.type == "function_definition"]
    near: list[tuple[int, int]] = [(functions[-1].start_byte, functions[-1].end_byte)] \
        if functions else []
    node: Node | None = tree.root_node.descendant_for_byte_range(max(byte - 1, 0), byte)
    while node is not None:
        if node.type == "lambda":
            near.append((node.start_byte, node.end_byte))
        node = node.parent
    near.extend(m.span() for m in _GLOBAL.finditer(data))
    for start, end in sorted(near):
        if ranges and start < ranges[-1][0]:
            ranges.append((start, end))  # inside a definition's span: queried on its own
        else:
            add(start, end)
    return sorted(ranges)


def _region_bindings(tree: Tree, data: bytes, ranges: Sequence[tuple[int, int]]
                     ) -> DocumentBindings:
    started = time.perf_counter()
    found = _collect(data, tree, ranges)
    _measured(sum(end - start for start, end in ranges), (time.perf_counter() - started) * 1000)
    return found


def names_in_scope(tree: Tree, data: bytes, byte: int, limit: int = 40,
                   ranges: Sequence[tuple[int, int]] | None = None) -> list[Binding]:
    """Names the code at `byte` may read, nearest first, deduplicated, at most `limit`.

    The document's bindings when memoised (`bindings_of`), else those of `ranges`
    (`scope_ranges`, computed when not given): the same names, read from a part of the file.
    """
    with _LOCK:
        doc = _MEMO.get(_key(data))
    if doc is None:
        ranges = ranges if ranges is not None else scope_ranges(tree, data, byte)
        for start, end in ranges:  # each begins outside brackets, as the file does
            check_nesting(data[start:end])
        doc = _region_bindings(tree, data, ranges)
    chain = enclosing_definitions(tree, byte, data)
    found: list[Binding] = []
    for s, e, bindings in doc.lambdas:
        if s < byte <= e:
            found.extend(b for b in bindings if b.kind == "param")
    functions = [n for n in chain if n.type == "function_definition"]
    for function in functions:
        bindings = doc.functions.get(function.start_byte, ())
        found.extend(sorted((b for b in bindings if b.byte < byte and b.kind != "param"
                             and b.kind not in _NOT_IN_SCOPE), key=lambda b: -b.byte))
        found.extend(b for b in bindings if b.kind == "param")
    classes = [n for n in chain if n.type == "class_definition"]
    if functions and classes:
        # `self`'s type is the enclosing class: Jedi knows it too, but this costs nothing.
        cls_name = node_text(data, classes[0].child_by_field_name("name"))
        found = [Binding(b.name, cls_name, b.kind, b.row, b.byte)
                 if b.name == "self" and b.type is None else b for b in found]
    found.extend(b for b in doc.module if b.kind in ("class", "function", "import")
                 or (b.kind == "global" and b.byte < byte))
    seen: set[str] = set()
    out = []
    for b in found:
        if b.name and b.name not in seen and b.name != "*":
            seen.add(b.name)
            out.append(b)
    return out[:limit]


_IDENT = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_GEN_PATTERNS = (
    re.compile(r"\b(?:def|class)\s+(\w+)"),
    re.compile(r"\bdef\s+\w+\s*(?:\[[^\]]*\])?\s*\(([^)]*)"),  # parameters (and annotations)
    re.compile(r"\blambda\b([^:]*):"),
    re.compile(r"\bfor\b([^\n]*?)\bin\b"),
    re.compile(r"\bas\s+(\w+|\([^)]*\)|\[[^\]]*\])"),
    re.compile(r"(\w+)\s*:="),
    re.compile(r"\b(?:global|nonlocal)\s+([\w \t,]+)"),
    re.compile(r"^[ \t]*(?:from\s+\S+\s+)?import\s+([^\n#]+)", re.M),
    # Assignment targets: the statement's text before a lone `=` (annotations included).
    re.compile(r"^[ \t]*([\w \t,.()\[\]*:|]+?)(?<![=!<>])(?:[-+*/%&|^@]|//|<<|>>|\*\*)?=(?!=)",
               re.M),
)


def generated_bindings(generated: str) -> list[str]:
    """Names the generated text may bind (a lexical over-approximation)."""
    out: list[str] = []
    for pattern in _GEN_PATTERNS:
        for m in pattern.finditer(generated):
            out.extend(_IDENT.findall(m.group(1)))
    return out


def visible_names(prefix: str, suffix: str, generated: str = "") -> list[str]:
    """Names readable where `generated` ends, in `prefix + generated + suffix`; nearest first.

    Raises on analysis errors (the caller falls back to Jedi or fails open).
    """
    doc = bindings_of((prefix + suffix).encode("utf-8", "surrogatepass"))
    byte = len(prefix.encode("utf-8", "surrogatepass"))
    out: list[str] = list(reversed(generated_bindings(generated)))
    for s, e, bindings in doc.lambdas:
        if s < byte <= e:
            out.extend(b.name for b in bindings)
    for definition in enclosing_definitions(doc.tree, byte, doc.data):
        out.extend(b.name for b in doc.functions.get(definition.start_byte, ()))
    out.extend(b.name for b in doc.module)
    out.extend(sorted(BUILTIN_NAMES))
    return list(dict.fromkeys(out))

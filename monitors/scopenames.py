"""Names a bare identifier may read at a point, from tree-sitter (no Jedi): the names monitor's set.

Jedi answers the same question, but a completion at an empty name infers every name in scope and
costs 30-500 ms per document version. Here one tree-sitter query finds every binding in the
document (definitions, parameters, assignment/for/with/except/walrus/comprehension/match targets,
imports, `global`) and the scope that owns it (the innermost function or lambda; class bodies and
comprehensions count as their enclosing scope). A name is visible when its owner is the module or
a function/lambda around the cursor. That is a superset of Python's rules (a class attribute, a
local bound after the cursor or another comprehension's variable also pass), never a subset: the
monitor must not reject a name the code can read. Names the generated text binds come from a
lexical scan of it; builtins and module attributes are always visible.

The per-document part is memoised on the document text (prefix + suffix), so the triggers of one
completion, and the next completion on an unchanged document, parse once.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts
import tree_sitter_python

from typehole.context.limits import check_nesting
from typehole.context.scope import enclosing_definitions

__all__ = ["BUILTIN_NAMES", "DocumentBindings", "bindings_of", "forget", "generated_bindings",
           "visible_names"]

# Everything a module can read without binding it: builtins (the interpreter's and typeshed's
# extras) and the module attributes Python sets.
BUILTIN_NAMES: tuple[str, ...] = tuple(dict.fromkeys(
    [n for n in dir(builtins) if not n.startswith("_")]
    + ["reveal_type", "reveal_locals", "__name__", "__file__", "__doc__", "__spec__",
       "__loader__", "__package__", "__builtins__", "__path__", "__dict__", "__annotations__",
       "__cached__", "__debug__", "__import__", "__build_class__", "__class__", "__module__",
       "__qualname__", "WindowsError"]))

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
(type_parameter (type (identifier) @bind))
(type_alias_statement left: (type (identifier) @bind))
(type_alias_statement left: (type (generic_type (identifier) @bind)))
"""
_SCOPES = ("function_definition", "lambda")
_MEMO: OrderedDict[tuple[str | None, bytes], DocumentBindings] = OrderedDict()
_MEMO_SIZE = 16
_LOCK = threading.Lock()
_LOCAL = threading.local()

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


@cache
def _language() -> ts.Language:
    return ts.Language(tree_sitter_python.language())


@cache
def _query() -> ts.Query:
    return ts.Query(_language(), _QUERY)


def _parse(data: bytes) -> ts.Tree:
    parser = getattr(_LOCAL, "parser", None)  # parsers are not thread-safe: one per thread
    if parser is None:
        parser = _LOCAL.parser = ts.Parser(_language())
    return parser.parse(data)


@dataclass(frozen=True)
class DocumentBindings:
    """Every binding of one document: module-level names and names per owning scope."""

    tree: ts.Tree
    data: bytes
    module: tuple[str, ...]
    functions: dict[int, tuple[str, ...]]  # owner function's start byte -> names it binds
    lambdas: tuple[tuple[int, int, tuple[str, ...]], ...]  # (start, end, names) per lambda


def _owner(node: ts.Node | None) -> ts.Node | None:
    while node is not None and node.type not in _SCOPES:
        node = node.parent
    return node


def bindings_of(text: str, path: str | None = None) -> DocumentBindings:
    """The bindings of `text` (memoised on path and text).

    Raises `limits.Unanalysable` for text nested deeper than Python allows.
    """
    data = text.encode("utf-8", "surrogatepass")
    key = (path, hashlib.blake2b(data, digest_size=16).digest())
    with _LOCK:
        found = _MEMO.get(key)
        if found is not None:
            _MEMO.move_to_end(key)
            return found
    check_nesting(data)
    tree = _parse(data)
    captures = ts.QueryCursor(_query()).captures(tree.root_node)
    module: dict[str, None] = {}
    functions: dict[int, dict[str, None]] = {}
    lambdas: dict[tuple[int, int], dict[str, None]] = {}
    for capture, nodes in captures.items():
        for node in nodes:
            name = data[node.start_byte:node.end_byte].decode("utf-8", "replace")
            if capture == "global":
                module[name] = None
                continue
            # A definition's name belongs to the scope around the definition.
            owner = _owner(node.parent.parent if capture == "def" and node.parent else node)
            if owner is None:
                module[name] = None
            elif owner.type == "lambda":
                lambdas.setdefault((owner.start_byte, owner.end_byte), {})[name] = None
            else:
                functions.setdefault(owner.start_byte, {})[name] = None
    found = DocumentBindings(
        tree, data, tuple(module), {k: tuple(v) for k, v in functions.items()},
        tuple((s, e, tuple(v)) for (s, e), v in lambdas.items()))
    with _LOCK:
        _MEMO[key] = found
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return found


def forget(path: str) -> None:
    """Drop the memoised bindings (and parse trees) of a closed document."""
    with _LOCK:
        for key in [k for k in _MEMO if k[0] == path]:
            del _MEMO[key]


def generated_bindings(generated: str) -> list[str]:
    """Names the generated text may bind (a lexical over-approximation)."""
    out: list[str] = []
    for pattern in _GEN_PATTERNS:
        for m in pattern.finditer(generated):
            out.extend(_IDENT.findall(m.group(1)))
    return out


def visible_names(prefix: str, suffix: str, generated: str = "",
                  path: str | None = None) -> list[str]:
    """Names readable where `generated` ends, in `prefix + generated + suffix`; nearest first.

    Raises on analysis errors (the caller falls back to Jedi or fails open).
    """
    doc = bindings_of(prefix + suffix, path)
    byte = len(prefix.encode("utf-8", "surrogatepass"))
    out: list[str] = list(reversed(generated_bindings(generated)))
    for s, e, names in doc.lambdas:
        if s < byte <= e:
            out.extend(names)
    for definition in enclosing_definitions(doc.tree, byte, doc.data):
        out.extend(doc.functions.get(definition.start_byte, ()))
    out.extend(doc.module)
    out.extend(BUILTIN_NAMES)
    return list(dict.fromkeys(out))

"""Definitions and imports of one file, read with tree-sitter tag queries (`queries/*-tags.scm`).

Python is first-class; JavaScript/TypeScript, Java, Go and Rust get syntax-level tags through
the `syntax` shim (their grammar wheels, loaded on first use).

The queries are package data in aider's capture convention (`name.definition.<kind>` names the
defined identifier, `definition.<kind>` the whole definition, `import` an import statement); this
module turns matches into `Definition` and `Import` records with signature text, the docstring's
first line and annotations. Works on broken files: tree-sitter recovers, and what parses is kept.
A file nested deeper than Python allows has no tags (`limits.check_nesting`): tree-sitter's
queries take time quadratic in the width of the error node such a file parses into.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from operator import attrgetter
from typing import NamedTuple

from typehole.base import syntax
from typehole.base.limits import Unanalysable, check_nesting
from typehole.base.syntax import Node, Tree, node_text

from .records import Definition, Import

__all__ = ["FileTags", "UnitMemo", "extract_tags", "local_tags", "resolve_relative"]

_QUERY_FILES = {"tsx": "typescript"}  # TSX shares TypeScript's query file
# Decorators worth showing in a stub: they change how the member is called.
_STUB_DECORATORS = ("property", "staticmethod", "classmethod", "abstractmethod", "overload",
                    "setter", "cached_property", "contextmanager", "asynccontextmanager")
_MAX_VALUE = 160  # type aliases need room: `X = Union[...]`


@cache
def _tag_query(language: str) -> object | None:
    """The compiled `queries/<language>-tags.scm`; None when there is none or no grammar."""
    name = _QUERY_FILES.get(language, language)
    try:
        text = resources.files(__package__).joinpath(f"queries/{name}-tags.scm").read_text()
    except FileNotFoundError:
        return None
    return syntax.query(language, text)


@dataclass(frozen=True)
class FileTags:
    """What the index stores about one file (besides its windows)."""

    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]


def _squash(text: str) -> str:
    """One line: collapse the newlines and indentation of multi-line signatures."""
    out = " ".join(part.strip() for part in text.splitlines() if part.strip())
    for ugly, tidy in (("( ", "("), (", )", ")"), (" )", ")"), ("[ ", "["),
                       (", ]", "]"), (" ]", "]")):
        out = out.replace(ugly, tidy)
    return out


_UnitKey = tuple[str, str, bytes]


class UnitMemo(dict[_UnitKey, tuple[int, list[Definition | Import]]]):
    """A top-level statement's (or a class body statement's) tags, keyed by the class, its type
    and bytes: (its first row then, its records in query order). Re-extracting a file after an
    edit reuses the statements the edit did not touch.

    `texts` holds each statement's bytes by its span (start, end) as of the last call: after an
    edit (`extract_tags`' `changed`) the statements outside it take their bytes from there,
    already hashed, instead of slicing and hashing the whole file again.
    """

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[tuple[int, int], bytes] = {}
        # The type of the tree's root the tags were read under: module-level patterns match
        # only under `module`, and a broken file parses into a root `ERROR` node.
        self.root = ""
        # The last call's units in file order with their records, and its text's line breaks:
        # what `local_tags` edits instead of walking a new tree of the whole file.
        self.layout: list[tuple[_Unit, list[Definition | Import]]] = []
        self.newlines = 0
        # The bytes of that text from the first unit (`_units`) with a syntax error to the end
        # of the last; None: it parsed without one.
        self.broken: tuple[int, int] | None = None
        # Whether the dict and `texts` describe `layout`: `local_tags` leaves them to be made
        # when a whole parse needs them (`sync`), as they cost a pass over every unit.
        self.synced = True
        # Whether the last call (`local_tags` with `hold`) left the memo describing the text
        # before its edit, whose syntax error it did not tag: the next call's `changed` is to
        # describe the edit of that text, not of the one last tagged.
        self.held = False

    def sync(self) -> None:
        """Make the dict and `texts` of `layout` if `local_tags` left them behind."""
        if self.synced:
            return
        self.clear()
        self.update({unit.key: (unit.row, records) for unit, records in self.layout
                     if unit.key is not None})
        self.texts = {(unit.start, unit.start + len(unit.key[2])): unit.key[2]
                      for unit, _ in self.layout if unit.key is not None}
        self.synced = True

    def reset(self) -> None:
        """Forget everything: the next call is not an edit of a text this memo describes."""
        self.clear()
        self.texts = {}
        self.layout = []
        self.synced = True
        self.held = False


def extract_tags(data: bytes, module: str, path: str, is_package: bool = False,
                 tree: Tree | None = None, language: str = "python",
                 memo: UnitMemo | None = None, nesting_checked: bool = False,
                 changed: tuple[int, int, int] | None = None) -> FileTags:
    """Definitions and imports of one file given as UTF-8 bytes (Python unless `language` says).

    Other languages (see `syntax.GRAMMARS`) get syntax-level tags: classes, interfaces, structs,
    functions and methods with their header text as signature, the return type as annotation
    and the leading doc comment's first line; their imports keep the language's own module
    spelling (`./util`, `java.util`, `net/http`, `std::io`). Unknown languages get nothing,
    nor does a file nested deeper than Python allows.

    `memo` (Python only; the same module and path each time) holds the tags of the file's
    top-level statements from the last call and is refilled with this call's: statements whose
    text did not change are not queried again. The result is the same as without it.
    `nesting_checked`: the caller knows the file is nested no deeper than Python allows (the
    index bounds it per edit), so the count over the whole file is skipped. `changed` (with
    `memo`): the bytes `[start, old_end)` of the text the memo was made of became `[start,
    new_end)` of `data`, the rest is the same.
    """
    try:
        if not nesting_checked:
            check_nesting(data)
    except Unanalysable:
        _forget(memo)
        return FileTags((), ())
    if language != "python":
        return _extract_other(data, language, module, path)
    return _extract_python(data, module, path, is_package, tree, memo, changed)


def _forget(memo: UnitMemo | None) -> None:
    """Empty `memo` when this call's text is not tagged: the next call's `changed` would
    describe an edit of a text the memo was not made of."""
    if memo is not None:
        memo.reset()


# --- Python -------------------------------------------------------------------------------------


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
    signature = "\n".join([*_decorators(data, node), _squash(header)])
    parent = _qual(data, chain)
    return Definition(
        path=path, module=module, name=name, qualname=f"{parent}.{name}" if parent else name,
        kind="method" if chain else "function", line=node.start_point.row + 1,
        end_line=node.end_point.row + 1, signature=signature, doc=_docstring(data, body),
        annotation=_squash(node_text(data, node.child_by_field_name("return_type"))),
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
        signature=_squash(f"class {name}{supers}"),
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
                return _squash(node_text(data, p.child_by_field_name("type")))
    return ""


def _assignment(data: bytes, node: Node, name: str, kind: str, chain: list[Node],
                module: str, path: str) -> Definition:
    annotation = _squash(node_text(data, node.child_by_field_name("type")))
    right = node.child_by_field_name("right")
    # Only the head of a huge value (a 3,000-line table) is ever shown: squash just that much.
    head = _MAX_VALUE * 8
    clipped = right is not None and right.end_byte - right.start_byte > head
    value = _squash(data[right.start_byte:right.start_byte + head].decode("utf-8", "replace")
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


def _record(data: bytes, caps: dict[str, list[Node]], module: str, path: str,
            is_package: bool) -> list[Definition | Import]:
    """The records of one query match: imports, or at most one definition."""
    if "import" in caps:
        return list(_imports(data, caps["import"][0], module, is_package))
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
        return [found] if found is not None else []
    return []


def _anchor(caps: dict[str, list[Node]]) -> Node:
    """The node a match is about (the import or the definition), which lies in one statement."""
    for name, nodes in caps.items():
        if name == "import" or name.startswith("definition."):
            return nodes[0]
    return next(iter(caps.values()))[0]


def _shifted(record: Definition | Import, rows: int) -> Definition | Import:
    """`record` moved `rows` lines down. Copied field by field: `dataclasses.replace` runs the
    frozen `__init__` again, and an edit near the top of a large file moves thousands."""
    if not rows:
        return record
    moved = object.__new__(type(record))
    fields = moved.__dict__
    fields.update(record.__dict__)
    fields["line"] += rows
    if "end_line" in fields:
        fields["end_line"] += rows
    return moved


class _Unit(NamedTuple):  # a tuple: a large file has thousands, made again on every edit
    """A stretch of a file whose tags depend on its text and `key` only (None: on more)."""

    start: int  # byte
    end: int
    row: int
    key: tuple[str, str, bytes] | None
    # A class header's: the last row of its class, whose definition ends there (its body is
    # units of its own); -1 for other units.
    end_row: int = -1


class _Texts:
    """The bytes of spans of `data`, taken from the last call's (`UnitMemo.texts`) where an edit
    (`changed`) left them as they were; all spans asked are remembered for the next call."""

    def __init__(self, data: bytes, old: dict[tuple[int, int], bytes],
                 changed: tuple[int, int, int] | None) -> None:
        self.data = data
        self.old = old if changed is not None else {}
        self.start, old_end, self.new_end = changed if changed is not None else (0, 0, 0)
        self.shift = old_end - self.new_end
        self.spans: dict[tuple[int, int], bytes] = {}

    def __call__(self, start: int, end: int) -> bytes:
        if end <= self.start:
            found = self.old.get((start, end))
        elif start >= self.new_end:
            found = self.old.get((start + self.shift, end + self.shift))
        else:
            found = None
        text = self.spans[(start, end)] = found if found is not None else self.data[start:end]
        return text


def _units(data: bytes, nodes: list[Node], text_of: _Texts) -> list[_Unit]:
    """The units of top-level statements `nodes` (the root's children): a class's body
    statements are units of their own (its header's key is its text up to the end of its first
    body statement, which holds its docstring; its definition's last line is the class's), as
    classes can be long."""
    out = []
    for child in nodes:
        node = child.child_by_field_name("definition") \
            if child.type == "decorated_definition" else child
        body = node.child_by_field_name("body") \
            if node is not None and node.type == "class_definition" else None
        name = node.child_by_field_name("name") if body is not None else None
        if body is None or name is None or not body.children:
            start, end = child.start_byte, child.end_byte
            out.append(_Unit(start, end, child.start_point.row,
                             ("", child.type, text_of(start, end))))
            continue
        members = body.children
        out.append(_Unit(child.start_byte, members[0].start_byte, child.start_point.row,
                         ("", "class header", text_of(child.start_byte, members[0].end_byte)),
                         node.end_point.row))
        owner = node_text(data, name)
        for b in members:
            start, end = b.start_byte, b.end_byte
            out.append(_Unit(start, end, b.start_point.row, (owner, b.type, text_of(start, end))))
    return out


def _reused(records: list[Definition | Import], unit: _Unit,
            then: int) -> list[Definition | Import]:
    """A unit's records from the memo, where the unit now starts at `unit.row` (was `then`)."""
    if unit.row == then and unit.end_row < 0:  # before the edit: as they were
        return records
    out = [_shifted(r, unit.row - then) for r in records]
    if unit.end_row >= 0:  # a class header: its class ends where its body does now
        out = [replace(r, end_line=unit.end_row + 1)
               if isinstance(r, Definition) and r.kind == "class" else r for r in out]
    return out


def _extract_python(data: bytes, module: str, path: str, is_package: bool,
                    tree: Tree | None, memo: UnitMemo | None = None,
                    changed: tuple[int, int, int] | None = None) -> FileTags:
    """Definitions and imports of one Python file given as UTF-8 bytes.

    The records are gathered per unit (`_units`: every match lies inside one), so that a unit
    unchanged since the last call (`memo`) is taken from there instead of queried.
    """
    tree = tree or syntax.parse_bytes(data)
    if tree is None:  # no Python grammar installed
        _forget(memo)
        return FileTags((), ())
    if memo is not None:
        memo.sync()
    text_of = _Texts(data, memo.texts if memo is not None else {}, changed)
    units = _units(data, tree.root_node.children, text_of)
    starts = [u.start for u in units]
    old = memo if memo is not None and memo.root == tree.root_node.type else UnitMemo()
    fresh: list[list[Definition | Import] | None] = [
        None if u.key is not None and u.key in old else [] for u in units]
    missing = [i for i, records in enumerate(fresh) if records is not None]
    # One query per run of consecutive units to redo (all of the file when nothing is reused).
    runs: list[tuple[int, int]] = []
    for i in missing:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    for first, last in runs:
        span = None if len(missing) == len(units) else (units[first].start, units[last].end)
        for _, caps in syntax.matches(_tag_query("python"), tree.root_node, span):
            at = bisect_right(starts, _anchor(caps).start_byte) - 1
            bucket = fresh[at] if first <= at <= last else None
            if bucket is not None:
                bucket.extend(_record(data, caps, module, path, is_package))
    layout: list[tuple[_Unit, list[Definition | Import]]] = []
    for unit, records in zip(units, fresh, strict=True):
        if records is None:
            assert unit.key is not None
            then, records = old[unit.key]
            records = _reused(records, unit, then)
        layout.append((unit, records))
    if memo is not None:
        _remember(memo, layout, text_of.spans, tree.root_node.type, data.count(b"\n"),
                  _broken(tree.root_node))
    return _assembled(layout)


# How many more statements after an edit `local_tags` parses when the one after it came out
# otherwise (the edit reached into it) before it leaves the edit to the whole parse.
_WIDER = 2


def local_tags(data: bytes, module: str, path: str, is_package: bool, memo: UnitMemo,
               changed: tuple[int, int, int], newlines: int | None = None,
               hold: bool = False) -> FileTags | None:
    """The tags of a Python file after an edit, from `memo` (made of the text before it) and a
    parse of the statements around the edit alone (`syntax.parse_ranges`); None when that is
    not shown to be what `extract_tags` of the whole file gives: then parse it whole.

    `changed` is `extract_tags`' (the bytes `[start, old_end)` became `[start, new_end)`);
    `newlines`, when the caller knows it, the count of line breaks in `data`. The units
    (`_units`) the edit touches are parsed again with the unit before and the unit after them,
    of the same class or all top-level (a class's members under its header's lines; after a
    class's last member, the top-level statement after the class): both neighbours must come
    out as they were (when the one after does not, the next of the same class is tried, up to
    `_WIDER` more) and nothing may have a syntax error, so the edit reaches no further; the
    text before the edit may have had syntax errors only there. An edit in a class's first
    member is parsed from the class's header on (the header's key holds that member); one in a
    class header or before the first statement is left to the whole parse; a class after the
    edit is parsed to the end of its first member. The units after the edit move by the lines
    it added, unparsed.

    With `hold`, an edit inside one unit that leaves a syntax error between its neighbours
    (both still come out as they were) is not tagged: the unit keeps the tags `memo` has for
    it, the units after it move by the lines the edit added, and `memo` is left as it was,
    describing the text before the edit (`memo.held`). Half-typed code does not replace the
    last tags of its statement, and the whole file is not parsed for it; the next call, whose
    `changed` then describes the edit of that text, tags the statement once it parses.
    """
    memo.held = False
    layout = memo.layout
    if not layout or memo.root != "module":
        return None
    start, old_end, new_end = changed
    shift = new_end - old_end
    starts = [unit.start for unit, _ in layout]
    first = bisect_right(starts, start) - 1
    last = bisect_right(starts, old_end) - 1
    if first < 0:
        return None
    key = layout[first][0].key
    owner = key[0] if key is not None else None

    def plain(k: int) -> bool:  # a unit of `owner` other than a class header
        unit = layout[k][0]
        return unit.end_row < 0 and unit.key is not None and unit.key[0] == owner

    if owner is None or not all(plain(k) for k in range(first, last + 1)):
        return None
    lo: int | None = first - 1
    # The edit is in a class's first member, which the key of the class's header holds: the
    # header is tagged again, from the header's lines on.
    retitled = bool(owner) and first > 0 and _class_header(layout[first - 1][0])
    if first == 0 and owner == "":
        lo = None  # from the file's start
    elif not retitled and (first == 0 or not plain(first - 1)):
        return None
    hi: int | None = last + 1
    closing = False  # the edit is in a class's last member: parsed to the class's end and on
    if last + 1 == len(layout) and owner == "":
        hi = None  # to the file's end
    elif owner and (last + 1 == len(layout) or _top_level(layout[last + 1][0])):
        hi = None if last + 1 == len(layout) else last + 1
        closing = True
    elif last + 1 == len(layout) or not (plain(last + 1)
                                         or _class_header(layout[last + 1][0])):
        return None
    prefix: list[tuple[int, int, int]] = []  # (start, end, start's row)
    begin = 0 if lo is None else data.rfind(b"\n", 0, layout[lo][0].start) + 1
    begin_row = 0 if lo is None else layout[lo][0].row
    header_at = -1
    if owner:
        assert lo is not None
        header_at = lo
        while layout[header_at][0].end_row < 0:
            if not plain(header_at):
                return None
            header_at -= 1
        header = layout[header_at][0]
        lines_end = data.rfind(b"\n", 0, header.end) + 1  # the header's lines, not the member's
        if lines_end <= header.start:
            return None
        if lines_end < begin:
            prefix.append((header.start, lines_end, header.row))
        else:  # the members from the first on: all one range
            begin, begin_row = header.start, header.row
    rows = (data.count(b"\n") if newlines is None else newlines) - memo.newlines
    resume = len(layout)  # where the units after the edit, moved, take over
    for widened in range(_WIDER + 1):
        end = len(data) if hi is None else _extent(layout[hi][0]) + shift
        if memo.broken is not None and not (
                (0 if lo is None else layout[lo][0].start) <= memo.broken[0]
                and memo.broken[1] <= end - shift):
            return None  # a syntax error outside what is parsed again
        tree = syntax.parse_ranges(data, [*prefix, (begin, end, begin_row)])
        if tree is None or (tree.root_node.has_error and not (hold and first == last)):
            return None
        text_of = _Texts(data, {}, None)
        class_end = -1  # the class's last row, when the edit was in its last member
        if owner:
            children = tree.root_node.children
            node = children[0] if len(children) == 1 + (closing and hi is not None) else None
            if node is not None and node.type == "decorated_definition":
                node = node.child_by_field_name("definition")
            body = node.child_by_field_name("body") \
                if node is not None and node.type == "class_definition" else None
            if node is None or body is None \
                    or node_text(data, node.child_by_field_name("name")) != owner:
                return None
            units = [_Unit(b.start_byte, b.end_byte, b.start_point.row,
                           (owner, b.type, text_of(b.start_byte, b.end_byte)))
                     for b in body.children]
            if closing:
                class_end = node.end_point.row
                units.extend(_units(data, children[1:], text_of))
            if retitled and body.children:  # the header's lines up to the first member
                outer, first_member = children[0], body.children[0]
                units.insert(0, _Unit(
                    outer.start_byte, first_member.start_byte, outer.start_point.row,
                    ("", "class header", text_of(outer.start_byte, first_member.end_byte)),
                    class_end if closing else layout[header_at][0].end_row + rows))
        else:
            units = _units(data, tree.root_node.children, text_of)
        if not units or lo is not None and (
                (units[0].start, units[0].row) != (layout[lo][0].start, layout[lo][0].row)
                if retitled else units[0] != layout[lo][0]):
            return None
        if hi is None:
            break
        after = _moved(layout[hi][0], shift, rows)
        if _class_header(after):  # parsed to the end of its first member: its header alone
            if len(units) > 2 and units[-2]._replace(end_row=after.end_row) == after:
                units, resume = units[:-2], hi
                break
            return None
        if units[-1] == after:
            resume = hi + 1
            break
        if closing or widened == _WIDER or hi + 1 == len(layout) or not plain(hi + 1):
            return None
        # The edit reached the statement after it (a line left ending in `.` joins the next):
        # parsed again with the one after that as the neighbour.
        hi += 1
    assert tree is not None  # the loop ends parsed, or returned
    if tree.root_node.has_error:  # `hold`: the error lies between the neighbours
        return _held(memo, last, header_at, rows)
    starts = [unit.start for unit in units]
    stop = layout[resume][0].start + shift if resume < len(layout) else len(data)
    fresh: list[list[Definition | Import]] = [[] for _ in units]
    for _, caps in syntax.matches(_tag_query("python"), tree.root_node):
        anchor = _anchor(caps).start_byte
        at = bisect_right(starts, anchor) - 1
        # Not the class the members were parsed under, nor a class after them parsed in part.
        if at >= 0 and anchor < stop:
            fresh[at].extend(_record(data, caps, module, path, is_package))
    before = layout[:lo] if lo is not None else []
    if retitled:  # its class ends where its header unit says (its end was not parsed again)
        fresh[0] = _reused(fresh[0], units[0], units[0].row)
    elif header_at >= 0 and (rows or closing):  # the class ends further down (or up)
        header, records = before[header_at]
        moved = header._replace(end_row=class_end if closing else header.end_row + rows)
        before[header_at] = (moved, _reused(records, moved, header.row))
    new_layout = [*before, *zip(units, fresh, strict=True)]
    for unit, records in layout[resume:]:
        new_layout.append((_moved(unit, shift, rows),
                           [_shifted(r, rows) for r in records] if rows else records))
    memo.layout = new_layout
    memo.newlines += rows
    memo.broken = None
    memo.synced = False  # the dict and `texts` when a whole parse needs them
    return _assembled(new_layout)


def _held(memo: UnitMemo, last: int, header_at: int, rows: int) -> FileTags:
    """The tags of `local_tags`' `hold`: those of `memo`, the units after `layout[last]` moved
    `rows` lines (and the class of the header at `header_at`, if any, ending as much further);
    `memo` stays as it is."""
    layout = memo.layout
    memo.held = True
    if not rows:
        return _assembled(layout)
    moved = list(layout[:last + 1])
    if header_at >= 0:
        header, records = moved[header_at]
        longer = header._replace(end_row=header.end_row + rows)
        moved[header_at] = (longer, _reused(records, longer, header.row))
    moved.extend((unit, [_shifted(r, rows) for r in records])
                 for unit, records in layout[last + 1:])
    return _assembled(moved)


def _top_level(unit: _Unit) -> bool:
    """Whether `unit` is a top-level statement (a class's header too)."""
    return unit.key is not None and unit.key[0] == ""


def _class_header(unit: _Unit) -> bool:
    """Whether `unit` is a class's header (whose members are units of their own)."""
    return unit.end_row >= 0


def _extent(unit: _Unit) -> int:
    """The byte after the text `unit`'s key holds (a class header's: its first member's)."""
    if _class_header(unit) and unit.key is not None:
        return unit.start + len(unit.key[2])
    return unit.end


def _moved(unit: _Unit, shift: int, rows: int) -> _Unit:
    """`unit` after an edit before it that moved the text `shift` bytes and `rows` lines.
    Made as a tuple directly (`_Unit._make` without its checks): every unit after the edit is
    made again on each keystroke."""
    start, end, row, key, end_row = unit
    return tuple.__new__(_Unit, (start + shift, end + shift, row + rows, key,
                                 end_row + rows if end_row >= 0 else -1))


def _broken(root: Node) -> tuple[int, int] | None:
    """The span from the first unit (`_units`) with a syntax error to the end of the last, or
    None: a class header with one counts as the whole class."""
    if not root.has_error:
        return None
    spans = []
    for child in root.children:
        if not child.has_error:
            continue
        node = child.child_by_field_name("definition") \
            if child.type == "decorated_definition" else child
        body = node.child_by_field_name("body") \
            if node is not None and node.type == "class_definition" else None
        if body is None or node is None or any(
                c.has_error for c in (*child.children, *node.children)
                if c != body and c != node):
            spans.append((child.start_byte, child.end_byte))
        else:
            spans.extend((b.start_byte, b.end_byte) for b in body.children if b.has_error)
    if not spans:
        return (root.start_byte, root.end_byte)
    return min(s for s, _ in spans), max(e for _, e in spans)


def _remember(memo: UnitMemo, layout: list[tuple[_Unit, list[Definition | Import]]],
              spans: dict[tuple[int, int], bytes], root: str, newlines: int,
              broken: tuple[int, int] | None) -> None:
    """Refill `memo` with the units of the text just tagged (see `UnitMemo`)."""
    memo.clear()
    memo.update({unit.key: (unit.row, records) for unit, records in layout
                 if unit.key is not None})
    memo.texts = spans
    memo.root = root
    memo.layout = layout
    memo.newlines = newlines
    memo.broken = broken
    memo.synced = True
    memo.held = False


_LINE = attrgetter("line")


def _assembled(layout: list[tuple[_Unit, list[Definition | Import]]]) -> FileTags:
    """The file's tags from its units' records: imports in order, the first binding of each
    definition (later re-assignments rarely carry the declared type), in line order."""
    defs: list[Definition] = []
    imports: list[Import] = []
    seen: set[tuple[str, str]] = set()
    for _unit, records in layout:
        for found in records:
            if isinstance(found, Import):
                imports.append(found)
            elif (found.kind, found.qualname) not in seen:
                seen.add((found.kind, found.qualname))
                defs.append(found)
    defs.sort(key=_LINE)  # nearly sorted already: a pass, with a key read in C
    return FileTags(tuple(defs), tuple(imports))


# --- other languages: JavaScript/TypeScript, Java, Go, Rust (syntax level) ----------------------

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
    text = _squash(text).rstrip("{;").strip().removesuffix("=>").strip()
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
    text = _squash(node_text(data, field)).lstrip(":").strip()
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


def _extract_other(data: bytes, language: str, module: str, path: str) -> FileTags:
    compiled = _tag_query(language)
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

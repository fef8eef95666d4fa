"""Typed-hole analysis: what kind of position the cursor is, and what type belongs there.

The syntactic side (which brackets are open, which statement is being written) comes from the
lexical scan in `holescan.py` and the tree-sitter tree, so it holds in code that does not parse.
The semantic side comes from the type oracle: signatures for call arguments, the enclosing
function's annotation for `return`, `goto`/`infer` for attributes, receivers and operands. Where
the workspace runs ty (`context.oracle`), it answers the types of names and the parameter a call
argument fills, Jedi the rest and whatever ty cannot answer (or, engine `auto`, does not know; not
the types of locals in scope, which stay untyped when ty does not know them).

With a deadline (an editor waiting), no question outlives it: ty gets what is left of it, and
Jedi is not asked (a new version's first inference cost 0.1-2 s on Django, most of it Jedi
looking for call sites of unannotated parameters, and it cannot be cut short without losing
Jedi's warm state), and the names in scope are not gathered once the deadline has passed, nor
when the pass over the file's bindings they need would not fit what is left of it (its cost
estimated from the file's size at the rate measured so far); what was left out is said in the
request's notes (`skipped`).

Jedi is not thread-safe: call `analyse_hole` from one worker thread. Results are memoised per
(path, text hash, offset, engine), since editors ask again for the same position (completion,
then context), and the names in scope per statement: typing on a line changes neither the text
before the statement nor the lines after it, on which their types depend. An answer cut short
by the deadline (ty still analysing a document just opened) is not memoised: the names in
scope it found are reused while typing on in the statement (each keystroke a new text for ty
to analyse again, and no more time to do it in), and asked again once typing pauses.
"""

from __future__ import annotations

import re
import time

import jedi
from cachetools import LRUCache

from typehole.base import syntax
from typehole.base.positions import UTF32, byte_offset, char_offset, position_at
from typehole.base.scan import LexState, split_top
from typehole.base.syntax import Tree, node_text

from . import jedistate
from .holescan import identifier_before, scan_prefix, split_param, tail_segment
from .oracle import Engine, TyOracle, Unavailable, close_brackets, type_of_names
from .oracle.jedi import argument_type
from .records import Hole, HoleKind, ScopeName
from .scope import bindings_cost_ms, enclosing_definitions, names_in_scope, scope_ranges

__all__ = ["analyse_hole", "clear_cache", "element_type", "prepare"]

# By (path, text digest, offset, Jedi generation, engine, deadline or not): the hole and what the
# deadline left out; used from the one thread that owns Jedi.
_MemoKey = tuple[str | None, bytes, int, int, str, bool]
_MEMO: LRUCache[_MemoKey, tuple[Hole, dict[str, str]]] = LRUCache(maxsize=128)
# The names in scope of a statement, by (path, digest of the text before the statement and of
# the lines after the cursor's, Jedi generation, engine, deadline or not).
_ScopeKey = tuple[str | None, bytes, bytes, int, str, bool]
_SCOPES: LRUCache[_ScopeKey, tuple[tuple[ScopeName, ...], dict[str, str], int]] = \
    LRUCache(maxsize=32)
# The same, for a statement whose names ty did not type in time (the deadline cut them short),
# and when: reused while typing on in the statement (`_RETRY_S`), then asked again.
_PARTIAL: LRUCache[_ScopeKey, tuple[tuple[ScopeName, ...], dict[str, str], int, float]] = \
    LRUCache(maxsize=32)
_RETRY_S = 0.5  # typing pauses for longer than this between keystrokes rarely
_TY_S = 2.0  # a question to ty without a deadline of its own: a hang guard
_INFER_LOCALS = 4  # Jedi inference per unannotated local costs ~1 ms; the nearest few matter

_DEREF = re.compile(r"([A-Za-z_][\w]*|[)\]])\s*\.\s*([A-Za-z_]\w*)?$")
_OPERATOR = re.compile(r"(==|!=|<=|>=|<|>|\bis not\b|\bis\b|\+|-|\*|/|%)\s*$")
_ANNOTATED = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*:\s*(.+?)\s*=(?!=)\s*(.*)$", re.S)
_ASSIGN = re.compile(r"^\s*([A-Za-z_][\w]*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*=(?!=)\s*(.*)$", re.S)
_RETURN = re.compile(r"^\s*(return|yield)\b\s*(.*)$", re.S)
_FOR = re.compile(r"^\s*(?:async\s+)?for\s+([^=]*)$", re.S)
_ITERATOR = re.compile(r"^(?:typing\.|t\.|collections\.abc\.|abc\.)?(Iterator|Iterable|"
                       r"Generator|AsyncIterator|AsyncIterable|AsyncGenerator)\[(.*)\]$", re.S)
_CONTAINERS = ("list", "List", "set", "Set", "frozenset", "FrozenSet", "Sequence",
               "MutableSequence", "Iterable", "Iterator", "Collection", "tuple", "Tuple",
               "deque", "Deque", "AbstractSet", "KeysView", "ValuesView", "Generator",
               "AsyncIterator", "AsyncIterable", "AsyncGenerator")


# The last parse of each of a few documents: the next version is parsed from it incrementally
# (a full parse of a 100 KB file costs 15-60 ms, a re-parse after a keystroke a few).
_TREES: LRUCache[str | None, tuple[bytes, Tree]] = LRUCache(maxsize=4)


def _parse(path: str | None, data: bytes) -> Tree | None:
    """The tree of `data`, the text of `path`, re-parsed from the last one of `path`."""
    found = _TREES.get(path)
    if found is not None and found[0] == data:
        return found[1]
    # A copy is edited: the last tree may still be held by a caller (the scope memo).
    tree = (syntax.reparse(found[0], found[1].copy(), data) if found is not None
            else syntax.parse_bytes(data))
    if tree is not None:
        _TREES[path] = (data, tree)
    return tree


def prepare(text: str, path: str | None) -> None:
    """Parse `text`, the document `path` just opened, so that the first request in it finds
    the tree (`_parse`): the one part of a typed hole that does not depend on the cursor, and
    the largest in a large file (5-8 ms for httpx's 60 KB `_client.py` on an idle core). Call
    from the thread that analyses holes."""
    _parse(path, text.encode("utf-8", "surrogatepass"))


def clear_cache() -> None:
    """Forget memoised holes and scopes (tests; a new Jedi project)."""
    _MEMO.clear()
    _SCOPES.clear()
    _PARTIAL.clear()
    _TREES.clear()


def element_type(annotation: str) -> str | None:
    """The element type of a container annotation: `list[T]` -> T, `Iterator[T]` -> T."""
    m = re.match(r"^([\w.]+)\[(.*)\]$", annotation.strip(), re.S)
    if not m or m.group(1).rsplit(".", 1)[-1] not in _CONTAINERS:
        return None
    first = split_top(m.group(2), ",")[0].strip()
    return first or None


def _return_annotation(tree: Tree, data: bytes, byte: int) -> str | None:
    for node in enclosing_definitions(tree, byte, data):
        if node.type == "function_definition":
            annotation = node_text(data, node.child_by_field_name("return_type"))
            return annotation or None
        if node.type == "class_definition":
            return None
    return None


class _Analysis:
    """One request: the text, the cursor and lazily built Jedi/tree-sitter state."""

    def __init__(self, text: str, offset: int, path: str | None,
                 project: jedi.Project | None, ty: TyOracle | None = None,
                 engine: Engine = "jedi", deadline: float | None = None) -> None:
        self.text, self.offset, self.path, self.project = text, offset, path, project
        self.ty = None if engine == "jedi" else ty
        self.engine, self.deadline = engine, deadline
        row, col = position_at(text, offset, UTF32)
        self.line, self.column = row + 1, col
        self.data = text.encode("utf-8", "surrogatepass")
        self.byte = byte_offset(text, offset)
        self.tree = _parse(path, self.data)
        self._script: jedi.Script | None = None
        self._ty_text: str | None = None
        self._scan: LexState | None = None
        self.cut_short = False  # an answer was lost to the deadline: not memoised
        self.notes: dict[str, str] = {}  # what the deadline left out (the context's `skipped`)

    def jedi_in_time(self, what: str) -> bool:
        """Whether Jedi may be asked `what`: only without a deadline. Its first inference in
        a new version of a document costs 0.1-2 s on a large project (a call's signature, a
        local's type) and cannot be cut short without losing its warm state (`jedistate`), so
        with a deadline it is not asked (noted), and stays warm for the monitors."""
        if self.deadline is None:
            return True
        self.notes.setdefault("hole", f"deadline: Jedi not asked {what}")
        return False

    @property
    def scan(self) -> LexState:
        """The lexical state at the cursor (`scan_prefix`), scanned once per request: each scan
        of the 80 lines before the cursor cost 4-5 ms on an idle core."""
        if self._scan is None:
            self._scan = scan_prefix(self.text, self.offset)
        return self._scan

    @property
    def script(self) -> jedi.Script:
        if self._script is None:
            self._script = jedistate.script(self.text, self.path, self.project)
        return self._script

    def jedi_pos(self, offset: int) -> tuple[int, int]:
        row, col = position_at(self.text, offset, UTF32)
        return row + 1, col

    def ask_ty(self, question: str, offset: int,
               final: bool = False) -> tuple[bool, str | None]:
        """(answered, answer) of ty's `question` (`type_at`, `argument_type`) at `offset`; not
        answered when there is no ty, it cannot answer now, or (`auto`, unless `final` or with
        a deadline) it does not know."""
        if self.ty is None:
            return False, None
        deadline = self.deadline if self.deadline is not None else time.monotonic() + _TY_S
        try:
            found = getattr(self.ty, question)(self.ty_text(), offset, self.path, deadline)
        except Unavailable as exc:
            if self.deadline is not None:
                self.cut_short = True
                self.notes.setdefault("hole", f"ty: {exc}")
            return False, None
        # With a deadline `auto` is `ty`: Jedi's answer where ty does not know would come from
        # a first inference of the new text (0.1-2 s), which no deadline leaves time for.
        stands = final or self.engine == "ty" or self.deadline is not None
        return found is not None or stands, found

    def ty_text(self) -> str:
        """The text every question of this request asks ty about: the rest of the cursor's
        line removed and the brackets open there closed (what a question at the cursor sends
        anyway), so that one analysis of the file answers them all. The questions before the
        cursor (types of names in scope) mean the same in it."""
        if self._ty_text is None:
            closers = close_brackets(self.text, self.offset)
            line_end = self.text.find("\n", self.offset)
            rest = self.text[line_end:] if line_end >= 0 else ""
            self._ty_text = (self.text if closers is None
                             else self.text[:self.offset] + closers + rest)
        return self._ty_text

    def infer_at(self, offset: int, final: bool = False) -> str | None:
        """Type of the expression ending just before `offset` (`offset - 1` is inside it);
        `final`: what ty answers stands, known or not (Jedi only when ty cannot answer)."""
        answered, found = self.ask_ty("type_at", offset, final)
        if answered:
            return found
        if not self.jedi_in_time("for a type"):
            return None
        line, col = self.jedi_pos(max(offset - 1, 0))
        try:
            return type_of_names(self.script.infer(line, col))
        except Exception:  # parso/Jedi internal errors on broken code: fail open
            return None

    def infer_expression_end(self, expr_end: int) -> str | None:
        """Type of the expression ending at `expr_end`, calls included: `f(x)` -> f's result."""
        if self.text[expr_end - 1] in ")]":
            closer, opener = self.text[expr_end - 1], "(" if self.text[expr_end - 1] == ")" else "["
            depth, i = 0, expr_end - 1
            while i >= 0:
                depth += self.text[i] == closer
                depth -= self.text[i] == opener
                if depth == 0:
                    break
                i -= 1
            if i <= 0 or opener == "[" or not self.jedi_in_time("for a call's result"):
                return None
            line, col = self.jedi_pos(i - 1)
            try:
                results = [r for n in self.script.infer(line, col) for r in n.execute()]
            except Exception:
                return None
            return type_of_names(results)
        return self.infer_at(expr_end)


def _call_argument(a: _Analysis) -> str | None:
    answered, found = a.ask_ty("argument_type", a.offset)
    if answered or not a.jedi_in_time("for the call's signature"):
        return found
    try:
        signatures = a.script.get_signatures(a.line, a.column)
    except Exception:
        return None
    return argument_type(signatures)


def _declared_in_class(a: _Analysis, attr: str, row: int) -> str | None:
    """`attr: T` or `self.attr: T` anywhere in the class of this file that holds row `row`."""
    if a.tree is None:
        return None
    node = a.tree.root_node.descendant_for_point_range((row, 0), (row, 0))
    while node is not None and node.type != "class_definition":
        node = node.parent
    if node is None:
        return None
    body = node_text(a.data, node)
    m = re.search(rf"^\s*(?:self\.)?{re.escape(attr)}\s*:\s*([^=\n]+?)\s*(=|$)", body, re.M)
    return m.group(1).strip() if m else None


def _attribute_type(a: _Analysis, target: str, target_end: int) -> str | None:
    """Declared type of `obj.attr` (the assignment target ending at `target_end`)."""
    attr = target.rsplit(".", 1)[-1].strip()
    line, col = a.jedi_pos(target_end - 1)
    try:
        names = a.script.goto(line, col) if a.jedi_in_time("for the attribute") else []
    except Exception:
        names = []
    for name in names:
        m = re.search(rf"\b{re.escape(attr)}\s*:\s*([^=]+?)\s*(=|$)", name.get_line_code())
        if m:
            return m.group(1).strip()
        if name.line is not None and (name.module_path is None or a.path is None
                                      or str(name.module_path) == a.path):
            declared = _declared_in_class(a, attr, name.line - 1)
            if declared:
                return declared
    if target.split(".", 1)[0].strip() == "self":
        declared = _declared_in_class(a, attr, a.line - 1)
        if declared:
            return declared
    # No declaration: what the other assignments to the attribute give.
    for name in names:
        if name.line != a.line:
            try:
                return type_of_names(name.infer())
            except Exception:
                return None
    return None


def _for_target(a: _Analysis, stmt: str) -> str | None:
    """Element type of the iterable in `for <cursor> in <iterable>:` (the rest is after us)."""
    rest = a.text[a.offset:a.text.find("\n", a.offset) if "\n" in a.text[a.offset:] else None]
    m = re.match(r"^\s*([\w, ]*?)\s*\bin\b\s*(.+?):?\s*$", identifier_before(stmt) + rest)
    if not m or not a.jedi_in_time("for the iterable's elements"):
        return None
    # Ask Jedi about a placeholder target: it infers the element type of the real iterable.
    head = a.text[:a.offset - len(identifier_before(stmt))]
    indent = len(stmt) - len(stmt.lstrip())
    body = " " * (indent + 4) + "pass\n"
    probe = head + "_th_target in " + m.group(2).rstrip(":") + ":\n" + body
    line, col = position_at(probe, len(head) + 1, UTF32)
    try:
        script = jedistate.script(probe, a.path, a.project)
        return type_of_names(script.infer(line + 1, col))
    except Exception:
        return None


def _classify(a: _Analysis) -> tuple[str, str | None, str | None]:
    """(kind, expected type, receiver)."""
    scan = a.scan
    if scan.in_string or scan.in_comment:
        return HoleKind.UNKNOWN, None, None
    stmt = a.text[scan.statement_start:a.offset]
    inner_start = scan.brackets[-1][1] + 1 if scan.brackets else scan.statement_start
    segment = tail_segment(a.text[inner_start:a.offset])
    line_prefix = a.text[a.text.rfind("\n", 0, a.offset) + 1:a.offset]

    deref = _DEREF.search(line_prefix)
    if deref:
        dot = a.offset - len(deref.group(0)) + len(deref.group(1))
        receiver_end = dot
        # On the line only: a `...+$` search over the whole file tries every position.
        line_start = a.text.rfind("\n", 0, receiver_end) + 1
        receiver = re.search(r"[\w.()\[\]]+$", a.text[line_start:receiver_end])
        return (HoleKind.DEREFERENCE, a.infer_expression_end(receiver_end),
                receiver.group(0) if receiver else None)

    op = _OPERATOR.search(segment)
    if op and segment[:op.start()].strip() and not segment.rstrip().endswith("->"):
        left_end = inner_start + len(segment) - len(op.group(0))
        left_end = len(a.text[:left_end].rstrip())
        return HoleKind.COMPARISON, a.infer_expression_end(left_end), None

    if scan.brackets and scan.brackets[-1][0] == "(":
        before = a.text[scan.statement_start:scan.brackets[-1][1]]
        if re.match(r"^\s*(async\s+)?def\s+\w+\s*$", before) and len(scan.brackets) == 1:
            _, annotation, default = split_param(segment)
            if "=" in segment:
                return HoleKind.DEFAULT, annotation, None
            return HoleKind.UNKNOWN, None, None
        if re.search(r"[\w)\]]\s*$", before) and not re.search(r"\b(if|while|and|or|not|in|"
                                                                r"return|elif)\s*$", before):
            return HoleKind.CALL_ARGUMENT, _call_argument(a), None

    if scan.brackets:
        return HoleKind.UNKNOWN, None, None
    m = _RETURN.match(stmt)
    if m:
        annotation = _return_annotation(a.tree, a.data, a.byte)
        if annotation and m.group(1) == "yield":
            it = _ITERATOR.match(annotation.strip())
            annotation = split_top(it.group(2), ",")[0].strip() if it else None
        return HoleKind.RETURN, annotation, None
    m = _FOR.match(stmt)
    if m and " in " not in f" {m.group(1)} ":
        return HoleKind.FOR_TARGET, _for_target(a, stmt), None
    m = _ANNOTATED.match(stmt)
    if m:
        return HoleKind.ANNOTATED_ASSIGNMENT, m.group(2), None
    m = _ASSIGN.match(stmt)
    if m and "." in m.group(1):
        target_end = scan.statement_start + m.end(1)
        return HoleKind.ATTRIBUTE_ASSIGNMENT, _attribute_type(a, m.group(1), target_end), None
    return HoleKind.UNKNOWN, None, None


def _scope(a: _Analysis) -> tuple[tuple[ScopeName, ...], dict[str, str]]:
    """Names in scope (a few unannotated locals typed) and the declared annotations, memoised
    per statement (`_SCOPES`)."""
    statement_start = a.scan.statement_start
    line_end = a.text.find("\n", a.offset)
    key = (a.path, jedistate.digest(a.text[:statement_start]),
           jedistate.digest(a.text[line_end:] if line_end >= 0 else ""), jedistate.generation(),
           a.engine, a.deadline is None)
    found = _SCOPES.get(key)
    if found is not None:
        if found[2]:
            a.notes.setdefault("hole", _untyped(found[2]))
        return found[0], found[1]
    partial = _PARTIAL.get(key)
    if partial is not None and time.monotonic() - partial[3] < _RETRY_S:
        # Typing on in a statement whose names ty could not type in time just now: each
        # keystroke is a new text for ty to analyse again, so asking again would most likely
        # cost the whole deadline for the same answer. Asked again once typing pauses.
        a.cut_short = True
        a.notes.setdefault("hole", "deadline: names in scope as the last request in this "
                           f"statement found them ({partial[2]} left untyped; ty had not "
                           "answered)")
        return partial[0], partial[1]
    # The parts of the file that bind what the cursor may read: a method's names and the
    # module's, not every binding of a large file (2-5 ms on an idle core, not 5-9).
    ranges = scope_ranges(a.tree, a.data, a.byte)
    if a.deadline is not None and (why := _no_time_for_scope(a.data, ranges, a.deadline)):
        # Left out (not memoised: the next request in the statement asks again).
        a.cut_short = True
        a.notes.setdefault("hole", f"deadline: names in scope left out ({why})")
        return (), {}
    statement = byte_offset(a.text, statement_start)
    # Names bound by the statement being written are not in scope yet.
    bindings = [b for b in names_in_scope(a.tree, a.data, a.byte, ranges=ranges)
                if b.byte < statement]
    declared = {b.name: b.type for b in bindings if b.type and b.kind in ("local", "param",
                                                                         "global")}
    out, inferred, untyped = [], 0, 0
    cut_short = a.cut_short
    for b in bindings:
        kind_type = b.type
        if kind_type is None and b.kind == "local" and inferred < _INFER_LOCALS:
            inferred += 1
            end = char_offset(a.data, b.byte) + len(b.name)
            if a.deadline is not None:
                # Jedi's inference of a local on a new document's version: 0.1-2 s (call sites
                # of unannotated parameters searched across the project); none fits a deadline.
                answered, kind_type = a.ask_ty("type_at", end, final=True)
                untyped += not answered
            else:
                # A local ty cannot type is left untyped, not asked of Jedi: on 80 sites of
                # rich and httpx, recall of the used definition was the same with Jedi's types
                # of them (`bench context`, engines ty and auto), and Jedi's inference of one
                # cost up to 300 ms of the context's time.
                kind_type = a.infer_at(end, final=True)
        out.append(ScopeName(b.name, kind_type, b.kind))
    if untyped:
        a.notes.setdefault("hole", _untyped(untyped))
    scope = tuple(out)
    if a.cut_short == cut_short:  # nothing lost to the deadline here
        _SCOPES[key] = (scope, declared, untyped)
        _PARTIAL.pop(key, None)
    else:
        _PARTIAL[key] = (scope, declared, untyped, time.monotonic())
    return scope, declared


def _no_time_for_scope(data: bytes, ranges: list[tuple[int, int]],
                       deadline: float) -> str | None:
    """Why the names in scope do not fit what is left of the hole's share of the deadline, a
    `time.monotonic()` (None: they do). The share may have gone on reading the text (a large
    file just opened: its parse, 20-40 ms for rich's 2,600-line `console.py` on busy cores);
    if not, the pass over the bindings in `ranges` they need (`scope.scope_ranges`, unless
    this version's are memoised) may not fit the rest."""
    left_ms = (deadline - time.monotonic()) * 1000
    if left_ms <= 0:
        return "the hole's share of the deadline was spent before them"
    cost_ms = bindings_cost_ms(data, ranges)
    if cost_ms > left_ms:
        return (f"reading the bindings in scope would take about {cost_ms:.0f} ms, "
                f"{left_ms:.0f} ms of the hole's share of the deadline left")
    return None


def _untyped(count: int) -> str:
    return (f"deadline: {count} unannotated local{'s' if count > 1 else ''} left untyped "
            "(Jedi's inference does not fit one)")


def analyse_hole(text: str, offset: int, path: str | None = None,
                 project: jedi.Project | None = None, ty: TyOracle | None = None,
                 engine: Engine = "jedi", deadline: float | None = None,
                 notes: dict[str, str] | None = None) -> Hole:
    """The hole at `offset` (code points into `text`): kind, expected type and names in scope.

    `ty` and `engine`: the workspace's ty and which engine answers first (see module doc);
    `deadline` (`time.monotonic()`; an editor is waiting) bounds each question to ty, and Jedi
    is asked only before it and never to infer locals; `notes` gets what was left out (the
    context's `skipped["hole"]`).
    Never raises on broken code: unknown positions give `kind="unknown"`, `expected_type=None`.
    Call from the single thread that owns Jedi.
    """
    offset = max(0, min(offset, len(text)))
    engine = engine if ty is not None else "jedi"
    key = (path, jedistate.digest(text), offset, jedistate.generation(), engine,
           deadline is None)
    found = _MEMO.get(key)
    if found is not None:
        if notes is not None:
            notes.update(found[1])
        return found[0]
    a = _Analysis(text, offset, path, project, ty, engine, deadline)
    kind, expected, receiver = _classify(a)
    scope, declared = _scope(a)
    if kind == HoleKind.UNKNOWN:
        # `x = ` where `x` was declared with a type earlier in the scope.
        m = _ASSIGN.match(text[a.scan.statement_start:offset])
        if m and m.group(1).strip() in declared:
            kind, expected = HoleKind.ANNOTATED_ASSIGNMENT, declared[m.group(1).strip()]
    function = next((node_text(a.data, n.child_by_field_name("name"))
                     for n in enclosing_definitions(a.tree, a.byte, a.data)
                     if n.type == "function_definition"), None)
    hole = Hole(kind=kind, expected_type=expected, line=a.line, column=a.column,
                receiver=receiver, function=function, scope=scope)
    if not a.cut_short:
        _MEMO[key] = (hole, dict(a.notes))
    if notes is not None:
        notes.update(a.notes)
    return hole

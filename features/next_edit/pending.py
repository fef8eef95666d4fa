"""What the edit left pending: a new local nothing reads, a new helper nothing calls, a new
module-level name where its siblings are read.

Code is written in steps, and a step that introduces a name leaves its use to the next one:

- **local**: the edit assigned a new local (`name = value` in a function) and nothing in the
  function reads it. The value was named to be used where it is spelled out: the next edit is the
  first later line of the function that spells part of it. Where the part found says what the
  use is, the suggestion carries it: the whole value (or the name it aliases, or a chain it
  heads, `value.attr`) becomes the name; so does the first operand of `a or b` (the value
  defaulted) and the body of `a if c else b` (the value checked); a filter comprehension
  (`[a for a in items if ...]`) replaces `items` in a later `for a in items:`. Any other
  part (a name or attribute chain the value reads) gives the place only.
- **helper**: the edit defined a function (or a method) that nothing calls, whose body returns
  one expression that does more than pass a parameter on. Where that expression is spelled out
  elsewhere in the file (its parameters standing for any name or attribute chain), the call
  replaces it: `inst.__class__.__attrs_attrs__` -> `_fast_attrs_iterate(inst)`, or
  `self.helper(...)` in a method of the same class. A body that does more than return the
  expression gives the place only.
- **sibling**: the edit defined a module-level name of the same kind as at least `MIN_SIBLINGS`
  others that share a word of their name with it at the start or the end (`COMPLETION_SCRIPT_FISH`
  among `COMPLETION_SCRIPT_ZSH` and `COMPLETION_SCRIPT_BASH`), and nothing reads it yet. Where the
  siblings are read together (outside the collection literals the registry engine completes),
  the new one is likely read next: the last line of the closest group of such reads, as a place.

Each is silent once the name is used (`still_pending`), and when the text does not parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from typehole.base.builtin_names import BUILTIN_NAMES

from .extracted import assigned_to, quiet, scope_of
from .records import Event, Suggestion
from .registry import defined_in, definition_of
from .tokens import is_identifier, node_span, nodes_under, significant, text_of
from .trees import parse_written

__all__ = ["pending_suggestions", "still_pending"]

MAX_CHARS = 400_000  # a larger file is generated, not edited by hand
MAX_VALUE_CHARS = 200
MAX_SITES = 8  # more copies of a helper's expression than this: a pattern, not one refactoring
MIN_SIBLINGS = 2
GROUP_LINES = 10  # sibling reads this close together are one place (an `if`/`elif` chain)
_OWNERS = frozenset(("self", "cls"))
_DEL = re.compile(r"[ \t]*del\b")
# Values that name no expression spelled elsewhere: a literal, an empty container.
_TRIVIAL = frozenset(("true", "false", "none", "integer", "float", "string",
                      "concatenated_string", "ellipsis"))
_COMPREHENSIONS = ("list_comprehension", "set_comprehension", "generator_expression")
_SPECIFIC = ("attribute", "call", "subscript", "binary_operator", "boolean_operator",
             "comparison_operator", "not_operator", "conditional_expression", "unary_operator")
_COLLECTIONS = ("list", "tuple", "set", "dictionary")
# Where an identifier is no read of a value: a definition's name, an import, a parameter; and
# the field of the parents where it is one.
_NOT_READS = frozenset(("function_definition", "class_definition", "parameters",
                        "import_from_statement", "dotted_name", "aliased_import",
                        "global_statement", "nonlocal_statement"))
_READ_FIELD = {"attribute": "object", "keyword_argument": "value", "assignment": "right"}


@dataclass(frozen=True)
class _Part:
    """A spelling of (part of) a new local's value, and whether, found later, it becomes the
    name (`regex` group `use` marks the text replaced)."""

    regex: re.Pattern[str]
    replaced: bool


def pending_suggestions(event: Event) -> list[Suggestion]:
    """Where the names the edit introduced and left unused are to be used next."""
    change = event.change
    if len(event.after) > MAX_CHARS or not any(c in change.new_text for c in "=:"):
        return []  # no assignment or definition header typed: nothing is parsed
    text = event.after
    parsed = parse_written(text, change.start, change.inserted_end)
    if parsed is None or parsed[0].root_node.has_error:
        return []
    tree, data, b_lo, b_hi = parsed
    out: list[Suggestion] = []
    for assignment in _written_assignments(tree, b_lo, b_hi):
        s = _local_use(text, data, assignment)
        if s is not None:
            out.append(s)
    for fn in _overlapping(tree.root_node, b_lo, b_hi, "function_definition"):
        name = fn.child_by_field_name("name")
        if name is not None and b_lo <= name.start_byte < b_hi:
            out.extend(_helper_calls(event, text, data, fn, text_of(name)))
    out.extend(_sibling_reads(event, text, data, tree, b_lo, b_hi))
    return out


def still_pending(text: str, s: Suggestion) -> bool:
    """Whether the name a pending suggestion is about is still unused in `text`: a local
    assigned before the site and not read from there to the site, a helper or a module-level
    name spelled once (its definition)."""
    _, kind, name = s.group.split(":", 2)
    n = re.escape(name)
    if kind != "local":
        return len(re.findall(rf"\b{n}\b", text)) == 1
    stores = list(re.finditer(rf"^[ \t]*{n}[ \t]*(?::[^=\n]*)?=(?!=)", text[: s.start],
                              re.MULTILINE))
    if not stores:
        return False  # the assignment is gone
    return re.search(rf"\b{n}\b", text[stores[-1].end() : s.end]) is None


def _overlapping(root: Any, b_lo: int, b_hi: int, kind: str) -> Iterator[Any]:
    """The nodes of type `kind` that overlap the bytes `[b_lo, b_hi)`, in document order (the
    rest of the tree is not walked)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte <= b_lo or node.start_byte >= b_hi:
            continue
        if node.type == kind:
            yield node
        stack.extend(reversed(node.children))


# --- locals -------------------------------------------------------------------------------


def _written_assignments(tree: Any, b_lo: int, b_hi: int) -> Iterator[Any]:
    """`name = value` statements in a function whose value the edit wrote (wholly or in part)."""
    for a in _overlapping(tree.root_node, b_lo, b_hi, "assignment"):
        left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier" \
                or a.parent is None or a.parent.type != "expression_statement":
            continue
        if right.start_byte < b_hi and right.end_byte > b_lo:
            yield a


def _local_use(text: str, data: bytes, assignment: Any) -> Suggestion | None:
    """The first later line of the function that spells part of the new local's value."""
    name = text_of(assignment.child_by_field_name("left"))
    value = assignment.child_by_field_name("right")
    scope = scope_of(assignment)
    if scope is None or scope.type == "module" or not is_identifier(name):
        return None  # a module-level name is the sibling rule's; a class attribute no local
    if sum(1 for n in nodes_under(scope, "identifier") if text_of(n) == name and _a_name(n)) != 1:
        return None  # read (or bound) elsewhere in the function: not new, or used already
    parts = _parts(value, name)
    if not parts:
        return None
    _, a_end = node_span(text, data, assignment)
    _, s_hi = node_span(text, data, scope)
    found = _first_spelling(text, parts, a_end, s_hi)
    if found is None:
        return None
    m, part = found
    a_lo, _ = node_span(text, data, assignment)
    line = text.count("\n", 0, a_lo) + 1
    group = f"pending:local:{name}"
    if part.replaced:
        lo, hi = m.span("use")
        reason = f"`{name}` (line {line}) stands for `{text[lo:hi]}` here and nothing reads it yet"
        return Suggestion(lo, hi, name, "pending", reason, text[lo:hi], group)
    reason = f"`{name}` (line {line}) is not read yet; this line spells part of its value"
    return _place(text, m.start(), "pending", reason, group)


def _parts(value: Any, name: str) -> list[_Part]:
    """The spellings of the value worth finding later, those that become the name first."""
    source = text_of(value)
    reads = list(_read_chains(value))
    if value.type in _TRIVIAL or len(source) > MAX_VALUE_CHARS or not reads \
            or source.endswith("()") and source[:-2] in BUILTIN_NAMES:
        return []  # a literal, or a fresh container (`dict()`): nothing spelled elsewhere
    if value.type == "identifier" and (source in _OWNERS or source == name):
        return []
    replaced = [value]
    if value.type == "boolean_operator":
        replaced.append(value.child_by_field_name("left"))
    elif value.type == "conditional_expression" and value.named_children:
        replaced.append(value.named_children[0])
    parts = [_Part(_spelled(text_of(n)), True) for n in replaced if n is not None]
    if value.type in _COMPREHENSIONS:
        parts.extend(_filter_loop(value))
    texts = {text_of(n) for n in replaced if n is not None}
    for n in reads:
        chain = text_of(n)
        if chain not in texts and chain not in _OWNERS and chain not in BUILTIN_NAMES:
            texts.add(chain)
            parts.append(_Part(_spelled(chain), False))
    return parts


def _spelled(source: str) -> re.Pattern[str]:
    """`source` as code spells it: whole names, a chain's head too (`source.attr`), not a
    longer chain's tail."""
    return re.compile(rf"(?<![\w.])(?P<use>{re.escape(source)})(?!\w)")


def _filter_loop(value: Any) -> list[_Part]:
    """`for a in items:` for a comprehension `[a for a in items if ...]`: the loop it filters,
    whose iterable becomes the name."""
    body = value.named_children[0] if value.named_children else None
    clauses = [c for c in value.named_children if c.type == "for_in_clause"]
    if body is None or body.type != "identifier" or len(clauses) != 1:
        return []
    target, items = clauses[0].child_by_field_name("left"), clauses[0].child_by_field_name("right")
    if target is None or items is None or text_of(target) != text_of(body):
        return []
    regex = re.compile(rf"\bfor[ \t]+{re.escape(text_of(target))}[ \t]+in[ \t]+"
                       rf"(?P<use>{re.escape(text_of(items))})[ \t]*:")
    return [_Part(regex, True)]


def _read_chains(value: Any) -> Iterator[Any]:
    """The names and whole attribute chains the value reads (not a keyword argument's name)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if node.type == "attribute" and _chain(node):
            yield node
            continue
        if node.type == "identifier" and (node.parent is None or node.parent.type not in (
                "keyword_argument", "attribute")):
            yield node
            continue
        if node.type == "keyword_argument":
            inner = node.child_by_field_name("value")
            stack.extend([inner] if inner is not None else [])
            continue
        stack.extend(reversed(node.named_children))


def _a_name(node: Any) -> bool:
    """Whether an identifier stands for a variable (not an attribute's or a keyword's name)."""
    parent = node.parent
    return parent is None or parent.type not in ("attribute", "keyword_argument") \
        or parent.child_by_field_name(_READ_FIELD[parent.type]) == node


def _chain(node: Any) -> bool:
    """Whether an attribute is a dotted chain of names (`a.b.c`)."""
    while node.type == "attribute":
        node = node.child_by_field_name("object")
    return node.type == "identifier"


def _first_spelling(text: str, parts: list[_Part], lo: int,
                    hi: int) -> tuple[re.Match[str], _Part] | None:
    """The earliest code spelling in `text[lo:hi]` of a part that carries the name's use, else
    of any part (a copy of the value says more than a read of one of its names); the longest
    on its line."""
    firsts: list[tuple[int, re.Match[str], _Part]] = []
    for part in parts:
        for m in part.regex.finditer(text, lo, hi):
            use_lo, use_hi = m.span("use")
            line_lo = text.rfind("\n", 0, use_lo) + 1
            if assigned_to(text, use_hi) or _DEL.match(text, line_lo, use_lo) \
                    or quiet(text, use_lo, use_hi):
                continue  # bound or deleted there, or prose
            firsts.append((text.count("\n", lo, use_lo), m, part))
            break
    if not firsts:
        return None
    pool = [f for f in firsts if f[2].replaced] or firsts
    _, m, part = min(pool, key=lambda f: (f[0], f[1].start("use") - f[1].end("use")))
    return m, part


def _place(text: str, at: int, source: str, reason: str, group: str) -> Suggestion:
    """A location-only suggestion spanning the stripped line that holds `at`."""
    line_lo = text.rfind("\n", 0, at) + 1
    line_hi = text.find("\n", at)
    line_hi = len(text) if line_hi < 0 else line_hi
    lo = line_lo + len(text[line_lo:line_hi]) - len(text[line_lo:line_hi].lstrip())
    hi = line_lo + len(text[line_lo:line_hi].rstrip())
    return Suggestion(lo, hi, text[lo:hi], source, reason, text[lo:hi], group, jump=True)


# --- helpers ------------------------------------------------------------------------------


def _helper_calls(event: Event, text: str, data: bytes, fn: Any,
                  name: str) -> list[Suggestion]:
    """The spellings elsewhere in the file of what a new, uncalled function returns."""
    if re.search(rf"\bdef[ \t]+{re.escape(name)}\b", event.before) \
            or len(re.findall(rf"\b{re.escape(name)}\b", text)) != 1 \
            or fn.parent is None or fn.parent.type == "decorated_definition":
        return []  # not new, called (or named) already, or a property or registered hook
    params = _params(fn)
    returned = _returned(fn)
    if params is None or returned is None:
        return []
    owner = scope_of(fn)
    method = owner is None  # defined in a class body
    if method and (not params or params[0][0] not in _OWNERS):
        return []
    receiver = params[0][0] if method else ""
    named = params[1:] if method else params
    holes = [p for p, _ in named]
    regex = _expression_pattern(text_of(returned[0]), [receiver, *holes] if method else holes)
    if regex is None:
        return []
    # Where the function can be called by its name: a method on what its receiver matched (on
    # `self` in its class where the value does not read it), a nested function in the function
    # around it, a module-level one anywhere.
    around = (None if receiver in regex.groupindex else fn.parent.parent) if method else \
        owner if owner is not None and owner.type == "function_definition" else None
    f_lo, f_hi = node_span(text, data, fn)
    c_lo, c_hi = node_span(text, data, around) if around is not None else (0, len(text))
    sites = [m for m in regex.finditer(text, c_lo, c_hi)
             if not f_lo <= m.start() < f_hi and not assigned_to(text, m.end())
             and not quiet(text, m.start(), m.end())]
    if not sites or len(sites) > MAX_SITES:
        return []
    line = text.count("\n", 0, f_lo) + 1
    reason = f"`{name}` (line {line}) returns this and nothing calls it yet"
    group = f"pending:helper:{name}"
    if not returned[1] or not _returns_only(fn) or any(
            default is None and p not in regex.groupindex for p, default in named):
        return [_place(text, sites[0].start(), "pending", reason, group)]
    out = []
    for m in sites:
        args = ", ".join(_arguments(m, holes))
        owner_text = m.group(receiver) if receiver in regex.groupindex else receiver
        call = f"{owner_text}.{name}({args})" if method else f"{name}({args})"
        out.append(Suggestion(m.start(), m.end(), call, "pending", reason, m.group(0), group))
    return out


def _arguments(m: re.Match[str], holes: list[str]) -> list[str]:
    """The call's arguments: what each parameter matched, by keyword after one left to its
    default."""
    out, skipped = [], False
    for p in holes:
        if p not in m.re.groupindex:
            skipped = True
        else:
            out.append(f"{p}={m.group(p)}" if skipped else m.group(p))
    return out


def _params(fn: Any) -> list[tuple[str, str | None]] | None:
    """(name, default or None) of each parameter; None where `*args`, `**kwargs` or a bare
    `*` make the call's shape unknown."""
    node = fn.child_by_field_name("parameters")
    out: list[tuple[str, str | None]] = []
    for p in node.named_children if node is not None else []:
        if p.type == "comment":
            continue
        if p.type == "identifier":
            out.append((text_of(p), None))
        elif p.type == "typed_parameter" and p.named_children \
                and p.named_children[0].type == "identifier":
            out.append((text_of(p.named_children[0]), None))
        elif p.type in ("default_parameter", "typed_default_parameter"):
            name, default = p.child_by_field_name("name"), p.child_by_field_name("value")
            if name is None or default is None:
                return None
            out.append((text_of(name), text_of(default)))
        else:
            return None
    return out


def _returned(fn: Any) -> tuple[Any, bool] | None:
    """The first expression the function returns that is specific (not a parameter passed on, a
    literal or `NotImplemented`) and short, and whether it is the only value returned."""
    body = fn.child_by_field_name("body")
    if body is None:
        return None
    returns = [r for r in nodes_under(body, "return_statement") if _own(r, fn)]
    values = [r.named_children[0] for r in returns if r.named_children]
    if not values:
        return None
    value = values[0]
    source = text_of(value)
    if value.type not in _SPECIFIC or "\n" in source or len(source) > MAX_VALUE_CHARS:
        return None
    return value, len(returns) == 1


def _own(node: Any, fn: Any) -> bool:
    """Whether `node` belongs to `fn` itself, not to a function or class nested in it."""
    up = node.parent
    while up is not None and up != fn:
        if up.type in ("function_definition", "class_definition", "lambda"):
            return False
        up = up.parent
    return True


def _returns_only(fn: Any) -> bool:
    """Whether the body is its return statement (after a docstring): the call is the value."""
    body = fn.child_by_field_name("body")
    statements = [s for s in body.named_children if s.type != "comment"] if body else []
    if statements and statements[0].type == "expression_statement" \
            and statements[0].named_children and statements[0].named_children[0].type == "string":
        statements = statements[1:]
    return len(statements) == 1 and statements[0].type == "return_statement"


def _expression_pattern(source: str, holes: list[str]) -> re.Pattern[str] | None:
    """A regex for `source` with each parameter a named group for any name or attribute chain
    (the same text where it recurs); None where nothing but parameters pins it down."""
    tokens = significant(source)
    pieces: list[str] = []
    seen: set[str] = set()
    fixed = False
    for i, token in enumerate(tokens):
        after_dot = i > 0 and tokens[i - 1].text == "."
        if token.text in holes and not after_dot:
            pieces.append(f"(?P={token.text})" if token.text in seen
                          else rf"(?P<{token.text}>[^\W\d][\w.]*)")
            seen.add(token.text)
            continue
        if token.is_name and token.text not in BUILTIN_NAMES \
                or token.text[:1] in "'\"":
            fixed = True  # an attribute, a function, a constant or a string of its own
        pieces.append(re.escape(token.text))
    if not fixed:
        return None
    return re.compile(r"(?<![\w.])" + r"\s*".join(pieces) + r"(?![\w(])")


# --- siblings -----------------------------------------------------------------------------


def _sibling_reads(event: Event, text: str, data: bytes, tree: Any, b_lo: int,
                   b_hi: int) -> list[Suggestion]:
    """Where the siblings of a new, unread module-level name are read together."""
    top = [definition_of(n) for n in tree.root_node.named_children]
    out = []
    for node, kind, name in top:
        at = data.find(name.encode("utf-8"), node.start_byte) if node is not None else -1
        if node is None or not name or not (b_lo < at + len(name) and at < b_hi) \
                or defined_in(event.before, name) \
                or len(re.findall(rf"\b{re.escape(name)}\b", text)) != 1:
            continue
        same = [n for _, k, n in top if k == kind and n and n != name]
        siblings = {n for n in same if _akin(name, n)}
        bases = {n for n in same if _extends(name, n)}
        if len(siblings) >= MIN_SIBLINGS:
            site = _read_group(_reads(tree, siblings, b_lo, b_hi))
        elif len(bases) == 1:
            # A variant of one name (`do_complete` -> `do_complete_fish`): where that one is
            # read, if it is read in one place.
            siblings = bases
            reads = _reads(tree, bases, b_lo, b_hi)
            site = reads[0] if len(reads) == 1 else None
        else:
            continue
        if site is None:
            continue
        at, _ = node_span(text, data, site)
        named = ", ".join(f"`{s}`" for s in sorted(siblings)[:3])
        reason = f"the new `{name}` is not read where " + (
            f"its siblings ({named}) are" if len(siblings) > 1 else f"{named} is")
        out.append(_place(text, at, "pending", reason, f"pending:sibling:{name}"))
    return out


def _words(name: str) -> list[str]:
    """A name's words: split at `_` and where a capital starts one."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)]


def _akin(a: str, b: str) -> bool:
    """Whether two names share their first or last word (and are spelled alike: public or
    private, upper case or not)."""
    if a.startswith("_") != b.startswith("_") or a.isupper() != b.isupper():
        return False
    x, y = _words(a), _words(b)
    if len(x) < 2 and len(y) < 2:
        return False
    return x[0] == y[0] or x[-1] == y[-1]


def _extends(new: str, old: str) -> bool:
    """Whether `new` is `old` with a word added at the end (`do_complete_fish`, `FooAsync`)."""
    rest = new[len(old) :] if new.startswith(old) else ""
    return rest[:1] == "_" and len(rest) > 1 or rest[:1].isupper()


def _reads(tree: Any, names: set[str], b_lo: int, b_hi: int) -> list[Any]:
    """The reads of `names` outside collection literals and what the edit wrote."""
    return [n for n in nodes_under(tree.root_node, "identifier")
            if text_of(n) in names and not b_lo <= n.start_byte < b_hi and _a_read(n)]


def _read_group(reads: list[Any]) -> Any | None:
    """The last read of the group of close reads that names the most siblings, at least two
    (the first such group in the file)."""
    groups: list[list[Any]] = []
    for n in reads:
        if groups and n.start_point[0] - groups[-1][-1].start_point[0] <= GROUP_LINES:
            groups[-1].append(n)
        else:
            groups.append([n])
    best = max(groups, key=lambda g: len({text_of(n) for n in g}), default=None)
    if best is None or len({text_of(n) for n in best}) < 2:
        return None  # read one at a time: no place where they are read together
    return best[-1]


def _a_read(node: Any) -> bool:
    """Whether an identifier is read as a value (not defined, not an attribute's name or a
    keyword, not an entry of a collection literal)."""
    parent = node.parent
    if parent is None or parent.type in _NOT_READS:
        return False
    if parent.type in ("attribute", "keyword_argument", "assignment") \
            and parent.child_by_field_name(_READ_FIELD[parent.type]) != node:
        return False
    up = parent
    while up is not None:
        if up.type in _COLLECTIONS:
            return False
        up = up.parent
    return True

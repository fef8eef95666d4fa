"""The text that drops a use of a name the edit removed, where the use's role says what it is.

When an edit deletes a name's only binding (a parameter, an import, an assignment, a function or
class) and does not rename it, its uses are left undefined. Where the use has a role that
removing the name settles on its own, the suggestion can carry the text instead of only the
place (on real commits, `typehole bench next-edit --git`, these are what the maintainers wrote
next):

- a keyword argument `kw=NAME`: the argument goes (`urlencode(q, safe=URLENCODE_SAFE)`);
- an operand `not NAME` of `and`, or `NAME` of `or`, whose other operands are not literals:
  the operand goes (`a and not b and not MSYS2`), the removed name read as absent (false), as
  where its `if` block goes;
- an element of a one-line tuple, list or set: the element goes, with the other removed names
  there (`(ImmutableSet, Set, set)` -> `(set,)`);
- a removed parameter's `self.attr = NAME`: the statement goes;
- `if NAME:` or `if NAME is not None:` with no other branch: the block goes (it ran only when the
  removed thing was there);
- a statement that is a call given NAME (a removed constant or import) as its first argument
  (`DEFAULT_STYLES.update(MARKDOWN_STYLES)`, `warnings.warn(MESSAGE, ...)`): the statement goes,
  and an `if` block it was the whole of goes with it;
- `cast(T, x)` where the edit removed the import of `cast`, or `f(x)` where it removed a
  function whose every `return` gives back its first parameter (`return cl`): `x`
  (parenthesised unless it stands alone). Other removed callables' calls stay location-only:
  on real commits they went to another function as often as they were unwrapped.

A removed line leaves no stray blank line behind a block's opening line or at the end of the
file. Anything else stays a location-only suggestion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from typehole.base.positions import jedi_offset, jedi_position

from .name_facts import NameFacts

__all__ = ["Removal", "binding_kinds", "removal_edit", "slot"]

_OPENS = re.compile(r"(?:(?<![=!<>])[(\[{,=:]|(?<![\w.])(?:return|if|elif|while|assert|yield))\Z")
_CLOSES = (")", "]", "}", ",", ":", "#", "\n")
_LITERALS = ("string", "number", "fstring", "strings")
MAX_LINE = 88  # Black's line length: brackets it split for length it joins when they fit


@dataclass(frozen=True)
class Removal:
    """Replace `start:end` of the text with `new_text`; `what` says what goes (the reason)."""

    start: int
    end: int
    new_text: str
    what: str


def slot(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` stands alone between delimiters, where any expression fits
    without parentheses (an argument, a condition, the right of `=`)."""
    head = text[max(start - 40, 0) : start].rstrip()  # an argument on its own line too
    tail = text[end:].lstrip(" \t")
    return _OPENS.search(head) is not None and (not tail or tail.startswith(_CLOSES))


def binding_kinds(before: str, name: str, span: tuple[int, int]) -> frozenset[str]:
    """How `name` was bound in `before` inside `span` (the edited region), the text the edit
    removed: "param", "import", "def" (a function or class), "assign" or "other", and
    "passthrough" for a function that returns its first parameter."""
    facts = NameFacts.of(before)
    if facts is None:
        return frozenset()
    kinds = set()
    for leaf in facts.module.get_used_names().get(name, []):
        if not span[0] <= jedi_offset(before, *leaf.start_pos) < span[1]:
            continue
        if not leaf.is_definition():
            continue
        kinds.add(_kind(leaf))
        if _passes_through(leaf.get_definition()):
            kinds.add("passthrough")
    return frozenset(kinds)


def _passes_through(definition: Any) -> bool:
    """Whether `definition` is a function whose every `return` gives back its first parameter
    (`def _add_setattr(cl): ...; return cl`): a call of it reads as its argument."""
    if definition is None or definition.type != "funcdef":
        return False
    params = definition.get_params()
    returns = list(definition.iter_return_stmts())
    if not params or not returns or any(True for _ in definition.iter_yield_exprs()):
        return False
    first = params[0].name.value
    return all(r.type == "return_stmt" and len(r.children) == 2
               and r.children[1].type == "name" and r.children[1].value == first
               for r in returns)


def _kind(leaf: Any) -> str:
    if leaf.parent.type == "param" or (leaf.parent.type == "tfpdef"
                                       and leaf.parent.parent.type == "param"):
        return "param"
    definition = leaf.get_definition()
    if definition is None:
        return "other"
    if definition.type in ("import_from", "import_name"):
        return "import"
    if definition.type in ("funcdef", "classdef"):
        return "def"
    return "assign" if definition.type == "expr_stmt" else "other"


def removal_edit(text: str, at: int, name: str, kinds: frozenset[str],
                 gone: frozenset[str] = frozenset()) -> Removal | None:
    """The edit that drops the use of `name` at offset `at` of `text` (None: its role does not
    say). `kinds`: how the edit's removed text bound it (`binding_kinds`); `gone`: every name
    the edit left undefined, which an element list loses together."""
    facts = NameFacts.of(text)
    if facts is None or not kinds:
        return None
    position = jedi_position(text, at)
    leaf = next((n for n in facts.module.get_used_names().get(name, [])
                 if n.start_pos == position), None)
    if leaf is None:
        return None
    for rule in (_keyword, _operand, _element, _statement, _unwrapped):
        found = rule(text, leaf, kinds, gone | {name})
        if found is not None:
            return _rejoined(text, leaf, found)
    return None


def _rejoined(text: str, leaf: Any, removal: Removal) -> Removal:
    """The removal with the brackets around it joined on one line where a formatter (Black)
    would join them: the brackets split one to a line only for length (the opening one ends its
    line, the closing one starts its own, no comment, no trailing comma), and what is left fits
    in `MAX_LINE` columns. Parentheses only a long right-hand side needed then go too
    (`x = (\n    a or b\n)` -> `x = a or b`). Otherwise the removal as it is."""
    node = leaf
    while node is not None and not (
            node.type in ("atom", "trailer") and node.children[0].type == "operator"
            and node.children[0].value in "([{"):
        node = node.parent
    if node is None:
        return removal
    lo, hi = _end(text, node.children[0]), _start(text, node.children[-1])
    if not lo <= removal.start <= removal.end <= hi or "\n" not in text[lo:hi] \
            or text[lo : text.find("\n", lo)].strip() \
            or text[text.rfind("\n", 0, hi) + 1 : hi].strip():
        return removal
    inner = text[lo : removal.start] + removal.new_text + text[removal.end : hi]
    if any(c in inner for c in "#\\\"'") and _unsafe(inner):
        return removal  # a comment, a continuation, a string over lines: left to the author
    joined = _joined(inner)
    if not joined or joined.endswith(","):
        return removal  # a trailing comma keeps the brackets split
    start, end = _start(text, node), _end(text, node)
    parent = node.parent
    redundant = node.type == "atom" and node.children[0].value == "(" and "," not in joined \
        and "yield" not in joined and parent.children[-1] is node and (
            parent.type == "return_stmt"
            or (parent.type == "expr_stmt" and parent.children[-2].type == "operator"
                and parent.children[-2].value == "="))
    new = joined if redundant else text[start:lo] + joined + text[hi:end]
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    tail = text[end : len(text) if line_end < 0 else line_end]
    if len(text[line_start:start] + new + tail) > MAX_LINE:
        return removal
    return Removal(start, end, new, removal.what)


def _unsafe(inner: str) -> bool:
    """Whether bracketed text holds a comment, a backslash continuation or a string that runs
    over lines (what joining its lines would break)."""
    import tokenize
    from io import StringIO

    try:
        for token in tokenize.generate_tokens(StringIO(f"({inner})").readline):
            if token.type == tokenize.COMMENT or (
                    token.type == tokenize.STRING and "\n" in token.string):
                return True
    except (tokenize.TokenError, SyntaxError):
        return True
    return "\\\n" in inner


def _joined(inner: str) -> str:
    """Bracketed lines on one line: one space between pieces, none inside brackets."""
    out = ""
    for piece in (line.strip() for line in inner.splitlines()):
        if not piece:
            continue
        if out and not out.endswith(("(", "[", "{")) and not piece.startswith((")", "]", "}")):
            out += " "
        out += piece
    return out


def _start(text: str, node: Any) -> int:
    return jedi_offset(text, *node.start_pos)


def _end(text: str, node: Any) -> int:
    return jedi_offset(text, *node.end_pos)


def _one_line(text: str, start: int, end: int) -> bool:
    return "\n" not in text[start:end]


def _drop_from_list(text: str, node: Any, items: list[Any]) -> tuple[int, int] | None:
    """The span that drops `node` from a comma-separated `items` with its separator."""
    i = items.index(node)
    if len(items) == 1:
        return None
    if i > 0:
        lo, hi = _end(text, items[i - 1]), _end(text, node)
    else:
        lo, hi = _start(text, node), _start(text, items[1])
    return (lo, hi) if _one_line(text, lo, hi) else None


def _keyword(text: str, leaf: Any, kinds: frozenset[str], gone: frozenset[str]) -> Removal | None:
    """`f(a, kw=NAME)` -> `f(a)`."""
    argument = leaf.parent
    if argument.type != "argument" or len(argument.children) != 3 \
            or argument.children[1].value != "=" or argument.children[2] is not leaf:
        return None
    holder = argument.parent
    what = "the keyword argument passing it goes too"
    if holder.type == "trailer":  # the only argument
        return Removal(_start(text, argument), _end(text, argument), "", what)
    if holder.type != "arglist":
        return None
    items = [c for c in holder.children if c.type != "operator"]
    span = _drop_from_list(text, argument, items)
    if span is None:
        return None
    return Removal(span[0], span[1], "", what)


def _operand(text: str, leaf: Any, kinds: frozenset[str], gone: frozenset[str]) -> Removal | None:
    """`a and not NAME` -> `a`, `a or NAME` -> `a`: the removed name reads as absent (false),
    as where its `if` block goes; `a and NAME` or `a or not NAME` would need it true."""
    negated = leaf.parent.type == "not_test"
    operand = leaf.parent if negated else leaf
    test = operand.parent
    if test.type != ("and_test" if negated else "or_test"):
        return None
    items = [c for c in test.children if c.type != "keyword"]
    if any(c.type in _LITERALS for c in items):
        return None  # `(flag and "]")`: a value chosen by a flag, not a condition
    span = _drop_from_list(text, operand, items)
    if span is None:
        return None
    return Removal(span[0], span[1], "", "this operand goes too")


def _element(text: str, leaf: Any, kinds: frozenset[str], gone: frozenset[str]) -> Removal | None:
    """`(OLD, set)` -> `(set,)`."""
    holder = leaf.parent
    if holder.type not in ("testlist_comp", "dictorsetmaker") or holder.parent.type != "atom":
        return None
    if any(c.type in ("comp_for", "sync_comp_for") or c.value == ":" for c in holder.children
           if c.type in ("operator", "comp_for", "sync_comp_for")):
        return None  # a comprehension or a dict
    lo, hi = _start(text, holder), _end(text, holder)
    if not _one_line(text, lo, hi):
        return None
    items = [c for c in holder.children if c.type != "operator"]
    kept = [c for c in items if not (c.type == "name" and c.value in gone)]
    if not kept or len(kept) == len(items):
        return None
    tuple_ = holder.parent.children[0].value == "("
    new = ", ".join(c.get_code(include_prefix=False) for c in kept)
    if tuple_ and len(kept) == 1:
        new += ","
    return Removal(lo, hi, new, "it leaves this list")


def _statement(text: str, leaf: Any, kinds: frozenset[str],
               gone: frozenset[str]) -> Removal | None:
    """A statement or block that only served the removed name goes."""
    node = leaf.parent
    if node.type == "if_stmt" and _guard(node, leaf):
        return _drop_lines(text, node, "the block that ran only with it goes too")
    if node.type == "comparison" and node.parent.type == "if_stmt" and _guard(node.parent, leaf):
        return _drop_lines(text, node.parent, "the block that ran only with it goes too")
    if "param" in kinds and node.type == "expr_stmt" and len(node.children) == 3 \
            and node.children[1].value == "=" and node.children[2] is leaf \
            and _self_attribute(node.children[0]):
        return _drop_lines(text, node.parent, "the assignment from it goes too")
    if kinds & {"assign", "import"}:
        call = _called_with_first(leaf)
        if call is not None and call.parent.type == "simple_stmt" \
                and len(call.parent.children) == 2:
            return _drop_lines(text, _alone_in_if(call.parent),
                               "the statement passing it goes too")
    return None


def _guard(if_stmt: Any, leaf: Any) -> bool:
    """`if NAME:` or `if NAME is not None:` with no `elif` or `else`."""
    if len(if_stmt.children) != 4:
        return False
    test = if_stmt.children[1]
    if test is leaf:
        return True
    return test.type == "comparison" and test.children[0] is leaf \
        and [c.get_code(include_prefix=False) for c in test.children[1:]] == ["is not", "None"]


def _self_attribute(node: Any) -> bool:
    return node.type in ("power", "atom_expr") and len(node.children) == 2 \
        and node.children[0].value == "self" and node.children[1].children[0].value == "."


def _called_with_first(leaf: Any) -> Any | None:
    """The call (`atom_expr`) whose first positional argument is `leaf`, ending the expression."""
    holder = leaf.parent
    if holder.type == "arglist":
        if holder.children[0] is not leaf:
            return None
        trailer = holder.parent
    elif holder.type == "trailer" and holder.children[0].value == "(":
        trailer = holder
    else:
        return None
    call = trailer.parent
    if call.type not in ("power", "atom_expr") or call.children[-1] is not trailer:
        return None
    return call


def _alone_in_if(stmt: Any) -> Any:
    """The `if` block `stmt` is the whole of (without `elif`/`else`), else `stmt` itself."""
    suite = stmt.parent
    if suite.type != "suite":
        return stmt
    body = [c for c in suite.children if c.type != "newline"]
    block = suite.parent
    if body == [stmt] and block.type == "if_stmt" and len(block.children) == 4:
        return block
    return stmt


def _drop_lines(text: str, node: Any, what: str) -> Removal | None:
    """Remove the whole lines of `node`, and the blank lines that would be left stranded behind
    a block's opening line or at the end of the file."""
    lo = jedi_offset(text, node.start_pos[0], 0)
    if text[lo : _start(text, node)].strip():
        return None  # something else shares its first line
    hi = _end(text, node)
    if hi > 0 and text[hi - 1] != "\n":
        newline = text.find("\n", hi)
        if text[hi : len(text) if newline < 0 else newline].strip() not in ("", ";"):
            return None  # something else shares its last line (a comment stays with it)
        hi = len(text) if newline < 0 else newline + 1
    rest = text[hi:]
    blank = len(rest) - len(rest.lstrip(" \t\n"))
    blank = rest.rfind("\n", 0, blank) + 1  # whole blank lines only
    above = text[: lo].rstrip(" \t\n")
    if not rest.strip():
        lo = len(above) + 1 if above else 0  # the end of the file: its blank lines go too
        hi = len(text)
    elif above.endswith(":") or text[:lo].endswith("\n\n"):
        hi += blank  # right after `if ...:`, or between blank lines: no doubled gap is left
    return Removal(lo, hi, "", what)


def _unwrapped(text: str, leaf: Any, kinds: frozenset[str],
               gone: frozenset[str]) -> Removal | None:
    """`cast(T, x)` -> `x` where the edit removed the import of `typing.cast` (it returns its
    argument)."""
    call = leaf.parent
    if call.type not in ("power", "atom_expr") or call.children[0] is not leaf \
            or len(call.children) != 2:
        return None
    trailer = call.children[1]
    if trailer.children[0].value != "(" or len(trailer.children) != 3:
        return None
    inside = trailer.children[1]
    if leaf.value == "cast" and "import" in kinds:
        if inside.type != "arglist" or len(inside.children) != 3:
            return None  # `cast(T, x)`: two positional arguments, no trailing comma
        argument = inside.children[2]
    elif "passthrough" in kinds:
        argument = inside  # a removed function that returned its argument
    else:
        # Any other removed callable: on real commits its calls went to another function as
        # often as they were unwrapped (click `_cleanup_name(x)` -> `split_opt(x)`, rich
        # `isascii(s)` -> `s.isascii()`; attrs `AttrsClass(x)` -> `x`): a location only.
        return None
    if argument.type in ("arglist", "argument", "operator"):
        return None  # several arguments, a keyword, `*args`
    lo, hi = _start(text, call), _end(text, call)
    inner = argument.get_code(include_prefix=False)
    if "\n" in inner:
        return None
    atom = argument.type in ("name", "number", "string", "atom") or (
        argument.type in ("power", "atom_expr") and argument.children[0].type == "name"
        and argument.children[-1].type == "trailer")
    # `cast(T, a or b) or c` -> `a or b or c`: the same operator inside and out needs no
    # parentheses (`or` and `and` group either way).
    same = argument.type in ("or_test", "and_test") and call.parent.type == argument.type
    if not atom and not same and not slot(text, lo, hi):
        inner = f"({inner})"
    return Removal(lo, hi, inner, "the call gives way to its argument")

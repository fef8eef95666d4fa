"""Calls alike: the edit gave one call an argument more (or one less) -> the other calls of the
same callee.

When a call gains an argument while its function's definition stays as it was (an optional
parameter now passed: `NoSuchOption(opt, ctx=self.ctx)`, a warning given its category), the
other calls of the same callee in the file usually want it too. A call counts as the same when
its callee is spelled the same (`warnings.warn`, `self._make`, `Option`) and it lies in the
same class (or both outside any class: a callee shared across classes serves each its own
way); one that already passes the keyword (or, for a positional argument added at the end,
has a different number of positional arguments) is left alone, as is a call where the new
argument's names would not be defined (`self.ctx` outside a method, a local of another
function). The new text is the same argument, written in the call's own layout (one line, or
one argument a line). An argument taken out of one call is taken out of the others that pass
it (the same keyword, or the same text as their last positional argument), with its
separating comma.
"""

from __future__ import annotations

import re
from typing import Any

from typehole.base.builtin_names import BUILTIN_NAMES
from typehole.base.positions import byte_offset

from .callsites import remove_argument
from .records import Event, Suggestion
from .tokens import node_span, text_of
from .trees import parse

__all__ = ["argument_suggestions"]

MAX_SITES = 6  # a callee called more often than this is a utility: one call's needs are its own
MAX_ARGUMENT_CHARS = 120
_SPLATS = ("list_splat", "dictionary_splat", "generator_expression", "parenthesized_expression")
_ROOT_NAME = re.compile(r"(?<![\w.'\"])([^\W\d]\w*)")


def argument_suggestions(event: Event) -> list[Suggestion]:
    """The other calls of the callee that the edit gave an argument more, or one less."""
    change = event.change
    if change.new_text.strip() and change.end - change.start <= len(change.new_text):
        return _alike(event, added=True)
    if event.before[change.start : change.end].strip() and not change.new_text.strip():
        return _alike(event, added=False)
    return []


def _alike(event: Event, added: bool) -> list[Suggestion]:
    change = event.change
    before, after = parse(event.before), parse(event.after)
    if before is None or after is None:
        return []
    text = event.after
    new_call = _call_around(after, text, change.start, change.inserted_end)
    old_call = _call_around(before, event.before, change.start, change.end)
    if new_call is None or old_call is None:
        return []
    callee = _callee(new_call)
    if callee is None or callee != _callee(old_call):
        return []
    old_items, new_items = _items(old_call), _items(new_call)
    found = _added(old_items, new_items) if added else _added(new_items, old_items)
    if found is None:
        return []
    argument, keyword = found
    data = text.encode("utf-8", "surrogatepass")
    here = node_span(text, data, new_call)
    # Calls alike in one class (or among module-level code): a callee shared across classes
    # serves each its own way.
    owner = _owner(new_call)
    sites = [c for c in _calls(after, text, callee)
             if node_span(text, data, c) != here and _owner(c) == owner]
    if not sites or len(sites) > MAX_SITES:
        return []
    line = text.count("\n", 0, here[0]) + 1
    if not added:
        return _removals(text, data, sites, callee, argument, keyword, line)
    old_positional = sum(1 for a in old_items or () if a.type != "keyword_argument")
    trailing = _trailing_comma(text, data, new_call)
    reason = f"the call of `{callee}` on line {line} now passes `{argument}`; this one does not"
    out = []
    for call in sites:
        items = _items(call)
        if items is None or not _lacks(items, keyword, old_positional) \
                or not _defined_at(argument, call, text):
            continue
        at, new_text = _insertion(text, data, call, items, argument, trailing)
        out.append(Suggestion(at, at, new_text, "argument", reason, "",
                              f"argument:{callee}:{keyword or argument}"))
    return out


def _removals(text: str, data: bytes, sites: list[Any], callee: str, argument: str,
              keyword: str | None, line: int) -> list[Suggestion]:
    """The same argument taken out of the other calls: the same keyword (whatever its value),
    or the same positional text as the call's last positional argument."""
    reason = f"the call of `{callee}` on line {line} no longer passes `{argument}`; this one does"
    out = []
    for call in sites:
        items = _items(call)
        if not items:
            continue
        positional = [a for a in items if a.type != "keyword_argument"]
        if keyword is not None:
            target = next((a for a in items if a.type == "keyword_argument"
                           and a.child_by_field_name("name") is not None
                           and text_of(a.child_by_field_name("name")) == keyword), None)
        else:
            target = positional[-1] if positional and text_of(positional[-1]) == argument \
                else None
        if target is None:
            continue
        args = call.child_by_field_name("arguments")
        start, end, _ = remove_argument(text, node_span(text, data, args),
                                        node_span(text, data, target))
        out.append(Suggestion(start, end, "", "argument", reason, text[start:end],
                              f"argument:{callee}:-{keyword or argument}"))
    return out


def _owner(node: Any) -> tuple[int, int] | None:
    """The span of the class a node is in (None at module level or in a plain function)."""
    up = node.parent
    while up is not None and up.type != "class_definition":
        up = up.parent
    return None if up is None else (up.start_byte, up.end_byte)


def _call_around(tree: Any, text: str, start: int, end: int) -> Any | None:
    """The innermost call whose argument list holds `[start, end]` (without its parentheses)."""
    b_lo, b_hi = byte_offset(text, start), byte_offset(text, end)
    node = tree.root_node.descendant_for_byte_range(b_lo, max(b_hi - 1, b_lo))
    while node is not None:
        if node.type == "argument_list" and node.start_byte < b_lo and b_hi < node.end_byte \
                and node.parent is not None and node.parent.type == "call":
            return node.parent
        node = node.parent
    return None


def _callee(call: Any) -> str | None:
    """The callee as written (`f`, `self.f`, `mod.f`): a name or a chain of names only."""
    fn = call.child_by_field_name("function")
    if fn is None or fn.type not in ("identifier", "attribute"):
        return None
    source = text_of(fn)
    return source if re.fullmatch(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*", source) else None


def _items(call: Any) -> list[Any] | None:
    """The call's arguments (None when it spreads `*args`/`**kwargs` or is a generator)."""
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "argument_list":
        return None
    items = [a for a in args.named_children if a.type != "comment"]
    return None if any(a.type in _SPLATS for a in items) else items


def _added(old: list[Any] | None, new: list[Any] | None) -> tuple[str, str | None] | None:
    """(the argument's text, its keyword or None) when `new` is `old` plus one argument: a
    keyword anywhere, or a positional one at the end of the positional ones."""
    if old is None or new is None or len(new) != len(old) + 1:
        return None
    old_texts, new_texts = [text_of(a) for a in old], [text_of(a) for a in new]
    for i, node in enumerate(new):
        if new_texts[:i] + new_texts[i + 1 :] != old_texts:
            continue
        argument = new_texts[i]
        if "\n" in argument or len(argument) > MAX_ARGUMENT_CHARS:
            return None
        if node.type == "keyword_argument":
            name = node.child_by_field_name("name")
            return (argument, text_of(name)) if name is not None else None
        if all(a.type == "keyword_argument" for a in new[i + 1 :]):
            return argument, None
        return None
    return None


def _calls(tree: Any, text: str, callee: str) -> list[Any]:
    """The calls of `callee` in `text`, found by their text (no walk over the whole tree)."""
    out = []
    for m in re.finditer(rf"(?<![\w.]){re.escape(callee)}[ \t]*\(", text):
        at = byte_offset(text, m.end() - 1)
        node = tree.root_node.descendant_for_byte_range(at, at)
        while node is not None and node.type != "argument_list":
            node = node.parent
        if node is not None and node.parent is not None and node.parent.type == "call" \
                and node.start_byte == at and _callee(node.parent) == callee:
            out.append(node.parent)
    return out


def _lacks(items: list[Any], keyword: str | None, positional: int) -> bool:
    """Whether a call lacks the argument: its keyword, or (positional) it passes as many
    positional arguments as the edited call did before, and no keywords."""
    if keyword is not None:
        return not any(a.type == "keyword_argument" and a.child_by_field_name("name") is not None
                       and text_of(a.child_by_field_name("name")) == keyword for a in items)
    return all(a.type != "keyword_argument" for a in items) and len(items) == positional


def _defined_at(argument: str, call: Any, text: str) -> bool:
    """Whether the names the argument reads mean something at `call`: `self`/`cls` as the
    enclosing method's first parameter, others written in the enclosing function before the
    call, bound at module level, or builtins."""
    value = argument.split("=", 1)[1] if re.match(r"\s*[^\W\d]\w*\s*=(?!=)", argument) \
        else argument
    value = re.sub(r"(\"|')(?:\\.|(?!\1).)*\1", '""', value)  # strings' words are not names
    fn = call.parent
    while fn is not None and fn.type != "function_definition":
        fn = fn.parent
    local = "" if fn is None else text[_char(text, fn.start_byte) : _char(text, call.start_byte)]
    for name in set(_ROOT_NAME.findall(value)):
        if name in BUILTIN_NAMES or name in ("True", "False", "None"):
            continue
        if name in ("self", "cls"):
            params = None if fn is None else fn.child_by_field_name("parameters")
            first = params.named_children[0] if params is not None and params.named_children \
                else None
            if first is None or text_of(first) != name:
                return False
            continue
        if re.search(rf"(?<![\w.]){re.escape(name)}\b", local) is None \
                and not _module_binds(text, name):
            return False
    return True


def _module_binds(text: str, name: str) -> bool:
    n = re.escape(name)
    return re.search(rf"^(?:(?:async[ \t]+)?def[ \t]+{n}\b|class[ \t]+{n}\b|{n}[ \t]*[:=]|"
                     rf"import[ \t]+.*\b{n}\b|from[ \t]+\S+[ \t]+import[ \t]+.*\b{n}\b)",
                     text, re.MULTILINE) is not None or re.search(
        rf"^from[ \t]+\S+[ \t]+import[ \t]*\([^)]*\b{n}\b", text, re.MULTILINE) is not None


def _char(text: str, byte: int) -> int:
    """The character offset of a byte offset (ASCII texts are the common, cheap case)."""
    data = text.encode("utf-8", "surrogatepass")
    return byte if len(data) == len(text) else len(data[:byte].decode("utf-8", "replace"))


def _trailing_comma(text: str, data: bytes, call: Any) -> bool:
    """Whether a call spread over lines ends its arguments with a comma (the edit's style)."""
    items = _items(call) or []
    args = call.child_by_field_name("arguments")
    if not items or args is None:
        return False
    _, last = node_span(text, data, items[-1])
    _, hi = node_span(text, data, args)
    return text[last : hi - 1].lstrip().startswith(",") and "\n" in text[last:hi]


def _insertion(text: str, data: bytes, call: Any, items: list[Any], argument: str,
               trailing: bool = False) -> tuple[int, str]:
    """Where the argument goes in `call` (after its last one) and the text, in its layout
    (`trailing`: the edited call ended its arguments with a comma, so this one does too)."""
    args = call.child_by_field_name("arguments")
    lo, hi = node_span(text, data, args)
    if not items:
        return lo + 1, argument
    _, last = node_span(text, data, items[-1])
    between = text[last : hi - 1]
    if "\n" not in text[lo:hi]:
        return last, f", {argument}"
    first_lo, _ = node_span(text, data, items[0])
    line = text.rfind("\n", 0, first_lo) + 1
    indent = text[line:first_lo] if not text[line:first_lo].strip() else ""
    if between.lstrip().startswith(","):
        comma = last + between.index(",") + 1
        return comma, f"\n{indent}{argument},"
    return last, f",\n{indent}{argument}" + ("," if trailing else "")

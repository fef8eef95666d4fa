"""Registries: the edit defined a new sibling of names a list or dict in the file enumerates.

Modules keep registries of what they define: `__all__`, a list of the box styles above it, a
dict from shell names to completion classes. When the edit defines a new module-level name of
the same kind as the definitions next to it (a class among classes, a function among functions,
a constant among constants), a collection literal elsewhere in the file that names at least
`MIN_SIBLINGS` of that kind, a neighbour of the new one among them, and not the new name, is
where the next edit goes: the new name enters it right after its neighbour's entry, spelled as
the entries are (a name, or a quoted name). A dict's entry needs a key: where every key is its
value's name with the same prefix and suffix cut (`"fish": FishComplete`, `'join': do_join`),
lower-cased or not, the new entry's key is cut alike and aligned as the neighbour's is;
otherwise only its author knows it, and the suggestion is location-only.
"""

from __future__ import annotations

import re
from typing import Any

from .records import Event, Suggestion
from .tokens import node_span, text_of
from .trees import parse_written

__all__ = ["defined_in", "definition_of", "registry_suggestions"]

MIN_SIBLINGS = 2
_KINDS = {"class_definition": "class", "function_definition": "function",
          "expression_statement": "constant"}
_COLLECTIONS = ("list", "tuple", "set", "dictionary")


def registry_suggestions(event: Event) -> list[Suggestion]:
    """The collections that enumerate the new definition's siblings but not it."""
    change = event.change
    if not any(w in change.new_text for w in ("class ", "def ", "=")) or "\n" not in \
            change.new_text:
        return []  # no whole new definition typed: nothing is parsed
    text = event.after
    parsed = parse_written(text, change.start, change.inserted_end)
    if parsed is None:
        return []
    tree, data, b_lo, b_hi = parsed
    top = [definition_of(n) for n in tree.root_node.named_children]
    out: list[Suggestion] = []
    for i, (node, kind, name) in enumerate(top):
        if node is None or not (b_lo <= node.start_byte and node.end_byte <= b_hi) \
                or defined_in(event.before, name):
            continue
        siblings = {n for _, k, n in top if k == kind and n != name and n}
        neighbours = [top[j][2] for j in (i - 1, i + 1)
                      if 0 <= j < len(top) and top[j][1] == kind and top[j][2]]
        for collection in _collections(tree, b_lo, b_hi):
            s = _entry(text, data, collection, name, siblings, neighbours)
            if s is not None:
                out.append(s)
    return out


def definition_of(node: Any) -> tuple[Any, str, str]:
    """(the node, its kind, the name it defines) of a top-level statement ("" where none)."""
    inner = node.child_by_field_name("definition") if node.type == "decorated_definition" \
        else node
    kind = _KINDS.get(inner.type if inner is not None else "", "")
    if kind in ("class", "function"):
        name = inner.child_by_field_name("name")
        return node, kind, text_of(name) if name is not None else ""
    if kind == "constant" and inner.named_children \
            and inner.named_children[0].type == "assignment":
        left = inner.named_children[0].child_by_field_name("left")
        if left is not None and left.type == "identifier":
            return node, kind, text_of(left)
    return None, "", ""


def defined_in(before: str, name: str) -> bool:
    """Whether `before` defines `name` at the start of a line (a class, a function, an
    assignment or an annotation)."""
    n = re.escape(name)
    return re.search(rf"^(?:class[ \t]+{n}\b|(?:async[ \t]+)?def[ \t]+{n}\b|{n}[ \t]*[:=])",
                     before, re.MULTILINE) is not None


def _collections(tree: Any, b_lo: int, b_hi: int) -> list[Any]:
    """The collection literals of the module's statements outside the edit (not nested in
    one another: an entry of a registry is not itself a registry)."""
    out = []
    stack = [n for n in tree.root_node.named_children
             if n.end_byte <= b_lo or n.start_byte >= b_hi]
    while stack:
        node = stack.pop()
        if node.type in _COLLECTIONS:
            out.append(node)
            continue
        if node.type not in ("function_definition", "class_definition"):
            stack.extend(node.named_children)
    return out


def _entry_name(entry: Any) -> str:
    """The name an entry stands for: itself, its quoted text, or a dict entry's value."""
    if entry.type == "pair":
        value = entry.child_by_field_name("value")
        return _entry_name(value) if value is not None else ""
    if entry.type == "identifier":
        return text_of(entry)
    if entry.type == "string":
        inner = text_of(entry)
        return inner[1:-1] if len(inner) >= 2 and inner[0] == inner[-1] else ""
    return ""


def _entry(text: str, data: bytes, collection: Any, name: str, siblings: set[str],
           neighbours: list[str]) -> Suggestion | None:
    entries = [e for e in collection.named_children if e.type != "comment"]
    names = [_entry_name(e) for e in entries]
    if name in names or sum(1 for n in names if n in siblings) < MIN_SIBLINGS:
        return None
    after = next((k for k, n in enumerate(names) if neighbours and n == neighbours[0]), None)
    if after is None:
        after = next((k for k, n in enumerate(names) if n in neighbours), None)
    if after is None or name.startswith("_") != names[after].startswith("_"):
        return None  # a private helper next to public names is not one of them
    entry = entries[after]
    lo, hi = node_span(text, data, entry)
    line = text.count("\n", 0, lo) + 1
    reason = f"line {line} lists `{names[after]}` and its siblings; the new `{name}` is not there"
    if collection.type == "dictionary":
        new = _dict_entry(entries, entry, name)
    elif entry.type in ("identifier", "string"):
        new = name if entry.type == "identifier" else \
            f"{text_of(entry)[0]}{name}{text_of(entry)[0]}"
    else:
        new = None
    if new is None:
        return Suggestion(lo, hi, text[lo:hi], "registry", reason, text[lo:hi],
                          f"registry:{name}", jump=True)
    rest = text[hi:]
    if not rest.lstrip(" \t").startswith(","):
        return Suggestion(hi, hi, f", {new}", "registry", reason, "", f"registry:{name}")
    comma = hi + rest.index(",") + 1
    line_start = text.rfind("\n", 0, lo) + 1
    line_end = text.find("\n", comma)
    if not text[line_start:lo].strip() and not text[comma : max(line_end, comma)].strip():
        # One entry a line: the new one on its own line, indented alike.
        return Suggestion(comma, comma, f"\n{text[line_start:lo]}{new},", "registry", reason,
                          "", f"registry:{name}")
    return Suggestion(comma, comma, f" {new},", "registry", reason, "", f"registry:{name}")


def _dict_entry(entries: list[Any], neighbour: Any, name: str) -> str | None:
    """`"key": name` for a dict whose every key is its value's name with one prefix and suffix
    cut (compared lower-cased) and kept as written or lower-cased; the separator padded so the
    value lines up as the neighbour's does. None where the keys follow no such rule."""
    cuts, cases = set(), set()
    for entry in entries:
        cut = _key_cut(entry)
        if cut is None:
            return None
        cuts.add(cut[:3])
        cases.add(cut[3])
    cases.discard(None)  # a key that reads the same either way
    if len(cuts) != 1 or len(cases) > 1:
        return None
    (prefix, suffix, quote), = cuts
    lowered = bool(cases and cases.pop())
    if not (name.lower().startswith(prefix) and name.lower().endswith(suffix)) \
            or len(name) <= len(prefix) + len(suffix):
        return None
    middle = name[len(prefix) : len(name) - len(suffix)]
    key = f"{quote}{middle.lower() if lowered else middle}{quote}"
    old_key, value = neighbour.child_by_field_name("key"), neighbour.child_by_field_name("value")
    gap = value.start_byte - old_key.end_byte  # `:` and the spaces after it
    width = old_key.end_byte - old_key.start_byte + gap
    pad = max(width - len(key) - 1, 1) if gap > 2 else 1
    return f"{key}:{' ' * pad}{name}"


def _key_cut(entry: Any) -> tuple[str, str, str, bool | None] | None:
    """(prefix, suffix, quote, lower-cased) that turn the entry's value name into its key: the
    key a plain string, the value an identifier holding it (its case aside); lower-cased is
    None where the name's part is lower case already."""
    if entry.type != "pair":
        return None
    key, value = entry.child_by_field_name("key"), entry.child_by_field_name("value")
    if key is None or value is None or key.type != "string" or value.type != "identifier":
        return None
    quoted, target = text_of(key), text_of(value)
    if len(quoted) < 3 or quoted[0] not in "'\"" or quoted[-1] != quoted[0]:
        return None
    inner = quoted[1:-1]
    at = target.lower().find(inner.lower())
    if not inner.isidentifier() or at < 0:
        return None
    middle = target[at : at + len(inner)]
    if inner != middle and inner != middle.lower():
        return None
    lowered = None if middle == middle.lower() else inner != middle
    return target[:at].lower(), target[at + len(inner) :].lower(), quoted[0], lowered

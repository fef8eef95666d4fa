"""Signature propagation: a parameter added, removed, renamed or reordered -> the call sites.

The function whose parameter list the edit touched is compared before and after (tree-sitter, so
half-typed code still parses); each call of it in the file gets the matching argument edit, and
a docstring that documents parameters gets its parameter list updated (typehole's docstring
engine). Calls that spread `*args`/`**kwargs` are left alone: which argument is which is unknown.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from .callsites import call_edits
from .records import Change, Event, Suggestion, minimal_change
from .tokens import node_span, nodes, text_of
from .trees import parse

__all__ = ["Param", "caller_suggestions", "params_of", "signature_suggestions"]

log = logging.getLogger(__name__)
_SPLATS = ("list_splat", "dictionary_splat", "list_splat_pattern", "dictionary_splat_pattern")


@dataclass(frozen=True)
class Param:
    """One named parameter: its name and whether the caller may leave it out."""

    name: str
    optional: bool
    keyword_only: bool = False


def params_of(fn: Any) -> list[Param] | None:
    """The named parameters of a function definition (None with `*args`/`**kwargs` in them)."""
    params = fn.child_by_field_name("parameters")
    if params is None:
        return None
    out: list[Param] = []
    keyword_only = False
    for child in params.named_children:
        if child.type in _SPLATS:
            return None
        if child.type == "keyword_separator":
            keyword_only = True
            continue
        if child.type == "identifier":
            out.append(Param(text_of(child), keyword_only, keyword_only))
            continue
        name = child.child_by_field_name("name")
        if name is None and child.named_children:
            name = child.named_children[0]
        if name is None or name.type != "identifier":
            return None
        out.append(Param(text_of(name), "default" in child.type or keyword_only, keyword_only))
    return out


def _functions(tree: Any) -> dict[str, Any]:
    return {text_of(f.child_by_field_name("name")): f for f in nodes(tree, "function_definition")
            if f.child_by_field_name("name") is not None}


def _touched(tree: Any, text: str, start: int, end: int) -> Any | None:
    """The function definition whose parameter list holds `[start, end]`."""
    data = text.encode("utf-8", "surrogatepass")
    for fn in nodes(tree, "function_definition"):
        params = fn.child_by_field_name("parameters")
        if params is not None:
            lo, hi = node_span(text, data, params)
            if lo <= start and end <= hi:
                return fn
    return None


def _changed(event: Event) -> tuple[Any, Any, str, list[Param], list[Param], bool] | None:
    """(tree after, function after, name, old params, new params, is a method) of the edit."""
    before_tree, after_tree = parse(event.before), parse(event.after)
    if before_tree is None or after_tree is None:
        return None
    change = event.change
    fn = _touched(after_tree, event.after, change.start, change.inserted_end)
    if fn is None:
        return None
    name = text_of(fn.child_by_field_name("name"))
    old_fn = _functions(before_tree).get(name)
    if old_fn is None:
        return None
    old, new = params_of(old_fn), params_of(fn)
    if old is None or new is None or old == new:
        return None
    owner = fn.parent.parent if fn.parent is not None else None
    method = owner is not None and owner.type == "class_definition" \
        and bool(new) and new[0].name in ("self", "cls")
    return after_tree, fn, name, old, new, method


def signature_suggestions(event: Event) -> list[Suggestion]:
    """Call-site and docstring edits that follow a change of one function's parameters."""
    found = _changed(event)
    if found is None:
        return []
    after_tree, fn, name, old, new, method = found
    within = None
    if sum(1 for f in nodes(after_tree, "function_definition")
           if f.child_by_field_name("name") is not None
           and text_of(f.child_by_field_name("name")) == name) > 1:
        if not method:
            return _docstring(event.after, fn, [p.name for p in old], [p.name for p in new])
        # Another definition has this name: only this class's own calls are surely this one's.
        data = event.after.encode("utf-8", "surrogatepass")
        within = node_span(event.after, data, fn.parent.parent)
    out = call_edits(event.after, after_tree, name, old, new, 1 if method else 0, event.change,
                     within)
    out.extend(_docstring(event.after, fn, [p.name for p in old], [p.name for p in new]))
    return out


def caller_suggestions(event: Event, module: str, text: str) -> list[Suggestion]:
    """Call-site edits in another file's `text` after `event` changed functions in `module`.

    A saved change may hold several edits, so every module-level function whose parameters
    differ counts. Only where `text` visibly takes the function from that module (`from
    ...module import name` or `module.name(...)`) and does not define its own: a method or a
    look-alike name in another file is too easily someone else's.
    """
    before_tree, after_tree, tree = parse(event.before), parse(event.after), parse(text)
    if before_tree is None or after_tree is None or tree is None or not module:
        return []
    before, here = _functions(before_tree), _functions(tree)
    nowhere = Change(-1, -1, "")  # no call here is inside the edit, which is in another file
    out: list[Suggestion] = _renamed_callers(before, _functions(after_tree), module, text, tree,
                                             here)
    for name, fn in _functions(after_tree).items():
        if fn.parent is None or fn.parent.type != "module" or name in here or name not in before:
            continue
        old, new = params_of(before[name]), params_of(fn)
        if old is None or new is None or old == new or not _uses(text, module, name):
            continue
        out.extend(call_edits(text, tree, name, old, new, 0, nowhere))
    return out


def _renamed_callers(before: dict[str, Any], after: dict[str, Any], module: str, text: str,
                     tree: Any, here: dict[str, Any]) -> list[Suggestion]:
    """The imports and calls of a module-level function the other file renamed.

    A rename is one module-level function gone and one new, with the same parameters, in a
    saved change; `text` must take the old one from that module (as for parameter changes).
    """
    def top(functions: dict[str, Any]) -> dict[str, Any]:
        return {n: f for n, f in functions.items() if f.parent is not None
                and f.parent.type == "module"}

    old_top, new_top = top(before), top(after)
    gone, new = set(old_top) - set(new_top), set(new_top) - set(old_top)
    if len(gone) != 1 or len(new) != 1:
        return []
    (old,), (name,) = gone, new
    if params_of(old_top[old]) != params_of(new_top[name]) or old in here \
            or not _uses(text, module, old):
        return []
    data = text.encode("utf-8", "surrogatepass")
    reason = f"`{module}.{old}` was renamed to `{name}`; this still says `{old}`"
    imported = _imported(text, module, old)
    out = []
    for node in nodes(tree, "identifier"):
        if text_of(node) != old or not _takes(node, module, imported):
            continue
        start, end = node_span(text, data, node)
        out.append(Suggestion(start, end, name, "rename", reason, old, f"rename:{old}->{name}"))
    return out


def _takes(node: Any, module: str, imported: bool) -> bool:
    """An identifier read as the module's function: in the import from it, a plain name when
    it is imported so, or `module.name`; not another object's attribute or a keyword."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "attribute":
        owner = parent.child_by_field_name("object")
        return parent.child_by_field_name("attribute") == node and owner is not None \
            and text_of(owner).rsplit(".", 1)[-1] == module
    if parent.type == "keyword_argument" and parent.child_by_field_name("name") == node:
        return False
    if parent.type in ("dotted_name", "aliased_import"):
        statement = parent.parent if parent.type == "dotted_name" else parent
        while statement is not None and statement.type not in ("import_from_statement",
                                                               "module"):
            statement = statement.parent
        if statement is None or statement.type != "import_from_statement":
            return False
        source = statement.child_by_field_name("module_name")
        return source is not None and source != parent \
            and text_of(source).rsplit(".", 1)[-1] == module
    return imported


def _imported(text: str, module: str, name: str) -> bool:
    """Whether `text` imports `name` from `module`."""
    m, n = re.escape(module), re.escape(name)
    return bool(re.search(rf"^\s*from\s+[\w.]*\b{m}\s+import\s+(?:\([^)]*|[^\n]*)\b{n}\b",
                          text, re.MULTILINE))


def _uses(text: str, module: str, name: str) -> bool:
    """Whether `text` imports `name` from `module` or calls it as `module.name(...)`."""
    m, n = re.escape(module), re.escape(name)
    return _imported(text, module, name) or bool(re.search(rf"\b{m}\.{n}\s*\(", text))


def _docstring(text: str, fn: Any, old: list[str], new: list[str]) -> list[Suggestion]:
    """The docstring edit a changed parameter list calls for, when the docstring lists them.

    A renamed or removed parameter edits just its entry, keeping the prose; a new one goes through
    typehole's docstring engine, which adds the entry in the docstring's own style.
    """
    try:
        from typehole.features.docstrings import find_target

        line = fn.start_point[0]
        target = find_target(text, line)
        if target is None or target.docstring is None:
            return []
        literal = target.docstring
        name = text_of(fn.child_by_field_name("name"))
        reason = f"the docstring's parameter list no longer matches `{name}`'s signature"
        body = text[literal.start : literal.end]
        gone = [o for o in old if o not in new]
        if len(old) == len(new) and len(gone) == 1:
            fixed = _entry_renamed(body, gone[0], next(n for n in new if n not in old))
        elif len(new) < len(old) and len(gone) == 1:
            fixed = _entry_removed(body, gone[0])
        elif len(new) == len(old) + 1 and len(gone) == 0:
            added = next(k for k, n in enumerate(new) if n not in old)
            fixed = _entry_added(body, new, added)
        else:
            fixed = None
    except Exception as exc:  # noqa: BLE001 - a docstring we cannot read is not worth a crash
        log.debug("docstring update failed: %s", exc)
        return []
    if fixed is None or fixed == body:
        return []
    inner = minimal_change(body, fixed)
    start, end = literal.start + inner.start, literal.start + inner.end
    return [Suggestion(start, end, inner.new_text, "docstring", reason, text[start:end],
                       f"signature:{name}")]


def _entry_pattern(name: str) -> re.Pattern[str]:
    # Google `name:`/`name (type):`, numpy `name : type`, sphinx `:param name:`/`:type name:`.
    return re.compile(
        rf"^(?P<indent>[ \t]*)(?P<head>(?::(?:param|type|arg|keyword)\s+(?:[^:\s]+\s+)?)?)"
        rf"(?P<name>\*{{0,2}}{re.escape(name)})(?=\s*(?:\(|:))",
        re.MULTILINE,
    )


def _entry_renamed(body: str, old: str, new: str) -> str | None:
    fixed, count = _entry_pattern(old).subn(lambda m: m["indent"] + m["head"] + new, body)
    return fixed if count else None


def _entry_removed(body: str, name: str) -> str | None:
    lines = body.split("\n")
    pattern = _entry_pattern(name)
    out: list[str] = []
    skipping: int | None = None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if skipping is not None and line.strip() and indent > skipping:
            continue  # the removed entry's continuation lines
        skipping = None
        if pattern.match(line):
            skipping = indent
            continue
        out.append(line)
    return "\n".join(out) if len(out) < len(lines) else None


def _entry_added(body: str, names: list[str], added: int) -> str | None:
    """A new entry for `names[added]`, shaped like its neighbour's, right after that entry."""
    lines = body.split("\n")
    for neighbour, after in [(names[k], True) for k in range(added - 1, -1, -1)] + \
            [(names[k], False) for k in range(added + 1, len(names))]:
        pattern = _entry_pattern(neighbour)
        for i, line in enumerate(lines):
            m = pattern.match(line)
            if m is None:
                continue
            rest = line[m.end("name") :]
            colon = rest.find(":")
            head = f"{m['indent']}{m['head']}{names[added]}{rest[: colon + 1]}"
            entry = head + (" TODO: describe." if colon >= 0 else "")
            at = i
            if after:
                at += 1
                indent = len(m["indent"])
                while at < len(lines) and lines[at].strip() and \
                        len(lines[at]) - len(lines[at].lstrip()) > indent:
                    at += 1
            return "\n".join(lines[:at] + [entry] + lines[at:])
    return None

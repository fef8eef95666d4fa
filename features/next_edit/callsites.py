"""Argument edits at the call sites of a function whose parameters changed."""

from __future__ import annotations

from typing import Any

from .records import Change, Suggestion
from .tokens import node_span, nodes, text_of

__all__ = ["call_edits", "remove_argument"]


def call_edits(text: str, tree: Any, name: str, old: list[Any], new: list[Any], shift: int,
               change: Change, within: tuple[int, int] | None = None) -> list[Suggestion]:
    """Edits at each call of `name` in `text` that turn `old` parameters' arguments into `new`'s.

    `shift` is 1 for methods (`self` is not passed); calls inside the edit itself are skipped.
    A method is called on a name or a new object (`self.m`, `client.m`, `A().m`), a function by
    its name or on a module (`f`, `module.f`): a call on a longer chain (`self.state.m`) is
    another object's. `within`
    limits the calls to one span (the method's class, when another class has a method of the
    same name).
    """
    old_names, new_names = [p.name for p in old], [p.name for p in new]
    data = text.encode("utf-8", "surrogatepass")
    group = f"signature:{name}"
    out: list[Suggestion] = []
    for call in nodes(tree, "call"):
        callee, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if callee is None or args is None or args.type != "argument_list" or _name(callee) != name \
                or not _called_as(callee, shift):
            continue
        lo, hi = node_span(text, data, call)
        if within is not None and not within[0] <= lo < within[1]:
            continue
        inside = lo <= change.start < hi and lo <= change.inserted_end <= hi
        if inside and callee.type != "identifier":
            continue
        items = [(a, node_span(text, data, a)) for a in args.named_children if a.type != "comment"]
        if any(a.type in ("list_splat", "dictionary_splat", "generator_expression")
               for a, _ in items):
            continue
        positional = [(a, s) for a, s in items if a.type != "keyword_argument"]
        keywords = {text_of(a.child_by_field_name("name")): (a, s)
                    for a, s in items if a.type == "keyword_argument"}
        span = node_span(text, data, args)
        line = text.count("\n", 0, lo) + 1
        fits_new = _binds(len(positional), set(keywords), new, shift)
        if fits_new and sorted(old_names) != sorted(new_names):
            continue  # already follows the new signature (the user updated it first)
        edits = _edit(text, span, positional, keywords, old_names, new_names, new, shift)
        for start, end, new_text, what in edits:
            reason = f"`{name}` {what}; the call on line {line} does not follow yet"
            out.append(Suggestion(start, end, new_text, "signature", reason, text[start:end],
                                  group))
        if not edits and not inside and _binds(len(positional), set(keywords), old, shift) \
                and not fits_new:
            # No mechanical fix, but the call no longer fits: point at its arguments.
            reason = f"`{name}`'s parameters changed; the call on line {line} no longer fits them"
            start, end = span
            out.append(Suggestion(start, end, text[start:end], "call", reason, text[start:end],
                                  group, jump=True))
    return out


def _binds(positional: int, keywords: set[str], params: list[Any], shift: int) -> bool:
    """Whether `positional` arguments and these keywords fill `params` (past `shift`)."""
    params = params[shift:]
    if positional > len(params):
        return False
    filled = {p.name for p in params[:positional]}
    names = {p.name for p in params}
    if any(k not in names or k in filled for k in keywords):
        return False
    return {p.name for p in params if not p.optional} <= filled | keywords


def _called_as(callee: Any, shift: int) -> bool:
    """A method called on one name, or a function by its name or on a module's name."""
    if callee.type == "identifier":
        return shift == 0
    owner = callee.child_by_field_name("object")
    if owner is None or owner.type == "attribute":
        return False
    return shift == 1 or owner.type == "identifier" and text_of(owner) not in ("self", "cls")


def _name(callee: Any) -> str:
    if callee.type == "identifier":
        return text_of(callee)
    if callee.type == "attribute":
        attr = callee.child_by_field_name("attribute")
        return text_of(attr) if attr is not None else ""
    return ""


def _edit(text: str, span: tuple[int, int], positional: list, keywords: dict, old: list[str],
          new: list[str], params: list[Any], shift: int) -> list[tuple[int, int, str, str]]:
    """(start, end, new_text, what changed) for one call's argument list."""
    if len(old) == len(new) and sorted(old) != sorted(new):
        diff = [i for i in range(len(old)) if old[i] != new[i]]
        if len(diff) != 1 or old[diff[0]] not in keywords:
            return []
        i = diff[0]
        node, _ = keywords[old[i]]
        data = text.encode("utf-8", "surrogatepass")
        lo, hi = node_span(text, data, node.child_by_field_name("name"))
        return [(lo, hi, new[i], f"renamed parameter `{old[i]}` to `{new[i]}`")]
    if len(new) == len(old) + 1 and all(n in new for n in old):
        i = next(k for k, n in enumerate(new) if n not in old)
        if params[i].optional or new[i] in keywords:
            return []
        index = i - shift
        if keywords or index > len(positional) or index < 0:
            at = span[1] - 1
            lead = ", " if positional or keywords else ""
            return [(at, at, f"{lead}{new[i]}={new[i]}", f"has a new parameter `{new[i]}`")]
        if index == len(positional):
            at = positional[-1][1][1] if positional else span[0] + 1
            lead = ", " if positional else ""
            return [(at, at, f"{lead}{new[i]}", f"has a new parameter `{new[i]}`")]
        at = positional[index][1][0]
        return [(at, at, f"{new[i]}, ", f"has a new parameter `{new[i]}`")]
    if len(new) == len(old) - 1 and all(o in old for o in new):
        i = next(k for k, o in enumerate(old) if o not in new)
        what = f"lost its parameter `{old[i]}`"
        if old[i] in keywords:
            target = keywords[old[i]][1]
        elif 0 <= i - shift < len(positional) and not any(k in keywords for k in old[:i]):
            target = positional[i - shift][1]
        else:
            return []
        return [remove_argument(text, span, target) + (what,)]
    reordered = sorted(old) == sorted(new) and old != new
    if reordered and not keywords and len(positional) == len(old) - shift:
        texts = {old[k + shift]: text[s:e] for k, (_, (s, e)) in enumerate(positional)}
        joined = ", ".join(texts[n] for n in new[shift:])
        return [(positional[0][1][0], positional[-1][1][1], joined, "has its parameters reordered")]
    return []


def remove_argument(text: str, span: tuple[int, int],
                    target: tuple[int, int]) -> tuple[int, int, str]:
    """Delete one argument with the comma and space that separate it from its neighbours."""
    start, end = target
    rest = text[end : span[1] - 1]
    stripped = rest.lstrip()
    if stripped.startswith(","):
        end += len(rest) - len(stripped) + 1
        end += len(text[end:]) - len(text[end:].lstrip(" "))
        return start, end, ""
    head = text[span[0] + 1 : start]
    comma = head.rstrip().rfind(",")
    if comma >= 0:
        start = span[0] + 1 + comma
    return start, end, ""

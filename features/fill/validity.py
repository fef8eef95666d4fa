"""Attribute and call validity through Jedi: members that do not exist, wrong keywords, counts.

Fails open everywhere: a receiver Jedi cannot infer, a class whose bases it cannot resolve, a type
with `__getattr__`, or a call with `*args`/`**kwargs` unpacking is not judged. Call from the one
thread that runs Jedi.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

import jedi

from typehole.base.positions import char_offset, jedi_position
from typehole.base.syntax import Node, parse_bytes
from typehole.context import jedistate

from .patch import Patched
from .records import Finding

__all__ = ["validity_findings"]

_CHECKED_TYPES = {"instance", "class", "module"}
_POSITIONAL = {"POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD"}
_MAX_NODES = 40  # each costs a Jedi query; a long candidate is judged on its first nodes


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


class _Jedi:
    def __init__(self, p: Patched, path: str | None, project: jedi.Project | None) -> None:
        self.p = p
        self.data = p.text.encode("utf-8", "surrogatepass")
        self.script = jedistate.script(p.text, path, project)

    def pos(self, byte: int) -> tuple[int, int]:
        """Jedi's (1-based line, code-point column) of a byte offset."""
        return jedi_position(self.p.text, char_offset(self.data, byte))

    def offset(self, byte: int) -> int:
        return char_offset(self.data, byte)


def _unresolved_bases(j: _Jedi, name: jedi.api.classes.Name) -> bool:
    """True when a class defined in this file has a base Jedi cannot infer."""
    if name.module_path is not None and j.script.path is not None and \
            name.module_path != j.script.path:
        return False
    if name.line is None:
        return False
    tree = parse_bytes(j.data)
    if tree is None:
        return True
    for n in _walk(tree.root_node):
        if n.type == "class_definition" and n.start_point[0] == name.line - 1:
            bases = n.child_by_field_name("superclasses")
            for base in bases.named_children if bases is not None else []:
                if base.type == "keyword_argument":
                    continue
                if not j.script.infer(*j.pos(base.end_byte - 1)):
                    return True
            return False
    return False


def _receiver_known(j: _Jedi, names: list[jedi.api.classes.Name]) -> bool:
    if not names or any(n.type not in _CHECKED_TYPES for n in names):
        return False
    return not any(n.type in ("instance", "class") and _unresolved_bases(j, n) for n in names)


def _describe(names: list[jedi.api.classes.Name]) -> str:
    n = names[0]
    if n.type == "module":
        return f"module `{n.name}`"
    return f"`{n.name}`" if n.type == "instance" else f"class `{n.name}`"


def _attribute(j: _Jedi, node: Node) -> Finding | None:
    obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
    if obj is None or attr is None:
        return None
    parent = node.parent
    if parent is not None and parent.type == "assignment" and \
            parent.child_by_field_name("left") == node:
        return None  # `self.x = ...` defines the attribute
    receiver = j.script.infer(*j.pos(obj.end_byte - 1))
    if not _receiver_known(j, receiver):
        return None
    members = {c.name for c in j.script.complete(*j.pos(attr.start_byte))}
    name = attr.text.decode("utf-8", "replace")
    if not members or name in members or "__getattr__" in members:
        return None
    message = f"{_describe(receiver)} has no attribute `{name}`"
    close = difflib.get_close_matches(name, sorted(members), n=1)
    if close:
        message += f"; did you mean `{close[0]}`?"
    start = j.offset(attr.start_byte)
    return j.p.finding("jedi", "no-attribute", message, start, j.offset(attr.end_byte))


def _arguments(args: Node) -> tuple[int, list[tuple[str, Node]], bool] | None:
    positional, keywords, splat = 0, [], False
    for a in args.named_children:
        if a.type == "comment":
            continue
        if a.type in ("list_splat", "dictionary_splat"):
            splat = True
        elif a.type == "keyword_argument":
            key = a.child_by_field_name("name")
            if key is not None:
                keywords.append((key.text.decode("utf-8", "replace"), key))
        else:
            positional += 1
    return positional, keywords, splat


def _problems(sig: jedi.api.classes.Signature, positional: int, keywords: list[str],
              splat: bool) -> list[tuple[str, str, str | None]]:
    """(code, message, keyword) for each way the call does not fit `sig`."""
    kinds = [(p.name, str(p.kind).rsplit(".", 1)[-1], "=" in p.to_string()) for p in sig.params]
    var_pos = any(k == "VAR_POSITIONAL" for _, k, _ in kinds)
    var_kw = any(k == "VAR_KEYWORD" for _, k, _ in kinds)
    positional_names = [n for n, k, _ in kinds if k in _POSITIONAL]
    named = {n for n, k, _ in kinds if k in ("POSITIONAL_OR_KEYWORD", "KEYWORD_ONLY")}
    out: list[tuple[str, str, str | None]] = []
    label = f"`{sig.name}({', '.join(p.to_string() for p in sig.params)})`"
    for key in keywords:
        if key not in named and not var_kw:
            out.append(("unexpected-keyword", f"unexpected keyword argument `{key}` for {label}",
                        key))
    if not splat and not var_pos and positional > len(positional_names):
        out.append(("too-many-arguments", f"too many positional arguments for {label}: "
                    f"{positional} given, at most {len(positional_names)}", None))
    if not splat:
        given = set(positional_names[:positional]) | set(keywords)
        missing = [n for n, k, has_default in kinds if not has_default and n not in given
                   and k in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "KEYWORD_ONLY")]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            out.append(("missing-argument", f"missing argument {names} for {label}", None))
    return out


def _call(j: _Jedi, node: Node) -> list[Finding]:
    args = node.child_by_field_name("arguments")
    function = node.child_by_field_name("function")
    if args is None or function is None or args.type != "argument_list":
        return []
    positional, keywords, splat = _arguments(args)  # type: ignore[misc]
    callee = j.script.infer(*j.pos(function.end_byte - 1))
    if any(n.type == "class" and _unresolved_bases(j, n) for n in callee):
        return []
    signatures = j.script.get_signatures(*j.pos(args.start_byte + 1))
    if not signatures:
        return []
    keys = [k for k, _ in keywords]
    problems = [_problems(s, positional, keys, splat) for s in signatures]
    if any(not p for p in problems):
        return []  # some overload accepts the call
    found = []
    for code, message, key in problems[0]:
        where = next((n for k, n in keywords if k == key), None) if key else function
        start, end = j.offset(where.start_byte), j.offset(where.end_byte)  # type: ignore[union-attr]
        if (f := j.p.finding("jedi", code, message, start, end)) is not None:
            found.append(f)
    return found


def validity_findings(p: Patched, path: str | None = None,
                      project: jedi.Project | None = None) -> list[Finding]:
    """Attribute and call findings inside the candidate (Jedi; run on the analysis thread)."""
    j = _Jedi(p, path, project)
    tree = parse_bytes(j.data)
    if tree is None:
        return []
    lo = len(p.text[: p.cstart].encode("utf-8", "surrogatepass"))
    hi = lo + len(p.candidate.encode("utf-8", "surrogatepass"))
    found: list[Finding] = []
    judged = 0
    for n in _walk(tree.root_node):
        if n.end_byte <= lo or n.start_byte >= hi or n.type not in ("attribute", "call"):
            continue
        if n.start_byte < lo or judged >= _MAX_NODES:
            continue  # part of a larger expression outside the candidate, or enough work done
        judged += 1
        if n.type == "attribute":
            if (f := _attribute(j, n)) is not None:
                found.append(f)
        else:
            found.extend(_call(j, n))
    return found

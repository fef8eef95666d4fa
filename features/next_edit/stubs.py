"""Stubs: the edit called a function or method that is not defined yet; its definition is next.

Written top-down, code calls a helper before the helper exists. When the edit's new text calls
`name(...)` (or lists it in `__all__`) and pyflakes now reads `name` undefined where it did not
before, while nothing in the file binds it and the workspace does not define it (the import
engine's case), the next edit is `name`'s definition. When the edit calls `self.name(...)` in a
method of a class with no bases outside this file, no `__getattr__` and nothing called `name`,
it is that method.

Where it goes follows where such definitions sit: a module-level function at the end of the
module (before an `if __name__ == "__main__":` block), a method right after the method that
calls it. The suggestion carries a stub, `def name(params):` with `...` for a body, its
parameters named after the call's arguments (an argument that is a plain name gives its name, a
keyword its keyword, anything else `argN`); `__all__` entries spelled like a class get
`class Name:`.
"""

from __future__ import annotations

import ast
import re

from typehole.base.builtin_names import BUILTIN_NAMES

from .flakes import flags
from .imports import STDLIB_MODULES, STDLIB_NAMES
from .pyast import parse
from .records import Event, Suggestion
from .workspace_lookup import Lookup

__all__ = ["defines", "stub_suggestions"]

MAX_CHARS = 400_000  # a larger file is generated, not written top-down by hand
_CALL = re.compile(r"(?<![\w.])(?:(self|cls)[ \t]*\.[ \t]*)?([^\W\d]\w*)[ \t]*\(")
_QUOTED = re.compile(r"[\"']([^\W\d]\w*)[\"']")
_MAIN = re.compile(r"^if[ \t]+__name__[ \t]*==", re.MULTILINE)


def stub_suggestions(event: Event, lookup: Lookup | None = None) -> list[Suggestion]:
    """The definition of each function or method the edit called (or exported) before it
    exists: a stub where such definitions sit."""
    lo, hi = _edited_lines(event)
    typed = event.after[lo:hi]  # the edited lines whole: the change may split a name
    called = {(owner is not None and owner != "", name) for owner, name in _CALL.findall(typed)}
    quoted = set(_QUOTED.findall(typed)) if "__all__" in event.after else set()
    if (not called and not quoted) or len(event.after) > MAX_CHARS:
        return []
    functions = {name for is_method, name in called if not is_method} | quoted
    undefined = _new_undefined(event, functions) if functions else {}
    # Only a method the text before never read on `self` or `cls` is new.
    methods = {name for is_method, name in called if is_method and not re.search(
        rf"\b(?:self|cls)[ \t]*\.[ \t]*{re.escape(name)}\b", event.before)}
    if not undefined and not methods:
        return []  # checked without parsing the file: most edits stop here
    tree = parse(event.after)
    if tree is None:
        return []  # half-typed code: its calls are not finished yet
    out: list[Suggestion] = []
    if undefined:
        out.extend(_functions(event, tree, undefined, lookup))
    if methods:
        out.extend(_methods(event, tree, methods))
    return out


def _new_undefined(event: Event, names: set[str]) -> dict[str, int]:
    """Where each of `names` is first read undefined after the edit (pyflakes), where it was
    not before it."""
    after, before = flags(event.after), flags(event.before)
    if after is None or before is None:
        return {}
    was = {f.name for f in before if f.kind == "undefined"}
    first: dict[str, int] = {}
    for f in after:
        if f.kind == "undefined" and f.name in names and f.name not in was \
                and f.name not in first:
            first[f.name] = f.start
    return first


def _functions(event: Event, tree: ast.Module, first: dict[str, int],
               lookup: Lookup | None) -> list[Suggestion]:
    """Module-level stubs of the names the edit newly left undefined (`first`: where each is
    first read)."""
    out = []
    for name, at in first.items():
        if not _unknown(name, event.after, lookup):
            continue
        call = _call_of(tree, event.after, name, *_edited_lines(event))
        exported = call is None and _exported(tree, name)
        if call is None and not exported:
            continue  # read, not called: a variable the user has yet to bind, not a function
        line = event.after.count("\n", 0, at) + 1
        if call is not None:
            head = f"{'async ' if _awaited(tree, call) else ''}def {name}({_params(call)}):"
            why = f"`{name}` is called on line {line} but not defined yet"
        else:
            head = f"class {name}:" if name[:1].isupper() else f"def {name}():"
            why = f"`{name}` is exported on line {line} but not defined yet"
        place = _module_end(event.after)
        lead = "\n" * (2 - _blank_lines_before(event.after, place)) if place else ""
        new_text = f"{lead}{head}\n    ...\n"
        if place == len(event.after) and not event.after.endswith("\n"):
            new_text = "\n" + new_text
        out.append(Suggestion(place, place, new_text, "stub", why, "", f"stub:{name}"))
    return out


def _methods(event: Event, tree: ast.Module, names: set[str]) -> list[Suggestion]:
    """Method stubs for `self.name(...)` calls the edit typed in a class without `name`."""
    text, change = event.after, event.change
    out: list[Suggestion] = []
    offsets = _line_offsets(text)
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        lo, hi = _span(offsets, cls)
        if not (lo <= change.start and change.inserted_end <= hi):
            continue
        for method in (m for m in cls.body
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))):
            m_lo, m_hi = _span(offsets, method)
            if not (m_lo <= change.start and change.inserted_end <= m_hi) or not method.args.args:
                continue
            owner = method.args.args[0].arg
            for call in _self_calls(text, method, owner, names, offsets,
                                    *_edited_lines(event)):
                name = call.func.attr  # type: ignore[attr-defined]
                if name in {s.group[5:] for s in out} or _has_member(tree, cls, name) \
                        or re.search(rf"\b{owner}[ \t]*\.[ \t]*{name}\b", event.before):
                    continue
                s = _method_stub(text, offsets, cls, method, call, name, owner)
                if s is not None:
                    out.append(s)
    return out


def _self_calls(text: str, method: ast.AST, owner: str, names: set[str], offsets: list[int],
                start: int, end: int) -> list[ast.Call]:
    """The `owner.name(...)` calls in the method that lie in what the edit typed."""
    out = []
    for node in ast.walk(method):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == owner \
                and node.func.attr in names:
            if start <= _at(text, offsets, node) <= end:
                out.append(node)
    return out


def _has_member(tree: ast.Module, cls: ast.ClassDef, name: str) -> bool:
    """Whether the class (or a base it names) may have `name`: a base defined elsewhere, a
    `__getattr__`, or anything called `name` in its body or its bases' bodies."""
    if any(isinstance(k, ast.keyword) and k.arg == "metaclass" for k in cls.keywords):
        return True
    local = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
    seen: set[str] = set()
    todo = [cls]
    while todo:
        c = todo.pop()
        for node in ast.walk(c):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                    and node.name in (name, "__getattr__", "__getattribute__"):
                return True
            if isinstance(node, ast.Attribute) and node.attr == name \
                    and isinstance(node.ctx, ast.Store):
                return True
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
                return True
        for base in c.bases:
            if isinstance(base, ast.Name) and base.id == "object":
                continue
            if not isinstance(base, ast.Name) or base.id not in local or base.id in seen:
                return True  # a base defined elsewhere may well provide it
            seen.add(base.id)
            todo.append(local[base.id])
    return False


def _method_stub(text: str, offsets: list[int], cls: ast.ClassDef, method: ast.AST,
                 call: ast.Call, name: str, owner: str) -> Suggestion | None:
    """`def name(self, ...): ...` on the lines after the calling method."""
    indent = " " * method.col_offset  # type: ignore[attr-defined]
    end_line = method.end_lineno  # type: ignore[attr-defined]
    if end_line is None or end_line >= len(offsets):
        place = len(text)
    else:
        place = offsets[end_line]
    params = _params(call)
    asynchronous = isinstance(method, ast.AsyncFunctionDef) and _awaited(method, call)
    params = f"{owner}, {params}" if params else owner
    head = f"{'async ' if asynchronous else ''}def {name}({params}):"
    new_text = f"\n{indent}{head}\n{indent}    ...\n"
    if place == len(text) and not text.endswith("\n"):
        new_text = "\n" + new_text
    # The blank lines after the caller are replaced (and given back after the stub), so that
    # a definition typed there later touches the suggestion and drops it.
    blank = re.match(r"(?:[ \t]*\n)+", text[place:])
    end = place + (blank.end() if blank else 0)
    if end > place:
        new_text = f"{text[place:end]}{indent}{head}\n{indent}    ...\n{text[place:end]}"
    line = call.lineno
    why = f"`{owner}.{name}` is called on line {line} but `{cls.name}` does not define it yet"
    return Suggestion(place, end, new_text, "stub", why, text[place:end], f"stub:{name}")


def defines(text: str, name: str) -> bool:
    """Whether `text` has a `def` or `class` of `name` (in any scope)."""
    return re.search(rf"\b(?:def|class)[ \t]+{re.escape(name)}\b", text) is not None


def _unknown(name: str, text: str, lookup: Lookup | None) -> bool:
    """Whether nothing provides `name`: no binding in the file (any scope), no builtin, no
    standard-library home, no definition elsewhere in the workspace."""
    if name in BUILTIN_NAMES or name in STDLIB_NAMES or name in STDLIB_MODULES:
        return False
    n = re.escape(name)
    if re.search(rf"(?:\b(?:def|class|import|as)[ \t]+{n}\b|^[ \t]*{n}[ \t]*[:=,)]|"
                 rf"\bfor[ \t]+{n}\b)", text, re.MULTILINE):
        return False
    return lookup is None or not lookup.sources(name)


def _call_of(tree: ast.Module, text: str, name: str, start: int, end: int) -> ast.Call | None:
    """The first call of `name` the edit typed."""
    offsets = _line_offsets(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == name:
            if start <= _at(text, offsets, node) <= end:
                return node
    return None


def _exported(tree: ast.Module, name: str) -> bool:
    """Whether `__all__` lists `name`."""
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) \
                    and node.value is not None:
                if any(isinstance(c, ast.Constant) and c.value == name
                       for c in ast.walk(node.value)):
                    return True
    return False


def _awaited(root: ast.AST, call: ast.Call) -> bool:
    return any(isinstance(n, ast.Await) and n.value is call for n in ast.walk(root))


def _params(call: ast.Call) -> str:
    """Parameter names for a function called so: the argument names, keywords, else `argN`."""
    out: list[str] = []
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            name = f"*{arg.value.id}" if isinstance(arg.value, ast.Name) else "*args"
        elif isinstance(arg, ast.Name):
            name = arg.id
        elif isinstance(arg, ast.Attribute):
            name = arg.attr
        else:
            name = f"arg{i}"
        out.append(name if name not in out else f"arg{i}")
    for kw in call.keywords:
        name = kw.arg if kw.arg is not None else "**kwargs"
        if name not in out:
            out.append(name)
    return ", ".join(out)


def _module_end(text: str) -> int:
    """Where a new module-level function goes: the end, or before a `__main__` block."""
    starts = [m.start() for m in _MAIN.finditer(text)]
    return starts[-1] if starts else len(text)


def _blank_lines_before(text: str, at: int) -> int:
    """How many blank lines end `text[:at]` (at most 2)."""
    head = text[:at].rstrip(" \t")
    count = len(head) - len(head.rstrip("\n")) - 1
    return max(0, min(2, count))


def _edited_lines(event: Event) -> tuple[int, int]:
    """The start of the first and the end of the last line the edit touched, in `after`."""
    text, change = event.after, event.change
    hi = text.find("\n", change.inserted_end)
    return text.rfind("\n", 0, change.start) + 1, len(text) if hi < 0 else hi


def _line_offsets(text: str) -> list[int]:
    """The offset where each line starts."""
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _at(text: str, offsets: list[int], node: ast.AST) -> int:
    """A node's start as an offset into `text` (ast's columns count UTF-8 bytes)."""
    lo = offsets[node.lineno - 1]  # type: ignore[attr-defined]
    col = node.col_offset  # type: ignore[attr-defined]
    line = text[lo : lo + col + 1]
    if line.isascii():
        return lo + col
    return lo + len(line.encode("utf-8", "surrogatepass")[:col].decode("utf-8", "ignore"))


def _span(offsets: list[int], node: ast.AST) -> tuple[int, int]:
    """A statement's `[start of its first line, end of its last line)` (decorators included)."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])  # type: ignore[attr-defined]
    last = node.end_lineno or node.lineno  # type: ignore[attr-defined]
    end = offsets[last] if last < len(offsets) else offsets[-1]
    return offsets[first - 1], end

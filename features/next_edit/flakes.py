"""pyflakes' view of a whole text: the names it reads undefined and the bindings nobody uses.

The consistency engine compares this view before and after an edit. A text that does not parse
has no view (None): its names cannot be judged, so nothing is said about them. Views are cached
by text, because each edit's `after` is the next one's `before`.

After an edit, the view of the new text is derived from the last view this thread made (usually
the text before the edit, analysed when the document settled) rather than from the whole file:

- only the top-level statements the edit touched are parsed (padded with blank lines so line
  numbers stay the file's); if they parse on their own, the whole text parses, because the
  statements around them are unchanged and each starts at a clean top-level boundary;
- the *affected* names are every identifier written anywhere in the touched statements, before
  or after the edit (strings and comments too: `__all__` entries, string annotations). A finding
  about any other name cannot change: its reads and bindings all lie in unchanged statements;
- pyflakes runs on the touched statements plus every statement that mentions an affected name
  (and the `__future__` imports), the rest blanked; its findings about affected names replace the
  old view's, whose findings about other names are kept, moved by the edit.

Anything this cannot vouch for (a star import, touched statements that do not parse alone, a
text that no longer shares its start and end with the last one) falls back to the whole file.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import re
import threading
from dataclasses import dataclass

from cachetools import LRUCache

from typehole.base.affix import common_prefix, common_suffix
from typehole.base.positions import UTF8, offsets_at

from .pyast import fresh_parse

__all__ = ["Flag", "Statement", "View", "analyse", "flags", "update"]

_KINDS = {"UndefinedName": "undefined", "UndefinedExport": "undefined",
          "UnusedImport": "unused-import",
          "UnusedVariable": "unused-variable"}
_CACHE: LRUCache[str, View | None] = LRUCache(maxsize=16)
_LOCK = threading.Lock()
MAX_CHARS = 400_000  # beyond this a file is generated, not edited by hand
MAX_TOUCHED_CHARS = 50_000  # a larger change is a replacement: analysed whole
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_STAR_IMPORT = re.compile(r"\bimport\s*\(?\s*\*")


class _Latest(threading.local):
    view: View | None = None


_LATEST = _Latest()


@dataclass(frozen=True)
class Flag:
    """One pyflakes finding: `kind` ("undefined", "unused-import", "unused-variable"), the
    name as pyflakes gives it (`a.b as c` for imports) and where it starts in the text."""

    kind: str
    name: str
    start: int


@dataclass(frozen=True)
class Statement:
    """A top-level statement: its first and last line (0-based; statements sharing a line are
    one), the names it may bind in the module's scope and which of those it imports."""

    first: int
    last: int
    binds: frozenset[str]
    imports: frozenset[str]


@dataclass(frozen=True)
class View:
    """A text that parses, its findings in file order, and its top-level statements."""

    text: str
    flags: tuple[Flag, ...]
    statements: tuple[Statement, ...]


def flags(text: str) -> tuple[Flag, ...] | None:
    """The findings on `text`, in file order; None when it does not parse."""
    if len(text) > MAX_CHARS:
        return None
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    with _LOCK:  # `holds` asks from the event loop while the engines run elsewhere
        if key in _CACHE:
            view = _CACHE[key]
            return None if view is None else view.flags
    latest = _LATEST.view
    view = update(latest, text) if latest is not None else None
    if view is None:
        view = analyse(text)
    with _LOCK:
        _CACHE[key] = view
    if view is not None:
        _LATEST.view = view
    return None if view is None else view.flags


def analyse(text: str) -> View | None:
    """The view of the whole text (None when it does not parse)."""
    tree = fresh_parse(text)
    if tree is None:
        return None
    found = _check(text, tree)
    return None if found is None else View(text, found, _statements(tree))


def update(old: View, text: str) -> View | None:
    """The view of `text` derived from `old`'s where the change allows it (see the module's
    docstring); None where only the whole file can tell."""
    limit = min(len(old.text), len(text))
    start = common_prefix(old.text, text, limit)
    tail = common_suffix(old.text, text, limit - start)
    if start == len(old.text) == len(text):
        return old
    old_end, new_end = len(old.text) - tail, len(text) - tail
    touched = max(old_end, new_end) - start
    if touched > MAX_TOUCHED_CHARS or touched > len(text) // 2 or "\r" in text \
            or _STAR_IMPORT.search(text):
        return None  # a replacement rather than an edit, a star import binding anything
    first = old.text.count("\n", 0, start)
    old_last = old.text.count("\n", 0, old_end)
    delta = text.count("\n", start, new_end) - old.text.count("\n", start, old_end)
    statements = old.statements
    # The touched statements: those the changed lines overlap, and the one just before them
    # when the change may continue it (an indented line: a new last line of its body).
    lo = bisect.bisect_left([s.last for s in statements], first)
    hi = bisect.bisect_right([s.first for s in statements], old_last)
    new_lines = _lines(text)
    if lo > 0 and _continues(new_lines, first, old_last + delta, statements[lo - 1].last):
        lo -= 1
    t_first = min(first, statements[lo].first) if lo < hi else first
    t_last = max(old_last, statements[hi - 1].last) if lo < hi else old_last
    old_lines = _lines(old.text)
    before = "".join(old_lines[t_first : t_last + 1])
    after = "".join(new_lines[t_first : t_last + delta + 1])
    chunk = fresh_parse("\n" * t_first + after)
    if chunk is None:
        return None  # the touched statements do not stand alone: let the whole file say
    made = _statements(chunk)
    moved = tuple(Statement(s.first + delta, s.last + delta, s.binds, s.imports)
                  for s in statements[hi:])
    new_statements = statements[:lo] + made + moved
    # Names whose findings outside the touched statements can change: those the touched
    # statements bind at module level (before or after), and module-level imports they read.
    written = set(_IDENTIFIER.findall(before)) | set(_IDENTIFIER.findall(after))
    bound = set().union(*(s.binds for s in statements[lo:hi]), *(s.binds for s in made))
    imported = set().union(*(s.imports for s in statements), *(s.imports for s in made))
    affected = bound | (written & imported)
    old_span = (t_first, t_last)
    new_span = (t_first, t_last + delta)
    kept = _kept(old, old_lines, affected, old_span, (start, old_end), len(text) - len(old.text))
    rechecked = _recheck(text, new_lines, new_statements, affected, written, new_span)
    if rechecked is None:
        return None
    merged = sorted(kept + rechecked, key=lambda f: f.start)
    return View(text, tuple(merged), new_statements)


def _lines(text: str) -> list[str]:
    """The lines of `text` with their `\\n` (Python's line ends; not `str.splitlines`')."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _continues(lines: list[str], first: int, last: int, previous_end: int) -> bool:
    """Whether the changed lines' first code line is indented (it may belong to the statement
    ending on `previous_end`) or the change is right after that statement."""
    for line in lines[first : last + 1]:
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#"):
            return stripped != line or first <= previous_end + 1
    return first <= previous_end + 1


def _binding(flag: Flag, text: str) -> str:
    """The name a finding is about: an unused import's bound name (`import a.b` binds `a`,
    `from a import b` and `import a as b` bind `b`), else the name itself."""
    name = flag.name
    if flag.kind != "unused-import":
        return name
    if " as " in name:
        return name.rsplit(" as ", 1)[1]
    # pyflakes places the finding at the import statement itself.
    return name.rsplit(".", 1)[-1] if text.startswith("from", flag.start) \
        else name.split(".", 1)[0]


def _kept(old: View, lines: list[str], affected: set[str], touched: tuple[int, int],
          span: tuple[int, int], shift: int) -> list[Flag]:
    """The old findings outside the touched statements about names the edit cannot have
    affected, moved by the edit."""
    starts = _line_starts(lines)
    out = []
    for f in old.flags:
        line = bisect.bisect_right(starts, f.start) - 1
        if touched[0] <= line <= touched[1] or _binding(f, old.text) in affected:
            continue
        out.append(f if f.start < span[0] else Flag(f.kind, f.name, f.start + shift))
    return out


def _recheck(text: str, lines: list[str], statements: tuple[Statement, ...],
             affected: set[str], written: set[str],
             touched: tuple[int, int]) -> list[Flag] | None:
    """pyflakes' findings in the touched statements and about affected names, from the
    statements that bear on them: the touched ones, those that mention an affected name or
    bind at module level a name the touched ones write, and the `__future__` imports."""
    wanted = {i for i, s in enumerate(statements)
              if s.first <= touched[1] and touched[0] <= s.last}
    wanted.update(i for i, s in enumerate(statements) if s.binds & written)
    starts = [s.first for s in statements]
    line_starts = _line_starts(lines)
    words = "|".join(map(re.escape, sorted(affected | {"__future__"})))
    for m in re.finditer(rf"(?<!\w)(?:{words})(?!\w)", text):
        line = bisect.bisect_right(line_starts, m.start()) - 1
        i = bisect.bisect_right(starts, line) - 1
        if i >= 0 and statements[i].first <= line <= statements[i].last:
            wanted.add(i)
    keep = [False] * len(lines)
    for i in wanted:
        s = statements[i]
        keep[s.first : s.last + 1] = [True] * (s.last + 1 - s.first)
    subset = "".join(line if keep[n] else "\n" for n, line in enumerate(lines))
    tree = fresh_parse(subset)
    if tree is None:
        return None
    found = _check(text, tree)
    if found is None:
        return None
    out = []
    for f in found:
        line = bisect.bisect_right(line_starts, f.start) - 1
        if touched[0] <= line <= touched[1] or _binding(f, text) in affected:
            out.append(f)
    return out


def _line_starts(lines: list[str]) -> list[int]:
    out, at = [], 0
    for line in lines:
        out.append(at)
        at += len(line)
    return out


def _statements(tree: ast.Module) -> tuple[Statement, ...]:
    """The module's top-level statements, merged where they share a line."""
    out: list[Statement] = []
    for node in tree.body:
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)]) - 1
        last = (node.end_lineno or node.lineno) - 1
        binds, imports = _module_bindings(node)
        if out and first <= out[-1].last:
            p = out[-1]
            out[-1] = Statement(p.first, max(p.last, last), p.binds | binds, p.imports | imports)
        else:
            out.append(Statement(first, last, binds, imports))
    return tuple(out)


def _module_bindings(node: ast.stmt) -> tuple[frozenset[str], frozenset[str]]:
    """The names a top-level statement may bind in the module's scope, and those of them it
    imports (more rather than fewer: a name bound inside a function body counts only through
    `global`)."""
    binds: set[str] = set()
    imports: set[str] = set()
    stack: list[ast.AST] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            # Their bodies bind their own scope; what they evaluate here (decorators,
            # defaults, bases) and their `global` declarations bind the module's.
            if not isinstance(n, ast.Lambda):
                binds.add(n.name)
                stack.extend(n.decorator_list)
            if isinstance(n, ast.ClassDef):
                stack.extend([*n.bases, *n.keywords])
            else:
                stack.extend([*n.args.defaults, *(d for d in n.args.kw_defaults if d)])
            binds.update(name for sub in ast.walk(n) if isinstance(sub, ast.Global)
                         for name in sub.names)
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del):
            binds.add(n.id)
        elif isinstance(n, ast.alias):
            name = (n.asname or n.name).split(".")[0]
            binds.add(name)
            imports.add(name)
        elif isinstance(n, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and n.name:
            binds.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            binds.add(n.rest)
        elif isinstance(n, ast.Global):
            binds.update(n.names)
        stack.extend(ast.iter_child_nodes(n))
    return frozenset(binds), frozenset(imports)


def _check(text: str, tree: ast.Module) -> tuple[Flag, ...] | None:
    """pyflakes' findings on `tree`, placed in `text` (whose lines the tree's are)."""
    from pyflakes import checker

    try:
        messages = checker.Checker(tree, withDoctest=False).messages
    except RecursionError:
        return None
    kept = [m for m in messages if type(m).__name__ in _KINDS]
    # pyflakes gives 1-based lines and columns in UTF-8 bytes (ast's unit).
    starts = offsets_at(text, [(m.lineno - 1, m.col) for m in kept], UTF8)
    out = [Flag(_KINDS[type(m).__name__], str(m.message_args[0]), s)
           for m, s in zip(kept, starts, strict=True)]
    return tuple(sorted(out, key=lambda f: f.start))

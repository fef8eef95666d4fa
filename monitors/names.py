"""Names in scope: a bare identifier read where a value is expected must be defined somewhere.

Undefined Name is the static error code models make most. The hard part is knowing that a name
is *read*, not being defined: `[x for x in xs]`, `while (line := f.readline())`, `lambda x:`,
`a = b = 0` and `for a, b in` all bind a name before or while it appears. The monitor therefore
triggers only where a binding cannot start: after `return`/`yield`/`raise`/`assert`/`await`/
`not`/`and`/`or`/`in`, after a binary operator or `=` at statement level, after `kw=` in a call,
and after a comma in a call that already has an argument. Names come from the document's
bindings visible at that point (`context.scope`: tree-sitter, no Jedi; module names after the cursor
included) plus builtins and keywords; a star import turns the monitor off.
"""

from __future__ import annotations

import keyword
import re

from .base import View
from .constraint import Constraint
from .members import rank_members

__all__ = ["NamesMonitor"]

_KEYWORD_BEFORE = re.compile(
    r"(?:^|[^\w.])(return|yield|raise|assert|await|not|and|or|in|is|else|from)\s+$")
_OPERATOR_BEFORE = re.compile(
    r"[\w)\]}'\"]\s*(?:\*\*|//|<<|>>|==|!=|<=|>=|[-+*/%@&|^<>]|(?<![=!<>:])=)\s*$")
_KW_ARG = re.compile(r"(?:^|[(,])\s*[A-Za-z_]\w*\s*=\s*$")
_BINDING_WORDS = re.compile(r"\b(for|lambda|as|global|nonlocal)\b|:=")
_CALLEE = re.compile(r"[\w)\]]\s*$")
_NOT_CALL = re.compile(r"(?:^|[^\w.])(if|while|elif|and|or|not|in|is|return|yield|with|for|"
                       r"lambda|else|assert|def\s+\w+|class\s+\w+)\s*$")
_IMPORT_LINE = re.compile(r"^\s*(from|import)\b")
_FOR_IN = re.compile(r"^\s*(?:async\s+)?for\s+[\w\s,()]+\sin\s+$")
_WORDS = tuple(keyword.kwlist) + tuple(keyword.softkwlist)


def call_opener(view: View) -> int | None:
    """Absolute offset of the innermost open `(` when it opens a call's arguments."""
    if not view.lex.brackets or view.lex.brackets[-1][0] != "(":
        return None
    opener = view.lex.brackets[-1][1]
    before = view.upto(opener)[-80:]
    if not _CALLEE.search(before) or _NOT_CALL.search(before):
        return None
    return opener


class NamesMonitor:
    """A bare identifier in a load position must be defined, imported, a builtin or a keyword."""

    name = "names"
    lexical = False

    def pre(self, view: View) -> Constraint | None:
        if view.star_import or not self._triggered(view):
            return None
        names = view.names_in_scope()
        if not names:
            return None
        keywords = self._keyword_names(view)
        if keywords is None:
            return None
        return Constraint(words=rank_members(names + keywords + list(_WORDS)),
                          source=(self.name,))

    def _keyword_names(self, view: View) -> list[str] | None:
        """At a call's argument start, `name=` may name a parameter: those names are legal too."""
        opener = call_opener(view)
        if opener is None or not re.search(r"[(,]\s*$", view.between(opener + 1)):
            return []
        sigs = view.signatures(opener)
        if not sigs or len(sigs) != 1 or any(p.kind == "VAR_KEYWORD" for p in sigs[0]):
            return None
        return [p.name for p in sigs[0]]

    def _triggered(self, view: View) -> bool:
        line = view.lex.line
        if not line.strip() or _IMPORT_LINE.match(line):
            return False
        brackets = view.lex.brackets
        if not brackets:
            if _FOR_IN.match(line):
                return True
            if _BINDING_WORDS.search(line):
                return False
            return bool(_KEYWORD_BEFORE.search(line) or _OPERATOR_BEFORE.search(line))
        opener = call_opener(view)
        if opener is None:
            return False
        inside = view.between(opener + 1)
        if _BINDING_WORDS.search(inside) or _BINDING_WORDS.search(line):
            return False
        if _KW_ARG.search(inside):
            return True
        # After the first comma a generator expression can no longer be the sole argument.
        return "," in inside and bool(re.search(r",\s*$", inside)
                                      or _OPERATOR_BEFORE.search(inside)
                                      or _KEYWORD_BEFORE.search(inside))

    def stop(self, view: View) -> bool:
        return False

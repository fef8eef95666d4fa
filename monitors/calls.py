"""Call arguments: existing keyword names, no excess positionals, no `)` while required ones miss.

The signature comes from the type oracle at the call's `(` (ty where the workspace runs it, else
Jedi; see `View.signatures`); the arguments written so far (document and
generated text) are split at top-level commas. Several signatures (overloads), `*args`/`**kw`
unpacking already in the call, or no signature at all: nothing is constrained.
"""

from __future__ import annotations

from typehole.base.scan import split_top

from .base import View
from .constraint import Constraint
from .facts import Param
from .names import call_opener

__all__ = ["CallArgumentsMonitor"]

_POSITIONAL = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")


class CallArgumentsMonitor:
    """Constrains the arguments of a call whose single signature the type oracle knows."""

    name = "call_arguments"
    lexical = False

    def pre(self, view: View) -> Constraint | None:
        opener = call_opener(view)
        if opener is None:
            return None
        sigs = view.signatures(opener)
        if not sigs or len(sigs) != 1:
            return None
        params = sigs[0]
        args = split_top(view.between(opener + 1), ",")
        done, current = args[:-1], args[-1]
        if any(a.strip().startswith("*") for a in args):
            return None
        positional = sum(1 for a in done if not _keyword(a))
        used = {k for a in done if (k := _keyword(a))}
        if current.strip():
            # Mid-argument: the only question is whether `)` may close the call here.
            if _keyword(current):
                used.add(_keyword(current) or "")
            else:
                positional += 1
            missing = _missing(params, positional, used)
            return Constraint(banned=frozenset(")"), source=(self.name,)) if missing else None
        missing = _missing(params, positional, used)
        banned = frozenset(")") if missing else frozenset()
        slots = [p for p in params if p.kind in _POSITIONAL]
        if any(p.kind == "VAR_POSITIONAL" for p in params) or positional < len(slots):
            return Constraint(banned=banned, source=(self.name,)) if banned else None
        if any(p.kind == "VAR_KEYWORD" for p in params):
            return Constraint(banned=banned, source=(self.name,)) if banned else None
        # No positional slot left: only an unused keyword (or `**mapping`, or the close).
        names = tuple(p.name for i, p in enumerate(params)
                      if p.name not in used and p.kind in ("POSITIONAL_OR_KEYWORD",
                                                          "KEYWORD_ONLY")
                      and (p.kind == "KEYWORD_ONLY" or i >= positional))
        starts = frozenset("*") | (frozenset() if missing else frozenset(")"))
        if not names:
            return Constraint(starts=starts, banned=banned, source=(self.name,))
        return Constraint(words=names, ends=frozenset("= "), starts=starts, banned=banned,
                          source=(self.name,))

    def stop(self, view: View) -> bool:
        return False


def _keyword(arg: str) -> str | None:
    """The keyword of `name=value` (not `==`), else None."""
    head, eq, rest = arg.partition("=")
    name = head.strip()
    if eq and not rest.startswith("=") and name.isidentifier():
        return name
    return None


def _missing(params: list[Param], positional: int, used: set[str]) -> list[str]:
    """Required parameters neither filled by the first `positional` arguments nor by keyword."""
    out, index = [], 0
    for p in params:
        if p.kind in _POSITIONAL:
            index += 1
            if index > positional and not p.has_default and p.name not in used:
                out.append(p.name)
        elif p.kind == "KEYWORD_ONLY" and not p.has_default and p.name not in used:
            out.append(p.name)
    return out

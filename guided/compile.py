"""Compile a constraint at the start of a request into what a backend enforces itself.

Only the constrained segment is compiled: the identifier that must come first (the remaining
suffixes of the allowed words) and the character that ends it; after that the output is free,
and later trigger points are checked by the decode loop. llama.cpp takes a GBNF grammar, vLLM a
`structured_outputs` regex.
"""

from __future__ import annotations

import re

from typehole.monitors.constraint import Constraint

__all__ = ["gbnf", "regex", "request_extra"]

_MAX_WORDS = 2000  # beyond this a grammar costs the engine more than checking afterwards


def _suffixes(constraint: Constraint, partial: str) -> list[str] | None:
    if constraint.words is None:
        return None
    out = constraint.completions(partial)
    if not out or len(out) > _MAX_WORDS:
        return None
    return out


def _gbnf_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _gbnf_class(chars: frozenset[str]) -> str:
    return "[" + "".join("\\" + c if c in "]\\^-" else c for c in sorted(chars)) + "]"


def gbnf(constraint: Constraint, partial: str = "") -> str | None:
    """A GBNF grammar: one of the words' remaining suffixes, then an end character and anything.

    None when the constraint does not restrict the identifier (nothing to compile).
    """
    words = _suffixes(constraint, partial)
    if words is None:
        return None
    end = "[^a-zA-Z0-9_]" if constraint.ends is None else _gbnf_class(constraint.ends)
    alternatives = " | ".join(_gbnf_literal(w) for w in words)
    return (f"root ::= word tail?\nword ::= {alternatives}\n"
            f"tail ::= {end} rest\nrest ::= [^\\x00]*\n")


def regex(constraint: Constraint, partial: str = "") -> str | None:
    """The same language as `gbnf` as a regular expression (vLLM `structured_outputs.regex`)."""
    words = _suffixes(constraint, partial)
    if words is None:
        return None
    if constraint.ends is None:
        end = "[^A-Za-z0-9_]"
    else:
        end = "[" + "".join(re.escape(c) for c in sorted(constraint.ends)) + "]"
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return f"(?:{alternatives})(?:{end}[\\s\\S]*)?"


def request_extra(capabilities: frozenset[str], constraint: Constraint | None,
                  partial: str) -> dict[str, object]:
    """Request extras that make a backend with `capabilities` enforce `constraint` itself."""
    if constraint is None:
        return {}
    if "grammar" in capabilities and (grammar := gbnf(constraint, partial)) is not None:
        return {"grammar": grammar}
    if "regex" in capabilities and (pattern := regex(constraint, partial)) is not None:
        return {"structured_outputs": {"regex": pattern}}
    return {}

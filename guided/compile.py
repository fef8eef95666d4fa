"""Compile a constraint at the start of a request into what a backend enforces itself.

Only the constrained segment is compiled: the identifier that must come first (the remaining
suffixes of the allowed words) and the character that ends it; after that the output is free,
and later trigger points are checked by the decode loop. llama.cpp takes a GBNF grammar, vLLM a
`structured_outputs` regex.
"""

from __future__ import annotations

import re
from typing import Any

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


_END = ""  # the key, in a node of `_trie`, that marks the end of a word


def _trie(words: list[str]) -> dict[str, Any]:
    """`words` as nested dicts by character; `_END` marks where a word ends."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = {}
    return root


def _gbnf_words(node: dict[str, Any]) -> str:
    """The GBNF expression of the words below `node`: one alternative per next character, each
    run of characters that no word leaves written once (`"get" ("_all" | "attr")?`)."""
    branches = []
    for ch, below in node.items():
        if ch == _END:
            continue
        literal = ch
        while len(below) == 1 and _END not in below:
            (next_ch, below), = below.items()
            literal += next_ch
        rest = _gbnf_words(below)
        branches.append(_gbnf_literal(literal) + (f" {rest}" if rest else ""))
    if not branches:
        return ""
    body = " | ".join(branches)
    if _END in node:
        return f"({body})?"
    return f"({body})" if len(branches) > 1 else body


def gbnf(constraint: Constraint, partial: str = "") -> str | None:
    """A GBNF grammar: one of the words' remaining suffixes, then an end character and anything.

    The words are written as a trie, not as one alternative each: where the model's own token
    is illegal, llama.cpp checks every token of the vocabulary against each alternative the
    grammar is in, so a flat list of a class's hundred members made that one token cost seconds
    on a CPU (Gemma 3's vocabulary has 262k tokens). The language is the same.

    None when the constraint does not restrict the identifier (nothing to compile).
    """
    words = _suffixes(constraint, partial)
    if words is None:
        return None
    end = "[^a-zA-Z0-9_]" if constraint.ends is None else _gbnf_class(constraint.ends)
    alternatives = _gbnf_words(_trie(words)) or '""'
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

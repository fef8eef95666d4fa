"""Relevant types and relevant headers for a hole (the typed-holes paper's two context channels).

Relevant types: the definitions of the expected type and of the types of names in scope, followed
transitively through field and parameter annotations (depth and count capped), printed as stubs.
Relevant headers: workspace functions whose return annotation matches or contains the expected
type, found through the index's return-type table (never by listing every name with Jedi).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from typehole.base.scan import split_top

from .deps import DependencyIndex
from .holescan import split_param
from .index import Index, type_names
from .ranking import DEFAULT_WEIGHTS, NON_USER_TYPES, RankingWeights
from .records import Definition, Hole, RelevantHeader, RelevantType
from .resolve import FileFacts, definition_stub, resolve_import, resolve_name, signature_stub

__all__ = ["ScoredType", "relevant_headers", "relevant_types", "user_type_names"]

_BUILTIN_HEADERS = 3
_DOTTED = re.compile(r"[A-Za-z_][\w.]*")


@dataclass(frozen=True)
class ScoredType:
    """A relevant type with its ranking score (assembly ranks it against other channels)."""

    type: RelevantType
    score: float


def user_type_names(annotation: str | None) -> list[str]:
    """Dotted names in a type expression that are not builtins or typing constructs."""
    if not annotation:
        return []
    out = []
    for name in _DOTTED.findall(annotation.replace("'", " ").replace('"', " ")):
        last = name.rsplit(".", 1)[-1]
        if last not in NON_USER_TYPES and name not in out and not last.isdigit():
            out.append(name)
    return out


def _lookup(index: Index, facts: FileFacts, name: str, near: Definition | None,
            distances: dict[str, int]) -> Definition | None:
    """Resolve a type name: through the current file, then the file that mentions it, then
    anywhere in the workspace (closest module in the import graph wins)."""
    hit = resolve_name(index, facts, name)
    if hit is None and near is not None:
        for imp in index.imports_of(near.path):
            if imp.alias == name.split(".")[0] and imp.name:
                hit = resolve_import(index, imp.module, imp.name)
                break
        if hit is None:
            hit = next(iter(index.top_level(near.module, name.split(".")[0])), None)
    if hit is None:
        candidates = index.named(name.rsplit(".", 1)[-1], ("class",))
        if candidates:
            hit = min(candidates, key=lambda d: (distances.get(d.module, 99), d.path))
    if hit is None or hit.kind == "class" or (hit.kind == "variable" and _is_alias(hit)):
        return hit
    return None


def _is_alias(d: Definition) -> bool:
    """Does a module variable look like a type alias (`X = Union[...]`, `X: TypeAlias = ...`)?"""
    value = d.signature.partition("=")[2].strip()
    return "TypeAlias" in d.annotation or bool(re.match(r"^[\w.]+\[", value)) or (
        "|" in value and "(" not in value)


def _mentioned_types(index: Index, d: Definition) -> list[str]:
    """Type names a class's fields and constructor parameters mention (the transitive step)."""
    if d.kind == "variable":  # a type alias: what it stands for
        return user_type_names(d.signature.partition("=")[2])
    names: list[str] = []
    for m in index.definitions_in(d.path, d.qualname):
        if m.kind == "field" and m.annotation:
            names.extend(user_type_names(m.annotation))
        elif m.name == "__init__":
            params = m.signature.partition("(")[2].rpartition(")")[0]
            for param in split_top(params, ","):
                names.extend(user_type_names(split_param(param)[1]))
    return list(dict.fromkeys(names))


def relevant_types(index: Index, facts: FileFacts, hole: Hole, distances: dict[str, int],
                   weights: RankingWeights = DEFAULT_WEIGHTS, max_types: int = 6,
                   max_depth: int = 2, scope_names: int = 4) -> list[ScoredType]:
    """Stubs of the expected type's definitions and of the nearest scope names' types."""
    seeds: list[tuple[str, float]] = [(n, weights.expected_type)
                                      for n in user_type_names(hole.expected_type)]
    typed_scope = [s for s in hole.scope if s.type and s.kind in ("param", "local")]
    for s in typed_scope[:scope_names]:
        seeds.extend((n, weights.scope_type) for n in user_type_names(s.type))
    out: list[ScoredType] = []
    seen: set[tuple[str, int]] = set()
    frontier: list[tuple[str, float, Definition | None]] = [
        (name, score, None) for name, score in seeds]
    for _depth in range(max_depth + 1):
        following: list[tuple[str, float, Definition | None]] = []
        for name, score, near in frontier:
            if len(out) >= max_types:
                return out
            d = _lookup(index, facts, name, near, distances)
            if d is None or (d.path, d.line) in seen or d.path == facts.path:
                continue
            seen.add((d.path, d.line))
            out.append(ScoredType(RelevantType(d.qualname, d.path, d.line,
                                               definition_stub(index, d)), score))
            following.extend((n, score * weights.transitive_decay, d)
                             for n in _mentioned_types(index, d))
        frontier = following
    return out


def _normalise(annotation: str) -> str:
    text = annotation.replace('"', "").replace("'", "").replace(" ", "")
    return re.sub(r"\b[A-Za-z_]\w*\.", "", text)  # `typing.Optional[m.R]` -> `Optional[R]`


def _match(annotation: str, expected: str, target: str, weights: RankingWeights) -> float:
    got, want = _normalise(annotation), _normalise(expected)
    if got == want:
        return weights.header_exact
    if got in (f"Optional[{want}]", f"{want}|None", f"None|{want}"):
        return weights.header_optional
    if target in type_names(annotation):
        return weights.header_contains
    return 0.0


def relevant_headers(index: Index, facts: FileFacts, hole: Hole, distances: dict[str, int],
                     weights: RankingWeights = DEFAULT_WEIGHTS, top_n: int = 8,
                     deps: DependencyIndex | None = None) -> list[RelevantHeader]:
    """Functions returning (something containing) the expected type, best first.

    Workspace functions come from the index; with `deps`, functions of the installed packages
    the workspace imports join them, scored by their match times `weights.dependency`.
    """
    if not hole.expected_type:
        return []
    targets = [n.rsplit(".", 1)[-1] for n in user_type_names(hole.expected_type)]
    builtin = not targets
    if builtin:
        targets = [n for n in type_names(hole.expected_type) if n not in ("None", "Optional")][:1]
    scored: list[RelevantHeader] = []
    for d in index.returning(targets):
        if d.path == facts.path and hole.function and d.name == hole.function:
            continue  # the function being written is no answer to its own hole
        distance = distances.get(d.module)
        if builtin and (distance is None or distance > 1):
            continue  # thousands of functions return `str`: only the nearest ones may help
        match = max(_match(d.annotation, hole.expected_type, t, weights) for t in targets)
        if builtin and match < weights.header_exact:
            continue  # `list[str]` says nothing about a hole that wants a `str`
        if match <= 0:
            continue
        score = weights.header * (weights.header_builtin if builtin else match)
        if d.path == facts.path or distance == 0:
            score += weights.same_module
        elif distance is not None:
            score += weights.closeness / (2 ** (distance - 1))
        if d.name.startswith("_"):
            score -= weights.private_penalty
        if "test" in d.path.split("/")[0] or "/test" in d.path or d.name.startswith("test"):
            score -= weights.test_penalty
        scored.append(RelevantHeader(d.qualname, d.path, d.line, signature_stub(d),
                                     round(score, 4)))
    if deps is not None and not builtin:  # `str` says too little to search whole packages
        for d in deps.returning(targets):
            match = max(_match(d.annotation, hole.expected_type, t, weights) for t in targets)
            if match > 0:
                scored.append(RelevantHeader(d.qualname, d.path, d.line, signature_stub(d),
                                             round(weights.header * match * weights.dependency,
                                                   4)))
    scored.sort(key=lambda h: (-h.score, h.path, h.line))
    return scored[:_BUILTIN_HEADERS if builtin else top_n]

"""Turn facts and docstring text into one edit of the file: insert, or update in place.

The edit keeps the file's own indentation (tabs stay tabs), the literal's prefix and quotes, and
every character of human text outside the sections that change.
"""

from __future__ import annotations

from .analyze import all_targets, find_target
from .drift import Drift, find_drift, read_existing, update_body
from .records import DocEdit, Target
from .render import Prose, render

__all__ = ["DEFAULT_STYLE", "all_drift", "clean_docstring", "docstring_edit", "docstring_literal",
           "drift_at", "existing_style"]

DEFAULT_STYLE = "google"


def clean_docstring(body: str) -> str:
    """The docstring as a reader sees it: first line stripped, the rest dedented."""
    lines = body.split("\n")
    rest = [line for line in lines[1:] if line.strip()]
    margin = min((len(line) - len(line.lstrip()) for line in rest), default=0)
    out = [lines[0].strip()] + [line[margin:].rstrip() for line in lines[1:]]
    return "\n".join(out).strip("\n")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def docstring_literal(content: str, indent: str) -> str:
    """`content` as a triple-quoted literal whose lines after the first are at `indent`."""
    lines = _escape(content).split("\n")
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    body = "\n".join(indent + line if line else "" for line in lines)
    return f'"""{body.lstrip()}\n{indent}"""'


def existing_style(target: Target) -> str | None:
    """The style of the target's existing docstring, when it has structured sections."""
    if target.docstring is None:
        return None
    return read_existing(target.docstring, target.indent).style


def docstring_edit(text: str, line: int, style: str = DEFAULT_STYLE,
                   prose: Prose | None = None, target: Target | None = None) -> DocEdit | None:
    """The edit that documents the definition at 0-based `line`; None when nothing to do.

    Without a docstring one is generated in `style`. With one, only drifted sections change and
    they keep the docstring's own style; a docstring without sections gets them appended.
    """
    target = target or find_target(text, line)
    if target is None:
        return None
    if target.docstring is not None:
        literal = target.docstring
        existing = read_existing(literal, target.indent)
        body = update_body(target.facts, existing, style, prose, "r" in literal.prefix.lower())
        if body is None:
            return None
        new_text = f"{literal.prefix}{literal.quote}{body}{literal.quote}"
        if len(literal.quote) == 1 and "\n" in body:  # a one-line string cannot hold sections
            new_text = f"{literal.prefix}{literal.quote * 3}{body}{literal.quote * 3}"
        return DocEdit(literal.start, literal.end, new_text, clean_docstring(body))
    content = render(target.facts, style, prose)
    new_literal = docstring_literal(content, target.indent)
    if target.inline_body is not None:
        start, end = target.inline_body
        statement = text[start:end].strip()
        new_text = f"\n{target.indent}{new_literal}\n{target.indent}{statement}"
        return DocEdit(start, end, new_text, content)
    at = target.insert_at
    lead = "\n" if at == len(text) and text and not text.endswith(("\n", "\r")) else ""
    newline = "\r\n" if "\r\n" in text else "\n"
    new_text = f"{lead}{target.indent}{new_literal}{newline}".replace("\n", newline) \
        if newline != "\n" else f"{lead}{target.indent}{new_literal}\n"
    if target.facts.kind == "module" and text[at:].strip():
        new_text += newline
    return DocEdit(at, at, new_text, content)


def drift_at(text: str, line: int) -> list[Drift]:
    """Drift of the docstring on the definition at `line` (empty when it has none)."""
    target = find_target(text, line)
    if target is None or target.docstring is None:
        return []
    return find_drift(target.facts, read_existing(target.docstring, target.indent))


def all_drift(text: str) -> list[tuple[Target, list[Drift]]]:
    """Every definition of `text` whose docstring drifted, with its drift."""
    found = []
    for target in all_targets(text):
        if target.docstring is not None:
            drift = find_drift(target.facts, read_existing(target.docstring, target.indent))
            if drift:
                found.append((target, drift))
    return found

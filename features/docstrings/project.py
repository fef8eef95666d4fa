"""Which docstring style a project already writes, read from its own docstrings.

A bounded scan (the open document first, then up to `MAX_FILES` workspace files) counts the
styles of structured docstrings; the commonest wins, and `fallback` when none is structured.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from typehole.context.walk import read_text, workspace_files

from .records import STYLES
from .sections import detect_style

__all__ = ["MAX_FILES", "count_styles", "detect_project_style", "style_of_texts"]

MAX_FILES = 200
_LITERAL = re.compile(r'(?s)[rRuU]?("""|\'\'\')(.*?)\1')


def count_styles(text: str) -> Counter[str]:
    """Styles of the triple-quoted strings of one file that have structured sections."""
    counts: Counter[str] = Counter()
    for match in _LITERAL.finditer(text):
        if (style := detect_style(_dedent(match.group(2)))) is not None:
            counts[style] += 1
    return counts


def _dedent(body: str) -> str:
    lines = body.split("\n")
    rest = [line for line in lines[1:] if line.strip()]
    margin = min((len(line) - len(line.lstrip()) for line in rest), default=0)
    return "\n".join([lines[0].strip()] + [line[margin:] for line in lines[1:]])


def style_of_texts(texts: Iterable[str], fallback: str = "google") -> str:
    """The commonest style in `texts`; ties go to the first style found."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(count_styles(text))
    return counts.most_common(1)[0][0] if counts else fallback


def detect_project_style(root: Path | None, current: str = "", fallback: str = "google") -> str:
    """The style for new docstrings: the current file's own style if it has one, else the
    project's (a bounded scan of `root`), else `fallback`."""
    if (own := count_styles(current)):
        return own.most_common(1)[0][0]
    if root is None:
        return fallback
    texts: list[str] = []
    for path in workspace_files(root):
        if len(texts) >= MAX_FILES:
            break
        if path.suffix == ".py" and (text := read_text(path)) is not None:
            texts.append(text)
    style = style_of_texts(texts, fallback)
    return style if style in STYLES else fallback

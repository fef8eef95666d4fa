"""Docstring golden files: each case in every style, byte-exact, plus properties of each result.

`tests/golden/docstrings/<case>.py` marks the definition's line with `┃`;
`<case>.<style>.expected` is the whole file after the edit (unchanged when there is nothing to
do). `pytest tests/test_docstrings.py --regen-golden` rewrites the expected files.
"""

from __future__ import annotations

import ast
from pathlib import Path

import markers
import pytest
from golden_files import Golden

from typehole.features.docstrings import STYLES, docstring_edit, drift_at, find_target

GOLDEN = Path(__file__).parent / "golden" / "docstrings"
CASES = sorted(GOLDEN.glob("*.py"))


def _load(case: Path) -> tuple[str, int]:
    marked = markers.read(case)
    return marked.text, marked.line


def _apply(text: str, line: int, style: str) -> str:
    edit = docstring_edit(text, line, style)
    return text if edit is None else text[: edit.start] + edit.new_text + text[edit.end :]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden(case: Path, style: str, golden: Golden) -> None:
    text, line = _load(case)
    got = _apply(text, line, style)
    assert got == golden.text(case.with_name(f"{case.stem}.{style}.expected"), got)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_never_breaks_the_file(case: Path, style: str) -> None:
    """What parsed still parses, old lines survive, and a second pass is a no-op."""
    text, line = _load(case)
    result = _apply(text, line, style)
    try:
        ast.parse(text)
    except SyntaxError:
        pass
    else:
        ast.parse(result)
    remaining = result.splitlines()
    target = find_target(text, line)
    if target is not None and target.docstring is None:
        for old in text.splitlines():  # a new docstring only adds lines (one-line bodies move)
            assert old in remaining or old.strip().startswith("def ")
    assert _apply(result, line, style) == result  # idempotent: nothing drifts afterwards
    assert drift_at(result, line) == []

"""Hole detection goldens (tests/golden/fill): which text "Fill this hole" replaces, per form."""

from __future__ import annotations

from pathlib import Path

import markers
import pytest

from typehole.features.fill import all_holes, find_hole

GOLDEN = Path(__file__).parent / "golden" / "fill"
CASES = sorted(GOLDEN.glob("*.py"))


def _parse(case: Path) -> tuple[str, int, tuple[int, int] | None, str | None]:
    """(text, cursor line, replaced span or None, expected kind) of a marked case."""
    marked = markers.read(case)
    first = marked.text.split("\n", 1)[0]
    kind = first.removeprefix("# kind: ").strip() if first.startswith("# kind: ") else None
    return marked.text, marked.line, marked.span, kind


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_hole_golden(case: Path) -> None:
    text, line, span, kind = _parse(case)
    hole = find_hole(text, line)
    if span is None:
        assert hole is None, f"unexpected hole {hole}"
        return
    assert hole is not None
    assert (hole.start, hole.end) == span, repr(text[hole.start:hole.end])
    assert hole.kind == kind


def test_body_hole_knows_its_function() -> None:
    text, line, _, _ = _parse(GOLDEN / "raise_not_implemented.py")
    hole = find_hole(text, line)
    assert hole is not None
    assert hole.function == "parse" and hole.return_type == "int"
    assert hole.signature == "def parse(text: str) -> int:"
    assert hole.docstring == '"""Parse an integer."""'
    assert hole.lead == "    " and hole.indent == "    "


def test_todo_text_is_the_instruction() -> None:
    text, line, _, _ = _parse(GOLDEN / "todo_body.py")
    hole = find_hole(text, line)
    assert hole is not None and hole.instruction == "multiply width by height"


def test_one_line_def_moves_the_body_off_the_def_line() -> None:
    text, line, _, _ = _parse(GOLDEN / "one_line_def.py")
    hole = find_hole(text, line)
    assert hole is not None and hole.lead == "\n    "


def test_tabs_keep_the_file_indentation() -> None:
    text, line, _, _ = _parse(GOLDEN / "tabs.py")
    hole = find_hole(text, line)
    assert hole is not None and hole.lead == "\t\t" and hole.indent == "\t\t"


def test_configurable_placeholder() -> None:
    text = "def f(x: int) -> int:\n    y = TODO\n    return y\n"
    assert find_hole(text, 1) is None
    hole = find_hole(text, 1, placeholders=("TODO",))
    assert hole is not None and text[hole.start:hole.end] == "TODO"


def test_all_holes_in_order() -> None:
    text = "def a():\n    ...\n\n\ndef b():\n    x = ...\n    return x\n"
    assert [h.kind for h in all_holes(text)] == ["body", "expression"]


def test_out_of_range_line_and_empty_text() -> None:
    assert find_hole("", 0) is None
    assert find_hole("x = 1\n", 99) is None

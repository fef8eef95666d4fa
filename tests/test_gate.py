"""Gate: golden cases in tests/golden/gate plus unit tests for edges goldens cannot express."""

from __future__ import annotations

from pathlib import Path

import markers
import pytest
from golden_files import Golden

from typehole.base import syntax
from typehole.features.completion import gate as gate_module
from typehole.features.completion.gate import DEFAULT_BLOCK_LINES, Gate, decide
from typehole.features.completion.site import Site

GOLDEN = Path(__file__).parent / "golden" / "gate"


def _site(document: str, language: str = "python") -> Site:
    marked = markers.parse(document)
    return Site(marked.text, marked.offset, "case.py", language)


def _render(gate: Gate) -> str:
    """The expected-file form of a verdict: the mode, and for a block its indentation."""
    indent = f"indent: {gate.indent!r}\n" if gate.mode == "block" else ""
    return f"{gate.mode}\n{indent}"


CASES = sorted(GOLDEN.glob("*.py"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, golden: Golden) -> None:
    site = _site(case.read_bytes().decode("utf-8"))
    got = decide(site)
    golden.check(case.with_suffix(".expected"), _render(got))
    # A caller's whole-document tree must lead to the same verdict as the gate's own window.
    assert decide(site, syntax.parse(site.text)) == got


def test_enough_golden_cases() -> None:
    assert len(CASES) >= 15


def test_offsets_past_either_end_are_clamped() -> None:
    text = "import os\n"
    assert decide(Site(text, -5)) == decide(Site(text, 0))
    assert decide(Site(text, 10_000)) == decide(Site(text, len(text)))


def test_cursor_between_cr_and_lf_counts_as_line_end() -> None:
    text = "def f():\r\n    \r\n"
    assert decide(Site(text, text.index("\r\n", 10) + 1)).mode == "block"


def test_block_carries_max_lines_and_line_carries_one() -> None:
    assert decide(Site("def f():\n    ", 13), max_block_lines=7) == Gate(
        "block", "first line of a block", "    ", 7
    )
    assert decide(Site("x = ", 4)).max_lines == 1
    assert decide(Site("", 0)).max_lines == DEFAULT_BLOCK_LINES


def test_plain_text_fallback_without_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no grammar installed, the lexer alone still finds strings, comments and blocks."""
    monkeypatch.setattr(syntax, "supported", lambda language: False)
    assert decide(_site('x = "abc┃\n')).mode == "skip"
    assert decide(_site("x = 1  # note┃\n")).mode == "skip"
    assert decide(_site("def f():\n    ┃\n")).mode == "block"
    assert decide(_site("x = foo(\n    ┃\n")).mode == "line"


def test_unknown_language_uses_generic_rules() -> None:
    assert decide(_site("function f() {\n  ┃\n}\n", "javascript")).mode == "block"
    assert decide(_site("let s = 'ab┃", "javascript")).mode == "skip"
    assert decide(_site("x = 1 // note┃", "rust")).mode == "skip"


def test_huge_document_is_parsed_in_a_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only text near the cursor reaches tree-sitter, so a 5 MB file costs what a small one does."""
    seen: list[int] = []
    parse_bytes = syntax.parse_bytes

    def spy(data: bytes, language: str = "python") -> syntax.Tree | None:
        seen.append(len(data))
        return parse_bytes(data, language)

    monkeypatch.setattr(syntax, "parse_bytes", spy)
    text = "def f(x):\n    return x + 1\n\n\n" * 200_000 + "def g():\n    "
    assert decide(Site(text, len(text))).mode == "block"
    assert seen and max(seen) <= 2 * (gate_module.WINDOW_BEFORE + gate_module.WINDOW_AFTER)


def test_windowed_parse_does_not_start_inside_a_string() -> None:
    """The window starts at an unindented line, so a docstring straddling its edge stays whole."""
    body = "\n".join(f"    line {i}" for i in range(3000))
    text = f'def f():\n    """\n{body}\n    """\n    '
    site = Site(text, len(text))
    assert decide(site).mode == decide(site, syntax.parse(text)).mode


@pytest.mark.parametrize("tail", ["", "y = 1\n" * 10])
def test_windowed_parse_does_not_start_at_example_code_in_a_docstring(tail: str) -> None:
    """An unindented example line inside a module docstring is no place to start parsing: its
    closing quotes would open a string running to the cursor (the cursor after a long class
    whose start the window falls in; with `tail`, after top-level code past the docstring)."""
    usage = "\n".join(f"    step {i}" for i in range(1000))
    body = "\n".join(f'        self.field_{i} = "{i}"' for i in range(100))
    text = (f'"""Usage:\n{usage}\nclient = Client(transport=transport)\n"""\n\n{tail}'
            f"class C:\n    def __init__(self) -> None:\n{body}\n        ")
    site = Site(text, len(text))
    assert text.index("client =") > len(text) - gate_module.WINDOW_BEFORE
    assert decide(site) == decide(site, syntax.parse(text))
    assert decide(site).mode == "line"

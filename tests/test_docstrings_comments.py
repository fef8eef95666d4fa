"""Doc comments for other languages: golden JSDoc/TSDoc, Javadoc and Rust `///` skeletons.

`tests/golden/docstrings/<case>.{js,ts,java,rs}` marks the definition's line with `┃`;
`<case>.expected` is the whole file after the edit (unchanged when there is nothing to do).
`pytest tests/test_docstrings_comments.py --regen-golden` rewrites them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import markers
import pytest
from golden_files import Golden

from typehole.base import syntax
from typehole.features.docstrings import comment_edit, comment_language

GOLDEN = Path(__file__).parent / "golden" / "docstrings"
CASES = sorted(p for p in GOLDEN.iterdir() if p.suffix in (".js", ".ts", ".tsx", ".java", ".rs"))


def _load(case: Path) -> tuple[str, int]:
    marked = markers.read(case)
    return marked.text, marked.line


def _apply(text: str, line: int, language: str) -> str:
    edit = comment_edit(text, line, language)
    return text if edit is None else text[: edit.start] + edit.new_text + text[edit.end :]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden(case: Path, golden: Golden) -> None:
    text, line = _load(case)
    language = comment_language(case.name)
    assert language is not None
    golden.check(case.with_name(f"{case.stem}.expected"), _apply(text, line, language))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_keeps_lines_parses_and_is_idempotent(case: Path) -> None:
    text, line = _load(case)
    language = comment_language(case.name)
    result = _apply(text, line, language)
    remaining = result.splitlines()
    for old in text.splitlines():  # every human line survives (in order)
        if old.strip().startswith("/**") and old.strip().endswith("*/"):  # opened up
            prose = old.strip().removeprefix("/**").removesuffix("*/").strip()
            assert any(line.endswith(prose) for line in remaining)
            continue
        assert old in remaining
        remaining = remaining[remaining.index(old) + 1 :]
    tree = syntax.parse(result, language)
    assert tree is not None and not tree.root_node.has_error
    shift = result.count("\n") - text.count("\n")
    assert comment_edit(result, line + shift, language) is None


def test_nothing_to_document() -> None:
    assert comment_edit("const x = 1;\n", 0, "javascript") is None
    assert comment_edit("", 0, "rust") is None
    assert comment_language("a.py") is None and comment_language("b.tsx") == "tsx"


def test_cli_json(tmp_path: Path) -> None:
    path = tmp_path / "lib.rs"
    path.write_text("pub fn half(x: f64) -> Option<f64> {\n    Some(x / 2.0)\n}\n")
    out = subprocess.run(
        [sys.executable, "-m", "typehole", "docstring", f"{path}:1", "--json"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )
    result = json.loads(out.stdout)
    assert result["edit"]["range"]["start"] == {"line": 0, "character": 0}
    assert "/// * `x` - TODO: describe." in result["edit"]["new_text"]
    assert "# Returns" in result["docstring"] and "# Errors" not in result["docstring"]

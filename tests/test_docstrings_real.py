"""Docstring skeletons on real projects (click, attrs), read back with docstring_parser.

docstring_parser here is the fork pydoclint installs under that name (`docstring_parser_fork`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from realproject import real_project

from typehole.features.docstrings import all_targets, detect_project_style, docstring_edit, render

dp = pytest.importorskip("docstring_parser")

PARSE_STYLES = {"google": "GOOGLE", "numpy": "NUMPYDOC", "sphinx": "REST"}


@pytest.fixture(scope="module")
def sources() -> list[Path]:
    click = real_project("click", "8.3.3") / "src" / "click"
    attrs = real_project("attrs", "25.4.0") / "src" / "attr"
    return sorted(click.glob("*.py")) + sorted(attrs.glob("*.py"))


@pytest.mark.parametrize("style", sorted(PARSE_STYLES))
def test_skeletons_parse_back_to_the_signature(sources: list[Path], style: str) -> None:
    functions = 0
    for path in sources:
        for target in all_targets(path.read_text(encoding="utf-8")):
            facts = target.facts
            parsed = dp.parse(render(facts, style), getattr(dp.DocstringStyle, PARSE_STYLES[style]))
            where = f"{path.name}:{target.header_line + 1} {facts.name}"
            params = [p for p in parsed.params if p.args[0] in ("param", "parameter", "arg")
                      or style != "sphinx"]
            names = [p.arg_name for p in params if p.arg_name not in
                     {a.name for a in facts.attributes} or facts.kind != "class"]
            if facts.kind == "function":
                assert names == [p.name for p in facts.params], where
                assert [p.type_name or "" for p in params] == [p.annotation for p in facts.params]
                returns = [r for r in parsed.many_returns if not r.is_generator]
                assert bool(returns) == (facts.returns is not None), where
                assert [r.type_name for r in parsed.raises] == list(facts.raises), where
                functions += 1
    assert functions > 500


def test_click_style_is_detected(sources: list[Path]) -> None:
    assert detect_project_style(real_project("click", "8.3.3")) == "sphinx"


@pytest.mark.parametrize("style", ["google", "numpy", "sphinx", "pep257"])
def test_documenting_every_definition_keeps_real_files_valid(sources: list[Path],
                                                             style: str) -> None:
    # Each edit re-reads the whole file, so the cost grows with the square of a file's size;
    # the files under 20 KB (some 250 definitions of every kind) show the property as well.
    definitions = edited = 0
    for path in [p for p in sources if p.stat().st_size < 20_000]:
        text = path.read_text(encoding="utf-8")
        before = ast.dump(ast.parse(text), include_attributes=False).count("FunctionDef")
        lines = sorted({t.header_line for t in all_targets(text)}, reverse=True)
        definitions += len(lines)
        for line in lines:  # bottom-up, so earlier lines stay where they are
            edit = docstring_edit(text, line, style)
            if edit is not None:
                text = text[: edit.start] + edit.new_text + text[edit.end :]
                edited += 1
        tree = ast.parse(text)
        assert ast.dump(tree, include_attributes=False).count("FunctionDef") == before
        assert all_targets(text) and all(
            docstring_edit(text, t.header_line, style) is None for t in all_targets(text)
        ), f"{path.name}: a definition is still undocumented or drifted"
    assert definitions > 200 and edited > definitions // 2  # most had no docstring

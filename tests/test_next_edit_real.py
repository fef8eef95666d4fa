"""Next edits on real code (click 8.3.3): renaming a parameter at its definition yields edits that,
all applied, rename every use and leave a file that compiles; a new parameter reaches the calls."""

from __future__ import annotations

import ast

import pytest
from realproject import real_project

from typehole.features.next_edit import apply, events_between, static_suggestions


@pytest.fixture(scope="module")
def source() -> str:
    return (real_project("click", "8.3.3") / "src" / "click" / "utils.py").read_text("utf-8")


def _apply_all(text: str, found) -> str:
    for s in sorted(found, key=lambda s: -s.start):
        text = apply(text, s)
    return text


def test_parameter_rename_reaches_every_use(source: str) -> None:
    tree = ast.parse(source)
    fns = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.args.args
           and sum(isinstance(n, ast.Name) and n.id == f.args.args[0].arg
                   for n in ast.walk(f)) >= 2][:5]
    assert fns
    for fn in fns:
        param = fn.args.args[0]
        lines = source.splitlines(keepends=True)
        at = sum(len(x) for x in lines[: param.lineno - 1]) + param.col_offset
        after = source[:at] + "renamed_arg" + source[at + len(param.arg) :]
        found = static_suggestions(after, events_between(source, after))
        assert found and {s.source for s in found} <= {"rename", "signature", "docstring"}, fn.name
        result = _apply_all(after, found)
        new_fn = next(f for f in ast.parse(result).body
                      if isinstance(f, ast.FunctionDef) and f.name == fn.name)
        names = {n.id for n in ast.walk(new_fn) if isinstance(n, ast.Name)}
        assert param.arg not in names and "renamed_arg" in names, fn.name


def test_new_parameter_reaches_the_calls(source: str) -> None:
    old = "def make_str(value: t.Any) -> str:"
    assert old in source
    after = source.replace(old, "def make_str(value: t.Any, strict) -> str:")
    found = static_suggestions(after, events_between(source, after))
    calls = [s for s in found if s.new_text == ", strict"]
    assert len(calls) == source.count("make_str(") - 1
    compile(_apply_all(after, found), "utils.py", "exec")

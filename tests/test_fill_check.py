"""The candidate checker on seeded errors: each error class found, at the right place."""

from __future__ import annotations

import pytest

from typehole.features.fill import CheckOptions, Patched, check_candidate, find_checker, find_hole
from typehole.features.fill.syntaxcheck import syntax_findings

SOURCE = '''import os
from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float

    def cost(self, count: int, *, tax: float = 0.0) -> float:
        return self.price * count * (1 + tax)


def total(items: list[Item]) -> float:
    """Sum the prices."""
    ...
'''
LINE = 13
NO_TYPES = CheckOptions(type_checker="none")


def _check(candidate: str, source: str = SOURCE, line: int = LINE,
           options: CheckOptions = NO_TYPES):
    hole = find_hole(source, line)
    assert hole is not None
    findings, notes = check_candidate(source, hole, candidate, options)
    return findings, notes


def _at(candidate: str, finding) -> str:
    return candidate[finding.start:finding.end]


def test_clean_candidate_has_no_findings() -> None:
    findings, notes = _check("return sum(i.cost(1) for i in items)")
    assert findings == [] and notes == []


def test_undefined_name_and_unused_variable() -> None:
    candidate = "result = 0.0\n    for item in items:\n        totl = item.price\n    return reslt"
    findings, _ = _check(candidate)
    by_code = {f.code: f for f in findings}
    undefined = by_code["UndefinedName"]
    assert _at(candidate, undefined) == "reslt" and (undefined.line, undefined.column) == (4, 12)
    unused = [f for f in findings if f.code == "UnusedVariable"]
    assert {_at(candidate, f) for f in unused} == {"totl", "result"}
    assert all(f.source == "pyflakes" for f in findings)


def test_missing_member_with_suggestion() -> None:
    candidate = "return sum(i.prices for i in items)"
    [finding] = _check(candidate)[0]
    assert finding.source == "jedi" and finding.code == "no-attribute"
    assert _at(candidate, finding) == "prices" and finding.column == 14
    assert "`Item` has no attribute `prices`" in finding.message
    assert "did you mean `price`" in finding.message


def test_wrong_keyword_and_argument_counts() -> None:
    candidate = ("a = items[0].cost(1, taxes=0.1)\n    b = items[0].cost(1, 2)\n"
                 "    c = items[0].cost()\n    return a + b + c")
    findings, _ = _check(candidate)
    codes = {f.code: f for f in findings}
    assert _at(candidate, codes["unexpected-keyword"]) == "taxes"
    assert codes["unexpected-keyword"].line == 1
    assert codes["too-many-arguments"].line == 2
    assert "2 given, at most 1" in codes["too-many-arguments"].message
    assert codes["missing-argument"].line == 3 and "`count`" in codes["missing-argument"].message


def test_module_member() -> None:
    candidate = "return float(os.pathsep == os.sepp)"
    [finding] = _check(candidate)[0]
    assert "module `os` has no attribute `sepp`" in finding.message


def test_syntax_error_stops_other_checks() -> None:
    candidate = "return sum(i.price for i in items"
    findings, _ = _check(candidate)
    assert findings and all(f.source == "syntax" for f in findings)
    assert findings[0].line == 1


def test_bad_indentation_is_a_syntax_error() -> None:
    candidate = "x = 1\n  return x"
    findings, _ = _check(candidate)
    assert findings and findings[0].source == "syntax" and findings[0].line == 2


def test_stub_and_empty_candidates() -> None:
    assert _check("...")[0][0].code == "stub"
    assert _check("   ")[0][0].code == "empty"


def test_syntax_error_elsewhere_is_not_blamed_on_the_fill() -> None:
    source = "def broken(:\n    return 1\n\n\ndef fine(a: int) -> int:\n    pass\n"
    hole = find_hole(source, 4)
    assert hole is not None
    assert check_candidate(source, hole, "return a + 1", NO_TYPES)[0] == []
    [undefined] = check_candidate(source, hole, "return b + 1", NO_TYPES)[0]
    assert undefined.code == "UndefinedName" and undefined.column == 8


def test_module_names_are_known_in_a_broken_file() -> None:
    source = "import json\nLIMIT = 3\n\ndef broken(:\n    pass\n\ndef f() -> str:\n    ...\n"
    hole = find_hole(source, 6)
    assert hole is not None
    assert check_candidate(source, hole, "return json.dumps(LIMIT)", NO_TYPES)[0] == []


def test_unresolved_base_is_not_judged() -> None:
    source = ("from missing_package import Base\n\n\nclass Thing(Base):\n"
              "    def describe(self) -> str:\n        ...\n")
    hole = find_hole(source, 4)
    assert hole is not None
    findings, _ = check_candidate(source, hole, "return self.anything(1, 2)", NO_TYPES)
    assert findings == []


def test_positions_count_characters_not_bytes() -> None:
    source = 'def f(名前: str) -> str:\n    """😀"""\n    ...\n'
    hole = find_hole(source, 0)
    assert hole is not None
    candidate = "s = '😀名前'; return s + undefined_x"
    [finding] = check_candidate(source, hole, candidate, NO_TYPES)[0]
    assert _at(candidate, finding) == "undefined_x"


def test_tree_sitter_reports_inside_the_candidate_only() -> None:
    source = "def f(:\n    pass\n\n\ndef g() -> int:\n    ...\n"
    hole = find_hole(source, 4)
    assert hole is not None
    assert syntax_findings(Patched.of(source, hole, "return 1")) == []


@pytest.mark.skipif(find_checker("mypy") is None, reason="mypy is not installed")
def test_mypy_on_the_patched_file(tmp_path) -> None:
    path = tmp_path / "shop.py"
    path.write_text(SOURCE, encoding="utf-8")
    options = CheckOptions(path=str(path), root=str(tmp_path), type_checker="mypy")
    candidate = 'return "free"'
    findings, notes = _check(candidate, options=options)
    assert notes == []
    [finding] = findings
    assert finding.source == "mypy" and finding.code == "return-value"
    assert _at(candidate, finding) == '"free"'
    assert path.read_text(encoding="utf-8") == SOURCE  # the user's file is untouched


def test_missing_type_checker_is_a_note() -> None:
    _, notes = _check("return 0.0", options=CheckOptions(type_checker="pyright-nonexistent"))
    assert notes and "not installed" in notes[0]

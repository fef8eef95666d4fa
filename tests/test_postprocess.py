"""Post-processing: golden cases in tests/golden/postprocess plus one test per filter."""

from __future__ import annotations

from pathlib import Path

import markers
import pytest
from golden_files import Golden

from typehole.features.completion import postprocess as pp
from typehole.features.completion.gate import Gate, decide
from typehole.features.completion.site import Site

GOLDEN = Path(__file__).parent / "golden" / "postprocess"
LINE = Gate("line", "test", "", 1)


def _site(document: str) -> Site:
    marked = markers.parse(document)
    return Site(marked.text, marked.offset, "case.py")


def _block(indent: str = "    ", max_lines: int = 20) -> Gate:
    return Gate("block", "test", indent, max_lines)


CASES = sorted(GOLDEN.glob("*.py"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, golden: Golden) -> None:
    site = _site(case.read_bytes().decode("utf-8"))
    raw = golden.expected(case.with_suffix(".raw"))  # an input: never regenerated
    gate = decide(site)
    assert gate.mode != "skip", f"the case's cursor is gated out: {gate.reason}"
    result = pp.postprocess(raw, site, gate)
    assert result != "", "a dropped completion is None, never an empty string"
    golden.check(case.with_suffix(".expected"), "" if result is None else result)


def test_enough_golden_cases() -> None:
    assert len(CASES) >= 15


def test_every_filter_has_a_docstring() -> None:
    for step in pp.FILTERS:
        assert step.__doc__, step.__name__


def test_line_ends_round_trip() -> None:
    site = _site("a = 1\r\nb = ┃\r\n")
    assert pp.to_lf("x\r\ny\rz", site, LINE) == "x\ny\nz"
    assert pp.to_document_line_ends("x\ny", site, LINE) == "x\r\ny"
    assert pp.to_document_line_ends("x\ny", _site("┃"), LINE) == "x\ny"


def test_cut_at_line_end_only_in_line_mode() -> None:
    site = _site("┃")
    assert pp.cut_at_line_end("a\nb", site, LINE) == "a"
    assert pp.cut_at_line_end("a\nb", site, _block()) == "a\nb"


def test_cut_at_block_end_keeps_first_line_and_deeper_lines() -> None:
    site = _site("def f():\n    ┃\n")
    text = "x = 1\n    if x:\n        y = 2\n\n    return y\nprint(1)"
    assert pp.cut_at_block_end(text, site, _block()) == text[: text.index("\nprint")]


def test_cut_at_next_lines_needs_both_lines_to_match() -> None:
    site = _site("def f():\n    ┃\n    a = 1\n    b = 2\n")
    assert pp.cut_at_next_lines("x = 0\n    a = 1\n    b = 3", site, _block()) == (
        "x = 0\n    a = 1\n    b = 3"
    )
    assert pp.cut_at_next_lines("x = 0\n    a = 1\n    b = 2", site, _block()) == "x = 0"


def test_cut_at_max_lines() -> None:
    assert pp.cut_at_max_lines("a\nb\nc", _site("┃"), _block(max_lines=2)) == "a\nb"


def test_strip_trailing_whitespace() -> None:
    assert pp.strip_trailing_whitespace("a  \n  b\t\n\n", _site("┃"), LINE) == "a\n  b"


@pytest.mark.parametrize(
    ("document", "text", "expected"),
    [
        ("print(┃)\n", "f(x))", "f(x)"),
        ("print(┃)\n", "f(x)", "f(x)"),  # the `)` closes f: keeping it balances the line
        ("d[┃]\n", '"k"]', '"k"'),
        ("items = [a, ┃]\n", "b,", "b,"),  # no overlap: the suffix starts with `]`
        ("call(a┃, b)\n", "1,", "1"),  # a doubled comma is never wanted
        ("print(┃)\n", '"a\\"(")', '"a\\"("'),  # an escaped quote does not end the string
    ],
)
def test_trim_suffix_overlap(document: str, text: str, expected: str) -> None:
    assert pp.trim_suffix_overlap(text, _site(document), LINE) == expected


@pytest.mark.parametrize(
    ("document", "text", "expected"),
    [
        ("x = ┃\n", "f(a)", "f(a)"),
        ("x = ┃\n", "f(a))", "f(a)"),  # closer with no opener
        ("x = ┃\n", "a]", "a"),
        ("x = ┃\n", "f(a, g(b", "f"),  # back to the last balanced point
        ("x = ┃\n", "(a, b", "(a,"),  # nothing balances: up to where it was left open
        ("x = ┃\n", "(a b", "("),
        ("x = foo(┃\n", "a, b)", "a, b)"),  # the opener is in the line prefix
        ("x = ┃\n", 'f(")")', 'f(")")'),  # brackets in strings do not count
        ("x = [┃)]\n", "f(a", "f(a"),  # a surplus closer right of the cursor closes it
        ("x = ┃  # )\n", "(a", None),  # a closer in a comment closes nothing
        # The statement's brackets opened on the lines above: `)` ends the signature.
        ("def f(\n    a: int,\n┃\n", ") -> int:", ") -> int:"),
        ("def f(\n    a: int,\n┃\n", "))", ")"),
        ("def f(a):\n    pass\n┃\n", "):", ""),  # the `(` above is closed already
    ],
)
def test_balance_brackets(document: str, text: str, expected: str | None) -> None:
    assert pp.balance_brackets(text, _site(document), LINE) == expected


def test_balance_brackets_block_mode_cuts_at_line_ends() -> None:
    site = _site("def f():\n    ┃\n")
    text = "a = 1\n    b = g(\n        2,"
    assert pp.balance_brackets(text, site, _block()) == "a = 1"


def test_drop_blank() -> None:
    assert pp.drop_blank("  \n\t", _site("┃"), LINE) is None
    assert pp.drop_blank(" x", _site("┃"), LINE) == " x"


def test_drop_already_typed() -> None:
    assert pp.drop_already_typed("foo()", _site("x = ┃foo()\n"), LINE) is None
    assert pp.drop_already_typed("a\nb", _site("┃a\r\nb\r\n"), _block()) is None
    assert pp.drop_already_typed("foo", _site("x = ┃\n"), LINE) == "foo"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("import pydantic.pydantic.pydantic.pydantic", "import pydantic"),
        ("self.self.self.self.", "self"),
        ("return x\nreturn x\nreturn x\n", "return x"),
        ("x = 1\n    y = 2\n    y = 2\n    y = 2", "x = 1\n    y = 2"),
        ("x = [0, 0, 0, 0, 0, 0, 0, 0", "x = [0, 0, 0, 0, 0, 0, 0, 0"),  # data, not a loop
        ("f(a, b), f(a, b)", "f(a, b), f(a, b)"),  # twice is not a loop
        ("if a:\n    b()\nif a:\n    b()\n", "if a:\n    b()"),  # two lines twice are
        ("x = 1\nx = 1\n", "x = 1\nx = 1\n"),  # one line twice is not
    ],
)
def test_cut_repetition_keeps_the_first_pass(raw: str, kept: str) -> None:
    assert pp.cut_repetition(raw, _site("┃"), _block()) == kept


def test_start_at_cursor_in_the_indentation_of_an_empty_line() -> None:
    site = _site("def f():\n    x = 1\n    ┃\n")
    assert pp.start_at_cursor(" return x", site, LINE) == "return x"
    assert pp.start_at_cursor("\n\n    return x", site, LINE) == "return x"
    assert pp.start_at_cursor("\n  ", site, LINE) == "\n  "  # nothing but blanks: left as is
    # Elsewhere the model's leading whitespace is its own: at column 0, or after code.
    assert pp.start_at_cursor("    return x", _site("def f():\n┃\n"), LINE) == "    return x"
    assert pp.start_at_cursor(" + 1", _site("x = y┃\n"), LINE) == " + 1"


def test_explain_says_why_a_completion_is_dropped() -> None:
    site = _site("x = ┃foo()\n")
    assert pp.explain("foo()", site, LINE) == (
        None, "the text right of the cursor already holds the completion"
    )
    assert pp.explain(" \n", _site("x = ┃\n"), LINE)[1] == (
        "the model wrote nothing but whitespace on the line"
    )
    assert pp.explain("y", _site("x = ┃\n"), LINE) == ("y", None)
    # A filter that leaves only whitespace is the reason, not the blank check after it.
    block = _site("def f():┃\n    return 1\n")
    assert pp.explain("\n    return 1\n", block, decide(block))[1] == (
        "the model wrote again the lines that follow the cursor"
    )
    assert set(pp.DROPPED) <= {step.__name__ for step in pp.FILTERS} | {"cut_context_echo"}


def test_repeated_name_parts_collapse_unless_the_document_uses_the_name() -> None:
    site = _site("x = ┃\n")
    assert pp.collapse_repeated_name_parts("self.get_value_value()", site, LINE) == (
        "self.get_value()")
    assert pp.collapse_repeated_name_parts("SourceSourceSource()", site, LINE) == "Source()"
    assert pp.collapse_repeated_name_parts("x_x_x + ab_ab", site, LINE) == "x_x_x + ab_ab"
    known = _site("value_value = 1\nx = ┃\n")
    assert pp.collapse_repeated_name_parts("value_value", known, LINE) == "value_value"


CONTEXT = ('# src/pkg/runtime.py:796\n# class Undefined:\n#     """The default undefined type."""\n'
           "# src/pkg/utils.py:72\n# def pass_environment(f: F) -> F:\n")


def test_the_context_block_written_again_is_cut() -> None:
    site = _site('def f(value):\n    """Doc."""\n    ┃\n')
    block = decide(site)
    echo = "# src/pkg/filters.py:108\n    # def default_value(value):\n    return value"
    # A block header, even of a block the context does not hold, ends the completion there.
    assert pp.explain("x = 1\n    " + echo, site, block, CONTEXT) == ("x = 1", None)
    assert pp.explain("# ... more members\n    x = 1", site, block, CONTEXT) == (
        None, "the model wrote the prompt's context block again")
    # A comment line of the context block, written again.
    assert pp.explain("y = 2\n    # def pass_environment(f: F) -> F:", site, block, CONTEXT)[0] == (
        "y = 2")
    # The model's own comments stay.
    assert pp.explain("# fall back to the default\n    return value", site, block, CONTEXT)[0] == (
        "# fall back to the default\n    return value")


def test_a_block_cut_inside_a_signature_keeps_its_lines_that_end_open() -> None:
    """A block at module level cut at `max_tokens` in its parameter list (Gemma 3 270M wrote
    this at jinja2 `filters.py`): no line end balances, the complete parameters are kept."""
    site = Site("x = 1\n\n\n", len("x = 1\n\n\n"), "a.py")
    gate = decide(site)
    assert gate.mode == "block"
    raw = ('def truncate_string(\n    env: "Environment",\n    s: str,\n'
           '    length: int = 255,\n    skip_')
    assert pp.postprocess(raw, site, gate) == (
        'def truncate_string(\n    env: "Environment",\n    s: str,\n    length: int = 255,')
    # With no line ending open, the line up to its last opener or comma in code.
    assert pp.postprocess("x = foo(bar\n", site, gate) == "x = foo("
    assert pp.postprocess('x = foo("a, b", c', site, gate) == 'x = foo("a, b",'


def test_a_one_line_signature_cut_at_max_tokens_keeps_its_complete_parameters() -> None:
    """Gemma 3 270M at attrs `_version_info.py:11` (a block at module level, the stub of `attrib`
    in the prompt's context) wrote one signature line and reached `max_tokens` inside it: no
    line end, nothing balances; it was dropped whole, an empty answer where the model wrote
    code. Its complete parameters are kept."""
    site = Site("x = 1\n\n\n", len("x = 1\n\n\n"), "a.py")
    gate = decide(site)
    assert gate.mode == "block"
    raw = ("def attrib(default=NOTHING, validator=None, repr=True, cmp=None, hash=None, "
           "init=True, metadata=None, type=None, converter=None, factory=None, kw_only=None, "
           "eq=None, order=None, on_setattr=None")
    assert pp.postprocess(raw, site, gate) == raw[: raw.rindex(",") + 1]
    # A comma inside a string is no place to cut at.
    assert pp.postprocess('print("a, b', site, gate) == "print("
    assert pp.explain("x = [", site, gate) == ("x = [", None)

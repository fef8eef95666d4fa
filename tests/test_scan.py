"""The one lexical scanner (`base.scan`): batch, windowed and one character at a time."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typehole.base.scan import (
    _SKIP,
    LexState,
    lexicon,
    scan,
    split_top,
    string_around,
    window_start,
)
from typehole.context.holescan import scan_prefix


@pytest.mark.parametrize(
    ("code", "in_string", "in_comment", "depth"),
    [
        ('x = "abc', True, False, 0),
        ("x = 'a\\'b", True, False, 0),
        ('x = r"a\\', True, False, 0),
        ('x = r"a\\" + (', True, False, 0),  # a backslash keeps a quote in a raw string too
        ('x = "abc"\ny = (', False, False, 1),
        ('x = "abc\ny = 1', False, False, 0),  # an unterminated string ends at the line end
        ('s = """\nabc', True, False, 0),
        ('s = """a"""', False, False, 0),
        ('s = """a""""', True, False, 0),  # the fourth quote opens a new string
        ('s = "" + (', False, False, 1),
        ("x = 1  # note", False, True, 0),
        ("x = '#'; y = [", False, False, 1),
        ('f"{a + [b', False, False, 2),
        ('f"{a}{{', True, False, 0),
        ('f"{d[\'k\']} {b(', False, False, 2),
        ('f"{x:>{w}}" + (', False, False, 1),
        ('rb"{a', True, False, 0),
        ("d[(1, 2)]", False, False, 0),
    ],
)
def test_scan(code: str, in_string: bool, in_comment: bool, depth: int) -> None:
    lex = scan(code)
    assert (lex.in_string, lex.in_comment, lex.depth) == (in_string, in_comment, depth)


def test_scan_fstring_field_is_code() -> None:
    lex = scan('msg = f"hello {user.na')
    assert lex.in_interpolation and not lex.in_string
    assert lex.brackets == (("{", 14),)


def test_scan_other_lexicons() -> None:
    js = lexicon("javascript")
    assert scan("let s = `a\nb", lex=js).in_string
    assert scan("x = 1 /* note", lex=js).in_comment
    assert not scan("x = 1 /* a */ + (", lex=js).in_comment
    assert scan("x = 1 /*/ still a comment", lex=js).in_comment
    assert scan("a = b / c // (", lex=js).depth == 0


def test_stray_closer_is_reported_and_recovered_from() -> None:
    lex = scan("f([1, 2)\n", mark=0)
    assert lex.unmatched == 7 and lex.depth == 0  # `)` closes `(`, and `[` with it
    assert scan("x)", mark=2).unmatched is None  # before the mark: not counted


def test_trace_counts_a_delimiter_at_its_first_character() -> None:
    trace: list[tuple[int, int]] = []
    scan('(""" + 1', trace=trace)
    assert [o for o, _ in trace] == [0, 1]  # inside the string: nothing after its first quote
    trace.clear()
    scan("x // y\nz", lex=lexicon("javascript"), trace=trace)
    assert [o for o, _ in trace] == [0, 1, 2, 6, 7, 8]  # the comment's opener, then its line end


def test_statement_start_and_line() -> None:
    text = "a = 1\nb = f(1,\n      2) + \\\n    c; d = "
    lex = scan(text)
    assert text[lex.statement_start:] == " d = "
    assert lex.line == "    c; d = " and text[lex.line_start:] == lex.line


def test_one_character_at_a_time_equals_one_call() -> None:
    text = 'def f(x):\n    """Doc {x}."""\n    return f"{x!r:>{w}}" + \'\' + g(\n'
    fed = LexState()
    for i, ch in enumerate(text):
        assert scan(text, 0, i).brackets == fed.brackets
        fed.feed(ch)
    assert (fed.brackets, fed.statement_start, fed.line) == (
        scan(text).brackets, scan(text).statement_start, scan(text).line)


_CODE = st.text(alphabet=st.sampled_from(list("ab_ ()[]{}'\"#\\\n;:fr=.,")), max_size=80)


@settings(max_examples=300, deadline=None)
@given(_CODE)
def test_skimming_changes_nothing(text: str) -> None:
    """`feed_text` moves over plain runs in one step: the result equals feeding each character."""
    fed = LexState()
    for ch in text:
        fed.feed(ch)
    skimmed = LexState()
    skimmed.feed_text(text)
    assert {n: getattr(fed, n) for n in LexState.__slots__} == {
        n: getattr(skimmed, n) for n in LexState.__slots__}


def test_copy_is_independent() -> None:
    lex = scan("f(a, ")
    other = lex.copy()
    other.feed(")")
    assert lex.depth == 1 and other.depth == 0


def test_window_starts_at_the_string_a_far_line_falls_inside() -> None:
    text = 'x = 1\ns = """\n' + "doc\n" * 100 + '"""\ny = ('
    start = window_start(text, len(text))
    assert start == text.index('"""')
    assert LexState.of_prefix(text).depth == 1 and not LexState.of_prefix(text).in_string


def test_split_top_ignores_nested_separators_strings_and_comments() -> None:
    assert split_top("a, f(b, c), 'd,e', [f, g]", ",") == ["a", " f(b, c)", " 'd,e'", " [f, g]"]
    assert split_top("a, 'x\\', y', # c, d\n b", ",") == ["a", " 'x\\', y'", " # c, d\n b"]


def test_hole_scan_forgets_brackets_a_new_statement_shows_were_never_closed() -> None:
    text = "x = f(a,\nreturn "
    lex = scan_prefix(text, len(text))
    assert lex.depth == 0 and text[lex.statement_start:] == "return "
    inside = scan_prefix("x = f(a,\n  b", 12)
    assert [b for b, _ in inside.brackets] == ["("] and inside.statement_start == 0


def _strings_by_regex(text: str, pos: int) -> tuple[int, int] | None:
    """`string_around` as one pass of its regular expression from the start of the text."""
    for m in _SKIP.finditer(text):
        if m.start() >= pos:
            return None
        if m.end() > pos:
            return m.span()
    return None


def test_string_spans_follow_a_document_through_its_versions() -> None:
    # Each version is asked about after the one before (the spans found are taken over up to
    # the edit): every answer is the one a fresh pass over the whole text gives.
    text = ('x = "a # b"  # c\ns = """\ndoc \'quoted\'\n"""\n' * 30
            + "y = f('it''s', \"q\")\n" * 30)
    rng = random.Random(7)
    pieces = ['"', "'", '"""', "'''", "#", "\n", "x", "\\", " "]
    for _ in range(300):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.3 and len(text) > 10:
            text = text[:at] + text[at + rng.randrange(1, 4):]
        else:
            text = text[:at] + rng.choice(pieces) + text[at:]
        for pos in (rng.randrange(len(text) + 1) for _ in range(5)):
            assert string_around(text, pos) == _strings_by_regex(text, pos), (text, pos)



@pytest.mark.parametrize(
    ("before", "typed", "inside"),
    [
        # A closer typed after a triple quote that had none: `""` was an empty string.
        ('x = 1\ns = """\nabc "d" e\ny = 2\n', '"""\n', "abc"),
        # A quote typed later on a line: what was a string on it is inside a longer one.
        ("a = 'abc \"def\" ghi", "'\n", "def"),
    ],
)
def test_string_spans_of_a_new_version_change_before_the_edit(
    before: str, typed: str, inside: str
) -> None:
    string_around(before, len(before))  # the old version's spans, found first
    after = before + typed
    pos = after.index(inside) + 1
    assert string_around(after, pos) == _strings_by_regex(after, pos) is not None

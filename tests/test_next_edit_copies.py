"""Next edits at the old copy of a line the edit wrote, a few lines below it (replayed from
real commits): a moved element or import is deleted, a copied block header is a place."""

from __future__ import annotations

from typehole.features.next_edit import WEIGHTS, apply, events_between, static_suggestions
from typehole.features.next_edit.copies import copy_suggestions, unchanged_suggestions

# rich 0daccb07: the `uuid` pattern moves up the highlighter's table, ahead of `eui64`.
UUID = '            r"(?P<uuid>[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12})",\n'
TABLE = (
    'class ReprHighlighter(RegexHighlighter):\n'
    '    highlights = [\n'
    '        _combine_regex(\n'
    '            r"(?P<ipv4>[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3})",\n'
    '            r"(?P<eui64>(?:[0-9A-Fa-f]{1,2}-){7}[0-9A-Fa-f]{1,2})",\n'
    '            r"(?P<eui48>(?:[0-9A-Fa-f]{1,2}-){5}[0-9A-Fa-f]{1,2})",\n'
    + UUID +
    '            r"(?P<call>[\\w.]*?)\\(",\n'
    '        ),\n'
    '    ]\n'
)
EUI64 = '            r"(?P<eui64>'
UUID_FIRST = TABLE.replace(EUI64, UUID + EUI64, 1)
MOVED = TABLE.replace(UUID, "").replace(EUI64, UUID + EUI64)

# attrs cd8890c7: `_ne` is written at module level, copied from the nested `ne` below it.
NE = '''def _make_eq(cls, attrs):
    def ne(self, other):
        result = self.__eq__(other)
        if result is NotImplemented:
            return NotImplemented

        return not result

    return ne
'''
NE_WRITTEN = NE.replace("def _make_eq(", '''def _ne(self, other):
    """
    Check equality and either forward a NotImplemented or return the result negated.
    """
    result = self.__eq__(other)
    if result is NotImplemented:
        return NotImplemented

    return not result


def _make_eq(''')


def test_a_moved_table_entry_s_old_copy_below_is_deleted() -> None:
    [event] = events_between(TABLE, UUID_FIRST)
    [s] = copy_suggestions(event)
    assert (UUID_FIRST[s.start : s.end], s.new_text, s.jump) == (UUID, "", False)
    assert apply(UUID_FIRST, s) == MOVED
    top = static_suggestions(UUID_FIRST, [event])[0]
    assert top.source == "copy" and top.score == WEIGHTS.copy


def test_the_model_of_a_copied_function_is_a_place_only() -> None:
    [event] = events_between(NE, NE_WRITTEN)
    [s] = copy_suggestions(event)
    assert NE_WRITTEN[s.start : s.end] == "        result = self.__eq__(other)"
    assert s.jump and s.new_text == NE_WRITTEN[s.start : s.end]


def test_a_copy_above_the_edit_or_one_of_many_is_left_alone() -> None:
    # The line pasted below its old copy: the user has passed the old copy.
    below = TABLE.replace('            r"(?P<call>', UUID + '            r"(?P<call>', 1)
    assert copy_suggestions(events_between(TABLE, below)[-1]) == []
    # A line the file already held twice is a pattern, not something moved.
    twice = TABLE.replace(UUID, UUID + UUID)
    thrice = twice.replace(EUI64, UUID + EUI64, 1)
    assert copy_suggestions(events_between(twice, thrice)[-1]) == []


def test_a_copy_far_below_is_something_else() -> None:
    filler = "".join(f"            r'(?P<x{n}>{n})',\n" for n in range(45))
    far = TABLE.replace(UUID, filler + UUID)
    pasted = far.replace(EUI64, UUID + EUI64, 1)
    assert copy_suggestions(events_between(far, pasted)[-1]) == []


# attrs f38b8a3f: the deprecation note rewrapped in one docstring, then in its namesake's.
CONFIG = '''def set_run_validators(run):
    """
    Set whether or not validators are run.  By default, they are run.

    .. deprecated:: 21.3.0 It will not be removed, but it also will not be
        moved to new ``attrs`` namespace. Use `attrs.validators.set_disabled()`
        instead.
    """
    global _run_validators
    _run_validators = run


def get_run_validators():
    """
    Return whether or not validators are run.

    .. deprecated:: 21.3.0 It will not be removed, but it also will not be
        moved to new ``attrs`` namespace. Use `attrs.validators.get_disabled()`
        instead.
    """
    return _run_validators
'''
REWRAPPED = CONFIG.replace(
    "    .. deprecated:: 21.3.0 It will not be removed, but it also will not be\n"
    "        moved to new ``attrs`` namespace. Use `attrs.validators.set_disabled()`\n"
    "        instead.\n",
    "    .. deprecated:: 21.3.0\n"
    "       It will not be removed, but it also will not be moved to new ``attrs``\n"
    "       namespace. Use `attrs.validators.set_disabled()` instead.\n")
NOTE = "    .. deprecated:: 21.3.0 It will not be removed, but it also will not be"


def test_a_rewritten_line_that_still_reads_the_same_below_is_the_next_place() -> None:
    [event] = events_between(CONFIG, REWRAPPED)
    [s] = unchanged_suggestions(event)
    assert (REWRAPPED[s.start : s.end], s.jump, s.source) == (NOTE, True, "unchanged")
    assert REWRAPPED.index(NOTE) > REWRAPPED.index("def get_run_validators")
    # The same place with the rewrite's text (a sibling passage one word apart) comes first.
    top = static_suggestions(REWRAPPED, [event])[0]
    assert (top.start, top.source, top.jump) == (s.start, "passage", False)
    assert "get_disabled()" in top.new_text


def test_no_place_where_the_rewritten_line_stands_twice_or_far_below() -> None:
    third = CONFIG.split("\n\n\n")[1].replace("get_run", "reset_run")
    assert unchanged_suggestions(events_between(CONFIG + third, REWRAPPED + third)[-1]) == []
    # 45 lines between the two docstrings: the second note belongs to something else.
    spaced = CONFIG.replace('    """\n    global', '    """\n' + "    pass\n" * 45 + "    global")
    rewrapped = REWRAPPED.replace('    """\n    global',
                                  '    """\n' + "    pass\n" * 45 + "    global")
    [event] = events_between(spaced, rewrapped)
    assert spaced.count(NOTE) == 2 and rewrapped.count(NOTE) == 1
    assert unchanged_suggestions(event) == []

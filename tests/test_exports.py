"""`__all__` lists before the cursor: masked as exports, and the one open at the cursor."""

from __future__ import annotations

from typehole.context.exports import exports, masked, next_entries


def test_exports_finds_each_list_and_the_one_open_at_the_end() -> None:
    text = ('from a import X, Y\n__all__ = ["X"]  # one\n__all__ += [\n    "Y",\n'
            "    # more to come\n    ")
    found = exports(text)
    assert [text[s:e].strip() for s, e in found.spans] == ['"X"', '"Y",\n    # more to come']
    assert found.open_entries == ("Y",)
    assert masked(text, found.spans).count("X") == 1  # the import's, not the list's
    assert masked(text, found.spans).count("\n") == text.count("\n")
    # An entry being typed leaves the list open; a closing bracket or code after it does not.
    assert exports('__all__ = ("A", "B",\n    "C').open_entries == ("A", "B")
    assert exports('__all__ = ["A"]\n').open_entries is None
    assert exports('__all__ = ["A"] + other.__all__\nx = ').open_entries is None
    assert exports("__all__.extend([\n").open_entries == ()
    assert exports("x = [\n    ").spans == ()


def test_next_entries_go_on_in_the_lists_order() -> None:
    imported = ["b", "c", "a", "D", "e"]
    assert next_entries([], imported) == imported
    # Sorted so far (case-sensitively, then ignoring case): the next names in that order.
    assert next_entries(["a", "c"], imported) == ["e", "D", "b"]
    assert next_entries(["a", "c", "D"], imported) == ["e", "b"]
    # Otherwise the imports' order after the last one listed, then from the start.
    assert next_entries(["c", "b"], imported) == ["a", "D", "e"]
    assert next_entries(["a"], imported) == ["D", "e", "b", "c"]

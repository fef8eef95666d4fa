"""Tags after an edit from a parse of the statements around it alone (`local_tags`) are those of
the whole file, and edits that could reach further are left to the whole parse."""

from __future__ import annotations

import ast
import random

import pytest
from realproject import real_project

from typehole.base.syntax import parse_bytes
from typehole.context.index import _edit_span
from typehole.context.tags import FileTags, UnitMemo, extract_tags, local_tags

SOURCE = '''"""A module."""
import os


def top(a: int) -> int:
    return a


def middle() -> None:
    pass


class Shape:
    """A shape."""

    sides = 0

    def area(self) -> float:
        return 0.0

    def scale(self, k: float) -> "Shape":
        x = 1
        return self

    def last(self) -> None:
        pass


def after() -> Shape:
    return Shape()


def final() -> int:
    return 1
'''


def _step(memo: UnitMemo, old: bytes, new: bytes) -> tuple[FileTags, bool]:
    """The tags of `new` as the index takes them after an edit of `old`, and whether the
    statements around the edit sufficed."""
    changed = _edit_span(old, new)
    tags = local_tags(new, "m", "m.py", False, memo, changed)
    if tags is not None:
        return tags, True
    return extract_tags(new, "m", "m.py", memo=memo, changed=changed), False


def _typing(text: str, rng: random.Random, rounds: int) -> list[str]:
    """Texts typing makes: a statement written a character at a time before a random statement
    of the file (syntax errors on the way), then the statement removed again, line by line."""
    lines = text.splitlines(keepends=True)
    starts = sorted({(node.lineno - 1, node.col_offset) for node in ast.walk(ast.parse(text))
                     if isinstance(node, ast.stmt) and not getattr(node, "decorator_list", [])
                     and not lines[node.lineno - 1][:node.col_offset].strip()})
    out = []
    for _ in range(rounds):
        line, column = rng.choice(starts)
        before, after = "".join(lines[:line]), "".join(lines[line:])
        statement = rng.choice(["value = compute(value).strip()", "if ok: return [1, (2)]",
                                "def inner(a: int) -> str: ..."])
        for k in range(1, len(statement) + 1):
            out.append(f"{before}{' ' * column}{statement[:k]}\n{after}")
        out.append(text)
    return out


def test_local_tags_equal_the_whole_files_while_typing_in_a_real_file() -> None:
    text = (real_project("httpx", "0.28.1") / "httpx" / "_models.py").read_text("utf-8")
    memo = UnitMemo()
    old = text.encode()
    extract_tags(old, "m", "m.py", memo=memo)
    local = total = 0
    for edited in _typing(text, random.Random(3), 12):
        new = edited.encode()
        tags, was_local = _step(memo, old, new)
        assert tags == extract_tags(new, "m", "m.py"), total
        local += was_local
        total += 1
        old = new
    # Many keystrokes leave valid code, and those are tagged from their statements alone.
    assert local > total // 3


@pytest.mark.parametrize(("before", "after", "local"), [
    ("        x = 1\n", "        x = 1\n        y = x\n", True),  # a new line in a method
    ("        return 0.0\n", "        return 0.0 +\n", False),  # a syntax error
    ("    def scale", "def scale", False),  # a method dedented out of its class
    ('    """A shape."""', '    """A round shape."""', True),  # the class's docstring
    ("class Shape:\n", "class Shape(Base):\n", False),  # the class's header
    ('"""A shape."""\n', '"""A shape."""\n    kind = 1\n', True),  # a line after the first member
    ("        pass\n", "        return None\n", True),  # the class's last member
    ("        pass\n", "        pass\n\n    def more(self) -> int:\n        return 2\n",
     True),  # a member after the last
    ("        pass\n", "        pass\nz = 1\n", False),  # a statement after the class
    ("        pass\n", "pass\n", False),  # the last member's body dedented
    ("    return a\n", "    return a + 1\n", True),  # a top-level function
    ("    pass\n\n\nclass", "    return\n\n\nclass", True),  # the last before a class
    ("    return 1\n", "    return 1\n\n\nz = 2\n", True),  # the file's end
    ("import os\n", "import os\nimport sys\n", True),  # an import
    ("    sides = 0\n", "    sides = 0\n    corners: int = 4\n", True),  # a class attribute
    ("    def area", "    @property\n    def area", True),  # a decorator
])
def test_edits_that_could_reach_further_are_parsed_whole(before: str, after: str,
                                                          local: bool) -> None:
    memo = UnitMemo()
    old = SOURCE.encode()
    extract_tags(old, "m", "m.py", memo=memo)
    new = SOURCE.replace(before, after, 1).encode()
    assert new != old
    tags, was_local = _step(memo, old, new)
    assert was_local == local
    assert tags == extract_tags(new, "m", "m.py")
    # And the edit after it, back to the text before, too.
    back, _ = _step(memo, new, old)
    assert back == extract_tags(old, "m", "m.py")


def test_a_syntax_error_typed_and_fixed_in_one_statement_leaves_the_rest_as_parsed() -> None:
    memo = UnitMemo()
    old = SOURCE.encode()
    extract_tags(old, "m", "m.py", memo=memo)
    broken = SOURCE.replace("        x = 1\n", "        x = (1\n").encode()
    assert parse_bytes(broken).root_node.has_error
    tags, was_local = _step(memo, old, broken)
    assert not was_local and tags == extract_tags(broken, "m", "m.py")
    # The error lay in the statement the next edit touches: the statements around it suffice.
    fixed = SOURCE.replace("        x = 1\n", "        x = (1)\n").encode()
    tags, was_local = _step(memo, broken, fixed)
    assert was_local and tags == extract_tags(fixed, "m", "m.py")
    # An error elsewhere stays: an edit away from it is parsed whole.
    elsewhere = fixed.replace(b"    return a\n", b"    return (a\n")
    _step(memo, fixed, elsewhere)
    far = elsewhere.replace(b"        pass\n", b"        pass\n        pass\n")
    far = far.replace(b"        return self\n", b"        return self  # done\n")
    tags, was_local = _step(memo, elsewhere, far)
    assert not was_local and tags == extract_tags(far, "m", "m.py")


def test_the_last_member_of_a_class_before_another_class_is_parsed_with_its_header() -> None:
    text = SOURCE.replace("\n\ndef after()", "\n\nclass Next:\n    x = 1\n\n    y = 2\n\n\n"
                          "def after()")
    memo = UnitMemo()
    extract_tags(text.encode(), "m", "m.py", memo=memo)
    old = text.encode()
    new = text.replace("        pass\n", "        return None\n").encode()
    tags, was_local = _step(memo, old, new)
    assert was_local and tags == extract_tags(new, "m", "m.py")
    # Lines added: the class after moves, its end with it (its end was not parsed again).
    longer = new.replace(b"        return None\n", b"        return None\n\n    z = 3\n")
    tags, was_local = _step(memo, new, longer)
    assert was_local and tags == extract_tags(longer, "m", "m.py")
    # A bracket left open swallows the class after: parsed whole, and back.
    joined = longer.replace(b"    z = 3\n", b"    z = (3\n")
    tags, was_local = _step(memo, longer, joined)
    assert not was_local and tags == extract_tags(joined, "m", "m.py")
    tags, _ = _step(memo, joined, longer)
    assert tags == extract_tags(longer, "m", "m.py")
    new = longer
    # The second class's last member: the statement after that class is its neighbour.
    newer = new.replace(b"    y = 2\n", b"    y = 20\n")
    tags, was_local = _step(memo, new, newer)
    assert was_local and tags == extract_tags(newer, "m", "m.py")


def test_a_syntax_error_inside_one_statement_keeps_its_last_tags_with_hold() -> None:
    # A class-level line before a method: the `.` typed swallows the method's `def` line, so
    # the method after that one is the neighbour that comes out as it was.
    good = SOURCE.replace("    def scale", "    value = compute(value)\n    def scale", 1)
    memo = UnitMemo()
    old = good.encode()
    last = extract_tags(old, "m", "m.py", memo=memo)
    broken = good.replace("compute(value)\n", "compute(value).\n").encode()
    assert parse_bytes(broken).root_node.has_error
    tags = local_tags(broken, "m", "m.py", False, memo, _edit_span(old, broken), hold=True)
    assert memo.held and tags == last != extract_tags(broken, "m", "m.py")
    # Typed on, described as an edit of the text the memo still describes: tagged exactly.
    fixed = good.replace("compute(value)\n", "compute(value).s\n").encode()
    tags = local_tags(fixed, "m", "m.py", False, memo, _edit_span(old, fixed), hold=True)
    assert not memo.held and tags == extract_tags(fixed, "m", "m.py")
    # Without `hold` the broken text is left to the whole parse, as before.
    memo = UnitMemo()
    extract_tags(old, "m", "m.py", memo=memo)
    assert local_tags(broken, "m", "m.py", False, memo, _edit_span(old, broken)) is None


@pytest.mark.parametrize("edited", [
    "        return 1\n",  # the first member, also the last, same lines
    "        x = 1\n        return x\n",  # a line more
    "        return (1\n",  # a syntax error
])
def test_the_first_member_of_a_decorated_class_is_parsed_with_its_header(edited: str) -> None:
    text = ("import dataclasses\n\n\n@dataclasses.dataclass\nclass One:\n"
            "    def only(self) -> int:\n        return 0\n\n\nclass Two:\n    y = 2\n\n\n"
            "def tail() -> None:\n    pass\n")
    memo = UnitMemo()
    old = text.encode()
    extract_tags(old, "m", "m.py", memo=memo)
    new = text.replace("        return 0\n", edited).encode()
    tags, was_local = _step(memo, old, new)
    assert was_local == (b"(1" not in new)
    assert tags == extract_tags(new, "m", "m.py")
    back, _ = _step(memo, new, old)
    assert back == extract_tags(old, "m", "m.py")

"""Uses of a name the edit removed get the text that drops them, on real code (httpx 0.28.1,
click 8.3.3, and excerpts of rich's and jinja's history as their maintainers edited them)."""

from __future__ import annotations

import pytest
from realproject import real_project

from typehole.features.next_edit import Suggestion, apply, events_between, static_suggestions


@pytest.fixture(scope="module")
def httpx() -> dict[str, str]:
    src = real_project("httpx", "0.28.1") / "httpx"
    return {name: (src / name).read_text("utf-8") for name in ("_urlparse.py", "_client.py",
                                                              "_models.py")}


def _undefined(before: str, after: str) -> list[Suggestion]:
    return [s for s in static_suggestions(after, events_between(before, after))
            if s.source == "undefined"]


def _at(text: str, found: list[Suggestion], needle: str) -> Suggestion:
    """The suggestion within the first occurrence of `needle` or holding it."""
    lo = text.index(needle)
    hi = lo + len(needle)
    [s] = [s for s in found if s.start < hi and lo < s.end]
    return s


def _line(text: str, needle: str) -> str:
    at = text.index(needle)
    return text[text.rfind("\n", 0, at) + 1 : text.index("\n", at)]


def test_a_removed_constant_passed_by_keyword_loses_the_argument(
        httpx: dict[str, str]) -> None:
    source = httpx["_urlparse.py"]
    start = source.index("USERNAME_SAFE = ")
    after = source[:start] + source[source.index("PASSWORD_SAFE = ") :]
    [s] = _undefined(source, after)
    # Its value is a call (not inlined), passed as `safe=`: without it the default applies.
    assert not s.jump and after[s.start : s.end] == ", safe=USERNAME_SAFE" and s.new_text == ""
    assert "`USERNAME_SAFE` was removed" in s.reason and "keyword argument" in s.reason
    fixed = apply(after, s)
    assert 'username = quote(kwargs.pop("username", "") or "")\n' in fixed
    compile(fixed, "_urlparse.py", "exec")


def test_a_removed_parameter_s_assignment_and_its_block_go(httpx: dict[str, str]) -> None:
    source = httpx["_client.py"]
    # `Client.__init__` loses `mounts`: the block that ran only when it was given goes, whole.
    mounts = "        mounts: None | (typing.Mapping[str, BaseTransport | None]) = None,\n"
    after = source.replace(mounts, "", 1)
    s = _at(after, _undefined(source, after), "if mounts is not None:")
    assert after[s.start : s.end] == (
        "        if mounts is not None:\n            self._mounts.update(\n"
        "                {URLPattern(key): transport for key, transport in mounts.items()}\n"
        "            )\n")
    assert s.new_text == "" and "the block that ran only with it goes" in s.reason
    fixed = apply(after, s)
    assert "        }\n\n        self._mounts = dict(sorted(self._mounts.items()))" in fixed
    compile(fixed, "_client.py", "exec")
    # `BaseClient.__init__` loses `trust_env`: `self._trust_env = trust_env` goes.
    start = source.index("        trust_env: bool = True,\n")
    after = source[:start] + source[start:].replace("        trust_env: bool = True,\n", "", 1)
    s = _at(after, _undefined(source, after), "self._trust_env = trust_env")
    assert after[s.start : s.end] == "        self._trust_env = trust_env\n" and s.new_text == ""
    compile(apply(after, s), "_client.py", "exec")


def test_a_removed_helper_s_call_stays_a_location(httpx: dict[str, str]) -> None:
    source = httpx["_models.py"]
    # Unwrapping `helper(x)` to `x` is a guess: maintainers as often call another function.
    start = source.index("def _parse_content_type_charset(")
    after = source[:start] + source[source.index("def _parse_header_links(") :]
    [s] = _undefined(source, after)
    assert s.jump and after[s.start : s.end] == "_parse_content_type_charset"
    assert "is no longer defined" in s.reason


def test_a_removed_flag_reads_as_absent() -> None:
    source = (real_project("click", "8.3.3") / "src" / "click" / "_termui_impl.py").read_text(
        "utf-8")
    after = source.replace("from ._compat import WIN\n", "", 1)
    found = _undefined(source, after)
    # `not WIN` in an `and` goes; `and WIN` would need it true: a location only.
    dropped = _at(after, found, 'ch == "\\x04" and not WIN')
    assert after[dropped.start : dropped.end] == " and not WIN" and dropped.new_text == ""
    kept = _at(after, found, 'ch == "\\x1a" and WIN')
    assert kept.jump and after[kept.start : kept.end] == "WIN"
    assert _line(apply(after, dropped), 'ch == "\\x04"') == \
        '    if ch == "\\x04":  # Unix-like, Ctrl+D'
    # `WIN or ...` inside parentheses: the other operand stays, `WIN` read as false.
    either = _at(after, found, "(WIN or sys.platform")
    assert apply(after, either).count('if (sys.platform.startswith("os2")) and') == 1


# jinja2/sandbox.py before commit 51097174e9 (jinja's history): the `sets` import went.
SANDBOX = '''import operator
from sets import Set, ImmutableSet
from collections import deque
_mutable_set_types = (ImmutableSet, Set, set)
_mutable_mapping_types = (dict,)
'''

# rich/text.py before commit 69f197c65f (rich's history), cut down: `cast` went from the imports.
RICH_TEXT = '''from typing import TYPE_CHECKING, Iterable, List, Optional, cast

DEFAULT_JUSTIFY = "default"
DEFAULT_OVERFLOW = "fold"


class Text:
    def wrap(self, console, width, justify=None, overflow=None):
        wrap_justify = cast("JustifyMethod", justify or self.justify) or DEFAULT_JUSTIFY
        wrap_overflow = cast("OverflowMethod", overflow) or DEFAULT_OVERFLOW
        return wrap_justify, wrap_overflow
'''


def test_removed_imports_leave_a_tuple_and_a_cast() -> None:
    after = SANDBOX.replace("from sets import Set, ImmutableSet\n", "")
    found = _undefined(SANDBOX, after)
    # Both names leave the tuple in one edit, which stays a tuple.
    assert _at(after, found, "ImmutableSet, Set, set").new_text == "set,"
    assert "_mutable_set_types = (set,)\n" in apply(after, found[0])
    after = RICH_TEXT.replace(", cast\n", "\n", 1)
    fixed = after
    for s in sorted(_undefined(RICH_TEXT, after), key=lambda s: -s.start):
        fixed = apply(fixed, s)
    # `cast(T, x)` returns `x`; the same `or` inside and out needs no parentheses.
    assert "wrap_justify = justify or self.justify or DEFAULT_JUSTIFY\n" in fixed
    assert "wrap_overflow = overflow or DEFAULT_OVERFLOW\n" in fixed


def test_a_statement_passing_a_removed_constant_goes_with_its_if() -> None:
    # attrs' _make.py before commit 01aa333005, cut down: the warning's message constant went.
    before = (
        "import warnings\n\n_EQ_ORDER_CUSTOMIZATION = (\n"
        '    "You have customized the behavior of `eq` but not of `order`.  "\n'
        '    "This is probably a bug."\n)\n\n\n'
        "def _determine(eq, order):\n    eq_key = None\n    if order is None:\n"
        "        if eq_key is not None:\n"
        "            warnings.warn(_EQ_ORDER_CUSTOMIZATION, SyntaxWarning, stacklevel=3)\n\n"
        "        order = eq\n    return eq, order\n"
    )
    start = before.index("_EQ_ORDER_CUSTOMIZATION = (")
    after = before[:start] + before[before.index("def _determine") :]
    [s] = _undefined(before, after)
    assert "the statement passing it goes too" in s.reason
    # The `if` it was the whole of goes too, and no blank line is left under `if order is None:`.
    assert "    if order is None:\n        order = eq\n" in apply(after, s)


# rich/text.py before commit 69f197c65f, cut down: Black had split these right-hand sides in
# parentheses for length; without `cast` they fit on one line, where the maintainer wrote them.
RICH_WRAPPED = '''from typing import Optional, cast

DEFAULT_OVERFLOW = "fold"


class Text:
    def render(self, console, options):
        overflow = (
            cast("OverflowMethod", self.overflow)
            or options.overflow
            or DEFAULT_OVERFLOW
        )
        return overflow

    def wrap(self, console, width, overflow=None):
        wrap_overflow = (
            cast("OverflowMethod", overflow or self.overflow) or DEFAULT_OVERFLOW
        )
        return wrap_overflow

    def split(self, console, overflow=None):
        return self.divide(
            cast("OverflowMethod", overflow or self.overflow),
            console.options.overflow_method_for_the_console_that_renders_this_text,
        )
'''


def test_a_call_unwrapped_in_split_brackets_joins_them_where_they_fit() -> None:
    after = RICH_WRAPPED.replace(", cast\n", "\n", 1)
    found = _undefined(RICH_WRAPPED, after)
    joined = _at(after, found, 'cast("OverflowMethod", self.overflow)')
    assert after[joined.start : joined.end].startswith("(\n            cast(")
    assert joined.new_text == "self.overflow or options.overflow or DEFAULT_OVERFLOW"
    assert "        overflow = self.overflow or options.overflow or DEFAULT_OVERFLOW\n" \
        "        return overflow\n" in apply(after, joined)
    same = _at(after, found, 'cast("OverflowMethod", overflow or self.overflow) or')
    assert "        wrap_overflow = overflow or self.overflow or DEFAULT_OVERFLOW\n" in \
        apply(after, same)
    # A trailing comma keeps the call's arguments one to a line: only the cast goes.
    kept = _at(after, found, 'cast("OverflowMethod", overflow or self.overflow),')
    assert after[kept.start : kept.end] == 'cast("OverflowMethod", overflow or self.overflow)'
    assert kept.new_text == "overflow or self.overflow"


def test_a_call_that_would_not_fit_stays_split() -> None:
    before = RICH_WRAPPED.replace("options.overflow\n", "options.overflow_method_for_the_"
                                  "console_that_renders_this_text\n", 1)
    after = before.replace(", cast\n", "\n", 1)
    s = _at(after, _undefined(before, after), 'cast("OverflowMethod", self.overflow)')
    assert after[s.start : s.end] == 'cast("OverflowMethod", self.overflow)'
    assert s.new_text == "self.overflow"


# attr/_make.py before commit 82892487fb (attrs' history), cut down: `_add_setattr` went; it
# returned the class it was given, so its call reads as that class.
ATTRS_SETATTR = '''def _add_setattr(cl):
    """
    Adds an adequate __setattr__ method.
    """
    original_setattr = cl.__setattr__

    def set_attr(self, name, value):
        original_setattr(self, name, value)
        return None

    cl.__setattr__ = set_attr
    return cl


def attributes(maybe_cl=None, add_repr=True):
    def wrap(cl):
        if add_repr is True:
            cl = _add_repr(cl)
        return _add_setattr(cl)

    return wrap
'''


def test_a_removed_function_that_returned_its_argument_gives_way_to_it() -> None:
    after = ATTRS_SETATTR[ATTRS_SETATTR.index("def attributes(") :]
    [s] = _undefined(ATTRS_SETATTR, after)
    assert after[s.start : s.end] == "_add_setattr(cl)" and s.new_text == "cl"
    assert "        return cl\n" in apply(after, s)
    # One that returns something else (here a new object) stays a location.
    other = ATTRS_SETATTR.replace("    return cl\n\n\ndef attributes", "    return Wrapper(cl)\n"
                                  "\n\ndef attributes", 1)
    [s] = _undefined(other, after)
    assert s.jump and after[s.start : s.end] == "_add_setattr"

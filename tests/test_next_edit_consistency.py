"""Consistency-driven next edits on real code (click 8.3.3): what an edit left inconsistent, as
pyflakes and the class's attributes see it before and after, and bad input around it."""

from __future__ import annotations

import pytest
from realproject import real_project

from typehole.features.next_edit import (
    EditHistory,
    apply,
    events_between,
    holds,
    static_suggestions,
)
from typehole.features.next_edit.consistency import KINDS, consistency_suggestions, renames
from typehole.features.next_edit.flakes import flags


@pytest.fixture(scope="module")
def click() -> dict[str, str]:
    src = real_project("click", "8.3.3") / "src" / "click"
    return {name: (src / name).read_text("utf-8") for name in ("utils.py", "core.py")}


def _apply_all(text: str, found) -> str:
    for s in sorted(found, key=lambda s: -s.start):
        text = apply(text, s)
    return text


def _undefined(text: str) -> set[str]:
    return {f.name for f in flags(text) or () if f.kind == "undefined"}


def test_a_definition_renamed_in_a_larger_edit_reaches_its_uses(click: dict[str, str]) -> None:
    source = click["utils.py"]
    old = "def _posixify(name: str) -> str:"
    after = source.replace(old, "def posixify_name(name: str, sep: str = \"-\") -> str:")
    event = events_between(source, after)[-1]
    assert renames(event)["_posixify"] == "posixify_name"
    found = [s for s in consistency_suggestions(event) if s.source == "undefined"]
    assert len(found) == source.count("_posixify(") - 1 == 2
    assert all(s.new_text == "posixify_name" and not s.jump for s in found)
    assert "renamed to `posixify_name`" in found[0].reason
    # Through the whole pipeline, applying everything leaves no undefined name behind.
    ranked = static_suggestions(after, events_between(source, after))
    fixed = _apply_all(after, [s for s in ranked if s.source == "undefined"])
    assert "_posixify" not in _undefined(fixed) and "_posixify" in _undefined(after)
    compile(fixed, "utils.py", "exec")


def test_a_removed_import_points_at_its_uses_without_guessing_text(click: dict[str, str]) -> None:
    source = click["utils.py"]
    after = source.replace("import re\n", "", 1)
    found = [s for s in static_suggestions(after, events_between(source, after))
             if s.source == "undefined"]
    assert [after[s.start : s.end] for s in found] == ["re"]
    top = found[0]
    assert top.jump and apply(after, top) == after  # location only: nothing to apply
    assert after[top.start :].startswith("re.error")
    assert "`re` is no longer defined" in top.reason


def test_a_method_renamed_in_its_class_reaches_self_calls(click: dict[str, str]) -> None:
    source = click["utils.py"]
    old = "    def close_intelligently(self) -> None:\n"
    assert old in source
    after = source.replace(old, "    def close_if_owned(self) -> None:  # renamed\n")
    found = [s for s in consistency_suggestions(events_between(source, after)[-1], KINDS)
             if s.source == "member"]
    assert [(after[s.start : s.end], s.new_text) for s in found] == [
        ("close_intelligently", "close_if_owned")]
    assert "self.close_if_owned()" in apply(after, found[0])


def test_removed_attribute_still_read_is_a_jump(click: dict[str, str]) -> None:
    source = click["utils.py"]
    # KeepOpenFile stores `_file` in __init__ and reads it in its methods.
    start = source.index("class KeepOpenFile:")
    body = source[start : source.index("\ndef ", start)]
    assert "self._file: t.IO[t.Any] = file" in body and body.count("self._file") > 2
    after = source.replace("        self._file: t.IO[t.Any] = file\n", "        pass\n", 1)
    event = events_between(source, after)[-1]
    assert not [s for s in consistency_suggestions(event) if s.source == "member"]  # off
    found = [s for s in consistency_suggestions(event, KINDS) if s.source == "member"]
    assert len(found) == body.count("self._file") - 1
    assert all(s.jump and after[s.start : s.end] == "_file" for s in found)


def test_calls_that_no_longer_fit_a_changed_signature(click: dict[str, str]) -> None:
    source = click["core.py"]
    old = "    base_command: Group, cmd_name: str, cmd: Command, register: bool = False\n"
    assert old in source
    new = ("    base_command: Group, cmd_name: str, cmd: Command, ctx: Context, strict: bool,\n"
           "    register: bool = False\n")
    after = source.replace(old, new)
    found = [s for s in static_suggestions(after, events_between(source, after))
             if s.source == "call"]
    assert len(found) == source.count("_check_nested_chain(") - 1 == 2
    for s in found:
        assert s.jump and after[s.start : s.end].startswith("(") and "no longer fits" in s.reason


def test_a_variable_left_unused(click: dict[str, str]) -> None:
    source = click["utils.py"]
    old = "        return os.path.join(os.path.expanduser(f\"~/.{_posixify(app_name)}\"))"
    assert old in source
    use = "        return os.path.join(os.path.expanduser(f\"~/.{dot_name}\"))"
    before = source.replace(old, "        dot_name = _posixify(app_name)\n" + use)
    after = before.replace("~/.{dot_name}", "~/.{_posixify(app_name)}")
    found = [s for s in consistency_suggestions(events_between(before, after)[-1])
             if s.source == "unused"]
    assert [after[s.start : s.end] for s in found] == ["dot_name"] and found[0].jump


def test_nothing_when_the_edit_leaves_the_file_unparsable(click: dict[str, str]) -> None:
    source = click["utils.py"]
    after = source.replace("def _posixify(name: str) -> str:", "def posixify_name(name: str ->")
    event = events_between(source, after)[-1]
    assert flags(after) is None
    assert consistency_suggestions(event) == []
    assert all(s.source != "undefined" for s in static_suggestions(after, [event]))


def test_whole_file_replacement_suggests_nothing_stale(click: dict[str, str]) -> None:
    source, other = click["utils.py"], click["core.py"]
    history = EditHistory(source)
    history.update(other, now=1.0)
    found = static_suggestions(other, history.events)
    assert all(0 <= s.start <= s.end <= len(other) for s in found)
    assert all(other[s.start : s.end] == s.expected for s in found)


def test_a_fixed_site_stops_holding_and_undo_storms_stay_bounded(click: dict[str, str]) -> None:
    source = click["utils.py"]
    renamed = source.replace("def _posixify(name", "def posixify_name(name")
    history = EditHistory(source, max_events=8)
    history.update(renamed, now=1.0)
    found = consistency_suggestions(history.events[-1])
    assert found and all(s.group == "undefined:_posixify" for s in found)
    assert all(holds(renamed, s) for s in found)
    # The name is defined again (an alias added elsewhere): the sites no longer hold.
    aliased = renamed + "\n_posixify = posixify_name\n"
    assert not any(holds(aliased, s) for s in found)
    # Undo: back to the original text; nothing is suggested for the edit taken back.
    history.update(source, now=2.0)
    assert static_suggestions(source, history.events) == []
    # An undo storm: the history stays bounded and suggestions always fit the current text.
    text = source
    for i in range(60):
        text = renamed if i % 2 == 0 else source.replace("import os\n", "import os  # x\n")
        history.update(text, now=3.0 + i * 2)
    assert len(history.events) <= 8
    for s in static_suggestions(text, history.events):
        assert text[s.start : s.end] == s.expected


def test_a_removed_constant_s_uses_get_its_value() -> None:
    before = (
        "import sys\n\nPY311 = sys.version_info >= (3, 11)\nSEP = ', '  # the separator\n\n\n"
        "def join(parts):\n    if PY311:\n        return SEP.join(parts)\n"
        "    return PY311 and len(parts)\n\n\ndef total(items):\n    count = 0\n"
        "    for item in items:\n        count += item\n    return count\n"
    )
    after = before.replace("PY311 = sys.version_info >= (3, 11)\nSEP = ', '  # the separator\n",
                           "")
    found = static_suggestions(after, events_between(before, after))
    assert {s.source for s in found} == {"undefined"} and not any(s.jump for s in found)
    fixed = _apply_all(after, found)
    assert "if sys.version_info >= (3, 11):" in fixed and "', '.join(parts)" in fixed
    # Not a slot of its own: the comparison keeps its parentheses; the comment is not taken.
    assert "return (sys.version_info >= (3, 11)) and len(parts)" in fixed
    compile(fixed, "m.py", "exec")
    # A variable bound again (`+=`) is not a constant: its use gets a location only.
    after = before.replace("    count = 0\n", "")
    [site] = static_suggestions(after, events_between(before, after))
    assert site.jump and after[site.start : site.end] == "count"


def test_a_call_given_an_argument_its_function_lacks_points_at_the_function() -> None:
    before = (
        "class Redirect:\n    def go(self, request, url):\n"
        "        return self.headers(request, url)\n\n"
        "    def headers(self, request: str, url: str) -> dict:\n        return {}\n\n\n"
        "def plain(a, b):\n    return a\n\n\nplain(1, 2)\n"
    )
    method = before.replace("self.headers(request, url)", "self.headers(request, url, method)")
    [s] = static_suggestions(method, events_between(before, method))
    assert (s.source, s.jump, method.count("\n", 0, s.start)) == ("definition", True, 4)
    assert "passes `method`, which `headers` does not take" in s.reason
    plain = before.replace("plain(1, 2)", "plain(1, 2, c)")
    [s] = static_suggestions(plain, events_between(before, plain))
    assert apply(plain, s).count("def plain(a, b, c):") == 1 and not s.jump
    # A call short of an argument is one still being typed: the function stays as it is.
    short = before.replace("plain(1, 2)", "plain(1)")
    assert static_suggestions(short, events_between(before, short)) == []


def test_an_attribute_renamed_where_it_is_set_reaches_its_reads_by_default() -> None:
    before = (
        "class Counter:\n    def __init__(self):\n        self.count = 0\n\n"
        "    def add(self, n):\n        print(self.count)\n        return self.count + n\n"
    )
    after = before.replace("self.count = 0", "self.total = 0")
    found = consistency_suggestions(events_between(before, after)[-1])
    assert [(s.source, s.new_text, after[s.start : s.end]) for s in found] == [
        ("member", "total", "count")] * 2
    assert "self.count" not in _apply_all(after, found)
    # Removed, not renamed: where the reads should go is not known, so nothing by default.
    gone = before.replace("        self.count = 0\n", "        pass\n")
    assert static_suggestions(gone, events_between(before, gone)) == []

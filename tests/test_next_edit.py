"""Next-edit engines without a server: history, anchoring, the model guardrails, bad input."""

from __future__ import annotations

from typehole.features.next_edit import (
    Change,
    EditHistory,
    Event,
    Suggestion,
    apply,
    build_prompt,
    events_between,
    parse_back,
    rebase,
    static_suggestions,
)
from typehole.features.next_edit.zeta import END, START

SOURCE = (
    "def total(items):\n    count = 0\n    for i in items:\n        count += i\n"
    "    return count\n"
)


def _typed(history: EditHistory, text: str, at: int, word: str, t0: float) -> str:
    for k, ch in enumerate(word):
        text = text[: at + k] + ch + text[at + k :]
        history.update(text, t0 + 0.1 * k)
    return text


def test_keystrokes_coalesce_into_one_rename_and_undo_forgets_it() -> None:
    history = EditHistory(SOURCE)
    at = SOURCE.index("count")
    text = SOURCE[:at] + SOURCE[at + 5 :]
    history.update(text, 0.0)
    text = _typed(history, text, at, "acc", 0.1)
    assert len(history.events) == 1
    assert history.events[0].change == Change(at, at + 5, "acc")
    found = static_suggestions(text, history.events)
    assert [s.new_text for s in found] == ["acc", "acc"]
    assert all(s.source == "rename" and text[s.start : s.end] == "count" for s in found)
    undo = history.update(SOURCE, 0.5)
    assert undo is not None and undo.undo and history.events == []
    assert static_suggestions(SOURCE, history.events) == []


def test_a_pause_starts_a_new_edit_and_history_is_bounded() -> None:
    history = EditHistory("", max_events=3)
    text = ""
    for i in range(6):
        text += f"x{i} = {i}\n"
        history.update(text, float(i * 10))
    assert len(history.events) == 3
    assert history.events[-1].after == text


def test_suggestions_survive_unrelated_typing_and_drop_when_touched() -> None:
    text = "a = old\nb = old\n"
    s = Suggestion(12, 15, "new", "rename", "r", "old")
    typed = "# note\n" + text
    moved = rebase(s, Change(0, 0, "# note\n"), typed)
    assert moved is not None and typed[moved.start : moved.end] == "old"
    assert rebase(s, Change(13, 14, "X"), apply(text, Change(13, 14, "X"))) is None


def test_events_between_replays_hunks_in_order() -> None:
    before = "a = 1\nb = 2\nc = 3\n"
    after = "a = 10\nb = 2\nc = 30\n"
    events = events_between(before, after)
    assert len(events) == 2 and events[-1].after == after
    assert events[0].after == "a = 10\nb = 2\nc = 3\n"


def test_model_answers_pass_guardrails_only_when_small_valid_and_not_undoing() -> None:
    before = "def f(a):\n    return a\n\n\ndef g(b):\n    return b\n"
    after = before.replace("return a", "return a + 1")
    [event] = events_between(before, after)
    prompt = build_prompt(after, after.index("return b"), [event], "m.py")
    assert START in prompt.text and "```diff" in prompt.text and "+    return a + 1" in prompt.text
    region = after[prompt.start : prompt.end]
    good = f"{START}\n{region.replace('return b', 'return b + 1')}\n{END}"
    [s] = parse_back(after, prompt, good, event)
    assert s.new_text == " + 1" and s.source == "model"
    assert parse_back(after, prompt, "garbage garbage", event) == []
    broken = f"{START}\n{region.replace('return b', 'return (b')}\n{END}"
    assert parse_back(after, prompt, broken, event) == []
    huge = f"{START}\n{region}\n" + "x = 1\n" * 200 + f"{END}"
    assert parse_back(after, prompt, huge, event) == []


def test_model_never_undoes_the_last_edit() -> None:
    before = "x = 1\ny = 2\n"
    after = "x = 5\ny = 2\n"
    [event] = events_between(before, after)
    prompt = build_prompt(after, 3, [event], "m.py")
    region = after[prompt.start : prompt.end]
    undo = f"{START}\n{region.replace('x = 5', 'x = 1')}\n{END}"
    assert parse_back(after, prompt, undo, event) == []


def test_bad_input_never_crashes() -> None:
    quiet = [
        ("def f(:\n  x = (\n", "def f(:\n  y = (\n"),  # a rename in code that does not parse
        ("", "x" * 100_000),  # a huge paste
        ("a = 1\n" * 2000, "b = 1\n" * 2000),  # thousands of lines changed at once
    ]
    for before, after in quiet:
        assert static_suggestions(after, events_between(before, after)) == [], before[:20]
    # A character outside the BMP before the rename: offsets stay in code points.
    before, after = "s = '😀'\nprint(s)\n", "t = '😀'\nprint(s)\n"
    [s] = static_suggestions(after, events_between(before, after))
    assert (s.source, s.new_text, after[s.start : s.end]) == ("rename", "t", "s")
    assert apply(after, s) == "t = '😀'\nprint(t)\n"


def test_stale_history_gives_nothing() -> None:
    event = Event("a = 1\n", "b = 1\n", Change(0, 1, "b"))
    assert static_suggestions("something else\n", [event]) == []


def test_method_gets_the_new_argument_without_self() -> None:
    before = "class A:\n    def m(self, x):\n        pass\n\n\nA().m(1)\n"
    after = before.replace("def m(self, x)", "def m(self, x, y)")
    [s] = static_suggestions(after, events_between(before, after))
    assert apply(after, s).endswith("A().m(1, y)\n")


def test_calls_that_already_follow_or_belong_to_another_object_get_nothing() -> None:
    before = (
        "class A:\n    def m(self, x):\n        pass\n\n    def run(self):\n"
        "        self.m(1)\n        self.m(1, 2)\n        self.state.m(1)\n"
    )
    after = before.replace("def m(self, x)", "def m(self, x, y)")
    found = static_suggestions(after, events_between(before, after))
    assert [(after.count("\n", 0, s.start) + 1, s.new_text) for s in found] == [(6, ", y")]


def test_repeats_go_forward_and_whole_lines_repeat() -> None:
    block = "    try:\n        go()\n    except:\n        pass\n"
    before = f"def a():\n{block}\n\ndef b():\n{block}{block}"
    at = before.index("except:", before.index("def b"))
    after = before[:at] + "except Exception:" + before[at + len("except:") :]
    found = static_suggestions(after, events_between(before, after))
    # Line 4 was passed over unchanged; only line 15, after the edit, gets the rewrite.
    assert [(after.count("\n", 0, s.start) + 1, s.new_text) for s in found] == [
        (15, "except Exception:")]
    calls = (
        "def f():\n    return Pool(\n        max_connections=limits.max_connections,\n"
        "        http2=http2,\n    )\n\n\ndef g():\n    return Pool(\n"
        "            max_connections=limits.max_connections,\n            http2=http2,\n"
        "    )\n"
    )
    added = calls.replace("max_connections,\n        http2",
                          "max_connections,\n        keepalive_expiry=EXPIRY,\n        http2")
    [s] = static_suggestions(added, events_between(calls, added))
    assert s.source == "repeat"
    assert apply(added, s).endswith("max_connections,\n            keepalive_expiry=EXPIRY,\n"
                                    "            http2=http2,\n    )\n")


def test_a_swapped_api_name_repeats_in_context_within_its_definition() -> None:
    before = (
        "class F:\n    def b(self, x):\n        warn(message, PendingDeprecationWarning)\n"
        "        return params.getlist(x)\n\n    def c(self, y):\n"
        "        warn(other, PendingDeprecationWarning)\n\n\n"
        "def d(y):\n    warn(message, PendingDeprecationWarning)\n"
        "    warn(y, PendingDeprecationWarning)\n"
    )
    after = before.replace("message, PendingDeprecationWarning", "message, DeprecationWarning", 1)
    found = static_suggestions(after, events_between(before, after))
    # In context inside class F (line 7); outside it only the identical line (11), not line 12.
    assert sorted(after.count("\n", 0, s.start) + 1 for s in found) == [7, 11]
    assert "warn(message, PendingDeprecationWarning)" not in _apply_all(after, found)


def _apply_all(text: str, found: list[Suggestion]) -> str:
    for s in sorted(found, key=lambda s: -s.start):
        text = apply(text, s)
    return text


def test_an_imported_name_replaced_at_one_use_follows_at_the_others_not_the_import() -> None:
    before = (
        "from typing import Iterator, Sequence\n\n\n"
        "def f(x: Sequence[int]) -> Iterator[int]:\n    yield from x\n\n\n"
        "def g(y: Sequence[str]) -> Iterator[str]:\n    yield from y\n"
    )
    after = before.replace("-> Iterator[int]", "-> Generator[int]")
    found = [s for s in static_suggestions(after, events_between(before, after))
             if s.source == "rename"]
    assert [(after.count("\n", 0, s.start) + 1, s.new_text) for s in found] == [(8, "Generator")]


def test_no_repeat_of_a_comment_s_words_or_of_a_rewritten_keyword() -> None:
    before = (
        "def f():\n    # We cache the init methods.\n    try:\n        import a\n"
        "    except ImportError:\n        a = None\n\n\ndef g():\n"
        "    # We cache the init methods.\n    try:\n        import b\n"
        "    except ImportError:\n        b = None\n"
    )
    comment = before.replace("# We cache the init methods.", "# We cache the hash methods.", 1)
    assert [s for s in static_suggestions(comment, events_between(before, comment))
            if s.source == "repeat"] == []
    keyword = before.replace("    try:\n", "    if sys.version_info >= (2, 5):\n", 1)
    assert [s for s in static_suggestions(keyword, events_between(before, keyword))
            if s.source == "repeat"] == []


def test_no_repeat_of_a_docstring_s_words_but_of_a_message_s() -> None:
    # attrs 48b8611c: "Class to introspect." -> "Class or instance to introspect." in
    # `fields`' docstring; the same line in `fields_dict`'s docstring was left as it was.
    before = (
        'def fields(cls):\n    """\n    Args:\n        cls (type): Class to introspect.\n'
        '    """\n    return cls.a\n\n\ndef fields_dict(cls):\n    """\n    Args:\n'
        '        cls (type): Class to introspect.\n    """\n    return cls.d\n'
    )
    prose = before.replace("Class to", "Class or instance to", 1)
    assert [s for s in static_suggestions(prose, events_between(before, prose))
            if s.source == "repeat"] == []
    # The same words in a message (a string inside code) are a pattern: they repeat.
    raising = '    if cls is None:\n        raise TypeError("attributes for a class.")\n'
    message = before.replace("    return cls.d\n", raising + "    return cls.d\n") + (
        '\n\ndef fields_list(cls):\n    raise TypeError("attributes for a class.")\n')
    edited = message.replace('TypeError("attributes for a class.")',
                             'TypeError("attributes for a class or instance.")', 1)
    [s] = [s for s in static_suggestions(edited, events_between(message, edited))
           if s.source == "repeat"]
    assert edited.count("\n", 0, s.start) + 1 == 20
    assert apply(edited, s).endswith('    raise TypeError("attributes for a class or instance.")\n')


def test_a_call_replaced_by_a_name_is_replaced_at_its_other_uses_in_the_definition() -> None:
    # rich f7ab2afa: `cell_len(characters)` became `chars_len` in `if ... == 1:`; the same call
    # two lines on, in another context, followed; another object's method did not.
    before = (
        "class Rule:\n    def render(self, characters, side_width):\n"
        "        if cell_len(characters) == 1:\n            side = Text(characters)\n"
        "        else:\n            side = Text(side_width // (cell_len(characters) - 1))\n"
        "        return self.cells.cell_len(characters)\n\n\n"
        "def other(characters):\n    return cell_len(characters)\n"
    )
    after = before.replace("if cell_len(characters) == 1", "if chars_len == 1")
    [s] = [s for s in static_suggestions(after, events_between(before, after))
           if s.source == "repeat"]
    assert after.count("\n", 0, s.start) + 1 == 6
    assert "(side_width // (chars_len - 1))" in apply(after, s)


def test_a_number_carried_over_is_a_hole_of_the_rewrite() -> None:
    # httpx 23f11aaa: `value >= 400 and value <= 599` -> `400 <= value <= 599`, then the same
    # for 500 in the next method.
    before = (
        "class codes:\n    def is_client_error(value):\n"
        "        return value >= 400 and value <= 499\n\n"
        "    def is_server_error(value):\n        return value >= 500 and value <= 599\n"
    )
    after = before.replace("value >= 400 and value", "400 <= value")
    [s] = [s for s in static_suggestions(after, events_between(before, after))
           if s.source == "repeat"]
    assert apply(after, s).endswith("        return 500 <= value <= 599\n")


def test_a_suggestion_is_dropped_when_text_is_typed_at_its_end() -> None:
    text = "a = old\nb = old\n"
    s = Suggestion(12, 15, "new", "rename", "r", "old")
    typed = apply(text, Change(15, 15, "er"))
    assert rebase(s, Change(15, 15, "er"), typed) is None  # `b = older`: no longer `old`
    assert rebase(s, Change(16, 16, "# c\n"), text[:16] + "# c\n") is not None

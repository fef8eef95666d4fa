"""The follow-on engine without a server: imports a new name needs, `self.x` that `__init__`
could store, and when it stays silent (golden cases cover the common shapes)."""

from __future__ import annotations

from typehole.features.next_edit import (
    EditHistory,
    apply,
    events_between,
    followon_suggestions,
    holds,
    static_suggestions,
)


def _followon(before: str, after: str, lookup=None):
    [event] = events_between(before, after)
    return followon_suggestions(event, lookup)


class _Workspace:
    """A stand-in `Lookup`: `defs` maps a name to the modules that define it."""

    def __init__(self, defs: dict[str, list[str]], module: str = "app.main") -> None:
        self.defs, self.module, self.is_package = defs, module, False

    def sources(self, name: str) -> list[str]:
        return self.defs.get(name, [])

    def first_party(self, top: str) -> bool:
        return top == "app"


def test_a_name_typed_one_keystroke_at_a_time_is_offered_once_complete() -> None:
    text = "import os\n\n\ndef f(p):\n    return \n"
    history = EditHistory(text)
    at = text.index("return ") + len("return ")
    for k, ch in enumerate("Path(p)"):
        text = text[: at + k] + ch + text[at + k :]
        history.update(text, 0.1 * k)
    [s] = static_suggestions(text, history.events)
    assert (s.source, s.new_text) == ("import", "from pathlib import Path\n")
    assert apply(text, s).startswith("import os\nfrom pathlib import Path\n\n\ndef f")


def test_a_stale_import_no_longer_holds() -> None:
    before = "def f(p):\n    return p\n"
    after = "def f(p):\n    return date.today()\n"
    [s] = _followon(before, after, _Workspace({"date": ["app.dates"]}))
    assert s.group == "import:date" and holds(after, s)
    typing_on = after.replace("date.today()", "datetime.today()")
    assert not holds(typing_on, s)  # `date` was the start of a longer name
    imported = "from app.dates import date\n\n\n" + after
    assert not holds(imported, s)  # the user imported it themselves


def test_workspace_names_join_their_section_and_ambiguity_is_silent() -> None:
    before = "import os\n\nfrom app.util import helper\n\n\ndef f():\n    return helper()\n"
    after = before.replace("helper()", "helper(Settings())")
    [s] = _followon(before, after, _Workspace({"Settings": ["app.config"]}))
    assert apply(after, s).startswith(
        "import os\n\nfrom app.config import Settings\nfrom app.util import helper\n")
    assert "the workspace's `app.config` provides it" in s.reason
    ambiguous = _Workspace({"Settings": ["app.config", "app.legacy"]})
    assert _followon(before, after, ambiguous) == []
    both = _Workspace({"Path": ["app.paths"]})  # the workspace and the stdlib table disagree
    assert _followon(before, before.replace("helper()", "helper(Path())"), both) == []
    # A builtin the workspace also defines (rich has its own `print`) is not imported.
    shadowing = _Workspace({"print": ["app.console"]})
    assert _followon(before, before.replace("return helper()", "print(helper())"),
                     shadowing) == []


def test_a_parenthesised_import_gets_a_line_of_its_own() -> None:
    before = "from typing import (\n    Any,\n    Optional,\n)\n\nx: Any = 1\n"
    after = before + "y: Union[int, None] = None\n"
    [s] = _followon(before, after)
    expected = "from typing import (\n    Any,\n    Optional,\n    Union,\n)"
    assert apply(after, s).startswith(expected)
    earlier = before + "z: Final = 2\n"
    [s] = _followon(before, earlier)
    assert apply(earlier, s).startswith("from typing import (\n    Any,\n    Final,\n    Optional,")


def test_names_that_are_not_reads_or_are_bound_in_broken_code_are_left_alone() -> None:
    before = "def f(obj):\n    return obj\n"
    for after in (
        "def f(obj):\n    return obj.Path\n",  # an attribute
        "def f(obj):\n    return g(Path=obj)\n",  # a keyword argument
        "def f(obj):\n    for Path in obj: pass\n    return Path\n",  # a loop variable
        "def f(obj):\n    return [Path for Path in obj]\n",  # a comprehension variable
        "def f(obj):\n    global Path\n    return Path\n",
        "def f(obj):\n    return obj\nfrom pathlib import (Path\n",  # bound in a broken import
    ):
        assert _followon(before, after) == [], after


def test_attribute_needs_a_plain_class_and_a_matching_parameter() -> None:
    before = (
        "class C:\n    def __init__(self, a, *rest):\n        self.a = a\n\n"
        "    def f(self):\n        return self.a\n"
    )
    assert _followon(before, before.replace("return self.a", "return self.rest")) == []
    assert _followon(before, before.replace("return self.a", "self.b = 1\n        return self.b"))\
        == []
    decorated = "@frozen\n" + before
    assert _followon(decorated, "@frozen\n" + before.replace("self.a\n", "self.a + self.x\n"))\
        == []


def test_bad_input_does_not_crash() -> None:
    # Code this broken around the new name gets nothing, and nothing raises.
    for before, after in (
        ("", "Path("),
        ("x = (", "x = (Path"),
        ("class C:\n    def __init__(self, x", "class C:\n    def __init__(self, x\n  self.x"),
    ):
        assert [s for e in events_between(before, after) for s in followon_suggestions(e)] == []
    # A byte-order mark and a character outside the BMP: the import lands after the mark.
    before = "\ufeffdef f():\n    pass\n"
    after = "\ufeffdef f():\n    return Path('\U0001f600')\n"
    [s] = _followon(before, after)
    assert s.source == "import" and holds(after, s)
    assert apply(after, s) == (
        "\ufefffrom pathlib import Path\n\n\ndef f():\n    return Path('\U0001f600')\n"
    )


def test_a_byte_order_mark_does_not_shift_the_edit() -> None:
    before = "\ufefffrom typing import Any\ny: Any = 1\n"
    after = before + "z: Optional[int] = None\n"
    [s] = _followon(before, after)
    assert apply(after, s).startswith("\ufefffrom typing import Any, Optional\n")


def test_attribute_goes_before_a_closing_return_and_keeps_tab_indentation() -> None:
    before = "class C:\n\tdef __init__(self, x):\n\t\tself.y = 1\n\t\treturn\n\n" \
        "\tdef f(self):\n\t\treturn 1\n"
    after = before.replace("return 1", "return self.x")
    [s] = _followon(before, after)
    assert "\t\tself.y = 1\n\t\tself.x = x\n\t\treturn\n" in apply(after, s)
    assert s.source == "attribute" and holds(after, s) and not holds(apply(after, s), s)


def test_deleting_an_import_or_an_assignment_is_not_undone() -> None:
    before = "from pathlib import Path\n\n\ndef f():\n    return Path()\n"
    assert _followon(before, before.replace("from pathlib import Path\n", "")) == []
    cls = (
        "class C:\n    def __init__(self, x):\n        self.x = x\n\n"
        "    def f(self):\n        return self.x\n"
    )
    assert _followon(cls, cls.replace("        self.x = x\n", "        pass\n")) == []
    # Adding the parameter is typing the demand: `self.x` was read, now `__init__` can store it.
    no_param = cls.replace("(self, x)", "(self)").replace("self.x = x", "pass")
    [s] = _followon(no_param, no_param.replace("__init__(self)", "__init__(self, x)"))
    assert s.new_text == "        self.x = x\n"

"""Next edits that follow code written top-down, replayed from real commits: a function or method
called before it is defined (its stub), a parameter its docstring does not mention yet."""

from __future__ import annotations

from typehole.features.next_edit import apply, events_between, static_suggestions
from typehole.features.next_edit.flakes import flags
from typehole.features.next_edit.parameters import parameter_suggestions
from typehole.features.next_edit.stubs import stub_suggestions

# httpx 15d09a3b: `get_environment_proxies` learns IP addresses in NO_PROXY through two helpers
# written after their calls, at the end of the module.
PROXIES = '''import os
import typing


def get_environment_proxies() -> typing.Dict[str, typing.Optional[str]]:
    mounts: typing.Dict[str, typing.Optional[str]] = {}
    for hostname in os.environ.get("NO_PROXY", "").split(","):
        if hostname == "*":
            return {}
        elif hostname:
            mounts[f"all://*{hostname}"] = None
    return mounts


def to_bytes(value: typing.Union[str, bytes], encoding: str = "utf-8") -> bytes:
    return value.encode(encoding) if isinstance(value, str) else value
'''


def _undefined(text: str) -> set[str]:
    return {f.name for f in flags(text) or () if f.kind == "undefined"}


def test_a_function_called_before_it_exists_gets_a_stub_at_the_module_end() -> None:
    after = PROXIES.replace(
        '        elif hostname:\n',
        '        elif is_ipv4_hostname(hostname):\n            mounts[f"all://{hostname}"] = None\n'
        '        elif hostname:\n')
    [top, *_] = static_suggestions(after, events_between(PROXIES, after))
    assert top.source == "stub" and not top.jump
    assert top.start == len(after)
    assert top.new_text == "\n\ndef is_ipv4_hostname(hostname):\n    ...\n"
    assert "is_ipv4_hostname" in top.reason
    assert "is_ipv4_hostname" in _undefined(after)
    fixed = apply(after, top)
    assert _undefined(fixed) == set()
    assert fixed.endswith("return value.encode(encoding) if isinstance(value, str) else value"
                          "\n\n\ndef is_ipv4_hostname(hostname):\n    ...\n")


def test_a_name_the_workspace_or_the_file_provides_gets_no_stub() -> None:
    # Read but not called: a variable still to be bound, not a function.
    read = PROXIES.replace("return mounts", "return mounts or defaults")
    assert stub_suggestions(events_between(PROXIES, read)[-1]) == []
    # A builtin, a standard-library name the import engine has a home for.
    builtin = PROXIES.replace("return mounts", "return dict(sorted(mounts.items()))")
    assert stub_suggestions(events_between(PROXIES, builtin)[-1]) == []
    # A name defined in a nested scope elsewhere in the file (moved, not missing).
    nested = PROXIES.replace("    return mounts\n", "    def shorten(h):\n        return h\n"
                             "    return mounts\n").replace(
        "    return value.encode", "    value = shorten(value)\n    return value.encode")
    assert stub_suggestions(events_between(PROXIES, nested)[-1]) == []


class _Lookup:
    """A workspace that defines `is_ipv4_hostname` in `httpx._urlparse`."""

    module = "httpx._utils"
    is_package = False

    def sources(self, name: str) -> list[str]:
        return ["httpx._urlparse"] if name == "is_ipv4_hostname" else []

    def first_party(self, top: str) -> bool:
        return top == "httpx"


def test_a_name_another_module_defines_is_an_import_not_a_stub() -> None:
    after = PROXIES.replace("        elif hostname:\n",
                            "        elif is_ipv4_hostname(hostname):\n            pass\n"
                            "        elif hostname:\n")
    event = events_between(PROXIES, after)[-1]
    assert stub_suggestions(event, _Lookup()) == []
    assert [s.source for s in stub_suggestions(event)] == ["stub"]


# httpx 9c7d23ce: `BaseClient.__init__` checks its backend through a method written next.
CLIENT = '''class BaseClient:
    def __init__(self, backend: "ConcurrencyBackend", timeout: float = 5.0):
        self.timeout = timeout
        self.concurrency_backend = backend

    def merge_url(self, url: str) -> str:
        return url
'''


def test_a_method_called_before_it_exists_goes_after_its_caller() -> None:
    after = CLIENT.replace("        self.concurrency_backend = backend\n",
                           "        self.check_concurrency_backend(backend)\n\n"
                           "        self.concurrency_backend = backend\n")
    [top] = static_suggestions(after, events_between(CLIENT, after))
    assert top.source == "stub"
    assert "    def check_concurrency_backend(self, backend):\n        ...\n" in top.new_text
    fixed = apply(after, top)
    assert "        self.concurrency_backend = backend\n\n    def check_concurrency_backend(" \
           "self, backend):\n        ...\n\n    def merge_url(" in fixed
    compile(fixed, "client.py", "exec")
    # Once the method is written there, the stub is no longer offered.
    written = after.replace("\n    def merge_url", "\n    def check_concurrency_backend(self, b):"
                            "\n        pass\n\n    def merge_url")
    events = events_between(CLIENT, after) + events_between(after, written)
    assert [s for s in static_suggestions(written, events) if s.source == "stub"] == []


def test_a_stub_is_dropped_once_its_method_is_written_elsewhere() -> None:
    # jinja 776567cc: `LoopContext._safe_next` is called in `__init__` and written further down.
    after = CLIENT.replace("        self.concurrency_backend = backend\n",
                           "        self.concurrency_backend = backend\n"
                           "        self.after = self.safe_next()\n")
    [top] = static_suggestions(after, events_between(CLIENT, after))
    assert top.source == "stub" and "safe_next" in top.new_text
    written = after + "\n    def safe_next(self):\n        return None\n"
    events = events_between(CLIENT, after) + events_between(after, written)
    assert [s for s in static_suggestions(written, events) if s.source == "stub"] == []


def test_a_method_a_base_class_may_define_gets_no_stub() -> None:
    based = CLIENT.replace("class BaseClient:", "class BaseClient(Transport):")
    after = based.replace("        self.concurrency_backend = backend\n",
                          "        self.check_concurrency_backend(backend)\n"
                          "        self.concurrency_backend = backend\n")
    assert stub_suggestions(events_between(based, after)[-1]) == []
    # A method the class already has, defined further down, is no stub either.
    defined = CLIENT.replace("        self.concurrency_backend = backend\n",
                             "        self.concurrency_backend = backend\n"
                             "        self.merge_url('/')\n")
    assert stub_suggestions(events_between(CLIENT, defined)[-1]) == []


def test_a_name_exported_before_it_exists_gets_its_stub() -> None:
    # attrs 7c9b31ea: `or_` enters `__all__` first; the validator comes at the end of the file.
    before = ('__all__ = [\n    "and_",\n    "in_",\n]\n\n\ndef and_(*validators):\n'
              '    return validators\n\n\ndef in_(options):\n    return options\n')
    after = before.replace('    "in_",\n', '    "in_",\n    "or_",\n')
    [top] = static_suggestions(after, events_between(before, after))
    assert top.source == "stub" and top.start == len(after)
    assert top.new_text == "\n\ndef or_():\n    ...\n"
    assert "exported" in top.reason


# attrs d86e28bd: `make_class` gets a `bases` parameter; the maintainer documents it next.
MAKE_CLASS = '''def make_class(name, attrs, **attributes_arguments):
    """
    A quick way to create a new class called *name* with *attrs*.

    :param name: The name for the new class.
    :type name: str

    :param attrs: A list of names or a dictionary of mappings of names to
        attributes.
    :type attrs: :class:`list` or :class:`dict`

    :param attributes_arguments: Passed unmodified to :func:`attr.s`.

    :return: A new class with *attrs*.
    :rtype: type
    """
    cls_dict = dict(attrs)
    return type(name, (object,), cls_dict)
'''


def test_a_new_parameter_points_at_its_entry_in_the_docstring() -> None:
    after = MAKE_CLASS.replace("attrs, **attributes", "attrs, bases=(object,), **attributes")
    [top] = static_suggestions(after, events_between(MAKE_CLASS, after))
    assert top.source == "parameter" and top.jump
    assert apply(after, top) == after  # location only
    # Right after the entry of `attrs` (its `:type` line and the blank line after it).
    assert after[:top.start].endswith(":type attrs: :class:`list` or :class:`dict`\n")
    assert after[top.start:].startswith("\n    :param attributes_arguments:")
    assert "`bases`" in top.reason
    # Once the entry is typed there, the suggestion is gone.
    documented = after.replace(
        "    :param attributes_arguments:",
        "    :param tuple bases: Classes that the new class will subclass.\n\n"
        "    :param attributes_arguments:")
    events = events_between(MAKE_CLASS, after) + events_between(after, documented)
    assert [s for s in static_suggestions(documented, events) if s.source == "parameter"] == []


def test_a_new_parameter_of_a_docstring_without_entries_points_at_the_docstring() -> None:
    # jinja 10fc8afc: `do_dictsort` gets `reverse`; its docstring gains an example of it.
    before = ('def do_dictsort(value, case_sensitive=False, by="key"):\n'
              '    """Sort a dict and yield (key, value) pairs.\n\n'
              '    .. sourcecode:: jinja\n\n'
              '        {% for item in mydict|dictsort %}\n'
              '            sort the dict by key, case insensitive\n'
              '    """\n'
              '    return sorted(value.items())\n')
    after = before.replace('by="key"', 'by="key", reverse=False')
    [top] = parameter_suggestions(events_between(before, after)[-1])
    assert top.jump and after[top.start : top.end].startswith('"""Sort a dict')
    assert after[top.start : top.end].endswith('case insensitive\n    """')
    # A docstring that names the parameter already, or no docstring, asks for nothing.
    named = before.replace("Sort a dict", "Sort a dict (reverse: descending)")
    assert parameter_suggestions(events_between(
        named, named.replace('by="key"', 'by="key", reverse=False'))[-1]) == []
    # Nor a summary that speaks of no parameter (jinja b6f50df8, `_make_node` gets `context`).
    summary = ('def _make_node(self, singular, plural):\n'
               '    """Generates a useful node from the data provided."""\n'
               '    return singular or plural\n')
    assert parameter_suggestions(events_between(
        summary, summary.replace("singular, plural)", "singular, plural, context)"))[-1]) == []
    bare = before.replace(before[before.index('    """'):before.index("    return")], "")
    assert parameter_suggestions(events_between(
        bare, bare.replace('by="key"', 'by="key", reverse=False'))[-1]) == []

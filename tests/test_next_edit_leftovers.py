"""Next edits for what an edit left half done, on real code (click 8.3.3): the old copy of
moved lines, the copies of an expression the edit named, the other calls of a callee the edit
gave an argument more; each replayed through the whole static pipeline."""

from __future__ import annotations

import pytest
from realproject import real_project

from typehole.features.next_edit import apply, events_between, static_suggestions
from typehole.features.next_edit.arguments import argument_suggestions
from typehole.features.next_edit.extracted import extracted_suggestions
from typehole.features.next_edit.moved import moved_suggestions
from typehole.features.next_edit.spelled import spelled_suggestions


@pytest.fixture(scope="module")
def click() -> dict[str, str]:
    src = real_project("click", "8.3.3") / "src" / "click"
    return {name: (src / name).read_text("utf-8") for name in ("_termui_impl.py", "parser.py")}


def _apply_all(text: str, found) -> str:
    for s in sorted(found, key=lambda s: -s.start):
        text = apply(text, s)
    return text


def _function(source: str, head: str) -> tuple[int, int]:
    """The span of the method starting with `head` (up to the next method)."""
    start = source.index(head)
    return start, source.index("\n    def ", start + 1)


def test_a_line_pasted_higher_in_its_function_deletes_the_old_copy(
        click: dict[str, str]) -> None:
    source = click["_termui_impl.py"]
    old = "        editor = self.get_editor()\n        environ: dict[str, str] | None = None\n"
    assert source.count(old) == 1
    # Moving `environ`'s line above `editor`'s: pasted first, the old copy not yet cut.
    pasted = source.replace(old, "        environ: dict[str, str] | None = None\n" + old)
    top = static_suggestions(pasted, events_between(source, pasted))[0]
    assert top.source == "moved" and top.new_text == ""
    assert pasted[top.start : top.end] == "        environ: dict[str, str] | None = None\n"
    assert pasted.count("\n", 0, top.start) == pasted.count("\n", 0, pasted.index(old)) + 1
    assert "pasted a line" in top.reason
    assert apply(pasted, top) == source.replace(
        old, "        environ: dict[str, str] | None = None\n        editor = self.get_editor()\n")


def test_an_import_moved_out_of_its_function_deletes_the_inner_one() -> None:
    # click a87829d2: `import fcntl` moved from a function to the `try:` block around it.
    before = (
        "import os\n\ntry:\n    def set_binary_mode(f):\n        try:\n"
        "            fileno = f.fileno()\n        except Exception:\n            pass\n"
        "        else:\n            import fcntl\n"
        "            flags = fcntl.fcntl(fileno, fcntl.F_GETFL)\n        return f\n"
        "except ImportError:\n    pass\n"
    )
    after = before.replace("try:\n    def", "try:\n    import fcntl\n\n    def")
    [s] = moved_suggestions(events_between(before, after)[-1])
    assert after[s.start : s.end] == "            import fcntl\n"
    compile(apply(after, s), "m.py", "exec")


def test_copies_that_are_not_moves_stay(click: dict[str, str]) -> None:
    source = click["_termui_impl.py"]
    start, end = _function(source, "    def edit(self, text: str | bytes")
    # The same statement pasted into a sibling method is a pattern repeated, not a move.
    line = "        editor = self.get_editor()\n"
    assert "        import tempfile\n" in source[start:end]
    copied = source[:start] + source[start:end].replace(
        "        import tempfile\n", "        import tempfile\n" + line, 1) + source[end:]
    assert moved_suggestions(events_between(source, copied)[-1]) == []
    # Nor is a second `return` or a statement too short to be specific.
    again = source.replace('        return "vi"\n', '        return "vi"\n        x = 1\n'
                           '        return "vi"\n', 1)
    assert moved_suggestions(events_between(source, again)[-1]) == []
    # Nor a statement copied into a new branch of the `if` it stands in (rich 6ccbaee6).
    branch = ("def refresh(self):\n    if self.jupyter:\n        self.widget.close()\n"
              "    elif self.transient:\n        self.console.print(Control.home())\n")
    grown = branch + "    elif not self.started:\n        self.console.print(Control.home())\n"
    assert moved_suggestions(events_between(branch, grown)[-1]) == []


def _inlined(source: str) -> str:
    """`edit_files` as it reads with `self.get_editor()` spelled out at each use."""
    start, end = _function(source, "    def edit_files(")
    body = source[start:end].replace("        editor = self.get_editor()\n", "")
    body = body.replace("shlex.split(editor)", "shlex.split(self.get_editor())")
    body = body.replace("format(editor=editor", "format(editor=self.get_editor()")
    return source[:start] + body + source[end:]


def test_a_named_expression_replaces_its_later_copies(click: dict[str, str]) -> None:
    source = click["_termui_impl.py"]
    before = _inlined(source)
    assert before.count("self.get_editor()") == 3
    at = before.index("        environ: dict[str, str] | None = None\n", before.index(
        "    def edit_files("))
    after = before[:at] + "        editor = self.get_editor()\n" + before[at:]
    found = static_suggestions(after, events_between(before, after))
    assert [s.source for s in found] == ["extract"] * 3
    assert all(s.new_text == "editor" and after[s.start : s.end] == "self.get_editor()"
               for s in found)
    assert "`editor` holds `self.get_editor()`" in found[0].reason
    # Applied, they give back the code as click has it.
    assert _apply_all(after, found) == source


def test_a_name_bound_again_or_a_fresh_object_is_no_stand_in(click: dict[str, str]) -> None:
    before = _inlined(click["_termui_impl.py"])
    at = before.index("        environ: dict[str, str] | None = None\n", before.index(
        "    def edit_files("))
    rebound = before[:at] + "        editor = self.get_editor()\n" + before[at:]
    rebound = rebound.replace("        if self.env:\n",
                              "        if self.env:\n            editor = 'vi'\n", 1)
    assert extracted_suggestions(events_between(before, rebound)[-1]) == []
    fresh = "def f():\n    a = Counter()\n    a.update(Counter())\n    return Counter()\n"
    base = fresh.replace("    a = Counter()\n", "")
    assert extracted_suggestions(events_between(base, fresh)[-1]) == []
    # A module-level name (jinja 07a7d551's `concat = u''.join`) is for code still to come.
    module = "import os\n\n\ndef f(a):\n    return os.path.join(a, 'x')\n"
    named = module.replace("import os\n", "import os\n\njoin = os.path.join\n")
    assert extracted_suggestions(events_between(module, named)[-1]) == []


def _without_ctx(source: str) -> str:
    return source.replace("NoSuchOption(opt, possibilities=possibilities, ctx=self.ctx)",
                          "NoSuchOption(opt, possibilities=possibilities)").replace(
        "NoSuchOption(opt, ctx=self.ctx)", "NoSuchOption(opt)")


def test_an_argument_given_to_one_call_reaches_the_others(click: dict[str, str]) -> None:
    # click fa389c1a: `ctx=self.ctx` passed to one `NoSuchOption(...)`, then to the other.
    source = click["parser.py"]
    before = _without_ctx(source)
    after = before.replace("NoSuchOption(opt, possibilities=possibilities)",
                           "NoSuchOption(opt, possibilities=possibilities, ctx=self.ctx)")
    found = static_suggestions(after, events_between(before, after))
    assert [(s.source, s.new_text) for s in found] == [("argument", ", ctx=self.ctx")]
    assert "now passes `ctx=self.ctx`" in found[0].reason
    assert apply(after, found[0]) == source


def test_an_argument_goes_in_the_call_s_own_layout() -> None:
    before = (
        "import warnings\n\n\ndef old(x):\n    warnings.warn(\n        'old is deprecated',\n"
        "        stacklevel=2,\n    )\n    return x\n\n\n"
        "def older(x):\n    warnings.warn('older is deprecated', stacklevel=2)\n    return x\n\n\n"
        "def oldest(x):\n    warnings.warn(\n        'oldest is deprecated'\n    )\n    return x\n"
    )
    after = before.replace("'old is deprecated',\n", "'old is deprecated',\n"
                           "        DeprecationWarning,\n", 1)
    assert after != before
    found = argument_suggestions(events_between(before, after)[-1])
    fixed = _apply_all(after, found)
    # Positional: only where the call has as many positional arguments and no keywords; with
    # the edited call's trailing comma.
    assert "warnings.warn(\n        'oldest is deprecated',\n        DeprecationWarning,\n    )" \
        in fixed
    assert "warnings.warn('older is deprecated', stacklevel=2)" in fixed
    keyword = before.replace("'older is deprecated', stacklevel=2)",
                             "'older is deprecated', stacklevel=2, category=FutureWarning)")
    fixed = _apply_all(keyword, argument_suggestions(events_between(before, keyword)[-1]))
    assert "        stacklevel=2,\n        category=FutureWarning,\n    )" in fixed
    assert "'oldest is deprecated',\n        category=FutureWarning\n    )" in fixed
    compile(fixed, "m.py", "exec")


def test_an_argument_whose_names_are_not_there_stays(click: dict[str, str]) -> None:
    # `self.ctx` means nothing in a module-level function; a local of the edited function
    # means nothing in another one.
    before = (
        "def a(opt, limit):\n    return check(opt)\n\n\n"
        "def b(opt):\n    return check(opt)\n\n\n"
        "class P:\n    def c(self, opt):\n        return check(opt)\n"
    )
    after = before.replace("return check(opt)", "return check(opt, limit=limit)", 1)
    assert argument_suggestions(events_between(before, after)[-1]) == []
    after = before.replace("        return check(opt)", "        return check(opt, ctx=self)")
    assert argument_suggestions(events_between(before, after)[-1]) == []


def test_an_argument_taken_out_of_one_call_leaves_the_others(click: dict[str, str]) -> None:
    source = click["parser.py"]
    after = source.replace("NoSuchOption(opt, possibilities=possibilities, ctx=self.ctx)",
                           "NoSuchOption(opt, possibilities=possibilities)")
    found = static_suggestions(after, events_between(source, after))
    assert [(s.source, after[s.start : s.end]) for s in found] == [("argument", ", ctx=self.ctx")]
    assert "no longer passes `ctx=self.ctx`" in found[0].reason
    assert apply(after, found[0]) == _without_ctx(source)


def test_a_new_class_points_at_the_registry_of_its_siblings() -> None:
    # click 27b3ee26: a completion class for a new shell, then its entry in `_available_shells`.
    source = (real_project("click", "8.3.3") / "src" / "click" / "shell_completion.py").read_text(
        "utf-8")
    anchor = "\n\nShellCompleteType = "
    new_class = ('\n\nclass PowerShellComplete(ShellComplete):\n    """Shell completion for '
                 'PowerShell."""\n\n    name = "powershell"\n')
    after = source.replace(anchor, new_class + anchor, 1)
    found = [s for s in static_suggestions(after, events_between(source, after))
             if s.source == "registry"]
    # Each key is its class's name without `Complete`, lower-cased: so is the new one's.
    assert [(s.new_text, s.jump) for s in found] == [('\n    "powershell": PowerShellComplete,',
                                                      False)]
    assert "the new `PowerShellComplete` is not there" in found[0].reason
    assert ('    "fish": FishComplete,\n    "powershell": PowerShellComplete,\n'
            '    "zsh": ZshComplete,\n}') in apply(after, found[0])
    # A key that is not its value's name cut alike leaves the place only.
    odd = after.replace('"zsh": ZshComplete', '"z": ZshComplete')
    [s] = [s for s in static_suggestions(odd, events_between(source.replace(
        '"zsh": ZshComplete', '"z": ZshComplete'), odd)) if s.source == "registry"]
    assert s.jump and odd[s.start : s.end] == '"fish": FishComplete'


def test_a_new_constant_enters_the_list_of_its_siblings() -> None:
    before = (
        'class Box:\n    def __init__(self, box: str) -> None:\n        self.box = box\n\n\n'
        'ASCII: Box = Box("+--+")\nSQUARE: Box = Box("┌─┐")\nROUNDED: Box = Box("╭─╮")\n\n'
        'if __name__ == "__main__":\n    BOXES = [\n        "ASCII",\n        "SQUARE",\n'
        '        "ROUNDED",\n    ]\n    for name in BOXES:\n        print(name)\n'
    )
    after = before.replace('SQUARE: Box = Box("┌─┐")\n',
                           'SQUARE: Box = Box("┌─┐")\nHEAVY: Box = Box("┏━┓")\n')
    [s] = static_suggestions(after, events_between(before, after))
    assert s.source == "registry" and not s.jump
    assert '        "SQUARE",\n        "HEAVY",\n        "ROUNDED",\n' in apply(after, s)
    # A private helper among public names is none of them.
    helper = before.replace('ROUNDED: Box = Box("╭─╮")\n', 'ROUNDED: Box = Box("╭─╮")\n'
                            '_CACHE = {}\n')
    assert [s for s in static_suggestions(helper, events_between(before, helper))
            if s.source == "registry"] == []


def test_a_block_rewritten_in_a_method_reaches_its_twin() -> None:
    # Bash's and Zsh's `get_completion_args` read alike in click; Fish's is another story.
    source = (real_project("click", "8.3.3") / "src" / "click" / "shell_completion.py").read_text(
        "utf-8")
    block = ('        try:\n            incomplete = cwords[cword]\n        except IndexError:\n'
             '            incomplete = ""\n')
    assert source.count(block) == 2
    short = '        incomplete = cwords[cword] if cword < len(cwords) else ""\n'
    after = source.replace(block, short, 1)
    found = static_suggestions(after, events_between(source, after))
    twins = [s for s in found if s.source == "twin"]
    assert len(twins) == 1 and not twins[0].jump and found[0] == twins[0]
    assert after.index("class ZshComplete") < twins[0].start < after.index("class FishComplete")
    assert apply(after, twins[0]) == source.replace(block, short)
    assert "`get_completion_args` changed on line" in twins[0].reason


def test_an_async_twin_gets_the_place_not_the_text() -> None:
    before = (
        "class Client:\n    def send(self, request):\n        self.check(request)\n"
        "        response = self.transport.handle(request)\n        return response\n\n\n"
        "class AsyncClient:\n    async def send(self, request):\n        self.check(request)\n"
        "        response = await self.transport.handle(request)\n        return response\n"
    )
    after = before.replace(
        "        self.check(request)\n        response = self.transport",
        "        self.check(request)\n        self.log(request)\n"
        "        self.count += 1\n        response = self.transport", 1)
    [s] = [s for s in static_suggestions(after, events_between(before, after))
           if s.source == "twin"]
    # The line after which the new lines go in AsyncClient.send (its `self.check(request)`).
    assert s.jump and after.count("\n", 0, s.start) == 11
    # A namesake that reads otherwise is not a twin.
    other = before.replace("await self.transport.handle(request)", "await self.pool.get()")
    edited = other.replace(
        "        self.check(request)\n        response = self.transport",
        "        self.check(request)\n        self.log(request)\n"
        "        self.count += 1\n        response = self.transport", 1)
    assert [s for s in static_suggestions(edited, events_between(other, edited))
            if s.source == "twin"] == []


def _click_module(name: str) -> str:
    return (real_project("click", "8.3.3") / "src" / "click" / name).read_text("utf-8")


def test_optional_imported_rewrites_the_unions_it_spells() -> None:
    source = _click_module("globals.py")
    after = source.replace("from threading import local\n",
                           "from threading import local\nfrom typing import Optional\n", 1)
    found = static_suggestions(after, events_between(source, after))
    assert [(after[s.start : s.end], s.new_text) for s in found] == [
        ("Context | None", "Optional[Context]"), ("Context | None", "Optional[Context]"),
        ("bool | None", "Optional[bool]"), ("bool | None", "Optional[bool]")]
    assert {s.source for s in found} == {"spelled"}
    assert "`Optional` was imported on line 5 and nothing uses it yet" in found[0].reason
    fixed = _apply_all(after, found)
    assert "def resolve_color_default(color: Optional[bool] = None) -> Optional[bool]:" in fixed
    compile(fixed, "globals.py", "exec")
    # Once the import is read somewhere, it was for that: nothing more is said.
    used = after + "\n\nX: Optional[int] = None\n"
    assert spelled_suggestions(events_between(source + "\n\nX: Optional[int] = None\n",
                                              used)[-1]) == []


def test_a_name_imported_from_a_module_replaces_its_qualified_uses() -> None:
    source = _click_module("formatting.py")
    after = source.replace("import collections.abc as cabc\n",
                           "import collections.abc as cabc\nfrom collections.abc import Iterator\n",
                           1)
    found = static_suggestions(after, events_between(source, after))
    assert len(found) == source.count("cabc.Iterator") == 3
    assert all(after[s.start : s.end] == "cabc.Iterator" and s.new_text == "Iterator"
               for s in found)
    assert "cabc.Iterator" not in _apply_all(after, found)


def test_a_method_added_whole_points_at_the_same_place_in_the_twin_class() -> None:
    before = (
        "class Client:\n    def send(self, request):\n        return self.transport(request)\n\n"
        "    def close(self):\n        self.transport.close()\n\n\n"
        "class AsyncClient:\n    async def send(self, request):\n"
        "        return await self.transport(request)\n\n"
        "    async def close(self):\n        await self.transport.close()\n"
    )
    after = before.replace(
        "        return self.transport(request)\n\n",
        "        return self.transport(request)\n\n    def retry(self, request):\n"
        "        return self.send(request)\n\n", 1)
    [s] = [s for s in static_suggestions(after, events_between(before, after))
           if s.source == "twin"]
    # Between AsyncClient.send and AsyncClient.close, location only (the twin is async).
    assert s.jump and "the methods after `send` changed" in s.reason
    line = after.count("\n", 0, s.start)
    lines = after.split("\n")
    assert lines[line - 1].strip() == "return await self.transport(request)" or \
        lines[line].strip() == "return await self.transport(request)"


def test_a_callee_shared_across_classes_is_not_one_pattern() -> None:
    # click d9db70ca: `err=True` given to `echo(...)` in a method is no news for the module's
    # own `echo(...)` calls.
    before = (
        "def show(comp):\n    echo(comp.source())\n\n\n"
        "class Bash:\n    def check(self):\n        echo('too old')\n"
    )
    after = before.replace("echo('too old')", "echo('too old', err=True)")
    assert argument_suggestions(events_between(before, after)[-1]) == []
    inside = before + "\n    def warn(self):\n        echo('no version')\n"
    edited = inside.replace("echo('too old')", "echo('too old', err=True)")
    [s] = argument_suggestions(events_between(inside, edited)[-1])
    assert "echo('no version', err=True)" in apply(edited, s)


_UNESCAPE = (
    "import re\n\noperator_re = re.compile('x')\n\n\ndef unescape_string(s):\n"
    "    result = []\n    write = result.append\n    simple_escapes = {\n"
    "        'a':    '\\a',\n        'n':    '\\n',\n        'r':    '\\r',\n    }\n"
    "    unicode_escapes = {\n        'x':    2,\n        'u':    4,\n    }\n"
    "    chariter = iter(s)\n    for char in chariter:\n"
    "        write(simple_escapes.get(char, char))\n    return ''.join(result)\n"
)


def test_a_block_pasted_out_of_its_function_deletes_the_old_copy() -> None:
    # jinja 1d51f63b: the escape tables moved from the function to module level, pasted first.
    old = _UNESCAPE[_UNESCAPE.index("    simple_escapes") : _UNESCAPE.index("    chariter")]
    module_level = "".join(line[4:] + "\n" for line in old.splitlines())
    pasted = _UNESCAPE.replace("\n\ndef unescape", module_level + "\n\ndef unescape")
    top = static_suggestions(pasted, events_between(_UNESCAPE, pasted))[0]
    assert top.source == "moved_block" and top.new_text == ""
    assert pasted[top.start : top.end] == old
    assert "pasted 9 lines" in top.reason and "below it" in top.reason
    done = apply(pasted, top)
    compile(done, "lexer.py", "exec")
    assert done.count("simple_escapes = {") == 1 and done.startswith(
        "import re\n\noperator_re = re.compile('x')\nsimple_escapes = {\n")


def test_a_method_moved_between_blank_lines_leaves_one_blank_line() -> None:
    # httpx 930f3773: `_send_handling_auth` moved above `_send_handling_redirects`, pasted first.
    method = ("    def send_auth(self, request, auth):\n        flow = auth.flow(request)\n"
              "        request = next(flow)\n        return self.send_single(request)\n")
    other = "    def send_redirects(self, request):\n        return self.send_single(request)\n"
    before = f"class Client:\n{other}\n{method}\n    def close(self):\n        pass\n"
    pasted = f"class Client:\n{method}\n{other}\n{method}\n    def close(self):\n        pass\n"
    [s] = [s for s in static_suggestions(pasted, events_between(before, pasted))
           if s.source == "moved_block"]
    assert apply(pasted, s) == (f"class Client:\n{method}\n{other}\n"
                                "    def close(self):\n        pass\n")


def test_new_code_sharing_a_few_lines_or_a_block_written_twice_is_no_move() -> None:
    from typehole.features.next_edit.moved_blocks import moved_block_suggestions

    tables = _UNESCAPE[_UNESCAPE.index("    simple_escapes") : _UNESCAPE.index("    unicode")]
    new_function = ("\n\ndef escape_table(s):\n" + tables
                    + "".join(f"    step_{n} = s.count('{n}') + len(s) * {n}\n" for n in range(8))
                    + "    return simple_escapes\n")
    grown = _UNESCAPE + new_function
    assert moved_block_suggestions(events_between(_UNESCAPE, grown)[-1]) == []
    twice = _UNESCAPE + "\n\ndef other(s):\n" + tables + "    return s\n"
    again = twice + "\n\ndef third(s):\n" + tables + "    return s\n"
    assert moved_block_suggestions(events_between(twice, again)[-1]) == []


def test_a_short_import_moved_up_deletes_the_old_copy() -> None:
    # rich abb691b3: `import io` moved up two lines, pasted first (short, but an import).
    before = ("def export(self):\n    if self.record:\n        pass\n        import io\n"
              "        return io.StringIO()\n")
    pasted = before.replace("    if self.record", "    import io\n    if self.record")
    [s] = moved_suggestions(events_between(before, pasted)[-1])
    assert pasted[s.start : s.end] == "        import io\n"
    assert apply(pasted, s) == before.replace("        import io\n", "").replace(
        "    if self.record", "    import io\n    if self.record")


def test_a_statement_written_several_times_moves_within_its_block() -> None:
    # click 6b1f11dd: `exc_info = sys.exc_info()` moved up in the `except SystemExit` clause,
    # pasted first; the `except Exception` clause's own copy stays.
    before = (
        "def invoke(cli):\n    try:\n        cli.main()\n    except SystemExit as e:\n"
        "        if e.code != 0:\n            exception = e\n        exit_code = e.code\n"
        "        exc_info = sys.exc_info()\n    except Exception as e:\n"
        "        exception = e\n        exc_info = sys.exc_info()\n    return exc_info\n"
    )
    pasted = before.replace("            exception = e\n        exit_code",
                            "            exception = e\n\n        exc_info = sys.exc_info()\n\n"
                            "        exit_code")
    [s] = moved_suggestions(events_between(before, pasted)[-1])
    assert pasted.count("\n", 0, s.start) + 1 == 11
    done = apply(pasted, s)
    assert done.count("exc_info = sys.exc_info()") == 2
    assert done.endswith("    except Exception as e:\n        exception = e\n"
                         "        exc_info = sys.exc_info()\n    return exc_info\n")
    # Pasted into a block that holds none of the old copies: which one moved is not known.
    elsewhere = before.replace("    return exc_info\n",
                               "    if True:\n        exc_info = sys.exc_info()\n"
                               "    return exc_info\n")
    assert moved_suggestions(events_between(before, elsewhere)[-1]) == []


# jinja2/asyncfilters.py before commit 1df67cf172 (jinja's history), cut down: each key is its
# filter's name without `do_`, the values aligned in one column.
JINJA_FILTERS = '''def do_first(environment, seq):
    pass


def do_groupby(environment, value, attribute):
    pass


ASYNC_FILTERS = {
    'first':        do_first,
    'groupby':      do_groupby,
}
'''


def test_a_new_function_enters_an_aligned_dict_with_its_key() -> None:
    after = JINJA_FILTERS.replace(
        "    pass\n\n\nASYNC", "    pass\n\n\ndef do_join(environment, value, d=''):\n"
        "    pass\n\n\nASYNC", 1)
    [s] = [s for s in static_suggestions(after, events_between(JINJA_FILTERS, after))
           if s.source == "registry"]
    assert not s.jump and s.new_text == "\n    'join':         do_join,"
    assert apply(after, s).endswith("    'groupby':      do_groupby,\n"
                                    "    'join':         do_join,\n}\n")


# httpx/_urlparse.py before commit a7092af2fd (httpx's history), cut down: two helpers replaced
# by one, `percent_encode` visibly renamed `PERCENT`, `is_safe` gone.
HTTPX_QUOTE = '''UNRESERVED_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._~"


def percent_encode(char: str) -> str:
    """
    Replace a single character with the percent-encoded representation.
    """
    return "".join([f"%{byte:02x}" for byte in char.encode("utf-8")]).upper()


def is_safe(string: str, safe: str = "/") -> bool:
    """
    Determine if a given string is already quote-safe.
    """
    NON_ESCAPED_CHARS = UNRESERVED_CHARACTERS + safe + "%"
    for char in string:
        if char not in NON_ESCAPED_CHARS:
            return False
    return True


def quote(string: str, safe: str = "/") -> str:
    if is_safe(string, safe=safe):
        return string

    NON_ESCAPED_CHARS = UNRESERVED_CHARACTERS + safe
    return "".join(
        [char if char in NON_ESCAPED_CHARS else percent_encode(char) for char in string]
    )
'''


def test_a_suggestion_with_its_text_comes_before_a_place_only() -> None:
    start = HTTPX_QUOTE.index("def percent_encode")
    end = HTTPX_QUOTE.index("def quote")
    after = HTTPX_QUOTE[:start] + (
        'def PERCENT(string: str) -> str:\n'
        '    return "".join([f"%{byte:02X}" for byte in string.encode("utf-8")])\n\n\n'
    ) + HTTPX_QUOTE[end:]
    found = static_suggestions(after, events_between(HTTPX_QUOTE, after))
    # Both come from the same edit with the same weight; `is_safe` is nearer the cursor but
    # only a place, the renamed `percent_encode` has its text.
    assert [(s.source, s.jump, after[s.start : s.end]) for s in found[:2]] == [
        ("undefined", False, "percent_encode"), ("undefined", True, "is_safe")]
    assert found[0].new_text == "PERCENT"

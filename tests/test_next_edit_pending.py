"""Next edits for what an edit left pending, replayed from real commits: a new local nothing
reads, a new helper nothing calls, a new module-level name where its siblings are read."""

from __future__ import annotations

from typehole.features.next_edit import (
    WEIGHTS,
    Suggestion,
    apply,
    events_between,
    holds,
    rank,
    static_suggestions,
)
from typehole.features.next_edit.pending import pending_suggestions

# attrs fe6eb312: `evolve` names the old value before it recurses into nested classes.
EVOLVE = '''def evolve(inst, **changes):
    cls = inst.__class__
    for a in fields(cls):
        attr_name = a.name
        init_name = attr_name if attr_name[0] != "_" else attr_name[1:]
        if init_name not in changes:
            changes[init_name] = getattr(inst, attr_name)
    return cls(**changes)
'''
EVOLVE_NAMED = EVOLVE.replace(
    '        if init_name not in changes:\n',
    '        value = getattr(inst, attr_name)\n        if init_name not in changes:\n')


def _only(before: str, after: str) -> Suggestion:
    [s] = pending_suggestions(events_between(before, after)[-1])
    return s


def test_a_new_local_replaces_its_value_where_the_function_spells_it_next() -> None:
    s = _only(EVOLVE, EVOLVE_NAMED)
    assert (EVOLVE_NAMED[s.start : s.end], s.new_text, s.jump) == \
        ("getattr(inst, attr_name)", "value", False)
    assert s.source == "pending" and "`value`" in s.reason
    assert "            changes[init_name] = value\n" in apply(EVOLVE_NAMED, s)


# jinja 1d51f63b: local aliases of module-level tables ("faster lookup") in a hot loop.
ESCAPES = '''def parse_string(source):
    write = []
    for char in source:
        if char in simple_escapes:
            write.append(simple_escapes[char])
        elif char in unicode_escapes:
            write.append(unicode_escapes[char])
    return write
'''
ALIASED = ESCAPES.replace("    write = []\n",
                          "    write = []\n    sescapes = simple_escapes\n")


def test_an_alias_replaces_the_name_it_stands_for_at_its_first_later_read() -> None:
    s = _only(ESCAPES, ALIASED)
    assert ALIASED[s.start : s.end] == "simple_escapes" and s.new_text == "sescapes"
    assert "        if char in sescapes:\n" in apply(ALIASED, s)


# click b38cb0e2: the caller's globals kept before the frame is deleted.
FRAME = '''def _detect_program_name(path=None):
    frame = inspect.currentframe()
    if frame is not None and frame.f_back is not None:
        package_name = frame.f_back.f_globals.get("__name__")
    return package_name
'''
KEPT = FRAME.replace(
    "    frame = inspect.currentframe()\n",
    "    frame = inspect.currentframe()\n"
    "    f_globals = frame.f_back.f_globals if frame is not None else None\n"
    "    del frame\n")


def test_the_body_of_a_ternary_becomes_the_name_and_a_deletion_is_no_use() -> None:
    s = _only(FRAME, KEPT)
    assert (KEPT[s.start : s.end], s.new_text) == ("frame.f_back.f_globals", "f_globals")
    assert '        package_name = f_globals.get("__name__")\n' in apply(KEPT, s)


DECODE = '''class Response:
    def text(self):
        content = self.read()
        if self.encoding == "ascii":
            return content.decode("ascii")
        return content.decode(self.encoding)
'''
DEFAULTED = DECODE.replace("        content = self.read()\n",
                           "        content = self.read()\n"
                           '        encoding = self.encoding or "utf-8"\n')


def test_the_first_operand_of_or_becomes_the_defaulted_name() -> None:
    s = _only(DECODE, DEFAULTED)
    assert (DEFAULTED[s.start : s.end], s.new_text) == ("self.encoding", "encoding")
    assert DEFAULTED.count("\n", 0, s.start) + 1 == 5  # the first later read, in the `if`


HEADERS = '''def send(self, request):
    self.log(request)
    if self.request.headers.get("Connection") == "close":
        self.close()
'''
RECEIVER = HEADERS.replace("    self.log(request)\n",
                           "    self.log(request)\n    headers = self.request.headers\n")


def test_a_value_read_as_a_method_receiver_gives_way_to_the_name() -> None:
    s = _only(HEADERS, RECEIVER)
    assert (RECEIVER[s.start : s.end], s.new_text) == ("self.request.headers", "headers")
    assert '    if headers.get("Connection") == "close":\n' in apply(RECEIVER, s)


# attrs 94ee2694: the attributes whose order is checked, filtered once, then looped over.
ORDER = '''def _transform_attrs(cls, these):
    attrs = AttrsClass(base_attrs + own_attrs)

    had_default = False
    for a in attrs:
        if had_default is True and a.default is NOTHING and a.init is True:
            raise ValueError(a)
    return attrs
'''
FILTERED = ORDER.replace(
    "    had_default = False\n",
    "    attrs_to_check = [\n"
    "        a for a in attrs if a.init is not False and a.kw_only is False\n"
    "    ]\n\n    had_default = False\n")


def test_a_filter_comprehension_replaces_the_iterable_of_the_loop_it_filters() -> None:
    s = _only(ORDER, FILTERED)
    assert (FILTERED[s.start : s.end], s.new_text) == ("attrs", "attrs_to_check")
    assert "    for a in attrs_to_check:\n" in apply(FILTERED, s)
    assert "    return attrs\n" in apply(FILTERED, s)  # the loop only


# rich daf6e38f: the 6x6x6 cube's levels named before the index formula is rewritten.
CUBE = '''def rgb_to_eight_bit(red, green, blue):
    if red == green == blue:
        return 232 + round(red * 23)
    return 16 + 36 * round(red * 5.0) + 6 * round(green * 5.0) + round(blue * 5.0)
'''
SIX = CUBE.replace("    return 16 +",
                   "    six_red = red / 95 if red < 95 else 1 + (red - 95) / 40\n    return 16 +")


def test_a_value_only_read_from_is_a_place_on_the_first_line_reading_it() -> None:
    s = _only(CUBE, SIX)
    assert s.jump and s.new_text == SIX[s.start : s.end] == SIX.splitlines()[4].strip()
    assert "`six_red`" in s.reason


def test_no_pending_local_when_it_is_read_trivial_or_module_level() -> None:
    read = EVOLVE_NAMED.replace("    return cls(**changes)\n",
                                "    print(value)\n    return cls(**changes)\n")
    assert pending_suggestions(events_between(EVOLVE, read)[-1]) == []
    flag = EVOLVE.replace("    cls = inst.__class__\n",
                          "    cls = inst.__class__\n    nl = False\n")
    assert pending_suggestions(events_between(EVOLVE, flag)[-1]) == []
    module = "import os\n\nx = os.sep\n" + "print(os.sep)\n"
    assert pending_suggestions(events_between("import os\n\n" + "print(os.sep)\n",
                                              module)[-1]) == []


# attrs 9cb53a31: a fast way to the attribute descriptors, then its uses.
VALIDATE = '''def fields(cl):
    return copy.deepcopy(cl.__attrs_attrs__)


def validate(inst):
    for a in inst.__class__.__attrs_attrs__:
        if a.validator is not None:
            a.validator(inst, a, getattr(inst, a.name))
'''
FAST = VALIDATE.replace("\n\ndef validate", '''

def _fast_attrs_iterate(inst):
    """Fast internal iteration over the attr descriptors."""
    return inst.__class__.__attrs_attrs__


def validate''')


def test_an_uncalled_helper_replaces_what_it_returns_with_its_arguments() -> None:
    s = _only(VALIDATE, FAST)
    assert (FAST[s.start : s.end], s.new_text) == ("inst.__class__.__attrs_attrs__",
                                                     "_fast_attrs_iterate(inst)")
    assert s.group == "pending:helper:_fast_attrs_iterate"


BAR = '''class ProgressBar:
    def render_progress(self):
        if time.time() - self.start <= self.short_limit:
            return
        self.render()
'''
FAST_BAR = BAR.replace("    def render_progress", '''    def is_fast(self):
        return time.time() - self.start <= self.short_limit

    def render_progress''')


def test_an_uncalled_method_is_called_on_self_and_a_called_one_is_left() -> None:
    s = _only(BAR, FAST_BAR)
    assert (FAST_BAR[s.start : s.end], s.new_text) == (
        "time.time() - self.start <= self.short_limit", "self.is_fast()")
    called = FAST_BAR.replace("        self.render()\n",
                              "        self.render()\n        self.is_fast()\n")
    assert pending_suggestions(events_between(BAR, called)[-1]) == []
    # Nothing but parameters in what it returns: not a value of its own.
    plain = "def test_equalto(value, other):\n    return value == other\n"
    assert pending_suggestions(events_between("", plain + "x = a == b\n")[-1]) == []


# click 792f03f1: fish completion joins zsh and bash.
COMPLETION = '''COMPLETION_SCRIPT_BASH = "bash"
COMPLETION_SCRIPT_ZSH = "zsh"

_invalid_ident_char_re = re.compile(r"[^a-zA-Z0-9_]")


def get_completion_script(prog_name, complete_var, shell):
    cf_name = _invalid_ident_char_re.sub("", prog_name.replace("-", "_"))
    script = COMPLETION_SCRIPT_ZSH if shell == "zsh" else COMPLETION_SCRIPT_BASH
    return (script % {"complete_func": cf_name}).strip() + ";"
'''
FISH = COMPLETION.replace('COMPLETION_SCRIPT_ZSH = "zsh"\n',
                          'COMPLETION_SCRIPT_ZSH = "zsh"\n\nCOMPLETION_SCRIPT_FISH = "fish"\n')


def test_a_new_sibling_goes_where_its_siblings_are_read_together() -> None:
    s = _only(COMPLETION, FISH)
    assert s.jump and FISH[s.start : s.end] == \
        'script = COMPLETION_SCRIPT_ZSH if shell == "zsh" else COMPLETION_SCRIPT_BASH'
    assert "`COMPLETION_SCRIPT_FISH`" in s.reason
    # A new name of another kind, or one nothing resembles, has no siblings.
    other = COMPLETION.replace('COMPLETION_SCRIPT_ZSH = "zsh"\n',
                               'COMPLETION_SCRIPT_ZSH = "zsh"\nTIMEOUT = 5\n')
    assert pending_suggestions(events_between(COMPLETION, other)[-1]) == []


def test_the_suggestion_goes_once_the_name_is_used_elsewhere() -> None:
    used = FAST.replace("    return copy.deepcopy(cl.__attrs_attrs__)\n",
                        "    return copy.deepcopy(_fast_attrs_iterate(cl))\n")
    events = [*events_between(VALIDATE, FAST), *events_between(FAST, used)]
    found = static_suggestions(used, events)
    assert not any(s.source == "pending" for s in found)
    [s] = pending_suggestions(events_between(VALIDATE, FAST)[-1])
    assert holds(FAST, s) and not holds(used, s)
    # Until then the older edit's suggestion stands: the later edit did not touch its site.
    flagged = static_suggestions(FAST, events_between(VALIDATE, FAST))
    assert flagged[0].source == "pending"


def test_pending_ranks_below_what_the_edit_forced() -> None:
    pending = Suggestion(10, 12, "x", "pending", "", "ab")
    forced = Suggestion(40, 42, "y", "parameter", "", "cd", jump=True)
    unused = Suggestion(0, 2, "z", "unused", "", "ef")
    order = [s.source for s in rank([(0, unused), (0, pending), (0, forced)], cursor=0)]
    assert order == ["parameter", "pending", "unused"]
    assert WEIGHTS.unused < WEIGHTS.pending < WEIGHTS.parameter


# jinja 776567cc: the loop context's next item, read through the context by its iterator.
LOOP = '''class LoopContext:
    def __init__(self, iterable):
        self._iterator = iter(iterable)


class LoopContextIterator:
    def next(self):
        ctx = self.context
        return next(ctx._iterator), ctx
'''
SAFE = LOOP.replace("\n\nclass LoopContextIterator", '''
    def _safe_next(self):
        return next(self._iterator)


class LoopContextIterator''')


def test_a_new_method_is_called_on_whatever_its_receiver_matched() -> None:
    s = _only(LOOP, SAFE)
    assert (SAFE[s.start : s.end], s.new_text) == ("next(ctx._iterator)", "ctx._safe_next()")


# click 792f03f1: fish completion after `do_complete`, dispatched in one place.
DISPATCH = '''def do_complete(cli, prog_name):
    return True


def bashcomplete(cli, prog_name, complete_instr):
    if complete_instr == "complete":
        return do_complete(cli, prog_name)
    return False
'''
VARIANT = DISPATCH.replace("\n\ndef bashcomplete", '''

def do_complete_fish(cli, prog_name):
    return True


def bashcomplete''')


def test_a_variant_of_one_name_goes_where_that_name_is_read() -> None:
    s = _only(DISPATCH, VARIANT)
    assert s.jump and VARIANT[s.start : s.end] == "return do_complete(cli, prog_name)"
    assert "where `do_complete` is" in s.reason

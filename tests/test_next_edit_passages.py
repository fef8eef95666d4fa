"""Next edits for a sibling passage: a docstring passage rewritten, and the one that read the
same but for one word rewritten alike (replayed from real commits)."""

from __future__ import annotations

from typehole.features.next_edit import apply, events_between, static_suggestions
from typehole.features.next_edit.passages import passage_suggestions

# click 48b89915: the `cls` parameter of `argument` and `option`, documented alike.
DECORATORS = '''def argument(*param_decls, **attrs):
    """Attaches an argument to the command.

    :param cls: a custom :class:`Argument` subclass that can be instatiated
                instead of a default one.
    """
    ArgumentClass = attrs.pop('cls', Argument)


def option(*param_decls, **attrs):
    """Attaches an option to the command.

    :param cls: a custom :class:`Option` subclass that can be instatiated
                instead of a default one.
    """
    OptionClass = attrs.pop('cls', Option)
'''
ARGUMENT_DONE = DECORATORS.replace(
    "a custom :class:`Argument` subclass that can be instatiated\n"
    "                instead of a default one.",
    "the argument class to instantiate.  This defaults to\n"
    "                :class:`Argument`.")
OPTION_DONE = ARGUMENT_DONE.replace(
    "a custom :class:`Option` subclass that can be instatiated\n"
    "                instead of a default one.",
    "the option class to instantiate.  This defaults to\n"
    "                :class:`Option`.")

# attrs 461e1b2a: "the expected type" in one validator, "the expected interface" in the next;
# "(of type ...)" is the same word in another sense and stays.
VALIDATORS = '''def instance_of(type):
    """
    The :exc:`TypeError` is raised with a human readable error message, the
    attribute (of type :class:`attr.Attribute`), the expected type, and the
    value it got.
    """


def provides(interface):
    """
    The :exc:`TypeError` is raised with a human readable error message, the
    attribute (of type :class:`attr.Attribute`), the expected interface, and the
    value it got.
    """
'''
RAISES = VALIDATORS.replace(
    "    The :exc:`TypeError` is raised with a human readable error message, the\n"
    "    attribute (of type :class:`attr.Attribute`), the expected type, and the\n"
    "    value it got.\n",
    "    :raises TypeError: With a human readable error message, the attribute\n"
    "        (of type :class:`attr.Attribute`), the expected type, and the value it\n"
    "        got.\n", 1)


def test_the_sibling_passage_gets_the_rewrite_with_its_own_word_in_each_case() -> None:
    [event] = events_between(DECORATORS, ARGUMENT_DONE)
    [s] = passage_suggestions(event)
    assert s.source == "passage" and "`Option`" in s.reason
    assert apply(ARGUMENT_DONE, s) == OPTION_DONE
    top = static_suggestions(ARGUMENT_DONE, [event])[0]
    assert (top.start, top.new_text, top.source) == (s.start, s.new_text, "passage")


def test_a_word_the_rewrite_kept_is_swapped_only_where_it_stood() -> None:
    [event] = events_between(VALIDATORS, RAISES)
    [s] = passage_suggestions(event)
    assert s.new_text == (
        "    :raises TypeError: With a human readable error message, the attribute\n"
        "        (of type :class:`attr.Attribute`), the expected interface, and the value it\n"
        "        got.")


def test_no_sibling_where_the_passages_differ_in_two_words_or_are_code() -> None:
    two = DECORATORS.replace("instead of a default one.\n    \"\"\"\n    OptionClass",
                             "instead of the default one.\n    \"\"\"\n    OptionClass")
    done = two.replace(
        "a custom :class:`Argument` subclass that can be instatiated\n"
        "                instead of a default one.",
        "the argument class to instantiate.  This defaults to\n"
        "                :class:`Argument`.")
    assert passage_suggestions(events_between(two, done)[-1]) == []
    code = "x = compute(alpha, beta, gamma, delta, epsilon, zeta, eta)\n"
    sibling = code.replace("x =", "y =").replace("alpha", "omega")
    before = code + sibling
    after = before.replace("x = compute(", "x = recompute(", 1)
    assert passage_suggestions(events_between(before, after)[-1]) == []

"""Prompt assembly: golden cases in tests/golden/prompt plus budget properties."""

from __future__ import annotations

import math
import re
from pathlib import Path

import markers
import pytest
from golden_files import Golden

from typehole.features.completion.prompt import (
    Prompt,
    build_prompt,
    context_room,
    import_statements,
)
from typehole.features.completion.site import Site

GOLDEN = Path(__file__).parent / "golden" / "prompt"
_TOKEN = re.compile(r"\w+|[^\w\s]")


def count(text: str) -> int:
    """The test tokenizer: a word or a punctuation character is a token; whitespace is free."""
    return len(_TOKEN.findall(text))


def _site(document: str) -> Site:
    marked = markers.parse(document)
    return Site(marked.text, marked.offset, "case.py")


CASES = sorted(GOLDEN.glob("*.py"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, golden: Golden) -> None:
    site = _site(case.read_bytes().decode("utf-8"))
    expected = case.with_suffix(".expected")
    # The budget (and whether the suffix is sent) are the case's input; the prefix and suffix
    # after them are the expected output.
    header = golden.expected(expected).split("\n--- prefix\n", 1)[0]
    fields = dict(line.split(": ", 1) for line in header.split("\n"))
    budget = int(fields["budget"])
    with_suffix = fields.get("with_suffix", "true") == "true"
    prompt = build_prompt(site, count, budget, with_suffix=with_suffix)
    assert prompt.tokens <= budget
    golden.check(expected, f"{header}\n--- prefix\n{prompt.prefix}\n--- suffix\n{prompt.suffix}")


def _document(lines: int = 60) -> Site:
    text = "".join(f"value_{i} = compute({i})\n" for i in range(lines))
    marker = f"value_{lines // 2} = "
    offset = text.index(marker) + len(marker)
    return Site(text, offset)


@pytest.mark.parametrize("budget", [0, 1, 5, 17, 50, 133, 400, 10_000])
def test_budget_is_a_hard_cap_and_text_is_contiguous(budget: int) -> None:
    site = _document()
    prompt = build_prompt(site, count, budget, context="# a\n# b b\n# c c c\n")
    assert prompt.tokens <= budget
    assert prompt.tokens == count(prompt.context) + count(prompt.prefix) + count(prompt.suffix)
    assert site.prefix.endswith(prompt.prefix) and site.suffix.startswith(prompt.suffix)


def test_prefix_gets_about_three_lines_per_suffix_line() -> None:
    prompt = build_prompt(_document(), count, 200)
    above, below = prompt.prefix.count("\n"), prompt.suffix.count("\n") - 1
    assert below > 0 and 2.5 <= above / below <= 3.5


def test_prefix_weight_is_configurable() -> None:
    prompt = build_prompt(_document(), count, 200, prefix_weight=1)
    assert abs(prompt.prefix.count("\n") - (prompt.suffix.count("\n") - 1)) <= 1


def test_everything_fits_when_the_budget_allows() -> None:
    site = _document(10)
    prompt = build_prompt(site, count, 10_000, context="# ctx\n")
    assert (prompt.prefix, prompt.suffix, prompt.context) == (site.prefix, site.suffix, "# ctx\n")


def test_context_takes_at_most_its_share_in_whole_lines_from_the_top() -> None:
    context = "".join(f"# context line {i}\n" for i in range(50))  # 4 tokens a line
    prompt = build_prompt(_document(), count, 100, context=context, context_share=0.4)
    assert prompt.context == "".join(f"# context line {i}\n" for i in range(10))
    assert build_prompt(_document(), count, 100, context=context, context_share=0).context == ""


def test_unused_context_share_goes_to_code() -> None:
    with_small = build_prompt(_document(), count, 100, context="# x\n")
    without = build_prompt(_document(), count, 100)
    assert len(with_small.prefix) >= len(without.prefix) - len("value_00 = compute(00)\n")


def test_cursor_line_is_kept_and_cut_from_the_left_when_alone_too_long() -> None:
    line = "x = [" + ", ".join(str(i) for i in range(100))
    site = Site("a = 1\n" + line + "\n", len("a = 1\n") + len(line))
    prompt = build_prompt(site, count, 10)
    assert line.endswith(prompt.prefix) and 0 < count(prompt.prefix) <= 10
    assert prompt.suffix == "\n"  # the rest of the line is free for this tokenizer


def test_tokens_are_counted_per_line_not_per_growing_string() -> None:
    calls: list[int] = []

    def counting(text: str) -> int:
        calls.append(len(text))
        return count(text)

    site = _document(2000)
    build_prompt(site, counting, 300)
    # Each line is counted once, plus the final verification: nothing near the whole prompt's
    # length is counted repeatedly.
    long_calls = [n for n in calls if n > 200]
    assert len(long_calls) <= 3


def test_verification_trims_when_the_tokenizer_merges_across_lines() -> None:
    def merging(text: str) -> int:  # a whole string costs more than the sum of its lines
        return count(text) + text.count("\n")

    prompt = build_prompt(_document(), merging, 60)
    assert prompt.tokens <= 60 and merging(prompt.prefix) + merging(prompt.suffix) <= 60


def test_prompt_is_frozen() -> None:
    prompt = build_prompt(_document(5), count, 50)
    assert isinstance(prompt, Prompt)
    with pytest.raises(AttributeError):
        prompt.prefix = ""  # type: ignore[misc]


def test_prefix_only_spends_the_budget_on_the_prefix() -> None:
    site = _document(200)
    both = build_prompt(site, count, 500)
    alone = build_prompt(site, count, 500, with_suffix=False)
    assert alone.suffix == "" and alone.prefix.count("\n") > both.prefix.count("\n")
    assert alone.tokens <= 500 and site.prefix.endswith(alone.prefix)


def test_prefix_only_starts_at_an_anchor_line_that_typing_does_not_move() -> None:
    site = _document(200)
    starts = set()
    for typed in ("", "c", "com", "compute(", "compute(10", "compute(100)"):
        typing = Site(site.text[: site.offset] + typed + site.text[site.offset:],
                      site.offset + len(typed))
        prompt = build_prompt(typing, count, 200, with_suffix=False, anchor_lines=16)
        first = site.text.count("\n", 0, site.offset) - prompt.prefix.count("\n")
        assert first % 16 == 0
        starts.add(prompt.prefix.split("\n", 1)[0])
    assert len(starts) == 1


def test_prefix_only_keeps_the_whole_file_when_it_fits() -> None:
    site = _document(10)
    prompt = build_prompt(site, count, 10_000, with_suffix=False)
    assert (prompt.prefix, prompt.suffix) == (site.prefix, "")


def _module(lines: int = 200) -> Site:
    """A file that starts with imports, the cursor far below them."""
    head = ("import os\n"
            "from typing import (\n    Any,\n    Callable,\n)\n"
            "from .shapes import Circle, \\\n    Square\n"
            "\n\n")
    text = head + "".join(f"value_{i} = compute({i})\n" for i in range(lines))
    marker = f"value_{lines - 10} = "
    return Site(text, text.index(marker) + len(marker), "case.py")


def test_prefix_only_code_comes_first_and_context_gets_what_is_left() -> None:
    site = _module()
    context = "".join(f"# context line {i}\n" for i in range(50))  # 4 tokens a line
    alone = build_prompt(site, count, 200, with_suffix=False)
    with_context = build_prompt(site, count, 200, context=context, with_suffix=False)
    # The code is the one the budget gives without context; the context fills what is left.
    assert with_context.prefix == alone.prefix
    room = context_room(site, count, 200, with_suffix=False)
    assert 0 < room == 200 - alone.tokens < 200 * 0.4
    assert with_context.context == context[: context.index(f"# context line {room // 4}\n")]
    assert with_context.tokens <= 200


def test_prefix_only_context_takes_at_most_its_share_of_what_is_left() -> None:
    site = _module(20)  # the whole file fits: the code leaves most of the budget
    assert context_room(site, count, 1000, context_share=0.4, with_suffix=False) == 400
    prompt = build_prompt(site, count, 1000, context="# c\n" * 300, with_suffix=False)
    assert count(prompt.context) == 400 and prompt.prefix == site.prefix


def test_context_room_of_a_prompt_with_a_suffix_is_the_share() -> None:
    assert context_room(_module(20), count, 1000, context_share=0.4) == 400


def test_prefix_only_imports_come_first_when_the_code_does_not_reach_them() -> None:
    site = _module()
    alone = build_prompt(site, count, 200, with_suffix=False)
    prompt = build_prompt(site, count, 200, with_suffix=False, imports=True)
    statements = "".join(import_statements(site.text))
    assert prompt.prefix == statements + "\n" + alone.prefix
    assert prompt.tokens <= 200
    # The context gets what the code and the imports leave.
    assert context_room(site, count, 200, with_suffix=False, imports=True) == 200 - prompt.tokens


def test_prefix_only_imports_are_not_repeated_when_the_code_shows_them() -> None:
    site = _module(20)
    prompt = build_prompt(site, count, 10_000, with_suffix=False, imports=True)
    assert prompt.prefix == site.prefix


def test_prefix_only_imports_keep_the_files_own_first_when_few_fit() -> None:
    site = _module()
    own = "from .shapes import Circle, \\\n    Square\n"
    every = "".join(import_statements(site.text))
    # A budget whose anchoring leaves room for the file's own import but not for all three.
    budget = next(b for b in range(100, 400)
                  if count(own) < b - build_prompt(site, count, b, with_suffix=False).tokens
                  < count(every))
    prompt = build_prompt(site, count, budget, with_suffix=False, imports=True)
    assert prompt.prefix.startswith(own + "\n") and "import os" not in prompt.prefix


def test_import_statements_keep_continuation_lines_and_skip_indented_ones() -> None:
    text = ("import a\nfrom b import (\n    c,\n)\nfrom d import e, \\\n    f\n"
            "def g():\n    import h\n\"\"\"\n\"\"\"\nfrom i import j")
    assert import_statements(text) == [
        "import a\n", "from b import (\n    c,\n)\n", "from d import e, \\\n    f\n",
        "from i import j\n"]


def test_prefix_only_context_reserve_costs_the_code_only_what_the_context_holds() -> None:
    site = _module()
    alone = build_prompt(site, count, 200, with_suffix=False, imports=True)
    left = context_room(site, count, 200, with_suffix=False, imports=True)
    # The reserve is more than the code leaves: the context may take it.
    assert context_room(site, count, 200, with_suffix=False, imports=True,
                        context_reserve=0.3) == 60 > left
    small = "# c\n" * (left // 2)  # 2 tokens a line: fits what the code leaves
    kept = build_prompt(site, count, 200, context=small, with_suffix=False, imports=True,
                        context_reserve=0.3)
    assert kept.context == small and kept.prefix == alone.prefix
    big = "# c\n" * 50
    given = build_prompt(site, count, 200, context=big, with_suffix=False, imports=True,
                         context_reserve=0.3)
    assert given.context == "# c\n" * 30 and given.tokens <= 200
    # The code gave up its farthest lines for it, and still ends at the cursor.
    assert alone.prefix.endswith(given.prefix.split("\n\n", 1)[-1])
    assert given.prefix.count("\n") < alone.prefix.count("\n")


def rounding(text: str) -> int:
    """A tokenizer estimate that rounds up per string (as `estimate_tokens` does): a text
    counted line by line costs more than the same text counted whole."""
    return math.ceil(len(text) / 4)


def _packed(room: int) -> str:
    """A context packed to `room` counted whole: lines of 5 characters, each 2 tokens alone,
    so counted line by line only about half of it fits."""
    packed = "# ab\n" * (room * 4 // 5)
    assert rounding(packed) <= room < 2 * packed.count("\n")
    return packed


def test_a_packed_context_that_fits_whole_is_kept_whole() -> None:
    site = _module(20)
    packed = _packed(int(100 * 0.4))
    # Its last lines are the ones a fit line by line cuts (the best block comes last).
    assert build_prompt(site, rounding, 100, context=packed).context == packed


def test_a_packed_context_that_fits_whole_is_kept_whole_before_prefix_only_code() -> None:
    site = _module(200)  # the code leaves the context less than its share
    room = context_room(site, rounding, 200, with_suffix=False)
    assert 0 < room < 200 * 0.4
    packed = _packed(room)
    prompt = build_prompt(site, rounding, 200, context=packed, with_suffix=False)
    assert prompt.context == packed
    assert prompt.prefix == build_prompt(site, rounding, 200, with_suffix=False).prefix


def test_a_context_over_its_room_keeps_the_leading_lines_that_fit_counted_whole() -> None:
    packed = _packed(40)
    prompt = build_prompt(_module(20), rounding, 100, context=packed * 3)  # room: 40
    assert prompt.context == packed

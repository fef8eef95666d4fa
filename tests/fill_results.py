"""What holds for every fill result, whatever the model wrote (a random-weight model included).

Each check asserts its rule in every case, so a test built on them cannot pass by taking a
branch that asserts nothing.
"""

from __future__ import annotations

from itertools import pairwise

from typehole.cli.fill import result_json
from typehole.features.fill import Candidate, FillHole, FillResult

__all__ = [
    "applied",
    "assert_best_is_the_least_wrong",
    "assert_edit_touches_only_the_hole",
    "assert_reported",
    "assert_stop_explained",
    "usable",
]

REPEATED = "repeated the same errors"


def usable(result: FillResult) -> list[Candidate]:
    """The candidates the loop may offer: not empty, not still a placeholder."""
    return [
        c
        for c in result.candidates
        if c.text.strip() and not any(f.code in ("empty", "stub") for f in c.findings)
    ]


def applied(text: str, result: FillResult) -> str:
    """`text` with the result's edit applied."""
    assert result.new_text is not None
    return text[: result.hole.start] + result.new_text + text[result.hole.end :]


def assert_reported(result: FillResult) -> None:
    """Every candidate carries its findings, each positioned inside that candidate."""
    for c in result.candidates:
        for f in c.findings:
            assert 0 <= f.start <= f.end <= len(c.text), (f, c.text)
            assert f.line == c.text.count("\n", 0, f.start) + 1
            assert f.message and f.source in ("syntax", "pyflakes", "jedi")


def _same_errors(a: Candidate, b: Candidate) -> bool:
    def key(c: Candidate) -> list[tuple[str, str]]:
        return sorted((f.code, f.message) for f in c.findings)

    return a.text == b.text or key(a) == key(b)


def assert_stop_explained(result: FillResult, rounds: int) -> None:
    """1 to `rounds` + 1 attempts; another round only after errors the model did not repeat;
    the last attempt is clean, repeats the one before (and the notes say so), or is the last
    one allowed."""
    candidates = result.candidates
    assert 1 <= len(candidates) <= rounds + 1
    assert result.rounds == len(candidates) - 1
    assert [c.round for c in candidates] == list(range(len(candidates)))
    *earlier, last = candidates
    assert all(c.findings for c in earlier), "a round after a clean candidate"
    assert not any(_same_errors(b, a) for a, b in pairwise(earlier)), "went on repeating"
    repeated = bool(earlier) and bool(last.findings) and _same_errors(last, earlier[-1])
    assert any(REPEATED in n for n in result.notes) == repeated, result.notes
    assert not last.findings or repeated or last.round == rounds, "stopped without a reason"


def assert_best_is_the_least_wrong(result: FillResult) -> None:
    """The best candidate is a usable one with the fewest findings (None: nothing usable)."""
    offered = usable(result)
    assert (result.best is None) == (not offered)
    assert result.best is None or (
        result.best in offered
        and len(result.best.findings) == min(len(c.findings) for c in offered)
    )


def assert_edit_touches_only_the_hole(text: str, hole: FillHole, result: FillResult) -> None:
    """No edit without a best candidate; the best's findings are the remaining errors (shown,
    never hidden); the edit's range is the hole's, everything around it is byte for byte
    unchanged, and a body keeps the function's indentation."""
    out = result_json(text, result)
    assert (out["edit"] is None) == (result.best is None)
    remaining = [f.to_json() for f in result.best.findings] if result.best else []
    assert out["remaining_errors"] == remaining
    if result.best is None:
        return
    new = applied(text, result)
    assert new.startswith(text[: hole.start]) and new.endswith(text[hole.end :])
    edit = out["edit"]
    assert edit["new_text"] == result.new_text
    assert edit["range"]["start"]["line"] == text.count("\n", 0, hole.start)
    assert edit["range"]["end"]["line"] == text.count("\n", 0, hole.end)
    new_text = result.new_text or ""
    if hole.kind == "expression":
        assert "\n" not in new_text
    else:
        # A body never leaves its indentation: the function after it is still the next `def`.
        inserted = new_text.lstrip("\n").split("\n")
        assert all(not line.strip() or line.startswith(hole.indent) for line in inserted[1:])
        assert inserted[0].startswith(hole.indent) or hole.lead.endswith(hole.indent)

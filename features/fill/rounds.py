"""The error-round loop: generate, check, feed the findings back, keep the best candidate.

The loop is independent of models and LSP: it takes a `generate(feedback)` coroutine that
returns (text, mean logprob) and a `check(text)` coroutine that returns (findings, notes). The
best candidate has the fewest findings, then the highest likelihood, then came first. The loop
stops early when a candidate is clean, or when the model answers the feedback with the same text
or the same errors again (another round would cost time and change nothing).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .prompt import feedback_text
from .records import Candidate, FillHole, FillResult, Finding

__all__ = ["Generate", "Check", "run_rounds", "best_of"]

Generate = Callable[[str], Awaitable[tuple[str, float | None]]]
Check = Callable[[str], Awaitable[tuple[list[Finding], list[str]]]]


def best_of(candidates: list[Candidate]) -> Candidate | None:
    """Fewest findings, then highest mean logprob (unknown counts as lowest), then earliest."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (len(c.findings), -(c.logprob if c.logprob is not None
                                                              else float("-inf")), c.round))


def _unusable(c: Candidate) -> bool:
    return not c.text.strip() or any(f.code in ("empty", "stub") for f in c.findings)


def _signature(c: Candidate) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((f.code, f.message) for f in c.findings))


async def run_rounds(hole: FillHole, generate: Generate, check: Check,
                     rounds: int = 2) -> FillResult:
    """Generate a fill for `hole`, then up to `rounds` error rounds; the result keeps them all."""
    candidates: list[Candidate] = []
    notes: list[str] = []
    feedback = ""
    for attempt in range(rounds + 1):
        text, logprob = await generate(feedback)
        findings, check_notes = await check(text)
        notes.extend(n for n in check_notes if n not in notes)
        candidate = Candidate(text=text, round=attempt, findings=tuple(findings),
                              logprob=logprob)
        repeated = bool(candidates) and (text == candidates[-1].text
                                         or _signature(candidate) == _signature(candidates[-1]))
        candidates.append(candidate)
        if not findings:
            break
        if repeated:
            notes.append(f"stopped after round {attempt}: the model repeated the same errors")
            break
        feedback = feedback_text(candidate)
    # A candidate that is empty or still a stub is never offered: it would change nothing.
    best = best_of([c for c in candidates if not _unusable(c)])
    return FillResult(hole=hole, best=best, candidates=tuple(candidates),
                      rounds=len(candidates) - 1, notes=tuple(notes))

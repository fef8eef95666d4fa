"""How fast a local engine evaluates prompts and writes tokens, and the deadline that follows.

A model on the user's CPU evaluates a prompt at a speed that depends on the machine and on what
else runs on it: measured here, Gemma 3 270M on two busy cores took 20 to 60 ms per prompt token,
so a first 1,000-token prompt needs up to a minute, while the same prompt typed on a moment later
costs a few tokens (the engine's prompt cache holds the rest). One fixed timeout cannot fit both.
`Throughput` keeps the speeds the engine reports (llama.cpp `timings`) and turns the tokens a
request will really cost (those of its prompt the cache does not hold, and those it may write)
into a deadline; until the first measurement it assumes a slow machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Timings

__all__ = ["Throughput"]

# Assumed before anything is measured: a small model on two loaded cores.
FIRST_PROMPT_PER_S = 10.0
FIRST_GENERATED_PER_S = 4.0
# Measured speeds vary with the machine's load: the deadline allows this many times the estimate.
SAFETY = 3.0
# Too few tokens say little about the speed (one token's time is mostly fixed overhead).
_MIN_PROMPT_TOKENS = 16
_MIN_GENERATED_TOKENS = 4
_WEIGHT = 0.3  # of a new measurement in the running average


@dataclass
class Throughput:
    """Tokens per second the engine evaluated prompts and generated at: running averages, None
    until measured."""

    prompt_per_s: float | None = None
    generated_per_s: float | None = None

    def record(self, timings: Timings) -> None:
        """Take a request's timings into the averages (too small a sample is ignored)."""
        if timings.prompt_tokens >= _MIN_PROMPT_TOKENS and timings.prompt_ms > 0:
            rate = timings.prompt_tokens / (timings.prompt_ms / 1000)
            self.prompt_per_s = _average(self.prompt_per_s, rate)
        if timings.generated_tokens >= _MIN_GENERATED_TOKENS and timings.generated_ms > 0:
            rate = timings.generated_tokens / (timings.generated_ms / 1000)
            self.generated_per_s = _average(self.generated_per_s, rate)

    def deadline_s(self, slack_s: float, prompt_tokens: int, generated_tokens: int) -> float:
        """Seconds a request may take: `slack_s` plus `SAFETY` times the estimated work."""
        prompt_rate = self.prompt_per_s or FIRST_PROMPT_PER_S
        generated_rate = self.generated_per_s or FIRST_GENERATED_PER_S
        work = prompt_tokens / prompt_rate + generated_tokens / generated_rate
        return slack_s + SAFETY * work


def _average(old: float | None, new: float) -> float:
    """The running average after `new`: a slowdown counts at once (the machine got busy), a
    speed-up only gradually."""
    if old is None:
        return new
    return min(new, old + _WEIGHT * (new - old))

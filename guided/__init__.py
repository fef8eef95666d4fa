"""guided: where a model and the monitors meet (decoding under constraints, rounds, repair)."""

from .decode import GuidedResult, RoundCost, guided

__all__ = ["GuidedResult", "RoundCost", "guided"]

"""Filling holes a developer leaves: detection, static checks of candidates, error rounds."""

from .check import CheckOptions, check_candidate
from .holes import DEFAULT_PLACEHOLDERS, all_holes, find_hole
from .patch import Patched
from .prompt import feedback_text, task_text, trim
from .records import Candidate, FillHole, FillResult, Finding, HoleKind, result_json
from .rounds import best_of, run_rounds
from .run import NGRAM_MODEL_NOTE, FillOptions, fill
from .typecheck import find_checker

__all__ = [
    "DEFAULT_PLACEHOLDERS", "NGRAM_MODEL_NOTE", "Candidate", "CheckOptions", "FillHole",
    "FillOptions", "FillResult", "Finding", "HoleKind", "Patched", "all_holes", "best_of",
    "check_candidate", "feedback_text", "fill", "find_checker", "find_hole", "run_rounds",
    "result_json", "task_text", "trim",
]

"""Monitor settings (one switch per monitor) and the monitor list they select."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Monitor
from .calls import CallArgumentsMonitor
from .members import DereferenceMonitor, ImportMonitor
from .names import NamesMonitor
from .syntax import SyntaxMonitor

__all__ = ["MonitorSettings", "build_monitors"]


@dataclass(frozen=True)
class MonitorSettings:
    """The `monitors` settings section; every field defaulted."""

    enabled: bool = True
    dereference: bool = True
    call_arguments: bool = True
    names: bool = True
    imports: bool = True
    syntax: bool = True
    # Generate-check-repair for backends that cannot take constraints (OpenAI-compatible, Ollama):
    # it sends extra requests, so it is opt-in until deployments have measured the cost.
    check_unconstrained: bool = False
    max_rounds: int = 3  # extra requests a checked backend may get to repair violations
    # Analysis time one completion's triggers may take together; past it, monitors fail open.
    trigger_timeout_ms: int = 2000


def build_monitors(settings: MonitorSettings, text: str, offset: int) -> list[Monitor]:
    """The enabled monitors for a completion at `offset` in `text`."""
    out: list[Monitor] = []
    if settings.dereference:
        out.append(DereferenceMonitor())
    if settings.imports:
        out.append(ImportMonitor())
    if settings.names:
        out.append(NamesMonitor())
    if settings.call_arguments:
        out.append(CallArgumentsMonitor())
    if settings.syntax:
        line = text[text.rfind("\n", 0, offset) + 1 : offset]
        body = line if not line.strip() else line[: len(line) - len(line.lstrip(" \t"))]
        out.append(SyntaxMonitor(base_indent=len(body)))
    return out

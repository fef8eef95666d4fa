"""Monitor settings (one switch per monitor) and the monitor list they select."""

from __future__ import annotations

import attrs

from .base import Monitor
from .calls import CallArgumentsMonitor
from .members import DereferenceMonitor, ImportMonitor
from .names import NamesMonitor
from .syntax import SyntaxMonitor

__all__ = ["MonitorSettings", "build_monitors"]


@attrs.frozen
class MonitorSettings:
    """The `monitors` settings section (static analysis that constrains what the model writes).

    This class is the section of typehole's one settings schema (`app.settings.Settings.monitors`)
    and the options the monitors and guided decoding take: there is no second copy.
    """

    enabled: bool = True
    dereference: bool = True
    call_arguments: bool = True
    names: bool = True
    imports: bool = True
    syntax: bool = True
    # Generate-check-repair for backends that cannot take constraints (OpenAI-compatible, Ollama):
    # it sends extra requests, so it is opt-in until deployments have measured the cost.
    check_unconstrained: bool = False
    # Extra requests a checked backend may get to repair violations.
    max_rounds: int = attrs.field(default=3, validator=attrs.validators.in_(range(0, 11)))
    # Analysis time one completion's triggers may take together; past it, monitors fail open. An
    # editor is waiting, so this is short; batch runs (the CLI, benchmarks) pass a longer one.
    trigger_timeout_ms: int = attrs.field(default=150, validator=attrs.validators.ge(1))


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

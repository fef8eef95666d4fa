"""monitors: static analysis that guides a model while it decodes (monitor-guided decoding)."""

from .base import Monitor, View
from .constraint import Constraint, intersect
from .settings import MonitorSettings, build_monitors
from .tracker import Session, State

__all__ = [
    "Constraint", "Monitor", "MonitorSettings", "Session", "State", "View",
    "build_monitors", "intersect",
]

"""The names Python code may read without binding them: builtins and module attributes."""

from __future__ import annotations

import builtins

__all__ = ["BUILTIN_NAMES"]

# The interpreter's builtins (underscored ones too), the extras typeshed declares for checkers and
# other platforms, and the attributes Python sets on every module or class body.
BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins)) | {
    "reveal_type", "reveal_locals", "WindowsError", "__name__", "__file__", "__doc__", "__spec__",
    "__loader__", "__package__", "__builtins__", "__path__", "__dict__", "__annotations__",
    "__cached__", "__debug__", "__import__", "__build_class__", "__class__", "__module__",
    "__qualname__",
}

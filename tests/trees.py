"""Small file trees written for one test (a workspace, a site-packages folder)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

__all__ = ["PYPROJECT", "write_tree"]

# The least a folder needs to be a project root (typehole looks for a pyproject.toml).
PYPROJECT = "[project]\nname = 'demo'\n"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (relative path -> text, or bytes written as they are) under `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root

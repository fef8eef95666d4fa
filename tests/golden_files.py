"""Expected files: compared byte for byte, never written by an ordinary test run.

A missing expected file fails the test. `pytest --regen-golden` writes every expected file the
selected tests check from what the code does now, on purpose; review the diff and say why in the
commit. Tests get a `Golden` from the `golden` fixture (tests/conftest.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = ["REGEN_FLAG", "Golden"]

REGEN_FLAG = "--regen-golden"


@dataclass(frozen=True)
class Golden:
    """Reads expected files and compares results with them (or rewrites them under the flag)."""

    regen: bool = False

    def expected(self, path: Path) -> str:
        """The expected file's text, byte-exact; a missing file fails the test."""
        if not path.is_file():
            pytest.fail(
                f"missing expected file {path}: run `pytest {REGEN_FLAG}` on this test to write "
                "it from the current behaviour, then review it",
                pytrace=False,
            )
        return path.read_bytes().decode("utf-8")

    def text(self, path: Path, actual: str) -> str:
        """The expected text to compare `actual` with (with the flag: `actual`, written first)."""
        if self.regen:
            path.write_bytes(actual.encode("utf-8"))
            return actual
        return self.expected(path)

    def json(self, path: Path, actual: Any) -> Any:
        """The expected JSON value to compare `actual` with (with the flag: `actual`, written
        first)."""
        if self.regen:
            path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", "utf-8")
            return actual
        return json.loads(self.expected(path))

    def check(self, path: Path, actual: str) -> None:
        """Assert `actual` equals the expected file's text (with the flag: write it instead)."""
        assert actual == self.text(path, actual), f"differs from {path.name}"

    def check_json(self, path: Path, actual: Any) -> None:
        """Assert `actual` equals the expected JSON value (with the flag: write it instead)."""
        assert actual == self.json(path, actual), f"differs from {path.name}"

"""Golden next edits: `tests/golden/next_edit/<case>/before.py` -> `after.py` is the history;
`expected.json` holds the suggested edits, best first, as `typehole next-edit --json` prints them.

Set TYPEHOLE_UPDATE_GOLDEN=1 to rewrite the expected files (then review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from typehole.server.commands.next_edit import suggest_files

CASES = sorted(p for p in (Path(__file__).parent / "golden" / "next_edit").iterdir() if p.is_dir())


def _result(case: Path) -> list[dict]:
    before = (case / "before.py").read_text(encoding="utf-8")
    after = (case / "after.py").read_text(encoding="utf-8")
    edits = suggest_files(before, after, "case.py")
    return [{k: e[k] for k in ("range", "new_text", "source", "reason")} for e in edits]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path) -> None:
    expected_file = case / "expected.json"
    got = _result(case)
    if os.environ.get("TYPEHOLE_UPDATE_GOLDEN") or not expected_file.exists():
        expected_file.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(expected_file.read_text(encoding="utf-8"))

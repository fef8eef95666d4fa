"""Golden next edits: `tests/golden/next_edit/<case>/before.py` -> `after.py` is the history;
`expected.json` holds the suggested edits, best first, as `typehole next-edit --json` prints them.

A case with a `workspace/` folder is edited inside that workspace (at the path named in
`path.txt`, else `case.py`), indexed the way the server indexes it, so the follow-on engine can
import what the workspace defines.

`pytest tests/test_next_edit_golden.py --regen-golden` rewrites the expected files (then review
the diff); an ordinary run never writes them, and a case without one fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from golden_files import Golden

from typehole.cli.next_edit import suggest_files
from typehole.context.index import Index
from typehole.features.next_edit import IndexLookup

CASES = sorted(p for p in (Path(__file__).parent / "golden" / "next_edit").iterdir() if p.is_dir())


def _result(case: Path, tmp_path: Path) -> list[dict]:
    before = (case / "before.py").read_text(encoding="utf-8")
    after = (case / "after.py").read_text(encoding="utf-8")
    lookup, index = None, None
    rel = "case.py"
    if (case / "path.txt").is_file():
        rel = (case / "path.txt").read_text(encoding="utf-8").strip()
    if (case / "workspace").is_dir():
        root = tmp_path / "workspace"
        shutil.copytree(case / "workspace", root)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(after, encoding="utf-8")
        index = Index(root, tmp_path / "cache")
        index.build()
        lookup = IndexLookup(index, rel)
    try:
        edits = suggest_files(before, after, rel, lookup=lookup)
    finally:
        if index is not None:
            index.close()
    return [{k: e[k] for k in ("range", "new_text", "source", "reason")} for e in edits]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, tmp_path: Path, golden: Golden) -> None:
    got = _result(case, tmp_path)
    assert got == golden.json(case / "expected.json", got)

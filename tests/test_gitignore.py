"""A `.gitignore` line pathspec cannot parse (a lone `!`, a trailing backslash) is skipped alone:
the walk goes on and every other line still applies. black's sdist ships such files."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from realproject import real_project

from typehole.context.walk import may_read, workspace_files

GITIGNORE = "build/\n!\n*.log\nfoo/\\\n!keep.log\n\\\n"


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_bad_lines_are_skipped_and_the_good_ones_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _tree(tmp_path, {
        ".gitignore": GITIGNORE, "app.py": "", "build/gen.py": "", "debug.log": "",
        "keep.log": "", "sub/.gitignore": "!\nlocal.py\n", "sub/local.py": "", "sub/kept.py": "",
    })
    with caplog.at_level(logging.DEBUG, logger="typehole.context.walk"):
        found = [p.relative_to(tmp_path).as_posix() for p in workspace_files(tmp_path)]
        again = [p.relative_to(tmp_path).as_posix() for p in workspace_files(tmp_path)]
    assert found == again == [".gitignore", "app.py", "keep.log", "sub/.gitignore",
                              "sub/kept.py"]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # Each bad line is named with its file and line number, once however often it is read.
    assert sorted(w.split(": skipping")[0].replace(str(tmp_path), "W") for w in warned) == [
        "W/.gitignore:2", "W/.gitignore:4", "W/.gitignore:6", "W/sub/.gitignore:1"]
    assert may_read(tmp_path / "build" / "gen.py", tmp_path) is not None
    assert may_read(tmp_path / "sub" / "local.py", tmp_path) is not None
    assert may_read(tmp_path / "sub" / "kept.py", tmp_path) is None
    # A bad pattern in the user's own `exclude` is skipped the same way.
    assert may_read(tmp_path / "app.py", tmp_path, ["!", "app.py"]) is not None


def test_black_workspace_works(tmp_path: Path) -> None:
    """black 26.10.1's sdist has `.gitignore` files whose only line is `!`."""
    root = real_project("black", "26.10.1")
    assert (root / "tests" / "data" / "invalid_gitignore_tests" / ".gitignore").read_text() \
        .splitlines()[0] == "!"
    target = root / "src" / "black" / "files.py"
    lines = target.read_text(encoding="utf-8").split("\n")
    line = next(i for i, text in enumerate(lines) if "def find_project_root" in text) + 2
    result = subprocess.run(
        [sys.executable, "-m", "typehole", "context", f"{target}:{line}:5", "--json"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "TYPEHOLE_CACHE_DIR": str(tmp_path)},  # a cold index, built here
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["snippets"] or payload["relevant_headers"]  # the index was built and used

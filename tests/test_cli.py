"""`typehole complete` / `typehole context` from a shell: results and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from typehole.context.oracle import find_ty


def typehole(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "typehole", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_complete_json_contract(workspace: Path) -> None:
    source = workspace / "shapes.py"
    source.write_text(
        "def area(width, height):\n    return width * height\n\n\n"
        "def perimeter(width, height):\n    return width * \n",
        encoding="utf-8",
    )
    result = typehole("complete", f"{source}:6:20", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"items", "context", "timings_ms"}
    assert payload["context"]["gate"] == "line"
    (item,) = payload["items"]
    assert item["text"] == "height"  # the file's own pattern, from the embedded model
    assert item["range"] == {
        "start": {"line": 5, "character": 19},
        "end": {"line": 5, "character": 19},
    }


@pytest.mark.parametrize(
    ("make", "location", "message"),
    [
        (None, "missing.py:1:1", "no such file"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00bin\x00"), "blob.py:1:1", "not a UTF-8 text file"),
        (lambda p: p.write_text("TOKEN=1\n"), ".env:1:1", "looks like a secret"),
        (lambda p: p.write_text("x = 1\n"), "ok.py:one:1", "expected FILE:LINE:COL"),
    ],
)
def test_bad_input_is_one_clear_line(workspace: Path, make, location: str, message: str) -> None:
    name = location.split(":", 1)[0]
    if make is not None:
        make(workspace / name)
    result = typehole("complete", str(workspace / location))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_model_is_reported(workspace: Path) -> None:
    source = workspace / "a.py"
    source.write_text("x = 1\n")
    result = typehole("complete", f"{source}:1:6", "--model", "nope")
    assert result.returncode == 2
    assert "unknown model 'nope'" in result.stderr


def test_position_past_the_end_is_clamped(workspace: Path) -> None:
    source = workspace / "a.py"
    source.write_text("value = 1\nvalue = 2\n")
    result = typehole("complete", f"{source}:99:99", "--json")
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)["items"]  # completed where the file ends
    assert item["range"]["start"] == item["range"]["end"] == {"line": 2, "character": 0}


def test_complete_gathers_context_under_the_batch_deadline(workspace: Path) -> None:
    # An editor's deadline so short that every stage after the first would be skipped: the
    # command is a batch run and uses `context.batchDeadlineMs`, so nothing is dropped.
    (workspace / "pyproject.toml").write_text(
        "[project]\nname = 'w'\n[tool.typehole.context]\ndeadlineMs = 0.001\n", encoding="utf-8"
    )
    (workspace / "lamp.py").write_text(
        "class Lamp:\n    def switch_on(self) -> None:\n        self.lit = True\n",
        encoding="utf-8",
    )
    main = workspace / "main.py"
    main.write_text("from lamp import Lamp\n\n\ndef setup(lamp: Lamp) -> None:\n    lamp.\n",
                    encoding="utf-8")
    result = typehole("complete", f"{main}:5:10", "--json")
    assert result.returncode == 0, result.stderr
    context = json.loads(result.stdout)["context"]
    assert not [k for k in context["timings_ms"] if k.startswith("skipped_")], context
    assert [t["name"] for t in context["relevant_types"]] == ["Lamp"]


DIMS = '''from typing import NamedTuple


class Dim(NamedTuple):
    width: int
    height: int


def unit():
    return Dim(
'''


@pytest.mark.skipif(find_ty() is None, reason="ty is not installed")
def test_context_asks_the_type_oracle_of_the_settings(workspace: Path) -> None:
    # The command starts ty as the server does (`context.typeOracle`, `auto` by default): the
    # first field of the NamedTuple is an `int`, which Jedi reads otherwise.
    source = workspace / "dims.py"
    source.write_text(DIMS, encoding="utf-8")
    location = f"{source}:10:16"
    result = typehole("context", location, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hole"]["expected_type"] == "int"
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.typehole.context]\ntypeOracle = "jedi"\n')
    result = typehole("context", location, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hole"]["expected_type"] != "int"

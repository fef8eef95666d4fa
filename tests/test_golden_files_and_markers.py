"""The suite's own helpers: expected files are never written by a run, markers parse exactly."""

from __future__ import annotations

import json
from pathlib import Path

import markers
import pytest
from golden_files import REGEN_FLAG, Golden


def test_a_missing_expected_file_fails_and_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "case.expected"
    with pytest.raises(pytest.fail.Exception, match=REGEN_FLAG):
        Golden().check(path, "result")
    with pytest.raises(pytest.fail.Exception, match=REGEN_FLAG):
        Golden().check_json(path, {"a": 1})
    assert not path.exists()


def test_a_different_result_fails_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "case.expected"
    path.write_bytes(b"line\r\n")
    with pytest.raises(AssertionError):
        Golden().check(path, "line\n")  # byte-exact: CRLF is not LF
    Golden().check(path, "line\r\n")
    json_path = tmp_path / "case.json"
    json_path.write_text('{"a": [1, 2]}')
    with pytest.raises(AssertionError):
        Golden().check_json(json_path, {"a": [2, 1]})
    Golden().check_json(json_path, {"a": [1, 2]})
    assert path.read_bytes() == b"line\r\n" and json.loads(json_path.read_text()) == {"a": [1, 2]}


def test_regeneration_writes_what_the_code_does_now(tmp_path: Path) -> None:
    path, json_path = tmp_path / "case.expected", tmp_path / "case.json"
    Golden(regen=True).check(path, "new\r\n😀")
    Golden(regen=True).check_json(json_path, {"b": "é"})
    assert path.read_bytes() == "new\r\n😀".encode()
    assert json_path.read_text(encoding="utf-8") == '{\n  "b": "é"\n}\n'
    Golden().check(path, "new\r\n😀")
    Golden().check_json(json_path, {"b": "é"})


def test_markers_give_code_point_offsets_and_lines() -> None:
    marked = markers.parse("a = '😀'\r\nb = ├old┤┃\n")
    assert marked.text == "a = '😀'\r\nb = old\n"
    assert marked.offset == marked.text.index("old") + 3
    assert marked.span == (marked.text.index("old"), marked.text.index("old") + 3)
    assert (marked.line, marked.column) == (1, 7)
    assert (marked.prefix, marked.suffix) == ("a = '😀'\r\nb = old", "\n")
    assert markers.parse("┃").span is None


@pytest.mark.parametrize("bad", ["no cursor", "┃two┃", "├x┃", "┤x├┃", "├a┤├b┤┃"])
def test_malformed_markers_are_refused(bad: str) -> None:
    with pytest.raises(AssertionError):
        markers.parse(bad)

"""The error-round loop against a loopback OpenAI-compatible server speaking exact SSE.

The server answers the first request with a wrong body and, once the request carries the
findings, with a fixed one; the loop keeps the fixed one, reports its rounds, and stops early
when the model repeats itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fakeserver import SSE, Reply, model_settings, oai, serve, sse
from fill_results import (
    assert_best_is_the_least_wrong,
    assert_edit_touches_only_the_hole,
    assert_reported,
    assert_stop_explained,
)

from typehole.app.hub import ModelHub
from typehole.app.settings import Settings, resolve
from typehole.features.fill import CheckOptions, FillOptions, fill, find_hole

SOURCE = '''from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float


def total(items: list[Item]) -> float:
    """Sum the prices of the items."""
    ...
'''
WRONG = "return sum(item.prise for item in items) + extra\n\n\ndef other():\n    pass"
FIXED = "return sum(item.price for item in items)"


def _settings(url: str) -> Settings:
    settings, problems = resolve([("test", model_settings(url))])
    assert not problems
    return settings


def _scripted(path: str, body: dict) -> Reply:
    text = FIXED if "static errors were discovered" in body["prompt"] else WRONG
    return Reply(headers=SSE, body=sse(oai(text[:12]), oai(text[12:], finish="stop")))


OPTIONS = FillOptions(monitors=None, check=CheckOptions(type_checker="none"))


async def test_second_request_carries_the_findings_and_wins() -> None:
    hole = find_hole(SOURCE, 9)
    assert hole is not None
    async with serve(_scripted) as (server, url):
        hub = ModelHub()
        try:
            backend, _ = hub.backend(_settings(url))
            result = await fill(SOURCE, hole, backend, options=OPTIONS)
        finally:
            await hub.aclose()
    assert len(server.requests) == 2
    first, second = server.requests[0][1]["prompt"], server.requests[1][1]["prompt"]
    assert "static errors" not in first and "Task: write the body of" in first
    assert "# The following static errors were discovered:" in second
    assert "undefined name 'extra'" in second
    assert "has no attribute `prise`" in second
    assert "#     return sum(item.prise for item in items) + extra" in second
    # The wrong body ran on past the function; only the hole's part was kept and checked.
    assert result.candidates[0].text == "return sum(item.prise for item in items) + extra"
    assert result.rounds == 1 and result.best is not None
    assert result.best.text == FIXED and result.best.findings == ()
    assert result.new_text == "    " + FIXED
    assert_stop_explained(result, OPTIONS.rounds)
    assert_reported(result)
    assert_best_is_the_least_wrong(result)
    assert_edit_touches_only_the_hole(SOURCE, hole, result)


async def test_a_model_that_repeats_its_errors_stops_early() -> None:
    def stubborn(path: str, body: dict) -> Reply:
        return Reply(headers=SSE, body=sse(oai(WRONG, finish="stop")))

    hole = find_hole(SOURCE, 9)
    assert hole is not None
    async with serve(stubborn) as (server, url):
        hub = ModelHub()
        try:
            backend, _ = hub.backend(_settings(url))
            result = await fill(SOURCE, hole, backend,
                                options=FillOptions(rounds=5, monitors=None,
                                                    check=OPTIONS.check))
        finally:
            await hub.aclose()
    assert len(server.requests) == 2
    assert result.rounds == 1 and any("repeated" in n for n in result.notes)
    assert result.best is not None and len(result.best.findings) == 2  # shown, never hidden
    assert_stop_explained(result, 5)
    assert_reported(result)
    assert_best_is_the_least_wrong(result)
    assert_edit_touches_only_the_hole(SOURCE, hole, result)


async def test_cli_json_contract(tmp_path: Path) -> None:
    async with serve(_scripted) as (server, url):
        (tmp_path / "pyproject.toml").write_text(
            "[project]\nname = 'demo'\n\n[tool.typehole]\nmodel = 'remote'\n\n"
            "[tool.typehole.models.remote]\nbackend = 'openai'\n"
            f"url = '{url}/v1'\nmodel = 'starcoder2-3b'\n", encoding="utf-8")
        path = tmp_path / "shop.py"
        path.write_text(SOURCE, encoding="utf-8")
        proc = await _run([sys.executable, "-m", "typehole", "fill", f"{path}:10", "--json",
                           "--type-checker", "none", "--no-monitors"])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"edit", "rounds", "remaining_errors", "candidates"}
    assert out["rounds"] == 1 and out["remaining_errors"] == []
    assert out["edit"] == {"range": {"start": {"line": 11, "character": 0},
                                     "end": {"line": 11, "character": 7}},
                           "new_text": "    " + FIXED}
    assert [c["round"] for c in out["candidates"]] == [0, 1]
    assert out["candidates"][0]["errors"][0]["line"] == 1


async def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    import asyncio

    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return subprocess.CompletedProcess(argv, proc.returncode or 0, out.decode(), err.decode())


def test_cli_without_a_hole_and_with_the_ngram_model(workspace: Path) -> None:
    path = workspace / "shop.py"
    path.write_text(SOURCE, encoding="utf-8")
    run = [sys.executable, "-m", "typehole", "fill", "--json", "--type-checker", "none"]
    none = subprocess.run(run + [f"{path}:1"], capture_output=True, text=True, check=True)
    assert json.loads(none.stdout)["edit"] is None
    local = subprocess.run(run + [f"{path}:10"], capture_output=True, text=True, check=True)
    out = json.loads(local.stdout)
    # The n-gram model is honest: a checked body, or a plain note that it needs a real model.
    assert out["remaining_errors"] == [] if out["edit"] else any(
        "configure a language model" in n for n in out["notes"])
    bad = subprocess.run(run + [f"{path}:x"], capture_output=True, text=True)
    assert bad.returncode == 2 and "FILE:LINE" in bad.stderr

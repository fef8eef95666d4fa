"""Warming ty on the workspace (`context.oracle.warming`): which files first, and with a real ty
child, that the editor's documents keep their answers and warming stops with the oracle."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsp_client import wait_for
from test_oracle_lsp import _running, _start

from typehole.context.oracle import TyOracle, find_ty
from typehole.context.oracle.warming import WarmPlan, imported_modules, python_files

GUARD_S = 120.0  # hang guards only: a loaded machine is slow
needs_ty = pytest.mark.skipif(find_ty() is None, reason="ty is not installed")

# On disk, `Box` has `stale`; the editor's unsaved text of the same file has `fresh` instead.
MODELS_ON_DISK = "class Box:\n    def __init__(self) -> None:\n        self.stale = 1\n"
MODELS_IN_EDITOR = "class Box:\n    def __init__(self) -> None:\n        self.fresh = 1\n"
MAIN = "from pkg.models import Box\nfrom pkg import util\n\nbox = Box()\nbox."


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "models.py").write_text(MODELS_ON_DISK)
    (tmp_path / "pkg" / "util.py").write_text("def helper() -> int:\n    return 1\n")
    (tmp_path / "pkg" / "more.py").write_text("VALUE = 2\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "far.py").write_text("from pkg.util import helper\nX = helper()\n")
    (tmp_path / "main.py").write_text(MAIN)
    return tmp_path.resolve()


def test_imports_are_read_relative_ones_resolved() -> None:
    text = ("import os, json as j\nfrom . import sibling\nfrom ..up.mod import name\n"
            "    from pkg.sub import (a,\n        b)\nx = 'import not'\n")
    assert imported_modules(text, "top.inner") == [
        "os", "json", "top.inner.sibling", "top.up.mod.name", "pkg.sub.a"]


def test_the_open_documents_imports_come_first_then_their_folders_then_the_rest(
        workspace: Path) -> None:
    plan = WarmPlan(workspace, python_files(workspace, ()), cap=10)
    main = workspace / "main.py"
    order = []
    while (path := plan.next_file({main: MAIN})) is not None:
        order.append(path.relative_to(workspace).as_posix())
        plan.done.add(path)
    # What `main` imports (`pkg.models.Box`: the longest known module), then the other files
    # of `pkg`, then the rest; the open document itself never.
    assert order[:2] == ["pkg/models.py", "pkg/util.py"]
    assert set(order[2:4]) == {"pkg/__init__.py", "pkg/more.py"}
    assert order[4:] == ["other/far.py"]
    assert "main.py" not in order


def test_the_cap_bounds_the_files_warmed(workspace: Path) -> None:
    plan = WarmPlan(workspace, python_files(workspace, ()), cap=2)
    for _ in range(2):
        path = plan.next_file({})
        assert path is not None
        plan.done.add(path)
    assert plan.next_file({}) is None


def _members(oracle: TyOracle, text: str, path: Path) -> list[str] | None:
    return oracle.members(text, len(text), str(path), time.monotonic() + GUARD_S)


@needs_ty
def test_warming_keeps_the_editors_text_and_stops_with_the_oracle(workspace: Path) -> None:
    models, main = workspace / "pkg" / "models.py", workspace / "main.py"
    warm = TyOracle(workspace, warm_files=50)
    cold = TyOracle(workspace, warm_files=0)
    try:
        for oracle in (warm, cold):
            # The editor has both open, `models.py` with unsaved changes.
            oracle.update(str(models), MODELS_IN_EDITOR)
            oracle.update(str(main), MAIN)
            assert oracle.wait_ready(GUARD_S), oracle.state
        assert warm.warmed.wait(GUARD_S)
        warmer = warm._warmer
        assert warmer is not None
        warmed = {p.relative_to(workspace).as_posix() for p in warmer.order}
        # Every file but the open documents, which warming never reads from disk.
        assert warmed == {"pkg/__init__.py", "pkg/util.py", "pkg/more.py", "other/far.py"}
        answers = [_members(o, MAIN, main) for o in (warm, cold)]
        assert answers[0] == answers[1]
        assert answers[0] is not None and "fresh" in answers[0] and "stale" not in answers[0]
        in_models = MODELS_IN_EDITOR + "Box()."
        assert _members(warm, in_models, models) == _members(cold, in_models, models)
        pid = warm.pid
        assert pid is not None
    finally:
        warm.close()
        cold.close()
    assert not warmer.thread.is_alive()
    assert warmer.stopped
    assert not _running(pid)


@needs_ty
async def test_the_server_reports_warming_and_stops_it_at_shutdown(workspace: Path) -> None:
    client, reports = await _start(workspace, {"context": {"tyWarmFiles": 10}})
    try:
        await wait_for(lambda: any(r.state == "warmed" for r in reports), timeout=GUARD_S)
    finally:
        await client.shutdown_session()
    warmed = next(r for r in reports if r.state == "warmed")
    assert "analysed 6 workspace files" in warmed.message
    pid = next(r.pid for r in reports if r.state == "ready")
    for _ in range(200):  # a hang guard: the child exits with the server
        if not _running(pid):
            break
        await asyncio.sleep(0.1)
    assert not _running(pid)


@needs_ty
def test_warming_waits_while_a_question_is_in_progress(workspace: Path) -> None:
    oracle = TyOracle(workspace, warm_files=50, start=False)
    try:
        oracle._asking = 1  # a question in progress from before the child is ready
        oracle.start()
        assert oracle.wait_ready(GUARD_S), oracle.state
        time.sleep(1.0)  # a chance to go wrong; on a slow machine it passes trivially
        warmer = oracle._warmer
        assert warmer is not None and warmer.order == [] and not oracle.warmed.is_set()
        with oracle._activity:
            oracle._asking = 0
        assert oracle.warmed.wait(GUARD_S)
        assert len(warmer.order) == 6
    finally:
        oracle.close()

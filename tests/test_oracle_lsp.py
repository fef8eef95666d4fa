"""The server runs the workspace's ty child: started after `initialized`, reported, stopped."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from lsp_client import SERVER_COMMAND, wait_for
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from typehole.context.oracle import find_ty

pytestmark = pytest.mark.skipif(find_ty() is None, reason="ty is not installed")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1]
                           for line in status)
    except FileNotFoundError:
        return False


async def _start(root: Path, init_options: Any) -> tuple[LanguageClient, list[Any]]:
    client: LanguageClient = await ClientServerConfig(server_command=SERVER_COMMAND).start()
    reports: list[Any] = []
    client.feature("typehole/oracle")(lambda params: reports.append(params))
    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=init_options))
    return client, reports


async def test_the_ty_child_starts_with_the_server_and_stops_with_it(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("x = 1\n")
    client, reports = await _start(tmp_path, None)
    try:
        await wait_for(lambda: any(r.state == "ready" for r in reports), timeout=120)
    finally:
        await client.shutdown_session()
    pid = next(r.pid for r in reports if r.state == "ready")
    assert isinstance(pid, int)
    for _ in range(200):  # a hang guard: the child exits with the server
        if not _running(pid):
            break
        await asyncio.sleep(0.1)
    assert not _running(pid)
    assert not (tmp_path / "ty.toml").exists()


async def test_a_crash_is_reported_once_and_the_child_comes_back(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("x = 1\n")
    client, reports = await _start(tmp_path, None)
    try:
        await wait_for(lambda: any(r.state == "ready" for r in reports), timeout=120)
        first = next(r.pid for r in reports if r.state == "ready")
        os.kill(first, signal.SIGKILL)
        await wait_for(lambda: any(r.state == "ready" and r.pid != first for r in reports),
                       timeout=120)
        assert [r.state for r in reports] == ["ready", "down", "ready"]
        assert "Jedi answers" in reports[1].message
    finally:
        await client.shutdown_session()

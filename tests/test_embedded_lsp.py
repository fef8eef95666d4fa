"""The embedded engine seen from an editor: a real `typehole serve` over stdio, its real engine
child on the tiny random-weight GGUF (fast to load; its output is garbage, so these tests check
states, messages and processes, never suggestions).

- While the model loads, the status is `loading` (never an early `ok` from `initialized`), the
  editor gets one progress bar (or one message when it cannot show bars) and no warnings;
  then `ok`.
- An engine killed under the server: the status goes `down` (one warning), the engine is
  restarted in the background, and the status comes back to `ok`.
- A changed embedded entry (`workspace/didChangeConfiguration`): the old engine process ends
  and one new engine runs the new spec.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
from pathlib import Path

import pytest
from lsp_client import inline, open_document, start_client, wait_for
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        importlib.util.find_spec("xllamacpp") is None or importlib.util.find_spec("gguf") is None,
        reason="xllamacpp or gguf not installed: pip install -e '.[test,embedded]'",
    ),
    pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)"),
]

SOURCE = "def area(width, height):\n    return width * "
LINE, CHARACTER = 1, len("    return width * ")


def tiny_path() -> Path:
    from llamacpp.engine import tiny_gguf

    return tiny_gguf()


def _settings(path: Path, **entry: object) -> dict:
    return {"model": "tiny",
            "models": {"tiny": {"backend": "embedded", "path": str(path),
                                "contextWindow": 2048, **entry}},
            "completion": {"cache": False}}


class Watched:
    """A started client with the `typehole/status` notifications it received."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.statuses: list[tuple[str, str, str]] = []
        client.feature("typehole/status")(
            lambda p: self.statuses.append((p.model, p.state, p.message))
        )

    def states(self) -> list[str]:
        return [state for model, state, _ in self.statuses if model == "tiny"]

    def popups(self) -> list[str]:
        return [m.message for m in self.client.messages
                if m.type in (types.MessageType.Warning, types.MessageType.Error)]

    def bars(self, title: str) -> list[list[object]]:
        """The progress reports of each bar whose title has `title`."""
        return [reports for reports in self.client.progress_reports.values()
                if any(isinstance(r, types.WorkDoneProgressBegin) and title in r.title
                       for r in reports)]


async def _start(root: Path, settings: dict,
                 capabilities: types.ClientCapabilities | None = None) -> Watched:
    (root / "pyproject.toml").write_text("[project]\nname = 'w'\n")
    (root / "shapes.py").write_text(SOURCE)
    client, _ = await start_client(root, init_options=settings, capabilities=capabilities)
    # Registered before anything is awaited: no notification has been read yet.
    return Watched(client)


def engines(server_pid: int) -> list[int]:
    """The live engine child processes of the server (zombies have no command line)."""
    found = []
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"typehole.models.engine" in command:
                found.append(int(child))
    return found


def maps_file(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` mapped (llama.cpp maps the model it loaded)."""
    try:
        return str(path) in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def server_pid(client: LanguageClient) -> int:
    process = client._server  # pygls keeps the server's process here
    assert process is not None
    return process.pid


async def test_loading_shows_progress_then_ok_without_warnings(tmp_path: Path) -> None:
    watched = await _start(tmp_path, _settings(tiny_path()))
    client = watched.client
    try:
        uri = open_document(client, tmp_path / "shapes.py", SOURCE)
        # Completions asked while the model loads are refused quietly.
        while "ok" not in watched.states():
            await inline(client, uri, LINE, CHARACTER)
        assert watched.states() == ["loading", "ok"]
        assert "loading" in watched.statuses[0][2] and str(tiny_path()) in watched.statuses[0][2]
        # The bar may end after the status says ok: the client answered its creation later.
        await wait_for(lambda: len(watched.bars("loading model tiny")) == 1)
        (bar,) = watched.bars("loading model tiny")
        await wait_for(lambda: isinstance(bar[-1], types.WorkDoneProgressEnd))
        assert isinstance(bar[0], types.WorkDoneProgressBegin)
        assert "ready" in (bar[-1].message or "")
        # At most one report: that completions wait for the model (when one was refused).
        reports = [r for r in bar if isinstance(r, types.WorkDoneProgressReport)]
        assert len(reports) <= 1
        assert watched.popups() == []
    finally:
        await client.shutdown_session()


async def test_loading_without_progress_bars_is_one_message(tmp_path: Path) -> None:
    no_bars = types.ClientCapabilities(window=types.WindowClientCapabilities(
        work_done_progress=False))
    watched = await _start(tmp_path, _settings(tiny_path()), no_bars)
    client = watched.client
    try:
        uri = open_document(client, tmp_path / "shapes.py", SOURCE)
        while "ok" not in watched.states():
            await inline(client, uri, LINE, CHARACTER)
        assert watched.states() == ["loading", "ok"]
        infos = [m.message for m in client.messages if m.type == types.MessageType.Info]
        assert len([m for m in infos if "loading" in m]) == 1, infos
        assert client.progress_reports == {} and watched.popups() == []
    finally:
        await client.shutdown_session()


async def test_killed_engine_is_restarted(tmp_path: Path) -> None:
    watched = await _start(tmp_path, _settings(tiny_path()))
    client = watched.client
    try:
        uri = open_document(client, tmp_path / "shapes.py", SOURCE)
        await wait_for(lambda: "ok" in watched.states())
        (engine,) = engines(server_pid(client))
        os.kill(engine, signal.SIGKILL)
        await wait_for(lambda: "down" in watched.states())
        assert await inline(client, uri, LINE, CHARACTER) is None  # refused, with the reason
        await wait_for(lambda: watched.states()[-1] == "ok")
        assert watched.states() == ["loading", "ok", "down", "loading", "ok"]
        down = next(m for _, s, m in watched.statuses if s == "down")
        assert "killed by SIGKILL" in down and "restarting" in down
        assert len(watched.popups()) == 1 and "killed by SIGKILL" in watched.popups()[0]
        (restarted,) = engines(server_pid(client))
        assert restarted != engine
    finally:
        await client.shutdown_session()


async def test_changed_entry_replaces_the_engine(tmp_path: Path) -> None:
    first, second = tmp_path / "first.gguf", tmp_path / "second.gguf"
    shutil.copy(tiny_path(), first)
    shutil.copy(tiny_path(), second)
    watched = await _start(tmp_path, _settings(first))
    client = watched.client
    pid = server_pid(client)
    try:
        await wait_for(lambda: "ok" in watched.states())
        (old,) = engines(pid)
        assert maps_file(old, first)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"typehole": _settings(second, threads=1)}))
        await wait_for(lambda: watched.states().count("ok") == 2)
        assert watched.states() == ["loading", "ok", "loading", "ok"]
        assert str(second) in watched.statuses[2][2]
        # The old engine ends; the one left runs the new spec.
        await wait_for(lambda: old not in engines(pid))
        (new,) = engines(pid)
        assert maps_file(new, second) and not maps_file(new, first)
        assert watched.popups() == []
    finally:
        await client.shutdown_session()

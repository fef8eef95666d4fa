"""A multi-root workspace: the server says plainly that only the first folder is indexed."""

from __future__ import annotations

from pathlib import Path

from lsp_client import SERVER_COMMAND, wait_for
from lsprotocol import types
from pytest_lsp import ClientServerConfig
from trees import write_tree


async def test_a_second_workspace_folder_is_named_as_not_indexed(tmp_path: Path) -> None:
    first = write_tree(tmp_path / "first", {"a.py": "x = 1\n"})
    second = write_tree(tmp_path / "second", {"b.py": "y = 2\n"})
    client = await ClientServerConfig(server_command=SERVER_COMMAND).start()
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=first.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=p.as_uri(), name=p.name)
                               for p in (first, second)]))

        def warned() -> list[str]:
            return [m.message for m in client.messages  # type: ignore[attr-defined]
                    if m.type == types.MessageType.Warning and "workspace folder" in m.message]

        await wait_for(lambda: bool(warned()))
        (message,) = warned()
        assert "only the first workspace folder (first) is indexed" in message
        assert "(second)" in message
    finally:
        await client.shutdown_session()

"""A file changing on disk is seen at once: monitors never keep a member that no longer exists."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from tests.lsp_client import inline, open_document, start_client, wait_learned

SHAPES = "class Box:\n    def width(self) -> int:\n        return 1\n"
RENAMED = "class Box:\n    def height(self) -> int:\n        return 1\n"
# The embedded model learns that `Box().` is followed by `width()`.
USAGE = "from shapes import Box\n\n" + "print(Box().width())\n" * 8 + "print(Box().height())\n"
MAIN = "from shapes import Box\n\nprint(Box()."

PATIENT = {"context": {"deadlineMs": 10_000}, "monitors": {"triggerTimeoutMs": 60_000}}


def _suggestion(result: object) -> str:
    items = getattr(result, "items", None) or []
    return items[0].insert_text if items else ""


async def test_member_renamed_on_disk_is_not_suggested(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shapes'\n")
    shapes = tmp_path / "shapes.py"
    shapes.write_text(SHAPES)
    (tmp_path / "usage.py").write_text(USAGE)
    main = tmp_path / "main.py"
    main.write_text(MAIN)
    client, _ = await start_client(tmp_path, init_options=PATIENT)
    try:
        await wait_learned(client)
        uri = open_document(client, main)
        line, column = MAIN.count("\n"), len(MAIN.rsplit("\n", 1)[-1])
        before = _suggestion(await inline(client, uri, line, column))
        assert before.startswith("width"), before

        shapes.write_text(RENAMED)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=shapes.as_uri(), type=types.FileChangeType.Changed)]))
        # The server reads the changed file in the background: ask until it has (or 10 s).
        for _ in range(50):
            after = _suggestion(await inline(client, uri, line, column))
            if not after.startswith("width"):
                break
            await asyncio.sleep(0.2)
        assert after.startswith("height"), after
    finally:
        await client.shutdown_session()

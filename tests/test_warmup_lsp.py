"""A file changing on disk is seen at once: monitors never keep a member that no longer exists."""

from __future__ import annotations

from pathlib import Path

from lsp_client import eventually, inline, open_document, session, wait_learned
from lsprotocol import types
from trees import write_tree

SHAPES = "class Box:\n    def width(self) -> int:\n        return 1\n"
RENAMED = "class Box:\n    def height(self) -> int:\n        return 1\n"
# The embedded model learns that `Box().` is followed by `width()`.
USAGE = "from shapes import Box\n\n" + "print(Box().width())\n" * 8 + "print(Box().height())\n"
MAIN = "from shapes import Box\n\nprint(Box()."

PATIENT = {"context": {"deadlineMs": 10_000}, "monitors": {"triggerTimeoutMs": 60_000}}


def _suggestion(result: object) -> str:
    items = getattr(result, "items", None) or []
    return items[0].insert_text if items else ""


async def test_member_renamed_on_disk_is_not_suggested(workspace: Path) -> None:
    write_tree(workspace, {"shapes.py": SHAPES, "usage.py": USAGE, "main.py": MAIN})
    shapes, main = workspace / "shapes.py", workspace / "main.py"
    async with session(workspace, init_options=PATIENT) as (client, _):
        await wait_learned(client)
        uri = open_document(client, main)
        line, column = MAIN.count("\n"), len(MAIN.rsplit("\n", 1)[-1])

        async def suggestion() -> str:
            return _suggestion(await inline(client, uri, line, column))

        before = await suggestion()
        assert before.startswith("width"), before

        shapes.write_text(RENAMED)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=shapes.as_uri(), type=types.FileChangeType.Changed)]))
        # The server reads the changed file in the background: ask until it has.
        after = await eventually(suggestion, lambda s: not s.startswith("width"))
        assert after.startswith("height"), after

"""End to end: a real client speaks Copilot's next-edit protocol (`textDocument/copilotInlineEdit`)
to `typehole serve` the way copilot-lsp and sidekick.nvim do: request with the buffer's version,
report the edit shown, apply it, execute its command; a stale version gets no edits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsp_client import change_line, open_document, plain, session
from lsprotocol import types
from trees import write_tree

COPILOT_INLINE_EDIT = "textDocument/copilotInlineEdit"
ACCEPT = "typehole.nextEditAccepted"
SOURCE = (
    "def total(items):\n    count = 0\n    for item in items:\n        count += item\n"
    "    return count\n"
)


async def _inline_edit(client, uri: str, version: int, line: int, character: int) -> list[Any]:
    # As sidekick.nvim sends it: position params, the buffer's version, a trigger context.
    answer = await client.protocol.send_request_async(COPILOT_INLINE_EDIT, {
        "textDocument": {"uri": uri, "version": version},
        "position": {"line": line, "character": character},
        "context": {"triggerKind": 2},
    })
    return plain(answer)["edits"]


def _where(edit: dict[str, Any]) -> tuple[int, int, int, int]:
    r = edit["range"]
    return r["start"]["line"], r["start"]["character"], r["end"]["line"], r["end"]["character"]


async def test_copilot_client_gets_accepts_and_reports_the_next_edit(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": SOURCE}) / "demo.py"
    async with session(workspace) as (client, result):
        experimental = plain(result.capabilities.experimental)
        assert experimental[COPILOT_INLINE_EDIT] == {"acceptCommand": ACCEPT}
        assert "typehole/nextEdit" in experimental
        assert ACCEPT in result.capabilities.execute_command_provider.commands

        uri = open_document(client, path)
        change_line(client, uri, 2, 1, 4, 9, "acc")  # rename `count` -> `acc` where it is assigned
        [edit] = await _inline_edit(client, uri, 2, 1, 7)  # the top edit only, as Copilot
        assert _where(edit) == (3, 8, 3, 13)
        assert edit["text"] == "acc"
        assert edit["textDocument"] == {"uri": uri, "version": 2}
        command = edit["command"]
        assert command["command"] == ACCEPT and command["title"]
        [offer] = command["arguments"]
        assert isinstance(offer, str)

        assert await _inline_edit(client, uri, 1, 1, 7) == []  # a stale version
        assert await _inline_edit(client, uri, 3, 1, 7) == []  # a version not seen yet

        # copilot-lsp reports the edit it displays; sidekick applies it and runs the command.
        client.protocol.notify("textDocument/didShowInlineEdit", {"item": {"command": command}})
        change_line(client, uri, 3, 3, 8, 13, "acc")
        ran = types.ExecuteCommandParams(command=command["command"],
                                         arguments=command["arguments"])
        assert await client.workspace_execute_command_async(ran) is True
        assert await client.workspace_execute_command_async(ran) is False  # accepted once

        # The next request walks on to the remaining site, at the new version.
        [following] = await _inline_edit(client, uri, 3, 3, 11)
        assert _where(following) == (4, 11, 4, 16)
        assert following["textDocument"]["version"] == 3
        assert following["command"]["arguments"] != command["arguments"]


async def test_unknown_documents_and_bad_params(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": SOURCE}) / "demo.py"
    async with session(workspace) as (client, _):
        assert await _inline_edit(client, path.as_uri(), 1, 0, 0) == []  # never opened
        uri = open_document(client, path)
        assert await _inline_edit(client, uri, 1, 0, 0) == []  # no edit yet: nothing to predict
        try:
            await client.protocol.send_request_async(COPILOT_INLINE_EDIT, {"position": 3})
        except Exception as exc:  # noqa: BLE001 - the error is the point
            assert "invalid params" in str(exc).lower()
        else:
            raise AssertionError("malformed params were answered")
        bogus = types.ExecuteCommandParams(command=ACCEPT, arguments=["no-such-offer"])
        assert await client.workspace_execute_command_async(bogus) is False
        client.protocol.notify("textDocument/didShowInlineEdit", {"item": None})
        assert await _inline_edit(client, uri, 1, 0, 0) == []  # still up

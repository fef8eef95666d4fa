"""End to end: a real client types a rename into `typehole serve`, then asks `typehole/nextEdit`.

Also: a stale version gets no edits, malformed params get InvalidParams, the code actions
"Apply next edit" / "Apply to all N sites" return one WorkspaceEdit, a suggestion at the cursor
is an inline completion item, and a name from another workspace file gets its import.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_client import (
    NEXT_EDIT,
    change_line,
    code_actions,
    inline,
    next_edit,
    open_document,
    session,
    wait_learned,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from trees import write_tree

SOURCE = (
    "def total(items):\n    count = 0\n    for item in items:\n        count += item\n"
    "    return count\n"
)


async def test_rename_typed_keystroke_by_keystroke(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": SOURCE}) / "demo.py"
    async with session(workspace) as (client, _):
        uri = open_document(client, path)
        change_line(client, uri, 2, 1, 4, 9, "")  # delete `count`, then type `acc`
        for k, ch in enumerate("acc"):
            change_line(client, uri, 3 + k, 1, 4 + k, 4 + k, ch)
        edits = (await next_edit(client, uri, 5, 1, 7))["edits"]
        got = [(e["range"]["start"]["line"], e["range"]["start"]["character"], e["newText"])
               for e in edits]
        assert got == [(3, 8, "acc"), (4, 11, "acc")]
        assert edits[0]["textDocument"] == {"uri": uri, "version": 5}
        assert "renamed to `acc`" in edits[0]["reason"]

        assert (await next_edit(client, uri, 4, 1, 7))["edits"] == []  # a stale version

        actions = await code_actions(client, uri, 1, 7)
        titles = [a.title for a in actions or []]
        assert "Apply next edit" in titles and "Apply to all 2 sites" in titles
        everything = next(a for a in actions if a.title == "Apply to all 2 sites")
        assert len(everything.edit.changes[uri]) == 2

        # Unrelated typing above keeps the suggestions, anchored to their text.
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=6),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(0, 0), types.Position(0, 0)), text="# hi\n")],
        ))
        moved = (await next_edit(client, uri, 6, 0, 4))["edits"]
        assert [(e["range"]["start"]["line"], e["newText"]) for e in moved] == [(4, "acc"),
                                                                               (5, "acc")]

        with pytest.raises(JsonRpcException):
            await client.protocol.send_request_async(NEXT_EDIT, {"position": 3})


async def test_next_edit_at_the_cursor_is_an_inline_item(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": SOURCE}) / "demo.py"
    async with session(workspace) as (client, _):
        uri = open_document(client, path)
        change_line(client, uri, 2, 1, 4, 9, "acc")
        edits = (await next_edit(client, uri, 2, 1, 7))["edits"]
        assert [e["range"]["start"]["line"] for e in edits] == [3, 4]

        # The editor jumped to the next site: the edit is offered as ghost text there.
        answer = await inline(client, uri, 3, 8)
        [item] = answer.items
        assert item.insert_text == "acc"
        assert (item.range.start.line, item.range.start.character) == (3, 8)
        assert (item.range.end.line, item.range.end.character) == (3, 13)  # covers `count`

        # Elsewhere the next edit is not the answer; after the site is edited, it is gone.
        elsewhere = await inline(client, uri, 0, 0)
        assert not any(i.insert_text == "acc" for i in (elsewhere.items if elsewhere else []))
        change_line(client, uri, 3, 3, 8, 13, "total")
        again = await inline(client, uri, 3, 8)
        assert not any(i.insert_text == "acc" for i in (again.items if again else []))


async def test_a_name_defined_in_the_workspace_gets_its_import(workspace: Path) -> None:
    write_tree(workspace, {
        "shop/__init__.py": "",
        "shop/models.py": "class Order:\n    pass\n",
        "shop/checkout.py": "import logging\n\n\ndef checkout():\n    return None\n",
    })
    path = workspace / "shop" / "checkout.py"
    async with session(workspace) as (client, _):
        await wait_learned(client)
        uri = open_document(client, path)
        change_line(client, uri, 2, 4, 11, 15, "Order()")
        edits = (await next_edit(client, uri, 2, 4, 18))["edits"]
        assert [(e["source"], e["newText"]) for e in edits] == [
            ("import", "\nfrom shop.models import Order\n")
        ]
        assert edits[0]["range"]["start"] == {"line": 1, "character": 0}
        assert "the workspace's `shop.models` provides it" in edits[0]["reason"]


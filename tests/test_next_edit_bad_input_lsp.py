"""End to end: next edits through a real client on bad input (issue 17's list).

An edit that leaves the file unparsable, a file replaced wholesale, an undo storm, and a file
renamed and deleted on disk: the server answers each request, every edit it offers lies in the
document's current text (at the version it was asked for), and nothing suggested before survives
in text that is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsp_client import change_line, close_document, next_edit, open_document, session
from lsprotocol import types
from trees import write_tree

SOURCE = (
    "def total(items):\n    count = 0\n    for item in items:\n        count += item\n"
    "    return count\n"
)


def _replace_all(client: Any, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
    ))


def _inside(text: str, answer: dict[str, Any], uri: str, version: int) -> bool:
    """Whether every edit is for this document and version and its range exists in `text`."""
    lines = text.split("\n")
    for e in answer["edits"]:
        start, end = e["range"]["start"], e["range"]["end"]
        if e["textDocument"] != {"uri": uri, "version": version}:
            return False
        for p in (start, end):
            if p["line"] >= len(lines) or p["character"] > len(lines[p["line"]]):
                return False
    return True


def _sites(answer: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [(e["range"]["start"]["line"], e["range"]["start"]["character"], e["newText"])
            for e in answer["edits"]]


async def test_unparsable_edit_then_repaired(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": SOURCE}) / "demo.py"
    async with session(workspace) as (client, _):
        uri = open_document(client, path)
        change_line(client, uri, 2, 0, 17, 17, "")  # `def total(items` : no `)` nor `:`
        broken = SOURCE.replace("def total(items):", "def total(items")
        answer = await next_edit(client, uri, 2, 0, 15)
        assert _inside(broken, answer, uri, 2)
        change_line(client, uri, 3, 0, 15, 15, "):")  # repaired
        change_line(client, uri, 4, 1, 4, 9, "acc")  # and a rename, which propagates
        answer = await next_edit(client, uri, 4, 1, 7)
        assert _sites(answer) == [(3, 8, "acc"), (4, 11, "acc")]


async def test_a_file_replaced_wholesale_gets_no_stale_edit(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": SOURCE}) / "demo.py"
    async with session(workspace) as (client, _):
        uri = open_document(client, path)
        change_line(client, uri, 2, 1, 4, 9, "acc")
        assert _sites(await next_edit(client, uri, 2, 1, 7)) == [(3, 8, "acc"), (4, 11, "acc")]
        # Pasted over with 3,000 lines of other code: the rename's sites are gone.
        other = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(750))
        _replace_all(client, uri, 3, other)
        answer = await next_edit(client, uri, 3, 10, 0)
        assert _inside(other, answer, uri, 3)
        assert not [e for e in answer["edits"] if e["source"] == "rename"]
        # An edit in the new text is answered as usual, and stays inside it.
        change_line(client, uri, 4, 0, 4, 6, "first")
        edited = other.replace("def f0(", "def first(", 1)
        assert _inside(edited, await next_edit(client, uri, 4, 0, 9), uri, 4)


async def test_an_undo_storm_leaves_no_undone_suggestion(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": SOURCE}) / "demo.py"
    async with session(workspace) as (client, _):
        uri = open_document(client, path)
        version = 1
        for _ in range(60):  # rename, undo, rename, undo, ...
            version += 1
            change_line(client, uri, version, 1, 4, 9, "acc")
            version += 1
            change_line(client, uri, version, 1, 4, 7, "count")
        answer = await next_edit(client, uri, version, 1, 9)
        assert answer["edits"] == []  # back to the original text: nothing to propagate
        version += 1
        change_line(client, uri, version, 1, 4, 9, "acc")
        answer = await next_edit(client, uri, version, 1, 7)
        assert _sites(answer) == [(3, 8, "acc"), (4, 11, "acc")]
        version += 1
        change_line(client, uri, version, 1, 4, 7, "count")  # undone once more
        assert (await next_edit(client, uri, version, 1, 9))["edits"] == []


async def test_a_file_renamed_and_deleted_on_disk(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": SOURCE}) / "demo.py"
    async with session(workspace) as (client, _):
        uri = open_document(client, path)
        change_line(client, uri, 2, 1, 4, 9, "acc")
        assert _sites(await next_edit(client, uri, 2, 1, 7)) == [(3, 8, "acc"), (4, 11, "acc")]
        # The editor renames the file: the old document closes, the new one opens.
        moved = path.with_name("renamed.py")
        path.rename(moved)  # as saved: the rename was not
        close_document(client, uri)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=uri, type=types.FileChangeType.Deleted),
            types.FileEvent(uri=moved.as_uri(), type=types.FileChangeType.Created),
        ]))
        assert (await next_edit(client, uri, 2, 1, 7))["edits"] == []  # gone: no edits
        new_uri = open_document(client, moved)
        assert (await next_edit(client, new_uri, 1, 1, 7))["edits"] == []  # no old history
        # Deleted while open: the open document is the editor's, and edits in it still work.
        moved.unlink()
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=new_uri, type=types.FileChangeType.Deleted)]))
        change_line(client, new_uri, 2, 1, 4, 9, "acc")
        answer = await next_edit(client, new_uri, 2, 1, 7)
        assert _sites(answer) == [(3, 8, "acc"), (4, 11, "acc")]

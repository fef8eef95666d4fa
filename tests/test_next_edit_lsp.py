"""End to end: a real client types a rename into `typehole serve`, then asks `typehole/nextEdit`.

Also: a stale version gets no edits, malformed params get InvalidParams, the code actions
"Apply next edit" / "Apply to all N sites" return one WorkspaceEdit, a suggestion at the cursor
is an inline completion item, and a name from another workspace file gets its import.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_client import inline, open_document, start_client, wait_learned
from lsprotocol import types
from pygls.exceptions import JsonRpcException

SOURCE = (
    "def total(items):\n    count = 0\n    for item in items:\n        count += item\n"
    "    return count\n"
)


def _change(client, uri: str, version: int, line: int, start: int, end: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(line, start), types.Position(line, end)), text=text)],
    ))


async def _next(client, uri: str, version: int, line: int = 1, character: int = 7):
    return await client.protocol.send_request_async("typehole/nextEdit", {
        "textDocument": {"uri": uri, "version": version},
        "position": {"line": line, "character": character},
    })


async def test_rename_typed_keystroke_by_keystroke(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    path = tmp_path / "demo.py"
    path.write_text(SOURCE, encoding="utf-8")
    client, _ = await start_client(tmp_path)
    try:
        uri = open_document(client, path)
        _change(client, uri, 2, 1, 4, 9, "")  # delete `count`, then type `acc`
        for k, ch in enumerate("acc"):
            _change(client, uri, 3 + k, 1, 4 + k, 4 + k, ch)
        answer = await _next(client, uri, 5)
        edits = answer.edits if hasattr(answer, "edits") else answer["edits"]
        got = [(e["range"]["start"]["line"], e["range"]["start"]["character"], e["newText"])
               for e in map(_plain, edits)]
        assert got == [(3, 8, "acc"), (4, 11, "acc")]
        first = _plain(edits[0])
        assert first["textDocument"] == {"uri": uri, "version": 5}
        assert "renamed to `acc`" in first["reason"]

        assert _plain(await _next(client, uri, 4))["edits"] == []  # a stale version

        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(1, 7), types.Position(1, 7)),
            context=types.CodeActionContext(diagnostics=[]),
        ))
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
        moved = [_plain(e) for e in _plain(await _next(client, uri, 6, 0, 4))["edits"]]
        assert [(e["range"]["start"]["line"], e["newText"]) for e in moved] == [(4, "acc"),
                                                                               (5, "acc")]

        with pytest.raises(JsonRpcException):
            await client.protocol.send_request_async("typehole/nextEdit", {"position": 3})
    finally:
        await client.shutdown_session()


async def test_next_edit_at_the_cursor_is_an_inline_item(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    path = tmp_path / "demo.py"
    path.write_text(SOURCE, encoding="utf-8")
    client, _ = await start_client(tmp_path)
    try:
        uri = open_document(client, path)
        _change(client, uri, 2, 1, 4, 9, "acc")
        edits = _plain(await _next(client, uri, 2))["edits"]
        assert [e["range"]["start"]["line"] for e in map(_plain, edits)] == [3, 4]

        # The editor jumped to the next site: the edit is offered as ghost text there.
        answer = await inline(client, uri, 3, 8)
        [item] = answer.items
        assert item.insert_text == "acc"
        assert (item.range.start.line, item.range.start.character) == (3, 8)
        assert (item.range.end.line, item.range.end.character) == (3, 13)  # covers `count`

        # Elsewhere the next edit is not the answer; after the site is edited, it is gone.
        elsewhere = await inline(client, uri, 0, 0)
        assert not any(i.insert_text == "acc" for i in (elsewhere.items if elsewhere else []))
        _change(client, uri, 3, 3, 8, 13, "total")
        again = await inline(client, uri, 3, 8)
        assert not any(i.insert_text == "acc" for i in (again.items if again else []))
    finally:
        await client.shutdown_session()


async def test_a_name_defined_in_the_workspace_gets_its_import(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("class Order:\n    pass\n")
    path = package / "checkout.py"
    path.write_text("import logging\n\n\ndef checkout():\n    return None\n")
    client, _ = await start_client(tmp_path)
    try:
        await wait_learned(client)
        uri = open_document(client, path)
        _change(client, uri, 2, 4, 11, 15, "Order()")
        edits = [_plain(e) for e in _plain(await _next(client, uri, 2, 4, 18))["edits"]]
        assert [(e["source"], e["newText"]) for e in edits] == [
            ("import", "\nfrom shop.models import Order\n")
        ]
        assert edits[0]["range"]["start"] == {"line": 1, "character": 0}
        assert "the workspace's `shop.models` provides it" in edits[0]["reason"]
    finally:
        await client.shutdown_session()


def _plain(value):
    """pygls hands back custom-request results as namedtuple-like objects or dicts."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    return value

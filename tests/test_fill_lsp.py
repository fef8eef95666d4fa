"""End to end: a real client drives `typehole serve` for "Fill this hole".

The code action appears on a stub, executing its command against a scripted OpenAI-compatible
server applies an edit that touches only the hole, and an error the rounds could not fix is
served as a pull diagnostic on the inserted code.
"""

from __future__ import annotations

import ast
from pathlib import Path

from fakeserver import SSE, Reply, model_settings, oai, serve, sse
from lsp_client import code_actions, open_document, session, wait_for
from lsprotocol import types

SOURCE = '''from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float


def total(items: list[Item]) -> float:
    """Sum the prices of the items. 😀"""
    ...


def other() -> int:
    return 1
'''


async def test_code_action_command_edit_and_diagnostics(workspace: Path) -> None:
    def model(path: str, body: dict) -> Reply:
        # Always the same misspelt member: the loop stops early and the error stays visible.
        return Reply(headers=SSE, body=sse(oai("return sum(i.prise for i in items)",
                                               finish="stop")))

    path = workspace / "shop.py"
    path.write_text(SOURCE, encoding="utf-8")
    async with (
        serve(model) as (model_server, url),
        session(workspace, init_options=model_settings(url)) as (client, result),
    ):
        edits: list[types.ApplyWorkspaceEditParams] = []

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            edits.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        assert result.capabilities.execute_command_provider is not None
        assert "typehole.fill" in result.capabilities.execute_command_provider.commands
        uri = open_document(client, path)
        actions = await code_actions(client, uri, 9)
        fills = [a for a in actions or [] if a.title == "Fill this hole"]
        assert len(fills) == 1 and fills[0].command is not None
        none_here = await code_actions(client, uri, 15)
        assert not [a for a in none_here or [] if a.title == "Fill this hole"]

        # lsprotocol's client-side hook reads any code action with a `command` key as a
        # Command and stringifies the nested object; real editors read it as sent.
        command = fills[0].command
        if isinstance(command, str):
            raw = ast.literal_eval(command)
            command = types.Command(title=raw["title"], command=raw["command"],
                                    arguments=raw["arguments"])
        out = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=command.command, arguments=[*command.arguments,
                                                {"typeChecker": "none"}]))
        await wait_for(lambda: edits)
        [change] = edits[0].edit.changes[uri]
        assert change.range == types.Range(types.Position(11, 0), types.Position(11, 7))
        assert change.new_text == "    return sum(i.prise for i in items)"
        assert out["rounds"] == 1 and len(out["remaining_errors"]) == 1
        assert len(model_server.requests) == 2
        assert "no attribute `prise`" in model_server.requests[1][1]["prompt"]

        # The client applies the edit; the remaining error shows on the inserted code.
        lines = SOURCE.split("\n")
        lines[11] = change.new_text
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(
                text="\n".join(lines))]))
        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        ours = [d for d in report.items if d.source == "typehole.fill"]
        assert len(ours) == 1
        assert ours[0].range.start == types.Position(11, 17)
        assert ours[0].range.end == types.Position(11, 22)
        assert "has no attribute `prise`" in ours[0].message

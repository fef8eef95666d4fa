"""`workspace/applyEdit` answered badly: the fill and docstring commands still answer.

A real client whose applyEdit handler replies `null`, `42`, or a refusal: the command answers
with `"applied": false`, the user is told why once, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fakeserver import SSE, Reply, oai, serve, sse
from lsp_client import open_document, start_client, wait_for
from lsprotocol import types

SOURCE = '''def total(prices: list[float]) -> float:
    ...


def scale(value: float, factor: float) -> float:
    return value * factor
'''

# What a client's applyEdit handler returns: two malformed replies, a refusal, an acceptance.
REPLIES: list[tuple[str, Any, bool]] = [
    ("null", None, False),
    ("42", 42, False),
    ("refused", types.ApplyWorkspaceEditResult(applied=False, failure_reason="read-only"), False),
    ("applied", types.ApplyWorkspaceEditResult(applied=True), True),
]


def _settings(url: str) -> dict:
    return {"model": "remote",
            "models": {"remote": {"backend": "openai", "url": url + "/v1",
                                  "model": "starcoder2-3b"}},
            "fill": {"typeChecker": "none", "rounds": 0}}


@pytest.mark.parametrize(("kind", "reply", "applied"), REPLIES, ids=[r[0] for r in REPLIES])
async def test_commands_answer_whatever_applyedit_returns(
    tmp_path: Path, kind: str, reply: Any, applied: bool
) -> None:
    def model(path: str, body: dict) -> Reply:
        return Reply(headers=SSE, body=sse(oai("return sum(prices)", finish="stop")))

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    path = tmp_path / "shop.py"
    path.write_text(SOURCE, encoding="utf-8")
    async with serve(model) as (_, url):
        client, _ = await start_client(tmp_path, init_options=_settings(url))
        asked: list[types.ApplyWorkspaceEditParams] = []

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply(params: types.ApplyWorkspaceEditParams) -> Any:
            asked.append(params)
            return reply

        try:
            uri = open_document(client, path)
            for command, line in (("typehole.fill", 1), ("typehole.docstring", 4)):
                out = await asyncio.wait_for(client.workspace_execute_command_async(
                    types.ExecuteCommandParams(command=command, arguments=[uri, line])), 120)
                assert out is not None and out["applied"] is applied, (command, out)
            assert len(asked) == 2
            if not applied:
                # Told once per command, with the reason when the client gave one.
                await wait_for(lambda: sum("not applied" in m.message
                                           for m in client.messages) == 2)
                if kind == "refused":
                    assert all("read-only" in m.message for m in client.messages
                               if "not applied" in m.message)
            # The server still answers.
            actions = await client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(types.Position(1, 4), types.Position(1, 4)),
                context=types.CodeActionContext(diagnostics=[])))
            assert actions
        finally:
            await client.shutdown_session()

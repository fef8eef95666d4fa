"""End to end: a real client drives `typehole serve` over stdio for docstrings.

Code action "Generate docstring" returns the edit; pull diagnostics report drift; the quick fix
"Update docstring" edits only the drifted section; `workspace/executeCommand` applies an edit.
"""

from __future__ import annotations

from pathlib import Path

from lsp_client import code_actions, open_document, session
from lsprotocol import types

SOURCE = '''import os


def join(a, b: int = 1, *rest: str) -> str:
    return os.path.join(str(a), *rest)


def scale(values, factor):
    """Scale values: 😀 human prose stays.

    Args:
        values: The values.
        gone: Removed.
    """
    return [v * factor for v in values]
'''


def _apply(text: str, edit: types.TextEdit) -> str:
    """Apply one LSP edit; characters are UTF-16 units, so count them that way."""
    lines = text.split("\n")
    start, end = edit.range.start, edit.range.end

    def offset(line: int, character: int) -> int:
        before = sum(len(x) + 1 for x in lines[:line])
        units = lines[line].encode("utf-16-le")[: character * 2].decode("utf-16-le")
        return before + len(units)

    a, b = offset(start.line, start.character), offset(end.line, end.character)
    return text[:a] + edit.new_text + text[b:]


async def test_code_actions_diagnostics_and_command(workspace: Path) -> None:
    path = workspace / "demo.py"
    path.write_text(SOURCE, encoding="utf-8")
    async with session(workspace) as (client, result):
        assert result.capabilities.code_action_provider is not None
        assert result.capabilities.diagnostic_provider is not None
        uri = open_document(client, path)

        actions = await code_actions(client, uri, 3)
        assert [a.title for a in actions] == ["Generate docstring"]
        edit = actions[0].edit.changes[uri][0]
        assert edit.range.start == types.Position(4, 0) == edit.range.end
        assert edit.new_text.startswith('    """TODO: summarize.\n\n    Args:\n'
                                        "        a: TODO: describe.\n"
                                        "        b (int): TODO: describe. Defaults to 1.\n"
                                        "        *rest (str): TODO: describe.\n")

        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        [drift] = report.items
        assert drift.code == "docstring-drift" and drift.range.start == types.Position(8, 4)
        assert "parameter `factor` is not documented" in drift.message
        assert "documented parameter `gone` does not exist" in drift.message

        [fix] = await code_actions(client, uri, 7, diagnostics=[drift])
        assert fix.title == "Update docstring" and fix.kind == types.CodeActionKind.QuickFix
        updated = _apply(SOURCE, fix.edit.changes[uri][0])
        assert "😀 human prose stays." in updated and "values: The values." in updated
        assert "gone" not in updated and "        factor: TODO: describe.\n" in updated

        applied: list[types.ApplyWorkspaceEditParams] = []

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams):
            applied.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        answer = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="typehole.docstring", arguments=[uri, 3, "numpy"]))
        assert answer["docstring"].startswith("TODO: summarize.\n\nParameters\n----------\na\n")
        assert answer["edit"]["range"]["start"] == {"line": 4, "character": 0}
        assert len(applied) == 1
        assert applied[0].edit.changes[uri][0].new_text == answer["edit"]["newText"]

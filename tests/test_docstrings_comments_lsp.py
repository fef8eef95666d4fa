"""End to end: a real client asks `typehole serve` for doc comments in TypeScript and Rust, and
for the docstring skeleton right after an opening triple quote in Python (inline completion)."""

from __future__ import annotations

from pathlib import Path

from lsp_client import inline, open_document, start_client
from lsprotocol import types

TS = """export class Box {
  load(path: string, n = 2): Promise<Buffer> {
    return read(path);
  }
}
"""

RUST = """pub fn parse(input: &str) -> Result<u8, Error> {
    input.parse()
}
"""

PY = '''def scale(values: list[float], factor: float = 2.0) -> list[float]:
    """
    return [v * factor for v in values]


def documented(x):
    """Already here."""
    return x
'''


def _actions(client, uri: str, line: int):
    return client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(line, 4), types.Position(line, 4)),
        context=types.CodeActionContext(diagnostics=[]),
    ))


async def test_code_actions_for_typescript_and_rust(tmp_path: Path) -> None:
    (tmp_path / "box.ts").write_text(TS)
    (tmp_path / "lib.rs").write_text(RUST)
    client, _ = await start_client(tmp_path)
    try:
        uri = open_document(client, tmp_path / "box.ts")
        actions = await _actions(client, uri, 1)
        assert [a.title for a in actions] == ["Generate docstring"]
        edit = actions[0].edit.changes[uri][0]
        assert edit.range.start == types.Position(1, 0) == edit.range.end
        assert edit.new_text.startswith("  /**\n   * TODO: summarize.\n")
        assert "   * @param {string} path - TODO: describe.\n" in edit.new_text
        assert "   * @returns {Promise<Buffer>} TODO: describe.\n" in edit.new_text

        uri = open_document(client, tmp_path / "lib.rs")
        actions = await _actions(client, uri, 0)
        edit = actions[0].edit.changes[uri][0]
        assert edit.range.start == types.Position(0, 0)
        assert "/// * `input` - TODO: describe.\n" in edit.new_text
        assert "/// # Errors\n" in edit.new_text
        assert await _actions(client, uri, 1) is not None  # inside the body: the function
    finally:
        await client.shutdown_session()


async def test_inline_docstring_after_triple_quote(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    path = tmp_path / "demo.py"
    path.write_text(PY)
    client, _ = await start_client(tmp_path)
    try:
        uri = open_document(client, path)
        result = await inline(client, uri, 1, 7)
        item = result.items[0]
        assert item.insert_text.startswith("TODO: summarize.\n\n    Args:\n")
        assert "        values (list[float]): TODO: describe.\n" in item.insert_text
        assert item.insert_text.endswith('\n    """')
        assert item.range.start == types.Position(1, 7) == item.range.end
        # A docstring already there: the skeleton provider stays out of the way.
        other = await inline(client, uri, 6, 7)
        assert not other or not other.items or \
            not other.items[0].insert_text.startswith("TODO: summarize.")
    finally:
        await client.shutdown_session()

"""End to end: a real client asks `typehole serve` for doc comments in TypeScript and Rust, and
for the docstring skeleton right after an opening triple quote in Python (inline completion)."""

from __future__ import annotations

from pathlib import Path

from lsp_client import code_actions, inline, open_document, session
from lsprotocol import types
from trees import write_tree

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


async def test_code_actions_for_typescript_and_rust(workspace: Path) -> None:
    write_tree(workspace, {"box.ts": TS, "lib.rs": RUST})
    async with session(workspace) as (client, _):
        uri = open_document(client, workspace / "box.ts")
        actions = await code_actions(client, uri, 1)
        assert [a.title for a in actions] == ["Generate docstring"]
        edit = actions[0].edit.changes[uri][0]
        assert edit.range.start == types.Position(1, 0) == edit.range.end
        assert edit.new_text.startswith("  /**\n   * TODO: summarize.\n")
        assert "   * @param {string} path - TODO: describe.\n" in edit.new_text
        assert "   * @returns {Promise<Buffer>} TODO: describe.\n" in edit.new_text

        uri = open_document(client, workspace / "lib.rs")
        actions = await code_actions(client, uri, 0)
        assert [a.title for a in actions] == ["Generate docstring"]
        edit = actions[0].edit.changes[uri][0]
        assert edit.range.start == types.Position(0, 0)
        assert "/// * `input` - TODO: describe.\n" in edit.new_text
        assert "/// # Errors\n" in edit.new_text
        # Inside the body the action documents the enclosing function, with the same edit.
        inside = await code_actions(client, uri, 1)
        assert [a.title for a in inside] == ["Generate docstring"]
        assert list(inside[0].edit.changes[uri]) == [edit]


async def test_inline_docstring_after_triple_quote(workspace: Path) -> None:
    path = write_tree(workspace, {"demo.py": PY}) / "demo.py"
    async with session(workspace) as (client, _):
        uri = open_document(client, path)
        result = await inline(client, uri, 1, 7)
        item = result.items[0]
        assert item.insert_text.startswith("TODO: summarize.\n\n    Args:\n")
        assert "        values (list[float]): TODO: describe.\n" in item.insert_text
        assert item.insert_text.endswith('\n    """')
        assert item.range.start == types.Position(1, 7) == item.range.end
        # A docstring already there: the skeleton provider stays out of the way, and inside the
        # string nothing else is offered either.
        assert await inline(client, uri, 6, 7) is None

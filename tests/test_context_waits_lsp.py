"""Through a real server over stdio: what a `typehole/context` answer says it waited for, an
open document's text reaching the index once typing pauses and leaving it on close, and the
typed hole of a document parsed when it was opened following its edits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lsp_client import (
    change_line,
    close_document,
    eventually,
    open_document,
    session,
    wait_learned,
)

LIB = "def stable() -> int:\n    return 1\n"
EDITED = LIB + "\n\ndef edited_only() -> str:\n    return 'only in the editor'\n"
USE = "from pkg.lib import edited_only, stable\n\nstable()\n"


@pytest.fixture
def project(workspace: Path) -> Path:
    """`workspace` with a package whose `use.py` imports from its `lib.py`."""
    (workspace / "pkg").mkdir()
    (workspace / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (workspace / "pkg" / "lib.py").write_text(LIB, encoding="utf-8")
    (workspace / "pkg" / "use.py").write_text(USE, encoding="utf-8")
    return workspace


def _at_end(uri: str, text: str) -> dict[str, object]:
    lines = text.split("\n")
    return {"textDocument": {"uri": uri},
            "position": {"line": len(lines) - 1, "character": len(lines[-1])}}


async def test_the_answer_says_what_the_request_waited_for(project: Path) -> None:
    # The server's account of a request (its waits, then its stages) fits inside the wall time
    # the client saw: the waits are measured from when the request's own bytes were read.
    async with session(project, {"context": {"typeOracle": "jedi"}}) as (client, _):
        await wait_learned(client)
        text = USE + "edited_only("
        uri = open_document(client, project / "pkg" / "use.py", text)
        answers = []
        for _ in range(3):
            started = time.perf_counter()
            answer = await client.protocol.send_request_async("typehole/context",
                                                              _at_end(uri, text))
            answers.append((answer.timings_ms._asdict(), (time.perf_counter() - started) * 1000))
    for timings, wall in answers:
        assert timings["wait_loop"] >= 0.0 and timings["wait_analysis"] >= 0.0
        assert timings["wait_loop"] + timings["wait_analysis"] + timings["total"] <= wall


# A model that learns the workspace (ngram) and one that does not (a model server, never asked
# here): the index follows the editor's text either way.
NOT_LEARNING = {"model": "remote", "models": {"remote": {
    "backend": "openai", "url": "http://127.0.0.1:9/v1", "model": "unused"}}}


@pytest.mark.parametrize("models", [{}, NOT_LEARNING], ids=["learning", "not-learning"])
async def test_an_edit_is_indexed_once_typing_pauses_and_the_file_again_on_close(
        project: Path, models: dict[str, object]) -> None:
    lib = project / "pkg" / "lib.py"
    use_text = USE + "edited_only("

    def stubs(answer: object) -> list[str]:
        return [s.text for s in answer.snippets if s.path == "pkg/lib.py"]  # type: ignore[attr-defined]

    async with session(project, {"context": {"typeOracle": "jedi"}, **models}) as (client, _):
        await wait_learned(client)
        use_uri = open_document(client, project / "pkg" / "use.py", use_text)

        async def ask() -> object:
            return await client.protocol.send_request_async("typehole/context",
                                                            _at_end(use_uri, use_text))

        before = await ask()
        lib_uri = open_document(client, lib, EDITED)  # an unsaved edit, learned once it rests
        edited = await eventually(ask, lambda a: any("def edited_only" in s for s in stubs(a)))
        close_document(client, lib_uri)  # the file's saved text replaces the edit
        closed = await eventually(ask, lambda a: not any("edited_only" in s for s in stubs(a)))
    assert not any("edited_only" in s for s in stubs(before))
    assert any("def edited_only() -> str" in s for s in stubs(edited))
    assert any("def stable() -> int" in s for s in stubs(closed))


async def test_the_hole_of_a_document_parsed_at_open_follows_its_edits(project: Path) -> None:
    # The server parses a document when it is opened; the first request reuses that tree and
    # the next ones, after edits, re-parse from it: the expected type is the edited text's.
    text = USE + "def label(count: int) -> str:\n    return "
    async with session(project, {"context": {"typeOracle": "jedi"}}) as (client, _):
        await wait_learned(client)
        uri = open_document(client, project / "pkg" / "use.py", text)
        first = await client.protocol.send_request_async("typehole/context", _at_end(uri, text))
        row = text.count("\n") - 1  # the `def` line
        change_line(client, uri, 2, row, len("def label(count: int) -> "), len(
            "def label(count: int) -> str"), "bytes")
        edited = text.replace("-> str", "-> bytes")
        second = await client.protocol.send_request_async("typehole/context",
                                                          _at_end(uri, edited))
    assert (first.hole.kind, first.hole.expected_type) == ("return", "str")
    assert (second.hole.kind, second.hole.expected_type) == ("return", "bytes")

"""Large and pathological documents: analysed in a window, never whole, and forgotten on close.

A document over `context.maxDocumentBytes` is not indexed, learned or warmed up; completions and
context in it see a window around the cursor; the user is told once per opening; completions in
other files are answered meanwhile. Bracket nesting deeper than Python allows is never parsed by
Jedi or queried with tree-sitter. Real code (httpx) is the material.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import parso.cache
import pytest
from lsp_client import inline, open_document, start_client, wait_for, wait_learned
from lsprotocol import types
from realproject import real_project

from typehole.base.limits import (
    ANALYSIS_WINDOW,
    LONG_LINE,
    MAX_NESTING,
    Unanalysable,
    analysis_window,
    bounded,
    check_nesting,
    nesting,
    utf8_over,
)
from typehole.base.positions import offset_at, position_at
from typehole.base.scan import WINDOW_CHARS, LexState
from typehole.context import jedistate
from typehole.context.holescan import scan_prefix
from typehole.context.index import Index
from typehole.context.scope import bindings_of
from typehole.context.settings import ContextSettings
from typehole.context.tags import extract_tags
from typehole.features.completion.pipeline import Pipeline, PipelineOptions
from typehole.features.completion.site import Site
from typehole.models.ngram_model import NgramModel

PARENS = "x = " + "(" * 100_000 + "\n"
HANG_GUARD_S = 240  # only against a hang: nothing here measures time


@pytest.fixture(scope="module")
def httpx_models() -> str:
    return (real_project("httpx", "0.28.1") / "httpx" / "_models.py").read_text("utf-8")


# -- the window ---------------------------------------------------------------------------------


def test_window_is_whole_lines_around_the_cursor(httpx_models: str) -> None:
    text = httpx_models * 8  # about 360 KB of real code
    offset = len(text) // 2
    window = analysis_window(text, offset, 20_000)
    assert window.start < offset < window.end
    assert window.end - window.start <= 20_000
    assert window.start == 0 or text[window.start - 1] == "\n"
    assert window.end == len(text) or text[window.end] == "\n"
    assert offset - window.start > window.end - offset  # most of it lies before the cursor
    part, at = window.of(text)
    assert part[at:at + 50] == text[offset:offset + 50]


def test_window_start_stays_put_while_the_user_types(httpx_models: str) -> None:
    text = httpx_models * 8
    offset = len(text) // 2
    first = analysis_window(text, offset, 20_000)
    typed = text[:offset] + "response.st" + text[offset:]
    later = analysis_window(typed, offset + len("response.st"), 20_000)
    assert later.start == first.start


def test_a_long_line_is_cut_around_the_cursor() -> None:
    line = "DATA = [" + ", ".join(repr(str(i)) for i in range(400_000)) + "]"
    offset = len(line) // 2
    window = analysis_window(line, offset, ANALYSIS_WINDOW)
    assert window.start <= offset <= window.end
    assert offset - window.start <= LONG_LINE and window.end - offset <= LONG_LINE
    # In a document under the size limit too: lexers run from the start of the cursor's line.
    text = "import json\n\n" + line[:200_000] + "\nx = 1\n"
    window = bounded(text, len(text) - 3, 1_000_000)  # in `x = 1`: a short line
    assert window is None
    window = bounded(text, 150_000, 1_000_000)
    assert window is not None and window.end - window.start <= 2 * LONG_LINE


def test_small_documents_are_not_windowed(httpx_models: str) -> None:
    assert bounded(httpx_models, 100, 1_000_000) is None
    window = bounded(httpx_models, len(httpx_models) - 1, 10_000)
    assert window is not None and window.end - window.start <= 10_000


def test_size_is_counted_in_utf8_bytes() -> None:
    text = "é" * 600  # 1,200 bytes
    assert utf8_over(text, 1_000) and not utf8_over(text, 1_200)
    assert not utf8_over("a" * 1_000, 1_000) and utf8_over("a" * 1_001, 1_000)


def test_pipeline_analyses_only_the_window(httpx_models: str) -> None:
    text = httpx_models * 4
    cut = text.index("        return self._content", len(text) // 2)
    offset = cut + len("        return self.")
    text = text[:offset] + text[offset + len("_content"):]  # typed up to the dot
    model = NgramModel()
    model.train("httpx/_models.py", httpx_models)
    options = PipelineOptions(context=ContextSettings(max_document_bytes=50_000))
    outcome = asyncio.run(Pipeline(model).run(
        Site(text, offset, "big.py", "python", "/tmp/large-window/big.py"), options))
    window = outcome.context["window"]
    assert window["start"] < offset < window["end"]
    assert window["end"] - window["start"] <= 50_000
    assert outcome.text  # and the model still completes there
    small = asyncio.run(Pipeline(model).run(
        Site(httpx_models, 10, "m.py", "python", "/tmp/large-window/m.py"), PipelineOptions()))
    assert "window" not in small.context


# -- nesting ------------------------------------------------------------------------------------


def test_nesting_is_measured_and_bounded(httpx_models: str) -> None:
    assert 0 < nesting(httpx_models) <= 10
    assert nesting(httpx_models.encode()) == nesting(httpx_models)
    check_nesting(httpx_models)
    assert nesting(PARENS) == 100_000
    with pytest.raises(Unanalysable, match="nested 100000 deep"):
        check_nesting(PARENS)
    check_nesting("f" + "(" * MAX_NESTING + ")" * MAX_NESTING)


def test_jedi_tags_and_scope_refuse_pathological_nesting() -> None:
    with pytest.raises(Unanalysable):
        jedistate.script(PARENS, "/tmp/large-parens/parens.py", None)
    assert list(jedistate.preload(PARENS, "/tmp/large-parens/parens.py", None)) == []
    tags = extract_tags(PARENS.encode(), "parens", "parens.py")
    assert tags.definitions == () and tags.imports == ()
    with pytest.raises(Unanalysable):
        bindings_of(PARENS.encode())


def test_lexical_state_counts_openers_past_pythons_limit() -> None:
    state = LexState.of_prefix(PARENS.rstrip("\n"))
    assert len(state.brackets) <= MAX_NESTING and state.closer_allowed(")")
    closed = LexState.of_prefix("f(" + "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5) + ", ")
    assert [b[0] for b in closed.brackets] == ["("] and not closed.closer_allowed("]")


def test_prefix_scans_stop_within_a_long_line() -> None:
    line = "x = " + ", ".join(repr(str(i)) for i in range(50_000))
    # (at most a string's length more: a scan that would begin inside one begins at its start)
    assert len(LexState.of_prefix(line).line) <= WINDOW_CHARS + len("'49999', ")
    assert (scan_prefix(line, len(line)).statement_start
            >= len(line) - WINDOW_CHARS - len("'49999', "))


def test_positions_on_a_megabyte_line_with_a_wide_character_at_its_end() -> None:
    line = "x = '" + "a" * 1_000_000 + "😀' + 'b'"
    end = len(line)
    assert position_at(line, end) == (0, end + 1)  # the emoji is two UTF-16 units
    assert offset_at(line, 0, end + 1) == end
    assert offset_at(line, 0, 500_000) == 500_000
    assert position_at(line, end, "utf-8") == (0, end + 3)
    assert offset_at(line, 0, end + 3, "utf-8") == end


# -- what is kept of a document -----------------------------------------------------------------


def test_forget_drops_what_is_kept_of_a_closed_document(tmp_path: Path) -> None:
    path = str(tmp_path / "closed.py")
    other = str(tmp_path / "open.py")
    jedistate.script("import os\nos.path\n", path, None).complete(2, 3)
    kept = jedistate.script("import os\nos.sep\n", other, None)
    kept.complete(2, 3)

    def parsed() -> set[str]:
        return {str(p) for by_path in parso.cache.parser_cache.values() for p in by_path}

    assert path in parsed() and other in parsed()
    jedistate.forget(path)
    assert path not in parsed() and other in parsed()
    assert all(key[0] != path for key in jedistate._LOCAL.scripts)
    assert jedistate.script("import os\nos.sep\n", other, None) is kept


def test_forget_can_drop_the_warm_state_a_document_was_inferred_in(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    path = str(tmp_path / "big.py")
    first = jedistate.script("import os\nos.\n", path, None)
    first.complete(2, 3)
    jedistate.forget(path, warm_state=True)
    again = jedistate.script("import os\nos.\n", path, None)
    assert again is not first and again._inference_state is not first._inference_state


def test_index_skips_large_text_and_forgets_closed_trees(tmp_path: Path,
                                                         httpx_models: str) -> None:
    (tmp_path / "small.py").write_text("x = 1\n")
    index = Index(tmp_path, tmp_path / ".cache", max_bytes=len(httpx_models) + 10)
    try:
        assert not index.update_file(tmp_path / "big.py", httpx_models * 2)
        assert index.definitions_in("big.py") == []
        assert index.update_file(tmp_path / "small.py", httpx_models)
        assert "small.py" in index._trees
        index.forget_tree(tmp_path / "small.py")
        assert "small.py" not in index._trees
        assert index.definitions_in("small.py")  # its rows stay
    finally:
        index.close()


# -- through the server -------------------------------------------------------------------------

SHAPES = "class Box:\n    def width(self) -> int:\n        return 1\n"
SMALL = "from shapes import Box\n\n" + "print(Box().width())\n" * 8 + "print(Box()."
LIMIT = 50_000  # httpx's _models.py is 44 KB: twice it crosses the limit, once it does not


def _told(client: object, name: str) -> list[str]:
    return [m.message for m in client.messages  # type: ignore[attr-defined]
            if name in m.message and "maxDocumentBytes" in m.message]


async def test_large_document_is_windowed_told_and_forgotten(tmp_path: Path,
                                                            httpx_models: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shapes'\n")
    (tmp_path / "shapes.py").write_text(SHAPES)
    small = tmp_path / "small.py"
    small.write_text(SMALL)
    big = tmp_path / "big.py"
    big.write_text("")  # the large text is the editor's own, so only the document holds it
    big_text = httpx_models * 2
    client, _ = await start_client(tmp_path, init_options={
        "context": {"maxDocumentBytes": LIMIT}})
    try:
        await wait_learned(client)
        small_uri = open_document(client, small)
        big_uri = open_document(client, big, big_text)
        await wait_for(lambda: len(_told(client, "big.py")) == 1, timeout=HANG_GUARD_S)
        assert f"over context.maxDocumentBytes ({LIMIT:,})" in _told(client, "big.py")[0]

        # Another file completes while the large one is open.
        line, column = SMALL.count("\n"), len(SMALL.rsplit("\n", 1)[-1])
        result = await asyncio.wait_for(inline(client, small_uri, line, column), HANG_GUARD_S)
        assert result is not None and result.items[0].insert_text.startswith("width")

        # In the large document, context and completions answer from the window...
        cut = big_text.index("        return self._content", len(big_text) // 2)
        at = position_at(big_text, cut + len("        return self."))
        params = {"textDocument": {"uri": big_uri},
                  "position": {"line": at[0], "character": at[1]}}
        context = await asyncio.wait_for(
            client.protocol.send_request_async("typehole/context", params), HANG_GUARD_S)
        assert context is not None and context.hole.kind == "dereference"
        await asyncio.wait_for(inline(client, big_uri, *at), HANG_GUARD_S)
        # ... and what would analyse it whole declines.
        actions = await asyncio.wait_for(client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(big_uri),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=[]))), HANG_GUARD_S)
        assert actions is None
        with pytest.raises(Exception, match="larger than 50,000 bytes"):
            await asyncio.wait_for(client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="typehole.docstring",
                                           arguments=[big_uri, 3])), HANG_GUARD_S)

        # Closing drops the server's record of it: the next opening is told again.
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            types.TextDocumentIdentifier(big_uri)))
        assert await client.protocol.send_request_async("typehole/context", params) is None
        open_document(client, big, big_text)
        await wait_for(lambda: len(_told(client, "big.py")) == 2, timeout=HANG_GUARD_S)

        # Shrunk under the limit, it is an ordinary document again: its docstring command runs.
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(2, big_uri),
            [types.TextDocumentContentChangeWholeDocument(httpx_models)]))
        await asyncio.wait_for(client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="typehole.docstring", arguments=[big_uri, 3])),
            HANG_GUARD_S)
        assert len(_told(client, "big.py")) == 2
    finally:
        await client.shutdown_session()

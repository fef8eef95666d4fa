"""typehole/context, the ChatLSP methods and `typehole context` on a real project (httpx)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lsp_client import open_document, session, wait_learned


def _return_hole(project: Path) -> tuple[Path, str, int, int]:
    """httpx/_client.py with line 1034 (`return response` in a `-> Response` method) cut."""
    path = project / "httpx" / "_client.py"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[1033] == "        return response"
    lines[1033] = "        return "
    return path, "\n".join(lines), 1033, len(lines[1033])


async def test_chatlsp_methods(httpx_project: Path) -> None:
    path, text, line, character = _return_hole(httpx_project)
    async with session(httpx_project) as (client, _):
        await wait_learned(client)
        uri = open_document(client, path, text)
        params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        expected = await client.protocol.send_request_async("textDocument/expectedType", params)
        types_ = await client.protocol.send_request_async("textDocument/relevantTypes", params)
        context = await client.protocol.send_request_async(
            "typehole/context", {**params, "budget": 2000}
        )
    assert expected.content == "Response"
    assert any(c.startswith("class Response") for c in types_.contents)
    models = next(
        loc
        for c, loc in zip(types_.contents, types_.locations, strict=True)
        if c.startswith("class Response")
    )
    assert models.uri.endswith("httpx/_models.py")
    assert context.hole.kind == "return"
    assert context.tokens <= 2000
    assert "class Response" in context.prompt


def test_context_cli_matches_contract(httpx_project: Path) -> None:
    path, text, line, character = _return_hole(httpx_project)
    path.write_text(text, encoding="utf-8")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "typehole",
            "context",
            f"{path}:{line + 1}:{character + 1}",
            "--budget",
            "512",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout)
    assert set(result) >= {
        "hole",
        "relevant_types",
        "relevant_headers",
        "snippets",
        "prompt",
        "tokens",
        "timings_ms",
    }
    assert result["hole"] == {"kind": "return", "expected_type": "Response"}
    assert result["tokens"] <= 512
    assert {"name", "path", "line", "text"} <= set(result["relevant_types"][0])


async def test_context_request_leaves_out_what_its_deadline_cannot_fit(httpx_project: Path) -> None:
    # An editor's `typehole/context` is bounded by `context.deadlineMs`: with Jedi as the
    # type engine the unannotated locals in scope stay untyped (Jedi's inference of them does
    # not fit a deadline) and the answer says so; what is declared is still there. A deadline
    # long enough for the rest on a busy machine (a hole's share spent before the names in
    # scope leaves them out altogether).
    path, text, line, character = _return_hole(httpx_project)
    options = {"context": {"typeOracle": "jedi", "deadlineMs": 30000}}
    async with session(httpx_project, options) as (client, _):
        await wait_learned(client)
        uri = open_document(client, path, text)
        context = await client.protocol.send_request_async("typehole/context", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
    assert (context.hole.kind, context.hole.expected_type) == ("return", "Response")
    assert "left untyped" in context.skipped.hole


async def test_first_request_in_a_file_just_opened_holds_the_import_the_next_line_uses(
        httpx_project: Path) -> None:
    # The cursor at the start of `if to_str(k.lower()) in SENSITIVE_HEADERS:` in httpx's
    # `_models.py`, the text before it opened as a new document, as an editor's first request
    # there: `to_str` is used nowhere in the lines before, but the file used it last among its
    # imports; its definition is in the 1,024 tokens, above similar code but the best window.
    path = httpx_project / "httpx" / "_models.py"
    full = path.read_text(encoding="utf-8")
    line_text = "        if to_str(k.lower()) in SENSITIVE_HEADERS:\n"
    cut = full.index(line_text) + len("        ")
    text = full[:cut]
    async with session(httpx_project, {"context": {"typeOracle": "jedi"}}) as (client, _):
        await wait_learned(client)
        uri = open_document(client, path, text)
        lines = text.split("\n")
        context = await client.protocol.send_request_async("typehole/context", {
            "textDocument": {"uri": uri}, "budget": 1024,
            "position": {"line": len(lines) - 1, "character": len(lines[-1])}})
    utils = (httpx_project / "httpx" / "_utils.py").read_text(encoding="utf-8").split("\n")
    defined = next(i for i, line in enumerate(utils, 1) if line.startswith("def to_str("))
    assert context.tokens <= 1024
    assert any(s.path == "httpx/_utils.py" and s.start_line <= defined <= s.end_line
               for s in context.snippets)
    assert "def to_str(" in context.prompt

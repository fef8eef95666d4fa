"""Doc comments: "Generate/Update docstring" code actions, a command, and drift diagnostics.

Drift is served as *pull* diagnostics (`textDocument/diagnostic`, LSP 3.17): pygls registers it
with `DiagnosticOptions` and the client asks when it wants them, so no document-event handler
(owned by `documents.py`) is needed and a stale document never gets pushed results.
Code actions carry the skeleton edit directly; with an HTTP model configured they carry the
`typehole.docstring` command instead, which asks the model for prose and applies the edit with
`workspace/applyEdit`. Analysis runs on the analysis thread; results for an old version are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from typehole.base.positions import lsp_encoding, offset_at, position_at
from typehole.features.docstrings import (
    STYLES,
    DocEdit,
    Prose,
    Target,
    all_drift,
    comment_edit,
    comment_language,
    detect_project_style,
    docstring_edit,
    existing_style,
    find_target,
    write_prose,
)
from typehole.models.errors import ModelError
from typehole.server.app import TypeholeServer
from typehole.server.apply_edit import apply_edit
from typehole.server.features import code_actions as code_action_registry
from typehole.server.features import diagnostics as diagnostic_registry
from typehole.server.features import inline_completion
from typehole.server.features.documents import is_large, refuse_large, refuse_secret

__all__ = [
    "COMMAND", "DRIFT_CODE", "code_actions", "docstring_inline", "drift_diagnostics",
    "inline_skeleton", "register", "run_command",
]

log = logging.getLogger(__name__)

COMMAND = "typehole.docstring"
SOURCE = "typehole"
DRIFT_CODE = "docstring-drift"
_project_styles: dict[Path | None, str] = {}


def register(server: TypeholeServer) -> None:
    """Register code actions, the command and pull diagnostics for docstrings."""

    code_action_registry.provide(server, code_actions)

    @server.command(COMMAND)
    async def docstring_command(ls: TypeholeServer, *args: Any) -> dict[str, Any] | None:
        return await run_command(ls, list(args))

    diagnostic_registry.provide(server, drift_diagnostics)
    inline_completion.provide(server, docstring_inline)


def _encoding(ls: TypeholeServer) -> str:
    return lsp_encoding(ls.workspace.position_encoding)


def _range(text: str, start: int, end: int, encoding: str) -> types.Range:
    s, e = position_at(text, start, encoding), position_at(text, end, encoding)
    return types.Range(types.Position(*s), types.Position(*e))


async def _off_loop(ls: TypeholeServer, fn: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(ls.state.analysis, fn, *args)


def _style_for(ls: TypeholeServer, text: str) -> str:
    """Style for new docstrings: this file's, else the project's (scanned once per root)."""
    root = ls.state.root
    if root not in _project_styles:
        _project_styles[root] = detect_project_style(root)
    return detect_project_style(None, text, fallback=_project_styles[root])


def _plan(
    ls: TypeholeServer, text: str, line: int, style: str | None
) -> tuple[Target | None, DocEdit | None, str]:
    target = find_target(text, line)
    if target is None:
        return None, None, ""
    style = style or existing_style(target) or _style_for(ls, text)
    return target, docstring_edit(text, line, style, target=target), style


def _writes_no_prose(ls: TypeholeServer) -> bool:
    """True when the configured model cannot write docstring prose (the n-gram model)."""
    hub = ls.state.hub
    if hub is None:
        return True
    try:
        backend, _ = hub.backend(ls.state.settings)
    except ModelError:
        return True
    return "prose" not in backend.capabilities


def _workspace_edit(uri: str, text: str, edit: DocEdit, encoding: str) -> types.WorkspaceEdit:
    change = types.TextEdit(
        range=_range(text, edit.start, edit.end, encoding), new_text=edit.new_text
    )
    return types.WorkspaceEdit(changes={uri: [change]})


async def code_actions(
    ls: TypeholeServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    """ "Generate docstring" / "Update docstring" for the definition at the range's start."""
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(uri)
    if document is not None and (language := comment_language(uri)) is not None:
        return await _comment_actions(ls, uri, document, params.range.start.line, language)
    if document is None or not uri.endswith((".py", ".pyi")):
        return None
    version, text = document.version, document.source
    line = params.range.start.line
    target, edit, style = await _off_loop(ls, _plan, ls, text, line, None)
    current = ls.workspace.text_documents.get(uri)
    if edit is None or target is None or current is None or current.version != version:
        return None
    updating = target.docstring is not None
    title = "Update docstring" if updating else "Generate docstring"
    ours = [d for d in params.context.diagnostics if d.code == DRIFT_CODE]
    action = types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix if updating else types.CodeActionKind.RefactorRewrite,
        diagnostics=ours or None,
        is_preferred=bool(ours) or None,
    )
    if _writes_no_prose(ls) or updating:
        # Updates keep the human text and add placeholders: no model needed for those.
        action.edit = _workspace_edit(uri, text, edit, _encoding(ls))
    else:
        action.command = types.Command(title=title, command=COMMAND, arguments=[uri, line, style])
    return [action]


async def _comment_actions(
    ls: TypeholeServer, uri: str, document: Any, line: int, language: str
) -> list[types.CodeAction] | None:
    """JSDoc/TSDoc, Javadoc or Rust `///` skeleton for the definition at `line`."""
    version, text = document.version, document.source
    edit = await _off_loop(ls, comment_edit, text, line, language)
    current = ls.workspace.text_documents.get(uri)
    if edit is None or current is None or current.version != version:
        return None
    title = "Update docstring" if edit.end > edit.start else "Generate docstring"
    return [types.CodeAction(
        title=title, kind=types.CodeActionKind.RefactorRewrite,
        edit=_workspace_edit(uri, text, edit, _encoding(ls)))]


async def run_command(ls: TypeholeServer, args: list[Any]) -> dict[str, Any] | None:
    """`typehole.docstring [uri, line, style?]`: document the definition and apply the edit.

    Returns `{"docstring", "edit": {"range", "newText"}, "applied"}` (also for keybindings that
    want it); `applied` is false when the editor did not apply the edit (the user is told why).
    A secret-looking document gets a RequestFailed error: nothing is sent, nothing inserted.
    """
    if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], int):
        ls.tell(types.MessageType.Error, "typehole.docstring expects [uri, line, style?]")
        return None
    uri, line = args[0], args[1]
    style = args[2] if len(args) > 2 and args[2] in STYLES else None
    refuse_secret(ls, uri, "write a docstring for")
    refuse_large(ls, uri, "write a docstring for")
    document = ls.workspace.text_documents.get(uri)
    if document is None:
        return None
    version, text = document.version, document.source
    if (language := comment_language(uri)) is not None:
        edit = await _off_loop(ls, comment_edit, text, line, language)
        if edit is None:
            return None
        return await _apply(ls, uri, version, text, edit)
    target, edit, style = await _off_loop(ls, _plan, ls, text, line, style)
    if target is None or edit is None:
        return None
    if target.docstring is None and not _writes_no_prose(ls):
        prose = await _prose(ls, text, target)
        if prose is not None:
            edit = docstring_edit(text, line, style, prose, target) or edit
    return await _apply(ls, uri, version, text, edit)


async def _apply(
    ls: TypeholeServer, uri: str, version: int, text: str, edit: DocEdit
) -> dict[str, Any] | None:
    current = ls.workspace.text_documents.get(uri)
    if current is None or current.version != version:
        return None
    workspace_edit = _workspace_edit(uri, text, edit, _encoding(ls))
    applied = await apply_edit(ls, workspace_edit, "typehole: docstring")
    change = workspace_edit.changes[uri][0]  # type: ignore[index]
    return {
        "docstring": edit.docstring,
        "edit": {
            "range": _range_json(change.range),
            "newText": edit.new_text,
        },
        "applied": applied,
    }


def _range_json(r: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


async def _prose(ls: TypeholeServer, text: str, target: Target) -> Prose | None:
    hub = ls.state.hub
    if hub is None:
        return None
    try:
        backend, _ = hub.backend(ls.state.settings)
        return await write_prose(backend, text, target)
    except ModelError as exc:
        ls.tell(types.MessageType.Warning, f"typehole: model error: {exc}", once=True)
        return None


async def drift_diagnostics(ls: TypeholeServer, uri: str) -> list[types.Diagnostic] | None:
    """One warning per drifted docstring, on the docstring, listing what disagrees."""
    document = ls.workspace.text_documents.get(uri)
    if document is None or not uri.endswith((".py", ".pyi")):
        return None
    text = document.source
    found = await _off_loop(ls, all_drift, text)
    encoding = _encoding(ls)
    items = []
    for target, drifts in found:
        literal = target.docstring
        items.append(
            types.Diagnostic(
                range=_range(text, literal.start, literal.end, encoding),
                message="Docstring out of date: " + "; ".join(d.message for d in drifts),
                severity=types.DiagnosticSeverity.Warning,
                source=SOURCE,
                code=DRIFT_CODE,
                data={"line": target.header_line},
            )
        )
    return items


def inline_skeleton(text: str, line: int, column: int, style: str) -> tuple[str, int] | None:
    """The rest of a docstring after an opening `\"\"\"` typed at (`line`, `column`).

    Only when the quotes start the first body line of a def/class without a docstring; returns
    the text to insert and the code-point offset where the line's remainder ends (an editor's
    auto-inserted closing quotes are replaced). Positions are 0-based, columns in code points.
    """
    lines = text.split("\n")
    if line <= 0 or line >= len(lines):
        return None
    current = lines[line].rstrip("\r")
    before, after = current[:column], current[column:]
    quote = before.strip()
    if quote not in ('"""', "'''") or after.strip() not in ("", quote):
        return None
    indent = before[: len(before) - len(before.lstrip())]
    probe = "\n".join([*lines[:line], indent + "pass", *lines[line + 1 :]])
    target = find_target(probe, line - 1)
    line_start = sum(len(x) + 1 for x in lines[:line])
    if target is None or target.facts.kind == "module" or target.docstring is not None \
            or target.insert_at != line_start or target.indent != indent:
        return None
    edit = docstring_edit(probe, line - 1, style, target=target)
    if edit is None or not edit.new_text.startswith(indent + '"""'):
        return None
    rest = edit.new_text[len(indent) + 3 :].rstrip("\r\n")
    if quote != '"""':
        rest = rest.replace('"""', quote)
    return rest, line_start + len(current)


async def docstring_inline(
    ls: TypeholeServer, params: types.InlineCompletionParams
) -> list[types.InlineCompletionItem] | None:
    """Inline completion: the docstring skeleton right after `\"\"\"` on a def's first body line.

    It runs before every Python completion, so it looks at the cursor's line first and parses
    only after an opening `\"\"\"`, on a worker thread (tree-sitter only: no turn on the
    analysis thread, where Jedi work for other documents may be queued).
    """
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(uri)
    if document is None or not uri.endswith((".py", ".pyi")) or is_large(ls, uri):
        return None
    version, text = document.version, document.source
    encoding = _encoding(ls)
    position = params.position
    offset = offset_at(text, position.line, position.character, encoding)
    line_start = text.rfind("\n", 0, offset) + 1
    if not _opens_docstring(text, line_start, offset):
        return None
    found = await asyncio.to_thread(
        _inline_plan, ls, text, position.line, offset - line_start)
    current = ls.workspace.text_documents.get(uri)
    if found is None or current is None or current.version != version:
        return None
    rest, end = found
    return [types.InlineCompletionItem(
        insert_text=rest,
        range=types.Range(position, types.Position(*position_at(text, end, encoding))),
    )]


def _opens_docstring(text: str, line_start: int, offset: int) -> bool:
    """Whether the cursor's line is an opening `\"\"\"` (or `'''`) and the cursor right after it,
    as `inline_skeleton` requires (checked without parsing)."""
    line_end = text.find("\n", offset)
    before = text[line_start:offset].strip()
    after = text[offset:len(text) if line_end < 0 else line_end].strip()
    return before in ('"""', "'''") and after in ("", before)


def _inline_plan(ls: TypeholeServer, text: str, line: int, column: int) -> Any:
    return inline_skeleton(text, line, column, _style_for(ls, text))

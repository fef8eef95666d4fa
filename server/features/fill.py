""" "Fill this hole": a code action and the `typehole.fill` command, with diagnostics for errors
left in what was inserted.

The code action is cheap (hole detection only) and carries the command; the command runs the
fill (`context.fill.fill`: typed context, generation under monitors, static checks, error
rounds) with `$/progress`, applies the edit with `workspace/applyEdit` and returns the result.
Errors the rounds could not fix are kept per document and served as pull diagnostics on the
inserted code for as long as that code is still there.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from lsprotocol import converters, types
from pygls.uris import to_fs_path

from typehole.base.positions import lsp_encoding, position_at
from typehole.features.fill import CheckOptions, FillOptions, Finding, fill, find_hole, result_json
from typehole.models.errors import ModelError
from typehole.server.app import TypeholeServer
from typehole.server.apply_edit import apply_edit
from typehole.server.features import code_actions, diagnostics
from typehole.server.features.documents import (
    document_name,
    learnable,
    refuse_large,
    refuse_secret,
)
from typehole.server.progress import work_done

__all__ = ["COMMAND", "DIAGNOSTIC_CODE", "register", "run_command"]

log = logging.getLogger(__name__)

COMMAND = "typehole.fill"
TITLE = "Fill this hole"
SOURCE = "typehole.fill"
DIAGNOSTIC_CODE = "fill-error"


@dataclass(frozen=True)
class _Inserted:
    """A fill applied to a document: where its candidate went, and what is still wrong in it."""

    candidate: str
    start: int  # offset of the candidate in the document right after the edit
    findings: tuple[Finding, ...]


_remaining: dict[str, list[_Inserted]] = {}


def register(server: TypeholeServer) -> None:
    """Add the code action and diagnostics providers and the `typehole.fill` command."""
    code_actions.provide(server, fill_actions)
    diagnostics.provide(server, fill_diagnostics)

    @server.command(COMMAND)
    async def fill_command(ls: TypeholeServer, *args: Any) -> dict[str, Any] | None:
        return await run_command(ls, list(args))


def _encoding(ls: TypeholeServer) -> str:
    return lsp_encoding(ls.workspace.position_encoding)


def _range(text: str, start: int, end: int, encoding: str) -> types.Range:
    s, e = position_at(text, start, encoding), position_at(text, end, encoding)
    return types.Range(types.Position(*s), types.Position(*e))


async def _off_loop(ls: TypeholeServer, fn: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(ls.state.analysis, fn, *args)


async def fill_actions(
    ls: TypeholeServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    """ "Fill this hole" when the range starts on a hole (stub body, placeholder, TODO line)."""
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(uri)
    if document is None or not uri.endswith(".py") or not learnable(ls, uri):
        return None  # .pyi stubs are declarations; secrets never go to a model
    line = params.range.start.line
    # tree-sitter only, and thread-safe: no turn on the Jedi thread needed.
    placeholders = ls.state.settings.fill.placeholders
    hole = await asyncio.to_thread(find_hole, document.source, line, placeholders)
    if hole is None:
        return None
    command = types.Command(title=TITLE, command=COMMAND, arguments=[uri, line])
    return [
        types.CodeAction(title=TITLE, kind=types.CodeActionKind.RefactorRewrite, command=command)
    ]


def _options(ls: TypeholeServer, uri: str, extra: dict[str, Any]) -> FillOptions:
    """The `fill` settings, overridden by the command's own options."""
    settings = ls.state.settings
    path = to_fs_path(uri)
    engine = ls.state.engine
    checker = extra.get("typeChecker")
    check = CheckOptions(
        path=path,
        root=str(ls.state.root) if ls.state.root else None,
        project=engine.project if engine is not None else None,
        type_checker=checker
        if checker in ("auto", "mypy", "pyright", "none")
        else settings.fill.type_checker,
    )
    rounds = extra.get("rounds")
    ok = isinstance(rounds, int) and not isinstance(rounds, bool) and rounds >= 0
    return FillOptions(
        rounds=rounds if ok else settings.fill.rounds,  # type: ignore[arg-type]
        monitors=settings.monitors if extra.get("monitors", True) is not False else None,
        check=check,
    )


async def run_command(ls: TypeholeServer, args: list[Any]) -> dict[str, Any] | None:
    """`typehole.fill [uri, line, {rounds?, model?, typeChecker?, apply?}]`.

    Fills the hole at 0-based `line`, applies the edit (unless `apply` is false) and returns
    the CLI's JSON result plus `workspaceEdit` and `applied` (false also when the editor did not
    apply it; the user is told why). None when there is nothing to fill, the model
    failed (the user is told), or the document changed meanwhile.
    """
    if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], int):
        ls.tell(types.MessageType.Error, f"{COMMAND} expects [uri, line, options?]")
        return None
    uri, line = args[0], args[1]
    extra = args[2] if len(args) > 2 and isinstance(args[2], dict) else {}
    refuse_secret(ls, uri, "fill a hole in")
    refuse_large(ls, uri, "fill a hole in")
    document = ls.workspace.text_documents.get(uri)
    hub = ls.state.hub
    if document is None or hub is None or not learnable(ls, uri):
        return None
    version, text = document.version, document.source
    hole = await asyncio.to_thread(find_hole, text, line, ls.state.settings.fill.placeholders)
    if hole is None:
        ls.tell(types.MessageType.Info, f"typehole: no hole to fill at line {line + 1}")
        return None
    options = _options(ls, uri, extra)
    try:
        backend, _ = hub.backend(ls.state.settings, extra.get("model"))
        async with work_done(ls, "typehole: filling hole") as report:
            total = options.rounds + 1
            result = await fill(
                text,
                hole,
                backend,
                analysis=ls.state.analysis,
                engine=ls.state.engine,
                rel_path=document_name(ls, uri),
                options=options,
                on_round=lambda n: report(n, total),
            )
    except ModelError as exc:
        ls.tell(types.MessageType.Warning, f"typehole: model error: {exc}")
        return None
    for note in result.notes:
        ls.tell(types.MessageType.Info, f"typehole: {note}", once=True)
    current = ls.workspace.text_documents.get(uri)
    if current is None or current.version != version:
        ls.tell(
            types.MessageType.Info,
            "typehole: the document changed while filling; run Fill this hole again",
        )
        return None
    out = result_json(text, result)
    out["applied"] = False
    if result.new_text is None or result.best is None:
        ls.tell(types.MessageType.Warning, "typehole: the model wrote no usable fill")
        return out
    encoding = _encoding(ls)
    change = types.TextEdit(
        range=_range(text, hole.start, hole.end, encoding), new_text=result.new_text
    )
    workspace_edit = types.WorkspaceEdit(changes={uri: [change]})
    out["workspaceEdit"] = converters.get_converter().unstructure(workspace_edit)
    if extra.get("apply", True):
        _remember(uri, text, hole.start + len(hole.lead), result.best.text, result.best.findings)
        out["applied"] = await apply_edit(ls, workspace_edit, "typehole: fill hole")
        if not out["applied"]:  # nothing was inserted: no findings to show on it
            _remaining[uri] = [e for e in _remaining.get(uri, [])
                               if e.candidate != result.best.text]
    return out


def _remember(
    uri: str, text: str, start: int, candidate: str, findings: tuple[Finding, ...]
) -> None:
    entries = [e for e in _remaining.get(uri, []) if e.candidate != candidate]
    if findings:
        entries.append(_Inserted(candidate=candidate, start=start, findings=findings))
    _remaining[uri] = entries


def _locate(text: str, entry: _Inserted) -> int | None:
    """Where the inserted candidate is now: its old offset, else its only occurrence."""
    if text.startswith(entry.candidate, entry.start):
        return entry.start
    first = text.find(entry.candidate)
    if first >= 0 and text.find(entry.candidate, first + 1) < 0:
        return first
    return None


async def fill_diagnostics(ls: TypeholeServer, uri: str) -> list[types.Diagnostic] | None:
    """Errors left in inserted fills, on the inserted code (dropped once that code is gone)."""
    entries = _remaining.get(uri)
    document = ls.workspace.text_documents.get(uri)
    if not entries or document is None:
        return None
    text, encoding = document.source, _encoding(ls)
    items: list[types.Diagnostic] = []
    kept: list[_Inserted] = []
    for entry in entries:
        base = _locate(text, entry)
        if base is None:
            continue
        kept.append(entry)
        for f in entry.findings:
            end = max(f.end, min(f.start + 1, len(entry.candidate)))
            items.append(
                types.Diagnostic(
                    range=_range(text, base + f.start, base + end, encoding),
                    message=f"{f.message} (left by Fill this hole)",
                    severity=types.DiagnosticSeverity.Error,
                    source=SOURCE,
                    code=f"{f.source}:{f.code}",
                )
            )
    _remaining[uri] = kept
    return items

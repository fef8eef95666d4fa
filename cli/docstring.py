"""`typehole docstring FILE:LINE`: the docstring the editor's code action would write.

JSON: `{"docstring", "edit": {"range", "new_text"}}` with an LSP range (0-based lines, UTF-16);
`{"docstring": null, "edit": null, "reason"}` when there is nothing to do. With an HTTP model
configured (or `--model`), the model writes the prose of a new docstring; with the embedded
model the skeleton keeps its placeholders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from typehole.app.hub import ModelHub
from typehole.app.settings import Settings
from typehole.base.positions import position_at
from typehole.cli import (
    UsageError,
    find_root,
    load_document,
    load_settings,
    parse_location,
)
from typehole.features.docstrings import (
    STYLES,
    Prose,
    comment_edit,
    comment_language,
    detect_project_style,
    docstring_edit,
    existing_style,
    find_target,
    write_prose,
)
from typehole.models.errors import ModelError


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("docstring", help="document the def/class at FILE:LINE")
    parser.add_argument("location", metavar="FILE:LINE")
    parser.add_argument(
        "--style",
        choices=STYLES,
        default=None,
        help="docstring style (default: the file's, else the project's)",
    )
    parser.add_argument("--model", default=None, help="model name (default: the configured one)")
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the docstring (or the JSON result) for the definition at the location."""
    path, line, _ = parse_location(args.location, with_column=False)
    text = load_document(path)
    path = path.resolve()
    root = find_root(path)
    settings = load_settings(root)
    language = comment_language(str(path))
    if language is not None:  # JSDoc/TSDoc, Javadoc, Rust `///`: skeletons from the signature
        return _print(args, _comment_result(text, line, language))
    target = find_target(text, line - 1)
    if target is None:
        result: dict[str, Any] = {
            "docstring": None,
            "edit": None,
            "reason": f"no def, class or module docstring at line {line}",
        }
    else:
        style = args.style or existing_style(target) or detect_project_style(root, text)
        prose = None
        if target.docstring is None:
            try:
                prose = asyncio.run(_prose(settings, args.model, text, target))
            except ModelError as exc:
                raise UsageError(str(exc)) from exc
        edit = docstring_edit(text, line - 1, style, prose, target)
        result = {"docstring": None, "edit": None, "reason": "the docstring is up to date"}
        if edit is not None:
            start = dict(zip(("line", "character"), position_at(text, edit.start), strict=True))
            end = dict(zip(("line", "character"), position_at(text, edit.end), strict=True))
            result = {
                "docstring": edit.docstring,
                "style": style,
                "edit": {"range": {"start": start, "end": end}, "new_text": edit.new_text},
            }
    return _print(args, result)


def _comment_result(text: str, line: int, language: str) -> dict[str, Any]:
    edit = comment_edit(text, line - 1, language)
    if edit is None:
        return {"docstring": None, "edit": None,
                "reason": f"no documentable definition at line {line}, or its doc comment "
                          "is up to date"}
    start = dict(zip(("line", "character"), position_at(text, edit.start), strict=True))
    end = dict(zip(("line", "character"), position_at(text, edit.end), strict=True))
    return {"docstring": edit.docstring, "style": language,
            "edit": {"range": {"start": start, "end": end}, "new_text": edit.new_text}}


def _print(args: argparse.Namespace, result: dict[str, Any]) -> int:
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    elif result["docstring"] is not None:
        print(result["docstring"])
    else:
        print(f"typehole: {result['reason']}", file=sys.stderr)
    return 0


async def _prose(settings: Settings, model: str | None, text: str, target: Any) -> Prose | None:
    """Model prose for a new docstring; None when the model writes no prose (the n-gram model)."""
    hub = ModelHub()
    try:
        backend, _ = hub.backend(settings, model)
        if "prose" not in backend.capabilities:
            return None
        return await write_prose(backend, text, target)
    finally:
        await hub.aclose()

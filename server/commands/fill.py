"""`typehole fill FILE:LINE`: fill the hole at LINE the way the editor's "Fill this hole" does.

JSON: `{"edit": {"range", "new_text"} | null, "rounds", "remaining_errors": [...],
"candidates": [{"text", "round", "logprob", "errors"}], "notes": [...]}`; the range is an LSP
range (0-based lines, UTF-16 characters); positions in errors are 1-based within the candidate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from typehole.context.fill import CheckOptions, FillOptions, FillResult, fill, find_hole
from typehole.context.positions import position_at
from typehole.models.errors import ModelError
from typehole.models.lexer import count_tokens
from typehole.models.local import LocalModel
from typehole.models.window import estimate_tokens
from typehole.server.backends import ModelHub
from typehole.server.commands import (
    UsageError,
    find_root,
    load_document,
    load_settings,
    parse_location,
)
from typehole.server.commands.complete import learn_workspace, open_engine
from typehole.server.config import Settings
from typehole.server.training import relative_name


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("fill", help="fill the hole (stub body, `...`, TODO) at FILE:LINE")
    parser.add_argument("location", metavar="FILE:LINE")
    parser.add_argument(
        "--rounds", type=int, default=None, help="error rounds (default: setting `fill.rounds`)"
    )
    parser.add_argument("--model", default=None, help="model name (default: the configured one)")
    parser.add_argument(
        "--type-checker",
        default=None,
        choices=["auto", "mypy", "pyright", "none"],
        help="type checker on the patched file (default: the `fill.typeChecker` setting, auto)",
    )
    parser.add_argument("--no-monitors", action="store_true", help="decode without monitors")
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    parser.set_defaults(run=run)


def result_json(text: str, result: FillResult | None) -> dict[str, Any]:
    """The JSON shape shared by the CLI and the server's command."""
    if result is None:
        return {
            "edit": None,
            "rounds": 0,
            "remaining_errors": [],
            "candidates": [],
            "notes": ["no hole to fill at this line"],
        }
    edit = None
    if result.new_text is not None:
        start = dict(zip(("line", "character"), position_at(text, result.hole.start), strict=True))
        end = dict(zip(("line", "character"), position_at(text, result.hole.end), strict=True))
        edit = {"range": {"start": start, "end": end}, "new_text": result.new_text}
    remaining = [f.to_json() for f in result.best.findings] if result.best else []
    return {
        "edit": edit,
        "kind": result.hole.kind,
        "rounds": result.rounds,
        "remaining_errors": remaining,
        "candidates": [c.to_json() for c in result.candidates],
        "notes": list(result.notes),
    }


def run(args: argparse.Namespace) -> int:
    """Print the filled text (or the JSON result) for the hole at the location."""
    path, line, _ = parse_location(args.location, with_column=False)
    if args.rounds is not None and args.rounds < 0:
        raise UsageError(f"--rounds must be 0 or more, got {args.rounds}")
    text = load_document(path)
    path = path.resolve()
    root = find_root(path)
    settings = load_settings(root)
    hole = find_hole(text, line - 1, settings.fill.placeholders)
    result = None
    if hole is not None:
        options = FillOptions(
            rounds=settings.fill.rounds if args.rounds is None else args.rounds,
            monitors=settings.monitors.enabled and not args.no_monitors,
            check=CheckOptions(
                path=str(path),
                root=str(root or path.parent),
                type_checker=args.type_checker or settings.fill.type_checker,
            ),
        )
        try:
            result = asyncio.run(_fill(path, text, hole, root, settings, args.model, options))
        except ModelError as exc:
            raise UsageError(str(exc)) from exc
    out = result_json(text, result)
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    for note in out["notes"]:
        print(f"typehole: {note}", file=sys.stderr)
    if out["edit"] is not None:
        print(out["edit"]["new_text"].lstrip("\n"))
    for error in out["remaining_errors"]:
        print(
            f"typehole: remaining error: line {error['line']}, col {error['column']}: "
            f"{error['message']}",
            file=sys.stderr,
        )
    return 0


async def _fill(
    path: Path,
    text: str,
    hole: Any,
    root: Path | None,
    settings: Settings,
    model: str | None,
    options: FillOptions,
) -> FillResult:
    local = LocalModel(order=settings.local.order)
    hub = ModelHub(local)
    name = relative_name(root, path)
    engine = open_engine(root, settings)
    try:
        backend, _ = hub.backend(settings, model)
        if backend is local:
            learn_workspace(local, root, settings, skip=name)
            local.train(name, text)
        counter = count_tokens if backend is local else estimate_tokens
        return await fill(
            text, hole, backend, engine=engine, rel_path=name, count_tokens=counter, options=options
        )
    finally:
        await hub.aclose()
        if engine is not None:
            engine.close()

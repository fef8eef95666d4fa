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

from typehole.app.hub import ModelHub
from typehole.app.settings import Settings
from typehole.app.training import relative_name
from typehole.cli import (
    UsageError,
    find_root,
    load_document,
    load_settings,
    open_model,
    parse_location,
)
from typehole.cli.complete import open_engine
from typehole.features.fill import (
    CheckOptions,
    FillOptions,
    FillResult,
    fill,
    find_hole,
    result_json,
)
from typehole.models.errors import ModelError


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
            monitors=None if args.no_monitors else settings.monitors,
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
    hub = ModelHub()
    name = relative_name(root, path)
    engine = open_engine(root, settings)
    try:
        backend, _ = await open_model(hub, settings, model, root, path, text)
        return await fill(text, hole, backend, engine=engine, rel_path=name, options=options)
    finally:
        await hub.aclose()
        if engine is not None:
            engine.close()

"""`typehole context FILE:LINE:COL`: what the model would be shown at a cursor, and why."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from typehole.app.training import relative_name
from typehole.base.lexer import count_tokens
from typehole.base.positions import offset_from_cli
from typehole.cli import (
    UsageError,
    find_root,
    load_document,
    load_settings,
    parse_location,
    type_oracle,
    wait_for_oracle,
)
from typehole.cli.complete import open_engine


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("context", help="show the context gathered at FILE:LINE:COL")
    parser.add_argument("location", metavar="FILE:LINE:COL")
    parser.add_argument("--budget", type=int, default=None, help="token budget for the context")
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the assembled context (or the JSON result)."""
    path, line, column = parse_location(args.location)
    text = load_document(path)
    path = path.resolve()
    result = gather_at(path, text, line, column, args.budget)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        hole = result["hole"]
        print(f"# hole: {hole['kind']}, expected type: {hole['expected_type'] or 'unknown'}")
        print(f"# {result['tokens']} tokens")
        print(result["prompt"])
    return 0


def gather_at(
    path: Path, text: str, line: int, column: int, budget: int | None = None
) -> dict[str, Any]:
    """The `typehole context --json` result for 1-based LINE:COL in `text` (the file at `path`)."""
    root = find_root(path) or path.parent
    settings = load_settings(root)
    if budget is None:
        budget = int(settings.completion.prompt_budget * settings.context.share)
    if budget <= 0:
        raise UsageError(f"--budget must be positive, got {budget}")
    with type_oracle(root, settings) as ty:
        # The command is asked for context explicitly, so it gathers it even if completion
        # doesn't.
        engine = open_engine(root, settings, force=True)
        assert engine is not None
        try:
            wait_for_oracle(ty)
            result = engine.gather(
                text,
                offset_from_cli(text, line, column),
                relative_name(root, path),
                budget,
                count_tokens,
            )
        finally:
            engine.close()
    return result.to_json()

"""`typehole complete FILE:LINE:COL`: the inline-completion pipeline without an editor.

It runs exactly what the server runs for `textDocument/inlineCompletion`: the same settings, the
same model hub and the same pipeline; only the document comes from disk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import attrs

from typehole.app import workspace
from typehole.app.hub import ModelHub, pipeline_options
from typehole.app.settings import Settings
from typehole.app.training import relative_name
from typehole.base.positions import offset_from_cli, position_at
from typehole.cli import (
    UsageError,
    find_root,
    load_document,
    load_settings,
    open_model,
    type_oracle,
    wait_for_oracle,
)
from typehole.context.engine import ContextEngine
from typehole.context.oracle import TyOracle
from typehole.features.completion.pipeline import Pipeline
from typehole.features.completion.site import Site
from typehole.models.errors import ModelError


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("complete", help="complete at FILE:LINE:COL like an editor would")
    parser.add_argument("location", metavar="FILE:LINE:COL")
    parser.add_argument("--model", default=None, help="model name (default: the configured one)")
    parser.add_argument("--no-monitors", action="store_true", help="decode without monitors")
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the completion (or the JSON result) for the location."""
    from typehole.cli import parse_location

    path, line, column = parse_location(args.location)
    text = load_document(path)
    path = path.resolve()
    root = find_root(path)
    settings = load_settings(root)
    try:
        result = asyncio.run(
            complete_file(path, text, line, column, root, settings, args.model, args.no_monitors)
        )
    except ModelError as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    elif result["items"]:
        print(result["items"][0]["text"])
    else:
        print(f"typehole: no completion ({result['context']['reason']})", file=sys.stderr)
    return 0


def open_engine(root: Path | None, settings: Settings, force: bool = False) -> ContextEngine | None:
    """The workspace's context engine with its index up to date (None without a root, or when
    context is switched off and not `force`d)."""
    if root is None or not (settings.context.enabled or force):
        return None
    engine = workspace.open_engine(root, settings)
    for warning in engine.warnings:
        print(f"typehole: {warning}", file=sys.stderr)
    return engine


async def complete_file(
    path: Path,
    text: str,
    line: int,
    column: int,
    root: Path | None,
    settings: Settings,
    model_name: str | None = None,
    no_monitors: bool = False,
) -> dict[str, Any]:
    """Complete at 1-based LINE:COL of `text` (the contents of `path`); the JSON result."""
    with type_oracle(root, settings) as ty:
        return await _complete_file(path, text, line, column, root, settings, model_name,
                                    no_monitors, ty)


async def _complete_file(
    path: Path,
    text: str,
    line: int,
    column: int,
    root: Path | None,
    settings: Settings,
    model_name: str | None,
    no_monitors: bool,
    ty: TyOracle | None,
) -> dict[str, Any]:
    started = time.perf_counter()
    hub = ModelHub()
    name = relative_name(root, path)
    engine = open_engine(root, settings)
    try:
        hook = workspace.context_hook(engine, settings)
        backend, description = await open_model(hub, settings, model_name, root, path, text)
        pipeline = Pipeline(backend, context_hook=hook)
        await asyncio.to_thread(wait_for_oracle, ty)
        train_ms = round((time.perf_counter() - started) * 1000, 3)
        offset = offset_from_cli(text, line, column)
        if no_monitors:
            settings = attrs.evolve(
                settings, monitors=attrs.evolve(settings.monitors, enabled=False)
            )
        options = pipeline_options(settings, interactive=False)
        site = Site(text=text, offset=offset, path=name, file=str(path.resolve()))
        outcome = await pipeline.run(site, options)
    finally:
        await hub.aclose()
        if engine is not None:
            engine.close()
    start = dict(zip(("line", "character"), position_at(text, offset), strict=True))
    items = []
    if outcome.text is not None:
        items.append({"text": outcome.text, "range": {"start": start, "end": start}})
    context = {
        "model": model_name or settings.model,
        "model_description": description,
        "gate": outcome.gate.mode,
        "gate_reason": outcome.gate.reason,
        "reason": outcome.reason,  # why there is no completion (None when there is one)
        "prompt_tokens": outcome.prompt.tokens if outcome.prompt else 0,
        **outcome.context,
    }
    timings = {"train": train_ms, **outcome.timings_ms}
    return {"items": items, "context": context, "timings_ms": timings}

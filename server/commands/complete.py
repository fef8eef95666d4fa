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
from dataclasses import replace
from pathlib import Path
from typing import Any

from typehole.context.engine import ContextEngine
from typehole.context.positions import offset_from_cli, position_at
from typehole.context.walk import read_text
from typehole.models.base import LoadsInBackground
from typehole.models.errors import ModelError
from typehole.models.local import LocalModel
from typehole.server.backends import LOCAL, ModelHub
from typehole.server.commands import UsageError, find_root, load_document, load_settings
from typehole.server.completion.pipeline import options_from
from typehole.server.completion.site import Site
from typehole.server.config import Settings
from typehole.server.context_hook import EngineContext
from typehole.server.training import relative_name, training_files


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
    from typehole.server.commands import parse_location

    path, line, column = parse_location(args.location)
    path = path.resolve()
    text = load_document(path)
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
        print(f"typehole: no completion ({result['context']['gate_reason']})", file=sys.stderr)
    return 0


def open_engine(root: Path | None, settings: Settings, force: bool = False) -> ContextEngine | None:
    """The workspace's context engine with its index up to date (None without a root, or when
    context is switched off and not `force`d)."""
    if root is None or not (settings.context.enabled or force):
        return None
    engine = ContextEngine(root, settings.context.cache_dir, settings.exclude)
    engine.build()
    for warning in engine.warnings:
        print(f"typehole: {warning}", file=sys.stderr)
    return engine


def learn_workspace(model: LocalModel, root: Path | None, settings: Settings, skip: str) -> None:
    """Train the embedded model on the workspace's code (all but `skip`, the open document)."""
    if root is None:
        return
    for file in training_files(root, settings):
        name = relative_name(root, file)
        if name != skip and (text := read_text(file)) is not None:
            model.train(name, text)


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
    started = time.perf_counter()
    local = LocalModel(order=settings.local.order)
    hub = ModelHub(local)
    name = relative_name(root, path)
    engine = open_engine(root, settings)
    try:
        hook = EngineContext(engine, settings.context.deadline_ms) if engine else None
        pipeline, description = hub.pipeline(settings, model_name, context_hook=hook)
        if isinstance(pipeline.backend, LoadsInBackground):
            await pipeline.backend.wait_ready()  # a command waits; an editor is told "loading"
        if pipeline.backend is local:
            learn_workspace(local, root, settings, skip=name)
            local.train(name, text)
        train_ms = round((time.perf_counter() - started) * 1000, 3)
        offset = offset_from_cli(text, line, column)
        options = options_from(settings, interactive=False)
        if no_monitors:
            options = replace(options, use_monitors=False)
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
        "model": model_name or settings.model or LOCAL,
        "model_description": description,
        "gate": outcome.gate.mode,
        "gate_reason": outcome.gate.reason,
        "prompt_tokens": outcome.prompt.tokens if outcome.prompt else 0,
        **outcome.context,
    }
    timings = {"train": train_ms, **outcome.timings_ms}
    return {"items": items, "context": context, "timings_ms": timings}

"""The `typehole` command: `serve` for editors, `complete` to run the completion pipeline by hand.

Positions on the command line are 1-based `LINE:COL` with columns in characters, like compiler
messages; every range in JSON output is an LSP range (0-based lines, UTF-16 characters).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

from typehole import __version__
from typehole.context.positions import offset_from_cli, position_at
from typehole.context.walk import is_secret_path, read_text
from typehole.models.lexer import count_tokens
from typehole.models.local import LocalModel
from typehole.server.completion.pipeline import Pipeline, PipelineOptions
from typehole.server.completion.site import Site
from typehole.server.config import Settings, read_pyproject, resolve
from typehole.server.training import relative_name, training_files

ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


class UsageError(Exception):
    """A command-line mistake, reported as one line on stderr with exit status 2."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `typehole` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"typehole: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="typehole", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"typehole {__version__}")
    parser.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.set_defaults(run=_serve)

    complete = commands.add_parser(
        "complete", help="complete at FILE:LINE:COL like an editor would"
    )
    complete.add_argument("location", metavar="FILE:LINE:COL")
    complete.add_argument("--model", default=None, help="model name (default: the configured one)")
    complete.add_argument("--no-monitors", action="store_true", help="decode without monitors")
    complete.add_argument("--json", action="store_true", help="print the JSON result")
    complete.set_defaults(run=_complete)

    bench = commands.add_parser("bench", help="run a benchmark suite (see bench/)")
    bench.add_argument("suite", choices=BENCH_SUITES)
    bench.add_argument("options", nargs=argparse.REMAINDER, help="options of the suite")
    bench.set_defaults(run=_bench)
    return parser


BENCH_SUITES = ("latency",)


def _bench(args: argparse.Namespace) -> int:
    import importlib

    suite = importlib.import_module(f"typehole.bench.{args.suite}")
    return suite.main(args.options)


def _serve(args: argparse.Namespace) -> int:
    from typehole.server.app import create_server

    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(f"--tcp wants HOST:PORT, got {args.tcp!r}")
        server.start_tcp(host, int(port))
    else:
        server.start_io()
    return 0


def parse_location(location: str, with_column: bool = True) -> tuple[Path, int, int]:
    """Split `FILE:LINE[:COL]` (the file name itself may contain colons)."""
    parts = location.rsplit(":", 2 if with_column else 1)
    try:
        if with_column and len(parts) == 3:
            return Path(parts[0]), int(parts[1]), int(parts[2])
        if not with_column and len(parts) == 2:
            return Path(parts[0]), int(parts[1]), 1
    except ValueError:
        pass
    shape = "FILE:LINE:COL" if with_column else "FILE:LINE"
    raise UsageError(f"expected {shape} (1-based), got {location!r}")


def find_root(path: Path) -> Path:
    """The nearest ancestor holding a project marker; the file's folder when there is none."""
    for folder in [path.parent, *path.parent.parents]:
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return path.parent


def load_document(path: Path) -> str:
    """The text of a file given on the command line, or a UsageError saying why not."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if is_secret_path(path):
        raise UsageError(f"{path}: looks like a secret; typehole never sends it to a model")
    text = read_text(path)
    if text is None:
        raise UsageError(f"{path}: not a UTF-8 text file")
    return text


def _complete(args: argparse.Namespace) -> int:
    path, line, column = parse_location(args.location)
    path = path.resolve()
    text = load_document(path)
    root = find_root(path)
    settings = _settings(root)
    if args.model not in (None, "local"):
        raise UsageError(
            f"unknown model {args.model!r}: only the embedded 'local' model is available"
        )
    result = asyncio.run(complete_file(path, text, line, column, root, settings))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        items = result["items"]
        print(items[0]["text"] if items else "", end="\n" if items else "")
        if not items:
            print(f"typehole: no completion ({result['context'].get('gate', '')})", file=sys.stderr)
    return 0


def _settings(root: Path) -> Settings:
    table, problems = read_pyproject(root)
    settings, found = resolve([("pyproject.toml [tool.typehole]", table)])
    for problem in problems + found:
        print(f"typehole: {problem}", file=sys.stderr)
    return settings


async def complete_file(
    path: Path, text: str, line: int, column: int, root: Path, settings: Settings
) -> dict:
    """Train the embedded model on the workspace and complete at LINE:COL; the JSON result."""
    started = time.perf_counter()
    model = LocalModel(order=settings.local.order)
    name = relative_name(root, path)
    try:
        for file in training_files(root, settings):
            file_name = relative_name(root, file)
            if file_name != name and (file_text := read_text(file)) is not None:
                model.train(file_name, file_text)
        model.train(name, text)
        train_ms = round((time.perf_counter() - started) * 1000, 3)
        pipeline = Pipeline(model, count_tokens)
        offset = offset_from_cli(text, line, column)
        options = PipelineOptions(
            max_tokens=settings.completion.max_tokens,
            max_lines=settings.completion.max_lines,
            prompt_budget=settings.completion.prompt_budget,
            use_cache=False,
        )
        outcome = await pipeline.run(Site(text=text, offset=offset, path=name), options)
    finally:
        await model.aclose()
    start = dict(zip(("line", "character"), position_at(text, offset), strict=True))
    items = []
    if outcome.text is not None:
        items.append({"text": outcome.text, "range": {"start": start, "end": start}})
    context = {
        "gate": outcome.gate.mode,
        "gate_reason": outcome.gate.reason,
        "prompt_tokens": outcome.prompt.tokens if outcome.prompt else 0,
        "model": model.name,
        "monitors": False,
        **outcome.context,
    }
    timings = {"train": train_ms, **outcome.timings_ms}
    return {"items": items, "context": context, "timings_ms": timings}

"""The `typehole` command: `serve` for editors, and the same features by hand.

Positions on the command line are 1-based `LINE:COL` with columns in characters, like compiler
messages; every range in JSON output is an LSP range (0-based lines, UTF-16 characters).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from typehole import __version__
from typehole.cli import (
    UsageError,
    bench,
    cache,
    complete,
    context,
    docstring,
    fill,
    next_edit,
    serve,
)

# Each subcommand lives in its own module under cli/ and registers itself.
COMMANDS = (serve, complete, context, docstring, fill, next_edit, bench, cache)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `typehole` console script."""
    args = parser().parse_args(argv)
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
    except BrokenPipeError:
        # The reader left (`typehole cache --json | head`): what is still buffered for stdout
        # goes nowhere, not into a second error at exit. The status of a process that SIGPIPE
        # ended, as other tools in a pipe report it.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    result = argparse.ArgumentParser(prog="typehole", description=__doc__.split("\n")[0])
    result.add_argument("--version", action="version", version=f"typehole {__version__}")
    result.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    commands = result.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add(commands)
    return result

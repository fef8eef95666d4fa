"""`typehole bench SUITE`: the reproducible benchmarks in `bench/`."""

from __future__ import annotations

import argparse
import importlib

SUITES = (
    "latency", "context", "docstrings", "next-edit", "monitors", "receivers", "fill", "quality",
    "load", "scale",
)


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("bench", help="run a benchmark suite (see bench/)")
    parser.add_argument("suite", choices=SUITES)
    parser.add_argument("options", nargs=argparse.REMAINDER, help="options of the suite")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the suite's `main` with the remaining arguments."""
    suite = importlib.import_module(f"typehole.bench.{args.suite.replace('-', '_')}")
    return suite.main(args.options)

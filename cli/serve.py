"""`typehole serve`: the language server, on stdio (what editors start) or TCP."""

from __future__ import annotations

import argparse

from typehole.cli import UsageError


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("serve", help="run the language server (stdio by default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until the client says `exit`."""
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

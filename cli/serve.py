"""`typehole serve`: the language server, on stdio (what editors start) or TCP."""

from __future__ import annotations

import argparse

from typehole.cli import UsageError

DEFAULT_MAX_MESSAGE_MB = 64


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("serve", help="run the language server (stdio by default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    parser.add_argument(
        "--max-message-mb",
        type=float,
        default=DEFAULT_MAX_MESSAGE_MB,
        metavar="MB",
        help="longest message taken from the client; longer ones are answered with an error "
        f"and skipped (default {DEFAULT_MAX_MESSAGE_MB})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until the client says `exit`; the exit code tells the editor whether to restart."""
    from typehole.server.app import create_server
    from typehole.server.framing import serve_stdio, serve_tcp

    if not args.max_message_mb > 0:
        raise UsageError(f"--max-message-mb wants a positive size, got {args.max_message_mb}")
    max_body = int(args.max_message_mb * 1024 * 1024)
    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(f"--tcp wants HOST:PORT, got {args.tcp!r}")
        return serve_tcp(server, host, int(port), max_body)
    return serve_stdio(server, max_body)

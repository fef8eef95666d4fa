"""`typehole next-edit FILE --before OLD_FILE`: the next edits the change OLD_FILE -> FILE implies.

The line hunks from OLD_FILE to FILE are the edit history, in file order (the last hunk is the
newest edit). JSON: `{"edits": [{"path", "range", "new_text", "source", "reason"}]}`, best first,
with LSP ranges (0-based lines, UTF-16 characters). Inside a project (a folder with a
pyproject.toml, setup.py, setup.cfg or .git) the workspace index is built (or loaded from its
cache) so the follow-on engine knows where a newly used name can be imported from.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from typehole.base.positions import position_at
from typehole.cli import find_root, load_document, load_settings
from typehole.features.next_edit import IndexLookup, Lookup, events_between, static_suggestions


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("next-edit", help="suggest the edits that follow FILE's change")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument(
        "--before", required=True, metavar="OLD_FILE", help="the file before the edits"
    )
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    parser.set_defaults(run=run)


def suggest_files(
    before: str, after: str, path: str, project: Any = None, lookup: Lookup | None = None
) -> list[dict[str, Any]]:
    """The JSON edits for the history `before` -> `after` of the file at `path`."""
    events = events_between(before, after)
    found = static_suggestions(after, events, path, project, lookup=lookup)
    out = []
    for s in found:
        start = dict(zip(("line", "character"), position_at(after, s.start), strict=True))
        end = dict(zip(("line", "character"), position_at(after, s.end), strict=True))
        out.append(
            {
                "path": s.path or path,
                "range": {"start": start, "end": end},
                "new_text": s.new_text,
                "source": s.source,
                "reason": s.reason,
            }
        )
    return out


def run(args: argparse.Namespace) -> int:
    """Print the suggested edits (or the JSON result)."""
    from pathlib import Path

    from typehole.cli.complete import open_engine

    after = load_document(Path(args.file))
    path = Path(args.file).resolve()
    before = load_document(Path(args.before))
    root = find_root(path)
    engine = open_engine(root, load_settings(root), force=True)
    try:
        lookup = IndexLookup(engine.index, str(path)) if engine is not None else None
        project = engine.project if engine is not None else None
        edits = suggest_files(before, after, str(path), project, lookup)
    finally:
        if engine is not None:
            engine.close()
    if args.json:
        print(json.dumps({"edits": edits}, indent=2, ensure_ascii=False))
        return 0
    if not edits:
        print("typehole: no next edit")
    for e in edits:
        start = e["range"]["start"]
        print(
            f"{e['path']}:{start['line'] + 1}:{start['character'] + 1}: [{e['source']}] "
            f"{e['reason']}\n    -> {e['new_text']!r}"
        )
    return 0

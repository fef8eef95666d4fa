"""`typehole cache [show|clear]`: the workspace indexes typehole keeps, and removing them.

The cache folder and its cap come from the settings of the project around the current folder
(`context.cacheDir`, `context.cacheMaxMb`), else the user cache; `--cache-dir` overrides.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any

from typehole.cli import UsageError, find_root, load_settings
from typehole.context.cache import CachedIndex, list_indexes, remove_index
from typehole.context.store import index_folder, index_path


def add(commands: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "cache", help="show or clear the workspace index cache",
        description="Without an action: `show`.")
    _options(parser, argparse.SUPPRESS)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="list the cached indexes (the default)")
    _options(show, argparse.SUPPRESS)
    clear = actions.add_parser("clear", help="remove indexes: --all, --missing or ROOT's")
    _options(clear, argparse.SUPPRESS)
    clear.add_argument("root", nargs="?", metavar="ROOT", help="the workspace whose index goes")
    clear.add_argument("--all", action="store_true", help="every index not in use")
    clear.add_argument("--missing", action="store_true",
                       help="indexes whose workspace folder no longer exists")
    parser.set_defaults(run=run)


def _options(parser: argparse.ArgumentParser, default: Any) -> None:
    # Accepted before and after the action; SUPPRESS keeps an absent option from overwriting one
    # given earlier on the line.
    parser.add_argument("--json", action="store_true", default=default, help="print JSON")
    parser.add_argument("--cache-dir", default=default, metavar="DIR",
                        help="the cache folder (default: context.cacheDir, else the user cache)")


def run(args: argparse.Namespace) -> int:
    """Show or clear the cache."""
    settings = load_settings(find_root(Path.cwd() / "_"))
    cache_dir = getattr(args, "cache_dir", None) or settings.context.cache_dir
    folder = index_folder(cache_dir)
    cap = int(settings.context.cache_max_mb * 2**20)
    as_json = bool(getattr(args, "json", False))
    if getattr(args, "action", None) == "clear":
        return _clear(args, cache_dir, folder, cap, as_json)
    entries = list_indexes(folder)
    if as_json:
        print(json.dumps(_summary(folder, cap, entries), indent=2, ensure_ascii=False))
        return 0
    total = sum(entry.size for entry in entries)
    print(f"index cache {folder}: {_count(entries)}, {_mb(total)} of {_mb(cap)}")
    for entry in entries:
        print("  " + _line(entry))
    return 0


def _clear(args: argparse.Namespace, cache_dir: str | None, folder: Path, cap: int,
           as_json: bool) -> int:
    chosen = [name for name, given in (("--all", args.all), ("--missing", args.missing),
                                       ("ROOT", args.root is not None)) if given]
    if len(chosen) != 1:
        raise UsageError("cache clear: give exactly one of --all, --missing or a workspace ROOT"
                         + (f" (got {', '.join(chosen)})" if chosen else ""))
    entries = list_indexes(folder)
    if args.root is not None:
        wanted = os.path.realpath(args.root)
        path = index_path(cache_dir, args.root)
        targets = [e for e in entries if e.root == wanted or e.path == path]
        if not targets:
            raise UsageError(f"cache clear: no index of {wanted} in {folder}")
    elif args.missing:
        targets = [e for e in entries if not e.root_exists]
    else:
        targets = entries
    removed = [e for e in targets if remove_index(e.path)]
    busy = [e for e in targets if e not in removed]
    left = list_indexes(folder)
    if as_json:
        print(json.dumps({**_summary(folder, cap, left),
                          "removed": [_entry_json(e) for e in removed],
                          "in_use": [_entry_json(e) for e in busy]},
                         indent=2, ensure_ascii=False))
    else:
        for entry in removed:
            print(f"removed {_line(entry)}")
        for entry in busy:
            print(f"typehole: kept {entry.root or entry.path}: a running typehole has it open",
                  file=sys.stderr)
        print(f"index cache {folder}: {_count(left)}, "
              f"{_mb(sum(e.size for e in left))} of {_mb(cap)}")
    # Asked for one workspace's index and it could not go: that is a failure to report.
    return 1 if busy and args.root is not None else 0


def _summary(folder: Path, cap: int, entries: list[CachedIndex]) -> dict[str, Any]:
    return {"folder": str(folder), "cap_bytes": cap,
            "total_bytes": sum(entry.size for entry in entries),
            "indexes": [_entry_json(entry) for entry in entries]}


def _entry_json(entry: CachedIndex) -> dict[str, Any]:
    return {"root": entry.root, "path": str(entry.path), "bytes": entry.size,
            "last_used": _when(entry.last_used), "root_exists": entry.root_exists,
            "temporary": entry.temporary, "in_use": entry.in_use}


def _when(stamp: float) -> str:
    return datetime.datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def _count(entries: list[CachedIndex]) -> str:
    return f"{len(entries)} index" + ("" if len(entries) == 1 else "es")


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _line(entry: CachedIndex) -> str:
    notes = [note for note, present in (("in use", entry.in_use),
                                        ("workspace missing", not entry.root_exists),
                                        ("temporary", entry.temporary)) if present]
    when = datetime.datetime.fromtimestamp(entry.last_used).strftime("%Y-%m-%d %H:%M")
    suffix = f"  ({', '.join(notes)})" if notes else ""
    return f"{_mb(entry.size):>10}  {when}  {entry.root or entry.path.name}{suffix}"

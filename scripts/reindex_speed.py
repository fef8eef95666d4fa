"""The re-index of an edited file on a workspace's largest Python files, the code at hand against
another checkout (`--base`) in one run: a loaded machine's speed changes from minute to minute,
so only figures taken side by side compare.

Each checkout runs in a process of its own with its own index cache (built once, then warm).
Per file, both take turns going first: the file is opened (`update_file` with the text on disk,
as an editor opening it: not timed), then `--rounds` times a new line is written in its middle
(a statement, before the first statement at or after the middle line and at its indent; each
round a few lines further down), and `--keys` characters are typed at the end of that line
(`.strip()`: the first leaves a syntax error), one `update_file` per keystroke. Every
`update_file` of an edit is timed, by the wall clock and by the CPU time of its thread (on a
loaded machine the wall clock counts other processes' turns too); the file is closed (`forget`)
after its rounds.

    python scripts/reindex_speed.py [--project django==5.2.8] [--files 10] [--rounds 15]
        [--keys 3] [--base PATH-OF-ANOTHER-CHECKOUT] [--profile]

With `--profile`, the code at hand runs alone under cProfile and the functions with the most
cumulative time (`--sort tottime`: their own) are printed.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_NEW_LINE = "value = compute(value)"
_TYPED = ".strip()"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def largest_files(root: Path, count: int) -> list[Path]:
    """The workspace's `count` largest Python files (ties by path)."""
    from typehole.context.walk import workspace_files

    files = [p for p in workspace_files(root) if p.suffix == ".py"]
    return sorted(files, key=lambda p: (-p.stat().st_size, str(p)))[:count]


def statement_lines(text: str) -> list[tuple[int, int]]:
    """(0-based line, column) of every statement of `text` that starts its line (decorated
    definitions at their first decorator): a new line written before one keeps the code valid."""
    lines = text.splitlines()
    out = set()
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.stmt):
            continue
        decorators = getattr(node, "decorator_list", [])
        line = min([node.lineno, *(d.lineno - 1 for d in decorators)]) - 1
        column = node.col_offset if not decorators else decorators[0].col_offset - 1
        if line < len(lines) and not lines[line][:column].strip():
            out.add((line, column))
    return sorted(out)


def edits(text: str, rounds: int, keys: int) -> list[tuple[str, str]]:
    """(kind, text after the edit) for each edit of one file, in order: per round a new line
    ("line": a statement before the first statement at or after the middle of the file, a few
    lines further down each round, at its indent), then `keys` characters typed at its end
    ("key"); each round starts from the text the last left."""
    out: list[tuple[str, str]] = []
    starts = statement_lines(text)
    middle = len(text.splitlines()) // 2
    for r in range(rounds):
        found = [s for s in starts if s[0] >= middle + 7 * r]
        line, column = found[0] if found else starts[-1]
        lines = text.splitlines(keepends=True)
        at = line + r  # the new lines of the rounds before are above it
        before, after = "".join(lines[:at]), "".join(lines[at:])
        indent = " " * column
        typed = ""
        text = f"{before}{indent}{_NEW_LINE}\n{after}"
        out.append(("line", text))
        for k in range(keys):
            typed += _TYPED[k % len(_TYPED)]
            text = f"{before}{indent}{_NEW_LINE}{typed}\n{after}"
            out.append(("key", text))
    return out


def child(code: str, root: str, cache: str, rounds: int, keys: int) -> None:
    """One checkout's process: build the index of `root`, then time the edits of each file asked
    on stdin (a path per line), answering one JSON line of {kind: [ms, ...]} each."""
    if code:
        # The checkout is the `typehole` package itself: import it through a link of that name.
        link_dir = Path(tempfile.mkdtemp(prefix="typehole-code-"))
        (link_dir / "typehole").symlink_to(Path(code).resolve())
        sys.path.insert(0, str(link_dir))
    from typehole.context.engine import ContextEngine

    engine = ContextEngine(root, cache)
    engine.build()
    print(json.dumps({"ready": True}), flush=True)
    for request in sys.stdin:
        path = Path(request.strip())
        text = path.read_text(encoding="utf-8")
        engine.update_file(path, text)  # the editor opens it
        times: dict[str, list[float]] = {}
        for kind, edited in edits(text, rounds, keys):
            started, cpu = time.perf_counter(), time.thread_time()
            written = engine.update_file(path, edited)
            times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            # The work itself: on a loaded machine the wall clock counts other processes' turns.
            times.setdefault(f"{kind} cpu", []).append((time.thread_time() - cpu) * 1000)
            if not written:  # an edit the index did not take is no measurement
                raise SystemExit(f"{path}: the index did not take an edit")
        engine.forget(path)
        engine.update_file(path, text)  # back to the text on disk, for the next run
        engine.forget(path)
        print(json.dumps(times), flush=True)
    engine.close()


def _start(code: str, args: argparse.Namespace, root: Path,
           cache: Path) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "--child", code or "-", "--root", str(root),
               "--cache", str(cache), "--rounds", str(args.rounds), "--keys", str(args.keys)]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line or not json.loads(line).get("ready"):
        raise SystemExit(f"the process for {code or 'this checkout'} did not start")
    return proc


def _ask(proc: subprocess.Popen[str], path: Path) -> dict[str, list[float]]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{path}\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("a measuring process ended early")
    result: dict[str, list[float]] = json.loads(line)
    return result


def _profile(args: argparse.Namespace, files: list[Path]) -> None:
    import cProfile
    import pstats

    from typehole.bench.projects import real_project
    from typehole.context.engine import ContextEngine

    name, version = args.project.split("==")
    engine = ContextEngine(real_project(name, version), Path(args.cache_root) / "after")
    engine.build()
    profiler = cProfile.Profile()
    for path in files:
        text = path.read_text(encoding="utf-8")
        engine.update_file(path, text)
        for _kind, edited in edits(text, args.rounds, args.keys):
            profiler.enable()
            engine.update_file(path, edited)
            profiler.disable()
        engine.forget(path)
        engine.update_file(path, text)
        engine.forget(path)
    engine.close()
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(45)


def main(argv: list[str] | None = None) -> int:
    """Time the edits with each checkout, alternating, and print medians and p95."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="django==5.2.8", help="name==version (an sdist)")
    parser.add_argument("--files", type=int, default=10, help="the largest Python files edited")
    parser.add_argument("--rounds", type=int, default=15, help="new lines per file")
    parser.add_argument("--keys", type=int, default=3, help="characters typed on each new line")
    parser.add_argument("--base", help="another checkout of typehole, timed alongside")
    parser.add_argument("--cache-root", default=str(Path(tempfile.gettempdir())
                                                  / "typehole-reindex-speed"),
                        help="where each checkout's index cache is kept between runs")
    parser.add_argument("--profile", action="store_true", help="cProfile the code at hand")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (pstats)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child("" if args.child == "-" else args.child, args.root, args.cache, args.rounds,
              args.keys)
        return 0
    from typehole.bench.projects import real_project

    name, version = args.project.split("==")
    root = real_project(name, version)
    files = largest_files(root, args.files)
    if args.profile:
        _profile(args, files)
        return 0
    modes = {"after": ""}
    if args.base:
        modes = {"before": args.base, "after": ""}
    load = [os.getloadavg()[0]]
    procs = {mode: _start(code, args, root, Path(args.cache_root) / mode)
             for mode, code in modes.items()}
    times: dict[str, dict[str, list[float]]] = {mode: {} for mode in modes}
    order = list(modes)
    for i, path in enumerate(files):
        for mode in order if i % 2 == 0 else reversed(order):
            for kind, values in _ask(procs[mode], path).items():
                times[mode].setdefault(kind, []).extend(values)
        load.append(os.getloadavg()[0])
        print(f"{path.name}: done", file=sys.stderr, flush=True)
    for proc in procs.values():
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
    report: dict[str, Any] = {"load": [min(load), max(load)], "files": [p.name for p in files]}
    for mode, kinds in times.items():
        kinds["all"] = [*kinds["line"], *kinds["key"]]
        kinds["all cpu"] = [*kinds["line cpu"], *kinds["key cpu"]]
        report[mode] = {kind: {"n": len(v), "median": round(statistics.median(v), 1),
                               "p95": round(_percentile(v, 0.95), 1)}
                        for kind, v in kinds.items()}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

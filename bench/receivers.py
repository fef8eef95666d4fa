"""Receiver check: members of a receiver the model writes, asked of the document as it is at the
cursor (`context.receiver`), against Jedi asked about the new text (what monitors asked before).

Sites are chains `a.b().c` followed by `.name` in the projects' own code, a few per file. The
cursor is put at the start of the chain, as if the model were about to write `chain.`; the
document is the file itself. Reported per project: how often the two agree exactly, how often
the document answer is a strict superset (never a problem: a looser constraint), how often it
misses a name Jedi lists on the new text (that would forbid a real member), how often it has no
answer (the monitor then asks about the new text), and the time of each way, warm.
"""

from __future__ import annotations

import argparse
import io
import re
import time
import tokenize
from pathlib import Path

from typehole.base.positions import jedi_position
from typehole.bench.projects import real_project
from typehole.context import jedistate
from typehole.context.receiver import parse_chain, receiver_members

_CHAIN = re.compile(
    r"(?<![\w.)\]'\"])((?:[A-Za-z_]\w*(?:\(\))?)(?:\.[A-Za-z_]\w*(?:\(\))?)*)\.[A-Za-z_]")
_SKIP = re.compile(r"^\s*(#|import\b|from\b|@)")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def check_project(name: str, version: str, per_file: int) -> dict[str, float | int | str]:
    """Compare the two ways on the project's sites."""
    root = real_project(name, version)
    counts = {"same": 0, "superset": 0, "missing": 0, "none": 0}
    fast_ms: list[float] = []
    slow_ms: list[float] = []
    for path in sorted(root.rglob("*.py")):
        if "test" in path.parts or path.name.startswith("test"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        names = _name_starts(text)  # chains in code only, not in strings or comments
        found = [m for m in _CHAIN.finditer(text) if m.start(1) in names]
        for m in found[::7][:per_file]:
            _compare(path, text, m, counts, fast_ms, slow_ms)
    return {"project": f"{name}=={version}", **counts,
            "fast_p50": _percentile(fast_ms, 0.5), "fast_p95": _percentile(fast_ms, 0.95),
            "slow_p50": _percentile(slow_ms, 0.5), "slow_p95": _percentile(slow_ms, 0.95)}


def _name_starts(text: str) -> set[int]:
    starts, offset = [], 0
    for line in text.splitlines(keepends=True):
        starts.append(offset)
        offset += len(line)
    try:
        return {starts[t.start[0] - 1] + t.start[1]
                for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type == tokenize.NAME}
    except (tokenize.TokenError, SyntaxError, IndexError):
        return set()


def _compare(path: Path, text: str, m: re.Match[str], counts: dict[str, int],
             fast_ms: list[float], slow_ms: list[float]) -> None:
    start = m.start(1)
    line_start = text.rfind("\n", 0, start) + 1
    chain = parse_chain(m.group(1))
    if chain is None or _SKIP.match(text[line_start:start]):
        return
    line, column = jedi_position(text, start)
    # The document's Script first and warm (as after the context stage), then the new text's.
    jedistate.script(text, str(path), None)
    started = time.perf_counter()
    fast = receiver_members(jedistate.script(text, str(path), None), line, column, chain)
    fast_ms.append((time.perf_counter() - started) * 1000)
    written = m.group(1) + "."
    virtual = text[:start] + written + text[start:]
    started = time.perf_counter()
    slow = {c.name for c in jedistate.script(virtual, str(path), None).complete(
        line, column + len(written))}
    slow_ms.append((time.perf_counter() - started) * 1000)
    if fast is not None and "__slots__" not in fast:
        slow.discard("__slots__")  # the document's answer names what `__slots__` declares
    if fast is None:
        counts["none"] += 1
    elif set(fast) == slow:
        counts["same"] += 1
    elif slow <= set(fast):
        counts["superset"] += 1
    else:
        counts["missing"] += 1


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects",
                        default="httpx==0.28.1,attrs==25.4.0,click==8.3.3,rich==14.3.4")
    parser.add_argument("--per-file", type=int, default=15)
    args = parser.parse_args(argv)
    rows = [check_project(*spec.split("=="), args.per_file) for spec in args.projects.split(",")]
    print(f"\n{'project':<16}{'same':>6}{'superset':>10}{'missing':>9}{'none':>6}"
          f"{'doc p50':>9}{'doc p95':>9}{'new p50':>9}{'new p95':>9}")
    for r in rows:
        print(f"{r['project']:<16}{r['same']:>6}{r['superset']:>10}{r['missing']:>9}"
              f"{r['none']:>6}{r['fast_p50']:>9.1f}{r['fast_p95']:>9.1f}{r['slow_p50']:>9.1f}"
              f"{r['slow_p95']:>9.1f}")
    print("\nsame / superset / missing: the document's answer vs Jedi on the new text (missing "
          "would forbid a real member); none: no answer, the new text is asked;\n"
          "doc / new: ms per query, the document's Script (warm) vs a new text (parsed anew).")
    return 0

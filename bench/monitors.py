"""Monitor benchmark: complete right after `obj.` in real code with and without monitors.

Sites are dereferences `obj.name` in the projects' own code (import lines, strings and comments
skipped), taken evenly over the files. The embedded model is trained on the project without the
site's file. Metrics, per condition:
- next-identifier match: the first identifier generated equals the `name` the code has;
- static validity: that identifier is a member Jedi knows for `obj` at the site, or one its
  class declares in a literal `__slots__` (sites where Jedi knows no members, or the type has
  `__getattr__`, are left out of this rate);
- changed: share of completions the monitors changed;
- added ms/token: (monitored - plain wall time) / generated tokens; the same without the
  analysis (Jedi) queries; and the same for a second run of each site, when every analysis
  answer is memoised: what a token costs besides analysis;
- trigger p50/p95: wall time of each boundary the monitors judged (lexical checks, memo hits and
  queries); query p50/p95: each analysis (Jedi) query, warm: each file is first warmed the way
  the server warms an open document (`jedistate.preload`: parse it, infer what it imports).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import keyword
import re
import statistics
import time
import tokenize
from collections import defaultdict
from pathlib import Path

import jedi

from typehole.base.lexer import count_tokens
from typehole.bench.projects import real_project
from typehole.context import jedistate
from typehole.context.jedistate import preload
from typehole.context.receiver import declared_slots
from typehole.guided import GuidedResult, guided
from typehole.models.base import CompletionRequest
from typehole.models.ngram_model import NgramModel
from typehole.monitors import MonitorSettings

_SKIP_LINE = re.compile(r"^\s*(from\b|import\b|@)")


def sites_of(root: Path, limit: int) -> list[tuple[Path, int, str]]:
    """(file, offset just after the dot, the real member name), spread evenly over the files.

    Sites are `name.member` in code (tokens, so never inside strings, docstrings or comments),
    `name` the start of its chain; import and decorator lines are skipped.
    """
    found: list[tuple[Path, int, str]] = []
    for path in sorted(root.rglob("*.py")):
        if "test" in path.parts or path.name.startswith("test"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found.extend((path, offset, member) for offset, member in _code_sites(text))
    step = max(len(found) // max(limit, 1), 1)
    return found[::step][:limit]


def _code_sites(text: str) -> list[tuple[int, str]]:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NL, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError):
        return []
    out = []
    for i in range(1, len(tokens) - 2):
        before, name, dot, member = tokens[i - 1], tokens[i], tokens[i + 1], tokens[i + 2]
        if (name.type == tokenize.NAME and dot.string == "." and member.type == tokenize.NAME
                and before.string != "."
                and (before.type != tokenize.NAME or keyword.iskeyword(before.string))
                and not keyword.iskeyword(name.string)
                and not _SKIP_LINE.match(lines[name.start[0] - 1])):
            out.append((starts[member.start[0] - 1] + member.start[1], member.string))
    return out


def known_members(text: str, offset: int, path: Path) -> set[str] | None:
    """The members Jedi lists for the object before `offset` (None: it lists none, or the
    type answers any name through `__getattr__`)."""
    line = text.count("\n", 0, offset) + 1
    col = offset - text.rfind("\n", 0, offset) - 1
    try:
        found = jedi.Script(text, path=str(path)).complete(line, col)
    except Exception:
        return None
    names = {c.name for c in found}
    # Attributes a slotted class declares in `__slots__` exist, though Jedi does not list them.
    slots = [c._name for c in found if c.name == "__slots__"]
    names |= set(declared_slots(slots) or ()) if slots else set()
    return names if names and "__getattr__" not in names else None


# Analysis may take up to 2 s per completion here: the benchmark measures what the monitors
# do, not an editor's deadline.
BENCH_MONITORS = MonitorSettings(trigger_timeout_ms=2000)


async def _complete(model: NgramModel, text: str, offset: int, path: Path,
                    enabled: bool) -> tuple[str, float, GuidedResult]:
    request = CompletionRequest(text[:offset], text[offset:], max_tokens=6, stop=("\n",))
    result = GuidedResult()
    started = time.perf_counter()
    out = "".join([c.text async for c in guided(model, request, text, offset, None,
                                                settings=BENCH_MONITORS, enabled=enabled,
                                                path=str(path), result=result)])
    return out, time.perf_counter() - started, result


def _ident(text: str) -> str:
    m = re.match(r"\w*", text)
    return m.group(0) if m else ""


async def bench_project(name: str, version: str, limit: int,
                        warm_up: bool = True) -> dict[str, float | int | str]:
    root = real_project(name, version)
    files = {p: p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*.py")}
    model = NgramModel()
    for p, text in files.items():
        model.train(str(p), text)
    by_file: dict[Path, list[tuple[int, str]]] = defaultdict(list)
    for path, offset, member in sites_of(root, limit):
        by_file[path].append((offset, member))
    stats: dict[str, list[float]] = defaultdict(list)
    triggers: list[float] = []
    queries: list[float] = []
    for path, sites in by_file.items():
        text = files[path]
        model.remove(str(path))
        # The oracle first: its own parses of the file must not interleave with the runs'.
        oracles = [known_members(text, offset, path) for offset, _ in sites]
        for _ in preload(text, str(path), None) if warm_up else ():
            pass  # what the server does when a file opens
        for (offset, member), members in zip(sites, oracles, strict=True):
            doc = text
            for enabled in (False, True):
                out, wall, result = await _complete(model, doc, offset, path, enabled)
                ident = _ident(out)
                key = "mon" if enabled else "plain"
                stats[f"{key}_match"].append(ident == member)
                if members is not None and ident:
                    stats[f"{key}_valid"].append(ident in members)
                stats[f"{key}_wall"].append(wall)
                stats[f"{key}_tokens"].append(count_tokens(out))
                stats[f"{key}_out"].append(hash(out))
                if enabled:
                    triggers.extend(result.trigger_ms)
                    queries.extend(result.query_ms)
            # Again, every analysis answer now memoised: what the monitors cost per token
            # besides analysis (checking characters, masking candidates, lexical triggers).
            for enabled in (False, True):
                stats["memo_mon" if enabled else "memo_plain"].append(
                    (await _complete(model, doc, offset, path, enabled))[1])
        model.train(str(path), text)
    await model.aclose()
    n = len(stats["plain_match"])
    changed = sum(a != b for a, b in zip(stats["plain_out"], stats["mon_out"], strict=True))
    tokens = max(sum(stats["mon_tokens"]), 1)
    added = (sum(stats["mon_wall"]) - sum(stats["plain_wall"])) * 1000 / tokens
    t, q = sorted(triggers) or [0.0], sorted(queries) or [0.0]
    return {
        "project": f"{name}=={version}", "sites": n,
        "plain_match": statistics.fmean(stats["plain_match"]) if n else 0.0,
        "mon_match": statistics.fmean(stats["mon_match"]) if n else 0.0,
        "plain_valid": statistics.fmean(stats["plain_valid"]) if stats["plain_valid"] else 0.0,
        "mon_valid": statistics.fmean(stats["mon_valid"]) if stats["mon_valid"] else 0.0,
        "valid_n": len(stats["mon_valid"]),
        "changed": changed / n if n else 0.0, "added_ms_token": added,
        "between_ms_token": added - sum(queries) / tokens,
        "memo_ms_token": (sum(stats["memo_mon"]) - sum(stats["memo_plain"])) * 1000 / tokens,
        "trigger_p50": t[len(t) // 2], "trigger_p95": t[int(len(t) * 0.95)],
        "queries": len(queries),
        "query_p50": q[len(q) // 2], "query_p95": q[int(len(q) * 0.95)],
    }


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects", default="httpx==0.28.1,attrs==25.4.0")
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--fresh-jedi", action="store_true",
                        help="a fresh Jedi state for every new text, no warm-up (to compare)")
    args = parser.parse_args(argv)
    if args.fresh_jedi:
        jedistate._STATE_USES = 0  # every Script keeps the state it was made with
    rows = [asyncio.run(bench_project(*spec.split("=="), args.sites, not args.fresh_jedi))
            for spec in args.projects.split(",")]
    print("\ncompletion right after `obj.` (embedded model; plain vs monitored)")
    print(f"{'project':<18}{'sites':>6}{'match':>8}{'match+M':>9}{'valid':>8}{'valid+M':>9}"
          f"{'(n)':>6}{'changed':>9}{'ms/tok':>8}{'between':>9}{'memo':>6}{'trig p50':>10}"
          f"{'trig p95':>10}"
          f"{'queries':>9}{'q p50':>8}{'q p95':>8}")
    for r in rows:
        print(f"{r['project']:<18}{r['sites']:>6}{r['plain_match']:>8.2f}{r['mon_match']:>9.2f}"
              f"{r['plain_valid']:>8.2f}{r['mon_valid']:>9.2f}{r['valid_n']:>6}"
              f"{r['changed']:>9.2f}{r['added_ms_token']:>8.2f}{r['between_ms_token']:>9.2f}"
              f"{r['memo_ms_token']:>6.2f}{r['trigger_p50']:>10.2f}{r['trigger_p95']:>10.2f}"
              f"{r['queries']:>9}"
              f"{r['query_p50']:>8.1f}{r['query_p95']:>8.1f}")
    print("\nmatch: first generated identifier == the real member; valid: it is a member Jedi "
          "knows (sites with known members); changed: share of completions monitors changed;\n"
          "ms/tok: added wall time per generated token (between: without the Jedi queries; "
          "memo: a second run with every analysis answer memoised);\n"
          "trig: ms per boundary the monitors judged; q: ms per Jedi query; warm.")
    return 0

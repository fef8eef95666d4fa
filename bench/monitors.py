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
  queries); query p50/p95: each analysis query, warm: each file is first warmed the way the
  server warms an open document (`jedistate.preload`: parse it, infer what it imports; ty's
  child is sent it and types it, `TyOracle.warm`).
Per type-oracle engine (`--engine`, each asked in turn site by site in one run, taking turns
going first, the memo of answers cleared between them; ty's child is started for the project
and asked once ready):
- jedi: Jedi alone; ty: ty, Jedi only where ty cannot answer; auto: ty, and Jedi where ty does
  not know the receiver, unless it starts with a parameter of its function or a loop's target
  (Jedi would search the call sites for a guess: the monitor fails open there);
- constrained: share of sites where the dereference monitor constrained the member; allowed:
  the real member was allowed (among the monitor's names, or nothing constrained); valid|C:
  static validity where it constrained the member (of the monitored identifiers); by ty: share
  of the member answers that came from ty.
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
from typing import Any

import jedi

from typehole.base.lexer import count_tokens
from typehole.base.positions import jedi_position
from typehole.base.scan import LexState
from typehole.bench.projects import pin, real_project
from typehole.context import jedistate
from typehole.context import oracle as oracles
from typehole.context.jedistate import preload
from typehole.context.receiver import declared_slots
from typehole.guided import GuidedResult, guided
from typehole.models.base import CompletionRequest
from typehole.models.ngram_model import NgramModel
from typehole.monitors import MonitorSettings, View
from typehole.monitors import facts as facts_module
from typehole.monitors.facts import Facts
from typehole.monitors.members import DereferenceMonitor

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
    """The members Jedi lists for the object before `offset` (None: it lists none or only
    dunders, or the type answers any name through `__getattr__`)."""
    line, col = jedi_position(text, offset)
    try:
        found = jedi.Script(text, path=str(path)).complete(line, col)
    except Exception:
        return None
    names = {c.name for c in found}
    # Attributes a slotted class declares in `__slots__` exist, though Jedi does not list them.
    slots = [c._name for c in found if c.name == "__slots__"]
    names |= set(declared_slots(slots) or ()) if slots else set()
    # Only dunders (None's, `object`'s): Jedi does not know the object (a narrowing it missed).
    if all(n.startswith("__") and n.endswith("__") for n in names):
        return None
    return names if "__getattr__" not in names else None


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


def _constraint_at(text: str, offset: int, path: Path) -> tuple[list[str] | None, list[str]]:
    """The dereference monitor's names at the site (None: unconstrained) and which engine gave
    the answer; asked after the completion, so every analysis answer is a memo hit."""
    prefix, suffix = text[:offset], text[offset:]
    facts = Facts(None, str(path), timeout_s=BENCH_MONITORS.trigger_timeout_ms / 1000)
    view = View(prefix, "", suffix, LexState.of_prefix(prefix), facts, original=text)
    found = DereferenceMonitor().pre(view)
    words = list(found.words) if found is not None and found.words is not None else None
    return words, facts.answered_by


async def bench_project(name: str, version: str, limit: int, warm_up: bool = True,
                        engines: tuple[str, ...] = ("jedi",)) -> list[dict[str, Any]]:
    """One row per engine for one project."""
    root = real_project(name, version)
    files = {p: p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*.py")}
    model = NgramModel()
    for p, text in files.items():
        model.train(str(p), text)
    by_file: dict[Path, list[tuple[int, str]]] = defaultdict(list)
    for path, offset, member in sites_of(root, limit):
        by_file[path].append((offset, member))
    ty = None
    if any(engine != "jedi" for engine in engines):
        ty = oracles.start_ty(root, "auto")
        if ty is None or not ty.wait_ready(120):
            raise SystemExit(f"ty did not start for {root}")
    else:
        oracles.start_ty(root, "jedi")
    plain: dict[str, list[float]] = defaultdict(list)
    stats: dict[str, dict[str, list[float]]] = {e: defaultdict(list) for e in engines}
    triggers: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[float]] = defaultdict(list)
    for path, sites in by_file.items():
        text = files[path]
        model.remove(str(path))
        # The oracle first: its own parses of the file must not interleave with the runs'.
        oracles_ = [known_members(text, offset, path) for offset, _ in sites]
        for _ in preload(text, str(path), None) if warm_up else ():
            pass  # what the server does when a file opens
        if ty is not None and warm_up:
            ty.warm(str(path), text)  # and ty's child, once the document stops changing
        for (offset, member), members in zip(sites, oracles_, strict=True):
            out, wall, _ = await _complete(model, text, offset, path, False)
            ident = _ident(out)
            plain["match"].append(ident == member)
            if members is not None and ident:
                plain["valid"].append(ident in members)
            plain["wall"].append(wall)
            plain["out"].append(hash(out))
            plain["memo"].append((await _complete(model, text, offset, path, False))[1])
            # Engines take turns going first: the first to ask about a new text pays for
            # parsing it (ty and Jedi both keep what they inferred for the same text).
            turn = len(plain["match"]) % len(engines)
            for engine in engines[turn:] + engines[:turn]:
                oracles.set_engine(root, engine)  # type: ignore[arg-type]
                facts_module._MEMO.clear()  # each engine asks anew
                out, wall, result = await _complete(model, text, offset, path, True)
                ident = _ident(out)
                row = stats[engine]
                row["match"].append(ident == member)
                if members is not None and ident:
                    row["valid"].append(ident in members)
                row["wall"].append(wall)
                row["tokens"].append(count_tokens(out))
                row["out"].append(hash(out))
                triggers[engine].extend(result.trigger_ms)
                queries[engine].extend(result.query_ms)
                words, answered_by = _constraint_at(text, offset, path)
                row["constrained"].append(words is not None)
                if words is not None and members is not None and ident:
                    row["valid_c"].append(ident in members)
                row["allowed"].append(words is None or member in words)
                row["by_ty"].extend(by == "ty" for by in answered_by)
                # Again, every analysis answer now memoised: what the monitors cost per token
                # besides analysis (checking characters, masking candidates, lexical triggers).
                row["memo"].append((await _complete(model, text, offset, path, True))[1])
        model.train(str(path), text)
    await model.aclose()
    rss = ty.rss_mb() if ty is not None else None
    oracles.stop(root)
    rows = []
    n = len(plain["match"])
    for engine in engines:
        row = stats[engine]
        changed = sum(a != b for a, b in zip(plain["out"], row["out"], strict=True))
        tokens = max(sum(row["tokens"]), 1)
        added = (sum(row["wall"]) - sum(plain["wall"])) * 1000 / tokens
        t, q = sorted(triggers[engine]) or [0.0], sorted(queries[engine]) or [0.0]
        rows.append({
            "project": f"{name}=={version}", "engine": engine, "sites": n,
            "plain_match": _mean(plain["match"]), "mon_match": _mean(row["match"]),
            "plain_valid": _mean(plain["valid"]), "mon_valid": _mean(row["valid"]),
            "valid_n": len(row["valid"]),
            "changed": changed / n if n else 0.0, "added_ms_token": added,
            "between_ms_token": added - sum(queries[engine]) / tokens,
            "memo_ms_token": (sum(row["memo"]) - sum(plain["memo"])) * 1000 / tokens,
            "trigger_p50": t[len(t) // 2], "trigger_p95": t[int(len(t) * 0.95)],
            "queries": len(queries[engine]),
            "query_p50": q[len(q) // 2], "query_p95": q[int(len(q) * 0.95)],
            "constrained": _mean(row["constrained"]), "allowed": _mean(row["allowed"]),
            "by_ty": _mean(row["by_ty"]), "ty_rss_mb": rss,
            "valid_c": _mean(row["valid_c"]), "valid_c_n": len(row["valid_c"]),
        })
    return rows


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects", default="httpx==0.28.1,attrs==25.4.0")
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--engine", default="jedi,ty,auto",
                        help="type-oracle engines to compare, in turn on every site")
    parser.add_argument("--fresh-jedi", action="store_true",
                        help="a fresh Jedi state for every new text, no warm-up (to compare)")
    args = parser.parse_args(argv)
    if args.fresh_jedi:
        jedistate._STATE_USES = 0  # every Script keeps the state it was made with
    engines = tuple(e.strip() for e in args.engine.split(",") if e.strip())
    unknown = set(engines) - {"jedi", "ty", "auto"}
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    rows = [r for spec in args.projects.split(",")
            for r in asyncio.run(bench_project(*pin(spec), args.sites,
                                               not args.fresh_jedi, engines))]
    print("\ncompletion right after `obj.` (n-gram model; plain vs monitored, per engine)")
    print(f"{'project':<18}{'engine':<7}{'sites':>6}{'match':>8}{'match+M':>9}{'valid':>8}"
          f"{'valid+M':>9}{'(n)':>6}{'changed':>9}{'ms/tok':>8}{'between':>9}{'memo':>6}"
          f"{'trig p50':>10}{'trig p95':>10}{'queries':>9}{'q p50':>8}{'q p95':>8}")
    for r in rows:
        print(f"{r['project']:<18}{r['engine']:<7}{r['sites']:>6}{r['plain_match']:>8.2f}"
              f"{r['mon_match']:>9.2f}{r['plain_valid']:>8.2f}{r['mon_valid']:>9.2f}"
              f"{r['valid_n']:>6}{r['changed']:>9.2f}{r['added_ms_token']:>8.2f}"
              f"{r['between_ms_token']:>9.2f}{r['memo_ms_token']:>6.2f}{r['trigger_p50']:>10.2f}"
              f"{r['trigger_p95']:>10.2f}{r['queries']:>9}{r['query_p50']:>8.1f}"
              f"{r['query_p95']:>8.1f}")
    print(f"\n{'project':<18}{'engine':<7}{'constrained':>12}{'allowed':>9}{'valid|C':>9}"
          f"{'(n)':>5}{'by ty':>7}{'ty RSS MB':>11}")
    for r in rows:
        rss = f"{r['ty_rss_mb']:.0f}" if r["ty_rss_mb"] else "-"
        print(f"{r['project']:<18}{r['engine']:<7}{r['constrained']:>12.2f}{r['allowed']:>9.2f}"
              f"{r['valid_c']:>9.2f}{r['valid_c_n']:>5}{r['by_ty']:>7.2f}{rss:>11}")
    print("\nmatch: first generated identifier == the real member; valid: it is a member Jedi "
          "knows (sites with known members); changed: share of completions monitors changed;\n"
          "ms/tok: added wall time per generated token (between: without the analysis "
          "queries; memo: a second run with every analysis answer memoised);\n"
          "trig: ms per boundary the monitors judged; q: ms per analysis query; warm;\n"
          "constrained: sites where the member was constrained; allowed: the real member was "
          "allowed; valid|C: valid where it was constrained\n(the static validity of monitored "
          "identifiers; unconstrained: `self.` starting a statement of an initialiser, unknown "
          "receivers); by ty: member answers from ty.")
    return 0

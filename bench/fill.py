"""`typehole bench fill`: cut function bodies out of real projects and fill them back.

Sites: functions of the projects' own source (tests and docs left out) whose body, after the
docstring, spans 3-15 lines; a seeded sample of them, spread over the projects. Each body is
replaced by `...`, the hole is found the way the editor finds it, and `context.fill.fill` fills it
with the embedded model (trained on the project, the cut file with its hole) under monitors, with
error rounds. The table reports static validity (share of sites whose best candidate has no
finding), findings per candidate before and after each error round, and which checks found what.

With the embedded n-gram model this measures the loop and the checker far more than a model: few
bodies come out valid. The projects' own tests are not run: that needs each project's test
dependencies installed and a test run per candidate, which this benchmark does not do.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import jedi

from typehole.app.settings import Settings
from typehole.app.training import read_text, relative_name, training_files
from typehole.bench.projects import real_project
from typehole.features.completion.pipeline import BATCH_ANALYSIS_MS
from typehole.features.fill import CheckOptions, FillHole, FillOptions, FillResult, fill, find_hole
from typehole.models.ngram_model import NgramModel
from typehole.monitors import MonitorSettings

__all__ = ["PROJECTS", "Site", "find_sites", "main"]

PROJECTS = {"httpx": "0.28.1", "attrs": "25.4.0", "click": "8.3.3"}
MIN_LINES, MAX_LINES = 3, 15
_SKIP = ("test", "docs", "example", "bench", "scripts")


@dataclass(frozen=True)
class Site:
    """One function whose body was cut: the file with the hole, and the hole."""

    project: str
    path: Path
    function: str
    text: str  # the file with the body replaced by `...`
    hole: FillHole
    body_lines: int


@dataclass
class Outcome:
    """What the fill did at one site."""

    site: Site
    result: FillResult | None = None
    seconds: float = 0.0
    error: str | None = None
    per_round: list[int] = field(default_factory=list)  # findings of each round's candidate


def _files(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*.py"))
            if not any(part.startswith(_SKIP) for part in p.relative_to(root).parts)]


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(
        stmt.value.value, str)


def find_sites(project: str, root: Path) -> list[Site]:
    """Every function in `root` with a 3-15 line body, cut to `...` (in file and line order)."""
    sites: list[Site] = []
    for path in _files(root):
        text = read_text(path)
        if text is None:
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        lines = text.splitlines(keepends=True)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body[1:] if _is_docstring(node.body[0]) else node.body
            if not body or body[0].lineno == node.lineno:
                continue
            first, last = body[0].lineno, body[-1].end_lineno or body[-1].lineno
            if not MIN_LINES <= last - first + 1 <= MAX_LINES:
                continue
            line = lines[first - 1]
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            cut = "".join(lines[: first - 1]) + indent + "...\n" + "".join(lines[last:])
            hole = find_hole(cut, node.lineno - 1)
            if hole is None or hole.kind != "body" or hole.function != node.name:
                continue  # abstract methods, overloads, Protocol members: no hole to fill
            sites.append(Site(project, path, node.name, cut, hole, last - first + 1))
    return sites


def _sample(by_project: dict[str, list[Site]], n: int, seed: int) -> list[Site]:
    """About n/len(projects) sites per project, seeded, in a stable order."""
    rng = random.Random(seed)
    share, extra = divmod(n, max(len(by_project), 1))
    picked: list[Site] = []
    for i, sites in enumerate(by_project.values()):
        want = min(share + (i < extra), len(sites))
        picked.extend(sorted(rng.sample(sites, want), key=lambda s: (str(s.path), s.hole.start)))
    return picked


async def _run_site(site: Site, root: Path, model: NgramModel, project: jedi.Project,
                    options: FillOptions) -> Outcome:
    name = relative_name(root, site.path)
    original = read_text(site.path) or ""
    model.train(name, site.text)  # the cut body must not be in the model
    check = CheckOptions(path=str(site.path), root=str(root), project=project,
                         type_checker=options.check.type_checker)
    started = time.perf_counter()
    outcome = Outcome(site)
    try:
        result = await fill(site.text, site.hole, model, rel_path=name,
                            options=FillOptions(rounds=options.rounds, monitors=options.monitors,
                                                check=check))
        outcome.result = result
        outcome.per_round = [len(c.findings) for c in result.candidates]
    except Exception as exc:  # noqa: BLE001 - one broken site is reported, the run goes on
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        outcome.seconds = time.perf_counter() - started
        model.train(name, original)
    return outcome


async def run_project(project: str, root: Path, sites: list[Site],
                      options: FillOptions) -> list[Outcome]:
    """Fill every site of one project with one embedded model trained on the project."""
    model = NgramModel()
    try:
        for file in training_files(root, Settings()):
            if (text := read_text(file)) is not None:
                model.train(relative_name(root, file), text)
        jedi_project = jedi.Project(root)
        return [await _run_site(s, root, model, jedi_project, options) for s in sites]
    finally:
        await model.aclose()


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:5.1f}%" if b else "   n/a"


def _mean(values: list[int]) -> str:
    return f"{sum(values) / len(values):6.2f}" if values else "   n/a"


def _best_so_far(o: Outcome, k: int) -> int | None:
    """Findings of the best candidate among rounds 0..k (None: no usable candidate yet)."""
    if o.result is None:
        return None
    usable = [len(c.findings) for c in o.result.candidates[: k + 1]
              if c.text.strip() and not any(f.code in ("empty", "stub") for f in c.findings)]
    return min(usable) if usable else None


def report(outcomes: list[Outcome], rounds: int, command: str, options: FillOptions) -> None:
    """Print the tables."""
    print(f"command: {command}")
    print("model: local (the embedded n-gram model, trained on each project; the cut file with "
          "its hole)")
    print("NOTE: with the embedded model this measures the error-round loop and the checker more "
          "than the model; a code model is needed for useful fills.")
    print(f"checks: syntax, pyflakes, Jedi attributes and calls, type checker: "
          f"{options.check.type_checker}; "
          f"monitors: {'on' if options.monitors is not None else 'off'}; "
          f"rounds: {rounds}")
    print()
    print(f"{'project':14} {'sites':>5} {'valid':>6} {'no fill':>7} {'rounds':>6} "
          f"{'stopped':>7} {'errors':>6} {'s/site':>6}")
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(f"{o.site.project}-{PROJECTS.get(o.site.project, '?')}", []).append(o)
    groups["all"] = outcomes
    for label, group in groups.items():
        results = [o.result for o in group if o.result is not None]
        valid = sum(r.best is not None and not r.best.findings for r in results)
        no_fill = sum(r.best is None for r in results)
        stopped = sum(any("repeated" in n for n in r.notes) for r in results)
        ran = [r.rounds for r in results]
        secs = sum(o.seconds for o in group) / len(group) if group else 0.0
        print(f"{label:14} {len(group):5} {_pct(valid, len(group)):>6} "
              f"{_pct(no_fill, len(group)):>7} {_mean(ran):>6} {stopped:7} "
              f"{len(group) - len(results):6} {secs:6.2f}")
    print("valid: best candidate with zero findings; no fill: nothing usable (empty or still a "
          "stub); rounds: error rounds run (mean); stopped: loop ended because the model "
          "repeated its errors; errors: sites where the fill raised.")
    print()
    print(f"{'round':>5} {'candidates':>10} {'findings/cand':>13} {'best so far':>11} "
          f"{'valid so far':>12}")
    done = [o for o in outcomes if o.result is not None]
    for k in range(rounds + 1):
        at_k = [o.per_round[k] for o in done if len(o.per_round) > k]
        best = [b for o in done if (b := _best_so_far(o, k)) is not None]
        clean = sum(_best_so_far(o, k) == 0 for o in done)
        print(f"{k:5} {len(at_k):10} {_mean(at_k):>13} {_mean(best):>11} "
              f"{_pct(clean, len(outcomes)):>12}")
    print("round 0 is the first attempt, round k>0 the k-th error round; findings/cand: mean "
          "findings of that round's candidates (sites still in the loop); best so far: mean "
          "findings of each site's best usable candidate after that round.")
    print()
    first: Counter[str] = Counter()
    final: Counter[str] = Counter()
    for result in (o.result for o in done if o.result is not None):
        if result.candidates:
            first.update(f"{f.source} {f.code}" for f in result.candidates[0].findings)
        if result.best is not None:
            final.update(f"{f.source} {f.code}" for f in result.best.findings)
    print(f"{'finding':34} {'round 0':>7} {'best':>6}")
    for kind, n in sorted(first.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
        print(f"{kind[:34]:34} {n:7} {final[kind]:6}")
    print()
    print("project tests: not run. Running the tests that cover a filled function needs each "
          "project's test dependencies and one test run per candidate; this benchmark reports "
          "static validity only.")
    errors = [o for o in outcomes if o.error]
    for o in errors[:5]:
        print(f"error at {o.site.path.name}:{o.site.hole.line + 1} ({o.site.function}): {o.error}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(prog="typehole bench fill")
    parser.add_argument("--projects", default=",".join(PROJECTS),
                        help=f"comma-separated, from {', '.join(PROJECTS)}")
    parser.add_argument("--sites", type=int, default=40, help="sites in all (default 40)")
    parser.add_argument("--rounds", type=int, default=2, help="error rounds (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--type-checker", default="none",
                        choices=["auto", "mypy", "pyright", "none"],
                        help="type checker per candidate (default none: mypy per candidate is "
                             "seconds each)")
    parser.add_argument("--no-monitors", action="store_true")
    args = parser.parse_args(argv)
    names = [n for n in args.projects.split(",") if n]
    unknown = [n for n in names if n not in PROJECTS]
    if unknown or args.sites < 1 or not 0 <= args.rounds <= 5:
        parser.error(f"unknown projects {unknown}" if unknown else "need --sites >= 1 and "
                     "--rounds in 0..5")
    options = FillOptions(rounds=args.rounds,
                          monitors=None if args.no_monitors
                          else MonitorSettings(trigger_timeout_ms=BATCH_ANALYSIS_MS),
                          check=CheckOptions(type_checker=args.type_checker))
    roots = {n: real_project(n, PROJECTS[n]) for n in names}
    by_project = {n: find_sites(n, roots[n]) for n in names}
    picked = _sample(by_project, args.sites, args.seed)
    outcomes: list[Outcome] = []
    for n in names:
        mine = [s for s in picked if s.project == n]
        outcomes.extend(asyncio.run(run_project(n, roots[n], mine, options)))
    command = (f"typehole bench fill --projects {','.join(names)} --sites {args.sites} "
               f"--rounds {args.rounds} --seed {args.seed} --type-checker {args.type_checker}"
               + (" --no-monitors" if args.no_monitors else ""))
    print("sites available: " + ", ".join(f"{n} {len(s)}" for n, s in by_project.items()))
    report(outcomes, args.rounds, command, options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

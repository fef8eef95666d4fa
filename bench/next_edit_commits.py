"""`typehole bench next-edit --git DIR`: next edits replayed on real commits of a git history.

Cases: every non-merge commit that changes exactly one package `.py` file (not tests, docs,
examples or scripts; other files the commit changes are ignored) in 2-6 line hunks (difflib's
hunks, no context lines, as `events_between` makes them). The commit is replayed hunk by hunk
in file order: for k = 1 .. n-1, the history is the file before the commit plus its first k
hunks, each sent as a didChange-style update through the same entry points the language server
uses (`EditHistory.update`, then `static_suggestions` with the cursor at the end of the last
hunk); the target is every hunk still to come (the order of a commit's hunks is unknown, so any
remaining one counts). The workspace is the commit's parent: its package folder (the top folder
of the file's path, or `src/<package>`) is materialised with `git archive` into a temporary
folder, indexed, and used as the Jedi project; nothing from the commit itself leaks in.

Selection is deterministic: candidate commits sorted by hash, shuffled with `--seed`, and taken
whole until `--max-cases` cases per repository are reached.

Metrics, per repository and over all:
- made: share of cases with at least one suggestion;
- prec.: location precision, share of top-1 suggestions whose line range lands on a remaining
  hunk's lines, with a tolerance of `--tolerance` lines (default 1: an insertion on the line
  next to a hunk, or a site one line off, still counts);
- rec@1 / rec@3: share of all cases whose top-1 / any top-3 suggestion lands on a remaining hunk;
- exact: share of all cases whose top-1 suggestion carries text and, applied, makes the lines
  it touches read exactly as the commit leaves them (a correct part of the commit's edit); a
  deletion touches the line it joins, none at the end of the file;
- ES: edit similarity (difflib ratio) of the touched region after the top-1 suggestion to the
  same region after the hunk it lands on, over top-1 suggestions that land and carry text;
- p50/p95: latency of `static_suggestions` per case, in milliseconds of wall time; cpu50/cpu95
  the same in the process's CPU time, which a busy shared machine inflates less. What is timed
  is what an editor waits for after the edit: the server analysed each earlier text when it was
  opened or settled (`prepare`: the file before the commit, and after each earlier hunk) and
  warmed Jedi on the document when it opened (`jedistate.preload`), so those run untimed before
  the last hunk arrives. `--cold` skips both: every analysis the case needs is timed (each
  commit's first case then pays for a cold Jedi project on a freshly unpacked tree).
Per engine (the suggestion's `source`): top-1 suggestions, their precision and exact share, and
precision over every suggestion the engine made (all ranks).
"""

from __future__ import annotations

import difflib
import io
import json
import random
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typehole.context import jedistate
from typehole.context.index import Index
from typehole.features.next_edit import (
    EditHistory,
    Event,
    IndexLookup,
    Suggestion,
    apply,
    events_between,
    prepare,
    static_suggestions,
)

__all__ = [
    "Case", "Commit", "Outcome", "Score", "cases", "commits", "is_package_file", "repo_name",
    "replay", "score", "target_spans",
]

MIN_HUNKS, MAX_HUNKS = 2, 6
_NOT_PACKAGE = frozenset(("tests", "test", "testing", "docs", "doc", "examples", "example",
                          "scripts", "benchmarks", "bench", "tools", "tasks"))
_NOT_MODULE = ("conftest.py", "setup.py", "noxfile.py", "fabfile.py", "tasks.py")


@dataclass(frozen=True)
class Commit:
    """A commit that changes one package file: its text before (at the parent) and after."""

    repo: str
    sha: str
    parent: str
    path: str
    before: str
    after: str


@dataclass(frozen=True)
class Case:
    """Commit `commit` replayed up to its first `k` hunks (`events`: all its hunks)."""

    commit: Commit
    events: tuple[Event, ...]
    k: int

    @property
    def state(self) -> str:
        """The text after the first k hunks."""
        return self.events[self.k - 1].after

    @property
    def final(self) -> str:
        """The text the commit leaves."""
        return self.events[-1].after


@dataclass
class Outcome:
    """What the engines suggested for one case and how long it took."""

    case: Case
    found: list[Suggestion]
    ms: float
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    cpu_ms: float = 0.0  # the process's CPU time in the call (robust to a shared machine)


def is_package_file(path: str) -> bool:
    """A `.py` module inside a package folder that is not tests, docs, examples or scripts."""
    parts = path.split("/")
    if not path.endswith(".py") or len(parts) < 2 or _NOT_PACKAGE & set(parts[:-1]):
        return False
    return not (parts[-1].startswith("test_") or parts[-1] in _NOT_MODULE)


def _git(git_dir: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, *args], check=True, capture_output=True,
                          text=True, encoding="utf-8", errors="replace").stdout


def commits(git_dir: str) -> list[tuple[str, str, str]]:
    """(commit, parent, path) of each non-merge commit of HEAD's history that changes exactly
    one package `.py` file, sorted by commit hash."""
    # Names only: a clone may miss a few large blobs, which line counts would have to read.
    log = _git(git_dir, "log", "--no-merges", "--no-renames", "--format=@%H %P", "--name-only",
               "HEAD")
    out: list[tuple[str, str, str]] = []
    current: list[str] = []
    paths: list[str] = []

    def flush() -> None:
        package = [p for p in paths if is_package_file(p)]
        if len(current) == 2 and len(package) == 1:
            out.append((current[0], current[1], package[0]))

    for line in log.splitlines():
        if line.startswith("@"):
            flush()
            current, paths = line[1:].split(), []
        elif line:
            paths.append(line)
    flush()
    return sorted(out)


def _blob(git_dir: str, rev: str, path: str) -> str | None:
    try:
        return _git(git_dir, "show", f"{rev}:{path}")
    except subprocess.CalledProcessError:
        return None  # the file is new in this commit, or was deleted by it


def cases(git_dir: str, max_cases: int, seed: int = 0) -> list[Case]:
    """Up to `max_cases` cases of the repository, whole commits, in a seeded shuffled order."""
    repo = repo_name(git_dir)
    candidates = commits(git_dir)
    random.Random(seed).shuffle(candidates)
    out: list[Case] = []
    for sha, parent, path in candidates:
        if len(out) >= max_cases:
            break
        before, after = _blob(git_dir, parent, path), _blob(git_dir, sha, path)
        if before is None or after is None or before == after:
            continue
        events = tuple(events_between(before, after))
        if not MIN_HUNKS <= len(events) <= MAX_HUNKS:
            continue
        commit = Commit(repo, sha, parent, path, before, after)
        out.extend(Case(commit, events, k) for k in range(1, len(events)))
    return out[:max_cases]


def repo_name(git_dir: str) -> str:
    """A short name for the repository (`owner+name/repo` -> `name`)."""
    path = Path(git_dir).resolve()
    name = path.parent.name if path.name in (".git", "repo") else path.name
    return name.split("+")[-1].removesuffix(".git")


def target_spans(case: Case) -> list[tuple[int, int, str]]:
    """The hunks still to come as (start, end, new text) in the case's current text.

    Hunks come in file order, so each later hunk's offsets move only by the hunks between the
    current text and it.
    """
    out = []
    shift = 0
    for event in case.events[case.k :]:
        change = event.change
        out.append((change.start - shift, change.end - shift, change.new_text))
        shift += change.delta
    return out


def replay(case: Case, path: str | None = None, project: Any = None,
           lookup: Any = None, cold: bool = False, model: ModelStep | None = None) -> Outcome:
    """The suggestions after the case's first k hunks arrive as document updates.

    Unless `cold`, each text before the last hunk is analysed untimed first, as the server
    does when a document is opened or settles (`prepare`). With `model`, the model step runs
    where the static engines are silent, as the server's `nextEdit.modelStep` does (timed too).
    """
    history = EditHistory(case.commit.before)
    if not cold:
        prepare(case.commit.before)
    for i, event in enumerate(case.events[: case.k]):
        history.update(event.after, now=10.0 * (i + 1))  # apart: each hunk is its own edit
        if not cold and i < case.k - 1:
            prepare(event.after)
    state = case.state
    cursor = case.events[case.k - 1].change.inserted_end
    t0, c0 = time.perf_counter(), time.process_time()
    found = static_suggestions(state, history.events, path, project, cursor, lookup=lookup)
    if not found and model is not None:
        found = model(state, cursor, history.events, case.commit.path)
    ms, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    return Outcome(case, found, ms, target_spans(case), cpu)


def _lines(text: str, start: int, end: int) -> tuple[int, int]:
    return text.count("\n", 0, start), text.count("\n", 0, max(start, end))


def lands(state: str, s: Suggestion, span: tuple[int, int, str], tolerance: int) -> bool:
    """Whether the suggestion's lines overlap the hunk's, give or take `tolerance` lines."""
    if s.path is not None:
        return False  # another file: never one of this commit's hunks here
    a0, a1 = _lines(state, s.start, s.end)
    b0, b1 = _lines(state, span[0], span[1])
    return a0 <= b1 + tolerance and b0 <= a1 + tolerance


def _carries_text(state: str, s: Suggestion) -> bool:
    return not getattr(s, "jump", False) and apply(state, s) != state


def exact(state: str, s: Suggestion, final: str) -> bool:
    """Whether applying `s` brings the text closer to `final` and makes every line it touches
    read as in `final` (lines aligned by a line diff)."""
    if s.path is not None or not _carries_text(state, s):
        return False
    text = apply(state, s)
    end = s.start + len(s.new_text) - s.new_text.endswith("\n")
    lo, hi = _lines(text, s.start, end)
    lines = text.splitlines()
    goal = final.splitlines()
    matcher = difflib.SequenceMatcher(None, lines, goal, autojunk=False)
    kept: set[int] = set()
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "equal":
            kept.update(range(i1, i2))
    # A deletion at the end of the file touches no line (there is none after it).
    if not all(line in kept for line in range(lo, min(hi + 1, len(lines)))):
        return False
    before = difflib.SequenceMatcher(None, state.splitlines(), goal, autojunk=False)
    return matcher.ratio() > before.ratio()


def similarity(state: str, s: Suggestion, span: tuple[int, int, str]) -> float:
    """Edit similarity over the lines both the suggestion and the hunk touch."""
    lo = state.rfind("\n", 0, min(s.start, span[0])) + 1
    end = max(s.end, span[1])
    hi = state.find("\n", end)
    hi = len(state) if hi < 0 else hi
    predicted = apply(state, s)[lo : hi + len(s.new_text) - (s.end - s.start)]
    gold_text = state[: span[0]] + span[2] + state[span[1] :]
    gold = gold_text[lo : hi + len(span[2]) - (span[1] - span[0])]
    return difflib.SequenceMatcher(None, predicted, gold, autojunk=False).ratio()


@dataclass
class Score:
    """Counts over cases, and per engine."""

    counts: Counter[str] = field(default_factory=Counter)
    engines: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    similarity: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Fold another score into this one."""
        self.counts.update(other.counts)
        for name, c in other.engines.items():
            self.engines[name].update(c)
        self.similarity.extend(other.similarity)
        self.times.extend(other.times)
        self.cpu_times.extend(other.cpu_times)


def score(outcome: Outcome, tolerance: int = 1, into: Score | None = None) -> Score:
    """Count one case's outcome."""
    out = into if into is not None else Score()
    state, found, spans = outcome.case.state, outcome.found, outcome.spans
    c = out.counts
    c["cases"] += 1
    out.times.append(outcome.ms)
    out.cpu_times.append(outcome.cpu_ms)
    for s in found:
        engine = out.engines[s.source]
        engine["all"] += 1
        engine["all_hit"] += any(lands(state, s, t, tolerance) for t in spans)
    if not found:
        return out
    c["made"] += 1
    top = found[0]
    hits = [t for t in spans if lands(state, top, t, tolerance)]
    right = bool(hits) and exact(state, top, outcome.case.final)
    c["hit1"] += bool(hits)
    c["hit3"] += any(lands(state, s, t, tolerance) for s in found[:3] for t in spans)
    c["exact"] += right
    engine = out.engines[top.source]
    engine["top"] += 1
    engine["top_hit"] += bool(hits)
    engine["top_exact"] += right
    if hits and _carries_text(state, top):
        out.similarity.append(similarity(state, top, hits[0]))
    return out


# (text, cursor, events, path) -> the model step's suggestions (`bench.next_edit` builds one).
ModelStep = Callable[[str, int, Sequence[Event], str], list[Suggestion]]


class Workspace:
    """The package folder of a commit's parent, unpacked, indexed and a Jedi project; the last
    one is kept, so the cases of one commit share it."""

    def __init__(self, git_dir: str) -> None:
        self.git_dir = git_dir
        self.key: tuple[str, str] | None = None
        self.root: Path | None = None
        self.index: Index | None = None
        self.project: Any = None

    def open(self, commit: Commit) -> Path:
        """The unpacked folder for this commit's parent (reused for the same parent and package)."""
        package = _package_dir(commit.path)
        key = (commit.parent, package)
        if key == self.key and self.root is not None:
            return self.root
        self.close()
        import jedi

        self.root = Path(tempfile.mkdtemp(prefix="typehole-bench-git-"))
        archive = subprocess.run(["git", "--git-dir", self.git_dir, "archive", "--format=tar",
                                  commit.parent, package], check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(self.root, filter="data")
        self.index = Index(self.root, str(self.root / ".typehole-index"))
        self.index.build()
        self.project = jedi.Project(str(self.root))
        self.key = key
        return self.root

    def close(self) -> None:
        """Remove the unpacked folder and close its index."""
        if self.index is not None:
            self.index.close()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        self.key, self.root, self.index, self.project = None, None, None, None


def _package_dir(path: str) -> str:
    """The package folder a file belongs to: `src/<package>` or the path's top folder."""
    parts = path.split("/")
    if parts[0] in ("src", "lib") and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0]


def run_repo(git_dir: str, max_cases: int, seed: int, tolerance: int,
             shown: list[Outcome] | None = None,
             sources: frozenset[str] | None = None, cold: bool = False,
             model: ModelStep | None = None) -> Score:
    """Replay the repository's cases; `shown` collects every outcome (for `--show`, `--dump`);
    `sources`: only suggestions of these sources count (what the others would leave);
    `cold`: time every analysis a case needs; `model`: the model step (see `replay`)."""
    total = Score()
    workspace = Workspace(git_dir)
    warm: tuple[str, str] | None = None
    try:
        for case in cases(git_dir, max_cases, seed):
            root = workspace.open(case.commit)
            path = str(root / case.commit.path)
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if not cold and warm != (case.commit.sha, path):
                _warm_jedi(case.commit.before, path, workspace.project)
                warm = (case.commit.sha, path)
            lookup = IndexLookup(workspace.index, path)
            outcome = replay(case, path, workspace.project, lookup, cold, model)
            if sources is not None:
                outcome.found = [s for s in outcome.found if s.source in sources]
            score(outcome, tolerance, total)
            if shown is not None:
                shown.append(outcome)
    finally:
        workspace.close()
    return total


def _warm_jedi(text: str, path: str, project: Any) -> None:
    """Warm Jedi on the document as the server does once it is opened (`server.warmup`)."""
    for _ in jedistate.preload(text, path, project):  # best effort: it stops where Jedi fails
        pass


def table(rows: list[tuple[str, Score]]) -> Iterator[str]:
    """The printed table: one row per repository and one over all, then the engines."""
    columns = ("made", "prec.", "rec@1", "rec@3", "exact", "ES", "p50", "p95", "cpu50", "cpu95")
    yield f"{'repository':<14}{'cases':>6}" + "".join(f"{c:>7}" for c in columns)
    for name, s in rows:
        c = s.counts
        n, made = max(c["cases"], 1), max(c["made"], 1)
        es = sum(s.similarity) / len(s.similarity) if s.similarity else 0.0
        yield (f"{name:<14}{c['cases']:>6}{c['made'] / n:>7.3f}{c['hit1'] / made:>7.3f}"
               f"{c['hit1'] / n:>7.3f}{c['hit3'] / n:>7.3f}{c['exact'] / n:>7.3f}{es:>7.3f}"
               f"{_percentile(s.times, 0.5):>7.1f}{_percentile(s.times, 0.95):>7.1f}"
               f"{_percentile(s.cpu_times, 0.5):>7.1f}{_percentile(s.cpu_times, 0.95):>7.1f}")
    engines = rows[-1][1].engines
    yield ""
    yield f"{'engine':<14}{'top-1':>6}{'prec.':>7}{'exact':>7}{'all':>6}{'prec.':>7}"
    for name in sorted(engines):
        e = engines[name]
        top = max(e["top"], 1)
        yield (f"{name:<14}{e['top']:>6}{e['top_hit'] / top:>7.3f}{e['top_exact'] / top:>7.3f}"
               f"{e['all']:>6}{e['all_hit'] / max(e['all'], 1):>7.3f}")


def _percentile(times: list[float], q: float) -> float:
    ordered = sorted(times) or [0.0]
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def show(outcome: Outcome, tolerance: int) -> str:
    """One case in words: the commit, the top suggestion, and whether it landed."""
    case, state = outcome.case, outcome.case.state
    head = f"{case.commit.repo} {case.commit.sha[:10]} {case.commit.path} k={case.k}/" \
           f"{len(case.events)}"
    if not outcome.found:
        return head + ": silent"
    top = outcome.found[0]
    landed = any(lands(state, top, t, tolerance) for t in outcome.spans)
    line = state.count("\n", 0, top.start) + 1
    verdict = "exact" if exact(state, top, case.final) else "hit" if landed else "miss"
    return (f"{head}: [{top.source}] line {line} {verdict}: {top.reason}\n"
            f"    {state[top.start : top.end]!r} -> {top.new_text!r}")


def record(outcome: Outcome, tolerance: int) -> dict[str, Any]:
    """One case as a JSON-ready record (`--dump`): the commit, the top suggestion's site, old
    and new text, whether it landed and was exact, and the hunk it landed on (its old and new
    text), or the remaining hunks when it missed."""
    case, state = outcome.case, outcome.case.state
    out: dict[str, Any] = {
        "repo": case.commit.repo, "sha": case.commit.sha, "path": case.commit.path,
        "k": case.k, "hunks": len(case.events), "ms": round(outcome.ms, 1),
        "cpu_ms": round(outcome.cpu_ms, 1), "found": len(outcome.found),
    }
    if not outcome.found:
        return out
    top = outcome.found[0]
    hits = [t for t in outcome.spans if lands(state, top, t, tolerance)]
    out.update({
        "source": top.source, "reason": top.reason, "line": state.count("\n", 0, top.start) + 1,
        "jump": top.jump, "old": state[top.start : top.end], "new": top.new_text,
        "landed": bool(hits), "exact": bool(hits) and exact(state, top, case.final),
        "targets": [{"line": state.count("\n", 0, t[0]) + 1, "old": state[t[0] : t[1]],
                     "new": t[2]} for t in (hits or outcome.spans)],
    })
    return out


def dump(outcomes: list[Outcome], tolerance: int, path: str) -> None:
    """Write one JSON line per case (`record`)."""
    with open(path, "w", encoding="utf-8") as f:
        for outcome in outcomes:
            f.write(json.dumps(record(outcome, tolerance)) + "\n")

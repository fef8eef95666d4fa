"""Receiver benchmark: the members each type-oracle engine gives for `obj.` in real code.

Sites are chains `a.b().c` followed by `.name` in the projects' own code (not in strings or
comments, not on import or decorator lines), spread evenly over the files. At each site the
line is cut right after the dot (the rest of the line removed, the lines after kept): the
question is what may follow `chain.`. Each engine is asked in turn, site by site, in one run:
- jedi: as the monitors ask Jedi: the chain evaluated at its start in the document as it is
  (`context.receiver`, no new parse), else Jedi's completion on the cut text;
- ty: ty's language server (`context.oracle.ty`, one child for the project, asked once it is
  ready), sent the cut text as the editor's (`TyOracle.update`): completion after the dot, the
  rest of its line removed and the brackets open there closed (the lines after kept); with
  `--warm`, ty types that text first (`TyOracle.warm`, not timed), and the receiver's type
  there and its members from a probe document answer where they can;
- auto: ty, and Jedi where ty does not know, but for a chain that starts with a parameter of
  its function or a loop's target there, as the monitors ask (derived from the two answers on
  the same site: its time is ty's plus Jedi's where Jedi was asked).
Reported per engine: recall (the member the code actually has is among the answer's names;
recall*: the same without the sites where the dereference monitor constrains nothing because
a new attribute may follow, `self.` starting a statement of an initialiser, whose member the
cut text may define nowhere; recall^: the same without only the sites of those whose member
the project defines nowhere but at the site, `new`: no engine can list a name that the text
it is asked about does not define, so they are counted apart, not as misses),
empty (no answer: the monitor fails open), warm p50/p95 ms (every question but the first) and
the first question's ms. For Jedi also how its two ways agree (the document's answer the same
as, a superset of, or missing names of the cut text's). For ty the child's RSS at the end, and
with `--edits N` its RSS before N edits of one file (each followed by a question), after each
quarter of them and at the end.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import statistics
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typehole.bench.projects import pin, real_project
from typehole.context import jedistate
from typehole.context.oracle import JediOracle, TyOracle, Unavailable, close_brackets
from typehole.context.receiver import Link, parse_chain
from typehole.monitors.base import bound_by_parameter_or_loop
from typehole.monitors.members import new_attribute_site

ENGINES = ("jedi", "ty", "auto")
_CHAIN = re.compile(
    r"(?<![\w.)\]'\"])((?:[A-Za-z_]\w*(?:\(\))?)(?:\.[A-Za-z_]\w*(?:\(\))?)*)\.([A-Za-z_]\w*)")
_SKIP = re.compile(r"^\s*(#|import\b|from\b|@)")
_START_S = 120.0  # ty's start, a hang guard
_ASK_S = 30.0  # one question, a hang guard (the benchmark measures, it does not cut short)


@dataclass(frozen=True)
class Site:
    """A dereference in a file: the cut text, where the chain starts, the dot, the member."""

    path: Path
    text: str
    start: int
    dot: int
    chain: tuple[Link, ...]
    member: str
    new_attribute: bool = False  # `self.` starting a statement of an initialiser
    only_here: bool = False  # and the project defines the member nowhere but at the site


@dataclass
class Tally:
    """One engine's answers on one project's sites."""

    hits: int = 0
    empty: int = 0
    ms: list[float] = field(default_factory=list)
    constrained: list[bool] = field(default_factory=list)  # hit, per site a monitor constrains
    defined: list[bool] = field(default_factory=list)  # hit, per site not `only_here`

    def add(self, names: list[str] | None, site: Site, ms: float) -> bool:
        """Count one answer (None: no answer) to `site`; whether it has the real member."""
        hit = names is not None and site.member in names
        self.hits += hit
        self.empty += names is None
        self.ms.append(ms)
        if not site.new_attribute:
            self.constrained.append(hit)
        if not site.only_here:
            self.defined.append(hit)
        return hit

    def row(self) -> dict[str, float]:
        """recall, recall*, recall^, new, empty, warm p50/p95 and first ms."""
        n = max(len(self.ms), 1)
        warm = sorted(self.ms[1:]) or [0.0]
        return {"recall": self.hits / n, "empty": self.empty / n,
                "recall_c": sum(self.constrained) / max(len(self.constrained), 1),
                "recall_d": sum(self.defined) / max(len(self.defined), 1),
                "new": len(self.ms) - len(self.defined),
                "p50": statistics.median(warm), "p95": _percentile(warm, 0.95),
                "first": self.ms[0] if self.ms else 0.0}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def sites_of(root: Path, limit: int) -> list[Site]:
    """Up to `limit` dereference sites, spread evenly over the project's non-test files."""
    found: list[Site] = []
    paths = [p for p in sorted(root.rglob("*.py"))
             if "test" not in p.parts and not p.name.startswith("test")]
    classes = project_classes(paths)
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        names = _name_starts(text)  # chains in code only, not in strings or comments
        for m in _CHAIN.finditer(text):
            line_start = text.rfind("\n", 0, m.start(1)) + 1
            chain = parse_chain(m.group(1))
            if m.start(1) not in names or chain is None or _SKIP.match(
                    text[line_start:m.start(1)]):
                continue
            dot = m.end(1) + 1
            line_end = text.find("\n", dot)
            cut = text[:dot] + (text[line_end:] if line_end >= 0 else "")
            new = not close_brackets(cut, dot) and new_attribute_site(cut[:dot])
            only_here = new and defined_only_at(classes, path, text.count("\n", 0, dot) + 1,
                                                m.group(2))
            found.append(Site(path, cut, m.start(1), dot, tuple(chain), m.group(2), new,
                              only_here))
    step = max(len(found) // max(limit, 1), 1)
    return found[::step][:limit]


# Bases that define no attribute a class's own code would assign.
_EMPTY_BASES = frozenset({"object", "Generic", "Protocol"})


@dataclass
class _Class:
    """A class of the project: its name, its bases' names and where it defines each member
    (lines)."""

    name: str
    bases: list[str]
    members: dict[str, set[int]]
    lines: range


def project_classes(paths: list[Path]) -> dict[Path, list[_Class]]:
    """Every class of these files, with the members it defines: its body's functions, classes,
    assigned names and `__slots__`, and each assignment target `self.name` (any name before
    the dot) in its code."""
    found: dict[Path, list[_Class]] = {}
    for path in paths:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                found.setdefault(path, []).append(_class_of(node))
    return found


def _class_of(node: ast.ClassDef) -> _Class:
    members: dict[str, set[int]] = {}
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            members.setdefault(item.name, set()).add(item.lineno)
        if not isinstance(item, (ast.Assign, ast.AnnAssign)):
            continue
        targets = item.targets if isinstance(item, ast.Assign) else [item.target]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    members.setdefault(name.id, set()).add(name.lineno)
            if isinstance(target, ast.Name) and target.id == "__slots__" and item.value:
                for slot in ast.walk(item.value):  # `__slots__ = ("a", "b")` declares them
                    if isinstance(slot, ast.Constant) and isinstance(slot.value, str):
                        members.setdefault(slot.value, set()).add(slot.lineno)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store):
            members.setdefault(sub.attr, set()).add(sub.lineno)
    bases = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute)
             else b.value.id if isinstance(b, ast.Subscript) and isinstance(b.value, ast.Name)
             else "?" for b in node.bases]
    end = node.end_lineno or node.lineno
    return _Class(node.name, bases, members, range(node.lineno, end + 1))


def defined_only_at(classes: dict[Path, list[_Class]], path: Path, line: int,
                    member: str) -> bool:
    """Whether the class around `line` of `path` defines `member` nowhere but on that line,
    and none of its bases does (each a class of the project found by name, or `object`: a
    base from elsewhere may define it, so such a class is never counted)."""
    around = [c for c in classes.get(path, []) if line in c.lines]
    if not around:
        return False
    own = min(around, key=lambda c: len(c.lines))  # the innermost
    by_name: dict[str, list[_Class]] = {}
    for listed in classes.values():
        for c in listed:
            by_name.setdefault(c.name, []).append(c)
    seen: set[int] = set()
    todo = [(own, True)]
    while todo:
        cls, is_own = todo.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        lines = cls.members.get(member, set())
        if lines - ({line} if is_own else set()):
            return False
        for base in cls.bases:
            if base in _EMPTY_BASES:
                continue
            if base not in by_name:
                return False
            todo.extend((b, False) for b in by_name[base])
    return True


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


def _timed(ask: object) -> tuple[list[str] | None, float]:
    started = time.perf_counter()
    try:
        found = ask()  # type: ignore[operator]
    except Unavailable:
        found = None
    return found, (time.perf_counter() - started) * 1000


def bench_project(name: str, version: str, limit: int, edits: int,
                  show_misses: bool = False, warm: bool = False) -> dict[str, Any]:
    """Ask every engine about every site of one project."""
    root = real_project(name, version)
    sites = sites_of(root, limit)
    ty = TyOracle(root)
    started = time.perf_counter()
    ready = ty.wait_ready(_START_S)
    start_ms = (time.perf_counter() - started) * 1000
    jedi = JediOracle()
    tallies = {engine: Tally() for engine in ENGINES}
    agreement = {"same": 0, "superset": 0, "missing": 0, "none": 0}
    for site in sites:
        path = str(site.path)
        doc, doc_ms = _timed(lambda s=site: jedi.receiver_members(
            s.text, s.start, str(s.path), s.chain))
        new, new_ms = _timed(lambda s=site: jedi.members(s.text, s.dot, str(s.path)))
        _agree(doc, new, agreement)
        jedi_names = doc or new or None
        jedi_ms = doc_ms + (new_ms if not doc else 0.0)
        tallies["jedi"].add(jedi_names, site, jedi_ms)
        ty.update(path, site.text)  # the editor's text: the line cut after the dot
        if warm:
            ty.warm(path, site.text)  # typed by ty, as once typing pauses in the editor
        found, ty_ms = _timed(lambda s=site, p=path: ty.members(
            s.text, s.dot, p, time.monotonic() + _ASK_S))
        if not tallies["ty"].add(found, site, ty_ms) and show_misses:
            line_start = site.text.rfind("\n", 0, site.start) + 1
            line = site.text.count("\n", 0, site.dot) + 1
            print(f"ty missed {site.path.relative_to(root)}:{line}"
                  f" {site.text[line_start:site.dot].strip()!r} -> {site.member}"
                  f"{' (new attribute)' if site.new_attribute else ''}"
                  f"{', defined only here' if site.only_here else ''}:"
                  f" {'no answer' if found is None else f'{len(found)} names'}")
        if found is not None:
            tallies["auto"].add(found, site, ty_ms)
        elif bound_by_parameter_or_loop(site.text[:site.start], site.chain[0].name):
            tallies["auto"].add(None, site, ty_ms)  # Jedi is not asked (`View.members`)
        else:
            tallies["auto"].add(jedi_names, site, ty_ms + jedi_ms)
    rss = ty.rss_mb()
    from_editor = ty.counts["from_editor"]
    growth = _edits(ty, sites[0], edits) if edits and sites else None
    ty.close()
    return {"project": f"{name}=={version}", "sites": len(sites), "ready": ready,
            "start_ms": start_ms, "rows": {e: t.row() for e, t in tallies.items()},
            "agreement": agreement, "rss_mb": rss, "growth": growth,
            "from_editor": from_editor}


def _agree(doc: list[str] | None, new: list[str] | None, counts: dict[str, int]) -> None:
    """Compare Jedi's answer on the document as it is with its answer on the cut text."""
    fresh = set(new or ())
    if doc is not None and "__slots__" not in doc:
        fresh.discard("__slots__")  # the document's answer names what `__slots__` declares
    if doc is None:
        counts["none"] += 1
    elif set(doc) == fresh:
        counts["same"] += 1
    elif fresh <= set(doc):
        counts["superset"] += 1
    else:
        counts["missing"] += 1


def _edits(ty: TyOracle, site: Site, edits: int) -> list[float | None]:
    """ty's RSS before `edits` edits of one file, each followed by a question, after each
    quarter of them and at the end (growth that levels off is caches filling; a leak goes on)."""
    samples = [ty.rss_mb()]
    line_start = site.text.rfind("\n", 0, site.start) + 1
    for i in range(edits):
        if i and i % max(edits // 4, 1) == 0:
            samples.append(ty.rss_mb())
        # A new comment line above the site each time, as typing would: every edit a new text.
        added = f"# edit {i}\n"
        text = site.text[:line_start] + added + site.text[line_start:]
        try:
            ty.update(str(site.path), text)
            ty.members(text, site.dot + len(added), str(site.path), time.monotonic() + _ASK_S)
        except Unavailable:
            pass
    samples.append(ty.rss_mb())
    return samples


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects", default="httpx==0.28.1,rich==14.3.4")
    parser.add_argument("--sites", type=int, default=60, help="sites per project")
    parser.add_argument("--edits", type=int, default=0,
                        help="edits of one file after the sites, for ty's memory growth")
    parser.add_argument("--misses", action="store_true",
                        help="print each site whose member ty's answer misses")
    parser.add_argument("--warm", action="store_true",
                        help="ty types each site's text before the question (answers from the "
                             "editor's text, as once typing pauses); its time not counted")
    args = parser.parse_args(argv)
    jedistate.invalidate()
    rows = [bench_project(*pin(spec), args.sites, args.edits, args.misses, args.warm)
            for spec in args.projects.split(",")]
    print(f"\n{'project':<16}{'engine':<7}{'sites':>6}{'recall':>8}{'recall*':>9}{'recall^':>9}"
          f"{'new':>5}{'empty':>7}{'p50 ms':>8}{'p95 ms':>8}{'first ms':>10}")
    for r in rows:
        for engine, row in r["rows"].items():
            print(f"{r['project']:<16}{engine:<7}{r['sites']:>6}{row['recall']:>8.2f}"
                  f"{row['recall_c']:>9.2f}{row['recall_d']:>9.2f}{row['new']:>5.0f}"
                  f"{row['empty']:>7.2f}{row['p50']:>8.1f}{row['p95']:>8.1f}"
                  f"{row['first']:>10.1f}")
    print(f"\n{'project':<16}{'ty start ms':>12}{'ty RSS MB':>10}{'from editor':>12}"
          f"{'jedi doc vs new: same/superset/missing/none':>46}   edits: RSS MB each quarter")
    for r in rows:
        growth = r["growth"]
        grown = " -> ".join(f"{mb or 0:.0f}" for mb in growth) if growth else "-"
        a = r["agreement"]
        print(f"{r['project']:<16}{r['start_ms']:>12.0f}{r['rss_mb'] or 0:>10.0f}"
              f"{r['from_editor']:>12}{a['same']:>31}/{a['superset']}/{a['missing']}"
              f"/{a['none']}   {grown}")
    print("\nrecall: the member the code has is among the names (recall*: but at `self.` "
          "starting a statement of an initialiser, where monitors constrain nothing;\n"
          "recall^: but at the `new` ones of those, whose member the project defines nowhere "
          "but at the site, so no text asked about defines it);\n"
          "empty: no answer (the monitor fails open); p50/p95: warm, every question but the "
          "first;\n"
          "jedi: the chain at its start in the document, else completion on the cut text; "
          "ty: its completion after the dot; auto: ty, else jedi (not for a chain that starts "
          "with a parameter or a loop's target; same sites).")
    return 0

"""`typehole bench quality`: next-line quality of a real model, asked four ways on the same sites.

Sites, from the projects' own code (tests, docs and examples left out), a seeded sample spread
evenly over the projects:
- `crossfile` (CrossCodeEval's construction, `bench.context.sites`): a line that uses a name
  imported from another file of the same project; the cursor is after the line's indentation;
- `deref` (`bench.monitors.sites_of`): a dereference `obj.member`; the cursor is right after `.`.
At each site the rest of the cursor's line is the real line (the answer) and is cut out of the
document: the model sees the file's text before the cursor and, where a way sends one, the file
after that line as the suffix.

The same model (`--model`, default the built-in `embedded` one) is asked four ways:
- `prefix`: the file's prefix only (what llm-ls sends a model without FIM);
- `bm25`: BM25 over 10-line windows of the other files (CrossCodeEval's baseline, the index's
  own window search, query = the last lines before the cursor) as a comment block, then the prefix;
- `typehole-nomon`: typehole's completion pipeline with its context hook, as `typehole complete`
  runs it, monitors off;
- `typehole`: the same with monitors on;
- `engine` (only when asked, after a typehole way): the first request typehole sent at the site,
  sent again to the engine alone, so the report can say what typehole adds to the engine's time
  for the same prompt.
`prefix` and `bm25` go through the same backend with the same prompt budget, the same context
share, the same `max_tokens` and stop at the first line; they are fitted and rendered the way
typehole's pipeline fits and renders its own prompt for the model (`build_prompt`, then the
backend's template), so only the context differs. Answers are scored on their first line.

Run: typehole bench quality [--sites 100] [--projects httpx,rich] [--show 12] [--out F.jsonl]
Every answer is appended to `--out` as it comes; a rerun with the same file resumes, and
`--report` prints the tables from the file without a model.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import io
import json
import keyword
import random
import re
import shlex
import statistics
import sys
import tempfile
import time
import tokenize
from collections.abc import AsyncGenerator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import attrs

from typehole.app.hub import ModelHub, pipeline_options
from typehole.app.settings import Settings
from typehole.bench import context as context_bench
from typehole.bench import monitors as monitors_bench
from typehole.bench.projects import real_project
from typehole.context.assemble import assemble, blocks_for
from typehole.context.engine import ContextEngine
from typehole.context.jedistate import preload
from typehole.context.records import Hole
from typehole.context.retrieval import analogy
from typehole.context.settings import ContextSettings
from typehole.features.completion.context_hook import EngineContext
from typehole.features.completion.pipeline import BATCH_ANALYSIS_MS, Pipeline, PipelineOptions
from typehole.features.completion.prompt import build_prompt
from typehole.features.completion.site import Site
from typehole.models.base import Backend, Chunk, CompletionRequest, LoadsInBackground, Timings
from typehole.models.errors import ModelError
from typehole.models.spec import ModelSpec

__all__ = [
    "KINDS", "PROJECTS", "WAYS", "QualitySite", "crossfile_sites", "deref_sites", "edit_similarity",
    "exact_match", "first_identifier", "first_line", "main", "pick", "written_members",
]

PROJECTS = {
    "httpx": "0.28.1", "rich": "14.3.4", "attrs": "25.4.0", "click": "8.3.3", "jinja2": "3.1.6",
}
KINDS = ("crossfile", "deref")
WAYS = ("prefix", "bm25", "typehole-nomon", "typehole")
# Asked only by name: the same prompt as typehole's, without typehole around it.
EXTRA_WAYS = ("engine",)
# Folders whose files are not the project's own library code.
_SKIP_PARTS = {"test", "tests", "testing", "docs", "doc", "examples", "example", "scripts",
               "benchmarks", "bench"}


# -- sites ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualitySite:
    """One cursor in a real file; the rest of its line is the answer."""

    kind: str  # crossfile | deref
    project: str
    path: str  # relative to the project root
    file: Path  # absolute
    text: str  # the real file
    offset: int  # the cursor (code points)

    @cached_property
    def line_end(self) -> int:
        """Where the cursor's line ends (its newline, or the end of the file)."""
        end = self.text.find("\n", self.offset)
        return len(self.text) if end < 0 else end

    @cached_property
    def target(self) -> str:
        """The real rest of the line after the cursor: what the model should write."""
        return self.text[self.offset : self.line_end].rstrip()

    @cached_property
    def document(self) -> str:
        """The file as the model sees it: the real rest of the cursor's line cut out."""
        return self.text[: self.offset] + self.text[self.line_end :]

    @cached_property
    def line(self) -> int:
        """1-based line of the cursor."""
        return self.text.count("\n", 0, self.offset) + 1

    @cached_property
    def column(self) -> int:
        """0-based column of the cursor (code points)."""
        return self.offset - (self.text.rfind("\n", 0, self.offset) + 1)

    @property
    def key(self) -> str:
        """A stable name for the site (results on disk are matched by it)."""
        return f"{self.kind}:{self.project}:{self.path}:{self.line}:{self.column}"


def _own_code(rel: str) -> bool:
    parts = Path(rel).parts
    return (not any(p in _SKIP_PARTS or "example" in p for p in parts[:-1])
            and not parts[-1].startswith("test"))


def _string_lines(text: str) -> set[int]:
    """1-based lines that continue a multi-line string (a docstring's body, say)."""
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return inside


def _names_in_code(line: str) -> set[str]:
    """The names a line uses as code (not inside its strings or comments)."""
    return {t.string for t in _tokens(line.strip()) if t.type == tokenize.NAME}


def crossfile_sites(engine: ContextEngine, project: str) -> list[QualitySite]:
    """Every cross-file site of the project (`bench.context.sites`) where the imported name is
    used as code: lines inside strings, and names only inside a string (`__all__`), left out."""
    found: list[QualitySite] = []
    files: dict[str, tuple[set[int], set[str]]] = {}
    for rel, text, offset, _used in context_bench.sites(engine, limit=sys.maxsize):
        if not _own_code(rel):
            continue
        site = QualitySite("crossfile", project, rel, engine.root / rel, text, offset)
        if rel not in files:
            imported = {a for a, imp in engine.facts(rel, text).imports.items() if imp.name}
            files[rel] = (_string_lines(text), imported)
        in_strings, imported = files[rel]
        if (site.target and site.line not in in_strings
                and _names_in_code(site.target) & imported):
            found.append(site)
    return sorted(found, key=lambda s: s.key)


def deref_sites(root: Path, project: str) -> list[QualitySite]:
    """Every dereference site of the project (`bench.monitors.sites_of`)."""
    texts: dict[Path, str] = {}
    found: list[QualitySite] = []
    for path, offset, _member in monitors_bench.sites_of(root, sys.maxsize):
        rel = path.relative_to(root).as_posix()
        if not _own_code(rel):
            continue
        if path not in texts:
            texts[path] = path.read_text(encoding="utf-8", errors="replace")
        found.append(QualitySite("deref", project, rel, path, texts[path], offset))
    return sorted(found, key=lambda s: s.key)


def pick(sites: Sequence[QualitySite], count: int, seed: int, salt: str) -> list[QualitySite]:
    """A seeded sample of `count` sites (all of them when there are fewer)."""
    rng = random.Random(f"{seed}:{salt}")
    return rng.sample(list(sites), min(count, len(sites)))


def spread(total: int, parts: int) -> list[int]:
    """`total` split as evenly as possible over `parts` (the first ones get the remainder)."""
    return [total // parts + (i < total % parts) for i in range(parts)]


# -- metrics -------------------------------------------------------------------------------------


def first_line(text: str | None) -> str:
    """The first line of an answer, without trailing whitespace (leading whitespace is kept: it
    is inserted at the cursor too)."""
    return (text or "").split("\n", 1)[0].rstrip()


def exact_match(written: str, real: str) -> bool:
    """The first lines are equal (trailing whitespace ignored)."""
    return first_line(written) == first_line(real)


def edit_similarity(written: str, real: str) -> float:
    """difflib's ratio 2*M/T of the first lines (M matched characters, T both lengths)."""
    a, b = first_line(written), first_line(real)
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _tokens(code: str) -> list[tokenize.TokenInfo]:
    """Python tokens of `code` up to where it stops being tokenizable (a line is often cut)."""
    out: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            out.append(tok)
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def first_identifier(code: str) -> str:
    """The first name in `code` that is not a keyword (`return x` -> `x`); "" when none."""
    for tok in _tokens(first_line(code).lstrip()):
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
            return tok.string
    return ""


def written_members(line_before: str, written: str) -> list[tuple[int, str]]:
    """(column, name) of each `.name` the answer wrote on the cursor's line.

    `line_before` is the line's text left of the cursor, `written` the answer's first line. A
    member counts when its name starts at or after the cursor and a name, `)` or `]` precedes
    its dot, so the member right after a `obj.` cursor counts too.
    """
    code = line_before.lstrip() + first_line(written)
    shift = len(line_before) - len(line_before.lstrip())
    cursor = len(line_before.lstrip())
    toks = [t for t in _tokens(code) if t.start[0] == 1 and t.type != tokenize.INDENT]
    found = []
    for before, dot, name in zip(toks, toks[1:], toks[2:], strict=False):
        if (dot.string == "." and name.type == tokenize.NAME and name.start[1] >= cursor
                and (before.type == tokenize.NAME or before.string in (")", "]"))):
            found.append((name.start[1] + shift, name.string))
    return found


def known_members(text: str, offset: int, path: Path) -> set[str] | None:
    """The oracle of `bench.monitors`: the members Jedi knows at `offset` (None: unknown)."""
    return monitors_bench.known_members(text, offset, path)


@dataclass
class Validity:
    """How many `.member`s an answer wrote that the oracle could judge, and the wrong ones."""

    checked: int = 0
    invalid: list[str] = field(default_factory=list)


def validity(site: QualitySite, written: str, memo: dict[tuple[str, str], set[str] | None]
             ) -> Validity:
    """Judge each `.member` of the answer's first line with Jedi on the real file, the answer in
    place of the real line."""
    line = first_line(written)
    text = site.text[: site.offset] + line + site.text[site.line_end :]
    line_start = site.offset - site.column
    result = Validity()
    for column, name in written_members(site.text[line_start : site.offset], line):
        at = line_start + column
        key = (site.key, text[line_start:at])  # the same text left of it: the same answer
        if key not in memo:
            memo[key] = known_members(text, at, site.file)
        members = memo[key]
        if members is None:
            continue
        result.checked += 1
        if name not in members:
            result.invalid.append(name)
    return result


# -- asking the model ----------------------------------------------------------------------------


class Recorder:
    """Passes everything to a backend and keeps what each request returned (for `--show`)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.outputs: list[str] = []
        self.requests: list[CompletionRequest] = []
        self.timings: list[Timings | None] = []  # each request's work as the server reported it

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    async def complete(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        pieces: list[str] = []
        self.requests.append(request)
        self.outputs.append("")
        self.timings.append(None)
        index = len(self.outputs) - 1
        try:
            async for chunk in self._backend.complete(request):
                pieces.append(chunk.text)
                self.outputs[index] = "".join(pieces)
                self.timings[index] = chunk.timings or self.timings[index]
                yield chunk
        finally:
            self.outputs[index] = "".join(pieces)


@dataclass
class Answer:
    """One way's answer at one site, as stored in the results file."""

    site: str
    kind: str
    project: str
    path: str
    line: int
    column: int
    way: str
    text: str  # the answer's first line ("" when none)
    seconds: float
    error: str = ""
    gate: str = ""  # typehole ways: line | block | skip (and why, when skipped)
    prompt_tokens: int = 0
    context: str = ""  # the context block the prompt carried
    raw: list[str] = field(default_factory=list)  # each backend request's raw output
    corrected: bool = False
    rounds: int = 0
    checked: int = 0
    invalid: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # context stages skipped for the deadline
    # typehole ways: the pipeline's stage times and each request (round) to the engine with
    # its cost as the engine reported it (`features.completion.pipeline`), to see where the
    # time over the engine alone goes.
    timings_ms: dict[str, float] = field(default_factory=dict)
    round_costs: list[dict[str, Any]] = field(default_factory=list)
    engine: list[dict[str, Any] | None] = field(default_factory=list)  # each request's Timings


@dataclass
class Project:
    """One project under test: its context engine and the pipeline on it."""

    name: str
    root: Path
    engine: ContextEngine
    pipeline: Pipeline


class Bench:
    """Asks the model at sites, one project engine each, the same backend for every way."""

    def __init__(self, backend: Recorder, options: PipelineOptions,
                 analysis: ThreadPoolExecutor) -> None:
        self.backend = backend
        self.options = options
        self.analysis = analysis
        self.projects: dict[str, Project] = {}
        self.memo: dict[tuple[str, str], set[str] | None] = {}
        self._warm: set[str] = set()
        # The first request a typehole way sent at each site (what `engine` sends again).
        self.sent: dict[str, CompletionRequest] = {}

    def add_project(self, name: str, engine: ContextEngine) -> Project:
        """A project whose index `engine` holds; the pipeline's context hook reads that index."""
        hook = EngineContext(engine)
        pipeline = Pipeline(self.backend, analysis=self.analysis, context_hook=hook)
        project = Project(name, engine.root, engine, pipeline)
        self.projects[name] = project
        return project

    async def ask(self, site: QualitySite, way: str) -> Answer:
        """One request at `site` the way `way` asks; the clock covers what that way does."""
        project = self.projects[site.project]
        # The editor's buffer is what the index sees: the real line is not there to be found.
        project.engine.update_file(site.file, site.document)
        try:
            if way.startswith("typehole"):
                await self._warm_up(site)
            await self._evaluate_afresh()
            self.backend.outputs = []
            self.backend.requests = []
            self.backend.timings = []
            started = time.perf_counter()
            try:
                if way.startswith("typehole"):
                    answer = await self._pipeline(project, site, way)
                elif way == "engine":
                    answer = await self._engine(site)
                else:
                    answer = await self._plain(project, site, way)
            except ModelError as exc:
                answer = self._answer(site, way, "", error=f"{type(exc).__name__}: {exc}")
            answer.seconds = time.perf_counter() - started
            answer.raw = list(self.backend.outputs)
            answer.engine = [asdict(t) if t is not None else None for t in self.backend.timings]
            if way.startswith("typehole") and self.backend.requests:
                self.sent.setdefault(site.key, self.backend.requests[0])
        finally:
            project.engine.update_file(site.file, site.text)
        found = await asyncio.get_running_loop().run_in_executor(
            self.analysis, validity, site, answer.text, self.memo)
        answer.checked, answer.invalid = found.checked, found.invalid
        return answer

    async def _evaluate_afresh(self) -> None:
        """Leave one token in the engine's prompt cache (not timed), so every request evaluates
        its prompt whole. A prompt partly reused from the cache (shifted runs of the site before,
        `n_cache_reuse`) differs in the last bits of its logits and can decide a near tie the
        other way: then two ways with the same prompt (typehole with and without monitors)
        would differ where the monitors did nothing, and a rerun of a way would not repeat it."""
        async for _ in self.backend.complete(CompletionRequest("#", max_tokens=1)):
            pass

    async def _warm_up(self, site: QualitySite) -> None:
        """Jedi warmed for the file as the server warms an open document (not timed)."""
        if site.path in self._warm:
            return
        self._warm.add(site.path)

        def warm() -> None:
            for _ in preload(site.document, str(site.file), None):
                pass

        await asyncio.get_running_loop().run_in_executor(self.analysis, warm)

    def _answer(self, site: QualitySite, way: str, text: str, **extra: Any) -> Answer:
        return Answer(site.key, site.kind, site.project, site.path, site.line, site.column, way,
                      first_line(text), 0.0, **extra)

    async def _pipeline(self, project: Project, site: QualitySite, way: str) -> Answer:
        options = self.options
        if way == "typehole-nomon":
            options = replace(options, monitors=attrs.evolve(options.monitors, enabled=False))
        doc = Site(text=site.document, offset=site.offset, path=site.path, file=str(site.file))
        outcome = await project.pipeline.run(doc, options)
        gate = outcome.gate.mode if outcome.gate.mode != "skip" else f"skip: {outcome.gate.reason}"
        monitors = outcome.context.get("monitors", {})
        timings = outcome.context.get("timings_ms", {})
        return self._answer(
            site, way, outcome.text or "", gate=gate,
            prompt_tokens=outcome.prompt.tokens if outcome.prompt else 0,
            context=outcome.prompt.context if outcome.prompt else "",
            corrected=bool(monitors.get("corrected")), rounds=int(monitors.get("rounds", 0)),
            skipped=sorted(k.removeprefix("skipped_") for k in timings if k.startswith("skipped_")),
            timings_ms=dict(outcome.timings_ms), round_costs=list(monitors.get("round_costs", [])),
        )

    async def _engine(self, site: QualitySite) -> Answer:
        """The first request a typehole way sent at `site`, sent again as it was and read to its
        end (a site where typehole sent none is a skip)."""
        request = self.sent.get(site.key)
        if request is None:
            return self._answer(site, "engine", "", gate="skip: typehole sent no request here")
        # All of it, as typehole read it (a block asked for goes on past the first line).
        pieces = [chunk.text async for chunk in self.backend.complete(request)]
        return self._answer(site, "engine", "".join(pieces), gate="line")

    async def _first_line_of(self, request: CompletionRequest) -> str:
        """Stream `request` until the model ends its first line."""
        pieces: list[str] = []
        async for chunk in self.backend.complete(request):
            pieces.append(chunk.text)
            if "\n" in chunk.text:
                break
        return "".join(pieces)

    async def _plain(self, project: Project, site: QualitySite, way: str) -> Answer:
        """The prefix (and BM25 windows), fitted like typehole's prompt, first line only."""
        options = self.options.completion
        count = self.backend.count_tokens
        context = ""
        if way == "bm25":
            budget = int(options.prompt_budget * self.options.context_share)
            context = await asyncio.get_running_loop().run_in_executor(
                self.analysis, bm25_context, project.engine, site, budget, count)
        # The text before the cursor only: no suffix is sent (as llm-ls does without FIM).
        before = Site(text=site.text[: site.offset], offset=site.offset, path=site.path,
                      file=str(site.file))
        prompt = build_prompt(before, count, options.prompt_budget, context=context,
                              context_share=self.options.context_share)
        request = CompletionRequest(prefix=prompt.prefix, context=prompt.context, path=site.path,
                                    max_tokens=options.max_tokens, stop=("\n",))
        text = await self._first_line_of(request)
        return self._answer(site, way, text, prompt_tokens=prompt.tokens, context=prompt.context)


def bm25_context(engine: ContextEngine, site: QualitySite, budget: int, count_tokens: Any) -> str:
    """CrossCodeEval's retrieval: BM25 10-line windows of other files, as comment blocks."""
    windows = analogy(engine.index, site.path, site.text, site.offset, limit=20)
    _, blocks = blocks_for(Hole("unknown", None, 0, 0), [], [], windows)
    text, _, _ = assemble("", blocks, budget, count_tokens)
    return text


# -- running -------------------------------------------------------------------------------------


def load_results(path: Path | None) -> dict[tuple[str, str], Answer]:
    """Answers already in the results file, by (site, way)."""
    done: dict[tuple[str, str], Answer] = {}
    if path is None or not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            answer = Answer(**json.loads(line))
            done[(answer.site, answer.way)] = answer
    return done


def asking_order(group: Sequence[QualitySite], ways: Sequence[str], paired: str | None
             ) -> Iterator[tuple[str, QualitySite]]:
    """(way, site) in asking order: way by way over the group, `engine` right after `paired`."""
    for way in ways:
        if way == "engine":
            continue
        for site in group:
            yield way, site
            if way == paired and "engine" in ways:
                yield "engine", site


def chunks(items: Sequence[QualitySite], size: int) -> Iterator[Sequence[QualitySite]]:
    """`items` in runs of `size`."""
    for start in range(0, len(items), max(size, 1)):
        yield items[start : start + max(size, 1)]


async def run(args: argparse.Namespace, sites: list[QualitySite],
              engines: dict[str, ContextEngine], done: dict[tuple[str, str], Answer]) -> None:
    """Ask every way at every site not in `done`, appending each answer to `--out`."""
    spec = ModelSpec(name=args.model, backend="embedded", timeout_s=args.timeout,
                     threads=args.threads, path=args.gguf)
    settings = Settings(model=args.model, models={args.model: spec},
                        context=ContextSettings(batch_deadline_ms=args.context_deadline_ms))
    hub = ModelHub()
    analysis = ThreadPoolExecutor(1, thread_name_prefix="typehole-analysis")
    backend, description = hub.backend(settings)
    print(f"model: {description}", flush=True)
    if isinstance(backend, LoadsInBackground):
        started = time.perf_counter()
        await backend.wait_ready()
        print(f"model ready in {time.perf_counter() - started:.1f} s", flush=True)
    options = pipeline_options(settings, interactive=False)
    bench = Bench(Recorder(backend), options, analysis)
    out = open(args.out, "a", encoding="utf-8") if args.out else None  # noqa: SIM115
    try:
        for name, engine in engines.items():
            bench.add_project(name, engine)
        todo = [(s, w) for s in sites for w in args.ways if (s.key, w) not in done]
        print(f"{len(todo)} requests to make ({len(done)} already in the results file)",
              flush=True)
        count = 0
        # Way by way over a run of sites: no way finds its own prompt for the site in the
        # engine's cache from the way before it (the two typehole ways send the same prompt).
        # `engine` is asked right after the first typehole way at the same site, so the two
        # times it is compared with are taken under the same load.
        paired = next((w for w in args.ways if w.startswith("typehole")), None)
        for group in chunks(sites, args.chunk):
            for way, site in asking_order(group, args.ways, paired):
                if (site.key, way) in done:
                    continue
                answer = await bench.ask(site, way)
                done[(site.key, way)] = answer
                count += 1
                mark = "=" if exact_match(answer.text, site.target) else " "
                print(f"[{count}/{len(todo)}] {site.kind:<9} {site.project}/{site.path}:"
                      f"{site.line} {way:<14} {answer.seconds:6.1f}s {mark} "
                      f"{answer.text[:70]!r}{' ' + answer.error[:60] if answer.error else ''}",
                      flush=True)
                if out is not None:
                    out.write(json.dumps(asdict(answer)) + "\n")
                    out.flush()
    finally:
        if out is not None:
            out.close()
        await hub.aclose()
        analysis.shutdown()


# -- report --------------------------------------------------------------------------------------


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def _share(flags: Sequence[bool]) -> float:
    """The share of true flags; 0 when there are none (a way run without its counterpart)."""
    return sum(flags) / len(flags) if flags else 0.0


def summarise(sites: Sequence[QualitySite], answers: dict[tuple[str, str], Answer], way: str
              ) -> dict[str, float | int]:
    """The table row of one way over `sites` (those it has answered)."""
    rows = [(s, answers[(s.key, way)]) for s in sites if (s.key, way) in answers]
    n = len(rows)
    if not n:
        return {"sites": 0}
    with_ident = [(s, a) for s, a in rows if first_identifier(s.target)]
    checked = sum(a.checked for _, a in rows)
    invalid = sum(len(a.invalid) for _, a in rows)
    seconds = [a.seconds for _, a in rows]
    return {
        "sites": n,
        "exact": statistics.fmean(exact_match(a.text, s.target) for s, a in rows),
        "edit": statistics.fmean(edit_similarity(a.text, s.target) for s, a in rows),
        "ident": statistics.fmean(first_identifier(a.text) == first_identifier(s.target)
                                  for s, a in with_ident) if with_ident else 0.0,
        "valid": (checked - invalid) / checked if checked else 1.0,
        "checked": checked,
        "empty": statistics.fmean(not a.text.strip() for _, a in rows),
        "errors": sum(bool(a.error) for _, a in rows),
        "skip": statistics.fmean(a.gate.startswith("skip") for _, a in rows),
        # Under a grammar the model writes the constrained text itself, so the monitors'
        # own `corrected` flag misses those changes: compare with the unmonitored answer.
        "changed": _share([a.text != answers[(s.key, "typehole-nomon")].text for s, a in rows
                           if (s.key, "typehole-nomon") in answers]) if way == "typehole" else 0.0,
        "p50": _percentile(seconds, 0.5) * 1000,
        "p95": _percentile(seconds, 0.95) * 1000,
    }


def _same_prompt_ms(mine: Answer, engine: Answer) -> tuple[float, float] | None:
    """The engine's own time for the first request's prompt in both answers (seconds), when both
    evaluated the same number of tokens afresh (older results files have no timings)."""
    first, again = (mine.engine or [None])[0], (engine.engine or [None])[0]
    if first is None or again is None or first["prompt_tokens"] != again["prompt_tokens"]:
        return None
    return first["prompt_ms"] / 1000, again["prompt_ms"] / 1000


def overhead(sites: Sequence[QualitySite], answers: dict[tuple[str, str], Answer], way: str
             ) -> dict[str, float | int]:
    """What `way` (a typehole way) takes over the engine alone for the same prompt: per site the
    ratio of the two wall times, where `engine` resent typehole's first request.

    On a shared machine the same prompt's evaluation takes the engine 30% more or less from one
    request to the next, which swamps what typehole adds; so the ratio is also given with both
    prompt evaluations counted at their mean (`adjusted`): the rest of each wall time (rounds,
    analysis, generation, post-processing) is as measured.
    """
    pairs = [(answers[(s.key, way)], answers[(s.key, "engine")]) for s in sites
             if (s.key, way) in answers and (s.key, "engine") in answers
             and not answers[(s.key, "engine")].gate.startswith("skip")
             and answers[(s.key, "engine")].seconds > 0]
    if not pairs:
        return {"sites": 0}
    ratios = [mine.seconds / engine.seconds for mine, engine in pairs]
    adjusted = []
    for mine, engine in pairs:
        if (prompts := _same_prompt_ms(mine, engine)) is not None:
            mean = sum(prompts) / 2
            adjusted.append((mine.seconds - prompts[0] + mean)
                            / (engine.seconds - prompts[1] + mean))
    return {
        "sites": len(pairs),
        "ratio_p50": statistics.median(ratios),
        "ratio_p95": _percentile(ratios, 0.95),
        "way_p50": statistics.median(mine.seconds for mine, _ in pairs) * 1000,
        "engine_p50": statistics.median(engine.seconds for _, engine in pairs) * 1000,
        "adjusted": len(adjusted),
        "adjusted_p50": statistics.median(adjusted) if adjusted else 0.0,
        "adjusted_p95": _percentile(adjusted, 0.95),
    }


def repairs(sites: Sequence[QualitySite], answers: dict[tuple[str, str], Answer], way: str
            ) -> dict[str, Any]:
    """Where the monitors repaired `way`'s answer (more than one request to the engine): how
    many sites, the time of the requests after the first per site (median and mean, seconds),
    how many of them asked only for the likeliest next tokens, and the table row of `way` and
    of the engine alone (when asked) on those sites."""
    repaired = [s for s in sites
                if (s.key, way) in answers and len(answers[(s.key, way)].round_costs) > 1]
    costs = [answers[(s.key, way)].round_costs[1:] for s in repaired]
    seconds = [sum(float(c.get("ms", 0.0)) for c in rest) / 1000 for rest in costs]
    return {
        "sites": len(repaired),
        "seconds_p50": statistics.median(seconds) if seconds else 0.0,
        "seconds_mean": statistics.fmean(seconds) if seconds else 0.0,
        "requests": sum(len(rest) for rest in costs),
        "probes": sum(bool(c.get("probe")) for rest in costs for c in rest),
        "mine": summarise(repaired, answers, way),
        "engine": summarise(repaired, answers, "engine"),
    }


def _print_repairs(sites: Sequence[QualitySite], answers: dict[tuple[str, str], Answer],
                   way: str) -> None:
    r = repairs(sites, answers, way)
    if not r["sites"]:
        return
    print(f"  repaired at {r['sites']} sites: {r['requests']} requests after the first "
          f"({r['probes']} for the likeliest tokens only), {r['seconds_p50']:.2f} s median "
          f"and {r['seconds_mean']:.2f} s mean per site")
    for name, row in (("there " + way, r["mine"]), ("the engine alone", r["engine"])):
        if row["sites"]:
            print(f"    {name}: exact {row['exact']:.2f}, edit {row['edit']:.2f}, "
                  f"ident {row['ident']:.2f}, valid {row['valid']:.2f} of {row['checked']}")


def _print_overhead(sites: Sequence[QualitySite], answers: dict[tuple[str, str], Answer],
                    ways: Sequence[str]) -> None:
    for way in ways:
        if not way.startswith("typehole") or "engine" not in ways:
            continue
        r = overhead(sites, answers, way)
        if r["sites"]:
            print(f"{way} over the engine alone, same prompt ({r['sites']} sites): "
                  f"{r['way_p50']:.0f} vs {r['engine_p50']:.0f} ms median; per-site ratio "
                  f"{r['ratio_p50']:.2f} median, {r['ratio_p95']:.2f} p95")
        if r.get("adjusted"):
            print(f"  the prompt's evaluation counted at its mean ({r['adjusted']} sites): "
                  f"{r['adjusted_p50']:.2f} median, {r['adjusted_p95']:.2f} p95")
        _print_repairs(sites, answers, way)


TITLES = {"crossfile": "cross-file sites (the line uses a name imported from another file)",
          "deref": "dereference sites (cursor right after `obj.`)"}
DEFINITIONS = """\
exact: the answer's first line equals the real rest of the line (trailing whitespace ignored,
  leading whitespace counts: it is inserted at the cursor). edit: difflib SequenceMatcher ratio
  2*M/T of the two first lines (M matching characters, T both lengths), 0 for an empty answer.
ident: the first identifier (a name that is not a keyword) of the answer equals the real one's.
valid: share of the `.member`s the answer's first line writes that Jedi lists for the object at
  that place, the answer put in the real file (the oracle of `bench monitors`; members of an
  object Jedi cannot list, or lists only dunders of, are not judged); (n) how many were judged.
  empty: share of answers with no text (a gate skip, a dropped completion, a model error or
  whitespace). err: model errors (timeouts).
skip: share the gate skipped. chg: share of answers the monitors changed (they differ from
  typehole-nomon's; the guided decoder's own `corrected` flag misses grammar-made changes).
p50/p95: wall time of the first request at a site, context gathering included (the engine's
  prompt cache is emptied before each request: every prompt is evaluated whole).
engine (when asked): typehole's first request at the site sent again to the engine alone; the
  ratio is a typehole way's wall time over it, site by site (context, prompt, monitors' rounds
  and post-processing are what typehole adds). The second ratio counts the one prompt's
  evaluation, which both requests make afresh, at the mean of the two times the engine reported
  for it: the load of a shared machine changes that time by a third from one request to the next.
repaired: sites where the monitors sent more than the first request; the time of the requests
  after it, and both ways' columns on those sites alone."""


def report(sites: Sequence[QualitySite], answers: dict[tuple[str, str], Answer],
           ways: Sequence[str], command: str) -> None:
    """Print one table per site kind, the metric definitions and the command."""
    for kind in KINDS:
        mine = [s for s in sites if s.kind == kind]
        if not mine:
            continue
        per_project = ", ".join(f"{p} {sum(s.project == p for s in mine)}"
                                for p in dict.fromkeys(s.project for s in mine))
        print(f"\n{TITLES[kind]}: {len(mine)} sites ({per_project})")
        print(f"{'way':<16}{'sites':>6}{'exact':>7}{'edit':>7}{'ident':>7}{'valid':>7}{'(n)':>6}"
              f"{'empty':>7}{'err':>5}{'skip':>6}{'chg':>6}{'p50 ms':>8}{'p95 ms':>8}")
        for way in ways:
            r = summarise(mine, answers, way)
            if not r["sites"]:
                print(f"{way:<16}{0:>6}")
                continue
            print(f"{way:<16}{r['sites']:>6}{r['exact']:>7.2f}{r['edit']:>7.2f}{r['ident']:>7.2f}"
                  f"{r['valid']:>7.2f}{r['checked']:>6}{r['empty']:>7.2f}{r['errors']:>5}"
                  f"{r['skip']:>6.2f}{r['changed']:>6.2f}{r['p50']:>8.0f}{r['p95']:>8.0f}")
        _print_overhead(mine, answers, ways)
    print("\n" + DEFINITIONS)
    print(f"\ncommand: {command}")


_HEADER = re.compile(r"# (Similar code in )?\S+\.py:\d+|# Expected type")


def show(sites: Sequence[QualitySite], answers: dict[tuple[str, str], Answer],
         ways: Sequence[str], per_kind: int) -> None:
    """Site by site: the real line and what each way wrote (raw output where it differs)."""
    for kind in KINDS:
        mine = [s for s in sites if s.kind == kind
                and all((s.key, w) in answers for w in ways)][:per_kind]
        for site in mine:
            before = site.text[site.offset - site.column : site.offset]
            print(f"\n--- {site.key}\n    line before: {before!r}\n    real: {site.target!r}")
            for way in ways:
                a = answers[(site.key, way)]
                notes = [f"{a.seconds:.1f}s", f"{a.prompt_tokens} tok"]
                if a.gate:
                    notes.append(a.gate)
                if a.rounds > 1 or a.corrected:
                    notes.append(f"rounds {a.rounds}{' corrected' if a.corrected else ''}")
                if a.invalid:
                    notes.append(f"invalid {a.invalid}")
                if a.skipped:
                    notes.append(f"context skipped {a.skipped}")
                if a.error:
                    notes.append(a.error[:80])
                print(f"    {way:<15}{a.text!r}  ({', '.join(notes)})")
                raws = [first_line(r) for r in a.raw]
                if raws and raws != [a.text]:
                    print(f"    {'':<15}raw: {[r[:80] for r in a.raw]!r}")
                headers = [h for h in a.context.splitlines() if _HEADER.match(h)]
                if headers and way in ("bm25", "typehole"):
                    print(f"    {'':<15}context: {[h[2:60] for h in headers[:6]]}")


# -- main ----------------------------------------------------------------------------------------


def open_engine(root: Path) -> ContextEngine:
    """The project's context engine, indexed into a fresh folder (the runs re-index files)."""
    engine = ContextEngine(root, tempfile.mkdtemp(prefix="typehole-quality-"))
    engine.build()
    return engine


def select(engines: dict[str, ContextEngine], kinds: Sequence[str], per_kind: int, seed: int
           ) -> list[QualitySite]:
    """The sites of the run: per kind `per_kind`, spread evenly over the projects, in a seeded
    order that mixes kinds and projects (a run cut short is still balanced)."""
    picked: list[QualitySite] = []
    for kind in kinds:
        for (name, engine), count in zip(engines.items(), spread(per_kind, len(engines)),
                                         strict=True):
            if kind == "crossfile":
                found = crossfile_sites(engine, name)
            else:
                found = deref_sites(engine.root, name)
            picked.extend(pick(found, count, seed, f"{kind}:{name}"))
    random.Random(seed).shuffle(picked)
    return picked


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or only report a results file) and print its tables."""
    parser = argparse.ArgumentParser(prog="typehole bench quality",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects", default=",".join(PROJECTS),
                        help=f"comma-separated, from {', '.join(PROJECTS)}")
    parser.add_argument("--sites", type=int, default=100,
                        help="sites per kind, spread over the projects (default 100)")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--ways", default=",".join(WAYS),
                        help=f"comma-separated, from {', '.join(WAYS + EXTRA_WAYS)} (engine "
                        "after a typehole way: typehole's request again, to the engine alone)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="embedded", help="the built-in embedded model's name")
    parser.add_argument("--gguf", default="", help="a GGUF file instead of the default model")
    parser.add_argument("--threads", type=int, default=1,
                        help="engine threads (default 1: on a busy 2-core machine more threads "
                             "wait on each other; 0 lets llama.cpp choose)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a request may take (the benchmark measures quality, not "
                             "the editor's deadline; default 120)")
    parser.add_argument("--context-deadline-ms", type=float, default=BATCH_ANALYSIS_MS,
                        help="deadline of the context stages (default: the batch deadline)")
    parser.add_argument("--chunk", type=int, default=20, help="sites asked way by way at a time")
    parser.add_argument("--out", type=Path, default=None,
                        help="append answers to this JSONL file and resume from it")
    parser.add_argument("--report", action="store_true",
                        help="only print the tables of the answers in --out")
    parser.add_argument("--show", type=int, default=0, metavar="N",
                        help="print N sites per kind answer by answer")
    args = parser.parse_args(argv)
    names = [n for n in args.projects.split(",") if n]
    args.ways = [w for w in args.ways.split(",") if w]
    kinds = [k for k in args.kinds.split(",") if k]
    bad = ([n for n in names if n not in PROJECTS]
           + [w for w in args.ways if w not in WAYS + EXTRA_WAYS]
           + [k for k in kinds if k not in KINDS])
    if bad or args.sites < 1:
        parser.error(f"unknown {', '.join(bad)}" if bad else "need --sites >= 1")
    if "engine" in args.ways and not any(
            w.startswith("typehole") for w in args.ways[: args.ways.index("engine")]):
        parser.error("the engine way resends a typehole way's request: list one before it")
    if args.report and args.out is None:
        parser.error("--report reads --out")
    print(f"indexing {', '.join(names)} and finding sites ...", flush=True)
    engines = {n: open_engine(real_project(n, PROJECTS[n])) for n in names}
    try:
        sites = select(engines, kinds, args.sites, args.seed)
        done = load_results(args.out)
        if not args.report:
            asyncio.run(run(args, sites, engines, done))
    finally:
        for engine in engines.values():
            engine.close()
    options = sys.argv[1:] if argv is None else argv
    command = "typehole bench quality " + " ".join(shlex.quote(a) for a in options)
    if args.show:
        show(sites, done, args.ways, args.show)
    report(sites, done, args.ways, command.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

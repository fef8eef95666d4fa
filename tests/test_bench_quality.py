"""`bench quality`: its sites and metrics on a tiny real project (no model involved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from typehole.bench.quality import (
    Answer,
    QualitySite,
    asking_order,
    bm25_context,
    crossfile_sites,
    deref_sites,
    edit_similarity,
    exact_match,
    first_identifier,
    first_line,
    overhead,
    pick,
    repairs,
    spread,
    summarise,
    validity,
    written_members,
)
from typehole.context.engine import ContextEngine

SHAPES = '''\
class Box:
    def __init__(self, width: int) -> None:
        self.width = width

    def area(self) -> int:
        return self.width * self.width
'''

USE = '''\
from pkg.shapes import Box

__all__ = ["Box", "make"]


def make(width: int) -> Box:
    """Build one.

    The Box is square.
    """
    box = Box(width)
    return box


def measure(box: Box) -> int:
    return box.area()
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shapes.py").write_text(SHAPES)
    (root / "pkg" / "use.py").write_text(USE)
    # The project's tests are not its own code: no site comes from them.
    (root / "tests" / "test_use.py").write_text(
        "from pkg.shapes import Box\n\n\ndef test_area():\n    box = Box(2)\n"
        "    assert box.area() == 4\n")
    return root


@pytest.fixture
def engine(project: Path, tmp_path: Path):
    engine = ContextEngine(project, tmp_path / "cache")
    engine.build()
    yield engine
    engine.close()


def test_crossfile_sites_cut_the_line_that_uses_the_imported_name(engine: ContextEngine) -> None:
    sites = crossfile_sites(engine, "tiny")
    assert {(s.path, s.target) for s in sites} == {
        ("pkg/use.py", "def make(width: int) -> Box:"),
        ("pkg/use.py", "box = Box(width)"),
        ("pkg/use.py", "def measure(box: Box) -> int:"),
    }  # not `__all__`'s "Box", nor the docstring line naming Box, nor the import or the tests
    site = next(s for s in sites if s.target == "box = Box(width)")
    assert site.text[site.offset - site.column : site.offset] == "    "  # after the indentation
    assert (site.line, site.column) == (11, 4)
    # The model's document: the real line cut out, the cursor at its end, the file after it.
    assert site.document[: site.offset] == site.text[: site.offset]
    assert site.document[site.offset :].startswith("\n    return box\n")
    assert "Box(width)" not in site.document
    assert site.key == "crossfile:tiny:pkg/use.py:11:4"


def test_deref_sites_put_the_cursor_right_after_the_dot(project: Path) -> None:
    sites = deref_sites(project, "tiny")
    got = {(s.path, s.text[s.offset - s.column : s.offset], s.target) for s in sites}
    assert got == {
        ("pkg/shapes.py", "        self.", "width = width"),
        ("pkg/shapes.py", "        return self.", "width * self.width"),
        ("pkg/shapes.py", "        return self.width * self.", "width"),
        ("pkg/use.py", "    return box.", "area()"),
    }  # `box.area()` in the tests folder is not the project's own code
    box = next(s for s in sites if s.target == "area()")
    assert box.document.endswith("    return box.\n")


def test_sampling_is_seeded_and_spread_evenly(project: Path) -> None:
    sites = deref_sites(project, "tiny")
    assert pick(sites, 2, 0, "deref:tiny") == pick(sites, 2, 0, "deref:tiny")
    assert len(pick(sites, 100, 0, "deref:tiny")) == len(sites)
    assert spread(10, 3) == [4, 3, 3] and spread(200, 5) == [40] * 5


def test_line_metrics() -> None:
    assert first_line("box = Box(width)  \n    return box") == "box = Box(width)"
    assert first_line(None) == ""
    assert exact_match("box = Box(width)\nmore", "box = Box(width)")
    assert not exact_match(" box = Box(width)", "box = Box(width)")  # a stray leading space
    # difflib: blocks "box = Box(w" (11) and ")" (1) match: 2 * 12 / (12 + 16).
    assert edit_similarity("box = Box(w)", "box = Box(width)") == pytest.approx(6 / 7)
    assert edit_similarity("", "box = Box(width)") == 0.0
    assert first_identifier("return Box(width)") == "Box"
    assert first_identifier("area()") == "area"
    assert first_identifier('"text" + name') == "name"
    assert first_identifier("") == "" and first_identifier(")") == ""


def test_written_members_are_those_after_the_cursor() -> None:
    line = "    return box."
    assert written_members(line, "area() + box.width") == [
        (15, "area"), ("    return box.area() + box.width".index("width"), "width")]
    assert written_members("    x = self.", "width") == [(13, "width")]
    assert written_members("    y = ", "f(a).b[0].c") == [(13, "b"), (18, "c")]
    assert written_members("    y = ", "(unclosed.attr") == [(18, "attr")]
    assert written_members("    y = ", "1.5 + 'a.b'") == []


def test_validity_asks_jedi_about_each_member_written(project: Path) -> None:
    site = next(s for s in deref_sites(project, "tiny") if s.target == "area()")
    memo: dict = {}
    good = validity(site, "area() + box.width", memo)
    assert (good.checked, good.invalid) == (2, [])
    bad = validity(site, "volume()", memo)
    assert (bad.checked, bad.invalid) == (1, ["volume"])


def test_bm25_windows_come_from_other_files_as_comments(engine: ContextEngine) -> None:
    site = next(s for s in crossfile_sites(engine, "tiny") if s.target == "box = Box(width)")
    text = bm25_context(engine, site, 400, lambda t: len(t) // 4)
    assert text.startswith("# Similar code in ")
    assert all(line.startswith("#") for line in text.splitlines())
    assert "pkg/use.py" not in text  # never the file being completed


def test_summary_of_typehole_without_its_unmonitored_run(engine: ContextEngine) -> None:
    sites = crossfile_sites(engine, "tiny")
    answers = {(s.key, "typehole"): Answer(s.key, s.kind, s.project, s.path, s.line, s.column,
                                           "typehole", "x = 1", 1.0) for s in sites}
    row = summarise(sites, answers, "typehole")
    assert row["sites"] == 3 and row["changed"] == 0.0


def test_summary_counts_empty_answers_and_invalid_members(engine: ContextEngine) -> None:
    sites = crossfile_sites(engine, "tiny")
    texts = {"box = Box(width)": "box = Box(width)", "def make(width: int) -> Box:": "",
             "def measure(box: Box) -> int:": "def measure(box: Box):"}

    def answer(site: QualitySite, text: str, way: str = "prefix", **extra) -> Answer:
        return Answer(site.key, site.kind, site.project, site.path, site.line, site.column,
                      way, text, 1.0, **extra)

    answers = {(s.key, "prefix"): answer(s, texts[s.target], checked=1,
                                         invalid=["x"] if not texts[s.target] else [])
               for s in sites}
    for i, s in enumerate(sites):
        answers[(s.key, "typehole-nomon")] = answer(s, "x = 1", "typehole-nomon")
        answers[(s.key, "typehole")] = answer(s, "x = 1" if i else "y = 2", "typehole")
    row = summarise(sites, answers, "prefix")
    assert row["sites"] == 3
    assert row["exact"] == pytest.approx(1 / 3)
    assert row["empty"] == pytest.approx(1 / 3)
    assert row["ident"] == pytest.approx(2 / 3)  # "def" is a keyword: `make`/`measure` count
    assert (row["checked"], row["valid"]) == (3, pytest.approx(2 / 3))
    assert summarise(sites, answers, "bm25") == {"sites": 0}
    # The monitors changed one answer of three (compared with the unmonitored ones).
    assert summarise(sites, answers, "typehole")["changed"] == pytest.approx(1 / 3)


def test_engine_way_is_asked_right_after_the_first_typehole_way(engine: ContextEngine) -> None:
    sites = crossfile_sites(engine, "tiny")[:2]
    order = list(asking_order(sites, ["prefix", "typehole-nomon", "engine", "typehole"],
                          "typehole-nomon"))
    assert [(way, sites.index(site)) for way, site in order] == [
        ("prefix", 0), ("prefix", 1),
        ("typehole-nomon", 0), ("engine", 0), ("typehole-nomon", 1), ("engine", 1),
        ("typehole", 0), ("typehole", 1),
    ]


def test_overhead_is_the_per_site_ratio_over_the_engine_alone(engine: ContextEngine) -> None:
    sites = crossfile_sites(engine, "tiny")

    def answer(site: QualitySite, way: str, seconds: float, gate: str = "") -> Answer:
        return Answer(site.key, site.kind, site.project, site.path, site.line, site.column,
                      way, "x", seconds, gate=gate)

    answers = {}
    for site, (mine, alone) in zip(sites, [(1.2, 1.0), (3.0, 2.0), (9.0, 1.0)], strict=True):
        answers[(site.key, "typehole")] = answer(site, "typehole", mine)
        answers[(site.key, "engine")] = answer(site, "engine", alone)
    # A site where typehole sent nothing to resend is left out, not counted as free.
    answers[(sites[2].key, "engine")] = answer(sites[2], "engine", 0.0, "skip: none sent")
    row = overhead(sites, answers, "typehole")
    assert row["sites"] == 2
    assert row["ratio_p50"] == pytest.approx(1.35)
    assert row["ratio_p95"] == pytest.approx(1.5)
    assert row["engine_p50"] == pytest.approx(1500.0)
    assert overhead(sites, answers, "typehole-nomon") == {"sites": 0}
    assert row["adjusted"] == 0  # no engine timings recorded: no adjusted ratio


def test_adjusted_overhead_counts_the_prompt_at_its_mean(engine: ContextEngine) -> None:
    """The same prompt took the engine 6 s under typehole and 4 s alone: both count 5 s, the
    rest of each wall time (a second round, the engine's generation) as measured."""
    site = crossfile_sites(engine, "tiny")[0]

    def answer(way: str, seconds: float, prompt_ms: float, prompt_tokens: int = 500) -> Answer:
        timings = {"prompt_tokens": prompt_tokens, "cached_tokens": 2, "prompt_ms": prompt_ms,
                   "generated_tokens": 4, "generated_ms": 100.0}
        return Answer(site.key, site.kind, site.project, site.path, site.line, site.column,
                      way, "x", seconds, engine=[timings])

    answers = {(site.key, "typehole"): answer("typehole", 7.0, 6000.0),
               (site.key, "engine"): answer("engine", 4.5, 4000.0)}
    row = overhead([site], answers, "typehole")
    assert row["ratio_p50"] == pytest.approx(7.0 / 4.5)
    assert row["adjusted"] == 1 and row["adjusted_p50"] == pytest.approx(6.0 / 5.5)
    # Prompts of different lengths are no pair to adjust.
    answers[(site.key, "engine")] = answer("engine", 4.5, 4000.0, prompt_tokens=499)
    assert overhead([site], answers, "typehole")["adjusted"] == 0


def test_repairs_are_the_requests_after_the_first(engine: ContextEngine) -> None:
    sites = crossfile_sites(engine, "tiny")
    rounds = [[{"ms": 900.0}], [{"ms": 900.0}, {"ms": 40.0, "probe": True}, {"ms": 260.0}],
              [{"ms": 900.0}, {"ms": 1700.0}]]
    answers = {}
    for site, costs in zip(sites, rounds, strict=True):
        answers[(site.key, "typehole")] = Answer(
            site.key, site.kind, site.project, site.path, site.line, site.column, "typehole",
            site.target, 1.0, round_costs=costs)
    row = repairs(sites, answers, "typehole")
    assert (row["sites"], row["requests"], row["probes"]) == (2, 3, 1)
    assert row["seconds_p50"] == pytest.approx(1.0) and row["seconds_mean"] == pytest.approx(1.0)
    assert row["mine"]["sites"] == 2 and row["mine"]["exact"] == 1.0
    assert row["engine"] == {"sites": 0}  # the engine alone was not asked

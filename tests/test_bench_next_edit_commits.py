"""The real-commit next-edit benchmark on a small git history made here with real `git`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from typehole.bench import next_edit_commits as bench

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

BEFORE = '''"""Prices."""


def total_price(items):
    return sum(i.price for i in items)


def describe(items):
    header = "Items"
    return header


def summary(items):
    return f"{len(items)} items, {total_price(items)} in all"


def report(items):
    lines = [describe(items)]
    lines.append(str(total_price(items)))
    return "\\n".join(lines)
'''

# One commit: the definition renamed, then each of its two uses, far enough apart that the
# line hunks stay separate (three hunks: two cases).
AFTER = BEFORE.replace("def total_price(", "def price_sum(").replace(
    "{total_price(items)}", "{price_sum(items)}").replace(
    "str(total_price(items))", "str(price_sum(items))")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false",
         *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("history")
    _git(root, "init", "-q")
    _commit(root, {"shop/__init__.py": "", "shop/prices.py": BEFORE,
                   "tests/test_prices.py": "def test():\n    pass\n"}, "start")
    _commit(root, {"shop/prices.py": AFTER}, "rename total_price")
    # Not cases: a test-only change, one hunk, and two package files at once.
    _commit(root, {"tests/test_prices.py": "def test():\n    assert True\n"}, "tests")
    _commit(root, {"shop/prices.py": AFTER.replace('"""Prices."""', '"""Prices of items."""')},
            "one hunk")
    _commit(root, {"shop/prices.py": AFTER.replace("Items", "All items").replace(
        '"\\n"', '"\\n\\n"'), "shop/__init__.py": "VERSION = 1\n"}, "two files")
    return root


def test_only_commits_of_one_package_file_in_two_to_six_hunks_are_cases(repo: Path) -> None:
    assert bench.is_package_file("src/click/core.py")
    assert not bench.is_package_file("tests/test_core.py")
    assert not bench.is_package_file("setup.py")
    candidates = bench.commits(str(repo / ".git"))
    # The rename and the one-hunk commit (hunks are counted later); "start" has no parent, the
    # test-only commit and the one changing two package files are left out.
    assert len(candidates) == 2


def test_cases_replay_hunk_by_hunk(repo: Path) -> None:
    cases = bench.cases(str(repo / ".git"), max_cases=50)
    assert [(c.commit.path, c.k, len(c.events)) for c in cases] == [
        ("shop/prices.py", 1, 3), ("shop/prices.py", 2, 3)]
    first = cases[0]
    assert "def price_sum(" in first.state and "{total_price(items)}" in first.state
    spans = bench.target_spans(first)
    # The remaining hunks, located in the current text: each covers one old use.
    assert [first.state[s:e] for s, e, _ in spans] == ["total_price", "total_price"]
    assert [new for _, _, new in spans] == ["price_sum", "price_sum"]
    assert bench.cases(str(repo / ".git"), max_cases=1) == cases[:1]


def test_rename_propagation_scores_as_an_exact_hit(repo: Path) -> None:
    case = bench.cases(str(repo / ".git"), max_cases=50)[0]
    outcome = bench.replay(case)
    assert outcome.found, "the rename engine follows the renamed definition"
    top = outcome.found[0]
    assert (top.source, top.new_text) == ("rename", "price_sum")
    score = bench.score(outcome)
    assert score.counts["made"] == score.counts["hit1"] == score.counts["exact"] == 1
    assert score.engines["rename"]["top_exact"] == 1
    assert score.similarity == [1.0]


def test_a_wrong_suggestion_is_a_miss(repo: Path) -> None:
    case = bench.cases(str(repo / ".git"), max_cases=50)[0]
    state = case.state
    at = state.index("header = ")  # lines away from any remaining hunk
    wrong = bench.Suggestion(at, at + len("header"), "title", "repeat", "", "header")
    score = bench.score(bench.Outcome(case, [wrong], 1.0, bench.target_spans(case)))
    assert score.counts["made"] == 1 and score.counts["hit1"] == 0 and score.counts["exact"] == 0
    # The same suggestion on the line right next to a hunk lands with one line of tolerance.
    near = state.index("lines = [")
    close = bench.Suggestion(near, near + 5, "rows", "repeat", "", "lines")
    spans = bench.target_spans(case)
    assert bench.lands(state, close, spans[1], tolerance=1)
    assert not bench.lands(state, close, spans[1], tolerance=0)


def test_run_repo_unpacks_the_parent_package_and_counts(repo: Path) -> None:
    shown: list[bench.Outcome] = []
    score = bench.run_repo(str(repo / ".git"), max_cases=50, seed=0, tolerance=1, shown=shown)
    assert score.counts["cases"] == 2 == len(shown)
    assert score.counts["hit1"] >= 1
    assert "shop/prices.py k=1/3" in bench.show(shown[0], 1)


def test_dump_records_the_top_suggestion_and_the_hunk_it_landed_on(
        repo: Path, tmp_path: Path) -> None:
    import json

    cases = bench.cases(str(repo / ".git"), max_cases=50)
    outcomes = [bench.replay(case) for case in cases]
    path = tmp_path / "cases.jsonl"
    bench.dump(outcomes, 1, str(path))
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert (first["k"], first["hunks"], first["source"]) == (1, 3, "rename")
    assert (first["old"], first["new"], first["landed"], first["exact"]) == (
        "total_price", "price_sum", True, True)
    assert first["targets"] == [{"line": first["line"], "old": "total_price",
                                 "new": "price_sum"}]
    assert second["k"] == 2 and second["sha"] == first["sha"]

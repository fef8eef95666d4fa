"""Monitors: golden allowed/denied continuations per monitor, composition, compilation, the
exact-masking decode loop on the embedded model (also on a real project), and fail-open.

Golden cases: `tests/golden/monitors/<case>.py` is a document with `┃`; `<case>.expected` holds
lines `+ '<text>'` (a continuation the monitors must allow) and `- '<text>'` (one they must
reject), each a Python string literal.
"""

from __future__ import annotations

import ast
import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jedi
import markers
import pytest
from golden_files import Golden

from typehole.guided import GuidedResult, guided
from typehole.guided.compile import gbnf, regex, request_extra
from typehole.models.base import CompletionRequest
from typehole.models.ngram_model import NgramModel
from typehole.monitors import (
    Constraint,
    MonitorSettings,
    Session,
    build_monitors,
    intersect,
)
from typehole.monitors.facts import Facts

# These tests check what monitors allow, not how fast: a loaded machine must not make a cold
# Jedi miss its budget and fail open.
PATIENT = MonitorSettings(trigger_timeout_ms=60_000)
GOLDEN = Path(__file__).parent / "golden" / "monitors"
CASES = sorted(p.stem for p in GOLDEN.glob("*.py"))


def session_at(doc: str, settings: MonitorSettings | None = None) -> tuple[Session, str, int]:
    marked = markers.parse(doc)
    monitors = build_monitors(settings or MonitorSettings(), marked.text, marked.offset)
    # Patient queries too: a query past its time fails open, which a loaded machine must not
    # turn into a different verdict.
    session = Session(marked.prefix, marked.suffix, monitors, Facts(timeout_s=60.0))
    return session, marked.text, marked.offset


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden: Golden) -> None:
    session, _, _ = session_at((GOLDEN / f"{case}.py").read_bytes().decode("utf-8"))
    state = session.start()
    # The expected file is a hand-written spec (what must be allowed and rejected).
    spec = golden.expected(GOLDEN / f"{case}.expected").splitlines()
    assert spec, f"{case}: the spec lists no continuation"
    for line in spec:
        sign, literal = line.split(" ", 1)
        text = ast.literal_eval(literal)
        assert session.allows(state, text) == (sign == "+"), f"{case}: {line}"


def test_each_monitor_can_be_switched_off() -> None:
    off = MonitorSettings(dereference=False)
    session, _, _ = session_at("def f(s: str):\n    return s.┃\n", off)
    assert session.allows(session.start(), "uper()")
    assert not session.allows(session.start(), "upper())")  # syntax is still on


def test_narrowing_and_release() -> None:
    session, _, _ = session_at("def f(s: str):\n    return s.┃\n")
    state = session.start()
    constraint, partial = session.constraint(state)
    assert constraint is not None and "upper" in (constraint.words or ())
    assert session.feed(state, "st") is None
    constraint, partial = session.constraint(state)
    assert partial == "st" and constraint is not None
    assert constraint.completions(partial)[:2] == ["artswith", "rip"]
    assert session.feed(state, "rip(") is None
    assert session.constraint(state)[0] is None or session.constraint(state)[0].words is None


def test_block_end_stops_generation() -> None:
    session, _, _ = session_at("def f():\n    x = 1\n    ┃\n")
    state = session.start()
    assert session.feed(state, "y = 2\n    z = 3\nw = 4\n") is None
    assert state.stop_at == len("y = 2\n    z = 3")


def test_intersection_and_fail_open() -> None:
    a = Constraint(words=("alpha", "beta"), starts=frozenset(), source=("a",))
    b = Constraint(words=("beta", "gamma"), banned=frozenset(")"), source=("b",))
    both = intersect([a, b, None])
    assert both is not None and both.words == ("beta",) and both.banned == frozenset(")")
    assert both.starts == frozenset() and both.source == ("a", "b")
    disjoint = intersect([a, Constraint(words=("zeta",))])
    assert disjoint is not None and disjoint.words is None  # disagreement constrains nothing
    assert intersect([None, None]) is None


def test_compile_grammar_and_regex() -> None:
    c = Constraint(words=("get", "get_all", "post"), starts=frozenset())
    grammar = gbnf(c, "ge")
    assert grammar is not None and 'word ::= "t" ("_all")?' in grammar
    pattern = regex(c, "")
    assert pattern is not None
    assert re.fullmatch(pattern, "get_all(x)") and re.fullmatch(pattern, "post")
    assert not re.fullmatch(pattern, "gets(") and not re.fullmatch(pattern, "put()")
    assert request_extra(frozenset({"grammar"}), c, "") == {"grammar": gbnf(c, "")}
    assert request_extra(frozenset({"regex"}), c, "") == {
        "structured_outputs": {"regex": regex(c, "")}
    }
    assert request_extra(frozenset(), c, "") == {}
    assert gbnf(Constraint(banned=frozenset(")")), "") is None


def _gbnf_rule_as_regex(rule: str) -> str:
    """The words rule of `gbnf` (quoted literals, groups, `|`, `?`) as a Python regex."""
    parts = re.findall(r'"(?:[^"\\]|\\.)*"|[()?|]', rule)
    return "".join(re.escape(p[1:-1].replace('\\"', '"').replace("\\\\", "\\"))
                   if p.startswith('"') else p for p in parts)


def test_grammar_words_are_a_trie_of_the_same_language() -> None:
    """Shared starts are written once (llama.cpp checks the whole vocabulary against each
    alternative the grammar is in), and exactly the words are accepted."""
    words = ("get", "get_all", "getattr", "post", "p", "__init__", "__iter__", "keys")
    grammar = gbnf(Constraint(words=words), "")
    assert grammar is not None
    rule = next(line for line in grammar.splitlines() if line.startswith("word ::= "))
    assert rule == ('word ::= ("get" ("_all" | "attr")? | "p" ("ost")? '
                    '| "__i" ("nit__" | "ter__") | "keys")')
    pattern = _gbnf_rule_as_regex(rule.removeprefix("word ::= "))
    prefixes = {w[:i] for w in words for i in range(len(w) + 1)}
    assert {p for p in prefixes if re.fullmatch(pattern, p)} == set(words)
    assert 'word ::= ("_all" | "attr")?' in (gbnf(Constraint(words=words), "get") or "")


TRAIN = (
    "class Box:\n    def __init__(self):\n        self.width = 1\n\n"
    "def g(p):\n    return p.foo_bar + p.baz\n"
) * 3
DOC = (
    "class Box:\n    def __init__(self):\n        self.width = 1\n\n"
    "def h(b: Box):\n    return b.┃\n"
)


async def complete(
    model: NgramModel, doc: str, enabled: bool = True, path: str | None = None,
    max_tokens: int = 8,
) -> tuple[str, GuidedResult]:
    """The embedded model's line at the `┃` of `doc`, guided by the monitors (or not)."""
    marked = markers.parse(doc)
    result = GuidedResult()
    request = CompletionRequest(marked.prefix, marked.suffix, max_tokens=max_tokens,
                                stop=("\n",))
    with ThreadPoolExecutor(1) as analysis:
        stream = guided(model, request, marked.text, marked.offset, analysis, enabled=enabled,
                        path=path, result=result, settings=PATIENT)
        out = "".join([c.text async for c in stream])
    return out, result


async def test_embedded_model_masks_exactly() -> None:
    model = NgramModel()
    model.train("a.py", TRAIN)
    plain, off = await complete(model, DOC, enabled=False)
    assert plain.startswith("baz") and off.strategy == "off"
    guided_text, on = await complete(model, DOC, enabled=True)
    assert guided_text.startswith("width") and on.strategy == "mask"
    assert on.violations_prevented > 0 and on.rounds == 1
    await model.aclose()


async def test_embedded_model_fails_open_when_analysis_knows_nothing() -> None:
    model = NgramModel()
    model.train("a.py", TRAIN)
    doc = "def h(b):\n    return b.┃\n"
    assert (await complete(model, doc, True))[0] == (await complete(model, doc, False))[0]
    await model.aclose()


def _dereference_sites(root: Path, limit: int) -> list[tuple[Path, str, int]]:
    sites = []
    for path in sorted((root / "httpx").glob("_*.py")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^\s+return self\.(\w+)", text, re.M):
            sites.append((path, text, m.start(1)))
            if len(sites) >= limit:
                return sites
    return sites


async def test_embedded_model_only_real_members_on_httpx(httpx_root: Path) -> None:
    model = NgramModel()
    for path in sorted((httpx_root / "httpx").rglob("*.py")):
        model.train(str(path), path.read_text(encoding="utf-8"))
    checked = 0
    for path, text, offset in _dereference_sites(httpx_root, 6):
        doc = text[:offset] + markers.CURSOR + text[offset:]
        out, _ = await asyncio.wait_for(
            complete(model, doc, path=str(path), max_tokens=4), timeout=120  # a hang guard
        )
        name = re.match(r"\w*", out).group(0)  # type: ignore[union-attr]
        line, col = text[:offset].count("\n") + 1, offset - text.rfind("\n", 0, offset) - 1
        members = {c.name for c in jedi.Script(text, path=str(path)).complete(line, col)}
        if members and "__getattr__" not in members:
            assert name in members, (path.name, out)
            checked += 1
    assert checked >= 3
    await model.aclose()


async def test_embedded_model_never_stops_inside_a_member_name() -> None:
    # `.a` is what the training text makes likeliest after a dot, and `a` starts the member
    # `add`; the embedded model's lexer cannot continue `a` into `add`, so `a` must not be chosen.
    model = NgramModel()
    model.train("a.py", "class Box:\n    def add(self, x):\n        return x\n\n"
                "def g(p):\n    return p.a + p.a\n" * 3)
    doc = (
        "class Box:\n    def add(self, x):\n        return x\n\n\n"
        "def f(b: Box):\n    return b.┃\n"
    )
    out, _ = await complete(model, doc, True)
    assert re.match(r"\s*(\w*)", out).group(1) == "add"  # type: ignore[union-attr]
    await model.aclose()

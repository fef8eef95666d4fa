"""Assembly: ranking across channels, the hard token budget, rendering and the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

from typehole.context.assemble import Block, assemble, blocks_for, render_comment
from typehole.context.engine import ContextEngine
from typehole.context.ranking import RankingWeights
from typehole.context.records import Hole, RelevantType, Snippet
from typehole.context.relevant import ScoredType


def words(text: str) -> int:
    return len(text.split())


def chars(text: str) -> int:
    return (len(text) + 3) // 4


def test_render_comment_is_a_python_comment() -> None:
    assert render_comment("a.py:3", "def f(): ...\n\nx = 1") == \
        "# a.py:3\n# def f(): ...\n#\n# x = 1\n"


def test_budget_is_a_hard_cap_and_best_is_nearest_the_code() -> None:
    blocks = [Block(render_comment(f"f{i}.py:1", "word " * (5 * i)), score=i, item=i)
              for i in range(1, 6)]
    for budget in range(0, 80, 3):
        prompt, tokens, chosen = assemble("# Expected type at the cursor: X\n", blocks, budget,
                                          words)
        assert tokens == words(prompt) <= budget
    prompt, _, chosen = assemble("# Expected type at the cursor: X\n", blocks, 60, words)
    assert [b.item for b in chosen] == [5, 4]
    assert prompt.index("f4.py") < prompt.index("f5.py") < prompt.index("Expected type")


def test_non_additive_counter_still_respects_the_cap() -> None:
    def lumpy(text: str) -> int:  # joining blocks costs more than the parts
        return words(text) + text.count("\n# ")
    blocks = [Block(render_comment(f"f{i}.py", "a b c"), 1.0 / (i + 1), i) for i in range(10)]
    prompt, tokens, _ = assemble("", blocks, 30, lumpy)
    assert lumpy(prompt) == tokens <= 30


def test_duplicate_blocks_are_packed_once() -> None:
    block = render_comment("a.py:1", "x = 1")
    prompt, _, chosen = assemble("", [Block(block, 1.0, 1), Block(block, 0.9, 2)], 100, words)
    assert prompt == block and len(chosen) == 1


def test_gather_on_httpx_follows_the_json_contract(
    httpx_engine: ContextEngine, httpx_root: Path
) -> None:
    engine = httpx_engine
    path = httpx_root / "httpx" / "_client.py"
    text = path.read_text(encoding="utf-8")
    start = text.index("def _merge_url(")
    offset = text.index("return ", start) + len("return ")
    result = engine.gather(text, offset, path, 512, chars)
    assert result.hole.kind == "return" and result.hole.expected_type == "URL"
    assert result.tokens == chars(result.prompt) <= 512
    assert result.relevant_types and result.relevant_types[0].name == "URL"
    assert "# httpx/_urls.py:" in result.prompt and "class URL:" in result.prompt
    assert result.prompt.endswith("# Expected type at the cursor: URL\n")
    assert all(line.startswith("#") for line in result.prompt.splitlines())
    data = json.loads(json.dumps(result.to_json()))
    # `skipped` appears only when a stage was skipped or cut short, and then says why.
    assert set(data) - {"skipped"} == {"hole", "relevant_types", "relevant_headers", "snippets",
                                       "prompt", "tokens", "timings_ms"}
    assert all(isinstance(v, str) and v for v in data.get("skipped", {}).values())
    assert set(data["hole"]) == {"kind", "expected_type"}
    assert all(set(t) == {"name", "path", "line", "text"} for t in data["relevant_types"])
    assert all(set(h) == {"name", "path", "line", "signature"} for h in data["relevant_headers"])
    assert all(set(s) == {"path", "start_line", "end_line", "text", "source", "score"}
               for s in data["snippets"])
    assert {"hole", "relevant_types", "relevant_headers", "rationale", "analogy", "assemble",
            "total"} <= set(data["timings_ms"])
    # Everything reported is in the prompt, and nothing is reported that was cut.
    for t in result.relevant_types:
        assert f"# {t.path}:{t.line}\n" in result.prompt
    for s in result.snippets:
        assert s.path in result.prompt


def test_gather_budgets_and_deadline(httpx_engine: ContextEngine, httpx_root: Path) -> None:
    engine = httpx_engine
    path = httpx_root / "httpx" / "_models.py"
    text = path.read_text(encoding="utf-8")
    offset = text.index("self.headers = ") + len("self.headers = ")
    sizes = []
    for budget in (0, 64, 512, 1024, 2048):
        result = engine.gather(text, offset, path, budget, chars)
        assert result.tokens <= budget and chars(result.prompt) == result.tokens
        sizes.append(result.tokens)
    assert sizes == sorted(sizes) and sizes[0] == 0
    late = engine.gather(text, offset, path, 1024, chars, deadline_ms=0.0)
    assert "skipped_analogy" in late.timings_ms
    assert late.skipped["analogy"].startswith("deadline: ")
    # The definitions of the imported names used nearby are gathered however late it is.
    assert late.snippets and {s.source for s in late.snippets} == {"rationale"}


def test_gather_in_a_broken_unsaved_buffer(httpx_engine: ContextEngine) -> None:
    engine = httpx_engine
    text = "import httpx\nfrom httpx import Client\n\ndef go(c: Client) -> httpx.Response:\n" \
           "    if (:\n    return c.get("
    result = engine.gather(text, len(text), None, 2000, chars)
    assert result.hole.kind == "call_argument" and result.tokens <= 2000
    assert "class Client(BaseClient):" in result.prompt


def test_gather_at_many_call_sites_keeps_the_budget_and_repeats_itself(
    httpx_engine: ContextEngine, httpx_root: Path
) -> None:
    """Inside the argument list of many calls in a real file, every gathered prompt is within
    the budget, all comment, and a second gather at the same site (warm caches, memoised hole)
    gives the same answer. (Gather latency is measured by `typehole bench context`.)"""
    path = httpx_root / "httpx" / "_client.py"
    text = path.read_text(encoding="utf-8")
    sites = [i + 1 for i in range(len(text)) if text[i] == "(" and text[i - 1].isalnum()][::25]
    assert len(sites) >= 10
    first = [_gathered(httpx_engine, text, offset, path) for offset in sites]
    for prompt, tokens, _ in first:
        assert tokens == chars(prompt) <= 1024
        assert all(line.startswith("#") for line in prompt.splitlines())
    assert any(kind == "call_argument" for _, _, kind in first)
    assert [_gathered(httpx_engine, text, offset, path) for offset in sites] == first


def _gathered(engine: ContextEngine, text: str, offset: int, path: Path) -> tuple[str, int, str]:
    """What one gather decides: the prompt, its tokens and the hole's kind."""
    result = engine.gather(text, offset, path, 1024, chars)
    return result.prompt, result.tokens, result.hole.kind


def test_similar_code_outranks_stubs_of_unused_imports(
    httpx_engine: ContextEngine, httpx_root: Path
) -> None:
    # `_api.py` imports many workspace names its `request()` does not use: the best similar-code
    # window is packed before their stubs.
    path = httpx_root / "httpx" / "_api.py"
    text = path.read_text(encoding="utf-8")
    offset = text.index("    with Client(") + len("    ")
    result = httpx_engine.gather(text, offset, path, 4096, chars)
    sources = [s.source for s in result.snippets]
    assert "analogy" in sources
    w = RankingWeights()
    unused = [i for i, s in enumerate(result.snippets) if s.score == w.rationale_unused]
    assert unused and sources.index("analogy") < unused[0]
    best = max(s.score for s in result.snippets if s.source == "analogy")
    assert best == w.analogy > w.rationale_unused


def test_continuations_are_real_code_under_a_path_line_and_rank_first() -> None:
    going_on = Snippet("pkg/a.py", 3, 5, "    x = 1\n    y = 2\n", "continuation",
                       RankingWeights().continuation)
    used = Snippet("pkg/b.py", 1, 2, "def f(): ...", "rationale", RankingWeights().rationale)
    _, blocks = blocks_for(Hole("unknown", None, 0, 0), [], [], [used, going_on])
    prompt, _, chosen = assemble("", blocks, 1000, words)
    assert [b.item for b in chosen] == [going_on, used]
    # Rendered last, nearest the code, as code: a model sees those lines as it sees its own.
    assert prompt.endswith("# Path: pkg/a.py\n    x = 1\n    y = 2\n\n")
    assert "# def f(): ..." in prompt


def test_beyond_the_free_room_only_continuations_and_used_definitions_take_the_budget(
    httpx_engine: ContextEngine, httpx_root: Path
) -> None:
    # A prefix-only prompt's reserve is paid for with code lines: without a continuation only
    # the definitions of the names used nearby take it, a continuation gets the whole budget.
    path = httpx_root / "httpx" / "_client.py"
    text = path.read_text(encoding="utf-8")
    # A line start whose last lines occur nowhere else: no continuation.
    line = "        merge_url = URL(url)\n"
    offset = text.index(line) + len(line) + len("        ")
    w = RankingWeights()
    plain = httpx_engine.gather(text, offset, path, 400, chars)
    assert "continuation" not in {s.source for s in plain.snippets}
    assert any(s.source != "rationale" or s.score <= w.rationale_unused for s in plain.snippets)
    reserved = httpx_engine.gather(text, offset, path, 400, chars, free_tokens=40)
    assert reserved.snippets and reserved.tokens <= 400
    assert all(s.source == "rationale" and s.score > w.rationale_unused
               for s in reserved.snippets)
    assert "class URL:" in reserved.prompt  # used on the line above
    # With room enough the free room is all there is: nothing is held back.
    assert httpx_engine.gather(text, offset, path, 400, chars, free_tokens=400).prompt == \
        plain.prompt
    # Mid-line (after `obj.`) the types in scope keep the reserve.
    member = text.index("merge_url.is_relative_url") + len("merge_url.")
    assert httpx_engine.gather(text, member, path, 400, chars, free_tokens=40).prompt == \
        httpx_engine.gather(text, member, path, 400, chars).prompt
    # After the same lines as other methods' parameters: what followed them there, and the
    # rest of the context as without a free room.
    start = text.index("        data: RequestData | None = None,\n", text.index("def request("))
    going_on = start + len("        data: RequestData | None = None,\n        ")
    with_next = httpx_engine.gather(text, going_on, path, 400, chars, free_tokens=40)
    assert "continuation" in {s.source for s in with_next.snippets}
    assert with_next.prompt == httpx_engine.gather(text, going_on, path, 400, chars).prompt
    assert 40 < with_next.tokens <= 400


def test_a_large_block_goes_in_compact_and_is_made_whole_when_room_is_left() -> None:
    # The best block alone would take most of the budget: it goes in compact first, so that the
    # smaller blocks after it fit; made whole again only if there is room at the end.
    compact = Block(render_comment("big.py:1", "class Big: ..."), 0.9, "big-compact")
    big = Block(render_comment("big.py:1", "word " * 60), 0.9, "big", compact)
    small = [Block(render_comment(f"s{i}.py:1", "word " * 8), 0.5 - i / 10, f"s{i}")
             for i in range(3)]
    _, tokens, chosen = assemble("", [big, *small], 70, words)
    assert [b.item for b in chosen] == ["big-compact", "s0", "s1", "s2"] and tokens <= 70
    _, tokens, chosen = assemble("", [big, *small], 200, words)
    assert [b.item for b in chosen] == ["big", "s0", "s1", "s2"] and tokens <= 200
    # A block without a compact form is taken whole, as before, when it fits.
    plain = Block(big.text, 0.9, "plain")
    _, _, chosen = assemble("", [plain, *small], 70, words)
    assert [b.item for b in chosen] == ["plain"]


def test_a_relevant_class_has_a_compact_form() -> None:
    stub = 'class Console:\n    """A terminal."""\n    width: int\n    def print(self): ...'
    kept = RelevantType("Console", "rich/console.py", 580, stub)
    _, blocks = blocks_for(Hole("unknown", None, 0, 0), [ScoredType(kept, 0.55)], [], [])
    fallback = blocks[0].fallback
    assert fallback is not None and fallback.item.line == 580
    assert fallback.item.text == 'class Console:\n    """A terminal."""\n    ...'

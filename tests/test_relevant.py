"""Relevant types (stubs, transitive, capped) and relevant headers (ranked by type, closeness)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from trees import write_tree

from typehole.context.engine import ContextEngine
from typehole.context.ranking import RankingWeights, distances_from, import_distance, undirected
from typehole.context.records import Hole
from typehole.context.relevant import relevant_headers, relevant_types, user_type_names

FILES = {
    "shop/__init__.py": "",
    "shop/money.py": (
        "class Currency:\n    code: str\n\n\n"
        "class Money:\n    \"\"\"An amount in a currency.\"\"\"\n\n"
        "    amount: int\n    currency: Currency\n\n"
        "    def add(self, other: 'Money') -> 'Money':\n        return self\n\n"
        "    def _secret(self) -> None:\n        pass\n"),
    "shop/cart.py": (
        "from .money import Money\n\n\n"
        "class Line:\n    price: Money\n    qty: int\n\n\n"
        "class Cart:\n    def __init__(self, lines: list[Line]) -> None:\n"
        "        self.lines = lines\n\n"
        "    def total(self) -> Money:\n        return self.lines[0].price\n\n\n"
        "def zero() -> Money:\n    return Money()\n\n\n"
        "def _maybe_total(cart: Cart) -> Money | None:\n    return None\n\n\n"
        "def all_totals(carts: list[Cart]) -> list[Money]:\n    return []\n"),
    "shop/far/__init__.py": "",
    "shop/far/away.py": "from shop.far.other import x\n\n\n"
                        "def remote_money() -> 'Money':\n    pass\n",
    "shop/far/other.py": "x = 1\n",
    "tests/test_cart.py": "from shop.money import Money\n\n\ndef make_money() -> Money:\n"
                          "    return Money()\n",
    "shop/checkout.py": "from shop.cart import Cart, Line\nfrom shop.money import Money\n\n\n"
                        "def pay(cart: Cart) -> Money:\n    return \n",
}


def _engine(tmp_path: Path) -> ContextEngine:
    write_tree(tmp_path / "ws", FILES)
    engine = ContextEngine(tmp_path / "ws", tmp_path / "cache")
    engine.build()
    return engine


def _hole(expected: str | None, scope=()) -> Hole:
    return Hole(kind="return", expected_type=expected, line=6, column=11, function="pay",
                scope=tuple(scope))


def test_user_type_names() -> None:
    assert user_type_names("Optional[list[m.Money]] | None") == ["m.Money"]
    assert user_type_names("dict[str, 'Cart']") == ["Cart"]


def test_relevant_types_follow_annotations_transitively(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    facts = engine.facts("shop/checkout.py", FILES["shop/checkout.py"])
    found = relevant_types(engine.index, facts, _hole("Cart"), {})
    names = [t.type.name for t in found]
    assert names == ["Cart", "Line", "Money"]  # Cart -> Line -> Money, then the depth cap
    deeper = relevant_types(engine.index, facts, _hole("Cart"), {}, max_depth=3)
    assert [t.type.name for t in deeper] == ["Cart", "Line", "Money", "Currency"]
    stub = found[2].type.text
    assert stub.splitlines()[0] == "class Money:"
    assert "    amount: int" in stub and "    def add(self, other: 'Money') -> 'Money': ..." in stub
    assert "_secret" not in stub and "return" not in stub  # body-less, public surface
    capped = relevant_types(engine.index, facts, _hole("Cart"), {}, max_depth=1)
    assert [t.type.name for t in capped] == ["Cart", "Line"]
    assert len(relevant_types(engine.index, facts, _hole("Cart"), {}, max_types=2)) == 2


def test_scope_types_rank_below_the_expected_type(tmp_path: Path) -> None:
    from typehole.context.records import ScopeName
    engine = _engine(tmp_path)
    facts = engine.facts("shop/checkout.py", FILES["shop/checkout.py"])
    found = relevant_types(engine.index, facts,
                           _hole("Money", [ScopeName("cart", "Cart", "param")]), {})
    scores = {t.type.name: t.score for t in found}
    assert scores["Money"] > scores["Cart"]


def test_relevant_headers_rank_exact_close_public_first(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    facts = engine.facts("shop/checkout.py", FILES["shop/checkout.py"])
    distances = engine._distances(facts.module)
    headers = relevant_headers(engine.index, facts, _hole("Money"), distances)
    names = [h.name for h in headers]
    assert names[0] in ("Cart.total", "zero", "Money.add")
    assert names.index("zero") < names.index("_maybe_total") < names.index("all_totals")
    assert names.index("zero") < names.index("make_money")  # test files rank lower
    assert "pay" not in names  # the function being written
    assert headers[names.index("zero")].signature == "def zero() -> Money: ..."


def test_weight_closeness_prefers_nearby_modules(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    facts = engine.facts("shop/checkout.py", FILES["shop/checkout.py"])
    distances = engine._distances(facts.module)
    base = RankingWeights()
    near = relevant_headers(engine.index, facts, _hole("Money"), distances, base)
    flat = relevant_headers(engine.index, facts, _hole("Money"), distances,
                            replace(base, closeness=0.0, test_penalty=0.0))
    score = {h.name: h.score for h in near}
    flat_score = {h.name: h.score for h in flat}
    assert score["zero"] - score["remote_money"] > flat_score["zero"] - flat_score["remote_money"]


def test_weight_private_penalty(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    facts = engine.facts("shop/checkout.py", FILES["shop/checkout.py"])
    w = RankingWeights()
    a = {h.name: h.score for h in relevant_headers(engine.index, facts, _hole("Money"), {}, w)}
    b = {h.name: h.score for h in relevant_headers(
        engine.index, facts, _hole("Money"), {}, replace(w, private_penalty=0.0))}
    assert b["_maybe_total"] - a["_maybe_total"] == pytest.approx(w.private_penalty)


def test_builtin_expected_type_gets_few_exact_headers(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    facts = engine.facts("shop/checkout.py", FILES["shop/checkout.py"])
    assert relevant_headers(engine.index, facts, _hole("int"), {}) == []
    assert relevant_headers(engine.index, facts, _hole(None), {}) == []


def test_import_distances_stop_at_the_nearest_modules() -> None:
    # `hub` is imported by a hundred modules, and `app` imports `hub` and `util`.
    graph = {f"m{i:03}": {"hub"} for i in range(100)} | {"app": {"hub", "util"}}
    assert import_distance(graph, "app") == distances_from(undirected(graph), "app", 3, 10_000)
    full = import_distance(graph, "app")
    assert full["hub"] == full["util"] == 1 and full["m042"] == 2 and len(full) == 103
    capped = distances_from(undirected(graph), "app", max_modules=10)
    # The nearest first, and the same modules every time (neighbours are walked sorted).
    assert len(capped) == 10 and capped["hub"] == capped["util"] == 1
    assert sorted(m for m in capped if m.startswith("m")) == [f"m{i:03}" for i in range(7)]

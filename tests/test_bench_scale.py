"""`typehole bench scale`: the generated monorepo resolves, the sites are real, the maths holds."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest

from typehole.bench.scale import _rewrite, growth, monorepo, percentile, pick_sites, table
from typehole.context.engine import ContextEngine


def test_rewrite_renames_the_package_in_imports_and_dotted_names_only() -> None:
    text = ("import django\nfrom django.db import models\nimport os, django.conf\n"
            "    from django import forms\nx = django.conf.settings\ndjangoish.x = 1\n"
            "s = 'django'\nmy.django.thing = 2\n")
    assert _rewrite(text, "django", "django_2") == (
        "import django_2\nfrom django_2.db import models\nimport os, django_2.conf\n"
        "    from django_2 import forms\nx = django_2.conf.settings\ndjangoish.x = 1\n"
        "s = 'django'\nmy.django.thing = 2\n")


def test_growth_is_the_log_log_slope_and_percentiles_are_nearest_rank() -> None:
    xs = [1e4, 1e5, 1e6]
    assert growth(xs, [5.0, 5.0, 5.0]) == pytest.approx(0.0)
    assert growth(xs, [1.0, 10.0, 100.0]) == pytest.approx(1.0)
    assert growth(xs, [1.0, math.sqrt(10), 10.0]) == pytest.approx(0.5)
    assert growth([1e4], [3.0]) is None
    values = [float(v) for v in range(1, 21)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile([], 0.5)) == \
        (10.0, 19.0, 0.0)


def test_monorepo_copies_resolve_to_their_own_package() -> None:
    root = monorepo(30_000, ("httpx==0.28.1",))
    assert {p.name for p in root.iterdir() if p.is_dir()} == {"httpx_1", "httpx_2"}
    client = (root / "httpx_2" / "httpx_2" / "_client.py").read_text(encoding="utf-8")
    assert "from ._models import" in client or "from httpx_2." in client
    assert "from httpx." not in client and "import httpx\n" not in client
    engine = ContextEngine(root, tempfile.mkdtemp(prefix="typehole-test-"))
    try:
        engine.build()
        rel = "httpx_2/tests/test_api.py"
        imports = engine.index.imports_of(rel)
        assert any(i.module == "httpx_2" for i in imports)
        assert engine.index.module_path("httpx_2._client") == "httpx_2/httpx_2/_client.py"
        assert engine.index.module_path("httpx._client") is None
    finally:
        engine.close()


def test_sites_are_attribute_and_call_sites_inside_functions(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("import os\n\ndef f(p):\n    def g():\n        return os.path.join(p, 'x')\n"
                    "    return g\n\n\ndef h(q):\n    if q:\n        print(q.name)\n")
    sites = pick_sites([path, path], 2)
    assert [kind for *_, kind in sites] == ["attribute", "call"]
    text = path.read_text()
    attribute, call = sites[0][2], sites[1][2]
    # Of each file's candidates (`os.` and `q.`; `join(` and `print(`) the middle one.
    assert text[:attribute].endswith("print(q.") and text[:call].endswith("print(")


def test_table_has_a_row_per_stage_and_a_growth_column() -> None:
    rows = [{"workspace": f"w{n}", "lines": n, "indexed": n // 10, "cold_s": n / 1e4,
             "warm_s": 0.1, "index_mb": n / 1e4, "rss_index_mb": 50, "rss_mb": 60,
             "skipped_share": 0.0, "cut_share": 0.5,
             "samples": {"analogy": [5.0, 6.0], "walk": [n / 1e3]}} for n in (10_000, 100_000)]
    out = table(rows)
    analogy = next(line for line in out.splitlines() if line.startswith("analogy"))
    walk = next(line for line in out.splitlines() if line.startswith("walk"))
    cold = next(line for line in out.splitlines() if line.startswith("cold index s"))
    assert analogy.split()[-1] == "0.00" and walk.split()[-1] == "1.00"
    assert cold.split()[-1] == "1.00"

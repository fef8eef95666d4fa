"""`typehole bench context --lsp`: a real server over stdio, a first request then typing on."""

from __future__ import annotations

import asyncio

from typehole.bench.context import bench_lsp


def test_lsp_rows_have_first_and_typing_requests_stages_and_rss() -> None:
    (row,) = asyncio.run(bench_lsp("httpx==0.28.1", 2, ("jedi",), keystrokes=2))
    assert row["sites"] == 2 and row["answered"] == 1.0
    # Two sites, each a first request then two keystrokes, each a didChange and a request.
    assert row["n"] == 2 and row["typing"]["n"] == 4
    assert row["typing"]["gather_p95"] > 0.0
    assert "hole" in row["stages_p95"] and "total" not in row["stages_p95"]
    assert 0.0 < row["rss_mb"] <= row["peak_rss_mb"]

"""`typehole bench context --lsp`: a real server over stdio, a first request then typing on."""

from __future__ import annotations

import asyncio
from collections import namedtuple
from types import SimpleNamespace

from pygls.exceptions import JsonRpcInternalError

from typehole.bench.context import _LSP_TIMEOUT_S, _ask, _summary, answered, bench_lsp


def test_lsp_rows_have_first_and_typing_requests_stages_and_rss() -> None:
    (row,) = asyncio.run(bench_lsp("httpx==0.28.1", 2, ("jedi",), keystrokes=2))
    assert row["sites"] == 2 and row["answered"] == 1.0
    # Two sites, each a first request then two keystrokes, each a didChange and a request.
    assert row["n"] == 2 and row["typing"]["n"] == 4
    assert row["typing"]["gather_p95"] > 0.0
    assert "hole" in row["stages_p95"] and "total" not in row["stages_p95"]
    assert 0.0 < row["rss_mb"] <= row["peak_rss_mb"]


def test_an_error_reply_counts_as_unanswered_not_as_a_fast_answer() -> None:
    class Protocol:
        async def send_request_async(self, method: str, params: object) -> object:
            raise JsonRpcInternalError("the handler raised")

    class Client:
        protocol = Protocol()

    result, ms = asyncio.run(_ask(Client(), "file:///w/a.py", "x = 1\n"))  # type: ignore[arg-type]
    assert not answered(result) and ms == _LSP_TIMEOUT_S * 1000
    timings = namedtuple("timings_ms", ["total"])(4.0)
    summary = _summary([(result, ms), (SimpleNamespace(timings_ms=timings), 5.0)])
    assert summary["answered"] == 0.5 and summary["errors"] == 1
    assert summary["p50"] == (ms + 5.0) / 2  # the error at the timeout, not at its own ms

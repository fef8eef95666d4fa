"""Time typehole's llama.cpp backend adds on top of the engine, per completion.

Runs from a checkout (it starts the test suite's tiny llama.cpp engine, `tests/llamacpp`):

    python bench/backend_overhead.py [--requests 200]

Each round sends the same `/completion` body twice, once as a raw httpx stream and once through
`LlamaCppBackend.complete`; the paired difference is what typehole adds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from pathlib import Path

import httpx

from typehole.models.base import CompletionRequest
from typehole.models.http import create_client
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


async def measure(url: str, rounds: int, warmup: int = 10) -> dict[str, list[float]]:
    """Raw and through-typehole times (ms) of `rounds` paired requests."""
    client = create_client()
    spec = ModelSpec("tiny", "llamacpp", url, fim_template="starcoder", context_window=2048)
    backend = create_backend(spec, client)
    request = CompletionRequest("def add(a, b):\n    return ", "\n", max_tokens=16)
    body = backend.completion_body(request)  # type: ignore[attr-defined]
    raw, typed = [], []
    async with httpx.AsyncClient(timeout=30) as raw_client:
        for i in range(rounds + warmup):
            t0 = time.perf_counter()
            async with raw_client.stream("POST", url + "/completion", json=body) as response:
                async for _ in response.aiter_bytes():
                    pass
            t1 = time.perf_counter()
            _ = [chunk async for chunk in backend.complete(request)]
            t2 = time.perf_counter()
            if i >= warmup:
                raw.append((t1 - t0) * 1000)
                typed.append((t2 - t1) * 1000)
    await client.aclose()
    return {"raw": raw, "typehole": typed}


def main(argv: list[str] | None = None) -> int:
    """Print engine-alone vs through-typehole latency and the paired difference."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    from llamacpp.engine import tiny_engine  # the test suite's engine starter

    with contextlib.contextmanager(tiny_engine)() as engine:  # stopped on leaving
        times = asyncio.run(measure(engine.url, args.requests))
    raw, typed = times["raw"], times["typehole"]
    added = [b - a for a, b in zip(raw, typed, strict=True)]
    print(f"{'':24} {'median ms':>10} {'p95 ms':>8}")
    for label, values in (("engine alone", raw), ("through typehole", typed), ("added", added)):
        print(f"{label:24} {statistics.median(values):>10.2f} {_p95(values):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

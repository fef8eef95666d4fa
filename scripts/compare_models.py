"""Compare GGUF models for the embedded default: next-line completion from the bare file prefix.

Sites: lines of real projects (pinned sdists, `typehole.bench.projects`), picked with a fixed
seed among code lines of at least 12 characters that are not comments or docstring quotes, in
files outside tests and docs; the prompt is the file up to the line's indentation (its last
3,000 characters at most), as a plain prefix-only client would send it. Each model answers at
temperature 0, up to 48 tokens, stopping at the first newline. Metrics on that first line,
stripped: edit similarity (1 - Levenshtein distance / length of the longer string), exact match,
empty answers; plus the engine's own prompt and generation speeds (medians) and the load time.

    python scripts/compare_models.py 36 /path/a.gguf /path/b.gguf   # "" for the default model
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from dataclasses import dataclass

import httpx

from typehole.bench.projects import real_project
from typehole.models.engine import EngineConfig, EngineProcess

PROJECTS = (("httpx", "0.28.1"), ("click", "8.3.3"))
PREFIX_CHARS = 3000


@dataclass(frozen=True)
class Site:
    """One next-line site: where, the prompt, and the line that really follows."""

    name: str
    prefix: str
    truth: str


def levenshtein(a: str, b: str) -> int:
    """Edit distance between `a` and `b` (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    """1 - normalised edit distance (1.0 for two empty strings)."""
    return 1.0 if not a and not b else 1 - levenshtein(a, b) / max(len(a), len(b))


def sites(project: str, version: str, n: int, seed: int = 7) -> list[Site]:
    """`n` next-line sites of one project."""
    root = real_project(project, version)
    files = sorted(
        p for p in root.rglob("*.py")
        if not {"test", "tests", "docs"} & set(p.relative_to(root).parts)
        and "test" not in p.name
    )
    rng = random.Random(seed)
    out: list[Site] = []
    while len(out) < n:
        path = rng.choice(files)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        candidates = [
            i for i, line in enumerate(lines)
            if i > 20 and len(line.strip()) >= 12
            and not line.strip().startswith(("#", '"', "'"))
        ]
        if not candidates:
            continue
        i = rng.choice(candidates)
        indent = len(lines[i]) - len(lines[i].lstrip())
        prefix = "".join(lines[:i]) + lines[i][:indent]
        if len(prefix) > PREFIX_CHARS:
            prefix = prefix[-PREFIX_CHARS:]
            prefix = prefix[prefix.find("\n") + 1 :]
        out.append(Site(f"{project}/{path.relative_to(root)}:{i + 1}", prefix, lines[i].strip()))
    return out


def evaluate(model: str, cases: list[Site], key: str = "compare") -> tuple[dict, list[dict]]:
    """Run one model over the sites; its summary and the per-site rows."""
    started = time.monotonic()
    engine = EngineProcess(EngineConfig(model=model, n_ctx=2048, api_key=key, cache_reuse=0))
    try:
        info = engine.info(600)
        load_s = time.monotonic() - started
        headers = {"Authorization": f"Bearer {key}"}
        rows: list[dict] = []
        with httpx.Client(trust_env=False, timeout=600, headers=headers) as client:
            for site in cases:
                body = {"prompt": site.prefix, "n_predict": 48, "temperature": 0,
                        "cache_prompt": False, "stop": ["\n"]}
                answer = client.post(info.url + "/completion", json=body).json()
                first = answer["content"].split("\n")[0].strip()
                timings = answer["timings"]
                rows.append({"site": site.name, "truth": site.truth, "answer": first,
                             "similarity": round(similarity(first, site.truth), 3),
                             "prompt_tps": timings["prompt_per_second"],
                             "gen_tps": timings["predicted_per_second"]
                             if timings["predicted_n"] > 3 else None})
    finally:
        engine.stop()
    speeds = [r["gen_tps"] for r in rows if r["gen_tps"] is not None]
    summary = {
        "model": info.name,
        "sites": len(rows),
        "edit_similarity": round(statistics.mean(r["similarity"] for r in rows), 3),
        "exact": sum(r["answer"] == r["truth"] for r in rows),
        "empty": sum(not r["answer"] for r in rows),
        "load_s": round(load_s, 2),
        "prompt_tps_median": round(statistics.median(r["prompt_tps"] for r in rows), 1),
        "gen_tps_median": round(statistics.median(speeds), 1) if speeds else None,
    }
    return summary, rows


def main(argv: list[str]) -> int:
    """Print one JSON summary per model, then its rows (indented)."""
    n, models = int(argv[0]), argv[1:]
    per_project = n // len(PROJECTS)
    cases = [s for name, version in PROJECTS for s in sites(name, version, per_project)]
    for model in models:
        summary, rows = evaluate(model, cases)
        print(json.dumps(summary), flush=True)
        for row in rows:
            print("   ", json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

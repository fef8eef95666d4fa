"""Speed of the embedded engine: load time, prompt and generation tokens per second.

Three fresh engines on the same GGUF, each evaluating a different 1,000-token slice of httpx's
`_client.py` (no prompt cache) and then writing 64 tokens (end of text ignored), as the engine's
own timings report them. The load average is printed with them: on a shared machine it explains
most of the spread.

    python scripts/engine_speed.py                    # the default model, default threads
    python scripts/engine_speed.py /path/m.gguf 2     # a GGUF, 2 threads
"""

from __future__ import annotations

import json
import os
import sys
import time

import httpx

from typehole.bench.projects import real_project
from typehole.models.engine import EngineConfig, EngineProcess, default_threads

KEY = "speed"


def main(argv: list[str]) -> int:
    """Print one JSON line of measurements."""
    model = argv[0] if argv else ""
    threads = int(argv[1]) if len(argv) > 1 else 0
    source = (real_project("httpx", "0.28.1") / "httpx" / "_client.py").read_text("utf-8")
    loads, prompt_tps, gen_tps, name = [], [], [], ""
    for run in range(3):
        started = time.monotonic()
        engine = EngineProcess(EngineConfig(model=model, n_ctx=2048, threads=threads, api_key=KEY))
        try:
            info = engine.info(600)
            loads.append(round(time.monotonic() - started, 2))
            name = info.name
            headers = {"Authorization": f"Bearer {KEY}"}
            with httpx.Client(trust_env=False, timeout=600, headers=headers) as client:
                tokens = client.post(info.url + "/tokenize", json={"content": source}).json()
                piece = tokens["tokens"][1000 * run : 1000 * (run + 1)]
                prompt = client.post(info.url + "/detokenize", json={"tokens": piece}).json()
                body = {"prompt": prompt["content"], "n_predict": 64, "temperature": 0,
                        "cache_prompt": False, "ignore_eos": True}
                timings = client.post(info.url + "/completion", json=body).json()["timings"]
            prompt_tps.append(round(timings["prompt_per_second"]))
            gen_tps.append(round(timings["predicted_per_second"], 1))
        finally:
            engine.stop()
    print(json.dumps({
        "model": name,
        "threads": threads or default_threads(),
        "load_s": loads,
        "prompt_tokens_per_s": prompt_tps,
        "generated_tokens_per_s": gen_tps,
        "load_average": round(os.getloadavg()[0], 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A real inference engine for tests: a tiny random-weight llama GGUF served by llama.cpp.

No model weights can be downloaded, so `tiny_gguf()` writes a llama-architecture GGUF with random
weights and a byte-level gpt2 tokenizer (one token per printable ASCII byte, tab and newline, so the
garbage it writes is always valid UTF-8 and streams without being held back; one merge, since
loading fails without merges; StarCoder-style FIM/file-separator control tokens so `/infill`
works). Prompts must be ASCII. Random weights
write garbage: tests check protocol behaviour, never quality. The special tokens' output rows are
zero, so greedy decoding never ends early on EOS.

Two servers, each skipped with a clear reason when missing:
- `python -m llama_cpp.server` (llama-cpp-python[server], installed by scripts/llamacpp_wheel.sh):
  OpenAI-compatible `/v1/completions` with `grammar`, `logprobs` (needs `--logits_all true`).
- `llama-server` (native `/completion`, `/infill`, `/tokenize`), built and cached by the same script
  as `$TYPEHOLE_CACHE/bin/llama-server-*`, or named by `$TYPEHOLE_LLAMA_SERVER_BIN`, or on PATH.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

GGUF_VERSION = 2  # bump when the generated model changes
SPECIAL = [
    "<|endoftext|>",
    "<fim_prefix>",
    "<fim_middle>",
    "<fim_suffix>",
    "<fim_pad>",
    "<repo_name>",
    "<file_sep>",
]


def cache_dir() -> Path:
    """`$TYPEHOLE_CACHE` (default ~/.cache/typehole), shared with scripts/llamacpp_wheel.sh."""
    root = os.environ.get("TYPEHOLE_CACHE") or os.path.join(Path.home(), ".cache", "typehole")
    return Path(root)


def _byte_tokens() -> list[str]:
    """GPT-2's byte-to-unicode table for tab, newline and printable ASCII (one token each)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = dict(zip(bs, cs, strict=True))
    return [chr(table[b]) for b in (9, 10, *range(32, 127))]


def tiny_gguf() -> Path:
    """Write (once, cached) the tiny random llama GGUF and return its path."""
    import gguf
    import numpy as np

    path = cache_dir() / "models" / f"tiny-llama-fim-v{GGUF_VERSION}.gguf"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    byte_tokens = _byte_tokens()
    tokens = byte_tokens + ["Ġt"] + SPECIAL
    n_normal = len(byte_tokens) + 1
    types = [gguf.TokenType.NORMAL] * n_normal + [gguf.TokenType.CONTROL] * len(SPECIAL)
    ids = {t: i for i, t in enumerate(tokens)}
    n_vocab, n_embd, n_ff, n_head, n_layer = len(tokens), 64, 128, 4, 2
    rng = np.random.default_rng(1234)

    def rand(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)

    tmp = path.with_suffix(".tmp")
    w = gguf.GGUFWriter(str(tmp), "llama")
    w.add_name("typehole-tiny-random")
    w.add_context_length(4096)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(["Ġ t"])
    w.add_bos_token_id(ids["<|endoftext|>"])
    w.add_eos_token_id(ids["<|endoftext|>"])
    w.add_add_bos_token(False)
    w.add_uint32(gguf.Keys.Tokenizer.FIM_PRE_ID, ids["<fim_prefix>"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_SUF_ID, ids["<fim_suffix>"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_MID_ID, ids["<fim_middle>"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_PAD_ID, ids["<fim_pad>"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_REP_ID, ids["<repo_name>"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_SEP_ID, ids["<file_sep>"])
    w.add_tensor("token_embd.weight", rand(n_vocab, n_embd))
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    out = rand(n_vocab, n_embd)
    out[n_normal:] = 0.0  # special tokens score 0: never the argmax among random logits
    w.add_tensor("output.weight", out)
    for i in range(n_layer):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(p + name + ".weight", rand(n_embd, n_embd))
        w.add_tensor(p + "ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        w.add_tensor(p + "ffn_gate.weight", rand(n_ff, n_embd))
        w.add_tensor(p + "ffn_up.weight", rand(n_ff, n_embd))
        w.add_tensor(p + "ffn_down.weight", rand(n_embd, n_ff))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    tmp.rename(path)
    return path


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Engine:
    """A running server: its base URL and process."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _wait_ready(engine: Engine, probe: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if engine.process.poll() is not None:
            raise RuntimeError(f"server exited: {engine.log.read_text()[-3000:]}")
        try:
            if httpx.get(engine.url + probe, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready in {timeout_s} s: {engine.log.read_text()[-3000:]}")


def _run(cmd: list[str], probe: str, port: int) -> Iterator[Engine]:
    log = Path(tempfile.mkstemp(prefix="typehole-engine-", suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    engine = Engine(f"http://127.0.0.1:{port}", proc, log)
    try:
        _wait_ready(engine, probe)
        yield engine
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink(missing_ok=True)


def llama_cpp_python_engine() -> Iterator[Engine]:
    """Start `python -m llama_cpp.server` on the tiny model (skip if llama_cpp is missing)."""
    try:
        import gguf  # noqa: F401
        import llama_cpp.server  # noqa: F401
    except ImportError as exc:
        pytest.skip(
            f"llama-cpp-python[server] and gguf not installed ({exc}); "
            "run scripts/llamacpp_wheel.sh"
        )
    model = tiny_gguf()
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--logits_all",
        "true",
        "--model_alias",
        "tiny-starcoder",
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        "--verbose",
        "false",
    ]
    yield from _run(cmd, "/v1/models", port)


def llama_server_binary() -> str | None:
    """The native `llama-server` to test against, if one was built or installed."""
    named = os.environ.get("TYPEHOLE_LLAMA_SERVER_BIN")
    if named:
        return named
    built = sorted(glob.glob(str(cache_dir() / "bin" / "llama-server-*")))
    built = [b for b in built if os.access(b, os.X_OK) and not b.endswith(".tmp")]
    return built[-1] if built else shutil.which("llama-server")


def llama_server_engine() -> Iterator[Engine]:
    """Start the native `llama-server` on the tiny model (skip when there is no binary)."""
    binary = llama_server_binary()
    if binary is None:
        pytest.skip(
            "no llama-server binary (scripts/llamacpp_wheel.sh builds one into $TYPEHOLE_CACHE/bin)"
        )
    try:
        import gguf  # noqa: F401
    except ImportError:
        pytest.skip("gguf not installed; run scripts/llamacpp_wheel.sh")
    model = tiny_gguf()
    port = free_port()
    cmd = [
        binary,
        "-m",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "-c",
        "2048",
        "-np",
        "1",
        "-t",
        "1",
        "--no-webui",
    ]
    yield from _run(cmd, "/health", port)

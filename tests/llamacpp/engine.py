"""A real inference engine for tests: a tiny random-weight llama GGUF served by llama.cpp.

No model weights can be downloaded, so `tiny_gguf()` writes a llama-architecture GGUF with random
weights and a byte-level gpt2 tokenizer (one token per printable ASCII byte, tab and newline, so the
garbage it writes is always valid UTF-8 and streams without being held back; one merge, since
loading fails without merges; StarCoder-style FIM/file-separator control tokens so `/infill`
works). Prompts must be ASCII. Random weights
write garbage: tests check protocol behaviour, never quality. The special tokens' output rows are
zero, so greedy decoding never ends early on EOS.

The engine is llama.cpp's own server from the prebuilt `xllamacpp` wheel, started the way the
`embedded` backend starts it (`typehole.models.engine`), so no compiler is needed: it answers the
native API (`/completion`, `/infill`, `/tokenize`, `grammar`, `n_probs`) and the OpenAI-compatible
`/v1/completions`. Tests skip with a clear reason when xllamacpp or gguf is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from typehole.models.engine import EngineConfig, EngineProcess

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
    """`$TYPEHOLE_CACHE` (default ~/.cache/typehole), where the generated model is kept."""
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


@dataclass
class Engine:
    """A running engine: its base URL and the child process that holds it."""

    url: str
    process: EngineProcess


def tiny_engine() -> Iterator[Engine]:
    """llama.cpp's server (the `xllamacpp` wheel, as the embedded backend runs it) on the tiny
    model, without an API key. Skips when xllamacpp or gguf is not installed."""
    try:
        import gguf  # noqa: F401
        import xllamacpp  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"xllamacpp and gguf not installed ({exc}); pip install -e '.[test,embedded]'")
    process = EngineProcess(EngineConfig(model=str(tiny_gguf()), n_ctx=2048, threads=1))
    try:
        yield Engine(process.info(120).url, process)
    finally:
        process.stop()

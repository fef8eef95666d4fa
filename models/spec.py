"""`ModelSpec`: the plain, validated description of one configured model backend.

This is the `models` section of typehole's one settings schema (`app.settings`), validated when the
settings are read, so a bad entry is reported at configuration rather than at first use;
`models.registry` turns a spec into a running backend. A spec holds no secrets: `api_key_env`
names the environment variable that holds the key, which is read when a request is sent and never
stored or logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import ModelConfigError
from .fim import TEMPLATE_CHOICES

__all__ = ["BACKENDS", "IN_PROCESS", "BackendKind", "FimOrder", "ModelSpec"]

BackendKind = Literal["ngram", "embedded", "llamacpp", "openai", "vllm", "ollama"]
FimOrder = Literal["psm", "spm"]

BACKENDS: tuple[str, ...] = ("ngram", "embedded", "llamacpp", "openai", "vllm", "ollama")
# Backends that run in typehole's own process (or its own engine): they need no url.
IN_PROCESS: tuple[str, ...] = ("ngram", "embedded")


@dataclass(frozen=True)
class ModelSpec:
    """One model backend as configured by the user.

    Fields:
        name: the user's name for this model (`typehole complete --model NAME`).
        backend: which model or wire protocol: `ngram` (the in-process n-gram model over the
            workspace), `embedded` (llama.cpp run by typehole on a GGUF file, see `path`),
            `llamacpp` (llama.cpp server: `/completion`, `/infill`), `openai` (any
            `/v1/completions` server: OpenAI, LM Studio, TGI, llama-cpp-python, llama.cpp),
            `vllm` (OpenAI-compatible plus `structured_outputs` and `/tokenize`), `ollama`
            (`/api/generate`).
        url: the server's base URL, e.g. `http://127.0.0.1:8080` (llama.cpp),
            `http://127.0.0.1:8000/v1` (vLLM, OpenAI-compatible), `http://127.0.0.1:11434` (Ollama).
            For the OpenAI-compatible backends a trailing `/v1` is optional.
        model: the server-side model id sent in requests (vLLM/OpenAI `model`, Ollama `model`);
            also what `fim_template="auto"` reads the model family from.
        fim_template: `"auto"` detects the family from `model` (then `name`); a family name
            (see `models.fim.FAMILIES`) forces it; `"custom"` uses `fim_prefix`/`fim_suffix`/
            `fim_middle`/`fim_order`; `"none"` sends the prefix only (no fill-in-the-middle).
        fim_prefix, fim_suffix, fim_middle: the special-token strings of a custom template.
        fim_order: `"psm"` (prefix, suffix, middle) or `"spm"` (suffix first) for a custom template.
        stop: extra stop strings added to every request (beside the template's own).
        api_key_env: the NAME of the environment variable holding the API key (sent as
            `Authorization: Bearer ...`); never the key itself.
        context_window: the model's context size in tokens; prompt + max_tokens never exceed it.
        timeout_s: deadline for a whole completion (first byte to last), in seconds.
        connect_timeout_s: deadline for opening the connection, in seconds.
        max_tokens: upper bound on generated tokens per request (a request may ask for fewer).
        extra_body: extra JSON fields merged into every request body (server-specific knobs such
            as `cache_prompt`, `top_k`, `repeat_penalty`).
        ngram_order: the n-gram order of an `ngram` model (4: a token from the three before it).
        path: for `embedded`, the GGUF model file; empty for the default model
            (`models.gguf.DEFAULT_MODEL`, installed by `typehole[embedded]`).
        threads: for `embedded`, CPU threads the engine uses; 0: half the CPUs (1 to 8).
        load_timeout_s: for `embedded`, how long loading the model may take, in seconds.
    """

    name: str
    backend: BackendKind
    url: str = ""
    model: str = ""
    fim_template: str = "auto"
    fim_prefix: str = ""
    fim_suffix: str = ""
    fim_middle: str = ""
    fim_order: FimOrder = "psm"
    stop: tuple[str, ...] = ()
    api_key_env: str | None = None
    context_window: int = 4096
    timeout_s: float = 10.0
    connect_timeout_s: float = 3.0
    max_tokens: int = 256
    extra_body: dict[str, Any] = field(default_factory=dict)
    ngram_order: int = 4
    path: str = ""
    threads: int = 0
    load_timeout_s: float = 120.0

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ModelConfigError(
                f"model {self.name!r}: unknown backend {self.backend!r} "
                f"(expected one of {', '.join(BACKENDS)})"
            )
        if self.backend not in IN_PROCESS and not self.url:
            raise ModelConfigError(f"model {self.name!r}: backend {self.backend!r} needs a url")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ModelConfigError(
                f"model {self.name!r}: url {self.url!r} must start with http:// or https://"
            )
        if self.context_window <= 0 or self.max_tokens <= 0:
            raise ModelConfigError(
                f"model {self.name!r}: context_window and max_tokens must be positive"
            )
        if self.max_tokens >= self.context_window:
            raise ModelConfigError(
                f"model {self.name!r}: max_tokens ({self.max_tokens}) must be smaller than "
                f"context_window ({self.context_window})"
            )
        if not 1 <= self.ngram_order <= 8:
            raise ModelConfigError(f"model {self.name!r}: ngram_order must be between 1 and 8")
        if self.path and self.backend != "embedded":
            raise ModelConfigError(
                f"model {self.name!r}: `path` is for backend 'embedded', not {self.backend!r}"
            )
        if self.threads < 0:
            raise ModelConfigError(f"model {self.name!r}: threads must be 0 (automatic) or more")
        if self.timeout_s <= 0 or self.connect_timeout_s <= 0 or self.load_timeout_s <= 0:
            raise ModelConfigError(f"model {self.name!r}: timeouts must be positive")
        if self.fim_order not in ("psm", "spm"):
            raise ModelConfigError(
                f"model {self.name!r}: fim_order must be 'psm' or 'spm', not {self.fim_order!r}"
            )
        if self.fim_template not in TEMPLATE_CHOICES:
            raise ModelConfigError(
                f"model {self.name!r}: unknown fim_template {self.fim_template!r} "
                f"(expected one of {', '.join(TEMPLATE_CHOICES)})"
            )
        if self.fim_template == "custom" and not (
            self.fim_prefix and self.fim_suffix and self.fim_middle
        ):
            raise ModelConfigError(
                f"model {self.name!r}: fim_template 'custom' needs fim_prefix, fim_suffix and "
                "fim_middle"
            )

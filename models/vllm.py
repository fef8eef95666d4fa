"""vLLM backend: OpenAI-compatible `/v1/completions` plus `structured_outputs` and `/tokenize`.

vLLM does not accept `suffix`, so the FIM prompt is always built here: the template must be known
(detected from the model name or set in the configuration; `"none"` for prefix-only completion).
Constraints go in `structured_outputs` (`regex`, `choice`, `grammar`, `json`), taken from
`request.extra["structured_outputs"]` or the shorthands `request.extra["regex"]` /
`request.extra["choice"]`. The `guided_*` fields were removed in vLLM 0.12 and are never sent.
Token counts come from vLLM's `/tokenize` (the served model's own tokenizer).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .base import CompletionRequest
from .errors import ModelConfigError
from .fim import FAMILIES
from .openai import OpenAIBackend

__all__ = ["STRUCTURED_KINDS", "VllmBackend"]

log = logging.getLogger("typehole.models.vllm")

STRUCTURED_KINDS = ("regex", "choice", "grammar", "json")


def structured_outputs(extra: Mapping[str, object]) -> dict[str, Any] | None:
    """The `structured_outputs` object for a request's extras, or None when unconstrained."""
    spec = extra.get("structured_outputs")
    out: dict[str, Any] = {}
    if isinstance(spec, Mapping):
        out.update({k: v for k, v in spec.items() if k in STRUCTURED_KINDS and v is not None})
    for kind in ("regex", "choice"):
        if extra.get(kind) is not None:
            out[kind] = extra[kind]
    if "choice" in out:
        out["choice"] = list(out["choice"])
    return out or None


class VllmBackend(OpenAIBackend):
    """A vLLM OpenAI-compatible server."""

    capabilities = frozenset({"logprobs", "logit_bias", "regex", "prose"})
    passthrough: tuple[str, ...] = (
        "logprobs",
        "logit_bias",
        "seed",
        "top_p",
        "top_k",
        "min_p",
        "allowed_token_ids",
        "repetition_penalty",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.template_choice.template is None and self.spec.fim_template == "auto":
            raise ModelConfigError(
                f"model {self.name!r}: vLLM does not accept a `suffix`, so typehole builds the "
                f"fill-in-the-middle prompt and needs the model family, but found "
                f"{self.template_choice.reason}; set fimTemplate to one of "
                f"{', '.join(FAMILIES)}, 'custom', or 'none' for prefix-only completion"
            )

    @property
    def uses_suffix_field(self) -> bool:
        """vLLM never takes `suffix`."""
        return False

    def request_body(self, request: CompletionRequest) -> dict[str, Any]:
        """The OpenAI body plus `structured_outputs`; any `guided_*` field is removed."""
        body = super().request_body(request)
        dropped = [k for k in body if k.startswith("guided_")]
        for key in dropped:
            del body[key]
        if dropped:
            log.warning(
                "model %r: dropped %s (removed in vLLM 0.12; use structured_outputs)",
                self.name,
                ", ".join(dropped),
            )
        so = structured_outputs(request.extra)
        if so:
            body["structured_outputs"] = so
        return body

"""Ollama backend: `/api/generate` with NDJSON streaming.

When the FIM template is known (named in the configuration or detected from the model name, e.g.
`qwen2.5-coder:7b-base`) the prompt is rendered here and sent with `raw: true`, so Ollama adds no
template or system prompt of its own and cross-file context keeps the family's layout. Otherwise
the prefix goes in `prompt` and the suffix in `suffix` without `raw`, and Ollama fills the middle
with the model's own template (Ollama ignores `suffix` in raw mode, hence the two modes).

Options sent: `num_predict`, `temperature`, `stop`, `num_ctx` (the spec's context window), and
`seed` / `top_k` / `top_p` from `request.extra`. Ollama has no grammar, logit_bias or tokenizer
endpoint: token counts are the conservative estimate.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from .base import Chunk, CompletionRequest
from .errors import ModelResponseError
from .fim import merge_stops, raw_prompt, render_prompt, resolve_template
from .http import HttpBackend, JsonObject

__all__ = ["OllamaBackend"]

OPTION_EXTRAS = ("seed", "top_k", "top_p", "min_p", "repeat_penalty")


def _logprob(data: JsonObject) -> float | None:
    items = data.get("logprobs")
    if not isinstance(items, list) or not items:
        return None
    values = [i.get("logprob") for i in items if isinstance(i, dict)]
    nums = [float(v) for v in values if isinstance(v, int | float)]
    return sum(nums) if nums else None


class OllamaBackend(HttpBackend):
    """An Ollama server."""

    capabilities = frozenset({"prose"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template_choice = resolve_template(self.spec)

    def request_body(self, request: CompletionRequest) -> dict[str, Any]:
        """The JSON body of `/api/generate` for `request`."""
        parts = self.fitted(request)
        raw = raw_prompt(request)
        tpl = None if raw else self.template_choice.template
        base_options = self.spec.extra_body.get("options")
        options: dict[str, Any] = {
            **(base_options if isinstance(base_options, dict) else {}),
            "num_predict": self.max_tokens(request),
            "temperature": request.temperature,
            "num_ctx": self.spec.context_window,
        }
        stop = merge_stops(tpl.stop if tpl else (), self.spec.stop, request.stop)
        if stop:
            options["stop"] = stop
        options.update({k: request.extra[k] for k in OPTION_EXTRAS if k in request.extra})
        fields: dict[str, Any] = {
            "model": self.spec.model or self.name,
            "prompt": render_prompt(tpl, parts, request),
            "stream": True,
            "options": options,
        }
        if tpl is not None or raw:
            fields["raw"] = True  # no chat template around the prompt
        elif self.spec.fim_template == "auto" and parts.suffix:
            fields["suffix"] = parts.suffix
        if "format" in request.extra:
            fields["format"] = request.extra["format"]
        return self.body(fields)

    async def _stream(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        finished = False
        async with self.events("api/generate", self.request_body(request), "ndjson") as events:
            async for data in events:
                if finished:  # read to the end so the connection can be reused
                    continue
                text = data.get("response", "")
                if not isinstance(text, str):
                    raise ModelResponseError(
                        f"{self.url('api/generate')} sent a non-text 'response'"
                    )
                if text:
                    yield Chunk(text, _logprob(data))
                finished = data.get("done") is True

"""OpenAI-compatible `/v1/completions` backend (OpenAI, LM Studio, TGI, llama.cpp, ...).

Fill-in-the-middle: when the FIM template is known (named in the configuration or detected from
the model name) the prompt is rendered with it; otherwise the suffix goes in the `suffix` field and
the server builds the FIM prompt itself (OpenAI, llama.cpp and llama-cpp-python accept `suffix`).
`fim_template = "none"` sends the prefix alone.

`request.extra` passes `logprobs`, `logit_bias`, `seed`, `top_p`, and `grammar` (honoured by
llama.cpp and llama-cpp-python) through. Streaming is SSE with `data: [DONE]` at the end.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from .base import Chunk, CompletionRequest
from .errors import ModelResponseError
from .fim import merge_stops, raw_prompt, render_prompt, resolve_template
from .http import HttpBackend, JsonObject

__all__ = ["OpenAIBackend", "choice_logprob"]



def choice_logprob(choice: JsonObject) -> float | None:
    """Sum of the token log-probabilities of one streamed choice (None when not reported).

    Read from the completions form `logprobs.token_logprobs` (OpenAI, vLLM) or the chat form
    `logprobs.content[].logprob`, which llama.cpp's server sends on `/v1/completions` too.
    """
    lp = choice.get("logprobs")
    if not isinstance(lp, dict):
        return None
    values = lp.get("token_logprobs")
    if values is None and isinstance(lp.get("content"), list):
        values = [t.get("logprob") for t in lp["content"] if isinstance(t, dict)]
    if not isinstance(values, list) or not values:
        return None
    nums = [float(v) for v in values if isinstance(v, int | float)]
    return sum(nums) if nums else None


class OpenAIBackend(HttpBackend):
    """Any server with an OpenAI-compatible `/v1/completions` endpoint."""

    capabilities = frozenset({"logprobs", "logit_bias", "prose"})
    passthrough: tuple[str, ...] = ("logprobs", "logit_bias", "seed", "top_p", "grammar")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template_choice = resolve_template(self.spec)

    @property
    def uses_suffix_field(self) -> bool:
        """True when the server, not typehole, builds the FIM prompt (via `suffix`)."""
        return self.template_choice.template is None and self.spec.fim_template == "auto"

    def api_path(self, endpoint: str) -> str:
        """`endpoint` under `/v1`, whether or not the configured URL already ends with it."""
        return endpoint if self.spec.url.rstrip("/").endswith("/v1") else f"v1/{endpoint}"

    def request_body(self, request: CompletionRequest) -> dict[str, Any]:
        """The JSON body of the completion request for `request`."""
        parts = self.fitted(request)
        tpl = None if raw_prompt(request) else self.template_choice.template
        fields: dict[str, Any] = {}
        prompt = render_prompt(tpl, parts, request)
        stops = tpl.stop if tpl is not None else ()
        if self.uses_suffix_field and parts.suffix:
            fields["suffix"] = parts.suffix
        fields.update(
            {
                "model": self.spec.model or self.spec.name,
                "prompt": prompt,
                "max_tokens": self.max_tokens(request),
                "temperature": request.temperature,
                "stream": True,
            }
        )
        stop = merge_stops(stops, self.spec.stop, request.stop)
        if stop:
            fields["stop"] = stop
        fields.update({k: request.extra[k] for k in self.passthrough if k in request.extra})
        return self.body(fields)

    async def _stream(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        path = self.api_path("completions")
        finished = False
        async with self.events(path, self.request_body(request), "sse") as events:
            async for data in events:
                if finished:  # read on to `[DONE]` so the connection can be reused
                    continue
                choices = data.get("choices")
                if not isinstance(choices, list):
                    raise ModelResponseError(f"{self.url(path)} sent an event without 'choices'")
                if not choices:  # usage-only event
                    continue
                choice = choices[0]
                text = choice.get("text", "") if isinstance(choice, dict) else None
                if not isinstance(text, str):
                    raise ModelResponseError(f"{self.url(path)} sent a choice without text")
                if text:
                    yield Chunk(text, choice_logprob(choice))
                if choice.get("finish_reason"):
                    finished = True

"""llama.cpp server backend (native API): `/infill`, `/completion`, `/tokenize`.

With `fim_template = "auto"` completions go to `/infill`, where the server builds the FIM prompt
from the model's own FIM tokens (read from the GGUF, so they cannot be wrong) and places named
cross-file context in `input_extra`. A model without FIM tokens answers `/infill` with HTTP 501;
the backend then switches to `/completion` with the template detected from the model name (or the
prefix alone when none is known). A template named in the configuration always uses `/completion`.
A prefix-only prompt is healed (`models.healing`): the model writes the end of the cursor's line
again under a grammar, so the completion starts exactly at the cursor; not when the request says
the prompt ends at a token boundary (`at_token_end`: a name a repair wrote in full).

`top_tokens` asks for one token with `n_probs`: the model's likeliest next tokens, as it ranks them
before sampling (a grammar does not weigh in), for the cost of one token.

`request.extra` passes `grammar` (GBNF), `json_schema`, `n_probs`, `logit_bias`, `seed`, `top_k`,
`top_p`, `min_p`, `t_max_predict_ms`, `ignore_eos` through to the server. Token counts come from
`/tokenize`. Every streamed event carries the server's `timings` (`timings_per_token`): each chunk
reports the request's work so far, and `throughput` keeps the speeds measured.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from .base import Chunk, CompletionRequest, NextTokens, Timings, TokenChoice
from .errors import ModelConfigError, ModelResponseError
from .fim import merge_stops, raw_prompt, render_prompt, resolve_template
from .healing import Healing, heal
from .http import HttpBackend, JsonObject
from .throughput import Throughput

__all__ = ["LlamaCppBackend"]

log = logging.getLogger("typehole.models.llamacpp")

PASSTHROUGH = (
    "grammar",
    "json_schema",
    "n_probs",
    "logit_bias",
    "seed",
    "top_k",
    "top_p",
    "min_p",
    "t_max_predict_ms",
    "repeat_penalty",
    "samplers",
    "ignore_eos",
)
# Tokens the FIM special tokens and file headers add around the parts (an upper bound).


def event_timings(data: JsonObject) -> Timings | None:
    """The request's work so far as one llama.cpp stream event reports it (`timings`)."""
    raw = data.get("timings")
    if not isinstance(raw, dict):
        return None
    try:
        return Timings(
            prompt_tokens=int(raw["prompt_n"]),
            cached_tokens=int(raw.get("cache_n", 0)),
            prompt_ms=float(raw["prompt_ms"]),
            generated_tokens=int(raw["predicted_n"]),
            generated_ms=float(raw["predicted_ms"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def chunk_logprob(data: JsonObject) -> float | None:
    """Sum of the log-probabilities of the tokens in one llama.cpp stream event, if reported."""
    probs = data.get("completion_probabilities")
    if not isinstance(probs, list) or not probs:
        return None
    total = 0.0
    for p in probs:
        if not isinstance(p, dict):
            return None
        if isinstance(p.get("logprob"), int | float):
            total += float(p["logprob"])
        elif isinstance(p.get("prob"), int | float) and p["prob"] > 0:
            total += math.log(float(p["prob"]))
        else:
            return None
    return total


def top_choices(data: JsonObject) -> tuple[TokenChoice, ...]:
    """The candidates llama.cpp listed (`n_probs`) where the event's first token was chosen, most
    probable first: `top_logprobs` (log-probabilities), `top_probs` (`post_sampling_probs`), or
    an older server's `probs`."""
    probs = data.get("completion_probabilities")
    if not isinstance(probs, list) or not probs or not isinstance(probs[0], dict):
        return ()
    first = probs[0]
    listed = first.get("top_logprobs", first.get("top_probs", first.get("probs")))
    if not isinstance(listed, list):
        return ()
    choices: list[TokenChoice] = []
    for item in listed:
        if not isinstance(item, dict):
            continue
        text = item.get("token", item.get("tok_str"))
        if isinstance(item.get("logprob"), int | float):
            logprob = float(item["logprob"])
        elif isinstance(item.get("prob"), int | float) and item["prob"] > 0:
            logprob = math.log(float(item["prob"]))
        else:
            continue
        if isinstance(text, str):
            choices.append(TokenChoice(text, logprob))
    choices.sort(key=lambda c: -c.logprob)
    return tuple(choices)


class LlamaCppBackend(HttpBackend):
    """A llama.cpp `llama-server` speaking its native API."""

    BASE_CAPABILITIES = frozenset({"grammar", "logprobs", "logit_bias", "prose", "top_tokens"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template_choice = resolve_template(self.spec)
        self.use_infill = self.spec.fim_template == "auto"
        self.throughput = Throughput()

    @property
    def capabilities(self) -> frozenset[str]:
        """"infill" while `/infill` or a FIM template is used, else "prefix_only" (known for sure
        after the server's first answer to `/infill`)."""
        if self.use_infill or self.template_choice.template is not None:
            return self.BASE_CAPABILITIES | {"infill"}
        return self.BASE_CAPABILITIES | {"prefix_only"}

    def _common(self, request: CompletionRequest) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "n_predict": self.max_tokens(request),
            "temperature": request.temperature,
            "stream": True,
            "cache_prompt": True,
            "timings_per_token": True,
        }
        fields.update({k: request.extra[k] for k in PASSTHROUGH if k in request.extra})
        return fields

    def infill_body(self, request: CompletionRequest) -> dict[str, Any]:
        """The `/infill` request: prefix, suffix, and context as `input_extra` chunks."""
        parts = self.fitted(request)
        extra = [{"filename": f.filename, "text": f.text} for f in parts.files]
        if parts.context:
            extra.append({"filename": "context", "text": parts.context})
        return self.body(
            {
                **self._common(request),
                "input_prefix": parts.prefix,
                "input_suffix": parts.suffix,
                "input_extra": extra,
                "stop": merge_stops(self.spec.stop, request.stop),
            }
        )

    def completion_body(self, request: CompletionRequest) -> dict[str, Any]:
        """The `/completion` request: the prompt rendered with the FIM template (if any)."""
        return self._completion(request)[0]

    def _completion(self, request: CompletionRequest) -> tuple[dict[str, Any], Healing | None]:
        """The `/completion` body, and the healing of a prefix-only prompt (see
        `models.healing`): the end cut off the prompt that the model writes again."""
        parts = self.fitted(request)
        tpl = self.template_choice.template
        stops = tpl.stop if tpl is not None and not raw_prompt(request) else ()
        fields = {
            **self._common(request),
            "prompt": render_prompt(tpl, parts, request),
            "stop": merge_stops(stops, self.spec.stop, request.stop),
        }
        healable = (tpl is None and "json_schema" not in fields and not raw_prompt(request)
                    and not request.at_token_end)
        healing = heal(fields["prompt"]) if healable else None
        grammar = healing.grammar(fields.get("grammar")) if healing is not None else None
        if healing is None or grammar is None:
            return self.body(fields), None
        fields["prompt"] = healing.prompt
        fields["grammar"] = grammar
        fields["n_predict"] += self.count_tokens(healing.text) + 1
        return self.body(fields), healing

    async def _stream(self, request: CompletionRequest) -> AsyncGenerator[Chunk, None]:
        if self.use_infill and not raw_prompt(request):
            try:
                async with contextlib.aclosing(
                    self._events("infill", self.infill_body(request))
                ) as chunks:
                    async for chunk in chunks:
                        yield chunk
                return
            except ModelConfigError as err:
                if err.status != 501:
                    raise
                self.use_infill = False
                log.warning(
                    "model %r: the server cannot /infill (%s); using /completion with FIM "
                    "template %s",
                    self.name,
                    err,
                    self.template_choice.reason,
                )
        body, healing = self._completion(request)
        rewritten = healing.remover() if healing is not None else None
        async with contextlib.aclosing(self._events("completion", body)) as chunks:
            async for chunk in chunks:
                if rewritten is not None:
                    text = rewritten.feed(chunk.text)
                    if rewritten.failed:
                        log.warning("model %r did not write the healed prompt end %r again "
                                    "(grammar ignored?); completion dropped", self.name,
                                    healing.text if healing else "")
                        return
                    if not text:
                        continue
                    chunk = dataclasses.replace(chunk, text=text)
                yield chunk

    async def top_tokens(self, request: CompletionRequest, n: int) -> NextTokens:
        """The `n` likeliest next tokens after `request`'s prompt (one token asked, `n_probs`),
        the prompt taken to end at a token boundary; the same endpoint and prompt as
        `complete`, so the prompt cache serves both."""
        probe = dataclasses.replace(request, max_tokens=1, at_token_end=True,
                                    extra={**request.extra, "n_probs": n})
        choices: tuple[TokenChoice, ...] = ()
        timings: Timings | None = None
        async with contextlib.aclosing(self.complete(probe)) as chunks:
            async for chunk in chunks:
                choices = choices or chunk.top
                timings = chunk.timings or timings
        return NextTokens(choices, timings)

    def request_timeout_s(self, body: Mapping[str, Any]) -> float:
        """The deadline of one request: `timeout_s` (the user sized it for their server)."""
        return self.spec.timeout_s

    async def _events(self, path: str, body: dict[str, Any]) -> AsyncGenerator[Chunk, None]:
        finished = False
        last: Timings | None = None
        timeout_s = self.request_timeout_s(body)
        try:
            async with self.events(path, body, "sse", timeout_s=timeout_s) as events:
                async for data in events:
                    if finished:  # read to the end so the connection can be reused
                        continue
                    text = data.get("content", "")
                    if not isinstance(text, str):
                        raise ModelResponseError(f"{self.url(path)} sent a non-text 'content'")
                    last = event_timings(data) or last
                    top = top_choices(data)
                    if text or top:
                        yield Chunk(text, chunk_logprob(data), last, top)
                    finished = data.get("stop") is True
        finally:
            if last is not None:
                self.throughput.record(last)

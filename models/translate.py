"""HTTP failures and bodies translated into typehole's errors, in one place; secrets masked.

Every HTTP status and httpx transport error a backend meets becomes one of `models.errors` here,
with a message that says what to fix. `redact()` masks API keys typehole has read (and anything
that looks like a bearer token) in any text that may be logged or shown.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from typing import Any

import httpx

from .errors import (
    ModelConfigError,
    ModelError,
    ModelRateLimited,
    ModelResponseError,
    ModelTimeout,
    ModelUnavailable,
)

__all__ = [
    "JsonObject",
    "decode_json",
    "redact",
    "remember_secret",
    "retry_after",
    "status_error",
    "transport_error",
]

JsonObject = dict[str, Any]

_secrets: set[str] = set()
_BEARER = re.compile(r"(?i)(bearer\s+|api[-_]?key[\"'=:\s]+)([A-Za-z0-9._~+/=-]{6,})")


def remember_secret(secret: str) -> None:
    """Mask `secret` in everything `redact` sees from now on."""
    _secrets.add(secret)


def redact(text: str) -> str:
    """`text` with every API key typehole has read, and any bearer-token-looking value, masked."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    return _BEARER.sub(lambda m: m.group(1) + "***", text)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds a `Retry-After` header asks to wait (a number or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _error_message(body: bytes) -> str:
    """The server's own error text from a JSON or plain body, shortened."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data.get("message")))
        if isinstance(err, dict):
            err = err.get("message", err)
        if err:
            return str(err)[:300]
    return text[:300]


def status_error(status: int, url: str, body: bytes, retry_after: float | None) -> ModelError:
    """The typehole error for an HTTP error status from `url` (statuses are mapped only here)."""
    err = _status_error(status, url, body, retry_after)
    err.status = status
    return err


def _status_error(status: int, url: str, body: bytes, retry_after: float | None) -> ModelError:
    detail = redact(_error_message(body))
    said = f": {detail}" if detail else ""
    if status in (401, 403):
        return ModelConfigError(
            f"{url} refused the request (HTTP {status}){said}; check the API key "
            "(the environment variable named by api_key_env)"
        )
    if status in (404, 405):
        return ModelConfigError(
            f"{url} answered HTTP {status}{said}; check the model URL (its path and the server "
            "type) and the model name"
        )
    if status == 429:
        return ModelRateLimited(
            f"{url} is rate limiting requests (HTTP 429){said}", retry_after=retry_after
        )
    if status == 501:
        return ModelConfigError(f"{url} does not support this request (HTTP 501){said}")
    if status == 503:
        return ModelUnavailable(f"{url} is not ready (HTTP 503){said}")
    return ModelResponseError(f"{url} answered HTTP {status}{said}")


def transport_error(exc: httpx.HTTPError, url: str, *, started: bool) -> ModelError:
    """The typehole error for an httpx transport failure (before or after the response began)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return ModelUnavailable(f"cannot connect to {url}: timed out")
    if isinstance(exc, httpx.ConnectError):
        return ModelUnavailable(f"cannot connect to {url}: {exc or 'connection failed'}")
    if isinstance(exc, httpx.TimeoutException):
        return ModelTimeout(f"{url} did not answer in time ({type(exc).__name__})")
    if started:
        return ModelResponseError(f"{url} broke off the response: {exc or type(exc).__name__}")
    return ModelUnavailable(f"request to {url} failed: {exc or type(exc).__name__}")


def decode_json(line: str, url: str) -> JsonObject:
    """One JSON event of a stream; a ModelResponseError for garbage or a reported error."""
    try:
        data = json.loads(line)
    except ValueError:
        raise ModelResponseError(f"{url} sent invalid JSON: {line[:120]!r}") from None
    if not isinstance(data, dict):
        raise ModelResponseError(f"{url} sent JSON that is not an object: {line[:120]!r}")
    if data.get("error"):
        raise ModelResponseError(
            f"{url} reported an error: {redact(_error_message(line.encode()))}"
        )
    return data

"""Health of one model backend: ok / degraded / down, exponential backoff, rate limits.

Every request goes through `HealthTracker.begin()`. While the backend is down (or rate limited) a
request fails fast with `ModelBackoff` / `ModelRateLimited` without touching the network; when the
backoff expires exactly one request goes through as a probe, and its outcome decides the next state.
The `on_change` callback runs only when the state changes, so the server reports a problem once
(a status notification; `window/showMessage` when the event's error is a `ModelConfigError`) and
once more when the backend recovers by itself.

Rules:
- a connection that cannot be made (`ModelUnavailable`) or a configuration error
  (`ModelConfigError`, e.g. 404 on the endpoint path) puts the backend down at once;
- timeouts and unreadable responses make it degraded, and down after `down_after` in a row;
- HTTP 429 makes it degraded and blocks requests until `Retry-After` (or the current backoff);
- any success makes it ok and resets the backoff.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import (
    ModelBackoff,
    ModelConfigError,
    ModelError,
    ModelRateLimited,
    ModelUnavailable,
)

__all__ = ["HealthAttempt", "HealthEvent", "HealthState", "HealthTracker"]

log = logging.getLogger("typehole.models.health")


class HealthState(enum.Enum):
    """How a backend is doing."""

    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"
    LOADING = "loading"  # a local model loading (or its engine restarting): not an error


@dataclass(frozen=True)
class HealthEvent:
    """A state change of one backend, with the error that caused it (None on recovery)."""

    backend: str
    state: HealthState
    previous: HealthState
    message: str
    error: ModelError | None = None
    retry_in: float | None = None

    @property
    def is_config_error(self) -> bool:
        """True when the user must fix the configuration (show it to them, do not just log)."""
        return isinstance(self.error, ModelConfigError)


class HealthTracker:
    """Consecutive-failure state machine with exponential backoff for one backend."""

    def __init__(
        self,
        backend: str,
        *,
        on_change: Callable[[HealthEvent], None] | None = None,
        down_after: int = 3,
        base_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.on_change = on_change
        self.down_after = down_after
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self._clock = clock
        self.state = HealthState.OK
        self.failures = 0
        self.last_error: ModelError | None = None
        self._blocked_until = 0.0
        self._backoff = 0.0
        self._probing = False

    # -- the request path ---------------------------------------------------------------------

    def begin(self) -> HealthAttempt:
        """Admit one request or fail fast. Raises ModelBackoff / ModelRateLimited when blocked."""
        now = self._clock()
        if now < self._blocked_until or (self._probing and self.state is not HealthState.OK):
            retry_in = max(self._blocked_until - now, 0.0)
            reason = f": {self.last_error}" if self.last_error else ""
            if isinstance(self.last_error, ModelRateLimited):
                raise ModelRateLimited(
                    f"model {self.backend!r} is rate limited; retrying in {retry_in:.1f} s",
                    retry_after=retry_in,
                )
            raise ModelBackoff(
                f"model {self.backend!r} is {self.state.value}{reason} "
                f"(next attempt in {retry_in:.1f} s)",
                retry_in=retry_in,
            )
        probe = self.state is not HealthState.OK and self._blocked_until > 0
        if probe:
            self._probing = True
        return HealthAttempt(self, probe)

    def record_success(self) -> None:
        """The backend answered properly: ok, backoff reset."""
        self.failures = 0
        self._backoff = 0.0
        self._blocked_until = 0.0
        self.last_error = None
        self._set(HealthState.OK, f"model {self.backend!r} is available again", None, None)

    def record_failure(self, error: ModelError) -> None:
        """The request failed with `error`; move to degraded or down as the rules say."""
        self.failures += 1
        self.last_error = error
        now = self._clock()
        if isinstance(error, ModelRateLimited):
            wait = error.retry_after if error.retry_after is not None else self._next_backoff()
            self._blocked_until = now + min(max(wait, 0.0), self.max_backoff_s * 5)
            self._set(HealthState.DEGRADED, f"model {self.backend!r} is rate limited", error, wait)
            return
        hard = isinstance(error, ModelUnavailable | ModelConfigError)
        if hard or self.failures >= self.down_after:
            wait = self._next_backoff()
            self._blocked_until = now + wait
            self._set(
                HealthState.DOWN, f"model {self.backend!r} is unavailable: {error}", error, wait
            )
        else:
            self._set(
                HealthState.DEGRADED, f"model {self.backend!r} is failing: {error}", error, None
            )

    def announce(self, state: HealthState, message: str) -> None:
        """Set the state for a reason outside any request (a model that loads, then is ready).

        Announcing `OK` also ends any backoff: the backend says it is ready, so requests go
        through at once (a restarted engine must not wait out its predecessor's outage).
        """
        if state is HealthState.OK:
            self.failures = 0
            self._backoff = 0.0
            self._blocked_until = 0.0
            self.last_error = None
        self._set(state, message, None, None)

    # -- internals ----------------------------------------------------------------------------

    def _next_backoff(self) -> float:
        self._backoff = (
            self.base_backoff_s
            if self._backoff == 0
            else min(self._backoff * 2, self.max_backoff_s)
        )
        return self._backoff

    def _set(
        self, state: HealthState, message: str, error: ModelError | None, retry_in: float | None
    ) -> None:
        previous, self.state = self.state, state
        if previous is state:
            return
        event = HealthEvent(self.backend, state, previous, message, error, retry_in)
        log.info("%s", message)
        if self.on_change is not None:
            try:
                self.on_change(event)
            except Exception:  # a broken listener must not break completions; say so
                log.exception("health listener failed for model %r", self.backend)


class HealthAttempt:
    """One admitted request. Settle it with `success()` or `failure(err)`; `end()` always."""

    def __init__(self, tracker: HealthTracker, probe: bool) -> None:
        self._tracker = tracker
        self.probe = probe
        self._settled = False

    def success(self) -> None:
        """Report that the backend answered properly (idempotent)."""
        if not self._settled:
            self._settled = True
            self._tracker._probing = False
            self._tracker.record_success()

    def failure(self, error: ModelError) -> None:
        """Report that the request failed with `error` (idempotent)."""
        if not self._settled:
            self._settled = True
            self._tracker._probing = False
            self._tracker.record_failure(error)

    def end(self) -> None:
        """Release the probe slot of an attempt that was cancelled before it settled."""
        if not self._settled and self.probe:
            self._tracker._probing = False

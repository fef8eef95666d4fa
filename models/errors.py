"""typehole's model exception tree; backends translate transport errors into these once."""


class ModelError(Exception):
    """Base class of every error a model backend raises.

    `status` is the HTTP status that caused it, when one did (set by `models.http`).
    """

    status: int | None = None


class ModelUnavailable(ModelError):
    """The backend cannot be reached or is not ready (connection refused, still loading)."""


class ModelLoading(ModelUnavailable):
    """The model is still loading; it will answer once it is ready (no backoff needed)."""


class ModelTimeout(ModelError):
    """The backend did not answer within the request's deadline."""


class ModelResponseError(ModelError):
    """The backend answered, but with an error status or a response we cannot read."""


class ModelConfigError(ModelError):
    """The backend is configured wrongly (unknown model name, bad URL path, missing API key)."""


class ModelRateLimited(ModelUnavailable):
    """The backend asked us to slow down (HTTP 429); `retry_after` is in seconds when it said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelBackoff(ModelUnavailable):
    """The backend is known to be down; the request failed fast without touching the network.

    `retry_in` is how many seconds remain before the next attempt reaches the backend.
    """

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in

"""typehole's model exception tree; backends translate transport errors into these once."""


class ModelError(Exception):
    """Base class of every error a model backend raises."""


class ModelUnavailable(ModelError):
    """The backend cannot be reached or is not ready (connection refused, still loading)."""


class ModelTimeout(ModelError):
    """The backend did not answer within the request's deadline."""


class ModelResponseError(ModelError):
    """The backend answered, but with an error status or a response we cannot read."""


class ModelConfigError(ModelError):
    """The backend is configured wrongly (unknown model name, bad URL path, missing API key)."""

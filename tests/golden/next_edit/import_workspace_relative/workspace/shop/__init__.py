from ._models import Order

__all__ = ["Order"]

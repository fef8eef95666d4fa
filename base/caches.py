"""An LRU cache that says what it drops, for caches with a side index to keep in step."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cachetools import LRUCache

__all__ = ["EvictingLRU"]

K = TypeVar("K")
V = TypeVar("V")


class EvictingLRU(LRUCache[K, V]):
    """`cachetools.LRUCache` that calls `on_evict(key, value)` for each entry dropped to make
    room (cachetools evicts through `popitem`; `del` and `pop` do not call it)."""

    def __init__(self, maxsize: int, on_evict: Callable[[K, V], object]) -> None:
        super().__init__(maxsize)
        self._on_evict = on_evict

    def popitem(self) -> tuple[K, V]:
        """Drop the least recently used entry and report it."""
        key, value = super().popitem()
        self._on_evict(key, value)
        return key, value

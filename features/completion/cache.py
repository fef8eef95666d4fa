"""A small LRU of finished completions that keeps serving one while the user types it.

After completion C is stored for prefix P, a request at prefix P + t (the user typed t, and C
starts with t) is answered with C[len(t):] and no model call, as Tabby's agent does. Typing at the
cursor never changes the text after the cursor, so an entry is found again only while everything
after the cursor is exactly as it was (compared by length and hash) and the last
`prefix_chars` characters before the typed part match: an edit elsewhere makes the entry stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from typehole.base.caches import EvictingLRU
from typehole.features.completion.site import Site

__all__ = ["ForwardingCache"]


@dataclass(frozen=True)
class _Entry:
    prefix_len: int  # length of the whole prefix when stored
    prefix_tail: str  # its last `prefix_chars` characters
    text: str


_Bucket = tuple[str | None, int, int]  # (path, len(suffix), hash(suffix))
_Key = tuple[_Bucket, int, str]  # (bucket, len(prefix), prefix tail)


class ForwardingCache:
    """LRU of completions keyed by (path, prefix tail, text after the cursor), with forwarding."""

    def __init__(self, capacity: int = 256, prefix_chars: int = 2000) -> None:
        self.capacity = capacity
        self.prefix_chars = prefix_chars
        # Entries live in buckets of the same path and suffix; typing only moves within one.
        self._buckets: dict[_Bucket, dict[_Key, _Entry]] = {}
        # Recency of the keys: the least recently stored or served one goes first.
        self._order: EvictingLRU[_Key, _Bucket] = EvictingLRU(
            max(capacity, 1), lambda key, _: self._forget(key))

    def __len__(self) -> int:
        return len(self._order)

    def get(self, site: Site) -> str | None:
        """The stored completion for `site`, or the untyped rest of one the user is typing."""
        bucket = _bucket(site)
        prefix = site.prefix
        best: tuple[int, _Key, _Entry] | None = None
        for key, entry in self._buckets.get(bucket, {}).items():
            typed = len(prefix) - entry.prefix_len
            if not 0 <= typed < len(entry.text):
                continue
            start = entry.prefix_len - len(entry.prefix_tail)
            if prefix[start : entry.prefix_len] != entry.prefix_tail:
                continue
            if not entry.text.startswith(prefix[entry.prefix_len :]):
                continue
            if not entry.text[typed:].strip():
                continue
            if best is None or typed < best[0]:  # the least-forwarded entry is the freshest
                best = (typed, key, entry)
        if best is None:
            return None
        typed, key, entry = best
        self._order[key] = bucket  # served: now the most recently used
        return entry.text[typed:]

    def put(self, site: Site, text: str) -> None:
        """Remember `text` as the completion at `site` (empty text is not stored)."""
        if not text or self.capacity <= 0:
            return
        bucket = _bucket(site)
        prefix = site.prefix
        tail = prefix[-self.prefix_chars :] if self.prefix_chars else ""
        key = (bucket, len(prefix), tail)
        self._buckets.setdefault(bucket, {})[key] = _Entry(len(prefix), tail, text)
        self._order[key] = bucket  # evicts the least recently used entry when full

    def clear(self, path: str | None = None) -> None:
        """Drop every entry, or only those of the document at `path`."""
        if path is None:
            self._order.clear()
            self._buckets.clear()
            return
        for key in [k for k in self._order if k[0][0] == path]:
            del self._order[key]
            self._forget(key)

    def _forget(self, key: _Key) -> None:
        entries = self._buckets.get(key[0])
        if entries is not None:
            entries.pop(key, None)
            if not entries:
                del self._buckets[key[0]]


def _bucket(site: Site) -> _Bucket:
    suffix = site.suffix
    return (site.path, len(suffix), hash(suffix))

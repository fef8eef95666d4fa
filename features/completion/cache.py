"""A small LRU of finished completions that keeps serving one while the user types it.

After completion C is stored for prefix P, a request at prefix P + t (the user typed t, and C
starts with t) is answered with C[len(t):] and no model call, as Tabby's agent does. Typing at the
cursor never changes the text after the cursor, so an entry is found again only while everything
after the cursor is exactly as it was (compared by length and hash) and the last
`prefix_chars` characters before the typed part match: an edit elsewhere makes the entry stale.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from typehole.features.completion.site import Site

__all__ = ["ForwardingCache"]


@dataclass(frozen=True)
class _Entry:
    prefix_len: int  # length of the whole prefix when stored
    prefix_tail: str  # its last `prefix_chars` characters
    text: str


_Bucket = tuple[str | None, int, int]  # (path, len(suffix), hash(suffix))


class ForwardingCache:
    """LRU of completions keyed by (path, prefix tail, text after the cursor), with forwarding."""

    def __init__(self, capacity: int = 256, prefix_chars: int = 2000) -> None:
        self.capacity = capacity
        self.prefix_chars = prefix_chars
        # Entries live in buckets of the same path and suffix; typing only moves within one.
        self._entries: OrderedDict[tuple[_Bucket, int, str], _Entry] = OrderedDict()
        self._buckets: dict[_Bucket, set[tuple[_Bucket, int, str]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, site: Site) -> str | None:
        """The stored completion for `site`, or the untyped rest of one the user is typing."""
        bucket = _bucket(site)
        prefix = site.prefix
        best: tuple[int, tuple[_Bucket, int, str]] | None = None
        for key in self._buckets.get(bucket, ()):
            entry = self._entries[key]
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
                best = (typed, key)
        if best is None:
            return None
        typed, key = best
        self._entries.move_to_end(key)
        return self._entries[key].text[typed:]

    def put(self, site: Site, text: str) -> None:
        """Remember `text` as the completion at `site` (empty text is not stored)."""
        if not text or self.capacity <= 0:
            return
        bucket = _bucket(site)
        prefix = site.prefix
        tail = prefix[-self.prefix_chars :] if self.prefix_chars else ""
        key = (bucket, len(prefix), tail)
        self._entries[key] = _Entry(len(prefix), tail, text)
        self._entries.move_to_end(key)
        self._buckets.setdefault(bucket, set()).add(key)
        while len(self._entries) > self.capacity:
            old, _ = self._entries.popitem(last=False)
            self._forget(old)

    def clear(self, path: str | None = None) -> None:
        """Drop every entry, or only those of the document at `path`."""
        if path is None:
            self._entries.clear()
            self._buckets.clear()
            return
        for key in [k for k in self._entries if k[0][0] == path]:
            del self._entries[key]
            self._forget(key)

    def _forget(self, key: tuple[_Bucket, int, str]) -> None:
        keys = self._buckets.get(key[0])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._buckets[key[0]]


def _bucket(site: Site) -> _Bucket:
    suffix = site.suffix
    return (site.path, len(suffix), hash(suffix))

"""Common prefixes and suffixes of two texts (or byte strings), found in C.

A binary search on slice equality compares with memcmp speed: these run on every keystroke over
documents of up to a megabyte (incremental reparses, next-edit diffs, the engine's prompt cache),
where a Python loop over characters would cost milliseconds.
"""

from __future__ import annotations

from typing import AnyStr

__all__ = ["common_prefix", "common_suffix"]


def common_prefix(a: AnyStr, b: AnyStr, limit: int | None = None) -> int:
    """Length of the common prefix of `a` and `b`, at most `limit` (default: the shorter one)."""
    lo, hi = 0, min(len(a), len(b)) if limit is None else limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: AnyStr, b: AnyStr, limit: int | None = None) -> int:
    """Length of the common suffix of `a` and `b`, at most `limit` (default: the shorter one)."""
    lo, hi = 0, min(len(a), len(b)) if limit is None else limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo

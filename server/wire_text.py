"""Lone surrogates from the wire: JSON can escape them (`"\\ud800"`), but no UTF-8 text holds them.

Python decodes such an escape into a `str` that cannot be encoded again, so a lone surrogate in a
document would fail every later step that writes it (the index, a model request, a parse) and one
in a URI every file-system call. The protocol (`TypeholeProtocol.structure_message`) cleans each
incoming JSON object here, once: a lone surrogate in text becomes U+FFFD, which takes the same one
code point and one UTF-16 unit, so positions still match the client's; a URI that holds one names
no file, and its request is answered with InvalidParams (`bad_uri`).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["URI_KEYS", "bad_uri", "has_lone_surrogate", "scrub"]

_LONE = re.compile("[\ud800-\udfff]")
# The LSP fields that hold a URI (`DocumentUri` / `URI`).
URI_KEYS = frozenset({"uri", "rootUri", "targetUri", "baseUri", "scopeUri", "newUri", "oldUri"})


def has_lone_surrogate(text: str) -> bool:
    """Whether `text` holds a surrogate code point (which UTF-8 cannot encode)."""
    # ASCII strings (most keys and values) are known ASCII in O(1): no regex for them.
    return not text.isascii() and _LONE.search(text) is not None


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE.sub("\ufffd", value) if has_lone_surrogate(value) else value
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def scrub(obj: dict[str, Any]) -> dict[str, Any]:
    """Replace lone surrogates in the object's own strings (and lists of them) by U+FFFD.

    URIs are left as they are, for `bad_uri` to find. Nested objects are not visited: a JSON
    object hook sees each of them on its own, innermost first.
    """
    for key, value in obj.items():
        if key not in URI_KEYS and isinstance(value, str | list):
            obj[key] = _clean(value)
    return obj


def bad_uri(value: Any) -> str | None:
    """The first URI anywhere in `value` (a message's params) that holds a lone surrogate."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in URI_KEYS and isinstance(item, str) and has_lone_surrogate(item):
                return item
            if isinstance(item, dict | list) and (found := bad_uri(item)) is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            if (found := bad_uri(item)) is not None:
                return found
    return None

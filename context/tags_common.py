"""Shared pieces of tag extraction: one-line signature squashing and the `FileTags` record every
language's extractor returns."""

from __future__ import annotations

from dataclasses import dataclass

from .records import Definition, Import

__all__ = ["FileTags", "squash"]


@dataclass(frozen=True)
class FileTags:
    """What the index stores about one file (besides its windows)."""

    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]


def squash(text: str) -> str:
    """One line: collapse the newlines and indentation of multi-line signatures."""
    out = " ".join(part.strip() for part in text.splitlines() if part.strip())
    for ugly, tidy in (("( ", "("), (", )", ")"), (" )", ")"), ("[ ", "["),
                       (", ]", "]"), (" ]", "]")):
        out = out.replace(ugly, tidy)
    return out

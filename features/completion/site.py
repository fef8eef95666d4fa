"""`Site`: one completion request's document snapshot and cursor, shared by all pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from typehole.base.limits import Window, bounded


@dataclass(frozen=True)
class Site:
    """The document text, the cursor offset (code points) and where the document lives."""

    text: str
    offset: int
    path: str | None = None  # workspace-relative path, for prompts and cache keys
    language: str = "python"
    # The file's absolute path, for analysis: Jedi resolves imports from where the file lives
    # (a relative path would be taken from the server's working folder).
    file: str | None = None

    @cached_property
    def prefix(self) -> str:
        return self.text[: self.offset]

    @cached_property
    def suffix(self) -> str:
        return self.text[self.offset :]

    @cached_property
    def line_prefix(self) -> str:
        """Text of the cursor's line left of the cursor."""
        return self.prefix[self.prefix.rfind("\n") + 1 :]

    @cached_property
    def line_suffix(self) -> str:
        """Text of the cursor's line right of the cursor (without the line end)."""
        end = self.suffix.find("\n")
        return (self.suffix if end < 0 else self.suffix[:end]).rstrip("\r")

    def within(self, limit: int) -> tuple[Site, Window | None]:
        """This site, or for a document over `limit` bytes the site cut to the window around
        its cursor that is analysed instead (`base.limits.bounded`), and that window."""
        window = bounded(self.text, self.offset, limit)
        if window is None:
            return self, None
        text, offset = window.of(self.text)
        return replace(self, text=text, offset=offset), window
